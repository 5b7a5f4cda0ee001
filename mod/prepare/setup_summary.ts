/**
 * The few lines a setup script prints on stdout once the processed data is written: where the
 * data came from, files and examples per part, warnings about the data, whether the split kept
 * each group (artist) in one part, damaged files read in part, and what was skipped and why.
 *
 * @module
 */
import type { PrepareResult } from "./prepare.ts";
import { SPLIT_NAMES } from "../datasets/split.ts";

/** Options of {@linkcode setupSummary}. */
export interface SetupSummaryOptions {
  /** Dataset name as printed (`FMA-small`). */
  title: string;
  /** What one example is called (`segments`, `clips`). */
  unit: string;
  /** Examples a full-length file gives; files with fewer are counted as short. */
  perFile?: number;
  /** Skipped entries printed one per line before "… and N more" (default 20). */
  maxSkipped?: number;
}

/**
 * The summary lines of a setup run.
 *
 * @example
 * ```ts ignore
 * import { prepareDataset } from "./prepare.ts";
 * import { setupSummary } from "./setup_summary.ts";
 * import { TABLA } from "../datasets/datasets_tabla.ts";
 * const r = await prepareDataset(TABLA);
 * console.log(setupSummary(r, { title: "Tabla taalas", unit: "clips" }).join("\n"));
 * ```
 */
export function setupSummary(r: PrepareResult, options: SetupSummaryOptions): string[] {
  const m = r.manifest;
  const split = m.split as { protocol?: string; seed?: number };
  const lines = [
    `${options.title} (${m.dataset.layout}) from ${m.dataset.data_dir}, split ` +
    `${split.protocol ?? "?"}${split.seed !== undefined ? `, seed ${split.seed}` : ""}`,
  ];
  if (m.verification) lines.push(`  ${m.verification.line}`);
  const [, mels, frames] = m.arrays.X_train?.shape ?? [];
  for (const s of SPLIT_NAMES) {
    lines.push(
      `  ${s.padEnd(5)} ${String(r.counts[s].files).padStart(5)} files ` +
        `${String(r.counts[s].examples).padStart(6)} ${options.unit}` +
        (s === "train" && mels !== undefined ? ` of ${mels}×${frames}` : ""),
    );
  }
  if (options.perFile !== undefined) {
    const short = m.files.filter((f) => f.status === "ok" && f.examples < options.perFile!);
    if (short.length) {
      lines.push(
        `  ${short.length} short files gave fewer than ${options.perFile} ${options.unit}`,
      );
    }
  }
  const padded = m.files.filter((f) => f.status === "ok" && f.padded).length;
  if (padded) lines.push(`  ${padded} files zero-padded to fill their last example`);
  const truncated = m.files.filter((f) => f.status === "ok" && f.truncated).length;
  if (truncated) lines.push(`  ${truncated} truncated files used for what they hold`);
  const excluded = m.files.filter((f) => f.status === "excluded").length;
  if (excluded) lines.push(`  ${excluded} files not in any part`);
  const max = options.maxSkipped ?? 20;
  for (const w of m.dataset.warnings ?? []) lines.push(`  warning: ${w}`);
  if (m.grouping) lines.push(`  ${m.grouping.key}s across parts: ${m.grouping.note}`);
  const damaged = m.files.filter((f) => f.note !== undefined);
  if (damaged.length) lines.push(`  ${damaged.length} damaged files read as far as possible:`);
  for (const f of damaged.slice(0, max)) lines.push(`    ${f.path}: ${f.note}`);
  if (damaged.length > max) lines.push(`    … and ${damaged.length - max} more`);
  lines.push(`  skipped ${m.skipped.length}${m.skipped.length ? ":" : ""}`);
  for (const s of m.skipped.slice(0, max)) lines.push(`    ${s.path}: ${s.reason}`);
  if (m.skipped.length > max) {
    lines.push(`    … and ${m.skipped.length - max} more (manifest.json lists all)`);
  }
  lines.push(`wrote ${r.out} in ${r.seconds.toFixed(1)} s`);
  return lines;
}
