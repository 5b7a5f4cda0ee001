/**
 * k-fold cross-validation of the Lean UNet on GTZAN (WP4), in two protocols:
 *
 * - `grouped` (default): the train and validation parts of a processed split are pooled and cut
 *   into k folds over **tracks**, stratified by genre ({@linkcode stratifiedGroupKFold}), so the
 *   10 segments of a track are always on one side. Inside each fold, a tenth of the training
 *   tracks (one fold of a stratified group 10-fold over them) is held back as the inner
 *   validation set that drives early stopping,
 *   ReduceLROnPlateau and the choice of the best epoch; the held-out fold is scored once, with
 *   that checkpoint, at segment and track level. The scaler is **re-fitted in each fold** on the
 *   segments the model trains on: the stored arrays were scaled with the split's training scaler,
 *   so they are first mapped back with {@linkcode Scaler.invert} (float32 rounding: a recovered
 *   value differs from the unscaled original by at most a few float32 ulps of its magnitude,
 *   ~1e-5 dB for dB features, far below their precision), then the fold's per-position scaler is
 *   fitted and applied to every pooled segment.
 * - `seed-leaky`: the original's procedure, for comparison only: folds over **segments** with
 *   `StratifiedKFold(shuffle=True)` semantics ({@linkcode stratifiedKFold}), the processed arrays
 *   as they are (scaled once, with the split's training scaler), the held-out fold as the
 *   validation set of early stopping, and the maximum validation accuracy over epochs reported.
 *   Segments of one track land in both training and validation: every output says so
 *   ({@linkcode LEAKY_NOTE}).
 *
 * @module
 */
import { join } from "node:path";
import { backendInfo } from "../engine/backend.ts";
import { manifestVerification } from "../datasets/verification.ts";
import { arraySource, range, sampleSize, subsetSource } from "../prepare/samples.ts";
import { runExperiment, type RunOptions, type RunResult } from "./experiment.ts";
import { writeJsonAtomic } from "../fs.ts";
import type { ModelName } from "../models/mod.ts";
import type { ProcessedData, ProcessedPart } from "../prepare/processed.ts";
import { log } from "../progress.ts";
import type { TrainRecipe } from "./recipes.ts";
import { Rng } from "../rng.ts";
import { type Scaler, ScalerFitter } from "../features/scaler.ts";
import { type Fold, stratifiedGroupKFold } from "../datasets/split.ts";
import {
  type FoldRow,
  formatFold,
  GROUPED_NOTE,
  type KFoldProtocol,
  kfoldSummary,
  type KFoldSummaryRow,
  LEAKY_NOTE,
  writeKFoldReports,
} from "./kfold_tables.ts";

/**
 * k folds over samples, stratified by label: sklearn's `StratifiedKFold(n_splits=k,
 * shuffle=True)` algorithm. Classes are numbered in order of first appearance; the labels sorted
 * by class are dealt round-robin to the folds (`y_sorted[i::k]`), which fixes how many samples of
 * each class every fold gets; within a class, the fold numbers are then shuffled over its samples
 * (in index order). The shuffle is this project's seeded generator, not numpy's, so fold members
 * differ from sklearn's; sizes are equal.
 *
 * @example
 * ```ts
 * import { stratifiedKFold } from "./kfold.ts";
 * const folds = stratifiedKFold([0, 0, 0, 1, 1, 1, 1, 0, 1, 0], 5, { seed: 42 });
 * folds.map((f) => f.test.length); // [2, 2, 2, 2, 2]
 * ```
 */
export function stratifiedKFold(
  labels: ArrayLike<number>,
  k: number,
  options: { seed?: number } = {},
): Fold[] {
  const n = labels.length;
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer >= 2, got ${k}`);
  if (k > n) throw new RangeError(`cannot make ${k} folds from ${n} samples`);
  const code = new Map<number, number>();
  const y = Int32Array.from(labels, (l) => {
    if (!code.has(l)) code.set(l, code.size);
    return code.get(l)!;
  });
  const C = code.size;
  const sorted = Int32Array.from(y).sort();
  // allocation[f][c]: samples of class c in fold f (np.bincount(y_order[f::k])).
  const allocation = Array.from({ length: k }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < n; i++) allocation[i % k]![sorted[i]!]!++;
  const rng = new Rng(options.seed ?? 42);
  const testFold = new Int32Array(n);
  for (let c = 0; c < C; c++) {
    const folds: number[] = [];
    for (let f = 0; f < k; f++) for (let j = 0; j < allocation[f]![c]!; j++) folds.push(f);
    rng.shuffle(folds);
    let j = 0;
    for (let i = 0; i < n; i++) if (y[i] === c) testFold[i] = folds[j++]!;
  }
  const out: Fold[] = Array.from({ length: k }, () => ({ train: [], test: [] }));
  for (let i = 0; i < n; i++) {
    out.forEach((fold, f) => (f === testFold[i] ? fold.test : fold.train).push(i));
  }
  return out;
}

/** Segments of several parts of a processed folder, concatenated (row order kept). */
export interface Pool {
  /** The segments as stored (scaled with the folder's scaler), row after row. */
  x: Float32Array;
  y: Int32Array;
  /** Track index per segment (into `ProcessedData.files`). */
  track: Int32Array;
  /** One sample's shape. */
  sampleShape: [number, number, number];
}

/**
 * Reads and concatenates parts of a processed folder (default train and val, the original's
 * pool), from memory or from disk in chunks.
 *
 * @example
 * ```ts
 * import { poolParts } from "./kfold.ts";
 * import { loadProcessed } from "../prepare/processed.ts";
 * const data = await loadProcessed("data/processed/gtzan/random").catch(() => null);
 * const pool = data && await poolParts(data);
 * ```
 */
export async function poolParts(
  data: ProcessedData,
  parts: readonly ("train" | "val" | "test")[] = ["train", "val"],
): Promise<Pool> {
  const size = sampleSize(data.sampleShape);
  const n = parts.reduce((a, p) => a + data.parts[p].y.length, 0);
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  const track = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    const part = data.parts[p];
    for (let lo = 0; lo < part.y.length; lo += 256) {
      const idx = range(lo, Math.min(part.y.length, lo + 256));
      const r = await part.source.read(idx);
      x.set(r.x, (at + lo) * size);
    }
    y.set(part.y, at);
    track.set(part.track, at);
    at += part.y.length;
  }
  return { x, y, track, sampleShape: data.sampleShape };
}

/** Which pooled segments a fold trains on, validates on (early stopping) and scores. */
export interface FoldPlan {
  /** 1-based fold number. */
  fold: number;
  /** Segments the model is trained on. */
  train: number[];
  /** Segments that drive early stopping and the best epoch (inner validation, or `test`). */
  val: number[];
  /** The held-out fold's segments, scored once with the best checkpoint. */
  test: number[];
}

/** Options of {@linkcode planFolds}. */
export interface PlanOptions {
  protocol: KFoldProtocol;
  /** Number of folds (default 5). */
  k?: number;
  /** Seed of the fold assignment and the inner validation draw (default 42). */
  seed?: number;
  /**
   * `grouped` only: fraction of each fold's training tracks held back for early stopping and the
   * choice of epoch (default 0.1): one fold of a {@linkcode stratifiedGroupKFold} with
   * `round(1 / innerVal)` folds over the training tracks. 0 selects on the held-out fold itself
   * (optimistic: the reported score then picked its own epoch).
   */
  innerVal?: number;
}

/**
 * The folds of a pool. `grouped`: {@linkcode stratifiedGroupKFold} over tracks, plus an inner
 * validation draw of whole tracks; `seed-leaky`: {@linkcode stratifiedKFold} over segments, the
 * held-out fold also validating.
 *
 * @example
 * ```ts
 * import { planFolds } from "./kfold.ts";
 * const track = Int32Array.from({ length: 40 }, (_, i) => Math.floor(i / 2));
 * const y = Int32Array.from(track, (t) => t % 2);
 * const plans = planFolds({ y, track }, { protocol: "grouped", k: 5, innerVal: 0.25 });
 * plans[0]!.test.length; // 8
 * ```
 */
export function planFolds(
  pool: Pick<Pool, "y" | "track">,
  options: PlanOptions,
): FoldPlan[] {
  const k = options.k ?? 5;
  const seed = options.seed ?? 42;
  if (options.protocol === "seed-leaky") {
    return stratifiedKFold(pool.y, k, { seed }).map((f, i) => ({
      fold: i + 1,
      train: f.train,
      val: f.test,
      test: f.test,
    }));
  }
  const innerVal = options.innerVal ?? 0.1;
  if (!(innerVal >= 0 && innerVal <= 0.5)) {
    throw new RangeError(`inner validation fraction must be in [0, 0.5], got ${innerVal}`);
  }
  const folds = stratifiedGroupKFold(pool.y, pool.track, k, { seed });
  return folds.map((f, i) => {
    if (innerVal === 0) return { fold: i + 1, train: f.train, val: f.test, test: f.test };
    // One fold of a StratifiedGroupKFold over the training segments with round(1 / innerVal)
    // folds: whole tracks, genre shares kept across the set even when a genre has few tracks.
    const sub = { y: f.train.map((s) => pool.y[s]!), track: f.train.map((s) => pool.track[s]!) };
    const innerK = Math.max(2, Math.round(1 / innerVal));
    const tracks = new Set(sub.track).size;
    if (innerK > tracks) {
      throw new RangeError(
        `fold ${i + 1}: an inner validation fraction of ${innerVal} needs ${innerK} or more ` +
          `training tracks, there are ${tracks}; raise it, or use 0 to select on the held-out fold`,
      );
    }
    const inner = stratifiedGroupKFold(sub.y, sub.track, innerK, {
      seed: new Rng(seed).derive(`inner-val-fold${i + 1}`).nextUint32(),
    })[0]!;
    const held = new Set(inner.test.map((j) => sub.track[j]!));
    return {
      fold: i + 1,
      train: f.train.filter((s) => !held.has(pool.track[s]!)),
      val: f.train.filter((s) => held.has(pool.track[s]!)),
      test: f.test,
    };
  });
}

/**
 * Fits a scaler of `like`'s kind and shape on the `rows` of `unscaled` (whole examples of
 * `like.rowSize` values each).
 *
 * @example
 * ```ts
 * import { fitScaler } from "../features/scaler.ts";
 * import { fitFoldScaler } from "./kfold.ts";
 * const x = new Float32Array([1, 2, 3, 4, 5, 6]); // three 1×2 examples
 * const base = fitScaler("per-position", [1, 2], x);
 * fitFoldScaler(base, x, [0, 2]).mean; // Float64Array [3, 4]
 * ```
 */
export function fitFoldScaler(
  like: Scaler,
  unscaled: Float32Array,
  rows: readonly number[],
): Scaler {
  const fitter = new ScalerFitter(like.kind, like.featureShape);
  const D = like.rowSize;
  for (const r of rows) fitter.add(unscaled.subarray(r * D, (r + 1) * D));
  return fitter.finish();
}

/**
 * A fold as a {@linkcode ProcessedData} for {@linkcode runExperiment}: train, val and test are
 * views (no copies) of `x`, the pooled segments scaled with `scaler`.
 */
export function foldProcessed(
  data: ProcessedData,
  pool: Pool,
  x: Float32Array,
  plan: FoldPlan,
  scaler: Scaler,
): ProcessedData {
  const all = arraySource(x, pool.y, [...pool.sampleShape], data.labels.length);
  const part = (idx: number[]): ProcessedPart => ({
    source: subsetSource(all, idx),
    y: Int32Array.from(idx, (i) => pool.y[i]!),
    track: Int32Array.from(idx, (i) => pool.track[i]!),
    x: null,
  });
  const parts = { train: part(plan.train), val: part(plan.val), test: part(plan.test) };
  return { ...data, scaler, parts, close: () => {} };
}

/** Options of {@linkcode runKFold}. */
export interface KFoldOptions extends
  Pick<
    RunOptions,
    "epochs" | "patience" | "microBatch" | "resume" | "signal" | "latencyRuns" | "verbose"
  >,
  PlanOptions {
  /** The processed GTZAN split; its train and val parts are pooled. */
  data: ProcessedData;
  /** Model (default the recipe's first). */
  model?: ModelName;
  recipe: Readonly<TrainRecipe>;
  /**
   * Folder for the fold bundles (`<modelsDir>/…_fold<N>/`, each with its own scaler; their
   * `evaluation.json` scores a held-out fold, not a test split, and `predict` never picks them).
   * The script passes this configuration's folder (`models/kfold-<protocol>-…/`).
   */
  modelsDir: string;
  /**
   * Folder for the two CSVs, `run_kfold.json` and the per-fold logs, predictions and results
   * (`runs/`). The script passes this configuration's folder (`reports/kfold-<protocol>-…/`,
   * `run_folder.ts`), so the protocols never replace each other's results.
   */
  reportsDir: string;
  /**
   * How the pooled segments were drawn from the processed parts, recorded in `run_kfold.json`
   * (default: every segment of the train and val parts; `--quick` describes its subset).
   */
  poolRule?: string;
  /** Extra metadata for `run_kfold.json`. */
  meta?: Record<string, unknown>;
}

/** What {@linkcode runKFold} returns. */
export interface KFoldResult {
  rows: FoldRow[];
  summary: KFoldSummaryRow[];
  interrupted: boolean;
  files: string[];
  /** Whether the data is the canonical dataset, in one line (from its manifest). */
  dataLine: string;
}

/**
 * Runs the k-fold protocol and writes `kfold_cv_unet_gtzan.csv` (summary),
 * `kfold_cv_unet_gtzan_folds.csv` (one row per fold) and `run_kfold.json` into `reportsDir`, with
 * the per-fold logs, predictions and results. `run_kfold.json` records the pool (its rule and
 * every pooled track by file path) and, per fold, the training, inner-validation and held-out
 * tracks by file path.
 *
 * @example
 * ```ts
 * import { runKFold } from "./kfold.ts";
 * import { loadProcessed } from "../prepare/processed.ts";
 * import { KFOLD_RECIPE } from "./recipes.ts";
 * const data = await loadProcessed("data/processed/gtzan/random").catch(() => null);
 * if (data) {
 *   await runKFold({
 *     data, recipe: KFOLD_RECIPE, protocol: "grouped", modelsDir: "models",
 *     reportsDir: "reports", epochs: 1,
 *   });
 * }
 * ```
 */
export async function runKFold(opts: KFoldOptions): Promise<KFoldResult> {
  const { data, recipe, protocol } = opts;
  const model = opts.model ?? recipe.models[0]!;
  const k = opts.k ?? 5;
  const seed = opts.seed ?? 42;
  const innerVal = protocol === "grouped" ? opts.innerVal ?? 0.1 : 0;
  const verbose = opts.verbose ?? true;
  const say = verbose ? log : () => {};
  const started = new Date().toISOString();
  const pool = await poolParts(data);
  const plans = planFolds(pool, { protocol, k, seed, innerVal });
  const note = protocol === "seed-leaky" ? LEAKY_NOTE : GROUPED_NOTE;
  say(
    `k-fold (${protocol}): ${k} folds over ${pool.y.length} segments of ` +
      `${new Set(pool.track).size} tracks (train + val of ${data.dir}); ${note}`,
  );
  // grouped: back to unscaled values once (in place: pool.x then holds them); each fold fits and
  // applies its own scaler.
  const unscaled = protocol === "grouped" ? data.scaler.invert(pool.x, pool.x) : null;
  const rows: FoldRow[] = [];
  let interrupted = false;
  const foldReports = opts.reportsDir;
  for (const plan of plans) {
    if (opts.signal?.aborted) {
      interrupted = true;
      break;
    }
    let scaler = data.scaler;
    let x = pool.x;
    let scalerText = `processed folder's (fitted on the split's ${data.scaler.count} training ` +
      `segments, applied to train and val alike)`;
    if (unscaled) {
      scaler = fitFoldScaler(data.scaler, unscaled, plan.train);
      x = scaler.apply(unscaled);
      scalerText = `re-fitted on this fold's ${plan.train.length} training segments`;
    }
    const foldData = foldProcessed(data, pool, x, plan, scaler);
    say(`== fold ${plan.fold}/${k} (${protocol}) ==`);
    const r: RunResult = await runExperiment({
      data: foldData,
      model,
      tag: protocol === "grouped" ? "KFOLD_GROUPED" : "KFOLD_SEED_LEAKY",
      suffix: `_fold${plan.fold}`,
      seed,
      recipe,
      augment: false,
      modelsDir: opts.modelsDir,
      reportsDir: foldReports,
      split: `kfold-${protocol}-fold${plan.fold}`,
      ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
      ...(opts.patience !== undefined ? { patience: opts.patience } : {}),
      ...(opts.microBatch !== undefined ? { microBatch: opts.microBatch } : {}),
      ...(opts.resume !== undefined ? { resume: opts.resume } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      latencyRuns: opts.latencyRuns ?? 0,
      verbose,
    });
    if (r.interrupted) {
      interrupted = true;
      break;
    }
    const tracksOf = (idx: number[]): Set<number> => new Set(idx.map((i) => pool.track[i]!));
    const trainTracks = tracksOf(plan.train);
    const testTracks = tracksOf(plan.test);
    const selection = plan.val === plan.test ? "held-out" : "inner-val";
    const row: FoldRow = {
      Fold: plan.fold,
      Protocol: protocol,
      Train_Tracks: trainTracks.size,
      Val_Tracks: testTracks.size,
      Train_Segments: plan.train.length,
      Val_Segments: plan.test.length,
      // seed-leaky: the original's number, max(history.val_accuracy); the best checkpoint's test
      // score is the same epoch's (restore_best_weights).
      Val_Accuracy: protocol === "seed-leaky" ? r.Best_Val_Accuracy : r.Test_Accuracy,
      Val_Track_Accuracy: r.Test_Track_Accuracy,
      Best_Epoch: r.Best_Epoch,
      Epochs: r.Epochs,
      Train_Seconds: r.Train_Seconds,
      Tracks_In_Both: [...testTracks].filter((t) => trainTracks.has(t)).length,
      Selection: selection,
      Inner_Val_Tracks: selection === "inner-val" ? tracksOf(plan.val).size : 0,
      Inner_Val_Segments: selection === "inner-val" ? plan.val.length : 0,
      Best_Inner_Val_Accuracy: selection === "inner-val" ? r.Best_Val_Accuracy : NaN,
      Scaler: scalerText,
      Seed: seed,
      Note: note,
    };
    rows.push(row);
    say(formatFold(row));
  }
  const summary = kfoldSummary(rows, model, protocol);
  const files = await writeKFoldReports(opts.reportsDir, rows, summary);
  const plan = (segments: number[]): number[] => tracksOf(segments.map((i) => pool.track[i]!));
  const filesOf = (tracks: number[]): string[] => tracks.map((t) => data.files[t] ?? `#${t}`);
  const labelOf = new Map<number, number>();
  pool.track.forEach((t, i) => labelOf.set(t, pool.y[i]!));
  const runJson = join(opts.reportsDir, "run_kfold.json");
  await writeJsonAtomic(runJson, {
    experiment: "kfold",
    protocol,
    note,
    started,
    finished: new Date().toISOString(),
    interrupted,
    k,
    seed,
    inner_val_fraction: innerVal,
    model,
    recipe,
    epochs_override: opts.epochs ?? null,
    patience_override: opts.patience ?? null,
    scaler: protocol === "grouped"
      ? "per fold: fitted on the fold's training segments (unscaled with the folder's scaler " +
        "first; float32 rounding of the round trip ≤ a few ulps)"
      : "the processed folder's, fitted on the split's training part only",
    pool: {
      parts: ["train", "val"],
      rule: opts.poolRule ?? `every segment of the train and val parts of ${data.dir}`,
      segments: pool.y.length,
      tracks: [...labelOf].sort((a, b) => a[0] - b[0]).map(([t, y]) => ({
        index: t,
        file: data.files[t] ?? null,
        label: data.labels[y] ?? null,
      })),
    },
    folds: plans.map((p) => ({
      fold: p.fold,
      train_tracks: filesOf(plan(p.train)),
      inner_val_tracks: p.val === p.test ? [] : filesOf(plan(p.val)),
      held_out_tracks: filesOf(plan(p.test)),
      held_out_track_indices: plan(p.test),
      inner_val_track_indices: p.val === p.test ? [] : plan(p.val),
      train_segments: p.train.length,
      inner_val_segments: p.val === p.test ? 0 : p.val.length,
      held_out_segments: p.test.length,
    })),
    rows,
    summary,
    data: {
      dir: data.dir,
      dataset: data.manifest.dataset,
      split: data.manifest.split,
      pooled_parts: ["train", "val"],
      manifest_sha256: data.manifestSha256,
      verification: manifestVerification(data.manifest),
    },
    backend: backendInfo(),
    versions: { deno: Deno.version.deno, v8: Deno.version.v8, tfjs: "4.22.0" },
    ...opts.meta,
  });
  files.push(runJson);
  return { rows, summary, interrupted, files, dataLine: manifestVerification(data.manifest).line };
}

/** The distinct track indices of `track`, ascending. */
function tracksOf(track: ArrayLike<number>): number[] {
  return [...new Set(Array.from(track))].sort((a, b) => a - b);
}
