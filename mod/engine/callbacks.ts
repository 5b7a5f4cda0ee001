/**
 * Training callbacks with Keras 3 semantics: {@linkcode EarlyStopping},
 * {@linkcode ReduceLROnPlateau} and {@linkcode ModelCheckpoint} (best only). Each exposes its state
 * for checkpoints, so that a resumed run behaves as if it had never stopped.
 *
 * Epochs are 0-based here, as in Keras callbacks; logs and CSV files number them from 1.
 *
 * @module
 */
import type { tf } from "./backend.ts";
import { saveModelDir } from "./checkpoint.ts";

/** Metrics of one epoch: `loss`, `accuracy`, `top3_accuracy`, `val_loss`, `val_accuracy`, `lr`, …. */
export type EpochLogs = Record<string, number>;

/** What callbacks may read and change in a running training. */
export interface TrainingContext {
  /** The model being trained. */
  readonly model: tf.LayersModel;
  /** The optimizer's base learning rate (settable unless a schedule drives it). */
  learningRate: number;
  /** Set to true to stop after the current epoch. */
  stopTraining: boolean;
  /** Copies all model weights (trainable and not) out (an asynchronous read on every backend). */
  getWeights(): Promise<Float32Array[]>;
  /** Writes weights from {@linkcode TrainingContext.getWeights} back. */
  setWeights(weights: readonly Float32Array[]): void;
}

/** A callback's resumable state: JSON plus float32 arrays (e.g. best weights). */
export interface CallbackState {
  json: unknown;
  arrays?: Float32Array[];
}

/** Hooks called by the trainer. */
export interface Callback {
  /** Called once before the first epoch (also on resume, before the state is restored). */
  onTrainBegin?(ctx: TrainingContext): void | Promise<void>;
  /** Called after each epoch with its metrics (after validation). */
  onEpochEnd?(epoch: number, logs: EpochLogs, ctx: TrainingContext): void | Promise<void>;
  /** Called once after the last epoch (not when the run is interrupted). */
  onTrainEnd?(ctx: TrainingContext): void | Promise<void>;
  /** State to save in a checkpoint. */
  getState?(): CallbackState;
  /** Restores state from {@linkcode Callback.getState}. */
  setState?(state: CallbackState): void;
}

/** `"min"`, `"max"`, or `"auto"` (from the metric's name). */
export type Mode = "auto" | "min" | "max";

/**
 * Direction of a metric for `mode: "auto"` in {@linkcode EarlyStopping} (Keras 3: `loss` is
 * minimised, metrics that go "up", here accuracy and top-k accuracy, are maximised; anything else is
 * an error asking for an explicit mode).
 */
export function metricDirection(monitor: string): "min" | "max" {
  const name = monitor.replace(/^val_/, "");
  if (name === "loss") return "min";
  if (/^(acc|accuracy|top\d+_accuracy|top_k_categorical_accuracy|auc)$/.test(name)) return "max";
  throw new RangeError(
    `cannot tell whether ${monitor} should be maximised or minimised: pass mode "min" or "max"`,
  );
}

/** Options of {@linkcode EarlyStopping} (Keras names in camelCase, same defaults). */
export interface EarlyStoppingOptions {
  /** Default "val_loss". */
  monitor?: string;
  /** Smallest change that counts as an improvement (absolute; default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Default "auto". */
  mode?: Mode;
  /** Training stops unless this value is beaten (default none). */
  baseline?: number;
  /** At the end of training, set the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
  /** Epochs to wait before monitoring (default 0). */
  startFromEpoch?: number;
}

/**
 * Keras 3 `EarlyStopping`. After each epoch: `wait += 1`; if `current - minDelta` beats the best
 * (sign-adjusted), the best is updated and `wait = 0`; otherwise once `wait >= patience` (and
 * epoch > 0) training stops. With `restoreBestWeights`, the best epoch's weights are put back at
 * the end of training, whether or not it stopped early (Keras 3 behaviour; Keras 2 restored only
 * when stopping early).
 *
 * @example
 * ```ts
 * import { EarlyStopping } from "./callbacks.ts";
 * const es = new EarlyStopping({ monitor: "val_accuracy", patience: 25, restoreBestWeights: true });
 * ```
 */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly direction: "min" | "max";
  readonly minDelta: number;
  /** Epochs since the last improvement. */
  wait = 0;
  /** Epoch at which training was stopped (0 when it was not). */
  stoppedEpoch = 0;
  /** Best monitored value so far. */
  best: number;
  /** Epoch of the best value. */
  bestEpoch = 0;
  #bestWeights: Float32Array[] | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    this.monitor = options.monitor ?? "val_loss";
    this.patience = options.patience ?? 0;
    this.baseline = options.baseline;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.startFromEpoch = options.startFromEpoch ?? 0;
    const mode = options.mode ?? "auto";
    this.direction = mode === "auto" ? metricDirection(this.monitor) : mode;
    const d = Math.abs(options.minDelta ?? 0);
    this.minDelta = this.direction === "min" ? -d : d;
    this.best = this.direction === "min" ? Infinity : -Infinity;
  }

  #isImprovement(value: number, reference: number): boolean {
    const v = value - this.minDelta;
    return this.direction === "min" ? v < reference : v > reference;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.#bestWeights = null;
    this.bestEpoch = 0;
    this.best = this.direction === "min" ? Infinity : -Infinity;
  }

  async onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainingContext): Promise<void> {
    const current = logs[this.monitor];
    if (current === undefined || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.#bestWeights === null) {
      this.#bestWeights = await ctx.getWeights();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.#isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.#bestWeights = await ctx.getWeights();
      if (this.baseline === undefined || this.#isImprovement(current, this.baseline)) {
        this.wait = 0;
      }
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      ctx.stopTraining = true;
    }
  }

  onTrainEnd(ctx: TrainingContext): void {
    if (this.restoreBestWeights && this.#bestWeights !== null) ctx.setWeights(this.#bestWeights);
  }

  getState(): CallbackState {
    return {
      json: {
        wait: this.wait,
        stoppedEpoch: this.stoppedEpoch,
        best: encodeNumber(this.best),
        bestEpoch: this.bestEpoch,
        hasBestWeights: this.#bestWeights !== null,
      },
      arrays: this.#bestWeights ?? [],
    };
  }

  setState(state: CallbackState): void {
    const s = state.json as {
      wait: number;
      stoppedEpoch: number;
      best: number | string;
      bestEpoch: number;
      hasBestWeights: boolean;
    };
    this.wait = s.wait;
    this.stoppedEpoch = s.stoppedEpoch;
    this.best = decodeNumber(s.best);
    this.bestEpoch = s.bestEpoch;
    this.#bestWeights = s.hasBestWeights ? [...(state.arrays ?? [])] : null;
  }
}

/** Options of {@linkcode ReduceLROnPlateau} (Keras names in camelCase, same defaults). */
export interface ReduceLROnPlateauOptions {
  /** Default "val_loss". */
  monitor?: string;
  /** New rate = rate × factor (default 0.1; must be < 1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** Default "auto": maximise when the name contains "acc", else minimise. */
  mode?: Mode;
  /** Absolute improvement threshold (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the rate (default 0). */
  minLr?: number;
}

/**
 * Keras 3 `ReduceLROnPlateau`: an improvement is `current < best - minDelta` (min mode) or
 * `current > best + minDelta` (max mode); after `patience` epochs without one (outside cooldown),
 * the rate becomes `max(rate × factor, minLr)` if it is above `minLr`. The rate is rounded to
 * float32, as Keras stores it in a float32 variable.
 *
 * @example
 * ```ts
 * import { ReduceLROnPlateau } from "./callbacks.ts";
 * const rlr = new ReduceLROnPlateau({ monitor: "val_loss", factor: 0.2, patience: 8 });
 * ```
 */
export class ReduceLROnPlateau implements Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly direction: "min" | "max";
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  /** Epochs since the last improvement. */
  wait = 0;
  /** Remaining cooldown epochs. */
  cooldownCounter = 0;
  /** Best monitored value so far. */
  best: number;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    this.monitor = options.monitor ?? "val_loss";
    this.factor = options.factor ?? 0.1;
    if (!(this.factor < 1)) {
      throw new RangeError(`ReduceLROnPlateau: factor must be < 1, got ${this.factor}`);
    }
    this.patience = options.patience ?? 10;
    const mode = options.mode ?? "auto";
    this.direction = mode === "auto" ? (this.monitor.includes("acc") ? "max" : "min") : mode;
    this.minDelta = options.minDelta ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.minLr ?? 0;
    this.best = this.direction === "min" ? Infinity : -Infinity;
  }

  onTrainBegin(): void {
    this.best = this.direction === "min" ? Infinity : -Infinity;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  onEpochEnd(_epoch: number, logs: EpochLogs, ctx: TrainingContext): void {
    const current = logs[this.monitor];
    if (current === undefined) return;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    const better = this.direction === "min"
      ? current < this.best - this.minDelta
      : current > this.best + this.minDelta;
    if (better) {
      this.best = current;
      this.wait = 0;
    } else if (!(this.cooldownCounter > 0)) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const old = ctx.learningRate;
        if (old > Math.fround(this.minLr)) {
          ctx.learningRate = Math.fround(Math.max(old * this.factor, this.minLr));
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }

  getState(): CallbackState {
    return {
      json: {
        wait: this.wait,
        cooldownCounter: this.cooldownCounter,
        best: encodeNumber(this.best),
      },
    };
  }

  setState(state: CallbackState): void {
    const s = state.json as { wait: number; cooldownCounter: number; best: number | string };
    this.wait = s.wait;
    this.cooldownCounter = s.cooldownCounter;
    this.best = decodeNumber(s.best);
  }
}

/** Options of {@linkcode ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** Default "val_loss". */
  monitor?: string;
  /** Default "auto": maximise when the name contains "acc", else minimise (Keras). */
  mode?: Mode;
  /** Extra files written into the model folder at each save (e.g. `preprocessing.json`). */
  extraFiles?: Record<string, string | Uint8Array>;
  /** Called after each save with the epoch (0-based) and value. */
  onSave?: (epoch: number, value: number) => void;
}

/**
 * Keras `ModelCheckpoint(save_best_only=True)`: after each epoch whose monitored value strictly
 * beats the best so far, the model is saved (atomically) as a tfjs LayersModel folder at `dir`.
 *
 * @example
 * ```ts
 * import { ModelCheckpoint } from "./callbacks.ts";
 * const ckpt = new ModelCheckpoint("models/Efficient_VGG_best_WITH_AUG", { monitor: "val_accuracy" });
 * ```
 */
export class ModelCheckpoint implements Callback {
  readonly dir: string;
  readonly monitor: string;
  readonly direction: "min" | "max";
  /** Best monitored value so far (±Infinity before the first save). */
  best: number;
  /** Epoch of the last save (-1 before the first). */
  bestEpoch = -1;
  #options: ModelCheckpointOptions;

  constructor(dir: string, options: ModelCheckpointOptions = {}) {
    this.dir = dir;
    this.monitor = options.monitor ?? "val_loss";
    const mode = options.mode ?? "auto";
    this.direction = mode === "auto" ? (this.monitor.includes("acc") ? "max" : "min") : mode;
    this.best = this.direction === "min" ? Infinity : -Infinity;
    this.#options = options;
  }

  async onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainingContext): Promise<void> {
    const current = logs[this.monitor];
    if (current === undefined) return;
    const better = this.direction === "min" ? current < this.best : current > this.best;
    if (!better) return;
    this.best = current;
    this.bestEpoch = epoch;
    await saveModelDir(ctx.model, this.dir, { extraFiles: this.#options.extraFiles });
    this.#options.onSave?.(epoch, current);
  }

  getState(): CallbackState {
    return { json: { best: encodeNumber(this.best), bestEpoch: this.bestEpoch } };
  }

  setState(state: CallbackState): void {
    const s = state.json as { best: number | string; bestEpoch: number };
    this.best = decodeNumber(s.best);
    this.bestEpoch = s.bestEpoch;
  }
}

/** JSON cannot hold ±Infinity/NaN: encode them as strings. */
function encodeNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

function decodeNumber(x: number | string): number {
  return typeof x === "number" ? x : Number(x);
}
