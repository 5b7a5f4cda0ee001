/**
 * # 04 · Indian music genres: `deno task indian:train [--transfer-from BUNDLE | --no-transfer]`
 *
 * Transfer learning from GTZAN, as the original: the GTZAN UNet_Audio_Classifier's weights are
 * copied by layer name and shape into a fresh UNet for the 5 classes (every conv, BatchNorm and
 * PReLU layer; the 10-class `classifier` is not copied and the log says so). The network is
 * convolutional up to global average pooling, so the 128×64 input of this dataset takes the
 * kernels learnt on 128×128. Then: dropout 0.6, AdamW 4e-4 with cosine decay over all steps,
 * weight decay 1e-5, clipnorm 1.0, label smoothing 0.01, batch 48, ≤80 epochs,
 * EarlyStopping(val_accuracy, 12) restoring the best weights (`INDIAN_RECIPE`).
 *
 * Reads: `data/processed/indian/random/` (from `deno task indian:setup`) and the source bundle
 * (default `models/UNet_Audio_Classifier_best_WITH_AUG/`, else `..._NO_AUG/`, from
 * `deno task gtzan:train`).
 * Writes: `models/UNet_Audio_Classifier_best_INDIAN/`, and in `reports/`:
 * `training_summary_INDIAN.csv` (with the transfer source and the layers copied and not copied),
 * `log_…_INDIAN.csv`, `predictions_…_INDIAN.csv`, `runs/…_INDIAN.json`, `run_INDIAN.json`.
 *
 * @module
 */
import { parseCli, runMain } from "../mod/cli.ts";
import { datasetTrainFlags, INDIAN_PIPELINE, runDatasetTraining } from "../mod/experiments/mod.ts";

const SPEC = {
  usage: "deno task indian:train [flags]",
  description: "Fine-tune the GTZAN UNet on the processed Indian music genres (128×64).",
  flags: {
    data: { type: "string", default: "data/processed/indian/random", help: "processed folder" },
    ...datasetTrainFlags(INDIAN_PIPELINE),
  },
} as const;

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, SPEC);
  await runDatasetTraining(INDIAN_PIPELINE, values, {
    dataDir: String(values.data),
    command: ["indian:train", ...Deno.args].join(" "),
  });
}

if (import.meta.main) await runMain(main);
