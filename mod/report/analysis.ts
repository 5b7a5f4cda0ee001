/**
 * The final analysis: reads what the experiments wrote into a reports folder (summary CSVs,
 * predictions, epoch logs, run metadata), and writes the tables (CSV + Markdown), the figures
 * (Vega-Lite spec + SVG), the champion's deep-dive (confusion matrices, classification reports,
 * t-SNE of pooled features) and one `index.html`. It trains nothing and works with whatever
 * subset of inputs exists, listing what is missing (stderr and a page section).
 *
 * Inputs: the reports folder itself and every run folder below it (`<reports>/<run>/`, one per
 * experiment configuration: `gtzan-random-seed42`, `fma-official-seed42`,
 * `kfold-grouped-gtzan-random-k5-seed42`, …). Every run found is read and labelled side by side
 * (leaderboard rows and k-fold rows carry their run folder); the champion, WP1, WP2, the
 * deep-dive and the learning curves come from the main tournament (GTZAN's `random` split, a
 * full run, the most seeds).
 *
 * Layout written under `outDir` (default: the reports folder): `tables/<name>.{csv,md}`,
 * `figures/<name>.{vl.json,svg}`, `index.html`, and `.cache/` (deep-dive artefacts keyed by the
 * SHA-256 of their inputs; `useCache: false` recomputes them).
 *
 * The work is split by what it computes: `analysis_summary.ts` (reading CSVs, statistics over
 * seeds), `analysis_deep_dive.ts` (confusion matrices and classification reports from a
 * predictions file) and `analysis_types.ts` (options, result, embeddings) are public and
 * re-exported here; the private `_analysis_*.ts` files hold the sections this entry point runs
 * in order (summaries and champion, summary tables, summary figures, the champion's deep-dive,
 * its t-SNE, learning curves, then the files and the page).
 *
 * @module
 */
import { join } from "node:path";
import { compareCodePoints, exists, writeFileAtomic } from "../fs.ts";
import { log as defaultLog } from "../progress.ts";
import { dataBlocks, readDataRuns } from "./_analysis_data.ts";
import { championDeepDive } from "./_analysis_deep_dive.ts";
import { learningCurveFigures, summaryFigures } from "./_analysis_figures.ts";
import { analysisPage, type WebModel, writeTablesAndFigures } from "./_analysis_page.ts";
import {
  crossCheckMeanStd,
  groupRuns,
  listDir,
  pickChampion,
  readJsonOptional,
  readSummaries,
  tournamentLabel,
} from "./_analysis_summary.ts";
import { findRunFolders, pickMainTournament } from "./_analysis_runs.ts";
import { summaryTables } from "./_analysis_tables.ts";
import { championTsne } from "./_analysis_tsne.ts";
import type { AnalysisState, Figure } from "./_analysis_types.ts";
import type { AnalysisOptions, AnalysisResult } from "./analysis_types.ts";
import type { HtmlBlock } from "./report_html.ts";
import type { Table } from "./tables.ts";

export type {
  AnalysisOptions,
  AnalysisResult,
  Embedding,
  EmbeddingSource,
} from "./analysis_types.ts";
export { readCsvOptional, stat } from "./analysis_summary.ts";
export { deepDive } from "./analysis_deep_dive.ts";

/**
 * Runs the whole analysis on a reports folder; see the module doc for what it writes.
 *
 * The example is not run by `deno test --doc`: it reads the experiments' results in `reports/`
 * and writes tables, figures and `index.html` there.
 *
 * @example
 * ```ts ignore
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
  const figures: Figure[] = [];
  const miss = (line: string): void => {
    missing.push(line);
    log(`missing: ${line}`);
  };
  const state: AnalysisState = { out, useCache, tables, figures, cacheHits, miss, log };

  if (!(await exists(dir))) throw new Error(`${dir}: reports folder not found`);

  // ---- Inputs: every run folder; the main tournament's -----------------------------------------
  const folders = await findRunFolders(dir);
  const mainRun = pickMainTournament(folders);
  const mainDir = mainRun.dir;
  const files = (await listDir(mainDir)).sort(compareCodePoints);
  const runJson = mainRun.runJson;
  if (!runJson) {
    miss("run.json (run metadata: seeds, split, backend, versions, data manifest hash)");
  }
  if (folders.length > 1) {
    log(
      `analysis: run folders ${folders.map((f) => f.name || "(reports folder)").join(", ")}; ` +
        `main tournament: ${mainRun.name || "(reports folder)"}`,
    );
  }

  // The tournament's data: GTZAN, or the synthetic demo set (never to be mistaken for GTZAN).
  const main = tournamentLabel(runJson);
  const labels = new Map(folders.map((f) => [f.name, tournamentLabel(f.runJson)]));
  const runs = await readSummaries(folders, miss);
  const groups = groupRuns(runs);
  const gtzan = groups.filter((g) => g.dataset === "GTZAN" && g.run === mainRun.name);
  await crossCheckMeanStd(join(mainDir, "training_summary_mean_std.csv"), gtzan, log);

  // ---- Leaderboard and champion, WP1, WP2, other datasets and k-fold --------------------------
  const champion = pickChampion(gtzan);
  const ablation = await summaryTables(state, mainDir, {
    groups,
    gtzan,
    champion,
    main,
    runJson,
    labels,
    kfoldFolders: folders.filter((f) => f.kfold),
  });

  // ---- Figures from the summaries ------------------------------------------------------------
  summaryFigures(state, groups, gtzan, ablation, main);

  // ---- Champion deep-dive --------------------------------------------------------------------
  let deepBlocks: HtmlBlock[] = [];
  if (champion) {
    const dd = await championDeepDive(state, mainDir, files, champion);
    deepBlocks = dd.blocks;
    await championTsne(state, options, seed, champion, dd.labelNames);
  }

  // ---- Learning curves: the main tournament's, then each other dataset's run folder ----------
  await learningCurveFigures(state, mainDir, files, runs.filter((r) => r.run === mainRun.name));
  for (const f of folders.filter((x) => x.datasets && x.name !== mainRun.name)) {
    const mine = runs.filter((r) => r.run === f.name && r.dataset !== "GTZAN");
    const quiet = { ...state, miss: () => {} };
    await learningCurveFigures(quiet, f.dir, (await listDir(f.dir)).sort(compareCodePoints), mine);
  }

  // ---- Write tables and figures --------------------------------------------------------------
  const rendered = await writeTablesAndFigures(state);

  // ---- Page ----------------------------------------------------------------------------------
  const dataRuns = await readDataRuns(dir, files);
  const html = analysisPage({
    dataBlocks: await dataBlocks(dataRuns),
    dataLine: dataRuns.find((r) => r.file === "run.json")?.line ?? null,
    dir,
    tables,
    figures,
    rendered,
    missing,
    champion,
    main,
    runJson,
    deepBlocks,
    // The browser page (`deno task web`), when it was built beside the report.
    webModels: await readJsonOptional(join(out, "web", "models.json")) as WebModel[] | null,
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
