/**
 * From samples to the model's input: the project's FFT and librosa-identical log-mel (float32
 * WebAssembly SIMD kernel by default), the feature recipes of each dataset, the train-only scalers
 * and SpecAugment. Imports audio and the root helpers.
 *
 * @example
 * ```ts
 * import { extractFeatures, GTZAN_FEATURES } from "./mod.ts";
 * const clip = new Float32Array(GTZAN_FEATURES.segmentSamples * 2).map((_, i) => Math.sin(i / 10));
 * const f = extractFeatures(clip, GTZAN_FEATURES);
 * console.log(f.shape); // [2, 128, 128]
 * ```
 *
 * @module
 */
export * from "./features.ts";
export * from "./mel.ts";
export * from "./scaler.ts";
export * from "./augment.ts";
