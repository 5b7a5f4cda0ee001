/**
 * # 02 · 5-fold cross-validation of the Lean UNet on GTZAN (WP4)
 *
 * `deno task gtzan:kfold [--protocol grouped|seed-leaky] [--folds 5] [--data DIR]`
 *
 * `--protocol grouped` (default): the train and val parts of the processed split are pooled and
 * cut into folds over **tracks**, stratified by genre; in each fold the scaler is re-fitted on
 * the segments the model trains on (the stored arrays are mapped back with the split's scaler
 * first), a tenth of the training tracks (`--inner-val`; whole tracks, genres balanced) drives
 * early stopping and the choice of epoch, and the held-out tracks are scored once, per segment and per track. The
 * original's settings otherwise (`KFOLD_RECIPE`): Lean UNet, Adam 1e-3, batch 16, ≤60 epochs,
 * EarlyStopping(val_accuracy, 10), ReduceLROnPlateau(val_loss, ×0.2, 5).
 *
 * `--protocol seed-leaky` reproduces the original's numbers: folds over **segments**
 * (StratifiedKFold), the held-out fold as validation set, the maximum validation accuracy per
 * fold. Segments of one track are on both sides; every output of it says so.
 *
 * Reads: `data/processed/gtzan/random/` (from `deno task gtzan:setup`).
 * Writes, per configuration `<run>` = `kfold-<protocol>-gtzan-<split>-k<folds>-seed<N>`
 * (`-quick` with `--quick`), so the two protocols never replace each other's results:
 * in `reports/<run>/`: `kfold_cv_unet_gtzan.csv` (segment- and track-level mean, std with ddof 0
 * and 1, min, max), `kfold_cv_unet_gtzan_folds.csv` (one row per fold), `run_kfold.json`
 * (settings, the pool and its rule, and per fold the training, inner-validation and held-out
 * tracks by file path), and per fold `log_*`, `predictions_*`, `runs/*`; bundles in
 * `models/<run>/Lean_UNet_best_KFOLD_<PROTOCOL>_fold<N>/` (each with its own scaler). Ctrl-C
 * stops after the batch in flight, saves the fold's training state and prints the command that
 * resumes.
 *
 * @module
 */
import { choiceFlag, intFlag, numberFlag, parseCli, runMain, UsageError } from "../mod/cli.ts";
import {
  finishTraining,
  formatKFold,
  KFOLD_PROTOCOLS,
  KFOLD_RECIPE,
  openRunFolder,
  readTrainFlags,
  runKFold,
  runOptionsFromFlags,
  startTraining,
  TRAIN_FLAGS,
} from "../mod/experiments/mod.ts";
import { loadProcessed, subsetProcessed } from "../mod/prepare/mod.ts";
import { log } from "../mod/progress.ts";

/** What `--quick` keeps of each part before pooling (whole tracks, in file order). */
const QUICK = { segmentsPerTrack: 2, tracksPerClass: 4 } as const;

const SPEC = {
  usage: "deno task gtzan:kfold [flags]",
  description: "k-fold cross-validation of the Lean UNet on the pooled GTZAN train + val tracks.",
  flags: {
    data: { type: "string", default: "data/processed/gtzan/random", help: "processed folder" },
    protocol: { type: "string", default: "grouped", help: "grouped | seed-leaky" },
    folds: { type: "string", default: "5", help: "number of folds" },
    "inner-val": {
      type: "string",
      default: "0.1",
      help: "grouped: fraction of training tracks that chooses the epoch (0: the held-out fold)",
    },
    ...TRAIN_FLAGS,
  },
} as const;

async function main(): Promise<void> {
  // 1. Flags.
  const { values } = parseCli(Deno.args, SPEC);
  const flags = readTrainFlags(values);
  const protocol = choiceFlag(values, "protocol", KFOLD_PROTOCOLS);
  const k = intFlag(values, "folds", 2);
  const innerVal = numberFlag(values, "inner-val");
  if (!(innerVal >= 0 && innerVal <= 0.5)) {
    throw new UsageError(`--inner-val: expected a fraction in [0, 0.5], got ${innerVal}`);
  }
  if (flags.seeds.length > 1) throw new UsageError("--seeds: k-fold takes one --seed");

  // 2. Data: train + val of the split are pooled inside runKFold; --quick keeps a few tracks.
  let data = await loadProcessed(String(values.data));
  if (flags.quick) data = subsetProcessed(data, QUICK);
  const poolRule = flags.quick
    ? `--quick: in the train and val parts of ${data.dir}, the first ${QUICK.tracksPerClass} ` +
      `tracks of each genre (file order) and the first ${QUICK.segmentsPerTrack} segments of each`
    : undefined;

  // 3. This configuration's folders: protocol, data, folds, seed, quick.
  const folder = await openRunFolder(
    flags.reportsDir,
    flags.modelsDir,
    {
      experiment: "kfold",
      protocol,
      dataset: data.manifest.dataset.name,
      split: String(data.manifest.split.protocol ?? "random"),
      folds: k,
      seeds: flags.seeds,
      quick: flags.quick,
    },
    log,
    flags.resume,
  );

  // 4. Backend, Ctrl-C handling, the folds.
  const { signal } = await startTraining(flags);
  const result = await runKFold({
    data,
    recipe: KFOLD_RECIPE,
    protocol,
    k,
    seed: flags.seeds[0]!,
    innerVal,
    ...runOptionsFromFlags(flags, signal, 2),
    reportsDir: folder.reportsDir,
    modelsDir: folder.modelsDir,
    latencyRuns: 0,
    ...(poolRule ? { poolRule } : {}),
    meta: {
      command: ["gtzan:kfold", ...Deno.args].join(" "),
      quick: flags.quick,
      run_folder: folder.name,
    },
  });
  data.close();

  // 5. Results: the folds and mean ± std on stdout, then the files (after Ctrl-C: how to resume).
  for (const line of formatKFold(result.rows, result.summary)) console.log(line);
  finishTraining(result, { task: "gtzan:kfold", args: Deno.args });
}

if (import.meta.main) await runMain(main);
