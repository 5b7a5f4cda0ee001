/**
 * The final analysis: reads what the experiments wrote into a reports folder (summary CSVs,
 * predictions, epoch logs, run metadata), and writes the tables (CSV + Markdown), the figures
 * (Vega-Lite spec + SVG), the champion's deep-dive (confusion matrices, classification reports,
 * t-SNE of pooled features) and one `index.html`. It trains nothing and works with whatever
 * subset of inputs exists, listing what is missing (stderr and a page section).
 *
 * Layout written under `outDir` (default: the reports folder): `tables/<name>.{csv,md}`,
 * `figures/<name>.{vl.json,svg}`, `index.html`, and `.cache/` (deep-dive artefacts keyed by the
 * SHA-256 of their inputs; `useCache: false` recomputes them).
 *
 * @module
 */
import { csvRecords } from "../csv.ts";
import { join } from "node:path";
import {
  compareCodePoints,
  exists,
  readJson,
  sha256Hex,
  writeFileAtomic,
  writeJsonAtomic,
} from "../fs.ts";
import {
  aggregateTracks,
  type ClassificationReport,
  classificationReport,
  confusionMatrix,
  formatClassificationReport,
  normalizeRows,
  type SegmentPrediction,
} from "./metrics.ts";
import {
  type AblationBar,
  ablationSpec,
  type AccuracyBar,
  confusionSpec,
  type CurvePoint,
  efficiencySpec,
  learningCurvesSpec,
  modelComparisonSpec,
  renderSvg,
  tsneSpec,
  type VlSpec,
} from "./plots.ts";
import { log as defaultLog } from "../progress.ts";
import { buildIndexHtml, type HtmlBlock, type HtmlSection } from "./report_html.ts";
import { Rng } from "../rng.ts";
import {
  type Cell,
  type Column,
  type ColumnFormat,
  type Table,
  tableToCsv,
  tableToMarkdown,
} from "./tables.ts";
import { balancedSubsample, trustworthiness, tsne } from "./tsne.ts";

/** Pooled features of test segments, for the t-SNE figure. */
export interface Embedding {
  /** Row-major `[n, dim]` features. */
  features: Float32Array;
  /** Feature dimension. */
  dim: number;
  /** Label index per row. */
  labels: Int32Array;
  /** Label names (labels.json order); default: the predictions file's classes. */
  labelNames?: string[];
}

/** A provider of pooled features with a cache key that identifies its inputs. */
export interface EmbeddingSource {
  /** SHA-256 (or other stable digest) of everything `embed` reads (model bundle, test arrays). */
  key: string;
  /** Computes the features (only called on a cache miss). */
  embed: () => Promise<Embedding>;
  /** Where the features come from, for the page (e.g. "models/UNet_best_WITH_AUG, layer gap"). */
  description?: string;
}

/** Options for {@linkcode runAnalysis}. */
export interface AnalysisOptions {
  /** Folder with the experiments' CSVs (e.g. "reports"). */
  reportsDir: string;
  /** Output folder (default `reportsDir`). */
  outDir?: string;
  /** Reuse cached artefacts (default true). */
  useCache?: boolean;
  /**
   * Pooled-feature provider for the champion, given its model and tag; when its
   * bundle or the test arrays are absent, return a string saying why (it goes to the missing list).
   */
  embedding?: (champion: { model: string; tag: string }) => Promise<EmbeddingSource | string>;
  /** At most this many segments per class in the t-SNE (default 100). */
  tsnePerClass?: number;
  /** t-SNE iterations (default 1000). */
  tsneIterations?: number;
  /** Seed for the subsample and the t-SNE (default 42). */
  seed?: number;
  /** Progress and warnings (default: stderr). */
  log?: (message: string) => void;
}

/** What {@linkcode runAnalysis} produced. */
export interface AnalysisResult {
  /** Tables written (file stems under tables/). */
  tables: string[];
  /** Figures written (file stems under figures/), with the item count of each named mark. */
  figures: { name: string; marks: Record<string, number> }[];
  /** What was missing, one line each. */
  missing: string[];
  /** The champion (best mean GTZAN test accuracy), or null. */
  champion: { model: string; tag: string; testAccuracy: number; seeds: number } | null;
  /** Path of index.html. */
  indexPath: string;
  /** Cache hits by artefact name. */
  cacheHits: string[];
}

const CACHE_VERSION = "analysis-v1";
const GTZAN_TAGS = ["WITH_AUG", "NO_AUG"] as const;
const OTHER_DATASETS = ["FMA", "INDIAN", "TABLA"] as const;

interface RunRow {
  dataset: string;
  model: string;
  tag: string;
  seed: string;
  bestVal: number | null;
  test: number | null;
  track: number | null;
  epochs: number | null;
  params: number | null;
  flops: number | null;
  latency: number | null;
  backend: string;
}

interface Stat {
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
}

interface Group {
  dataset: string;
  model: string;
  tag: string;
  n: number;
  test: Stat;
  track: Stat;
  bestVal: Stat;
  params: number | null;
  flops: number | null;
  latency: number | null;
  backend: string;
}

/**
 * Runs the whole analysis on a reports folder; see the module doc for what it writes.
 *
 * @example
 * ```ts
 * import { runAnalysis } from "./analysis.ts";
 * const result = await runAnalysis({ reportsDir: "reports" }).catch(() => null);
 * ```
 */
export async function runAnalysis(options: AnalysisOptions): Promise<AnalysisResult> {
  const dir = options.reportsDir;
  const out = options.outDir ?? dir;
  const log = options.log ?? defaultLog;
  const useCache = options.useCache ?? true;
  const seed = options.seed ?? 42;
  const missing: string[] = [];
  const cacheHits: string[] = [];
  const tables: Table[] = [];
  const figures: { name: string; spec: VlSpec; caption: string; section: string }[] = [];
  const sections: HtmlSection[] = [];
  const miss = (line: string): void => {
    missing.push(line);
    log(`missing: ${line}`);
  };

  if (!(await exists(dir))) throw new Error(`${dir}: reports folder not found`);
  const files = (await listDir(dir)).sort(compareCodePoints);

  // ---- Inputs --------------------------------------------------------------------------------
  const runJson = await readJsonOptional(join(dir, "run.json"));
  if (!runJson) {
    miss("run.json (run metadata: seeds, split, backend, versions, data manifest hash)");
  }

  // The tournament's data: GTZAN, or the synthetic demo set (never to be mistaken for GTZAN).
  const main = tournamentLabel(runJson);
  const runs: RunRow[] = [];
  for (const tag of GTZAN_TAGS) {
    const f = `training_summary_${tag}.csv`;
    const rows = await readSummary(join(dir, f), "GTZAN");
    if (rows) runs.push(...rows);
    else miss(`${f} (GTZAN ${tag} results)`);
  }
  for (const ds of OTHER_DATASETS) {
    const rows = await readSummary(join(dir, `training_summary_${ds}.csv`), ds);
    if (rows) runs.push(...rows);
    else miss(`training_summary_${ds}.csv (${ds} results; optional)`);
  }
  const groups = groupRuns(runs);
  const gtzan = groups.filter((g) => g.dataset === "GTZAN");
  await crossCheckMeanStd(join(dir, "training_summary_mean_std.csv"), gtzan, log);

  // ---- Leaderboard and champion --------------------------------------------------------------
  const champion = pickChampion(gtzan);
  if (groups.length) {
    tables.push(leaderboardTable(groups, champion, main));
  } else miss("any training summary: no leaderboard, no champion");

  const metaBlocks: HtmlBlock[] = [];
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
  const kfold = await readCsvOptional(join(dir, "kfold_cv_unet_gtzan.csv"));
  if (kfold) {
    tables.push(
      genericTable(
        "kfold_summary",
        "GTZAN k-fold cross-validation (UNet): summary",
        kfold,
        "kfold",
      ),
    );
  } else miss("kfold_cv_unet_gtzan.csv (k-fold summary; optional)");
  const folds = await readCsvOptional(join(dir, "kfold_cv_unet_gtzan_folds.csv"));
  if (folds) {
    tables.push(
      genericTable("kfold_folds", "GTZAN k-fold cross-validation (UNet): per fold", folds, "folds"),
    );
  }

  // ---- Figures from the summaries ------------------------------------------------------------
  for (const ds of ["GTZAN", ...OTHER_DATASETS]) {
    const g = groups.filter((x) => x.dataset === ds);
    if (!g.length) continue;
    const bars: AccuracyBar[] = g.flatMap((x) => [
      ...(x.test.mean !== null ? [accBar(x, "segment", x.test)] : []),
      ...(x.track.mean !== null ? [accBar(x, "track", x.track)] : []),
    ]);
    const shown = ds === "GTZAN" ? main : ds;
    figures.push({
      name: `model_comparison_${ds.toLowerCase()}`,
      spec: modelComparisonSpec(bars, `${shown}: test accuracy per model`),
      caption: `${shown}: test accuracy per model and tag, segment and track level` +
        (g.some((x) => x.n > 1) ? " (mean ± 1 std over seeds)." : " (one seed)."),
      section: ds === "GTZAN" ? "leaderboard" : "other",
    });
  }
  if (ablation.length) {
    figures.push({
      name: "wp1_ablation",
      spec: ablationSpec(ablation),
      caption: "WP1: gain of SpecAugment in percentage points per model.",
      section: "wp1",
    });
  }
  const eff = gtzan.filter((g) => g.params !== null && g.test.mean !== null);
  if (eff.length) {
    figures.push({
      name: "wp2_efficiency",
      spec: efficiencySpec(eff.map((g) => ({
        model: g.model,
        tag: g.tag,
        params: g.params!,
        accuracy: g.test.mean!,
        latencyMs: g.latency,
      }))),
      caption: `WP2: parameters vs ${main} test accuracy; point area = inference latency.`,
      section: "wp2",
    });
  }

  // ---- Champion deep-dive --------------------------------------------------------------------
  const deepBlocks: HtmlBlock[] = [];
  let labelNames: string[] | null = null;
  if (champion) {
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

    // t-SNE
    if (!options.embedding) {
      miss("t-SNE: no feature extractor given (the script passes the champion's model bundle)");
    } else {
      const src = await options.embedding(champion);
      if (typeof src === "string") miss(`t-SNE: ${src}`);
      else {
        const perClass = options.tsnePerClass ?? 100;
        const iterations = options.tsneIterations ?? 1000;
        const key = await sha256Hex(
          concat(
            CACHE_VERSION,
            "tsne",
            src.key,
            String(perClass),
            String(iterations),
            String(seed),
          ),
        );
        const { value: ts, hit } = await cached(out, "tsne", key, useCache, async () => {
          log(`t-SNE: extracting pooled features (${src.description ?? "champion"})`);
          const e = await src.embed();
          const idx = balancedSubsample(e.labels, perClass, new Rng(seed).derive("tsne-subsample"));
          const n = idx.length;
          const x = new Float64Array(n * e.dim);
          idx.forEach((r, i) => x.set(e.features.subarray(r * e.dim, (r + 1) * e.dim), i * e.dim));
          const t0 = performance.now();
          const res = tsne(x, n, e.dim, { iterations, seed });
          log(`t-SNE: ${n} points, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
          return {
            xy: Array.from(res.embedding),
            labels: idx.map((r) => e.labels[r]!),
            labelNames: e.labelNames ?? null,
            kl: res.kl,
            perplexity: res.perplexity,
            trust: n > 10 ? trustworthiness(x, res.embedding, n, e.dim, 2, 5) : null,
            dim: e.dim,
          };
        });
        if (hit) cacheHits.push("tsne");
        const names = ts.labelNames ?? labelNames ?? [];
        const points = ts.labels.map((l, i) => ({
          x: ts.xy[2 * i]!,
          y: ts.xy[2 * i + 1]!,
          label: names[l] ?? `class ${l}`,
        }));
        figures.push({
          name: "tsne_champion",
          spec: tsneSpec(points, {
            title: `t-SNE of pooled features: ${champion.model} (${champion.tag})`,
            subtitle: `${points.length} test segments (≤ ${perClass} per genre), ${ts.dim}-d GAP ` +
              `features, perplexity ${ts.perplexity.toFixed(0)}, KL ${ts.kl.toFixed(3)}` +
              (ts.trust !== null ? `, trustworthiness(5) ${ts.trust.toFixed(3)}` : ""),
            labels: names.length ? names : undefined,
          }),
          caption: "t-SNE of the champion's global-average-pooled features on test segments, " +
            "coloured and shaped by true genre.",
          section: "deepdive",
        });
      }
    }
  }

  // ---- Learning curves -----------------------------------------------------------------------
  const tags = [...new Set([...GTZAN_TAGS, ...runs.map((r) => r.tag)])];
  const logs = matchLogs(files, tags);
  if (!logs.length) miss("log_<Model>_<TAG>[_seed<N>].csv (epoch logs): no learning curves");
  const byTag = new Map<string, CurvePoint[]>();
  for (const l of logs) {
    const pts = await readCurve(join(dir, l.file), l);
    if (!byTag.has(l.tag)) byTag.set(l.tag, []);
    byTag.get(l.tag)!.push(...pts);
  }
  for (const [tag, pts] of [...byTag].sort((a, b) => compareCodePoints(a[0], b[0]))) {
    if (!pts.length) continue;
    figures.push({
      name: `learning_curves_${tag}`,
      spec: learningCurvesSpec(pts, `Learning curves (${tag})`),
      caption: `Loss and accuracy per epoch for each model trained with tag ${tag}.`,
      section: "curves",
    });
  }

  // ---- Write tables and figures --------------------------------------------------------------
  for (const t of tables) {
    await writeFileAtomic(join(out, "tables", `${t.name}.csv`), tableToCsv(t));
    await writeFileAtomic(join(out, "tables", `${t.name}.md`), tableToMarkdown(t));
  }
  const rendered = new Map<string, { svg: string; marks: Record<string, number> }>();
  for (const f of figures) {
    const r = await renderSvg(f.spec);
    await writeJsonAtomic(join(out, "figures", `${f.name}.vl.json`), f.spec);
    await writeFileAtomic(join(out, "figures", `${f.name}.svg`), r.svg);
    rendered.set(f.name, r);
  }
  log(`wrote ${tables.length} tables and ${figures.length} figures under ${out}`);

  // ---- Page ----------------------------------------------------------------------------------
  const tableBlock = (name: string): HtmlBlock[] => {
    const t = tables.find((x) => x.name === name);
    if (!t) return [];
    const links = [{ text: `${name}.csv`, href: `tables/${name}.csv` }, {
      text: `${name}.md`,
      href: `tables/${name}.md`,
    }];
    return [{ kind: "table", table: t, links }];
  };
  const figBlocks = (section: string): HtmlBlock[] =>
    figures.filter((f) => f.section === section).map((f) => ({
      kind: "figure",
      id: `fig-${f.name}`,
      svg: rendered.get(f.name)!.svg,
      caption: f.caption,
      links: [{ text: "SVG", href: `figures/${f.name}.svg` }, {
        text: "Vega-Lite spec",
        href: `figures/${f.name}.vl.json`,
      }],
    }));

  if (runJson) metaBlocks.push(...tableBlock("run_metadata"));
  else metaBlocks.push({ kind: "text", text: "run.json was not found: no run metadata." });
  sections.push({
    id: "missing",
    title: "Missing inputs",
    howToRead:
      "Inputs this page looked for and did not find. Sections that depend on them are absent or computed from what exists.",
    blocks: missing.length
      ? [{ kind: "list", items: missing, warn: true }]
      : [{ kind: "text", text: "Nothing missing: every expected input was found." }],
  });
  sections.push({
    id: "leaderboard",
    title: "Leaderboard",
    howToRead:
      "Every model × tag × dataset, by mean test accuracy over seeds (± sample standard deviation). Segment accuracy scores each 3-second segment; track accuracy averages a track's segment probabilities, then takes the argmax. The champion (★) is the best mean segment-level test accuracy on GTZAN; it is the model examined in the deep-dive.",
    blocks: [...tableBlock("leaderboard"), ...figBlocks("leaderboard")],
  });
  sections.push({
    id: "wp1",
    title: "WP1: SpecAugment ablation",
    howToRead:
      "Gain = test accuracy WITH_AUG − NO_AUG in percentage points. With several seeds, a gain only means something when it is larger than the seed-to-seed spread of the same model: bars in blue pass that test, orange ones do not, grey ones had a single seed.",
    blocks: [...tableBlock("wp1_ablation"), ...figBlocks("wp1")],
  });
  sections.push({
    id: "wp2",
    title: "WP2: efficiency",
    howToRead:
      "Parameters, approximate FLOPs per segment, median (and p90) inference latency per segment on the recorded backend, and test accuracy. Up and left in the scatter is better; larger points are slower.",
    blocks: [...tableBlock("wp2_efficiency"), ...figBlocks("wp2")],
  });
  sections.push({
    id: "deepdive",
    title: "Champion deep-dive",
    howToRead:
      "Classification reports (precision, recall, F1 and support per genre; the same definitions as scikit-learn, undefined ratios set to 0) at segment and track level; confusion matrices with true genres in rows and predictions in columns (row-normalised: the diagonal is each genre's recall, off-diagonal cells show where its errors go); and a t-SNE map of the pooled features: clusters that overlap are genres the network represents alike. t-SNE distances between clusters are not meaningful, only neighbourhoods are.",
    blocks: champion
      ? [
        ...deepBlocks,
        ...tableBlock("classification_report_segment"),
        ...tableBlock("classification_report_track"),
        ...figBlocks("deepdive"),
      ]
      : [{ kind: "text", text: "No GTZAN results: no champion." }],
  });
  sections.push({
    id: "curves",
    title: "Learning curves",
    howToRead:
      "Training (solid) and validation (dashed) loss and accuracy per epoch, one row per model, one line per seed. A validation curve that flattens or rises while the training curve keeps improving marks overfitting; early stopping restores the best validation epoch.",
    blocks: figBlocks("curves").length
      ? figBlocks("curves")
      : [{ kind: "text", text: "No epoch logs were found." }],
  });
  const otherBlocks = [
    ...OTHER_DATASETS.flatMap((ds) => tableBlock(`summary_${ds.toLowerCase()}`)),
    ...figBlocks("other"),
    ...tableBlock("kfold_summary"),
    ...tableBlock("kfold_folds"),
  ];
  sections.push({
    id: "other",
    title: "Other datasets and k-fold cross-validation",
    howToRead:
      "FMA, Indian-music and Tabla results (same columns as GTZAN) and the grouped k-fold cross-validation of the UNet on GTZAN: the fold-to-fold spread is the honest error bar for a single split's accuracy.",
    blocks: otherBlocks.length
      ? otherBlocks
      : [{ kind: "text", text: "No results for other datasets or k-fold runs were found." }],
  });

  // Run metadata last: the results come first, the provenance below them.
  sections.push({
    id: "metadata",
    title: "Run metadata",
    howToRead:
      "Seeds, data split, backend, library versions and the SHA-256 of the processed-data manifest, as recorded by the experiments (run.json). Two reports with the same manifest hash were computed on the same data.",
    blocks: metaBlocks,
  });

  const html = buildIndexHtml({
    title: "Reproducible MGC: results",
    subtitle: `Generated from ${dir} by scripts/final_analysis.ts. ` +
      (champion
        ? `Champion: ${champion.model} (${champion.tag}), ${main} test accuracy ${
          (100 * champion.testAccuracy).toFixed(2)
        }%${champion.seeds > 1 ? ` (mean of ${champion.seeds} seeds)` : ""}.`
        : "No champion (no GTZAN results).") +
      (main === "GTZAN" ? "" : ` ${main}: these results prove the pipeline, not the science.`),
    sections,
  });
  const indexPath = join(out, "index.html");
  await writeFileAtomic(indexPath, html);
  return {
    tables: tables.map((t) => t.name),
    figures: figures.map((f) => ({ name: f.name, marks: rendered.get(f.name)!.marks })),
    missing,
    champion,
    indexPath,
    cacheHits,
  };
}

// ---- Reading -----------------------------------------------------------------------------------

async function listDir(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) out.push(e.name);
  return out;
}

async function readJsonOptional(path: string): Promise<Record<string, unknown> | null> {
  if (!(await exists(path))) return null;
  return await readJson<Record<string, unknown>>(path);
}

/** Reads a CSV with a header row into objects (fields trimmed); null when the file does not exist. */
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

function recordsToObjects(records: string[][], source: string): Record<string, string>[] {
  if (!records.length) return [];
  const header = records[0]!.map((h) => h.trim());
  return records.slice(1).map((r, i) => {
    if (r.length !== header.length) {
      throw new Error(
        `${source}: line ${i + 2} has ${r.length} fields, the header ${header.length}`,
      );
    }
    return Object.fromEntries(header.map((h, j) => [h, r[j]!.trim()]));
  });
}

function requireColumns(rows: Record<string, string>[], path: string, cols: string[]): void {
  if (!rows.length) return;
  const have = new Set(Object.keys(rows[0]!));
  const lack = cols.filter((c) => !have.has(c));
  if (lack.length) throw new Error(`${path}: missing column(s) ${lack.join(", ")}`);
}

function num(v: string | undefined): number | null {
  if (v === undefined || v.trim() === "" || /^(nan|none|null|na)$/i.test(v.trim())) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

async function readSummary(path: string, dataset: string): Promise<RunRow[] | null> {
  const rows = await readCsvOptional(path);
  if (!rows) return null;
  requireColumns(rows, path, ["Model", "Tag", "Test_Accuracy"]);
  return rows.map((r) => ({
    dataset,
    model: r.Model!,
    tag: r.Tag!,
    seed: r.Seed ?? "",
    bestVal: num(r.Best_Val_Accuracy),
    test: num(r.Test_Accuracy),
    track: num(r.Test_Track_Accuracy),
    epochs: num(r.Epochs),
    params: num(r.Params),
    flops: num(r.Approx_FLOPs),
    latency: num(r.Latency_ms),
    backend: r.Backend ?? "",
  }));
}

// ---- Aggregation -------------------------------------------------------------------------------

/** Mean, sample standard deviation (n − 1; null for one value), min and max, ignoring nulls. */
export function stat(values: readonly (number | null)[]): Stat {
  const v = values.filter((x): x is number => x !== null);
  if (!v.length) return { mean: null, std: null, min: null, max: null };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1
    ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1))
    : null;
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

function groupRuns(runs: RunRow[]): Group[] {
  const map = new Map<string, RunRow[]>();
  for (const r of runs) {
    const k = `${r.dataset}\u0000${r.model}\u0000${r.tag}`;
    if (!map.has(k)) map.set(k, []);
    map.get(k)!.push(r);
  }
  return [...map.values()].map((rs) => ({
    dataset: rs[0]!.dataset,
    model: rs[0]!.model,
    tag: rs[0]!.tag,
    n: rs.length,
    test: stat(rs.map((r) => r.test)),
    track: stat(rs.map((r) => r.track)),
    bestVal: stat(rs.map((r) => r.bestVal)),
    params: rs[0]!.params,
    flops: rs[0]!.flops,
    latency: stat(rs.map((r) => r.latency)).mean,
    backend: [...new Set(rs.map((r) => r.backend).filter(Boolean))].join(", "),
  }));
}

async function crossCheckMeanStd(
  path: string,
  gtzan: Group[],
  log: (m: string) => void,
): Promise<void> {
  const rows = await readCsvOptional(path);
  if (!rows) return;
  for (const r of rows) {
    const g = gtzan.find((x) => x.model === r.Model && x.tag === r.Tag);
    const m = num(r.Test_Accuracy_Mean);
    if (g && m !== null && g.test.mean !== null && Math.abs(g.test.mean - m) > 1e-6) {
      log(
        `warning: ${path}: ${r.Model} ${r.Tag} mean ${m} differs from the per-seed rows' mean ${g.test.mean}`,
      );
    }
  }
}

/**
 * The champion: the GTZAN model × tag with the best mean test accuracy; ties go to the better
 * track accuracy, then fewer parameters, then the name.
 */
function pickChampion(gtzan: Group[]): AnalysisResult["champion"] {
  const c =
    gtzan.filter((g) => g.test.mean !== null).sort((a, b) =>
      b.test.mean! - a.test.mean! || (b.track.mean ?? -1) - (a.track.mean ?? -1) ||
      (a.params ?? Infinity) - (b.params ?? Infinity) ||
      compareCodePoints(`${a.model} ${a.tag}`, `${b.model} ${b.tag}`)
    )[0];
  return c ? { model: c.model, tag: c.tag, testAccuracy: c.test.mean!, seeds: c.n } : null;
}

function accBar(g: Group, level: string, s: Stat): AccuracyBar {
  return { model: g.model, tag: g.tag, level, mean: s.mean!, std: s.std, n: g.n };
}

// ---- Tables ------------------------------------------------------------------------------------

function col(key: string, label: string, format: ColumnFormat = "text"): Column {
  return { key, label, format };
}

/** "GTZAN", or "Demo (synthetic)" when run.json says the tournament ran on the demo data. */
function tournamentLabel(runJson: Record<string, unknown> | null): string {
  const data = runJson?.data as { dataset?: { name?: unknown } } | undefined;
  return runJson?.synthetic_data === true || data?.dataset?.name === "demo"
    ? "Demo (synthetic)"
    : "GTZAN";
}

function leaderboardTable(
  groups: Group[],
  champion: AnalysisResult["champion"],
  main = "GTZAN",
): Table {
  const order = ["GTZAN", ...OTHER_DATASETS];
  const sorted = [...groups].sort((a, b) =>
    order.indexOf(a.dataset) - order.indexOf(b.dataset) ||
    (b.test.mean ?? -1) - (a.test.mean ?? -1) || compareCodePoints(a.model, b.model)
  );
  return {
    name: "leaderboard",
    title: "Leaderboard (all datasets)",
    columns: [
      col("Champion", ""),
      col("Dataset", "Dataset"),
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
      champion && g.dataset === "GTZAN" && g.model === champion.model && g.tag === champion.tag
        ? "★"
        : "",
      g.dataset === "GTZAN" ? main : g.dataset,
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
  return {
    name: `summary_${ds.toLowerCase()}`,
    title: `${ds}: test results`,
    columns: [
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

// ---- Deep-dive ---------------------------------------------------------------------------------

interface DeepDive {
  labels: string[];
  segments: number;
  tracks: number;
  confusion: { segment: number[][]; track: number[][] };
  reports: { segment: ClassificationReport; track: ClassificationReport };
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

/**
 * Confusion matrices and classification reports at segment and track level from the records of
 * a predictions CSV (header `track,file,segment,y_true,y_pred,p_<label>…`; the labels are the
 * `p_` columns in order), `source` naming the file in errors.
 */
export function deepDive(records: string[][], source: string): DeepDive {
  const rows = recordsToObjects(records, source);
  requireColumns(rows, source, ["track", "y_true", "y_pred"]);
  if (!rows.length) throw new Error(`${source}: no predictions`);
  const pCols = Object.keys(rows[0]!).filter((k) => k.startsWith("p_"));
  if (!pCols.length) throw new Error(`${source}: no p_<label> probability columns`);
  const labels = pCols.map((k) => k.slice(2));
  const index = new Map(labels.map((l, i) => [l, i]));
  const segs: SegmentPrediction[] = [];
  const yTrue: number[] = [];
  const yPred: number[] = [];
  rows.forEach((r, i) => {
    const t = index.get(r.y_true!);
    const p = index.get(r.y_pred!);
    if (t === undefined || p === undefined) {
      throw new Error(
        `${source}: line ${i + 2}: label "${
          t === undefined ? r.y_true : r.y_pred
        }" is not one of the p_ columns`,
      );
    }
    const probs = pCols.map((k) => num(r[k]) ?? NaN);
    if (probs.some(Number.isNaN)) throw new Error(`${source}: line ${i + 2}: bad probability`);
    yTrue.push(t);
    yPred.push(p);
    segs.push({ track: r.track!, yTrue: t, probs });
  });
  const tr = aggregateTracks(segs);
  return {
    labels,
    segments: rows.length,
    tracks: tr.tracks.length,
    confusion: {
      segment: confusionMatrix(yTrue, yPred, labels.length),
      track: confusionMatrix(tr.yTrue, tr.yPred, labels.length),
    },
    reports: {
      segment: classificationReport(yTrue, yPred, labels),
      track: classificationReport(tr.yTrue, tr.yPred, labels),
    },
  };
}

// ---- Learning curves ---------------------------------------------------------------------------

interface LogFile {
  file: string;
  model: string;
  tag: string;
  seed: string;
}

function matchLogs(files: string[], tags: string[]): LogFile[] {
  const byLength = [...tags].sort((a, b) => b.length - a.length);
  const out: LogFile[] = [];
  for (const f of files) {
    const m = /^log_(.+)\.csv$/.exec(f);
    if (!m) continue;
    let stem = m[1]!;
    let seed = "";
    const s = /_seed(\d+)$/.exec(stem);
    if (s) {
      seed = s[1]!;
      stem = stem.slice(0, s.index);
    }
    const tag = byLength.find((t) => stem.endsWith(`_${t}`));
    if (!tag) continue;
    out.push({ file: f, model: stem.slice(0, -tag.length - 1), tag, seed });
  }
  return out;
}

async function readCurve(path: string, l: LogFile): Promise<CurvePoint[]> {
  const rows = (await readCsvOptional(path)) ?? [];
  requireColumns(rows, path, ["epoch", "loss"]);
  const epochs = rows.map((r) => num(r.epoch)).filter((e): e is number => e !== null);
  const offset = epochs.length && Math.min(...epochs) === 0 ? 1 : 0;
  const run = l.model; // one figure per tag: a row per model
  const seed = l.seed || "–";
  const pts: CurvePoint[] = [];
  const series: [string, string, string][] = [
    ["loss", "loss", "train"],
    ["val_loss", "loss", "validation"],
    ["accuracy", "accuracy", "train"],
    ["val_accuracy", "accuracy", "validation"],
  ];
  for (const r of rows) {
    const e = num(r.epoch);
    if (e === null) continue;
    for (const [key, metric, split] of series) {
      const v = num(r[key]);
      if (v !== null) pts.push({ run, seed, epoch: e + offset, metric, split, value: v });
    }
  }
  return pts;
}

// ---- Cache -------------------------------------------------------------------------------------

async function cached<T>(
  out: string,
  name: string,
  key: string,
  useCache: boolean,
  compute: () => Promise<T>,
): Promise<{ value: T; hit: boolean }> {
  const path = join(out, ".cache", `${name}-${key.slice(0, 24)}.json`);
  if (useCache && (await exists(path))) {
    try {
      const c = await readJson<{ key: string; value: T }>(path);
      if (c.key === key) return { value: c.value, hit: true };
    } catch {
      // a damaged cache entry is recomputed
    }
  }
  const value = await compute();
  await writeJsonAtomic(path, { key, value });
  return { value, hit: false };
}

function concat(...parts: (string | Uint8Array)[]): Uint8Array {
  const enc = new TextEncoder();
  const bufs = parts.map((p) => (typeof p === "string" ? enc.encode(p + "\u0000") : p));
  const out = new Uint8Array(bufs.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of bufs) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
