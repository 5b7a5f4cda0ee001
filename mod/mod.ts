/**
 * Reproducible MGC: leak-free music genre classification on Deno. This module re-exports the
 * library that the scripts in `scripts/` use; each concept lives in its own file beside this one.
 *
 * @example Prepare a dataset, train one model, score it
 * ```ts
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
export * from "./audio/audio.ts";
export * from "./audio/resample.ts";
export * from "./audio/wav_write.ts";
export * from "./datasets/demo_data.ts";
export * from "./npy.ts";
export * from "./features/mel.ts";
export * from "./features/features.ts";
export * from "./datasets/split.ts";
export * from "./features/scaler.ts";
export * from "./datasets/datasets.ts";
export * from "./datasets/datasets_fma.ts";
export * from "./datasets/datasets_indian.ts";
export * from "./datasets/datasets_tabla.ts";
export * from "./datasets/fma_metadata.ts";
export * from "./prepare/prepare.ts";
export * from "./prepare/processed.ts";
export * from "./engine/backend.ts";
export * from "./models/mod.ts";
export * from "./engine/flops.ts";
export * from "./engine/latency.ts";
export * from "./models/summary.ts";
export * from "./experiments/transfer.ts";
export * from "./engine/batches.ts";
export * from "./features/augment.ts";
export * from "./engine/loss.ts";
export * from "./engine/optim.ts";
export * from "./engine/callbacks.ts";
export * from "./engine/checkpoint.ts";
export * from "./engine/train.ts";
export * from "./experiments/recipes.ts";
export * from "./experiments/experiment.ts";
export * from "./experiments/tournament.ts";
export * from "./experiments/train_cli.ts";
export * from "./predict/bundle.ts";
export * from "./report/metrics.ts";
export * from "./report/tsne.ts";
export * from "./report/plots.ts";
export * from "./report/tables.ts";
export * from "./report/report_html.ts";
export * from "./report/analysis.ts";
export * from "./report/pooled_features.ts";
export * from "./acquire/sources.ts";
export * from "./acquire/download.ts";
export * from "./acquire/extract.ts";
export * from "./acquire/kaggle.ts";
export * from "./acquire/get_dataset.ts";
export * from "./datasets/class_folders.ts";
export * from "./prepare/setup_cli.ts";
export * from "./prepare/setup_summary.ts";
export * from "./predict/predict.ts";
export * from "./experiments/dataset_train.ts";
export * from "./experiments/kfold.ts";
