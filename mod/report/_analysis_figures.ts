/**
 * Private figure set of the final analysis (`analysis.ts`) apart from the champion's deep-dive:
 * model comparison per dataset, the WP1 ablation and WP2 efficiency figures from the training
 * summaries ({@linkcode summaryFigures}), and the learning curves from the epoch logs
 * ({@linkcode learningCurveFigures}).
 *
 * @module
 */
import { join } from "node:path";
import { compareCodePoints } from "../fs.ts";
import { num, requireColumns } from "./_analysis_csv.ts";
import {
  type AnalysisState,
  type Group,
  GTZAN_TAGS,
  OTHER_DATASETS,
  type RunRow,
  type Stat,
} from "./_analysis_types.ts";
import { readCsvOptional } from "./analysis_summary.ts";
import {
  type AblationBar,
  ablationSpec,
  type AccuracyBar,
  type CurvePoint,
  efficiencySpec,
  learningCurvesSpec,
  modelComparisonSpec,
} from "./plots.ts";

/**
 * Adds the figures drawn from the summaries to `state.figures`: one model comparison per
 * dataset, the WP1 ablation (when there are bars) and the WP2 efficiency scatter.
 */
export function summaryFigures(
  state: AnalysisState,
  groups: Group[],
  gtzan: Group[],
  ablation: AblationBar[],
  main: string,
): void {
  const { figures } = state;
  for (const ds of ["GTZAN", ...OTHER_DATASETS]) {
    // GTZAN: the main tournament's; another dataset: every run folder's, named when several.
    const g = ds === "GTZAN" ? gtzan : groups.filter((x) => x.dataset === ds);
    if (!g.length) continue;
    const several = new Set(g.map((x) => x.run)).size > 1;
    const named = several ? g.map((x) => ({ ...x, model: `${x.model} · ${x.run || "-"}` })) : g;
    const bars: AccuracyBar[] = named.flatMap((x) => [
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
}

function accBar(g: Group, level: string, s: Stat): AccuracyBar {
  return { model: g.model, tag: g.tag, level, mean: s.mean!, std: s.std, n: g.n };
}

/**
 * Adds one learning-curve figure per tag to `state.figures` from the epoch logs
 * `log_<Model>_<TAG>[_seed<N>].csv` among `files` (tags: GTZAN's and those of `runs`).
 */
export async function learningCurveFigures(
  state: AnalysisState,
  dir: string,
  files: string[],
  runs: RunRow[],
): Promise<void> {
  const { figures, miss } = state;
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
    // One figure per tag: the first run folder's (the main tournament's) wins.
    if (!pts.length || figures.some((f) => f.name === `learning_curves_${tag}`)) continue;
    figures.push({
      name: `learning_curves_${tag}`,
      spec: learningCurvesSpec(pts, `Learning curves (${tag})`),
      caption: `Loss and accuracy per epoch for each model trained with tag ${tag}.`,
      section: "curves",
    });
  }
}

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
