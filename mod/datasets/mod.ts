/**
 * Datasets as data: each dataset (GTZAN, the demo set, FMA, the Indian genres, the tabla taalas)
 * is a {@linkcode DatasetConfig} that lists its files (path, label, group), names its feature recipe
 * and scaler and its split protocols (the seeded stratified per-file split, the published
 * fault-filtered lists); also the synthetic demo dataset's generator. Imports features, audio and
 * the root helpers.
 *
 * @example
 * ```ts
 * import { DATASETS, stratifiedSplit } from "./mod.ts";
 * console.log(Object.keys(DATASETS)); // ["gtzan", "demo", "fma", "fma-seed", "indian", "tabla"] (or similar)
 * const parts = stratifiedSplit([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], { seed: 42 });
 * console.log(parts.filter((p) => p === "train").length); // 6
 * ```
 *
 * @module
 */
export * from "./config.ts";
export * from "./datasets.ts";
export * from "./datasets_fma.ts";
export * from "./datasets_indian.ts";
export * from "./datasets_tabla.ts";
export * from "./fma_metadata.ts";
export * from "./class_folders.ts";
export * from "./split.ts";
export * from "./demo_data.ts";
export * from "./hash_files.ts";
export * from "./verify.ts";
export * from "./verify_specs.ts";
export * from "./verification.ts";
export * from "./csv.ts";
