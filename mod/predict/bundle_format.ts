/**
 * The bundle format as data: what `preprocessing.json` and `evaluation.json` hold, and the checks
 * that a bundle's parts agree. Pure (no file system, no TensorFlow.js), so the browser page checks
 * a fetched bundle exactly as `loadBundle` checks a folder.
 *
 * @module
 */
import { type FeatureConfig, featureShape } from "../features/features.ts";
import type { Scaler, ScalerJson } from "../features/scaler.ts";

/** `preprocessing.json` of a bundle. */
export interface Preprocessing {
  format: "mgc-preprocessing/1";
  /** Dataset config name the model was trained on (`gtzan`, `demo`, `fma`, …). */
  dataset: string;
  /** Split protocol of the training data (`random`, `fault-filtered`, `official`, …). */
  split: string;
  /** Feature parameters, exactly as used by the setup task. */
  features: FeatureConfig;
  /** `power_to_db` reference: the maximum of each segment (librosa `ref=np.max`). */
  db_reference: "max-per-segment";
  /** The scaler (its arrays are `scaler_mean.npy` / `scaler_std.npy` beside this file). */
  scaler: ScalerJson;
  /** Class names in output order. */
  labels: string[];
  /** Model input shape `[mels, frames, 1]`. */
  input_shape: [number, number, number];
  /** sha256 of the processed data's manifest.json (ties the bundle to its data). */
  data_manifest_sha256: string | null;
}

/** `evaluation.json`: how the bundle scored on its test split. */
export interface BundleEvaluation {
  model: string;
  tag: string;
  seed: number;
  test_accuracy: number;
  test_track_accuracy: number;
  best_val_accuracy: number;
}

/**
 * What is inconsistent between a bundle's parts (labels vs the model's outputs, scaler and
 * feature recipe vs the model's input); empty when they agree. {@linkcode loadBundle} and the
 * browser page both check a bundle with it.
 *
 * @example
 * ```ts
 * import { bundleProblems } from "./bundle_format.ts";
 * import { GTZAN_FEATURES } from "../features/features.ts";
 * import { Scaler } from "../features/scaler.ts";
 * const model = { inputs: [{ shape: [null, 128, 128, 1] }], outputs: [{ shape: [null, 2] }] };
 * const scaler = new Scaler("per-mel", [128, 128], new Float64Array(128), new Float64Array(128).fill(1), 1);
 * const pre = { features: GTZAN_FEATURES, labels: ["a", "b"], input_shape: [128, 128, 1] as [number, number, number] };
 * console.log(bundleProblems({ model, preprocessing: pre, labels: ["a", "b", "c"], scaler }));
 * // [ "labels.json differs from preprocessing.json's labels", "model has 2 outputs but labels.json lists 3 classes" ]
 * ```
 */
export function bundleProblems(parts: {
  model: {
    inputs: { shape: readonly (number | null)[] }[];
    outputs: { shape: readonly (number | null)[] }[];
  };
  preprocessing: Pick<Preprocessing, "features" | "labels" | "input_shape">;
  labels: readonly string[];
  scaler: Scaler;
}): string[] {
  const { model, scaler, labels } = parts;
  const pre = parts.preprocessing;
  const outUnits = model.outputs[0]!.shape.at(-1);
  const inShape = model.inputs[0]!.shape.slice(1);
  const problems: string[] = [];
  if (JSON.stringify(labels) !== JSON.stringify(pre.labels)) {
    problems.push("labels.json differs from preprocessing.json's labels");
  }
  if (outUnits !== labels.length) {
    problems.push(`model has ${outUnits} outputs but labels.json lists ${labels.length} classes`);
  }
  if (inShape[0] !== scaler.featureShape[0] || inShape[1] !== scaler.featureShape[1]) {
    problems.push(
      `model input ${inShape.join("×")} does not match the scaler's ${
        scaler.featureShape.join("×")
      }`,
    );
  }
  if (JSON.stringify(inShape) !== JSON.stringify(pre.input_shape)) {
    problems.push(`model input ${inShape.join("×")} differs from preprocessing.json's input_shape`);
  }
  let fShape: [number, number] | null = null;
  try {
    fShape = featureShape(pre.features);
  } catch (e) {
    problems.push(`preprocessing.json's features are invalid (${(e as Error).message})`);
  }
  if (fShape && (fShape[0] !== inShape[0] || fShape[1] !== inShape[1])) {
    problems.push(
      `preprocessing.json's features give ${fShape.join("×")} images, the model takes ${
        inShape.slice(0, 2).join("×")
      }`,
    );
  }
  return problems;
}
