/**
 * Getting the datasets: resumable, checksummed downloads, safe archive extraction into the layout
 * each setup reads, the Kaggle API and its credentials. Imports only the root helpers.
 *
 * @example
 * ```ts
 * import { safeEntryPath, SOURCES } from "./mod.ts";
 * console.log(safeEntryPath("./genres/blues/blues.00000.au")); // "genres/blues/blues.00000.au"
 * console.log(Object.keys(SOURCES).length > 0); // true
 * ```
 *
 * @module
 */
export * from "./sources.ts";
export * from "./download.ts";
export * from "./extract.ts";
export * from "./kaggle.ts";
export * from "./get_dataset.ts";
