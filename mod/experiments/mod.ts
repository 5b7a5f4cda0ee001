/**
 * The paper's experiments as code: training recipes, the GTZAN tournament (three CNNs with and
 * without SpecAugment, several seeds), k-fold cross-validation, transfer learning and the FMA,
 * Indian and tabla trainings, and the shared training flags of the scripts. Only the scripts import
 * this package.
 *
 * @example
 * ```ts
 * import { DEMO_TOURNAMENT, GTZAN_TOURNAMENT } from "./mod.ts";
 * console.log(GTZAN_TOURNAMENT.batchSize, DEMO_TOURNAMENT.batchSize); // 48 32
 * ```
 *
 * @module
 */
export * from "./recipes.ts";
export * from "./experiment.ts";
export * from "./tournament.ts";
export * from "./kfold.ts";
export * from "./transfer.ts";
export * from "./dataset_train.ts";
export * from "./train_cli.ts";
export * from "./run_folder.ts";
export * from "./kfold_tables.ts";
