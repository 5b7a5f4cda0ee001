/**
 * The GTZAN tournament (WP1 + WP2 of the original): every model × {WITH_AUG, NO_AUG} × seed under
 * identical conditions, then the summary tables: per-tag summaries with the original's columns,
 * mean ± std over seeds, the SpecAugment ablation (with a verdict on whether the gain exceeds the
 * seed-to-seed spread) and the efficiency table.
 *
 * @module
 */
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { backendInfo } from "../engine/backend.ts";
import { manifestVerification } from "../datasets/verification.ts";
import { runExperiment, type RunOptions, type RunResult } from "./experiment.ts";
import { compareCodePoints, exists, readJson, writeFileAtomic, writeJsonAtomic } from "../fs.ts";
import type { ModelName } from "../models/mod.ts";
import type { ProcessedData } from "../prepare/processed.ts";
import { log } from "../progress.ts";
import type { TrainRecipe } from "./recipes.ts";

/** The two arms of the ablation. */
export type Tag = "WITH_AUG" | "NO_AUG";

/** The original's summary columns, then ours. */
export const SUMMARY_COLUMNS = [
  "Model",
  "Tag",
  "Best_Val_Accuracy",
  "Test_Accuracy",
  "Epochs",
  "Params",
  "Approx_FLOPs",
  "Latency_ms",
  "Test_Track_Accuracy",
  "Seed",
  "Backend",
  "Train_Seconds",
] as const;

/** Options of {@linkcode runTournament}. */
export interface TournamentOptions
  extends Omit<RunOptions, "model" | "tag" | "seed" | "augment" | "suffix" | "data" | "recipe"> {
  data: ProcessedData;
  recipe: Readonly<TrainRecipe>;
  models: readonly ModelName[];
  tags: readonly Tag[];
  seeds: readonly number[];
  /** Extra metadata for `run.json` (split, command line, …). */
  meta?: Record<string, unknown>;
}

/** What {@linkcode runTournament} returns. */
export interface TournamentResult {
  rows: RunResult[];
  interrupted: boolean;
  files: string[];
  /** Whether the data is the canonical dataset, in one line (from its manifest). */
  dataLine: string;
}

/**
 * Runs the tournament and writes its tables into `reportsDir` (one folder per configuration: the
 * scripts pass `<reports>/<run>/`, see `run_folder.ts`). The tables hold this run's results and
 * the earlier finished results in the same folder (`runs/*.json`) of models, tags or seeds not
 * run this time, so a run of a few models replaces only their rows (logged). Stops early
 * (returning `interrupted`) when `signal` aborts; tables are written for what finished.
 *
 * @example Not run by `deno test --doc`: it trains every model of the tournament on the demo data when it exists and writes into `models/` and
 * `reports/` (a test must
 * not train on, or overwrite, a user's real results).
 * ```ts ignore
 * import { runTournament } from "./tournament.ts";
 * import { loadProcessed } from "../prepare/processed.ts";
 * import { GTZAN_TOURNAMENT } from "./recipes.ts";
 * const data = await loadProcessed("data/processed/demo/random").catch(() => null);
 * if (data) {
 *   await runTournament({
 *     data, recipe: GTZAN_TOURNAMENT, models: ["Efficient_VGG"], tags: ["NO_AUG"], seeds: [42],
 *     modelsDir: "models", reportsDir: "reports", epochs: 1,
 *   });
 * }
 * ```
 */
export async function runTournament(opts: TournamentOptions): Promise<TournamentResult> {
  const rows: RunResult[] = [];
  let interrupted = false;
  const started = new Date().toISOString();
  outer: for (const seed of opts.seeds) {
    for (const tag of opts.tags) {
      for (const model of opts.models) {
        if (opts.signal?.aborted) {
          interrupted = true;
          break outer;
        }
        log(`== ${model} ${tag} seed ${seed} ==`);
        const r = await runExperiment({
          ...opts,
          model,
          tag,
          seed,
          augment: tag === "WITH_AUG",
          suffix: opts.seeds.length > 1 ? `_seed${seed}` : "",
        });
        if (r.interrupted) {
          interrupted = true;
          break outer;
        }
        rows.push(r);
        log(
          `${model} ${tag} seed ${seed}: test accuracy ${pct(r.Test_Accuracy)} (segments), ` +
            `${pct(r.Test_Track_Accuracy)} (tracks), best val ${pct(r.Best_Val_Accuracy)}, ` +
            `${r.Epochs} epochs in ${r.Train_Seconds} s`,
        );
      }
    }
  }
  const kept = await earlierResults(opts.reportsDir, rows);
  if (kept.length) {
    log(
      `kept ${kept.length} earlier result(s) in ${opts.reportsDir} not rerun this time: ` +
        kept.map((r) => `${r.Model} ${r.Tag} seed ${r.Seed}`).join(", "),
    );
  }
  const all = [...kept, ...rows];
  const multiSeed = opts.seeds.length > 1 || new Set(all.map((r) => r.Seed)).size > 1;
  const files = await writeTournamentReports(opts.reportsDir, all, multiSeed);
  const info = backendInfo();
  await writeJsonAtomic(join(opts.reportsDir, "run.json"), {
    experiment: opts.recipe.name,
    started,
    finished: new Date().toISOString(),
    interrupted,
    seeds: opts.seeds,
    models: opts.models,
    tags: opts.tags,
    recipe: opts.recipe,
    epochs_override: opts.epochs ?? null,
    patience_override: opts.patience ?? null,
    data: {
      dir: opts.data.dir,
      dataset: opts.data.manifest.dataset,
      split: opts.data.manifest.split,
      counts: opts.data.manifest.counts,
      manifest_sha256: opts.data.manifestSha256,
      verification: manifestVerification(opts.data.manifest),
    },
    backend: info,
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
      tfjs: "4.22.0",
    },
    ...opts.meta,
  });
  files.push(join(opts.reportsDir, "run.json"));
  return { rows, interrupted, files, dataLine: manifestVerification(opts.data.manifest).line };
}

/**
 * The finished tournament results in `dir/runs/` (files `runExperiment` wrote) whose model, tag
 * and seed are not among `rows`, in file-name order.
 *
 * @example
 * ```ts
 * import { earlierResults } from "./tournament.ts";
 * await earlierResults("/nonexistent", []); // []
 * ```
 */
export async function earlierResults(
  dir: string,
  rows: readonly RunResult[],
): Promise<RunResult[]> {
  const runsDir = join(dir, "runs");
  if (!(await exists(runsDir))) return [];
  const key = (r: Pick<RunResult, "Model" | "Tag" | "Seed">): string =>
    `${r.Model}\u0000${r.Tag}\u0000${r.Seed}`;
  const have = new Set(rows.map(key));
  const names: string[] = [];
  for await (const e of Deno.readDir(runsDir)) {
    if (e.isFile && e.name.endsWith(".json")) names.push(e.name);
  }
  const out: RunResult[] = [];
  for (const name of names.sort(compareCodePoints)) {
    const r = await readJson<RunResult>(join(runsDir, name)).catch(() => null);
    if (
      r && !r.interrupted && (r.Tag === "WITH_AUG" || r.Tag === "NO_AUG") && !have.has(key(r))
    ) {
      have.add(key(r));
      out.push(r);
    }
  }
  return out;
}

/**
 * Writes the tournament tables for `rows` and returns the paths written:
 * `training_summary_<TAG>.csv` per tag, `training_summary_mean_std.csv` (several seeds),
 * `wp1_ablation_with_vs_without_aug.csv` (both tags present), `wp2_efficiency_metrics.csv`.
 */
export async function writeTournamentReports(
  dir: string,
  rows: readonly RunResult[],
  multiSeed: boolean,
): Promise<string[]> {
  const files: string[] = [];
  const write = async (name: string, text: string): Promise<void> => {
    const p = join(dir, name);
    await writeFileAtomic(p, text);
    files.push(p);
  };
  for (const tag of new Set(rows.map((r) => r.Tag))) {
    const mine = rows.filter((r) => r.Tag === tag);
    await write(
      `training_summary_${tag}.csv`,
      toCsv(mine.map((r) => SUMMARY_COLUMNS.map((c) => r[c])), [...SUMMARY_COLUMNS]),
    );
  }
  const stats = meanStdRows(rows);
  if (multiSeed) {
    const cols = [
      "Model",
      "Tag",
      "N_Seeds",
      "Test_Accuracy_Mean",
      "Test_Accuracy_Std",
      "Test_Track_Accuracy_Mean",
      "Test_Track_Accuracy_Std",
      "Best_Val_Accuracy_Mean",
      "Best_Val_Accuracy_Std",
    ] as const;
    await write(
      "training_summary_mean_std.csv",
      toCsv(stats.map((s) => cols.map((c) => s[c])), [...cols]),
    );
  }
  const ablation = ablationRows(stats, rows);
  if (ablation.length) {
    const cols = multiSeed
      ? [
        "Model",
        "WITH_AUG",
        "NO_AUG",
        "Gain_pp",
        "WITH_AUG_Std",
        "NO_AUG_Std",
        "Spread_pp",
        "Gain_Exceeds_Spread",
      ]
      : ["Model", "WITH_AUG", "NO_AUG", "Gain_pp"];
    await write(
      "wp1_ablation_with_vs_without_aug.csv",
      toCsv(ablation.map((a) => cols.map((c) => a[c as keyof AblationRow])), cols),
    );
  }
  const eff = efficiencyRows(rows);
  if (eff.length) {
    const cols = [
      "Model",
      "Params",
      "Approx_FLOPs",
      "Latency_ms",
      "Latency_p90_ms",
      "Backend",
      "Test_Accuracy",
      "Test_Track_Accuracy",
    ] as const;
    await write(
      "wp2_efficiency_metrics.csv",
      toCsv(eff.map((e) => cols.map((c) => e[c])), [...cols]),
    );
  }
  return files;
}

/** Mean and sample standard deviation (ddof 1; 0 for one value) of `xs`. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const n = xs.length;
  if (n === 0) return { mean: NaN, std: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, std: 0 };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(v) };
}

/** One row of `training_summary_mean_std.csv`. */
export interface MeanStdRow {
  Model: string;
  Tag: string;
  N_Seeds: number;
  Test_Accuracy_Mean: number;
  Test_Accuracy_Std: number;
  Test_Track_Accuracy_Mean: number;
  Test_Track_Accuracy_Std: number;
  Best_Val_Accuracy_Mean: number;
  Best_Val_Accuracy_Std: number;
  /** max − min of the test accuracy over seeds. */
  Test_Accuracy_Range: number;
}

/**
 * Groups runs by (model, tag) and summarises them over seeds (mean, sample std with ddof 1, range).
 *
 * @example
 * ```ts
 * import { meanStdRows } from "./tournament.ts";
 * const rows = meanStdRows([]); // []
 * ```
 */
export function meanStdRows(rows: readonly RunResult[]): MeanStdRow[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of rows) {
    const k = `${r.Model}\u0000${r.Tag}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const t = meanStd(g.map((r) => r.Test_Accuracy));
    const tt = meanStd(g.map((r) => r.Test_Track_Accuracy));
    const v = meanStd(g.map((r) => r.Best_Val_Accuracy));
    const accs = g.map((r) => r.Test_Accuracy);
    return {
      Model: g[0]!.Model,
      Tag: g[0]!.Tag,
      N_Seeds: g.length,
      Test_Accuracy_Mean: r4(t.mean),
      Test_Accuracy_Std: r4(t.std),
      Test_Track_Accuracy_Mean: r4(tt.mean),
      Test_Track_Accuracy_Std: r4(tt.std),
      Best_Val_Accuracy_Mean: r4(v.mean),
      Best_Val_Accuracy_Std: r4(v.std),
      Test_Accuracy_Range: r4(Math.max(...accs) - Math.min(...accs)),
    };
  });
}

/** One row of `wp1_ablation_with_vs_without_aug.csv`. */
export interface AblationRow {
  Model: string;
  /** Mean test accuracy WITH_AUG (fraction). */
  WITH_AUG: number;
  NO_AUG: number;
  /** (WITH − NO) in percentage points. */
  Gain_pp: number;
  WITH_AUG_Std: number;
  NO_AUG_Std: number;
  /** Seed-to-seed spread in pp: the larger of the two arms' ranges (max − min over seeds). */
  Spread_pp: number;
  /** "yes" when |Gain_pp| > Spread_pp, "no" otherwise, "n/a" with one seed. */
  Gain_Exceeds_Spread: "yes" | "no" | "n/a";
}

/**
 * The SpecAugment ablation per model (models with both arms only). With several seeds, the gain is
 * judged against the seed-to-seed spread: a gain inside the spread is not evidence of an effect.
 *
 * @example
 * ```ts
 * import { ablationRows, meanStdRows } from "./tournament.ts";
 * ablationRows(meanStdRows([]), []); // []
 * ```
 */
export function ablationRows(
  stats: readonly MeanStdRow[],
  rows: readonly RunResult[],
): AblationRow[] {
  const models = [...new Set(rows.map((r) => r.Model))];
  const out: AblationRow[] = [];
  for (const m of models) {
    const w = stats.find((s) => s.Model === m && s.Tag === "WITH_AUG");
    const n = stats.find((s) => s.Model === m && s.Tag === "NO_AUG");
    if (!w || !n) continue;
    const gain = (w.Test_Accuracy_Mean - n.Test_Accuracy_Mean) * 100;
    const spread = Math.max(w.Test_Accuracy_Range, n.Test_Accuracy_Range) * 100;
    out.push({
      Model: m,
      WITH_AUG: w.Test_Accuracy_Mean,
      NO_AUG: n.Test_Accuracy_Mean,
      Gain_pp: r4(gain, 2),
      WITH_AUG_Std: w.Test_Accuracy_Std,
      NO_AUG_Std: n.Test_Accuracy_Std,
      Spread_pp: r4(spread, 2),
      Gain_Exceeds_Spread: Math.min(w.N_Seeds, n.N_Seeds) < 2
        ? "n/a"
        : Math.abs(gain) > spread
        ? "yes"
        : "no",
    });
  }
  return out;
}

/** One row of `wp2_efficiency_metrics.csv`. */
export interface EfficiencyRow {
  Model: string;
  Params: number;
  Approx_FLOPs: number;
  Latency_ms: number;
  Latency_p90_ms: number;
  Backend: string;
  /** Mean over the model's runs (all tags and seeds). */
  Test_Accuracy: number;
  Test_Track_Accuracy: number;
}

/**
 * Efficiency per model: params, FLOPs, latency (median of the runs' medians) and mean accuracy.
 *
 * @example
 * ```ts
 * import { efficiencyRows } from "./tournament.ts";
 * efficiencyRows([]); // []
 * ```
 */
export function efficiencyRows(rows: readonly RunResult[]): EfficiencyRow[] {
  const models = [...new Set(rows.map((r) => r.Model))];
  return models.map((m) => {
    const g = rows.filter((r) => r.Model === m);
    const med = (xs: number[]): number => {
      const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
      return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
    };
    return {
      Model: m,
      Params: g[0]!.Params,
      Approx_FLOPs: g[0]!.Approx_FLOPs,
      Latency_ms: med(g.map((r) => r.Latency_ms)),
      Latency_p90_ms: med(g.map((r) => r.Latency_p90_ms)),
      Backend: g[0]!.Backend,
      Test_Accuracy: r4(meanStd(g.map((r) => r.Test_Accuracy)).mean),
      Test_Track_Accuracy: r4(meanStd(g.map((r) => r.Test_Track_Accuracy)).mean),
    };
  });
}

function toCsv(rows: unknown[][], columns: string[]): string {
  return stringify(rows.map((r) => r.map(cell)), { header: true, columns });
}

function cell(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  return String(v ?? "");
}

function r4(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "n/a";
}
