import { assert, assertEquals } from "../mod/_assert.ts";

const SCRIPT = new URL("./models.ts", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-RWE", "--allow-sys", "--allow-ffi", SCRIPT, ...args],
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno task models --json: one object per model with params and FLOPs", async () => {
  const r = await run(
    "--json",
    "--backend",
    "cpu",
    "--models",
    "Lean_UNet,Efficient_VGG",
    "--classes",
    "8",
  );
  assertEquals(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(rows.map((o) => o.model), ["Lean_UNet", "Efficient_VGG"]);
  assertEquals(rows[0].params, { total: 103_976, trainable: 103_464, nonTrainable: 512 });
  assertEquals(rows[0].backend, "cpu");
  assert(Math.abs(rows[0].flopsG - 0.62) < 0.01, String(rows[0].flopsG));
  assertEquals(rows[1].layers.at(-1), {
    name: "classifier",
    className: "Dense",
    outputShape: [null, 8],
    params: 128 * 8 + 8,
    flops: 2 * 128 * 8 + 16,
  });
});

Deno.test("deno task models: text summary, and exit 2 on an unknown model", async () => {
  const ok = await run("--backend", "cpu", "--models", "Lean_UNet", "--input", "32x32");
  assertEquals(ok.code, 0, ok.stderr);
  assert(ok.stdout.startsWith('Model: "Lean_UNet"'));
  assert(ok.stdout.includes("Total params: 104,234"));
  const bad = await run("--models", "VGG16");
  assertEquals(bad.code, 2);
  assert(bad.stderr.includes('unknown model "VGG16"'), bad.stderr);
});
