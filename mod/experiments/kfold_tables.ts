/**
 * The k-fold results as tables: the per-fold rows (`kfold_cv_unet_gtzan_folds.csv`), the summary
 * over folds at segment and track level (`kfold_cv_unet_gtzan.csv`), their writer, and the lines
 * printed on stdout. The protocols and the notes every output carries live here too.
 *
 * @module
 */
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { writeFileAtomic } from "../fs.ts";
/** The two k-fold protocols. */
export type KFoldProtocol = "grouped" | "seed-leaky";

/** The k-fold protocols, for flags. */
export const KFOLD_PROTOCOLS: readonly KFoldProtocol[] = ["grouped", "seed-leaky"];

/** What every output of the `seed-leaky` protocol says. */
export const LEAKY_NOTE = "leaky: segments of one track in train and validation";

/** What the `grouped` protocol's outputs say. */
export const GROUPED_NOTE =
  "grouped: whole tracks held out; scaler re-fitted per fold; epoch chosen on inner validation tracks";

/** One row of `kfold_cv_unet_gtzan_folds.csv`. */
export interface FoldRow {
  Fold: number;
  Protocol: KFoldProtocol;
  /** Distinct tracks among the training segments. */
  Train_Tracks: number;
  /** Distinct tracks among the held-out segments. */
  Val_Tracks: number;
  Train_Segments: number;
  Val_Segments: number;
  /** Held-out segment accuracy (`seed-leaky`: the maximum over epochs, as the original). */
  Val_Accuracy: number;
  /** Held-out track accuracy (mean probabilities of a track's held-out segments, argmax). */
  Val_Track_Accuracy: number;
  Best_Epoch: number;
  Epochs: number;
  Train_Seconds: number;
  /** Tracks with segments in both training and held-out sets (0 when grouped). */
  Tracks_In_Both: number;
  /** What chose the epoch: `inner-val` or `held-out`. */
  Selection: "inner-val" | "held-out";
  Inner_Val_Tracks: number;
  Inner_Val_Segments: number;
  /** Best inner validation accuracy (empty when selecting on the held-out fold). */
  Best_Inner_Val_Accuracy: number;
  /** How the fold's data were scaled. */
  Scaler: string;
  Seed: number;
  Note: string;
}

/** Columns of `kfold_cv_unet_gtzan_folds.csv`, in order. */
export const FOLD_COLUMNS: readonly (keyof FoldRow)[] = [
  "Fold",
  "Protocol",
  "Train_Tracks",
  "Val_Tracks",
  "Train_Segments",
  "Val_Segments",
  "Val_Accuracy",
  "Val_Track_Accuracy",
  "Best_Epoch",
  "Epochs",
  "Train_Seconds",
  "Tracks_In_Both",
  "Selection",
  "Inner_Val_Tracks",
  "Inner_Val_Segments",
  "Best_Inner_Val_Accuracy",
  "Scaler",
  "Seed",
  "Note",
];

/** One row of `kfold_cv_unet_gtzan.csv`: a level (segment or track) over the folds. */
export interface KFoldSummaryRow {
  Model: string;
  Protocol: KFoldProtocol;
  Level: "segment" | "track";
  Folds: number;
  Mean: number;
  /** Population std (ddof 0, numpy's default). */
  Std_ddof0: number;
  /** Sample std (ddof 1, pandas' default). */
  Std_ddof1: number;
  Min: number;
  Max: number;
  /** The folds' accuracies, `;`-separated, in fold order. */
  Fold_Accuracies: string;
  Note: string;
}

/** Columns of `kfold_cv_unet_gtzan.csv`, in order. */
export const SUMMARY_COLUMNS_KFOLD: readonly (keyof KFoldSummaryRow)[] = [
  "Model",
  "Protocol",
  "Level",
  "Folds",
  "Mean",
  "Std_ddof0",
  "Std_ddof1",
  "Min",
  "Max",
  "Fold_Accuracies",
  "Note",
];

/**
 * Mean, population and sample standard deviation, min and max of `xs`.
 *
 * @example
 * ```ts
 * import { describe } from "./kfold_tables.ts";
 * describe([0.8, 0.9]); // { mean: 0.85, std0: 0.05, std1: 0.0707…, min: 0.8, max: 0.9 }
 * ```
 */
export function describe(
  xs: readonly number[],
): { mean: number; std0: number; std1: number; min: number; max: number } {
  const n = xs.length;
  if (n === 0) return { mean: NaN, std0: NaN, std1: NaN, min: NaN, max: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return {
    mean,
    std0: Math.sqrt(ss / n),
    std1: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN,
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}

/**
 * The summary rows (segment and track level) of fold rows.
 *
 * @example
 * ```ts
 * import { kfoldSummary } from "./kfold_tables.ts";
 * kfoldSummary([], "Lean_UNet", "grouped").length; // 2
 * ```
 */
export function kfoldSummary(
  rows: readonly FoldRow[],
  model: string,
  protocol: KFoldProtocol,
): KFoldSummaryRow[] {
  return (["segment", "track"] as const).map((level) => {
    const xs = rows.map((r) => level === "segment" ? r.Val_Accuracy : r.Val_Track_Accuracy);
    const d = describe(xs);
    return {
      Model: model,
      Protocol: protocol,
      Level: level,
      Folds: rows.length,
      Mean: r4(d.mean),
      Std_ddof0: r4(d.std0),
      Std_ddof1: r4(d.std1),
      Min: r4(d.min),
      Max: r4(d.max),
      Fold_Accuracies: xs.map((x) => r4(x)).join(";"),
      Note: protocol === "seed-leaky" ? LEAKY_NOTE : GROUPED_NOTE,
    };
  });
}

/**
 * Writes `kfold_cv_unet_gtzan.csv` and `kfold_cv_unet_gtzan_folds.csv` into `dir`; returns
 * their paths.
 */
export async function writeKFoldReports(
  dir: string,
  rows: readonly FoldRow[],
  summary: readonly KFoldSummaryRow[],
): Promise<string[]> {
  const a = join(dir, "kfold_cv_unet_gtzan.csv");
  const b = join(dir, "kfold_cv_unet_gtzan_folds.csv");
  await writeFileAtomic(a, toCsv(summary, SUMMARY_COLUMNS_KFOLD));
  await writeFileAtomic(b, toCsv(rows, FOLD_COLUMNS));
  return [a, b];
}

/**
 * Lines for stdout: one per fold, then mean ± std per level; the leaky protocol's lines all
 * carry {@linkcode LEAKY_NOTE}.
 *
 * @example
 * ```ts
 * import { formatKFold, kfoldSummary } from "./kfold_tables.ts";
 * formatKFold([], kfoldSummary([], "Lean_UNet", "seed-leaky"))[0]; // "k-fold seed-leaky (leaky: …)"
 * ```
 */
export function formatKFold(
  rows: readonly FoldRow[],
  summary: readonly KFoldSummaryRow[],
): string[] {
  const protocol = summary[0]?.Protocol ?? rows[0]?.Protocol ?? "grouped";
  const note = protocol === "seed-leaky" ? LEAKY_NOTE : GROUPED_NOTE;
  const tag = protocol === "seed-leaky" ? ` [${LEAKY_NOTE}]` : "";
  return [
    `k-fold ${protocol} (${note})`,
    ...rows.map((r) => formatFold(r) + tag),
    ...summary.map((s) =>
      `${s.Level} accuracy over ${s.Folds} folds: ${pct(s.Mean)} ± ${pct(s.Std_ddof1)} (ddof 1), ` +
      `± ${pct(s.Std_ddof0)} (ddof 0)${tag}`
    ),
  ];
}

/**
 * One fold's line: held-out accuracy per segment and per track, the chosen epoch, what chose it
 * and how many tracks sit on both sides.
 *
 * @example
 * ```ts
 * import { formatFold } from "./kfold_tables.ts";
 * import type { FoldRow } from "./kfold_tables.ts";
 * const row = { Fold: 1, Val_Accuracy: 0.5, Val_Segments: 4, Val_Track_Accuracy: 1, Val_Tracks: 2,
 *   Best_Epoch: 1, Epochs: 2, Selection: "held-out", Tracks_In_Both: 0 } as FoldRow;
 * formatFold(row).startsWith("fold 1: 50.0%"); // true
 * ```
 */
export function formatFold(r: FoldRow): string {
  return `fold ${r.Fold}: ${pct(r.Val_Accuracy)} of ${r.Val_Segments} held-out segments, ` +
    `${pct(r.Val_Track_Accuracy)} of ${r.Val_Tracks} tracks (best epoch ${r.Best_Epoch} of ` +
    `${r.Epochs}, chosen on ${r.Selection}; ${r.Tracks_In_Both} tracks on both sides)`;
}

function toCsv<T extends object>(rows: readonly T[], columns: readonly (keyof T)[]): string {
  const cell = (v: unknown): string =>
    typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : String(v ?? "");
  return stringify(rows.map((r) => columns.map((c) => cell(r[c]))), {
    header: true,
    columns: columns.map(String),
  });
}

function r4(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x;
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "n/a";
}
