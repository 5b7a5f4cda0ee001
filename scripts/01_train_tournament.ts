/**
 * # 01 · The GTZAN tournament (WP1 + WP2)
 *
 * `deno task gtzan:train [--split random|fault-filtered] [--aug with|without|both] [--models …]`
 *
 * The original's main experiment, made trustworthy: Efficient_VGG, ResSE_AudioCNN and
 * UNet_Audio_Classifier are trained under identical conditions (Adam 1e-3, batch 48, ≤120 epochs,
 * EarlyStopping on val_accuracy with patience 25 restoring the best weights, ReduceLROnPlateau on
 * val_loss ×0.2 after 8 epochs), once with SpecAugment (`WITH_AUG`) and once without (`NO_AUG`),
 * for each seed. The test split is scored once per run, after training, with the best checkpoint.
 *
 * Reads: `data/processed/gtzan/<split>/` (from `deno task gtzan:setup`).
 * Writes, per configuration `<run>` = `gtzan-<split>-seed<N>` (several seeds: `-seeds<a>-<b>…`;
 * `--quick` adds `-quick`), so that no configuration replaces another's results:
 * `models/<run>/<Model>_best_<TAG>/` bundles, and in `reports/<run>/`:
 * `training_summary_<TAG>.csv`, `wp1_ablation_with_vs_without_aug.csv`,
 * `wp2_efficiency_metrics.csv`, per run `log_<Model>_<TAG>.csv` and
 * `predictions_<Model>_<TAG>.csv`, and `run.json`; with several seeds also
 * `training_summary_mean_std.csv` (per-run files then end in `_seed<N>`). Ctrl-C stops after the
 * batch in flight, saves the training state and prints the command that resumes.
 *
 * @module
 */
import { parseCli, runMain, UsageError } from "../mod/cli.ts";
import { isModelName, type ModelName } from "../mod/models/mod.ts";
import { loadProcessed, subsetProcessed } from "../mod/prepare/mod.ts";
import { log } from "../mod/progress.ts";
import {
  finishTraining,
  GTZAN_TOURNAMENT,
  openRunFolder,
  readTrainFlags,
  runOptionsFromFlags,
  runTournament,
  startTraining,
  type Tag,
  TRAIN_FLAGS,
} from "../mod/experiments/mod.ts";

const SPEC = {
  usage: "deno task gtzan:train [flags]",
  description: "Train the three CNNs with and without SpecAugment on a processed GTZAN split.",
  flags: {
    data: { type: "string", help: "processed folder (default: data/processed/gtzan/<split>)" },
    split: { type: "string", default: "random", help: "random | fault-filtered (picks --data)" },
    aug: { type: "string", default: "both", help: "with | without | both" },
    models: {
      type: "string",
      default: GTZAN_TOURNAMENT.models.join(","),
      help: "comma-separated models",
    },
    ...TRAIN_FLAGS,
  },
} as const;

async function main(): Promise<void> {
  // 1. Flags.
  const { values } = parseCli(Deno.args, SPEC);
  const flags = readTrainFlags(values);
  const split = String(values.split);
  if (!["random", "fault-filtered"].includes(split)) {
    throw new UsageError(`--split: expected random or fault-filtered, got "${split}"`);
  }
  const tags: Tag[] =
    ({ with: ["WITH_AUG"], without: ["NO_AUG"], both: ["WITH_AUG", "NO_AUG"] } as Record<
      string,
      Tag[]
    >)[String(values.aug)] ??
      (() => {
        throw new UsageError(`--aug: expected with, without or both, got "${values.aug}"`);
      })();
  const models = String(values.models).split(",").map((m) => m.trim());
  for (const m of models) {
    if (!isModelName(m)) throw new UsageError(`--models: unknown model "${m}"`);
  }

  // 2. Data: the processed split; --quick keeps a small subset of whole tracks.
  let data = await loadProcessed(String(values.data ?? `data/processed/gtzan/${split}`));
  if (flags.quick) data = subsetProcessed(data, { segmentsPerTrack: 3, tracksPerClass: 8 });
  log(
    `data: ${data.dir}: ${data.parts.train.y.length} train / ${data.parts.val.y.length} val / ` +
      `${data.parts.test.y.length} test segments, ${data.labels.length} classes`,
  );

  // 3. This configuration's folders (dataset, split, seeds, quick).
  const splitName = String(data.manifest.split.protocol ?? split);
  const folder = await openRunFolder(
    flags.reportsDir,
    flags.modelsDir,
    {
      dataset: data.manifest.dataset.name,
      split: splitName,
      seeds: flags.seeds,
      quick: flags.quick,
    },
    log,
    flags.resume,
  );

  // 4. Backend and Ctrl-C handling.
  const { signal } = await startTraining(flags);

  // 5. The tournament.
  const result = await runTournament({
    data,
    recipe: GTZAN_TOURNAMENT,
    models: models as ModelName[],
    tags,
    seeds: flags.seeds,
    ...runOptionsFromFlags(flags, signal, 3),
    reportsDir: folder.reportsDir,
    modelsDir: folder.modelsDir,
    split: splitName,
    meta: {
      command: ["gtzan:train", ...Deno.args].join(" "),
      quick: flags.quick,
      run_folder: folder.name,
    },
  });
  data.close();

  // 6. Results: where they are (after Ctrl-C: how to resume).
  finishTraining(result, { task: "gtzan:train", args: Deno.args });
}

if (import.meta.main) await runMain(main);
