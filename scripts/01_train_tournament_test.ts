import { join } from "node:path";
import { assert, assertEquals } from "../mod/_assert.ts";

const SCRIPT = new URL("./01_train_tournament.ts", import.meta.url).pathname;
const DEMO = new URL("./demo.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

async function run(script: string, ...args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-RWE", "--allow-sys", "--allow-ffi", "--config", CONFIG, script, ...args],
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("gtzan:train: --help, bad flags (exit 2) and missing data (exit 1, one line)", async () => {
  assertEquals((await run(SCRIPT, "--help")).code, 0);
  const aug = await run(SCRIPT, "--aug", "sometimes");
  assertEquals(aug.code, 2);
  assert(aug.stderr.includes("--aug"), aug.stderr);
  assertEquals((await run(SCRIPT, "--models", "AlexNet")).code, 2);
  assertEquals((await run(SCRIPT, "--split", "artist")).code, 2);
  const dir = await Deno.makeTempDir({ prefix: "mgc_train_script_" });
  try {
    const missing = await run(SCRIPT, "--data", join(dir, "nothing"));
    assertEquals(missing.code, 1);
    assert(missing.stderr.includes("gtzan:setup"), missing.stderr);
    assertEquals(missing.stderr.trim().split("\n").length, 1, missing.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("demo: --help and bad flags", async () => {
  assertEquals((await run(DEMO, "--help")).code, 0);
  assertEquals((await run(DEMO, "--models", "AlexNet")).code, 2);
  assertEquals((await run(DEMO, "--epochs", "zero")).code, 2);
});
