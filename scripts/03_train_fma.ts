/**
 * # 03 · FMA-small (WP3): `deno task fma:train [--protocol official|seed] [--data DIR]`
 *
 * The GTZAN pipeline on FMA-small's 8 top genres, as the original: Lean UNet from scratch,
 * Adam 1e-3, label smoothing 0.05, batch 32, ≤80 epochs, EarlyStopping(val_accuracy, 15)
 * restoring the best weights, ReduceLROnPlateau(val_loss, ×0.2, 7), SpecAugment with 2 frequency
 * masks (0..16 bins) and 2 time masks (0..32 frames) on every training batch (`FMA_RECIPE`).
 * The test part is scored once, with the best checkpoint, per segment and per track.
 *
 * Reads: `data/processed/fma/<protocol>/` (from `deno task fma:setup`; the official protocol's
 * 80,000 segments are read from disk batch by batch).
 * Writes: `models/Lean_UNet_best_FMA/`, and in `reports/`: `training_summary_FMA.csv` (the
 * tournament's columns, with `Test_Track_Accuracy`), `log_Lean_UNet_FMA.csv`,
 * `predictions_Lean_UNet_FMA.csv`, `runs/Lean_UNet_FMA.json`, `run_FMA.json`.
 *
 * @module
 */
import { choiceFlag, parseCli, runMain } from "../mod/cli.ts";
import { datasetTrainFlags, FMA_PIPELINE, runDatasetTraining } from "../mod/experiments/mod.ts";

const SPEC = {
  usage: "deno task fma:train [flags]",
  description: "Train the Lean UNet on processed FMA-small (SpecAugment, label smoothing 0.05).",
  flags: {
    data: { type: "string", help: "processed folder (default: data/processed/fma/<protocol>)" },
    protocol: { type: "string", default: "official", help: "official | seed (picks --data)" },
    ...datasetTrainFlags(FMA_PIPELINE),
  },
} as const;

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, SPEC);
  const protocol = choiceFlag(values, "protocol", ["official", "seed"] as const);
  await runDatasetTraining(FMA_PIPELINE, values, {
    dataDir: String(values.data ?? `data/processed/fma/${protocol}`),
    command: ["fma:train", ...Deno.args].join(" "),
  });
}

if (import.meta.main) await runMain(main);
