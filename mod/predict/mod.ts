/**
 * Classifying audio with a trained model: self-describing bundles (model, weights, the feature
 * recipe and scaler they were trained with) and prediction per file or folder, with per-segment
 * timelines. Imports engine, models, features, audio and the root helpers.
 *
 * @example
 * ```ts
 * import { findBestBundle } from "./mod.ts";
 * const best = await findBestBundle(await Deno.makeTempDir());
 * console.log(best); // null: no bundle in an empty folder
 * ```
 *
 * @module
 */
export * from "./bundle_format.ts";
export * from "./bundle.ts";
export * from "./classify.ts";
export * from "./predict.ts";
