/**
 * Efficient_VGG: the smallest of the original's four models (34,488 trainable parameters for
 * 10 classes on 128×128×1 input).
 *
 * ```
 * 3 × [Conv3×3 (16, 32, 64) → BN → ReLU → MaxPool 2×2 → SE(ratio 8)]
 * → GAP → Dense 128 ReLU → Dropout 0.5 → Dense softmax
 * ```
 *
 * @module
 */
import { tf } from "../engine/backend.ts";
import { classifierHead, convBnAct, Initializers, maxPool, seBlock } from "./_blocks.ts";
import type { SymbolicTensor } from "./_blocks.ts";
import { type ModelOptions, resolveModelOptions } from "./_options.ts";

/**
 * Builds Efficient_VGG. Layer names: `block{1,2,3}_conv`, `_bn`, `_relu`, `_pool`, `_se_*`, then
 * `gap`, `fc`, `dropout`, `classifier`.
 *
 * @example
 * ```ts
 * import { initBackend } from "../engine/backend.ts";
 * import { efficientVgg } from "./efficient_vgg.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = efficientVgg({ seed: 1 });
 * console.log(model.countParams()); // 34712 (34,488 trainable + 224 BatchNorm moving statistics)
 * model.dispose();
 * ```
 */
export function efficientVgg(options?: ModelOptions): tf.LayersModel {
  const o = resolveModelOptions("Efficient_VGG", options, 8);
  const init = new Initializers(o.seed, o.bnMomentum);
  const input = tf.input({ shape: o.inputShape, name: "input" });
  let x: SymbolicTensor = input;
  [16, 32, 64].forEach((filters, i) => {
    const b = `block${i + 1}`;
    x = convBnAct(x, init, {
      filters,
      act: "relu",
      names: { conv: `${b}_conv`, bn: `${b}_bn`, act: `${b}_relu` },
    });
    x = maxPool(`${b}_pool`).apply(x) as SymbolicTensor;
    x = seBlock(x, init, { prefix: `${b}_se` });
  });
  const output = classifierHead(x, init, {
    numClasses: o.numClasses,
    dropout: o.dropout,
    hidden: [{ units: 128, name: "fc" }],
  });
  return tf.model({ inputs: input, outputs: output, name: "Efficient_VGG" });
}
