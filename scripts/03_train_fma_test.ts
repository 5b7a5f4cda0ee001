import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertEquals } from "../mod/_assert.ts";
import { writeProcessedFixture } from "../mod/prepare/_processed_fixture.ts";
import { SUMMARY_COLUMNS } from "../mod/experiments/tournament.ts";
import { runScript } from "./_setup_testutil.ts";

const SCRIPT = new URL("./03_train_fma.ts", import.meta.url).pathname;

Deno.test("fma:train: Lean UNet on the processed folder, training_summary_FMA.csv", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc-fma-script-" });
  try {
    const data = join(root, "fma");
    await writeProcessedFixture(data, {
      dataset: "fma",
      labels: ["Electronic", "Experimental", "Folk", "Hip-Hop"],
      tracks: { train: 2, val: 1, test: 1 },
      segments: 2,
      shape: [8, 8],
    });
    const reports = join(root, "reports");
    const r = await runScript("03_train_fma.ts", [
      ...["--data", data, "--reports", reports, "--models-dir", join(root, "models")],
      ...["--backend", "wasm", "--threads", "1", "--epochs", "1", "--latency-runs", "3"],
    ]);
    assertEquals(r.code, 0, r.stderr);
    const rows = parse(await Deno.readTextFile(join(reports, "training_summary_FMA.csv")), {
      columns: true,
    }) as Record<string, string>[];
    assertEquals(Object.keys(rows[0]!).slice(0, SUMMARY_COLUMNS.length), [...SUMMARY_COLUMNS]);
    assertEquals([rows[0]!.Model, rows[0]!.Tag, rows[0]!.Backend], ["Lean_UNet", "FMA", "wasm"]);
    assert(Number(rows[0]!.Latency_ms) > 0, rows[0]!.Latency_ms);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fma:train: --protocol picks the default folder; exit 1 when it is missing, 2 on a bad one", async () => {
  // Run in an empty folder, so that a real data/processed/fma/seed is never trained on here.
  const cwd = await Deno.makeTempDir({ prefix: "mgc-fma-cwd-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-RWE", "--allow-sys", SCRIPT, "--protocol", "seed", "--epochs", "1"],
      cwd,
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(out.code, 1);
    const stderr = new TextDecoder().decode(out.stderr);
    assert(stderr.includes("data/processed/fma/seed: no processed data here"), stderr);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
  const bad = await runScript("03_train_fma.ts", ["--protocol", "small"]);
  assertEquals(bad.code, 2);
  assert(bad.stderr.includes("--protocol: expected one of official, seed"), bad.stderr);
});
