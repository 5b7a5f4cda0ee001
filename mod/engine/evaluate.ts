/**
 * Batched evaluation and inference in inference mode (BatchNormalization uses its moving
 * statistics, Dropout is off): {@linkcode evaluate} scores a {@linkcode SampleSource} with Keras's
 * loss and accuracies, {@linkcode predictProbs} returns the softmax rows.
 *
 * @module
 */
import { tf } from "./backend.ts";
import { throwIfWebGpuError } from "./_webgpu.ts";
import { foldBatchNorm } from "./fold.ts";
import { type NativeGraph, tryNativeGraph } from "./_tf_graph.ts";
import { countCorrect, crossEntropyRows } from "./loss.ts";
import { batchRanges, sampleSize, type SampleSource } from "../prepare/samples.ts";

/** Options of {@linkcode evaluate} and {@linkcode predictProbs}. */
export interface EvalOptions {
  /** Samples per forward pass (default 64). */
  batchSize?: number;
  /** Label smoothing applied to the reported loss (as Keras's `val_loss`). */
  labelSmoothing?: number;
}

/** What {@linkcode evaluate} returns. */
export interface EvalResult {
  /** Mean cross-entropy (with the given label smoothing, no class weights). */
  loss: number;
  /** Arg-max accuracy. */
  accuracy: number;
  /** Top-3 accuracy. */
  top3Accuracy: number;
  /** Probabilities, row-major `[N, C]`. */
  probs: Float32Array;
  /** The labels read from the source. */
  labels: Int32Array;
}

/**
 * Evaluates `model` in inference mode over `src`, batch by batch.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { arraySource } from "../prepare/samples.ts";
 * import { evaluate } from "./evaluate.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ units: 2, activation: "softmax", inputShape: [1] })],
 * });
 * const r = await evaluate(model, arraySource(new Float32Array(3), new Int32Array(3), [1], 2));
 * console.log(r.probs.length); // 6
 * model.dispose();
 * ```
 */
export async function evaluate(
  model: tf.LayersModel,
  src: SampleSource,
  options: EvalOptions = {},
): Promise<EvalResult> {
  const { probs, labels } = await withInference(
    model,
    (forward) => runInference(model, forward, src, options.batchSize ?? 64, true),
  );
  const c = src.numClasses;
  const losses = crossEntropyRows(probs, labels, c, { labelSmoothing: options.labelSmoothing });
  const counts = countCorrect(probs, labels, c, 3);
  const n = Math.max(labels.length, 1);
  return {
    loss: losses.reduce((s, l) => s + l, 0) / n,
    accuracy: counts.top1 / n,
    top3Accuracy: counts.topK / n,
    probs,
    labels,
  };
}

/**
 * Class probabilities `[N, C]` (row-major) of `model` in inference mode, computed `batchSize`
 * samples at a time so that memory stays bounded. `input` is a {@linkcode SampleSource} or
 * row-major samples with their shape.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { predictProbs } from "./evaluate.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ units: 3, activation: "softmax", inputShape: [2] })],
 * });
 * const p = await predictProbs(model, { x: new Float32Array(4), sampleShape: [2] });
 * console.log(p.length); // 6
 * model.dispose();
 * ```
 */
export async function predictProbs(
  model: tf.LayersModel,
  input: SampleSource | { x: Float32Array; sampleShape: number[] },
  options: { batchSize?: number } = {},
): Promise<Float32Array> {
  const batchSize = options.batchSize ?? 64;
  return await withInference(model, async (forward) => {
    if ("read" in input) return (await runInference(model, forward, input, batchSize, false)).probs;
    return await predictArrays(model, forward, input, batchSize);
  });
}

/** One batch (row-major, of shape `[n, ...sample shape]`) in inference mode → its output rows. */
type Forward = (x: Float32Array, shape: number[]) => Promise<Float32Array>;

async function predictArrays(
  model: tf.LayersModel,
  forward: Forward,
  input: { x: Float32Array; sampleShape: number[] },
  batchSize: number,
): Promise<Float32Array> {
  const size = sampleSize(input.sampleShape);
  const n = Math.floor(input.x.length / size);
  if (n * size !== input.x.length) {
    throw new RangeError(`predictProbs: ${input.x.length} floats is not a multiple of ${size}`);
  }
  const c = outputClasses(model);
  const probs = new Float32Array(n * c);
  for (const [a, b] of batchRanges(n, batchSize)) {
    probs.set(
      await forward(input.x.subarray(a * size, b * size), [b - a, ...input.sampleShape]),
      a * c,
    );
  }
  return probs;
}

async function runInference(
  model: tf.LayersModel,
  forward: Forward,
  src: SampleSource,
  batchSize: number,
  withLabels: boolean,
): Promise<{ probs: Float32Array; labels: Int32Array }> {
  const c = outputClasses(model);
  const probs = new Float32Array(src.length * c);
  const labels = new Int32Array(withLabels ? src.length : 0);
  for (const [a, b] of batchRanges(src.length, batchSize)) {
    const { x, y } = await src.read(Array.from({ length: b - a }, (_, i) => a + i));
    probs.set(await forward(x, [b - a, ...src.sampleShape]), a * c);
    if (withLabels) labels.set(y, a);
  }
  return { probs, labels };
}

/**
 * Runs `fn` with the forward pass inference should use. On the native engine: the model with
 * BatchNormalization folded into its convolutions (`fold.ts`; equal outputs to float32 rounding)
 * compiled into one TensorFlow graph and session (`_tf_graph.ts`: what Keras's `predict` runs,
 * instead of one TensorFlow call per op), or the folded model through tfjs when a layer has no
 * graph translation; both freed afterwards. Elsewhere the model itself through tfjs (wasm's
 * biased fused convolution is slower than conv + batch norm for batches).
 */
async function withInference<T>(
  model: tf.LayersModel,
  fn: (forward: Forward) => Promise<T>,
): Promise<T> {
  if (tf.getBackend() !== "tensorflow") return await fn((x, shape) => tfjsForward(model, x, shape));
  const folded = await foldBatchNorm(model);
  let graph: NativeGraph | null = null;
  try {
    graph = await tryNativeGraph(folded);
    const g = graph;
    return await fn(
      g
        ? async (x, shape) => (await g.runAsync(x, shape[0]!)).data
        : (x, shape) => tfjsForward(folded, x, shape),
    );
  } finally {
    graph?.dispose();
    folded.dispose();
  }
}

/** One batch through tfjs in inference mode, read back asynchronously (WebGPU has no sync read). */
async function tfjsForward(
  model: tf.LayersModel,
  x: Float32Array,
  shape: number[],
): Promise<Float32Array> {
  const out = tf.tidy(() => model.apply(tf.tensor(x, shape), { training: false }) as tf.Tensor);
  try {
    const values = await out.data() as Float32Array;
    throwIfWebGpuError("inference");
    return values;
  } finally {
    out.dispose();
  }
}

function outputClasses(model: tf.LayersModel): number {
  const c = model.outputs[0]?.shape[1];
  if (typeof c !== "number") throw new RangeError("the model output must be [batch, classes]");
  return c;
}
