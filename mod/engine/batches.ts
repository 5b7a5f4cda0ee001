/**
 * One epoch's batches: the seeded sample order ({@linkcode epochOrder}) and one optimizer step over
 * a batch ({@linkcode trainStep}): rows become tensors here, and the gradients of the whole batch
 * go into one update. A batch split into micro-batches (which bound the memory of one pass) runs
 * layer-major (`_layer_major.ts`): BatchNormalization normalises with whole-batch statistics, so
 * the step equals the whole-batch step up to float32 summation order, whatever the micro-batch.
 *
 * @module
 */
import { tf } from "./backend.ts";
import { throwIfWebGpuError } from "./_webgpu.ts";
import { crossEntropyTensor, type LossOptions } from "./loss.ts";
import { layerMajorStep } from "./_layer_major.ts";
import type { Adam } from "./optim.ts";
import { range, sampleSize } from "../prepare/samples.ts";
import { Rng } from "../rng.ts";

/**
 * The sample order of epoch `epoch` (0-based): a Fisher-Yates shuffle drawn from
 * `new Rng(seed).derive("epoch-<epoch>")`, so that it depends only on (seed, epoch) and a resumed
 * run reproduces it.
 *
 * @example
 * ```ts
 * import { epochOrder } from "./batches.ts";
 * console.log(epochOrder(5, 42, 0)); // a permutation of 0..4
 * ```
 */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  return new Rng(seed).derive(`epoch-${epoch}`).shuffle(range(0, n));
}

/** The inputs of one {@linkcode trainStep}. */
export interface StepInput {
  x: Float32Array;
  y: Int32Array;
  sampleShape: number[];
  numClasses: number;
  microBatch: number;
  lossOptions: LossOptions;
  dropouts: DropoutLike[];
  /**
   * The seed of Dropout layer `layer` (an index into `dropouts`) for the step. `micro` is always 0
   * now: one mask covers the whole batch, whatever the micro-batch.
   */
  seedFor: (micro: number, layer: number) => number;
}

/** The result of one optimizer step, read back from the device. */
export interface StepResult {
  /** The batch loss. */
  loss: number;
  /** Training-mode class probabilities of the batch, [batch × classes] row-major. */
  probs: Float32Array;
}

/** An optimizer step queued on the device whose loss and probabilities are not read yet. */
export interface QueuedStep {
  /** Reads the step's loss and probabilities (once) and frees them. */
  read(): Promise<StepResult>;
}

/**
 * Queues one optimizer step over a batch and returns without waiting for the device. A batch
 * larger than `input.microBatch` is computed layer-major in chunks of `input.microBatch` rows
 * (`_layer_major.ts`): every BatchNormalization uses whole-batch statistics forward and backward
 * and updates its moving averages once, and Dropout draws one whole-batch mask, so the loss, the
 * gradients and the one clipped update equal the whole-batch ones up to float32 summation order,
 * independently of the micro-batch size. {@linkcode QueuedStep.read} gives
 * the batch loss and the training-mode probabilities. On WebGPU the caller can prepare and queue
 * the next batch before reading this one, so that the GPU never idles while JavaScript issues
 * kernels or waits for a read-back (`train` does; on the other backends the kernels have run
 * when this returns).
 *
 * The loss and probabilities stay on the device until then and are read back once per step,
 * asynchronously (`data()`, which every backend supports; WebGPU has no synchronous read). On
 * WebGPU a device error during the step (e.g. a tensor over the adapter's binding limit, which
 * computes as zeros) throws a `WebGpuDeviceError` from `read`.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { queueTrainStep } from "./batches.ts";
 * import { Adam } from "./optim.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: "softmax" })] });
 * const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
 * const step = queueTrainStep(model, vars, new Adam(vars), {
 *   x: new Float32Array([1, 0, 0, 1]), y: new Int32Array([0, 1]), sampleShape: [2], numClasses: 2,
 *   microBatch: 2, lossOptions: {}, dropouts: [], seedFor: () => 1,
 * });
 * const { loss, probs } = await step.read();
 * console.log(loss > 0, probs.length); // true 4
 * ```
 */
export function queueTrainStep(
  model: tf.LayersModel,
  vars: tf.Variable[],
  opt: Adam,
  input: StepInput,
): QueuedStep {
  const { x, y, sampleShape, microBatch } = input;
  const n = y.length;
  let lossT: tf.Tensor, probsT: tf.Tensor;
  if (microBatch < n) {
    const r = layerMajorStep(model, vars, {
      x,
      y,
      sampleShape,
      microBatch,
      lossOptions: input.lossOptions,
      dropoutSeed: (layer) => {
        const i = input.dropouts.indexOf(layer as unknown as DropoutLike);
        return i >= 0 ? input.seedFor(0, i) : undefined;
      },
    });
    try {
      opt.applyGradients(r.grads);
    } catch (e) {
      tf.dispose([r.loss, r.probs]);
      throw e;
    } finally {
      tf.dispose(r.grads);
    }
    lossT = r.loss;
    probsT = r.probs;
  } else {
    input.dropouts.forEach((d, i) => (d.seed = input.seedFor(0, i)));
    const xs = tf.tensor(x.subarray(0, n * sampleSize(sampleShape)), [n, ...sampleShape]);
    const ys = tf.tensor1d(y, "int32");
    let out: tf.Tensor | null = null;
    let value: tf.Scalar | null = null;
    let grads: tf.NamedTensorMap = {};
    try {
      ({ value, grads } = tf.variableGrads(() => {
        const p = model.apply(xs, { training: true }) as tf.Tensor;
        out = tf.keep(p);
        let l = crossEntropyTensor(p, ys, input.lossOptions, n);
        const reg = model.calculateLosses();
        if (reg.length > 0) l = tf.add(l, tf.addN(reg));
        return l as tf.Scalar;
      }, vars));
      opt.applyGradients(vars.map((v) => grads[v.name]!));
    } catch (e) {
      tf.dispose([value, out] as (tf.Tensor | null)[] as tf.Tensor[]);
      throw e;
    } finally {
      tf.dispose([xs, ys, ...Object.values(grads)]);
    }
    lossT = value!;
    probsT = out as unknown as tf.Tensor;
  }
  let read: Promise<StepResult> | null = null;
  return {
    read(): Promise<StepResult> {
      read ??= (async () => {
        try {
          const [l, p] = await Promise.all([lossT.data(), probsT.data()]);
          throwIfWebGpuError("a training step");
          return { loss: l[0]!, probs: new Float32Array(p as Float32Array) };
        } finally {
          tf.dispose([lossT, probsT]);
        }
      })();
      return read;
    },
  };
}

/**
 * One optimizer step over a batch ({@linkcode queueTrainStep}), read back at once: the batch loss
 * and the training-mode probabilities.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { trainStep } from "./batches.ts";
 * import { Adam } from "./optim.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: "softmax" })] });
 * const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
 * const { loss } = await trainStep(model, vars, new Adam(vars), {
 *   x: new Float32Array([1, 0, 0, 1]), y: new Int32Array([0, 1]), sampleShape: [2], numClasses: 2,
 *   microBatch: 2, lossOptions: {}, dropouts: [], seedFor: () => 1,
 * });
 * console.log(loss > 0); // true
 * ```
 */
export async function trainStep(
  model: tf.LayersModel,
  vars: tf.Variable[],
  opt: Adam,
  input: StepInput,
): Promise<StepResult> {
  return await queueTrainStep(model, vars, opt, input).read();
}

/** A Dropout layer as the trainer sees it: its `seed` is set before each micro-batch. */
export interface DropoutLike {
  seed?: number;
}

/** Dropout layers of `model`, nested models included, in a fixed order. */
export function dropoutLayers(model: tf.LayersModel): DropoutLike[] {
  const out: DropoutLike[] = [];
  const walk = (layers: tf.layers.Layer[]): void => {
    for (const l of layers) {
      if (l.getClassName() === "Dropout") out.push(l as unknown as DropoutLike);
      const inner = (l as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (Array.isArray(inner)) walk(inner);
    }
  };
  walk(model.layers);
  return out;
}
