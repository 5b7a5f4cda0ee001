/**
 * One epoch's batches: the seeded sample order ({@linkcode epochOrder}) and one optimizer step over
 * a batch ({@linkcode trainStep}): rows become tensors here, micro-batch by micro-batch, and the
 * gradients of the whole batch are accumulated before one update. Micro-batches bound the memory
 * of one forward/backward pass (the wasm heap is 4 GB).
 *
 * @module
 */
import { tf } from "./backend.ts";
import { throwIfWebGpuError } from "./_webgpu.ts";
import { crossEntropyTensor, type LossOptions } from "./loss.ts";
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
  seedFor: (micro: number, layer: number) => number;
}

/**
 * One optimizer step over a batch, split into micro-batches of `input.microBatch` whose gradients
 * are summed (each micro-batch loss is divided by the whole batch's size) before one clipped
 * update; returns the batch loss and the training-mode probabilities.
 *
 * The loss and probabilities stay on the device until the update has been queued and are read
 * back once per step, asynchronously (`data()`, which every backend supports; WebGPU has no
 * synchronous read). On WebGPU a device error during the step (e.g. a tensor over the adapter's
 * binding limit, which computes as zeros) throws a `WebGpuDeviceError` here.
 */
export async function trainStep(
  model: tf.LayersModel,
  vars: tf.Variable[],
  opt: Adam,
  input: StepInput,
): Promise<{ loss: number; probs: Float32Array }> {
  const { x, y, sampleShape, microBatch } = input;
  const n = y.length;
  const size = sampleSize(sampleShape);
  let sum: tf.Tensor[] | null = null;
  const losses: tf.Tensor[] = [];
  const outs: tf.Tensor[] = [];
  try {
    for (let start = 0, micro = 0; start < n; start += microBatch, micro++) {
      const end = Math.min(n, start + microBatch);
      input.dropouts.forEach((d, i) => (d.seed = input.seedFor(micro, i)));
      const xs = tf.tensor(x.subarray(start * size, end * size), [end - start, ...sampleShape]);
      const ys = tf.tensor1d(y.subarray(start, end), "int32");
      let out: tf.Tensor | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const p = model.apply(xs, { training: true }) as tf.Tensor;
        out = tf.keep(p);
        // The batch loss is the sum over micro-batches: each is divided by the batch size.
        let l = crossEntropyTensor(p, ys, input.lossOptions, n);
        if (micro === 0) {
          const reg = model.calculateLosses();
          if (reg.length > 0) l = tf.add(l, tf.addN(reg));
        }
        return l as tf.Scalar;
      }, vars);
      losses.push(value);
      outs.push(out as unknown as tf.Tensor);
      tf.dispose([xs, ys]);
      const ordered = vars.map((v) => grads[v.name]!);
      if (sum === null) {
        sum = ordered;
      } else {
        const prev: tf.Tensor[] = sum;
        sum = prev.map((s, i) => tf.add(s, ordered[i]!));
        tf.dispose([...prev, ...ordered]);
      }
    }
    opt.applyGradients(sum!);
    // One read-back per step, after the update is queued.
    const [lossT, probsT] = tf.tidy(() => [
      losses.length === 1 ? losses[0]!.clone() : tf.addN(losses),
      outs.length === 1 ? outs[0]!.clone() : tf.concat(outs, 0),
    ]);
    try {
      const [l, p] = await Promise.all([lossT!.data(), probsT!.data()]);
      throwIfWebGpuError("a training step");
      return { loss: l[0]!, probs: new Float32Array(p as Float32Array) };
    } finally {
      tf.dispose([lossT!, probsT!]);
    }
  } finally {
    if (sum) tf.dispose(sum);
    tf.dispose([...losses, ...outs]);
  }
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
