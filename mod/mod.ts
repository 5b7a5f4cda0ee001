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
export * from "./audio.ts";
export * from "./resample.ts";
export * from "./wav_write.ts";
export * from "./demo_data.ts";
export * from "./npy.ts";
export * from "./mel.ts";
export * from "./features.ts";
export * from "./split.ts";
export * from "./scaler.ts";
export * from "./datasets.ts";
export * from "./datasets_fma.ts";
export * from "./datasets_indian.ts";
export * from "./datasets_tabla.ts";
export * from "./fma_metadata.ts";
export * from "./prepare.ts";
export * from "./processed.ts";
export * from "./backend.ts";
export * from "./models/mod.ts";
export * from "./flops.ts";
export * from "./latency.ts";
export * from "./summary.ts";
export * from "./transfer.ts";
export * from "./batches.ts";
export * from "./augment.ts";
export * from "./loss.ts";
export * from "./optim.ts";
export * from "./callbacks.ts";
export * from "./checkpoint.ts";
export * from "./train.ts";
export * from "./recipes.ts";
export * from "./experiment.ts";
export * from "./tournament.ts";
export * from "./train_cli.ts";
export * from "./bundle.ts";
export * from "./metrics.ts";
export * from "./tsne.ts";
export * from "./plots.ts";
export * from "./tables.ts";
export * from "./report_html.ts";
export * from "./analysis.ts";
export * from "./pooled_features.ts";
export * from "./sources.ts";
export * from "./download.ts";
export * from "./extract.ts";
export * from "./kaggle.ts";
export * from "./get_dataset.ts";
export * from "./class_folders.ts";
export * from "./setup_cli.ts";
export * from "./setup_summary.ts";
export * from "./predict.ts";
export * from "./dataset_train.ts";
export * from "./kfold.ts";
