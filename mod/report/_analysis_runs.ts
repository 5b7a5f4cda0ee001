/**
 * Private: the run folders of a reports folder, for the final analysis (`analysis.ts`). The
 * training scripts write each configuration into its own folder (`<reports>/<run>/`:
 * `gtzan-random-seed42`, `fma-official-seed42`, `kfold-seed-leaky-gtzan-random-k5-seed42`, …);
 * results written directly into the reports folder (by the library, the demo, or before run
 * folders) count as one more run, named "". {@linkcode findRunFolders} lists every folder holding
 * results and what kind they are; {@linkcode pickMainTournament} picks the tournament whose
 * champion the deep-dive examines.
 *
 * @module
 */
import { join } from "node:path";
import { compareCodePoints, exists } from "../fs.ts";
import { readJsonOptional } from "./_analysis_summary.ts";
import { GTZAN_TAGS, OTHER_DATASETS } from "./_analysis_types.ts";

/** One folder of results. */
export interface RunFolderInfo {
  /** Folder name under the reports folder; "" for the reports folder itself. */
  name: string;
  /** Its path. */
  dir: string;
  /** Holds GTZAN tournament summaries (`training_summary_{WITH_AUG,NO_AUG}.csv`). */
  tournament: boolean;
  /** Holds other-dataset summaries (`training_summary_{FMA,INDIAN,TABLA}.csv`). */
  datasets: boolean;
  /** Holds a k-fold summary (`kfold_cv_unet_gtzan.csv`). */
  kfold: boolean;
  /** Its `run.json` (tournaments), or null. */
  runJson: Record<string, unknown> | null;
}

/**
 * Never run folders: the analysis's own outputs, per-run result files, the per-fold folder of the
 * layout before run folders, and the demo's reports folder (it has its own page).
 */
const NOT_RUNS = new Set(["tables", "figures", "runs", "kfold", "demo"]);

/**
 * The reports folder itself and each of its sub-folders that holds results, the reports folder
 * first, then by name.
 */
export async function findRunFolders(dir: string): Promise<RunFolderInfo[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && !e.name.startsWith(".") && !NOT_RUNS.has(e.name)) names.push(e.name);
  }
  const out: RunFolderInfo[] = [];
  for (const name of ["", ...names.sort(compareCodePoints)]) {
    const d = name ? join(dir, name) : dir;
    const has = async (files: readonly string[]): Promise<boolean> => {
      for (const f of files) if (await exists(join(d, f))) return true;
      return false;
    };
    const tournament = await has(GTZAN_TAGS.map((t) => `training_summary_${t}.csv`));
    const datasets = await has(OTHER_DATASETS.map((t) => `training_summary_${t}.csv`));
    const kfold = await has(["kfold_cv_unet_gtzan.csv"]);
    if (!tournament && !datasets && !kfold && name !== "") continue;
    const runJson = await readJsonOptional(join(d, "run.json"));
    out.push({ name, dir: d, tournament, datasets, kfold, runJson });
  }
  return out;
}

/**
 * The tournament the champion comes from: GTZAN before the demo data, the `random` split, a full
 * run before `--quick`, more seeds, then the first by name; the reports folder itself when no
 * folder holds a tournament.
 */
export function pickMainTournament(folders: RunFolderInfo[]): RunFolderInfo {
  const t = folders.filter((f) => f.tournament);
  if (!t.length) return folders.find((f) => f.name === "") ?? folders[0]!;
  const score = (f: RunFolderInfo): number[] => {
    const r = f.runJson ?? {};
    const data = r.data as
      | { dataset?: { name?: unknown }; split?: { protocol?: unknown } }
      | undefined;
    const seeds = Array.isArray(r.seeds) ? r.seeds.length : 1;
    return [
      data?.dataset?.name === "demo" || r.synthetic_data === true ? 1 : 0,
      data?.split?.protocol === undefined || data.split.protocol === "random" ? 0 : 1,
      r.quick === true ? 1 : 0,
      -seeds,
    ];
  };
  return [...t].sort((a, b) => {
    const x = score(a);
    const y = score(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return compareCodePoints(a.name, b.name);
  })[0]!;
}
