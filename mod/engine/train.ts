/**
 * The training loop: seeded, resumable, memory-flat mini-batch training of any `tf.LayersModel`
 * whose output is a softmax over classes, with Keras semantics for the optimizer, the loss and the
 * callbacks. The batches themselves (order, micro-batches, one step) are in `batches.ts`; the
 * validation pass is `evaluate.ts`; Ctrl-C handling is `interrupt.ts`.
 *
 * One step: gather the batch's rows from a {@linkcode SampleSource} (never the whole dataset as a
 * tensor), optionally augment it in place, run it forward with `training: true` (BatchNormalization
 * uses batch statistics and updates its moving averages; Dropout is active), take the gradients of
 * the batch loss, clip, and apply one Adam/AdamW update.
 *
 * Reproducibility: every random choice is a function of (seed, epoch, step): the epoch's shuffle
 * ({@linkcode epochOrder}), the augmentation stream, and the Dropout masks (each Dropout layer's
 * `seed` is set for every step, since tfjs reuses one mask when the seed is fixed and uses
 * `Math.random` when it is not). So a run resumed from a checkpoint, even one saved in the
 * middle of an epoch, ends with the same weights as an uninterrupted run.
 *
 * Micro-batches bound the memory of one forward/backward pass (the wasm heap is 4 GB). A batch
 * split into micro-batches runs layer-major (`_layer_major.ts`): every BatchNormalization uses
 * whole-batch statistics forward and backward and updates its moving averages once per batch, and
 * Dropout draws one whole-batch mask, so the step equals the whole-batch step up to float32
 * summation order whatever the micro-batch size.
 *
 * @module
 */
import { tf } from "./backend.ts";
import { tensorFootprint, webGpuMicroBatch, webGpuSetup } from "./_webgpu.ts";
import { batchRanges, readLabels, sampleSize, type SampleSource } from "../prepare/samples.ts";
import { dropoutLayers, epochOrder, type QueuedStep, queueTrainStep } from "./batches.ts";
import type { Callback, EpochLogs, TrainingContext } from "./callbacks.ts";
import { metricDirection } from "./callbacks.ts";
import { type EvalResult, evaluate } from "./evaluate.ts";
import {
  getWeightArrays,
  hasCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  setWeightArrays,
} from "./checkpoint.ts";
import { writeFileAtomic } from "../fs.ts";
import { balancedClassWeights, countCorrect, type LossOptions } from "./loss.ts";
import { Adam, type LrSchedule } from "./optim.ts";
import { formatSeconds, log, Progress } from "../progress.ts";
import { Rng } from "../rng.ts";
import { Interrupted, nextTurn, whileSaving } from "../interrupt.ts";
import { interruptibleSource } from "./interrupt.ts";

/** Optimizer settings (Keras names and defaults). */
export interface OptimizerConfig {
  /** "adam", or "adamw" (Adam with decoupled weight decay, default 0.004 as Keras). */
  kind: "adam" | "adamw";
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7. */
  epsilon?: number;
  /** Decoupled weight decay (`θ -= lr·wd·θ`); default 0 for "adam", 0.004 for "adamw". */
  weightDecay?: number;
  /** Keras `clipnorm`: each gradient tensor clipped to this norm on its own. */
  clipnorm?: number;
  /** Keras `global_clipnorm`: all gradients clipped jointly. */
  globalClipnorm?: number;
}

/** Progress of one training step, for {@linkcode TrainConfig.onBatchEnd}. */
export interface BatchInfo {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based step within the epoch. */
  step: number;
  /** Steps in the epoch. */
  steps: number;
  /** Loss of this batch. */
  loss: number;
}

/** Training settings. */
export interface TrainConfig {
  /** Total epochs (a resumed run continues up to this). */
  epochs: number;
  /** Samples per optimizer step. */
  batchSize: number;
  /**
   * Largest number of samples in one forward/backward pass (default: the whole batch; on WebGPU
   * the whole batch when its largest tensor fits the adapter's `maxStorageBufferBindingSize`,
   * else the fewest equal micro-batches that fit). A split batch runs layer-major, so the update
   * is the whole-batch update (BatchNormalization statistics over the whole batch) up to float32
   * summation order.
   * On WebGPU a micro-batch whose tensors cannot fit the adapter's limits is refused with a
   * `WebGpuDeviceError` (it would compute zeros).
   */
  microBatch?: number;
  /** Default Adam with Keras defaults. */
  optimizer?: OptimizerConfig;
  /** Learning-rate schedule over optimizer steps (then ReduceLROnPlateau cannot be used). */
  lrSchedule?: LrSchedule;
  /** Keras `label_smoothing` of the cross-entropy (training and validation loss). */
  labelSmoothing?: number;
  /** Per-class loss weights for training, or "balanced" (`n / (C · count[c])`). */
  classWeights?: readonly number[] | "balanced";
  /** Seed of the shuffle, augmentation and Dropout streams. */
  seed: number;
  /** In-place augmentation of a training batch of `n` samples (never applied to validation). */
  augment?: (x: Float32Array, n: number, rng: Rng) => void;
  /** Callbacks, called in order after each epoch. */
  callbacks?: Callback[];
  /** Also compute top-3 accuracy (`top3_accuracy`, `val_top3_accuracy`). */
  top3?: boolean;
  /** Metric that picks {@linkcode TrainResult.bestEpoch} (default val_accuracy, or accuracy). */
  monitor?: string;
  /** Batch size for validation (default `batchSize`). */
  evalBatchSize?: number;
  /**
   * Folder of the resumable checkpoint (model, optimizer, trainer and callback state), rewritten
   * atomically after every epoch and when interrupted.
   */
  checkpointDir?: string;
  /** Continue from `checkpointDir` when it holds a checkpoint. */
  resume?: boolean;
  /** CSV file rewritten (atomically) after every epoch with the history. */
  logCsv?: string;
  /**
   * When aborted, the batch in flight finishes (the loop lets signals in after every batch and
   * before every validation batch), the checkpoint is saved (mid-epoch: epoch, step, the epoch's
   * sample order, optimizer and callback state) and `train` returns `interrupted: true`.
   */
  signal?: AbortSignal;
  /** Label for progress lines (e.g. the model name). */
  label?: string;
  /** Progress and epoch lines on stderr (default true). */
  verbose?: boolean;
  /** Called after every step. */
  onBatchEnd?: (info: BatchInfo) => void;
  /** Called after every epoch with its row. */
  onEpochEnd?: (row: EpochRow) => void;
}

/** One row of the history and of the CSV log. */
export interface EpochRow {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's batches (training mode, class weights applied). */
  loss: number;
  /** Training accuracy over the epoch (training-mode predictions). */
  accuracy: number;
  top3_accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
  val_top3_accuracy?: number;
  /** Learning rate at the end of the epoch, before callbacks change it. */
  lr: number;
  /** Wall time of the epoch (training + validation). */
  seconds: number;
  /** Training throughput. */
  samples_per_s: number;
}

/** What {@linkcode train} returns. */
export interface TrainResult {
  /** One row per epoch run (including epochs before a resume). */
  history: EpochRow[];
  /** Metric used for `bestEpoch`. */
  monitor: string;
  /** 1-based epoch with the best `monitor` value (0 when no epoch ran). */
  bestEpoch: number;
  /** The best value. */
  bestValue: number;
  /** True when a callback stopped training before `epochs`. */
  stoppedEarly: boolean;
  /** True when `signal` aborted the run (the checkpoint holds the state). */
  interrupted: boolean;
  /** Training seconds summed over epochs (including epochs before a resume). */
  seconds: number;
}

interface Partial {
  lossSum: number;
  seen: number;
  top1: number;
  topK: number;
  seconds: number;
}

interface TrainerState {
  fingerprint: { samples: number; batchSize: number; microBatch: number; seed: number };
  /** Next epoch to run (0-based). */
  epoch: number;
  /** Next step within `epoch` (the epoch's step count: its batches are done, validation is not). */
  step: number;
  /** Sample order of `epoch` when saved mid-epoch (it is a function of seed and epoch). */
  order?: number[];
  /** Training ended (by the epoch limit or a callback). */
  finished: boolean;
  stoppedEarly: boolean;
  partial: Partial;
  history: EpochRow[];
  callbacks: { json: unknown; arrays: number }[];
}

/**
 * Trains `model` on `trainSrc`, validating on `valSrc` after every epoch.
 *
 * @example Adam, early stopping on validation accuracy, best model saved
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { arraySource } from "../prepare/samples.ts";
 * import { EarlyStopping } from "./callbacks.ts";
 * import { train } from "./train.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ units: 2, activation: "softmax", inputShape: [4] })],
 * });
 * const src = arraySource(new Float32Array(8 * 4), new Int32Array(8), [4], 2);
 * const result = await train(model, src, src, {
 *   epochs: 2,
 *   batchSize: 4,
 *   seed: 42,
 *   verbose: false,
 *   callbacks: [new EarlyStopping({ monitor: "val_accuracy", patience: 5 })],
 * });
 * console.log(result.history.length); // 2
 * model.dispose();
 * ```
 */
export async function train(
  model: tf.LayersModel,
  trainSrc: SampleSource,
  valSrc: SampleSource | null,
  config: TrainConfig,
): Promise<TrainResult> {
  const n = trainSrc.length;
  const numClasses = trainSrc.numClasses;
  const batchSize = config.batchSize;
  if (n === 0) throw new RangeError("train: the training set is empty");
  for (
    const [k, v] of Object.entries({
      epochs: config.epochs,
      batchSize,
      microBatch: config.microBatch ?? batchSize,
    })
  ) {
    if (!Number.isInteger(v) || v < (k === "epochs" ? 0 : 1)) {
      throw new RangeError(
        `train: ${k} must be a ${k === "epochs" ? "non-negative" : "positive"} integer, got ${v}`,
      );
    }
  }
  if (valSrc && valSrc.numClasses !== numClasses) {
    throw new RangeError(`train: ${valSrc.numClasses} validation classes, ${numClasses} training`);
  }
  checkOutput(model, numClasses);
  const verbose = config.verbose ?? true;
  const microBatch = resolveMicroBatch(model, batchSize, config.microBatch, verbose);
  const callbacks = config.callbacks ?? [];
  const monitor = config.monitor ?? (valSrc ? "val_accuracy" : "accuracy");

  const classWeights = config.classWeights === "balanced"
    ? balancedClassWeights(await readLabels(trainSrc), numClasses)
    : config.classWeights;
  if (classWeights && classWeights.length !== numClasses) {
    throw new RangeError(`train: ${classWeights.length} class weights for ${numClasses} classes`);
  }
  const lossOptions: LossOptions = { labelSmoothing: config.labelSmoothing, classWeights };

  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = makeOptimizer(vars, config);
  const dropouts = dropoutLayers(model);
  const savedSeeds = dropouts.map((d) => d.seed);

  const ctx: TrainingContext = {
    model,
    get learningRate(): number {
      return opt.learningRate;
    },
    set learningRate(lr: number) {
      opt.learningRate = lr;
    },
    stopTraining: false,
    getWeights: () => getWeightArrays(model),
    setWeights: (w) => setWeightArrays(model, w),
  };
  for (const cb of callbacks) await cb.onTrainBegin?.(ctx);

  const fingerprint = { samples: n, batchSize, microBatch, seed: config.seed };
  let state: TrainerState = {
    fingerprint,
    epoch: 0,
    step: 0,
    finished: false,
    stoppedEarly: false,
    partial: emptyPartial(),
    history: [],
    callbacks: [],
  };
  if (config.resume && config.checkpointDir && await hasCheckpoint(config.checkpointDir)) {
    state = await restore(config.checkpointDir, model, opt, callbacks, fingerprint);
    if (verbose) {
      log(`resuming ${config.checkpointDir}: epoch ${state.epoch + 1}, step ${state.step}`);
    }
  }

  const save = async (): Promise<void> => {
    if (!config.checkpointDir) return;
    const dir = config.checkpointDir;
    const arrays: Record<string, Float32Array> = {};
    state.callbacks = callbacks.map((cb, i) => {
      const s = cb.getState?.() ?? { json: null };
      (s.arrays ?? []).forEach((a, j) => (arrays[`callback/${i}/${j}`] = a));
      return { json: s.json, arrays: s.arrays?.length ?? 0 };
    });
    await whileSaving(
      dir,
      async () =>
        await saveCheckpoint(dir, model, { state, optimizer: await opt.getState(), arrays }),
    );
  };
  // Ctrl-C: save where the loop stands and say where (the script prints how to resume).
  const saveInterrupted = async (epoch: number, steps: number): Promise<TrainResult> => {
    await save();
    if (verbose) {
      const at = `epoch ${epoch + 1}, step ${state.step} of ${steps}` +
        (state.step === steps ? " (validation runs on resume)" : "");
      log(
        config.checkpointDir
          ? `interrupted: state saved in ${config.checkpointDir} at ${at}`
          : `interrupted at ${at}: no checkpoint folder, nothing saved`,
      );
    }
    return result(true);
  };
  const result = (interrupted: boolean): TrainResult =>
    summarise(state.history, monitor, state.stoppedEarly, interrupted);

  try {
    const ranges = batchRanges(n, batchSize);
    const size = sampleSize(trainSrc.sampleShape);
    const canExtend = !state.stoppedEarly;
    const guardedVal = valSrc && config.signal
      ? interruptibleSource(valSrc, config.signal, "interrupted during validation")
      : valSrc;
    for (let epoch = state.epoch; epoch < config.epochs && canExtend; epoch++) {
      const order = state.order?.length === n ? state.order : epochOrder(n, config.seed, epoch);
      state.order = order;
      const p = state.partial;
      const progress = new Progress(
        `${config.label ? config.label + " " : ""}epoch ${epoch + 1}/${config.epochs}` +
          (p.seen > 0 ? ` (resumed at sample ${p.seen})` : ""),
        n - p.seen,
        { unit: "samples", ...(verbose ? {} : { write: null }) },
      );
      let t0 = performance.now();
      // The step queued on the device and not read back yet. On WebGPU the next batch is read,
      // augmented and queued before this one is read back, so that the GPU works while
      // JavaScript issues the next step's kernels; elsewhere kernels run as they are issued and
      // each step is read back at once. Either way a step is counted (and Ctrl-C saves) only
      // once it has been read back.
      let pending: { queued: QueuedStep; step: number; n: number; y: Int32Array } | null = null;
      const lookahead = tf.getBackend() === "webgpu";
      const finish = async (): Promise<void> => {
        const { queued, step, n: m, y } = pending!;
        pending = null;
        const out = await queued.read();
        const c = countCorrect(out.probs, y, numClasses, 3);
        p.lossSum += out.loss * m;
        p.seen += m;
        p.top1 += c.top1;
        p.topK += c.topK;
        progress.tick(
          m,
          `batch ${step + 1}/${ranges.length} loss ${(p.lossSum / p.seen).toFixed(4)} acc ${
            (p.top1 / p.seen).toFixed(4)
          }`,
        );
        config.onBatchEnd?.({ epoch, step, steps: ranges.length, loss: out.loss });
        state.step = step + 1;
      };
      for (let step = state.step; step < ranges.length; step++) {
        const [a, b] = ranges[step]!;
        const { x, y } = await trainSrc.read(order.slice(a, b));
        if (x.length !== (b - a) * size) {
          throw new RangeError(`train: source returned ${x.length} floats for ${b - a} samples`);
        }
        if (config.augment) {
          config.augment(x, b - a, new Rng(config.seed).derive(`augment-${epoch}-${step}`));
        }
        const queued = queueTrainStep(model, vars, opt, {
          x,
          y,
          sampleShape: trainSrc.sampleShape,
          numClasses,
          microBatch,
          lossOptions,
          dropouts,
          seedFor: (micro, layer) =>
            new Rng(config.seed).derive(`dropout-${epoch}-${step}-${micro}-${layer}`).nextUint32(),
        });
        // Put the layers' own seeds back, so that saved model.json files do not carry step seeds.
        dropouts.forEach((d, i) => (d.seed = savedSeeds[i]));
        if (pending !== null) await finish();
        pending = { queued, step, n: b - a, y };
        if (!lookahead) await finish();
        // One real turn of the event loop: a Ctrl-C pressed during the step reaches its listener
        // before the next step starts (the check below then saves and returns).
        await nextTurn();
        if (config.signal?.aborted) {
          if (pending !== null) await finish();
          p.seconds += (performance.now() - t0) / 1000;
          t0 = performance.now();
          return await saveInterrupted(epoch, ranges.length);
        }
      }
      if (pending !== null) await finish();
      const trainSeconds = p.seconds + (performance.now() - t0) / 1000;
      const row: EpochRow = {
        epoch: epoch + 1,
        loss: p.lossSum / p.seen,
        accuracy: p.top1 / p.seen,
        ...(config.top3 ? { top3_accuracy: p.topK / p.seen } : {}),
        lr: opt.currentLearningRate(),
        seconds: 0,
        samples_per_s: p.seen / Math.max(trainSeconds, 1e-9),
      };
      if (guardedVal) {
        let v: EvalResult;
        try {
          v = await evaluate(model, guardedVal, {
            batchSize: config.evalBatchSize ?? batchSize,
            labelSmoothing: config.labelSmoothing,
          });
        } catch (e) {
          if (!(e instanceof Interrupted)) throw e;
          p.seconds = trainSeconds;
          return await saveInterrupted(epoch, ranges.length);
        }
        row.val_loss = v.loss;
        row.val_accuracy = v.accuracy;
        if (config.top3) row.val_top3_accuracy = v.top3Accuracy;
      }
      row.seconds = p.seconds + (performance.now() - t0) / 1000;
      progress.done(
        `loss ${row.loss.toFixed(4)} acc ${row.accuracy.toFixed(4)}` +
          (valSrc
            ? ` val_loss ${row.val_loss!.toFixed(4)} val_acc ${row.val_accuracy!.toFixed(4)}`
            : "") +
          ` lr ${row.lr.toPrecision(3)}`,
      );
      const logs: EpochLogs = { ...(row as unknown as EpochLogs) };
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, ctx);
      state.history.push(row);
      config.onEpochEnd?.(row);
      state.epoch = epoch + 1;
      state.step = 0;
      state.order = undefined;
      state.partial = emptyPartial();
      if (ctx.stopTraining) state.stoppedEarly = true;
      if (config.logCsv) await writeFileAtomic(config.logCsv, historyCsv(state.history));
      await save();
      if (ctx.stopTraining) {
        if (verbose) log(`early stop after epoch ${epoch + 1}`);
        break;
      }
      if (config.signal?.aborted && epoch + 1 < config.epochs) {
        if (verbose) log(`interrupted: state saved after epoch ${epoch + 1}`);
        return result(true);
      }
    }
    state.finished = true;
    for (const cb of callbacks) await cb.onTrainEnd?.(ctx);
    const r = result(false);
    if (verbose && r.history.length > 0) {
      log(
        `trained ${r.history.length} epochs in ${formatSeconds(r.seconds)}; best ${monitor} ` +
          `${r.bestValue.toFixed(4)} at epoch ${r.bestEpoch}`,
      );
    }
    return r;
  } finally {
    dropouts.forEach((d, i) => (d.seed = savedSeeds[i]));
    opt.dispose();
  }
}

/** The micro-batch: as configured, bounded by the WebGPU adapter's binding limit on WebGPU. */
function resolveMicroBatch(
  model: tf.LayersModel,
  batchSize: number,
  requested: number | undefined,
  verbose: boolean,
): number {
  const gpu = webGpuSetup();
  const limit = gpu?.limits.maxStorageBufferBindingSize;
  if (tf.getBackend() !== "webgpu" || limit === undefined) {
    return Math.min(requested ?? batchSize, batchSize);
  }
  const mb = webGpuMicroBatch(tensorFootprint(model), batchSize, limit, requested);
  if (mb < batchSize && requested === undefined && verbose) {
    log(
      `webgpu: batch ${batchSize} does not fit the adapter's ${limit / 2 ** 20} MiB binding ` +
        `limit; micro-batches of ${mb}, layer by layer (BatchNormalization statistics over the ` +
        `whole batch)`,
    );
  }
  return mb;
}

function emptyPartial(): Partial {
  return { lossSum: 0, seen: 0, top1: 0, topK: 0, seconds: 0 };
}

function makeOptimizer(vars: tf.Variable[], config: TrainConfig): Adam {
  const o = config.optimizer ?? { kind: "adam" };
  return new Adam(vars, {
    lr: o.lr,
    beta1: o.beta1,
    beta2: o.beta2,
    epsilon: o.epsilon,
    weightDecay: o.weightDecay ?? (o.kind === "adamw" ? 0.004 : 0),
    clipnorm: o.clipnorm,
    globalClipnorm: o.globalClipnorm,
    schedule: config.lrSchedule,
  });
}

async function restore(
  dir: string,
  model: tf.LayersModel,
  opt: Adam,
  callbacks: Callback[],
  fingerprint: TrainerState["fingerprint"],
): Promise<TrainerState> {
  const ckpt = await loadCheckpoint<TrainerState>(dir);
  const s = ckpt.state;
  for (const k of Object.keys(fingerprint) as (keyof typeof fingerprint)[]) {
    if (s.fingerprint[k] !== fingerprint[k]) {
      throw new Error(
        `${dir}: cannot resume: the checkpoint has ${k} ${s.fingerprint[k]}, this run ${
          fingerprint[k]
        }`,
      );
    }
  }
  if (s.callbacks.length !== callbacks.length) {
    throw new Error(
      `${dir}: cannot resume: the checkpoint has ${s.callbacks.length} callbacks, this run ${callbacks.length}`,
    );
  }
  setWeightArrays(model, ckpt.weights);
  opt.setState(ckpt.optimizer);
  callbacks.forEach((cb, i) => {
    const c = s.callbacks[i]!;
    const arrays = Array.from({ length: c.arrays }, (_, j) => ckpt.arrays[`callback/${i}/${j}`]!);
    cb.setState?.({ json: c.json, arrays });
  });
  return s;
}

function checkOutput(model: tf.LayersModel, numClasses: number): void {
  const shape = model.outputs[0]?.shape;
  if (model.outputs.length !== 1 || !shape || shape.length !== 2 || shape[1] !== numClasses) {
    throw new RangeError(
      `train: the model must have one output [batch, ${numClasses}], got ${JSON.stringify(shape)}`,
    );
  }
}

function summarise(
  history: EpochRow[],
  monitor: string,
  stoppedEarly: boolean,
  interrupted: boolean,
): TrainResult {
  const dir = metricDirection(monitor);
  let bestEpoch = 0;
  let bestValue = dir === "max" ? -Infinity : Infinity;
  for (const row of history) {
    const v = (row as unknown as Record<string, number | undefined>)[monitor];
    if (v === undefined) continue;
    if (dir === "max" ? v > bestValue : v < bestValue) {
      bestValue = v;
      bestEpoch = row.epoch;
    }
  }
  return {
    history,
    monitor,
    bestEpoch,
    bestValue,
    stoppedEarly,
    interrupted,
    seconds: history.reduce((s, r) => s + r.seconds, 0),
  };
}

const CSV_COLUMNS = [
  "epoch",
  "loss",
  "accuracy",
  "top3_accuracy",
  "val_loss",
  "val_accuracy",
  "val_top3_accuracy",
  "lr",
  "seconds",
  "samples_per_s",
] as const;

const BASE_ROW: EpochRow = { epoch: 0, loss: 0, accuracy: 0, lr: 0, seconds: 0, samples_per_s: 0 };

/**
 * The history as CSV: `epoch, loss, accuracy, [top3_accuracy,] [val_loss, val_accuracy,
 * [val_top3_accuracy,]] lr, seconds, samples_per_s` (columns present in the first row).
 *
 * @example
 * ```ts
 * import { historyCsv } from "./train.ts";
 * const csv = historyCsv([{ epoch: 1, loss: 1, accuracy: 0.5, lr: 1e-3, seconds: 2, samples_per_s: 9 }]);
 * console.log(csv.split("\n")[0]); // epoch,loss,accuracy,lr,seconds,samples_per_s
 * ```
 */
export function historyCsv(history: readonly EpochRow[]): string {
  const first = (history[0] ?? BASE_ROW) as unknown as Record<string, unknown>;
  const cols = CSV_COLUMNS.filter((c) => c in first);
  const lines = [cols.join(",")];
  for (const row of history) {
    const r = row as unknown as Record<string, number | undefined>;
    lines.push(cols.map((c) => (r[c] === undefined ? "" : String(r[c]))).join(","));
  }
  return lines.join("\n") + "\n";
}
