/**
 * Categorical cross-entropy on probabilities with Keras's label smoothing and class weights, in
 * two forms that give the same numbers: a tensor form for gradients and a plain-array form for
 * evaluation; plus the accuracy and top-k counts the trainer reports.
 *
 * The loss follows Keras `categorical_crossentropy(from_logits=False)`: probabilities are
 * renormalised to sum to 1 and clipped to `[1e-7, 1-1e-7]`; with label smoothing `s` the target is
 * `onehot·(1-s) + s/C`. Class weights multiply each sample's loss, and the batch loss is the sum
 * divided by the batch size (Keras `sum_over_batch_size`), not by the sum of the weights.
 * (Keras 3 on TensorFlow recovers the logits of a softmax output and skips the clipping; the two
 * agree unless a probability falls below 1e-7.)
 *
 * @module
 */
import { tf } from "./backend.ts";

/** Keras `backend.epsilon()`: the probability clip. */
export const PROB_EPSILON = 1e-7;

/** Loss options. */
export interface LossOptions {
  /** Keras `label_smoothing` (default 0). */
  labelSmoothing?: number;
  /** One weight per class (default all 1). */
  classWeights?: readonly number[];
}

/**
 * Mean (over the batch) smoothed, weighted cross-entropy of `probs` `[n, C]` against integer
 * `labels` `[n]`, as a scalar tensor; `divisor` replaces `n` (for micro-batches of a larger batch).
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { crossEntropyTensor } from "./loss.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const probs = tf.tensor2d([[0.5, 0.5]]);
 * const labels = tf.tensor1d([0], "int32");
 * const loss = crossEntropyTensor(probs, labels, {});
 * console.log((await loss.data())[0]); // ≈ 0.693 (ln 2)
 * tf.dispose([probs, labels, loss]);
 * ```
 */
export function crossEntropyTensor(
  probs: tf.Tensor,
  labels: tf.Tensor,
  options: LossOptions,
  divisor?: number,
): tf.Scalar {
  return tf.tidy(() => {
    const [n, c] = probs.shape as [number, number];
    const target = smoothedTargets(labels, c, options.labelSmoothing ?? 0);
    const p = tf.clipByValue(
      tf.div(probs, tf.sum(probs, -1, true)),
      PROB_EPSILON,
      1 - PROB_EPSILON,
    );
    let perSample = tf.neg(tf.sum(tf.mul(target, tf.log(p)), -1));
    if (options.classWeights) {
      perSample = tf.mul(perSample, tf.gather(tf.tensor1d([...options.classWeights]), labels));
    }
    return tf.div(tf.sum(perSample), tf.scalar(divisor ?? n)) as tf.Scalar;
  });
}

function smoothedTargets(labels: tf.Tensor, c: number, s: number): tf.Tensor {
  const onehot = tf.oneHot(tf.cast(labels, "int32") as tf.Tensor1D, c).toFloat();
  return s > 0 ? tf.add(tf.mul(onehot, 1 - s), s / c) : onehot;
}

/**
 * Per-sample cross-entropy (unweighted) of row-major `probs` `[n, C]`, computed in float64 with
 * the same clipping and smoothing as {@linkcode crossEntropyTensor}.
 *
 * @example
 * ```ts
 * import { crossEntropyRows } from "./loss.ts";
 * const l = crossEntropyRows(new Float32Array([0.5, 0.5]), new Int32Array([1]), 2);
 * console.log(l[0]); // ≈ 0.693
 * ```
 */
export function crossEntropyRows(
  probs: Float32Array,
  labels: Int32Array,
  numClasses: number,
  options: { labelSmoothing?: number } = {},
): Float64Array {
  const s = options.labelSmoothing ?? 0;
  const out = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const row = probs.subarray(i * numClasses, (i + 1) * numClasses);
    let sum = 0;
    for (const p of row) sum += p;
    let l = 0;
    for (let j = 0; j < numClasses; j++) {
      const t = (j === labels[i] ? 1 - s : 0) + s / numClasses;
      if (t === 0) continue;
      const p = Math.min(Math.max(row[j]! / sum, PROB_EPSILON), 1 - PROB_EPSILON);
      l -= t * Math.log(p);
    }
    out[i] = l;
  }
  return out;
}

/**
 * Keras/scikit-learn "balanced" class weights: `n_samples / (n_classes · count[c])`; a class with
 * no sample gets weight 1 (it never contributes anyway).
 *
 * @example
 * ```ts
 * import { balancedClassWeights } from "./loss.ts";
 * console.log(balancedClassWeights(new Int32Array([0, 0, 0, 1]), 2)); // [0.667, 2]
 * ```
 */
export function balancedClassWeights(labels: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const y of labels) counts[y] = (counts[y] ?? 0) + 1;
  return counts.map((c) => (c > 0 ? labels.length / (numClasses * c) : 1));
}

/**
 * Counts, over row-major `probs` `[n, C]`, the samples whose label is the arg-max (first maximum on
 * ties, as `argmax`) and those whose label is within the top `k` (Keras `in_top_k`: a label tied
 * at the boundary counts as in).
 *
 * @example
 * ```ts
 * import { countCorrect } from "./loss.ts";
 * const c = countCorrect(new Float32Array([0.2, 0.5, 0.3]), new Int32Array([2]), 3, 2);
 * console.log(c); // { top1: 0, topK: 1 }
 * ```
 */
export function countCorrect(
  probs: Float32Array,
  labels: Int32Array,
  numClasses: number,
  k = 3,
): { top1: number; topK: number } {
  let top1 = 0;
  let topK = 0;
  for (let i = 0; i < labels.length; i++) {
    const off = i * numClasses;
    const y = labels[i]!;
    const py = probs[off + y]!;
    let arg = 0;
    let higher = 0;
    for (let j = 0; j < numClasses; j++) {
      const p = probs[off + j]!;
      if (p > probs[off + arg]!) arg = j;
      if (p > py) higher++;
    }
    if (arg === y) top1++;
    if (higher < k) topK++;
  }
  return { top1, topK };
}
