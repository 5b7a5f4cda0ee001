/**
 * One folder per experiment configuration, so that no run's results replace another's: the
 * training scripts write into `<reports>/<run>/` and `<models-dir>/<run>/`, where `<run>` names
 * what distinguishes the configuration ({@linkcode runFolderName}): the dataset, the split, the
 * protocol and folds (k-fold), the seed(s), and `quick` for `--quick` runs. Rerunning the same
 * configuration replaces that folder's results only, and says so ({@linkcode openRunFolder}).
 * The analysis (`report/`) reads every run folder it finds and labels each.
 *
 * @module
 */
import { join } from "node:path";
import { exists } from "../fs.ts";

/** What distinguishes one configuration of an experiment. */
export interface RunKey {
  /** `kfold` for the cross-validation; absent for a tournament or a dataset training. */
  experiment?: "kfold";
  /** Dataset name as its setup task records it (`gtzan`, `fma`, `indian`, `tabla`, `demo`). */
  dataset: string;
  /** The processed data's split protocol (`random`, `fault-filtered`, `official`, …). */
  split: string;
  /** k-fold protocol (`grouped`, `seed-leaky`). */
  protocol?: string;
  /** k-fold: number of folds. */
  folds?: number;
  /** The seeds of the run. */
  seeds: readonly number[];
  /** A `--quick` run (a small subset of the data). */
  quick?: boolean;
}

/**
 * The folder name of a configuration: `<dataset>-<split>-seed<N>` (several seeds:
 * `-seeds<a>-<b>-…`), k-fold `kfold-<protocol>-<dataset>-<split>-k<folds>-seed<N>`, and `-quick`
 * for quick runs. Characters outside `[A-Za-z0-9._-]` become `_`.
 *
 * @example
 * ```ts
 * import { runFolderName } from "./run_folder.ts";
 * runFolderName({ dataset: "gtzan", split: "random", seeds: [42] }); // "gtzan-random-seed42"
 * runFolderName({
 *   experiment: "kfold", protocol: "seed-leaky", folds: 5, dataset: "gtzan", split: "random",
 *   seeds: [42],
 * }); // "kfold-seed-leaky-gtzan-random-k5-seed42"
 * ```
 */
export function runFolderName(key: RunKey): string {
  if (key.seeds.length === 0) throw new RangeError("runFolderName: no seeds");
  const seeds = key.seeds.length === 1 ? `seed${key.seeds[0]}` : `seeds${key.seeds.join("-")}`;
  const parts = key.experiment === "kfold"
    ? ["kfold", key.protocol ?? "grouped", key.dataset, key.split, `k${key.folds ?? 5}`, seeds]
    : [key.dataset, key.split, seeds];
  if (key.quick) parts.push("quick");
  return parts.map((p) => String(p).replace(/[^A-Za-z0-9._-]/g, "_")).join("-");
}

/** Where one configuration's results go. */
export interface RunFolder {
  /** The folder name ({@linkcode runFolderName}). */
  name: string;
  /** `<reportsRoot>/<name>`. */
  reportsDir: string;
  /** `<modelsRoot>/<name>`. */
  modelsDir: string;
  /** True when the reports folder already held results (this run replaces them). */
  replacing: boolean;
}

/**
 * The run folders of `key` under the reports and models roots, with a log line saying where the
 * results go and whether they replace the same configuration's earlier results (other
 * configurations' folders are never touched).
 *
 * @example
 * ```ts
 * import { openRunFolder } from "./run_folder.ts";
 * const f = await openRunFolder("/tmp/reports", "/tmp/models", {
 *   dataset: "gtzan", split: "random", seeds: [42],
 * }, () => {});
 * console.log(f.reportsDir); // "/tmp/reports/gtzan-random-seed42"
 * ```
 */
export async function openRunFolder(
  reportsRoot: string,
  modelsRoot: string,
  key: RunKey,
  log: (line: string) => void,
  resume = false,
): Promise<RunFolder> {
  const name = runFolderName(key);
  const reportsDir = join(reportsRoot, name);
  const modelsDir = join(modelsRoot, name);
  const replacing = await exists(reportsDir);
  log(
    `results: ${reportsDir}/ and ${modelsDir}/ (this configuration's folders` +
      (replacing
        ? resume
          ? "; --resume: finished runs there are reused, the others replaced)"
          : "; its earlier results there are replaced, other configurations' are kept)"
        : ")"),
  );
  return { name, reportsDir, modelsDir, replacing };
}
