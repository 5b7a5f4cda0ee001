/**
 * Lean UNet: the small encoder the original uses for 5-fold CV and FMA-small (104,234
 * parameters in total for 10 classes on 128×128×1 input: 103,722 trainable, 512 BatchNorm
 * moving statistics).
 *
 * ```
 * Conv 32 → BN → PReLU
 * Conv 32 → BN → PReLU → MaxPool 2×2
 * Conv 64 → BN → PReLU → MaxPool 2×2
 * Conv 128 → BN → PReLU
 * GAP → Dropout 0.5 → Dense softmax
 * ```
 *
 * @module
 */
import { tf } from "../engine/backend.ts";
import { classifierHead, convBnAct, Initializers, maxPool } from "./_blocks.ts";
import type { SymbolicTensor } from "./_blocks.ts";
import { type ModelOptions, resolveModelOptions } from "./_options.ts";

/**
 * Builds Lean UNet. Layer names: `conv{1..4}`, `bn{1..4}`, `prelu{1..4}`, `pool{1,2}`, `gap`,
 * `dropout`, `classifier`.
 *
 * @example
 * ```ts
 * import { initBackend } from "../engine/backend.ts";
 * import { leanUnet } from "./lean_unet.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = leanUnet({ numClasses: 8 });
 * console.log(model.countParams()); // 103976
 * model.dispose();
 * ```
 */
export function leanUnet(options?: ModelOptions): tf.LayersModel {
  const o = resolveModelOptions("Lean_UNet", options, 4);
  const init = new Initializers(o.seed, o.bnMomentum);
  const input = tf.input({ shape: o.inputShape, name: "input" });
  let x: SymbolicTensor = input;
  const plan: { filters: number; pool?: string }[] = [
    { filters: 32 },
    { filters: 32, pool: "pool1" },
    { filters: 64, pool: "pool2" },
    { filters: 128 },
  ];
  plan.forEach(({ filters, pool }, i) => {
    const k = i + 1;
    x = convBnAct(x, init, {
      filters,
      act: "prelu",
      names: { conv: `conv${k}`, bn: `bn${k}`, act: `prelu${k}` },
    });
    if (pool) x = maxPool(pool).apply(x) as SymbolicTensor;
  });
  const output = classifierHead(x, init, { numClasses: o.numClasses, dropout: o.dropout });
  return tf.model({ inputs: input, outputs: output, name: "Lean_UNet" });
}
