/**
 * The training engine on TensorFlow.js: backend choice and the kernels the wasm backend lacks,
 * batches and micro-batches, Keras-exact losses, Adam/AdamW and callbacks, checkpoints that resume
 * to the same weights, the epoch loop, evaluation, FLOPs and latency. Reads prepared data only
 * through `prepare`'s sample sources. Imports prepare and everything below it.
 *
 * @example
 * ```ts
 * import { evaluate, initBackend, tf } from "./mod.ts";
 * import { arraySource } from "../prepare/mod.ts";
 * await initBackend({ backend: "cpu" });
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ units: 2, activation: "softmax", inputShape: [1] })],
 * });
 * const r = await evaluate(model, arraySource(new Float32Array(3), new Int32Array([0, 1, 0]), [1], 2));
 * console.log(r.probs.length); // 6
 * model.dispose();
 * ```
 *
 * @module
 */
export * from "./backend.ts";
export * from "./native.ts";
export * from "./fused.ts";
export * from "./fold.ts";
export * from "./batches.ts";
export * from "./loss.ts";
export * from "./optim.ts";
export * from "./callbacks.ts";
export * from "./checkpoint.ts";
export * from "./train.ts";
export * from "./evaluate.ts";
export * from "./interrupt.ts";
export * from "./flops.ts";
export * from "./latency.ts";
export * from "./fused.ts";
export * from "./fold.ts";
