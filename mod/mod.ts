/**
 * Reproducible MGC: leak-free music genre classification on Deno. This module re-exports
 * every package of the library (one folder per concept, each with its own `mod.ts`) and the root
 * helpers. Importing it loads TensorFlow.js: a script that needs one package imports that
 * package's `mod.ts` instead.
 *
 * @example Prepare a dataset, train one model, score it
 *
 * Not run by `deno test --doc`: it needs the demo audio (`deno task demo:data`) and trains for a
 * minute.
 *
 * ```ts ignore
 * import { DATASETS, GTZAN_TOURNAMENT, initBackend, loadProcessed, prepareDataset, runExperiment } from "./mod.ts";
 * await initBackend();
 * const prepared = await prepareDataset(DATASETS.demo!, { out: "data/processed/demo/random" });
 * const data = await loadProcessed(prepared.out);
 * await runExperiment({
 *   data, model: "Efficient_VGG", tag: "NO_AUG", seed: 42, recipe: GTZAN_TOURNAMENT,
 *   augment: false, modelsDir: "models", reportsDir: "reports", epochs: 2,
 * });
 * ```
 *
 * @module
 */
export * from "./rng.ts";
export * from "./fs.ts";
export * from "./progress.ts";
export * from "./cli.ts";
export * from "./npy.ts";
export * from "./audio/mod.ts";
export * from "./acquire/mod.ts";
export * from "./features/mod.ts";
export * from "./datasets/mod.ts";
export * from "./prepare/mod.ts";
export * from "./engine/mod.ts";
export * from "./models/mod.ts";
export * from "./predict/mod.ts";
export * from "./report/mod.ts";
export * from "./report/pooled_features.ts";
export * from "./experiments/mod.ts";
