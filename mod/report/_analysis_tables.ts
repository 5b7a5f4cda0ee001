/**
 * Private table builders of the final analysis (`analysis.ts`) from the training summaries and
 * the experiments' own CSVs: the leaderboard, the run metadata, WP1 (SpecAugment ablation, from
 * its file or computed), WP2 (efficiency), the other datasets and the k-fold summaries.
 * {@linkcode summaryTables} adds them to the analysis state in page order.
 *
 * @module
 */
import { join } from "node:path";
import { compareCodePoints } from "../fs.ts";
import { num, requireColumns } from "./_analysis_csv.ts";
import { type AnalysisState, type Group, OTHER_DATASETS } from "./_analysis_types.ts";
import { readCsvOptional } from "./analysis_summary.ts";
import type { AnalysisResult } from "./analysis_types.ts";
import type { AblationBar } from "./plots.ts";
import type { Cell, Column, ColumnFormat, Table } from "./tables.ts";

/** What {@linkcode summaryTables} builds its tables from. */
export interface SummaryInputs {
  /** Every dataset × model × tag. */
  groups: Group[];
  /** The GTZAN groups. */
  gtzan: Group[];
  /** The champion, starred in the leaderboard. */
  champion: AnalysisResult["champion"];
  /** How the tournament's data is named ("GTZAN" or "Demo (synthetic)"). */
  main: string;
  /** run.json, or null when absent. */
  runJson: Record<string, unknown> | null;
  /** How each run folder's tournament data is named ("GTZAN" or "Demo (synthetic)"). */
  labels?: ReadonlyMap<string, string>;
  /** The run folders holding k-fold results (`dir`: their path; `name` "" = the reports folder). */
  kfoldFolders?: readonly { name: string; dir: string }[];
}

/**
 * Adds the leaderboard, run metadata, WP1, WP2, other-dataset and k-fold tables to
 * `state.tables`, passing what is absent to `state.miss`; returns the WP1 ablation bars.
 */
export async function summaryTables(
  state: AnalysisState,
  dir: string,
  inputs: SummaryInputs,
): Promise<AblationBar[]> {
  const { tables, miss, log } = state;
  const { groups, gtzan, champion, main, runJson } = inputs;
  if (groups.length) {
    tables.push(leaderboardTable(groups, champion, main, inputs.labels));
  } else miss("any training summary: no leaderboard, no champion");

  if (runJson) {
    tables.push(metadataTable(runJson));
  }

  // ---- WP1 -----------------------------------------------------------------------------------
  const wp1File = join(dir, "wp1_ablation_with_vs_without_aug.csv");
  const wp1Rows = await readCsvOptional(wp1File);
  let ablation: AblationBar[] = [];
  if (wp1Rows) {
    const t = wp1FromFile(wp1Rows, wp1File, gtzan, log);
    tables.push(t.table);
    ablation = t.bars;
  } else if (gtzan.some((g) => g.tag === "WITH_AUG") && gtzan.some((g) => g.tag === "NO_AUG")) {
    miss("wp1_ablation_with_vs_without_aug.csv: WP1 table computed from the training summaries");
    const t = wp1Computed(gtzan);
    tables.push(t.table);
    ablation = t.bars;
  } else miss("WP1 ablation: needs both WITH_AUG and NO_AUG results");

  // ---- WP2 -----------------------------------------------------------------------------------
  const wp2File = join(dir, "wp2_efficiency_metrics.csv");
  const wp2Rows = await readCsvOptional(wp2File);
  if (wp2Rows) tables.push(genericTable("wp2_efficiency", "WP2: efficiency", wp2Rows, wp2File));
  else if (gtzan.length) {
    miss(
      "wp2_efficiency_metrics.csv: WP2 table built from the training summaries (no p90 latency)",
    );
    tables.push(wp2Computed(gtzan));
  } else miss("WP2 efficiency: no GTZAN results");

  // ---- Other datasets and k-fold -------------------------------------------------------------
  for (const ds of OTHER_DATASETS) {
    const g = groups.filter((x) => x.dataset === ds);
    if (g.length) tables.push(datasetTable(ds, g));
  }
  // Every k-fold run folder, side by side (each row names its run folder and protocol).
  const kfoldFolders = inputs.kfoldFolders ?? [{ name: "", dir }];
  const kfold = await kfoldRows(kfoldFolders, "kfold_cv_unet_gtzan.csv");
  if (kfold.length) {
    tables.push(
      genericTable(
        "kfold_summary",
        "GTZAN k-fold cross-validation (UNet): summary, every protocol found",
        kfold,
        "kfold",
      ),
    );
  } else miss("kfold_cv_unet_gtzan.csv (k-fold summary; optional)");
  const folds = await kfoldRows(kfoldFolders, "kfold_cv_unet_gtzan_folds.csv");
  if (folds.length) {
    tables.push(
      genericTable("kfold_folds", "GTZAN k-fold cross-validation (UNet): per fold", folds, "folds"),
    );
  }
  return ablation;
}

/** The rows of `file` in each folder, with a first column `Run` (the folder) when in one. */
async function kfoldRows(
  folders: readonly { name: string; dir: string }[],
  file: string,
): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  for (const f of folders) {
    const rows = await readCsvOptional(join(f.dir, file));
    for (const r of rows ?? []) out.push(f.name ? { Run: f.name, ...r } : r);
  }
  // A row without `Run` (the reports folder itself) gets an empty one when others have it.
  if (out.some((r) => "Run" in r)) {
    return out.map((r) => ("Run" in r ? r : { Run: "", ...r }));
  }
  return out;
}

/** A table column. */
export function col(key: string, label: string, format: ColumnFormat = "text"): Column {
  return { key, label, format };
}

function leaderboardTable(
  groups: Group[],
  champion: AnalysisResult["champion"],
  main = "GTZAN",
  labels?: ReadonlyMap<string, string>,
): Table {
  const order = ["GTZAN", ...OTHER_DATASETS];
  const sorted = [...groups].sort((a, b) =>
    order.indexOf(a.dataset) - order.indexOf(b.dataset) ||
    (b.test.mean ?? -1) - (a.test.mean ?? -1) || compareCodePoints(a.model, b.model)
  );
  // Several run folders: a Run column names each row's (dataset, split, seeds, quick).
  const multi = new Set(groups.map((g) => g.run)).size > 1;
  const isChampion = (g: Group): boolean =>
    champion !== null && g.dataset === "GTZAN" && g.model === champion.model &&
    g.tag === champion.tag && g.run === (champion.run ?? g.run);
  return {
    name: "leaderboard",
    title: "Leaderboard (all datasets)",
    columns: [
      col("Champion", ""),
      col("Dataset", "Dataset"),
      ...(multi ? [col("Run", "Run folder")] : []),
      col("Model", "Model"),
      col("Tag", "Tag"),
      col("N_Seeds", "Seeds", "int"),
      col("Test_Accuracy_Mean", "Test acc. (%)", "pct"),
      col("Test_Accuracy_Std", "± std (%)", "pct"),
      col("Test_Track_Accuracy_Mean", "Track acc. (%)", "pct"),
      col("Test_Track_Accuracy_Std", "± std (%)", "pct"),
      col("Best_Val_Accuracy_Mean", "Best val. acc. (%)", "pct"),
      col("Params", "Params", "int"),
    ],
    rows: sorted.map((g) => [
      isChampion(g) ? "★" : "",
      g.dataset === "GTZAN" ? (labels?.get(g.run) ?? main) : g.dataset,
      ...(multi ? [g.run || "(reports folder)"] : []),
      g.model,
      g.tag,
      g.n,
      g.test.mean,
      g.test.std,
      g.track.mean,
      g.track.std,
      g.bestVal.mean,
      g.params,
    ]),
    note: "Accuracies are fractions in the CSV and percentages here; std is the sample standard " +
      "deviation over seeds (empty with one seed). ★ = champion (best mean " + main +
      " test accuracy).",
  };
}

function metadataTable(meta: Record<string, unknown>): Table {
  const rows: Cell[][] = [];
  const walk = (v: unknown, path: string): void => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        walk(x, path ? `${path}.${k}` : k);
      }
    } else {
      rows.push([
        path,
        Array.isArray(v) ? v.map(String).join(", ") : v === null ? null : String(v),
      ]);
    }
  };
  walk(meta, "");
  return {
    name: "run_metadata",
    title: "Run metadata (run.json)",
    columns: [col("Key", "Key"), col("Value", "Value")],
    rows,
  };
}

function wp1Columns(multi: boolean): Column[] {
  return [
    col("Model", "Model"),
    col("WITH_AUG", "WITH_AUG test acc. (%)", "pct"),
    ...(multi ? [col("WITH_AUG_Std", "± std (%)", "pct")] : []),
    col("NO_AUG", "NO_AUG test acc. (%)", "pct"),
    ...(multi ? [col("NO_AUG_Std", "± std (%)", "pct")] : []),
    col("Gain_pp", "Gain (pp)", "pp"),
    ...(multi
      ? [
        col("Spread_pp", "Seed spread (pp)", "num2"),
        col("Gain_Exceeds_Spread", "Gain > spread", "bool"),
      ]
      : []),
  ];
}

function wp1FromFile(
  rows: Record<string, string>[],
  path: string,
  gtzan: Group[],
  log: (m: string) => void,
): { table: Table; bars: AblationBar[] } {
  requireColumns(rows, path, ["Model", "WITH_AUG", "NO_AUG", "Gain_pp"]);
  const multi = rows.length > 0 && "Spread_pp" in rows[0]!;
  const bool = (v: string | undefined): boolean | null =>
    v === undefined
      ? null
      : /^(true|yes|1)$/i.test(v)
      ? true
      : /^(false|no|0)$/i.test(v)
      ? false
      : null;
  const verdict = (r: Record<string, string>): boolean | null => {
    const g = num(r.Gain_pp);
    const s = num(r.Spread_pp);
    // "n/a" (one seed) stays unknown; an empty field is judged here (|gain| > spread)
    if ((r.Gain_Exceeds_Spread ?? "") !== "") return bool(r.Gain_Exceeds_Spread);
    return g !== null && s !== null ? Math.abs(g) > s : null;
  };
  const table: Table = {
    name: "wp1_ablation",
    title: "WP1: test accuracy with vs without SpecAugment",
    columns: wp1Columns(multi),
    rows: rows.map((r) => [
      r.Model!,
      num(r.WITH_AUG),
      ...(multi ? [num(r.WITH_AUG_Std)] : []),
      num(r.NO_AUG),
      ...(multi ? [num(r.NO_AUG_Std)] : []),
      num(r.Gain_pp),
      ...(multi ? [num(r.Spread_pp), verdict(r)] : []),
    ]),
    note: `From ${path.split("/").pop()} as the tournament wrote it` +
      (multi ? " (spread and verdict as defined there)." : " (one seed: no spread)."),
  };
  for (const r of rows) {
    const w = gtzan.find((g) => g.model === r.Model && g.tag === "WITH_AUG")?.test.mean;
    const n = gtzan.find((g) => g.model === r.Model && g.tag === "NO_AUG")?.test.mean;
    const gain = num(r.Gain_pp);
    if (
      typeof w === "number" && typeof n === "number" && gain !== null &&
      Math.abs(100 * (w - n) - gain) > 0.01
    ) {
      log(
        `warning: ${path}: ${r.Model} Gain_pp ${gain} differs from the summaries' ${100 * (w - n)}`,
      );
    }
  }
  const bars = rows.filter((r) => num(r.Gain_pp) !== null).map((r) => {
    const gainPp = num(r.Gain_pp)!;
    const spreadPp = multi ? num(r.Spread_pp) : null;
    const exceeds = multi ? verdict(r) : null;
    return { model: r.Model!, gainPp, spreadPp: exceeds === null ? null : spreadPp, exceeds };
  });
  return { table, bars };
}

/**
 * WP1 from the per-seed rows: gain = 100·(mean WITH − mean NO); spread = the larger of the two
 * tags' seed ranges (max − min) in pp; the gain "exceeds" the spread when |gain| > spread.
 */
function wp1Computed(gtzan: Group[]): { table: Table; bars: AblationBar[] } {
  const models = [...new Set(gtzan.map((g) => g.model))];
  const multi = gtzan.some((g) => g.n > 1);
  const rows: Cell[][] = [];
  const bars: AblationBar[] = [];
  for (const m of models) {
    const w = gtzan.find((g) => g.model === m && g.tag === "WITH_AUG");
    const n = gtzan.find((g) => g.model === m && g.tag === "NO_AUG");
    if (!w || !n || w.test.mean === null || n.test.mean === null) continue;
    const gain = 100 * (w.test.mean - n.test.mean);
    const spread = w.n > 1 && n.n > 1
      ? 100 * Math.max(w.test.max! - w.test.min!, n.test.max! - n.test.min!)
      : null;
    const exceeds = spread === null ? null : Math.abs(gain) > spread;
    rows.push([
      m,
      w.test.mean,
      ...(multi ? [w.test.std] : []),
      n.test.mean,
      ...(multi ? [n.test.std] : []),
      gain,
      ...(multi ? [spread, exceeds] : []),
    ]);
    bars.push({ model: m, gainPp: gain, spreadPp: spread, exceeds });
  }
  return {
    table: {
      name: "wp1_ablation",
      title: "WP1: test accuracy with vs without SpecAugment",
      columns: wp1Columns(multi),
      rows,
      note: "Computed from the training summaries: mean over seeds; spread = the larger of the " +
        "two tags' seed ranges (max − min); the gain exceeds it when |gain| > spread.",
    },
    bars,
  };
}

function wp2Computed(gtzan: Group[]): Table {
  return {
    name: "wp2_efficiency",
    title: "WP2: efficiency (from the training summaries)",
    columns: [
      col("Model", "Model"),
      col("Tag", "Tag"),
      col("Params", "Params", "int"),
      col("Approx_FLOPs", "FLOPs / segment", "si"),
      col("Latency_ms", "Latency (ms / segment)", "num2"),
      col("Latency_p90_ms", "p90 latency (ms)", "num2"),
      col("Backend", "Backend"),
      col("Test_Accuracy", "Test acc. (%)", "pct"),
      col("Test_Track_Accuracy", "Track acc. (%)", "pct"),
    ],
    rows: gtzan.map((g) => [
      g.model,
      g.tag,
      g.params,
      g.flops,
      g.latency,
      null,
      g.backend,
      g.test.mean,
      g.track.mean,
    ]),
  };
}

function datasetTable(ds: string, groups: Group[]): Table {
  const multi = new Set(groups.map((g) => g.run)).size > 1;
  return {
    name: `summary_${ds.toLowerCase()}`,
    title: `${ds}: test results`,
    columns: [
      ...(multi ? [col("Run", "Run folder")] : []),
      col("Model", "Model"),
      col("Tag", "Tag"),
      col("N_Seeds", "Seeds", "int"),
      col("Test_Accuracy_Mean", "Test acc. (%)", "pct"),
      col("Test_Accuracy_Std", "± std (%)", "pct"),
      col("Test_Track_Accuracy_Mean", "Track acc. (%)", "pct"),
      col("Best_Val_Accuracy_Mean", "Best val. acc. (%)", "pct"),
      col("Params", "Params", "int"),
    ],
    rows: groups.map((g) => [
      ...(multi ? [g.run || "(reports folder)"] : []),
      g.model,
      g.tag,
      g.n,
      g.test.mean,
      g.test.std,
      g.track.mean,
      g.bestVal.mean,
      g.params,
    ]),
  };
}

/** A table from a CSV as written, with formats guessed per column (accuracies in [0, 1] → %). */
function genericTable(
  name: string,
  title: string,
  rows: Record<string, string>[],
  _src: string,
): Table {
  const keys = rows.length ? Object.keys(rows[0]!) : [];
  const columns = keys.map((k): Column => {
    const vals = rows.map((r) => r[k] ?? "").filter((v) => v !== "");
    const nums = vals.map((v) => num(v));
    if (!vals.length || nums.some((v) => v === null)) return col(k, k.replace(/_/g, " "));
    const isAcc = /acc/i.test(k) && nums.every((v) => v! >= 0 && v! <= 1);
    if (isAcc) return col(k, `${k.replace(/_/g, " ")} (%)`, "pct");
    if (/flops/i.test(k)) return col(k, k.replace(/_/g, " "), "si");
    if (nums.every((v) => Number.isInteger(v))) return col(k, k.replace(/_/g, " "), "int");
    return col(k, k.replace(/_/g, " "), "num4");
  });
  return {
    name,
    title,
    columns,
    rows: rows.map((r) =>
      columns.map((c) => (c.format === "text" ? (r[c.key] ?? "") : num(r[c.key])))
    ),
  };
}
