/**
 * Private champion deep-dive section of the final analysis (`analysis.ts`): finds the champion's
 * predictions file, computes (or reads from the cache) its {@linkcode deepDive}, and adds the
 * per-class classification-report tables (plus their text form) and the confusion-matrix figures
 * (counts and row-normalised) at segment and track level.
 *
 * @module
 */
import { join } from "node:path";
import { csvRecords } from "../datasets/csv.ts";
import { exists, sha256Hex, writeFileAtomic } from "../fs.ts";
import { CACHE_VERSION, cached, concat } from "./_analysis_cache.ts";
import { col } from "./_analysis_tables.ts";
import type { AnalysisState } from "./_analysis_types.ts";
import { deepDive } from "./analysis_deep_dive.ts";
import { type ClassificationReport, formatClassificationReport, normalizeRows } from "./metrics.ts";
import { confusionSpec } from "./plots.ts";
import type { HtmlBlock } from "./report_html.ts";
import type { Cell, Table } from "./tables.ts";

/** What {@linkcode championDeepDive} leaves for the page and the t-SNE. */
export interface DeepDiveSection {
  /** Text blocks for the page's deep-dive section. */
  blocks: HtmlBlock[];
  /** Class names of the predictions file, or null when it was not found. */
  labelNames: string[] | null;
}

/**
 * The champion's deep-dive: from `predictions_<Model>_<TAG>.csv` (else the lowest seed's
 * `…_seed<N>.csv`) among `files`, adds the classification-report tables to `state.tables` (and
 * writes them as text under `tables/`) and the confusion-matrix figures to `state.figures`; an
 * absent file goes to `state.miss`.
 */
export async function championDeepDive(
  state: AnalysisState,
  dir: string,
  files: string[],
  champion: { model: string; tag: string },
): Promise<DeepDiveSection> {
  const { out, useCache, tables, figures, cacheHits, miss } = state;
  const deepBlocks: HtmlBlock[] = [];
  let labelNames: string[] | null = null;
  const pred = await findPredictions(dir, files, champion.model, champion.tag);
  if (!pred) {
    miss(`predictions_${champion.model}_${champion.tag}[_seed<N>].csv (champion's predictions)`);
  } else {
    const path = join(dir, pred.file);
    const key = await sha256Hex(concat(CACHE_VERSION, "deepdive", await Deno.readFile(path)));
    const { value: dd, hit } = await cached(out, "deepdive", key, useCache, async () => {
      const records: string[][] = [];
      for await (const r of csvRecords(path)) records.push(r);
      return deepDive(records, pred.file);
    });
    if (hit) cacheHits.push("deepdive");
    labelNames = dd.labels;
    deepBlocks.push({
      kind: "text",
      text: `Champion: ${champion.model} (${champion.tag}), from ${pred.file}` +
        (pred.seed ? ` (seed ${pred.seed}; the lowest seed with a predictions file)` : "") +
        `: ${dd.segments} test segments in ${dd.tracks} tracks.`,
    });
    for (const level of ["segment", "track"] as const) {
      const rep = dd.reports[level];
      tables.push(reportTable(`classification_report_${level}`, level, rep));
      await writeFileAtomic(
        join(out, "tables", `classification_report_${level}.txt`),
        formatClassificationReport(rep, 4),
      );
      const cm = dd.confusion[level];
      figures.push({
        name: `confusion_${level}_counts`,
        spec: confusionSpec(cm, dd.labels, {
          title: `Confusion matrix, ${level} level: ${champion.model} (${champion.tag})`,
        }),
        caption: `${level}-level confusion matrix (counts; rows true, columns predicted).`,
        section: "deepdive",
      });
      figures.push({
        name: `confusion_${level}_normalized`,
        spec: confusionSpec(normalizeRows(cm), dd.labels, {
          normalized: true,
          title: `Confusion matrix, ${level} level, row-normalised`,
        }),
        caption: `${level}-level confusion matrix, each row divided by its true-class count.`,
        section: "deepdive",
      });
    }
  }
  return { blocks: deepBlocks, labelNames };
}

async function findPredictions(
  dir: string,
  files: string[],
  model: string,
  tag: string,
): Promise<{ file: string; seed: string | null } | null> {
  const plain = `predictions_${model}_${tag}.csv`;
  if (await exists(join(dir, plain))) return { file: plain, seed: null };
  const re = new RegExp(`^predictions_${escapeRe(model)}_${escapeRe(tag)}_seed(\\d+)\\.csv$`);
  const seeded = files.map((f) => re.exec(f)).filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  return seeded.length ? { file: seeded[0]![0], seed: seeded[0]![1]! } : null;
}

function reportTable(name: string, level: string, r: ClassificationReport): Table {
  const row = (
    label: string,
    x: { precision: number; recall: number; f1: number; support: number },
  ): Cell[] => [
    label,
    x.precision,
    x.recall,
    x.f1,
    x.support,
  ];
  return {
    name,
    title: `Classification report, ${level} level`,
    columns: [
      col("Class", ""),
      col("Precision", "Precision", "num4"),
      col("Recall", "Recall", "num4"),
      col("F1", "F1", "num4"),
      col("Support", "Support", "int"),
    ],
    rows: [
      ...r.labels.map((l, i) => row(l, r.perClass[i]!)),
      ["accuracy", null, null, r.accuracy, r.macro.support],
      row("macro avg", r.macro),
      row("weighted avg", r.weighted),
    ],
    note: "Same numbers as scikit-learn's classification_report(..., zero_division=0); " +
      (level === "track"
        ? "a track's prediction is the argmax of its segments' mean probabilities."
        : "one row per test segment."),
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
