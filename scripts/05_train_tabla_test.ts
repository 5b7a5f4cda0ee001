import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertEquals } from "../mod/_assert.ts";
import { writeProcessedFixture } from "../mod/prepare/_processed_fixture.ts";
import { summaryColumns, TABLA_PIPELINE } from "../mod/experiments/dataset_train.ts";
import { readJson } from "../mod/fs.ts";
import { runScript } from "./_setup_testutil.ts";
import { checkInterruptAndResume } from "../mod/engine/_interrupt_testutil.ts";

Deno.test("tabla:train --no-transfer: top-3 column, balanced class weights on imbalanced taals", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc-tabla-script-" });
  try {
    const data = join(root, "tabla");
    await writeProcessedFixture(data, {
      dataset: "tabla",
      labels: ["Dadra", "Ektal", "Rupak", "Trital"],
      tracks: { train: [4, 1, 2, 1], val: 1, test: 1 },
      segments: 1, // one example per clip
      shape: [8, 16],
      scaler: "per-mel",
    });
    // This configuration's run folder under --reports (dataset, split, seed).
    const reports = join(root, "reports", "tabla-random-seed42");
    const r = await runScript("05_train_tabla.ts", [
      ...["--data", data, "--reports", join(root, "reports"), "--models-dir", join(root, "models")],
      ...["--no-transfer", "--backend", "wasm", "--threads", "1", "--epochs", "2"],
      ...["--latency-runs", "0"],
    ]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stderr.includes("transfer: none (--no-transfer)"), r.stderr);
    const rows = parse(await Deno.readTextFile(join(reports, "training_summary_TABLA.csv")), {
      columns: true,
    }) as Record<string, string>[];
    assertEquals(Object.keys(rows[0]!), summaryColumns(TABLA_PIPELINE));
    assertEquals([rows[0]!.Tag, rows[0]!.Epochs, rows[0]!.Transfer_From], ["TABLA", "2", ""]);
    const top1 = Number(rows[0]!.Test_Accuracy);
    const top3 = Number(rows[0]!.Test_Top3_Accuracy);
    assert(top3 >= top1 && top3 >= 0.5, `top-1 ${top1}, top-3 ${top3}`); // 3 of 4 classes
    // One example per clip: the track-level accuracy is the segment-level one.
    assertEquals(rows[0]!.Test_Track_Accuracy, rows[0]!.Test_Accuracy);
    const log = await Deno.readTextFile(join(reports, "log_UNet_Audio_Classifier_TABLA.csv"));
    assert(log.split("\n")[0]!.includes("val_top3_accuracy"), log);
    const run = await readJson<{ recipe: { balancedClassWeights: boolean }; transfer: null }>(
      join(reports, "run_TABLA.json"),
    );
    assertEquals([run.recipe.balancedClassWeights, run.transfer], [true, null]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "tabla:train: Ctrl-C mid-epoch exits 130 with the state saved; --resume finishes",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "mgc-tabla-sigint-" });
    try {
      // 4 taals × 60 clips = 240 training examples: 5 batches of 48.
      const data = join(root, "tabla");
      await writeProcessedFixture(data, {
        dataset: "tabla",
        labels: ["Dadra", "Ektal", "Rupak", "Trital"],
        tracks: { train: 60, val: 1, test: 1 },
        segments: 1,
        shape: [8, 16],
        scaler: "per-mel",
      });
      const script = new URL("./05_train_tabla.ts", import.meta.url).pathname;
      const run = (name: string): string => join(root, name, "models", "tabla-random-seed42");
      await checkInterruptAndResume({
        root,
        denoArgs: (name) => [
          ...["run", "-RWE", "--allow-sys", "--allow-ffi", script, "--data", data],
          ...["--reports", join(root, name, "reports"), "--models-dir", join(root, name, "models")],
          ...["--no-transfer", "--backend", "wasm", "--threads", "1", "--epochs", "2"],
          ...["--latency-runs", "0"],
        ],
        after: /epoch 1\/2: .*batch 2\/5/,
        ckpt: (name) => join(run(name), ".resume", "UNet_Audio_Classifier_TABLA"),
        bundle: (name) => join(run(name), "UNet_Audio_Classifier_best_TABLA"),
        log: (name) =>
          join(root, name, "reports", "tabla-random-seed42", "log_UNet_Audio_Classifier_TABLA.csv"),
        steps: 5,
        task: "tabla:train",
        compare: false,
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
