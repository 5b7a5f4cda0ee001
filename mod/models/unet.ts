/**
 * UNet_Audio_Classifier: the encoder half of a U-Net used as a classifier (1,176,170 trainable
 * and 1,920 non-trainable parameters for 10 classes on 128×128×1 input). This is the GTZAN
 * winner that the Indian-music and tabla pipelines transfer from, so its layer names are part
 * of the checkpoint contract.
 *
 * ```
 * enc1..enc3: [Conv3×3 (32, 64, 128) → BN → PReLU] × 2 → MaxPool 2×2
 * bottleneck: [Conv3×3 256 → BN → PReLU] × 2
 * GAP → Dropout 0.5 → Dense softmax
 * ```
 *
 * There is no decoder. The original's encoder block returns `(pooled, skip)` and the model
 * never uses the skip tensors, so despite its name the network is a plain VGG-style encoder;
 * this builder reproduces that faithfully (the unused skips carry no weights, so the parameter
 * counts and the computation are identical).
 *
 * @module
 */
import { tf } from "../engine/backend.ts";
import { classifierHead, convBnAct, Initializers, maxPool } from "./_blocks.ts";
import type { SymbolicTensor } from "./_blocks.ts";
import { type ModelOptions, resolveModelOptions } from "./_options.ts";

/** [Conv → BN → PReLU] × 2 with names `${prefix}_conv{1,2}`, `_bn{1,2}`, `_prelu{1,2}`. */
function doubleConv(
  x: SymbolicTensor,
  init: Initializers,
  prefix: string,
  filters: number,
): SymbolicTensor {
  for (const k of [1, 2]) {
    x = convBnAct(x, init, {
      filters,
      act: "prelu",
      names: { conv: `${prefix}_conv${k}`, bn: `${prefix}_bn${k}`, act: `${prefix}_prelu${k}` },
    });
  }
  return x;
}

/**
 * Builds UNet_Audio_Classifier. Layer names: `enc{1,2,3}_conv{1,2}`, `enc{n}_bn{1,2}`,
 * `enc{n}_prelu{1,2}`, `enc{n}_pool`, `bneck_conv{1,2}`, `bneck_bn{1,2}`, `bneck_prelu{1,2}`,
 * `gap`, `dropout`, `classifier` (transfer learning matches layers by these names).
 *
 * @example
 * ```ts
 * import { initBackend } from "../engine/backend.ts";
 * import { unetAudioClassifier } from "./unet.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = unetAudioClassifier({ numClasses: 5, dropout: 0.6 });
 * console.log(model.getLayer("classifier").outputShape); // [ null, 5 ]
 * model.dispose();
 * ```
 */
export function unetAudioClassifier(options?: ModelOptions): tf.LayersModel {
  const o = resolveModelOptions("UNet_Audio_Classifier", options, 8);
  const init = new Initializers(o.seed, o.bnMomentum);
  const input = tf.input({ shape: o.inputShape, name: "input" });
  let x: SymbolicTensor = input;
  [32, 64, 128].forEach((filters, i) => {
    const e = `enc${i + 1}`;
    // The original also returns this pre-pool tensor as a skip connection; it is never used.
    x = doubleConv(x, init, e, filters);
    x = maxPool(`${e}_pool`).apply(x) as SymbolicTensor;
  });
  x = doubleConv(x, init, "bneck", 256);
  const output = classifierHead(x, init, { numClasses: o.numClasses, dropout: o.dropout });
  return tf.model({ inputs: input, outputs: output, name: "UNet_Audio_Classifier" });
}
