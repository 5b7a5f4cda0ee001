/**
 * One training run, end to end: build the model (optionally transfer weights by layer name), train
 * with a {@linkcode TrainRecipe}, keep the best checkpoint as a self-describing bundle, score the test
 * split at segment and track level, and write the epoch log, the test predictions and the result.
 * The tournament, the other datasets and the k-fold all call this one function.
 *
 * The test split is never used during training: it is read once, after training, from the best
 * checkpoint (the same epoch that `ModelCheckpoint(monitor=val_accuracy)` kept).
 *
 * @module
 */
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { specAugmenter } from "../features/augment.ts";
import { backendInfo, tf } from "../engine/backend.ts";
import type { SampleSource } from "../prepare/samples.ts";
import { bundleFiles } from "../predict/bundle.ts";
import {
  type Callback,
  EarlyStopping,
  ModelCheckpoint,
  ReduceLROnPlateau,
} from "../engine/callbacks.ts";
import { loadModelDir, readModelWeights, setWeightArrays } from "../engine/checkpoint.ts";
import { modelFlops } from "../engine/flops.ts";
import { exists, readJson, writeFileAtomic, writeJsonAtomic } from "../fs.ts";
import { measureLatency } from "../engine/latency.ts";
import { foldBatchNorm } from "../engine/fold.ts";
import { aggregateTracks, argmax } from "../report/metrics.ts";
import { buildModel, type ModelName } from "../models/mod.ts";
import type { ProcessedData } from "../prepare/processed.ts";
import { log } from "../progress.ts";
import type { TrainRecipe } from "./recipes.ts";
import { evaluate } from "../engine/evaluate.ts";
import { interruptibleSource } from "../engine/interrupt.ts";
import { train } from "../engine/train.ts";
import { Interrupted } from "../interrupt.ts";
import { type TransferReport, transferWeights } from "./transfer.ts";

/** What one run produced: a row of the summary CSV plus context. */
export interface RunResult {
  Model: string;
  Tag: string;
  Best_Val_Accuracy: number;
  Test_Accuracy: number;
  Epochs: number;
  Params: number;
  Approx_FLOPs: number;
  Latency_ms: number;
  Test_Track_Accuracy: number;
  Seed: number;
  Backend: string;
  Train_Seconds: number;
  /** 90th percentile of batch-1 latency. */
  Latency_p90_ms: number;
  /** Top-3 test accuracy (segment level). */
  Test_Top3_Accuracy: number;
  /** Best epoch (1-based). */
  Best_Epoch: number;
  /** True when the run was interrupted (then the scores are not final). */
  interrupted: boolean;
  /** Folder of the best-model bundle. */
  bundle: string;
  /** With `transferFrom`: the source bundle and the layers copied and not copied into the model. */
  transfer?: TransferRecord;
}

/** What a run's weight transfer did (recorded in the run's result file). */
export interface TransferRecord extends TransferReport {
  /** The source bundle folder. */
  from: string;
}

/** Options of {@linkcode runExperiment}. */
export interface RunOptions {
  /** The processed data (train/val/test). */
  data: ProcessedData;
  /** Architecture. */
  model: ModelName;
  /** Run tag, e.g. `WITH_AUG` / `NO_AUG` (goes into file names). */
  tag: string;
  /** Seed of initialisation, shuffle, dropout and augmentation. */
  seed: number;
  /** Training recipe (hyper-parameters as data). */
  recipe: Readonly<TrainRecipe>;
  /** Apply the recipe's SpecAugment (the `WITH_AUG` arm). */
  augment: boolean;
  /** Where bundles go (`<modelsDir>/<Model>_best_<TAG>[_seed<N>]/`). */
  modelsDir: string;
  /** Where logs, predictions and result files go. */
  reportsDir: string;
  /** Suffix for file names, e.g. `_seed43` when several seeds run (default ""). */
  suffix?: string;
  /** Override of `recipe.maxEpochs`. */
  epochs?: number;
  /** Override of the early-stopping patience. */
  patience?: number;
  /** Largest forward/backward micro-batch (bounds wasm memory). */
  microBatch?: number;
  /** Continue an interrupted run from its checkpoint; reuse a finished run's result. */
  resume?: boolean;
  /** Abort: finish the batch, save, return `interrupted`. */
  signal?: AbortSignal;
  /** Copy weights by layer name from this bundle before training. */
  transferFrom?: string;
  /** Batch-1 latency runs (default 100, 10 warm-up); 0 skips latency. */
  latencyRuns?: number;
  /** Dataset name recorded in the bundle (default: the manifest's). */
  dataset?: string;
  /** Split protocol recorded in the bundle (default: the processed folder's name). */
  split?: string;
  /** Progress lines (default true). */
  verbose?: boolean;
}

/** The file-name stem of a run: `<Model>_<TAG><suffix>`. */
export function runName(model: string, tag: string, suffix = ""): string {
  return `${model}_${tag}${suffix}`;
}

/**
 * Trains, checkpoints and scores one model. With `resume`, a run whose result file exists is not
 * trained again, and an interrupted one continues from its checkpoint.
 *
 * @example Not run by `deno test --doc`: it trains a model on the demo data when `data/processed/demo/random` exists and writes into `models/` and
 * `reports/` (a test must
 * not train on, or overwrite, a user's real results).
 * ```ts ignore
 * import { runExperiment } from "./experiment.ts";
 * import { loadProcessed } from "../prepare/processed.ts";
 * import { GTZAN_TOURNAMENT } from "./recipes.ts";
 * const data = await loadProcessed("data/processed/demo/random").catch(() => null);
 * if (data) {
 *   await runExperiment({
 *     data, model: "Efficient_VGG", tag: "NO_AUG", seed: 42, recipe: GTZAN_TOURNAMENT,
 *     augment: false, modelsDir: "models", reportsDir: "reports", epochs: 1, latencyRuns: 0,
 *   });
 * }
 * ```
 */
export async function runExperiment(opts: RunOptions): Promise<RunResult> {
  const { data, recipe } = opts;
  const suffix = opts.suffix ?? "";
  const name = runName(opts.model, opts.tag, suffix);
  const bundleDir = join(opts.modelsDir, `${opts.model}_best_${opts.tag}${suffix}`);
  const resumeDir = join(opts.modelsDir, ".resume", name);
  const resultPath = join(opts.reportsDir, "runs", `${name}.json`);
  const verbose = opts.verbose ?? true;
  if (opts.resume && (await exists(resultPath))) {
    const done = await readJson<RunResult>(resultPath);
    if (!done.interrupted && done.Seed === opts.seed) {
      if (verbose) log(`${name}: finished earlier, reusing ${resultPath}`);
      return done;
    }
  }
  const numClasses = data.labels.length;
  const model = buildModel(opts.model, {
    inputShape: data.sampleShape,
    numClasses,
    seed: opts.seed,
    ...(recipe.dropout !== undefined ? { dropout: recipe.dropout } : {}),
    ...(recipe.bnMomentum !== undefined ? { bnMomentum: recipe.bnMomentum } : {}),
  });
  let transfer: TransferRecord | undefined;
  try {
    if (opts.transferFrom) {
      const source = await loadModelDir(opts.transferFrom);
      try {
        const r = transferWeights(source, model, { log: verbose ? log : () => {} });
        transfer = { from: opts.transferFrom, ...r };
        if (verbose) {
          log(`${name}: transferred ${r.copied.length} layers from ${opts.transferFrom}`);
        }
      } finally {
        source.dispose();
      }
    }
    const epochs = opts.epochs ?? recipe.maxEpochs;
    const extraFiles = bundleFiles({
      dataset: opts.dataset ?? data.manifest.dataset.name,
      split: opts.split ?? data.dir.replace(/\/+$/, "").split("/").pop()!,
      features: data.manifest.features as never,
      scaler: data.scaler,
      labels: data.labels,
      inputShape: data.sampleShape,
      manifestSha256: data.manifestSha256,
      resampler: data.manifest.resampler ?? null,
    });
    const checkpoint = new ModelCheckpoint(bundleDir, { monitor: recipe.monitor, extraFiles });
    const callbacks: Callback[] = [checkpoint];
    if (recipe.earlyStopping) {
      callbacks.push(
        new EarlyStopping({
          monitor: recipe.earlyStopping.monitor,
          patience: opts.patience ?? recipe.earlyStopping.patience,
          restoreBestWeights: true,
        }),
      );
    }
    if (recipe.reduceLr) {
      callbacks.push(
        new ReduceLROnPlateau({
          monitor: recipe.reduceLr.monitor,
          factor: recipe.reduceLr.factor,
          patience: recipe.reduceLr.patience,
          ...(recipe.reduceLr.minLr !== undefined ? { minLr: recipe.reduceLr.minLr } : {}),
        }),
      );
    }
    const stepsPerEpoch = Math.ceil(data.parts.train.source.length / recipe.batchSize);
    const result = await train(model, data.parts.train.source, data.parts.val.source, {
      epochs,
      batchSize: recipe.batchSize,
      ...(opts.microBatch ? { microBatch: opts.microBatch } : {}),
      optimizer: recipe.optimizer,
      ...(recipe.cosineDecay
        ? {
          lrSchedule: { kind: "cosine" as const, decaySteps: Math.max(1, epochs * stepsPerEpoch) },
        }
        : {}),
      ...(recipe.labelSmoothing ? { labelSmoothing: recipe.labelSmoothing } : {}),
      ...(recipe.balancedClassWeights ? { classWeights: "balanced" as const } : {}),
      seed: opts.seed,
      ...(opts.augment && recipe.specAugment
        ? { augment: specAugmenter(data.sampleShape, recipe.specAugment) }
        : {}),
      callbacks,
      top3: recipe.top3 ?? false,
      monitor: recipe.monitor,
      checkpointDir: resumeDir,
      resume: opts.resume ?? false,
      logCsv: join(opts.reportsDir, `log_${name}.csv`),
      ...(opts.signal ? { signal: opts.signal } : {}),
      label: name,
      verbose,
    });
    const backend = backendInfo();
    // The device too when it is not the CPU (WebGPU: the adapter; native: the GPU).
    const backendName = backend
      ? `${backend.name}${backend.threads > 1 ? `x${backend.threads}` : ""}` +
        (backend.device && !backend.device.startsWith("CPU:") ? ` (${backend.device})` : "")
      : tf.getBackend();
    const flops = modelFlops(model).total;
    const base = {
      Model: opts.model,
      Tag: opts.tag,
      Epochs: result.history.length,
      Params: model.countParams(),
      Approx_FLOPs: flops,
      Seed: opts.seed,
      Backend: backendName,
      Train_Seconds: round(result.seconds, 1),
      Best_Epoch: result.bestEpoch,
      bundle: bundleDir,
      ...(transfer ? { transfer } : {}),
    };
    const interrupted: RunResult = {
      ...base,
      Best_Val_Accuracy: NaN,
      Test_Accuracy: NaN,
      Latency_ms: NaN,
      Test_Track_Accuracy: NaN,
      Latency_p90_ms: NaN,
      Test_Top3_Accuracy: NaN,
      interrupted: true,
    };
    if (result.interrupted) return interrupted;
    // Score the test split with the best checkpoint's weights; Ctrl-C stops it at the next batch
    // (the training state is saved and finished: --resume only scores).
    if (await exists(join(bundleDir, "weights.bin"))) {
      setWeightArrays(model, await readModelWeights(bundleDir));
    }
    const test = data.parts.test;
    const stopped = (e: unknown): RunResult => {
      if (!(e instanceof Interrupted)) throw e;
      if (verbose) log(`${name}: ${e.message}; training is finished and saved in ${resumeDir}`);
      return interrupted;
    };
    const testSource = opts.signal
      ? interruptibleSource(test.source, opts.signal, "interrupted while scoring the test split")
      : test.source;
    let ev;
    try {
      ev = await evaluate(model, testSource, { batchSize: 32 });
    } catch (e) {
      return stopped(e);
    }
    const track = trackScores(ev.probs, test, numClasses);
    await writePredictions(
      join(opts.reportsDir, `predictions_${name}.csv`),
      ev.probs,
      test.y,
      test.track,
      data,
    );
    const runs = opts.latencyRuns ?? 100;
    // Latency of the deployed form: BatchNormalization folded into the convolutions.
    let latency = { medianMs: NaN, p90Ms: NaN };
    try {
      if (runs > 0) {
        const folded = await foldBatchNorm(model);
        try {
          latency = await measureLatency(folded, {
            runs,
            warmup: Math.min(10, runs),
            ...(opts.signal ? { signal: opts.signal } : {}),
          });
        } finally {
          folded.dispose();
        }
      }
    } catch (e) {
      return stopped(e);
    }
    const bestVal = Math.max(...result.history.map((h) => h.val_accuracy ?? -Infinity));
    const row: RunResult = {
      ...base,
      Best_Val_Accuracy: round(bestVal, 4),
      Test_Accuracy: round(ev.accuracy, 4),
      Latency_ms: round(latency.medianMs, 2),
      Test_Track_Accuracy: round(track, 4),
      Latency_p90_ms: round(latency.p90Ms, 2),
      Test_Top3_Accuracy: round(ev.top3Accuracy, 4),
      interrupted: false,
    };
    await writeJsonAtomic(join(bundleDir, "evaluation.json"), {
      model: opts.model,
      tag: opts.tag,
      seed: opts.seed,
      test_accuracy: row.Test_Accuracy,
      test_track_accuracy: row.Test_Track_Accuracy,
      best_val_accuracy: row.Best_Val_Accuracy,
      ...(backend ? { trained_on: backend } : {}),
    });
    await writeJsonAtomic(resultPath, row);
    return row;
  } finally {
    model.dispose();
  }
}

/** Track-level accuracy: per track, the mean of its segments' probabilities, then argmax. */
export function trackScores(
  probs: Float32Array,
  part: { y: Int32Array; track: Int32Array },
  numClasses: number,
): number {
  if (part.y.length === 0) return NaN;
  const t = aggregateTracks(
    Array.from(part.y, (y, i) => ({
      track: String(part.track[i]),
      yTrue: y,
      probs: probs.subarray(i * numClasses, (i + 1) * numClasses),
    })),
  );
  let ok = 0;
  for (let i = 0; i < t.tracks.length; i++) if (t.yPred[i] === t.yTrue[i]) ok++;
  return ok / t.tracks.length;
}

/**
 * Writes the test predictions: `track,file,segment,y_true,y_pred,p_<label>…` (labels by name,
 * probabilities in labels.json order), so the analysis never re-runs inference for its numbers.
 */
export async function writePredictions(
  path: string,
  probs: Float32Array,
  y: Int32Array,
  track: Int32Array,
  data: Pick<ProcessedData, "labels" | "files">,
): Promise<void> {
  const k = data.labels.length;
  const seen = new Map<number, number>();
  const rows: (string | number)[][] = [];
  for (let i = 0; i < y.length; i++) {
    const t = track[i]!;
    const seg = seen.get(t) ?? 0;
    seen.set(t, seg + 1);
    const p = probs.subarray(i * k, (i + 1) * k);
    rows.push([
      t,
      data.files[t] ?? "",
      seg,
      data.labels[y[i]!]!,
      data.labels[argmax(p)]!,
      ...Array.from(p, (v) => v.toFixed(6)),
    ]);
  }
  const header = [
    "track",
    "file",
    "segment",
    "y_true",
    "y_pred",
    ...data.labels.map((l) => `p_${l}`),
  ];
  await writeFileAtomic(path, stringify(rows, { header: true, columns: header }));
}

function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Re-export for scripts that sum up runs. */
export type { SampleSource };
