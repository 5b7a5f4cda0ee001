import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertEquals } from "../mod/_assert.ts";
import { writeProcessedFixture } from "../mod/prepare/_processed_fixture.ts";
import { SUMMARY_COLUMNS } from "../mod/experiments/tournament.ts";
import { runScript } from "./_setup_testutil.ts";
import { checkInterruptAndResume } from "../mod/engine/_interrupt_testutil.ts";

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
    // This configuration's run folder: dataset, split, seed.
    const summary = join(reports, "fma-random-seed42", "training_summary_FMA.csv");
    assert(r.stderr.includes(`results: ${join(reports, "fma-random-seed42")}/`), r.stderr);
    const rows = parse(await Deno.readTextFile(summary), {
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

Deno.test({
  name: "fma:train: Ctrl-C mid-epoch exits 130 with the state saved; --resume finishes",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "mgc-fma-sigint-" });
    try {
      // 4 genres × 24 tracks × 3 segments = 288 training segments: 9 batches of 32.
      const data = join(root, "fma");
      await writeProcessedFixture(data, {
        dataset: "fma",
        labels: ["Electronic", "Experimental", "Folk", "Hip-Hop"],
        tracks: { train: 24, val: 1, test: 1 },
        segments: 3,
        shape: [16, 16],
      });
      const run = (name: string): string => join(root, name, "models", "fma-random-seed42");
      await checkInterruptAndResume({
        root,
        denoArgs: (name) => [
          ...["run", "-RWE", "--allow-sys", "--allow-ffi", SCRIPT, "--data", data],
          ...["--reports", join(root, name, "reports"), "--models-dir", join(root, name, "models")],
          ...["--backend", "wasm", "--threads", "1", "--epochs", "2", "--latency-runs", "0"],
        ],
        after: /epoch 1\/2: .*batch 2\/9/,
        ckpt: (name) => join(run(name), ".resume", "Lean_UNet_FMA"),
        bundle: (name) => join(run(name), "Lean_UNet_best_FMA"),
        log: (name) => join(root, name, "reports", "fma-random-seed42", "log_Lean_UNet_FMA.csv"),
        steps: 9,
        task: "fma:train",
        compare: false,
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
