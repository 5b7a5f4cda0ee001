import { assert, assertRejects } from "../mod/_assert.ts";
import { UsageError } from "../mod/cli.ts";
import { main } from "./data_get.ts";

Deno.test("data_get: bad dataset names, sources and arity are usage errors (exit 2)", async () => {
  await assertRejects(() => main([]), UsageError, "expected one dataset name");
  await assertRejects(() => main(["gtzan", "fma"]), UsageError, "expected one dataset name");
  await assertRejects(() => main(["mnist"]), UsageError, "gtzan, fma, indian, tabla");
  const e = await assertRejects(() => main(["gtzan", "--source", "nope"]), UsageError);
  assert(e.message.includes("kaggle, marsyas, kaggle-au"), e.message);
  await assertRejects(() => main(["fma", "--bogus"]), UsageError);
});

Deno.test("data_get --help lists every dataset's sources and which need Kaggle", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-RWE",
      "--allow-net",
      new URL("./data_get.ts", import.meta.url).pathname,
      "--help",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(out.success, new TextDecoder().decode(out.stderr));
  for (
    const s of ["gtzan", "kaggle (default) [Kaggle]", "marsyas", "fma", "unil (default)", "tabla"]
  ) {
    assert(text.includes(s), `--help mentions ${s}:\n${text}`);
  }
});
