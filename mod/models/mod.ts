/**
 * The four architectures of the original, by name: {@linkcode buildModel} is what scripts and
 * the trainer call. Every builder takes the same {@linkcode ModelOptions}; every model ends in
 * layers named `gap` (embeddings for the analysis), `dropout` and `classifier`.
 *
 * | name | trainable params (10 classes, 128×128×1) |
 * |---|---|
 * | `Efficient_VGG` | 34,488 |
 * | `ResSE_AudioCNN` | 1,232,770 |
 * | `UNet_Audio_Classifier` | 1,176,170 (+1,920 non-trainable) |
 * | `Lean_UNet` | 103,722 (104,234 in total) |
 *
 * @module
 */
import type { tf } from "../engine/backend.ts";
import { efficientVgg } from "./efficient_vgg.ts";
import { leanUnet } from "./lean_unet.ts";
import { resSeAudioCnn } from "./res_se.ts";
import { unetAudioClassifier } from "./unet.ts";
import type { ModelOptions } from "./_options.ts";

export type { ModelOptions } from "./_options.ts";
export { efficientVgg } from "./efficient_vgg.ts";
export { leanUnet } from "./lean_unet.ts";
export { resSeAudioCnn } from "./res_se.ts";
export { unetAudioClassifier } from "./unet.ts";
export * from "./summary.ts";

/** The architectures' names, as the original spells them in its reports. */
export type ModelName =
  | "Efficient_VGG"
  | "ResSE_AudioCNN"
  | "UNet_Audio_Classifier"
  | "Lean_UNet";

const BUILDERS: Record<ModelName, (options?: ModelOptions) => tf.LayersModel> = {
  Efficient_VGG: efficientVgg,
  ResSE_AudioCNN: resSeAudioCnn,
  UNet_Audio_Classifier: unetAudioClassifier,
  Lean_UNet: leanUnet,
};

/** Every {@linkcode ModelName}, in the original's tournament order, then Lean UNet. */
export const MODEL_NAMES: readonly ModelName[] = Object.freeze(
  Object.keys(BUILDERS) as ModelName[],
);

/** True when `name` is a {@linkcode ModelName}. */
export function isModelName(name: string): name is ModelName {
  return Object.hasOwn(BUILDERS, name);
}

/**
 * Builds the named architecture (uncompiled). Throws a RangeError listing the known names for an
 * unknown one, and for invalid options.
 *
 * @example
 * ```ts
 * import { initBackend } from "../engine/backend.ts";
 * import { buildModel } from "./mod.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = buildModel("UNet_Audio_Classifier", { numClasses: 10, seed: 42 });
 * console.log(model.getLayer("gap").outputShape); // [null, 256]
 * model.dispose();
 * ```
 */
export function buildModel(name: ModelName, options?: ModelOptions): tf.LayersModel {
  if (!isModelName(name)) {
    throw new RangeError(`unknown model "${name}"; expected one of ${MODEL_NAMES.join(", ")}`);
  }
  return BUILDERS[name](options);
}
