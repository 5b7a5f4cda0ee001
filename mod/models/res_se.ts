/**
 * ResSE_AudioCNN: a residual CNN with squeeze-and-excitation (1,232,770 trainable parameters for
 * 10 classes on 128×128×1 input).
 *
 * ```
 * stem: Conv3×3 32 → BN → PReLU
 * 3 × residual block (64, 128, 256 filters, stride 2):
 *   main     = Conv3×3 s2 → BN → PReLU → Conv3×3 s1 → BN → SE(ratio 8)
 *   shortcut = Conv1×1 s2 → BN
 *   Add → PReLU
 * GAP → Dropout 0.5 → Dense softmax
 * ```
 *
 * @module
 */
import { tf } from "../engine/backend.ts";
import { classifierHead, convBnAct, Initializers, prelu, seBlock } from "./_blocks.ts";
import type { SymbolicTensor } from "./_blocks.ts";
import { type ModelOptions, resolveModelOptions } from "./_options.ts";

/**
 * Builds ResSE_AudioCNN. Layer names: `stem_conv`, `stem_bn`, `stem_prelu`; per block `b`
 * (`block1`..`block3`): `${b}_conv1`, `_bn1`, `_prelu1`, `_conv2`, `_bn2`, `_se_*`,
 * `_shortcut_conv`, `_shortcut_bn`, `_add`, `_prelu_out`; then `gap`, `dropout`, `classifier`.
 *
 * @example
 * ```ts
 * import { initBackend } from "../engine/backend.ts";
 * import { resSeAudioCnn } from "./res_se.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = resSeAudioCnn({ numClasses: 10 });
 * console.log(model.outputs[0].shape); // [ null, 10 ]
 * model.dispose();
 * ```
 */
export function resSeAudioCnn(options?: ModelOptions): tf.LayersModel {
  const o = resolveModelOptions("ResSE_AudioCNN", options, 1);
  const init = new Initializers(o.seed, o.bnMomentum);
  const input = tf.input({ shape: o.inputShape, name: "input" });
  let x = convBnAct(input, init, {
    filters: 32,
    act: "prelu",
    names: { conv: "stem_conv", bn: "stem_bn", act: "stem_prelu" },
  });
  [64, 128, 256].forEach((filters, i) => {
    const b = `block${i + 1}`;
    let main = convBnAct(x, init, {
      filters,
      strides: 2,
      act: "prelu",
      names: { conv: `${b}_conv1`, bn: `${b}_bn1`, act: `${b}_prelu1` },
    });
    main = convBnAct(main, init, {
      filters,
      act: "none",
      names: { conv: `${b}_conv2`, bn: `${b}_bn2` },
    });
    main = seBlock(main, init, { prefix: `${b}_se` });
    const shortcut = convBnAct(x, init, {
      filters,
      kernel: 1,
      strides: 2,
      act: "none",
      names: { conv: `${b}_shortcut_conv`, bn: `${b}_shortcut_bn` },
    });
    x = tf.layers.add({ name: `${b}_add` }).apply([main, shortcut]) as SymbolicTensor;
    x = prelu(`${b}_prelu_out`).apply(x) as SymbolicTensor;
  });
  const output = classifierHead(x, init, { numClasses: o.numClasses, dropout: o.dropout });
  return tf.model({ inputs: input, outputs: output, name: "ResSE_AudioCNN" });
}
