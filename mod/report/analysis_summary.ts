/**
 * Reading the experiments' CSVs and aggregating their results over seeds, for the final
 * analysis (`analysis.ts`): {@linkcode readCsvOptional} reads a CSV that may not exist into
 * objects, {@linkcode stat} summarises one metric over seeds.
 *
 * @module
 */
import { csvRecords } from "../datasets/csv.ts";
import { exists } from "../fs.ts";
import { recordsToObjects } from "./_analysis_csv.ts";
import type { Stat } from "./_analysis_types.ts";

/**
 * Reads a CSV with a header row into objects (fields trimmed); null when the file does not exist.
 *
 * @example
 * ```ts
 * import { readCsvOptional } from "./analysis_summary.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, "Model,Test_Accuracy\nUNet, 0.83\n");
 * const rows = await readCsvOptional(path); // [{ Model: "UNet", Test_Accuracy: "0.83" }]
 * await Deno.remove(path);
 * const none = await readCsvOptional(path); // null
 * ```
 */
export async function readCsvOptional(path: string): Promise<Record<string, string>[] | null> {
  if (!(await exists(path))) return null;
  const records: string[][] = [];
  try {
    for await (const r of csvRecords(path)) records.push(r);
  } catch (e) {
    throw new Error(`${path}: not a valid CSV (${(e as Error).message})`);
  }
  return recordsToObjects(records, path);
}

/**
 * Mean, sample standard deviation (n − 1; null for one value), min and max, ignoring nulls.
 *
 * @example
 * ```ts
 * import { stat } from "./analysis_summary.ts";
 * const s = stat([0.7, 0.8, null, 0.9]); // mean 0.8, std 0.1, min 0.7, max 0.9
 * stat([0.5]).std; // null
 * ```
 */
export function stat(values: readonly (number | null)[]): Stat {
  const v = values.filter((x): x is number => x !== null);
  if (!v.length) return { mean: null, std: null, min: null, max: null };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1
    ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1))
    : null;
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}
