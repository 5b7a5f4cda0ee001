/**
 * Training on the other datasets (FMA-small, Indian music genres, tabla taalas): one pipeline,
 * three configs. A {@linkcode DatasetPipeline} names the summary, the recipe (model and
 * hyper-parameters as data, `recipes.ts`) and whether the model starts from the GTZAN UNet;
 * {@linkcode trainDataset} runs it for each seed through the same {@linkcode runExperiment} as the
 * GTZAN tournament and writes `training_summary_<NAME>.csv` and `run_<NAME>.json`.
 *
 * Run files are named with the dataset as the tag (`UNet_Audio_Classifier_best_INDIAN/`,
 * `log_Lean_UNet_FMA.csv`) and the script puts them in this configuration's folders
 * (`reports/<dataset>-<split>-seed<N>/`, `models/…/`: `run_folder.ts`), so they never overwrite
 * the GTZAN bundles they transfer from, nor another split's or seed's results.
 *
 * @module
 */
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { backendInfo } from "../engine/backend.ts";
import { manifestVerification } from "../datasets/verification.ts";
import { type FlagSpec, type ParsedCli, UserError } from "../cli.ts";
import { runExperiment, type RunOptions, type RunResult } from "./experiment.ts";
import { compareCodePoints, exists, writeFileAtomic, writeJsonAtomic } from "../fs.ts";
import { loadProcessed, type ProcessedData, subsetProcessed } from "../prepare/processed.ts";
import { log } from "../progress.ts";
import { openRunFolder } from "./run_folder.ts";
import { FMA_RECIPE, INDIAN_RECIPE, TABLA_RECIPE, type TrainRecipe } from "./recipes.ts";
import { SUMMARY_COLUMNS } from "./tournament.ts";
import {
  finishTraining,
  readTrainFlags,
  runOptionsFromFlags,
  startTraining,
  TRAIN_FLAGS,
} from "./train_cli.ts";

/** One dataset's training configuration. */
export interface DatasetPipeline {
  /** Summary name and run tag, upper case: `training_summary_<name>.csv`. */
  name: string;
  /** Dataset name as the setup task records it (`manifest.dataset.name`). */
  dataset: string;
  /** Model and hyper-parameters; the model is `recipe.models[0]`. */
  recipe: Readonly<TrainRecipe>;
  /** Start from the GTZAN UNet's weights (transfer by layer name and shape). */
  transfer: boolean;
}

/** FMA-small: Lean UNet from scratch, SpecAugment 2+2 masks (`FMA_RECIPE`). */
export const FMA_PIPELINE: Readonly<DatasetPipeline> = Object.freeze({
  name: "FMA",
  dataset: "fma",
  recipe: FMA_RECIPE,
  transfer: false,
});

/** Indian music genres: GTZAN UNet transferred, dropout 0.6, AdamW + cosine (`INDIAN_RECIPE`). */
export const INDIAN_PIPELINE: Readonly<DatasetPipeline> = Object.freeze({
  name: "INDIAN",
  dataset: "indian",
  recipe: INDIAN_RECIPE,
  transfer: true,
});

/** Tabla taalas: GTZAN UNet transferred, balanced class weights, top-3 (`TABLA_RECIPE`). */
export const TABLA_PIPELINE: Readonly<DatasetPipeline> = Object.freeze({
  name: "TABLA",
  dataset: "tabla",
  recipe: TABLA_RECIPE,
  transfer: true,
});

/** The GTZAN UNet bundles tried, in order, in each GTZAN tournament folder. */
export const DEFAULT_TRANSFER_SOURCES: readonly string[] = Object.freeze([
  "UNet_Audio_Classifier_best_WITH_AUG",
  "UNet_Audio_Classifier_best_NO_AUG",
]);

/**
 * The bundle to transfer from: `explicit` when given (it must hold `model.json` and
 * `weights.bin`), else the first of {@linkcode DEFAULT_TRANSFER_SOURCES} that is a bundle in the
 * GTZAN tournament folders under `modelsDir` (`gtzan-random-seed<N>/`, then
 * `gtzan-random-seeds…/` with the lowest seed's `…_seed<N>` bundle; quick runs never), then
 * directly in `modelsDir` (the layout before run folders). Throws a {@linkcode UserError} saying
 * what was tried and how to proceed.
 *
 * @example
 * ```ts
 * import { resolveTransferSource } from "./dataset_train.ts";
 * const from = await resolveTransferSource("models").catch(() => null);
 * ```
 */
export async function resolveTransferSource(
  modelsDir: string,
  explicit?: string,
): Promise<string> {
  const isBundle = async (dir: string): Promise<boolean> =>
    (await exists(join(dir, "model.json"))) && (await exists(join(dir, "weights.bin")));
  if (explicit !== undefined) {
    if (await isBundle(explicit)) return explicit;
    throw new UserError(
      `--transfer-from ${explicit}: not a model bundle (model.json, weights.bin)`,
    );
  }
  const folders: string[] = [];
  try {
    for await (const e of Deno.readDir(modelsDir)) {
      if (e.isDirectory && /^gtzan-random-seeds?\d[\d-]*$/.test(e.name)) folders.push(e.name);
    }
  } catch { /* no models folder yet */ }
  folders.sort((a, b) =>
    Number(a.includes("seeds")) - Number(b.includes("seeds")) ||
    compareCodePoints(a, b)
  );
  const tried: string[] = [];
  for (const name of DEFAULT_TRANSFER_SOURCES) {
    for (const f of folders) {
      const seeds = /seeds([\d-]+)$/.exec(f)?.[1]?.split("-").map(Number);
      const sub = seeds ? `${name}_seed${Math.min(...seeds)}` : name;
      tried.push(join(modelsDir, f, sub));
    }
    tried.push(join(modelsDir, name));
  }
  for (const dir of tried) if (await isBundle(dir)) return dir;
  throw new UserError(
    `no GTZAN UNet to transfer from (tried ${join(modelsDir, "gtzan-random-seed*")}/ and ` +
      `${modelsDir}/ for ${DEFAULT_TRANSFER_SOURCES.join(", ")}): run \`deno task gtzan:train\` ` +
      "first, pass --transfer-from <bundle>, or --no-transfer to train from scratch",
  );
}

/** Options of {@linkcode trainDataset}. */
export interface DatasetTrainOptions extends
  Pick<
    RunOptions,
    | "modelsDir"
    | "reportsDir"
    | "epochs"
    | "patience"
    | "microBatch"
    | "resume"
    | "signal"
    | "latencyRuns"
    | "verbose"
  > {
  /** The processed dataset (from its setup task). */
  data: ProcessedData;
  /** One run per seed (file names get `_seed<N>` with several seeds). */
  seeds: readonly number[];
  /** Bundle to copy weights from (null: from scratch, even when the pipeline transfers). */
  transferFrom: string | null;
  /** Extra metadata for `run_<NAME>.json` (command line, quick, …). */
  meta?: Record<string, unknown>;
}

/** What {@linkcode trainDataset} returns. */
export interface DatasetTrainResult {
  /** Finished runs, one per seed. */
  rows: RunResult[];
  /** True when Ctrl-C stopped a run (the summary holds the finished ones). */
  interrupted: boolean;
  /** Files written (summary CSV, run json). */
  files: string[];
  /** Whether the data is the canonical dataset, in one line (from its manifest). */
  dataLine: string;
}

/**
 * The summary columns of a pipeline: {@linkcode SUMMARY_COLUMNS}, then `Test_Top3_Accuracy`
 * when the recipe reports top-3, then `Best_Epoch`, then the transfer columns when it transfers.
 *
 * @example
 * ```ts
 * import { summaryColumns, TABLA_PIPELINE } from "./dataset_train.ts";
 * summaryColumns(TABLA_PIPELINE).slice(12, 14); // ["Test_Top3_Accuracy", "Best_Epoch"]
 * ```
 */
export function summaryColumns(pipeline: Readonly<DatasetPipeline>): string[] {
  return [
    ...SUMMARY_COLUMNS,
    ...(pipeline.recipe.top3 ? ["Test_Top3_Accuracy"] : []),
    "Best_Epoch",
    ...(pipeline.transfer ? ["Transfer_From", "Layers_Copied", "Layers_Not_Copied"] : []),
  ];
}

/** One summary row (cells in {@linkcode summaryColumns} order). */
function summaryRow(r: RunResult, columns: readonly string[]): string[] {
  const extra: Record<string, unknown> = {
    Transfer_From: r.transfer?.from ?? "",
    Layers_Copied: r.transfer ? r.transfer.copied.length : "",
    Layers_Not_Copied: r.transfer?.skipped.map((s) => s.name).join(";") ?? "",
  };
  return columns.map((c) => {
    const v = c in extra ? extra[c] : r[c as keyof RunResult];
    if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
    return String(v ?? "");
  });
}

/**
 * Trains `pipeline` on `data` once per seed and writes `training_summary_<NAME>.csv` and
 * `run_<NAME>.json` into `reportsDir` (per run, as every experiment: the bundle
 * `<modelsDir>/<Model>_best_<NAME>[_seed<N>]/`, `log_*.csv`, `predictions_*.csv`,
 * `runs/*.json` with the transfer record).
 *
 * @example Not run by `deno test --doc`: it trains on a prepared tabla set when one exists and writes into `models/` and `reports/` (a test must
 * not train on, or overwrite, a user's real results).
 * ```ts ignore
 * import { trainDataset, TABLA_PIPELINE } from "./dataset_train.ts";
 * import { loadProcessed } from "../prepare/processed.ts";
 * const data = await loadProcessed("data/processed/tabla/random").catch(() => null);
 * if (data) {
 *   await trainDataset(TABLA_PIPELINE, {
 *     data, seeds: [42], transferFrom: null, modelsDir: "models", reportsDir: "reports", epochs: 1,
 *   });
 * }
 * ```
 */
export async function trainDataset(
  pipeline: Readonly<DatasetPipeline>,
  opts: DatasetTrainOptions,
): Promise<DatasetTrainResult> {
  const { data, seeds, transferFrom, meta, ...runOpts } = opts;
  const recipe = pipeline.recipe;
  const model = recipe.models[0]!;
  const say = (runOpts.verbose ?? true) ? log : () => {};
  if (data.manifest.dataset.name !== pipeline.dataset) {
    say(
      `warning: ${data.dir} holds "${data.manifest.dataset.name}" data, ` +
        `not ${pipeline.dataset}; training anyway`,
    );
  }
  const started = new Date().toISOString();
  const rows: RunResult[] = [];
  let interrupted = false;
  for (const seed of seeds) {
    if (opts.signal?.aborted) {
      interrupted = true;
      break;
    }
    say(`== ${pipeline.name}: ${model} seed ${seed} ==`);
    const r = await runExperiment({
      ...runOpts,
      data,
      model,
      tag: pipeline.name,
      seed,
      recipe,
      augment: recipe.specAugment !== null,
      suffix: seeds.length > 1 ? `_seed${seed}` : "",
      ...(transferFrom !== null ? { transferFrom } : {}),
      dataset: pipeline.dataset,
    });
    if (r.interrupted) {
      interrupted = true;
      break;
    }
    rows.push(r);
    say(
      `${pipeline.name} seed ${seed}: test accuracy ${pct(r.Test_Accuracy)} (segments), ` +
        `${pct(r.Test_Track_Accuracy)} (tracks)` +
        (recipe.top3 ? `, top-3 ${pct(r.Test_Top3_Accuracy)}` : "") +
        `, best val ${pct(r.Best_Val_Accuracy)}, ${r.Epochs} epochs in ${r.Train_Seconds} s`,
    );
  }
  const columns = summaryColumns(pipeline);
  const summary = join(opts.reportsDir, `training_summary_${pipeline.name}.csv`);
  await writeFileAtomic(
    summary,
    stringify(rows.map((r) => summaryRow(r, columns)), { header: true, columns }),
  );
  const runJson = join(opts.reportsDir, `run_${pipeline.name}.json`);
  await writeJsonAtomic(runJson, {
    experiment: pipeline.name,
    started,
    finished: new Date().toISOString(),
    interrupted,
    seeds,
    model,
    recipe,
    epochs_override: opts.epochs ?? null,
    patience_override: opts.patience ?? null,
    transfer: transferFrom === null ? null : {
      from: transferFrom,
      runs: rows.map((r) => ({
        seed: r.Seed,
        copied: r.transfer?.copied ?? [],
        not_copied: r.transfer?.skipped ?? [],
      })),
    },
    data: {
      dir: data.dir,
      dataset: data.manifest.dataset,
      split: data.manifest.split,
      counts: data.manifest.counts,
      manifest_sha256: data.manifestSha256,
      verification: manifestVerification(data.manifest),
    },
    results: rows,
    backend: backendInfo(),
    versions: { deno: Deno.version.deno, v8: Deno.version.v8, tfjs: "4.22.0" },
    ...meta,
  });
  const dataLine = manifestVerification(data.manifest).line;
  return { rows, interrupted, files: [summary, runJson], dataLine };
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "n/a";
}

/**
 * The flags of a dataset training script, besides `--data`: {@linkcode TRAIN_FLAGS}, and for a
 * pipeline that transfers, `--transfer-from` and `--no-transfer`.
 *
 * @example
 * ```ts
 * import { datasetTrainFlags, INDIAN_PIPELINE } from "./dataset_train.ts";
 * "transfer-from" in datasetTrainFlags(INDIAN_PIPELINE); // true
 * ```
 */
export function datasetTrainFlags(pipeline: Readonly<DatasetPipeline>): Record<string, FlagSpec> {
  return {
    ...(pipeline.transfer
      ? {
        "transfer-from": {
          type: "string",
          help: `GTZAN UNet bundle to start from (default: <models-dir>/` +
            `${DEFAULT_TRANSFER_SOURCES.join(", else ")})`,
        },
        "no-transfer": { type: "boolean", help: "train from scratch (no transfer)" },
      } satisfies Record<string, FlagSpec>
      : {}),
    ...TRAIN_FLAGS,
  };
}

/**
 * The body of a dataset training script after flag parsing: opens `dataDir` (a small subset with
 * `--quick`), finds the transfer source, starts the backend, trains, prints the files written on
 * stdout, and ends the process the way the backend needs (exit 130 after Ctrl-C).
 *
 * @example Not run by `deno test --doc`: it trains on a prepared tabla set when one exists and
 * writes into `models/` and `reports/` (a test must not train on, or overwrite, a user's results).
 * ```ts ignore
 * import { parseCli } from "../cli.ts";
 * import { datasetTrainFlags, runDatasetTraining, TABLA_PIPELINE } from "./dataset_train.ts";
 * const flags = { data: { type: "string", help: "processed folder" }, ...datasetTrainFlags(TABLA_PIPELINE) } as const;
 * const { values } = parseCli(["--epochs", "1"], { usage: "tabla:train", flags });
 * await runDatasetTraining(TABLA_PIPELINE, values, { dataDir: "data/processed/tabla/random" })
 *   .catch(() => {});
 * ```
 */
export async function runDatasetTraining(
  pipeline: Readonly<DatasetPipeline>,
  values: ParsedCli["values"],
  options: { dataDir: string; command?: string; args?: readonly string[] },
): Promise<void> {
  const flags = readTrainFlags(values);
  let data = await loadProcessed(options.dataDir);
  if (flags.quick) data = subsetProcessed(data, { segmentsPerTrack: 3, tracksPerClass: 8 });
  log(
    `data: ${data.dir}: ${data.parts.train.y.length} train / ${data.parts.val.y.length} val / ` +
      `${data.parts.test.y.length} test examples, ${data.labels.length} classes`,
  );
  const transferFrom = pipeline.transfer && values["no-transfer"] !== true
    ? await resolveTransferSource(
      flags.modelsDir,
      values["transfer-from"] === undefined ? undefined : String(values["transfer-from"]),
    )
    : null;
  if (pipeline.transfer && transferFrom === null) log("transfer: none (--no-transfer)");
  const folder = await openRunFolder(
    flags.reportsDir,
    flags.modelsDir,
    {
      dataset: pipeline.dataset,
      split: String(data.manifest.split.protocol ?? "random"),
      seeds: flags.seeds,
      quick: flags.quick,
    },
    log,
    flags.resume,
  );

  const { signal } = await startTraining(flags);
  const result = await trainDataset(pipeline, {
    data,
    seeds: flags.seeds,
    transferFrom,
    ...runOptionsFromFlags(flags, signal, 3),
    reportsDir: folder.reportsDir,
    modelsDir: folder.modelsDir,
    meta: { command: options.command ?? null, quick: flags.quick, run_folder: folder.name },
  });
  data.close();
  finishTraining(result, {
    task: `${pipeline.dataset}:train`,
    args: options.args ?? Deno.args,
  });
}
