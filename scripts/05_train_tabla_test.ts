import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertEquals } from "../mod/_assert.ts";
import { writeProcessedFixture } from "../mod/prepare/_processed_fixture.ts";
import { summaryColumns, TABLA_PIPELINE } from "../mod/experiments/dataset_train.ts";
import { readJson } from "../mod/fs.ts";
import { runScript } from "./_setup_testutil.ts";

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
    const reports = join(root, "reports");
    const r = await runScript("05_train_tabla.ts", [
      ...["--data", data, "--reports", reports, "--models-dir", join(root, "models")],
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
