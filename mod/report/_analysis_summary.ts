/**
 * Private input side of the final analysis (`analysis.ts`): listing the reports folder, reading
 * run.json and the training summaries, grouping the per-seed rows by dataset × model × tag,
 * cross-checking the tournament's mean/std file, and picking the champion.
 *
 * @module
 */
import { join } from "node:path";
import { compareCodePoints, exists, readJson } from "../fs.ts";
import { num, requireColumns } from "./_analysis_csv.ts";
import { type Group, GTZAN_TAGS, OTHER_DATASETS, type RunRow } from "./_analysis_types.ts";
import { readCsvOptional, stat } from "./analysis_summary.ts";
import type { AnalysisResult } from "./analysis_types.ts";

/** The names of the plain files in `dir` (unsorted). */
export async function listDir(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) out.push(e.name);
  return out;
}

/** A JSON object file, or null when it does not exist. */
export async function readJsonOptional(path: string): Promise<Record<string, unknown> | null> {
  if (!(await exists(path))) return null;
  return await readJson<Record<string, unknown>>(path);
}

/** "GTZAN", or "Demo (synthetic)" when run.json says the tournament ran on the demo data. */
export function tournamentLabel(runJson: Record<string, unknown> | null): string {
  const data = runJson?.data as { dataset?: { name?: unknown } } | undefined;
  return runJson?.synthetic_data === true || data?.dataset?.name === "demo"
    ? "Demo (synthetic)"
    : "GTZAN";
}

/** One training summary's rows for `dataset`; null when the file does not exist. */
export async function readSummary(
  path: string,
  dataset: string,
  run = "",
): Promise<RunRow[] | null> {
  const rows = await readCsvOptional(path);
  if (!rows) return null;
  requireColumns(rows, path, ["Model", "Tag", "Test_Accuracy"]);
  return rows.map((r) => ({
    run,
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

/**
 * Every training summary in the run folders `folders` (`dir` "" is the reports folder itself;
 * GTZAN per tag, then the other datasets), each row labelled with its folder; a file found in no
 * folder goes to `miss`.
 */
export async function readSummaries(
  folders: readonly { name: string; dir: string }[],
  miss: (line: string) => void,
): Promise<RunRow[]> {
  const runs: RunRow[] = [];
  const read = async (file: string, dataset: string): Promise<boolean> => {
    let found = false;
    for (const f of folders) {
      const rows = await readSummary(join(f.dir, file), dataset, f.name);
      if (rows) runs.push(...rows);
      found ||= rows !== null;
    }
    return found;
  };
  for (const tag of GTZAN_TAGS) {
    const f = `training_summary_${tag}.csv`;
    if (!(await read(f, "GTZAN"))) miss(`${f} (GTZAN ${tag} results)`);
  }
  for (const ds of OTHER_DATASETS) {
    const f = `training_summary_${ds}.csv`;
    if (!(await read(f, ds))) miss(`${f} (${ds} results; optional)`);
  }
  return runs;
}

/**
 * The runs grouped by run folder × dataset × model × tag (first-seen order), aggregated over
 * seeds.
 */
export function groupRuns(runs: RunRow[]): Group[] {
  const map = new Map<string, RunRow[]>();
  for (const r of runs) {
    const k = `${r.run}\u0000${r.dataset}\u0000${r.model}\u0000${r.tag}`;
    if (!map.has(k)) map.set(k, []);
    map.get(k)!.push(r);
  }
  return [...map.values()].map((rs) => ({
    run: rs[0]!.run,
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

/** Warns when the tournament's mean/std file disagrees with the mean of the per-seed rows. */
export async function crossCheckMeanStd(
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
export function pickChampion(gtzan: Group[]): AnalysisResult["champion"] {
  const c =
    gtzan.filter((g) => g.test.mean !== null).sort((a, b) =>
      b.test.mean! - a.test.mean! || (b.track.mean ?? -1) - (a.track.mean ?? -1) ||
      (a.params ?? Infinity) - (b.params ?? Infinity) ||
      compareCodePoints(`${a.model} ${a.tag}`, `${b.model} ${b.tag}`)
    )[0];
  return c
    ? { model: c.model, tag: c.tag, testAccuracy: c.test.mean!, seeds: c.n, run: c.run }
    : null;
}
