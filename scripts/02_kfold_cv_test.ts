import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertEquals } from "../mod/_assert.ts";
import { writeProcessedFixture } from "../mod/prepare/_processed_fixture.ts";
import { readJson } from "../mod/fs.ts";
import { LEAKY_NOTE } from "../mod/experiments/kfold.ts";
import { runScript } from "./_setup_testutil.ts";

const ENGINE = ["--backend", "wasm", "--threads", "1", "--epochs", "1"];

Deno.test("gtzan:kfold --protocol seed-leaky: every output says it is leaky", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc-kfold-script-" });
  try {
    const data = join(root, "gtzan");
    await writeProcessedFixture(data, {
      dataset: "gtzan",
      labels: ["blues", "rock"],
      tracks: { train: 3, val: 1, test: 1 },
      segments: 3,
      shape: [8, 8],
    });
    const reports = join(root, "reports");
    const r = await runScript("02_kfold_cv.ts", [
      ...["--protocol", "seed-leaky", "--folds", "2", "--data", data],
      ...["--reports", reports, "--models-dir", join(root, "models"), ...ENGINE],
    ]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").filter((l) => !l.startsWith(root));
    assertEquals(lines.length, 1 + 2 + 2); // title, 2 folds, 2 levels
    for (const l of lines) assert(l.includes(LEAKY_NOTE), l);
    const folds = parse(await Deno.readTextFile(join(reports, "kfold_cv_unet_gtzan_folds.csv")), {
      columns: true,
    }) as Record<string, string>[];
    assertEquals(folds.map((f) => [f.Protocol, f.Note, f.Selection]), [
      ["seed-leaky", LEAKY_NOTE, "held-out"],
      ["seed-leaky", LEAKY_NOTE, "held-out"],
    ]);
    assert(folds.some((f) => Number(f.Tracks_In_Both) > 0));
    const summary = await Deno.readTextFile(join(reports, "kfold_cv_unet_gtzan.csv"));
    assertEquals(summary.split(LEAKY_NOTE).length - 1, 2);
    const run = await readJson<{ note: string; protocol: string }>(join(reports, "run_kfold.json"));
    assertEquals([run.protocol, run.note], ["seed-leaky", LEAKY_NOTE]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("gtzan:kfold: exit 2 on bad flags, 1 on a missing data folder", async () => {
  const bad = await runScript("02_kfold_cv.ts", ["--protocol", "leaky"]);
  assertEquals(bad.code, 2);
  assert(bad.stderr.includes("--protocol: expected one of grouped, seed-leaky"), bad.stderr);
  const inner = await runScript("02_kfold_cv.ts", ["--inner-val", "1"]);
  assertEquals(inner.code, 2);
  const missing = await runScript("02_kfold_cv.ts", ["--data", "/nonexistent/gtzan"]);
  assertEquals(missing.code, 1);
  assert(missing.stderr.includes("/nonexistent/gtzan: no processed data here"), missing.stderr);
});
