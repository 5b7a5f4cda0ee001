/**
 * # 05 · Tabla taalas: `deno task tabla:train [--transfer-from BUNDLE | --no-transfer]`
 *
 * Transfer learning from GTZAN, as the original: the GTZAN UNet's weights copied by layer name
 * and shape into a fresh UNet for the 8 taals (the `classifier` is not copied: other shape), then
 * Adam 5e-4, label smoothing 0.02, sklearn-"balanced" class weights, batch 48, ≤70 epochs,
 * EarlyStopping(val_accuracy, 10) restoring the best weights, ReduceLROnPlateau(val_loss, ×0.5, 5,
 * min 1e-6); accuracy and top-3 accuracy (`TABLA_RECIPE`). One 128×130 example per clip, so the
 * track-level accuracy equals the segment-level one.
 *
 * Reads: `data/processed/tabla/random/` (from `deno task tabla:setup`) and the source bundle
 * (default `models/UNet_Audio_Classifier_best_WITH_AUG/`, else `..._NO_AUG/`).
 * Writes: `models/UNet_Audio_Classifier_best_TABLA/`, and in `reports/`:
 * `training_summary_TABLA.csv` (the tournament's columns, then `Test_Top3_Accuracy`, the best
 * epoch and the transfer record), `log_…_TABLA.csv`, `predictions_…_TABLA.csv`,
 * `runs/…_TABLA.json`, `run_TABLA.json`.
 *
 * @module
 */
import { parseCli, runMain } from "../mod/cli.ts";
import { datasetTrainFlags, runDatasetTraining, TABLA_PIPELINE } from "../mod/experiments/mod.ts";

const SPEC = {
  usage: "deno task tabla:train [flags]",
  description: "Fine-tune the GTZAN UNet on the processed tabla taalas (128×130, top-3).",
  flags: {
    data: { type: "string", default: "data/processed/tabla/random", help: "processed folder" },
    ...datasetTrainFlags(TABLA_PIPELINE),
  },
} as const;

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, SPEC);
  await runDatasetTraining(TABLA_PIPELINE, values, {
    dataDir: String(values.data),
    command: ["tabla:train", ...Deno.args].join(" "),
  });
}

if (import.meta.main) await runMain(main);
