/**
 * `deno task analysis`: turns what the experiments wrote into the tables, figures and the one page
 * a paper needs. It trains nothing and works with whatever subset of results exists.
 *
 * 1. reads `--reports` and every run folder in it (`<reports>/<run>/`: one per experiment
 *    configuration, e.g. `gtzan-random-seed42`, `kfold-seed-leaky-gtzan-random-k5-seed42`;
 *    summary CSVs, predictions, epoch logs, run.json), labelling each run side by side;
 * 2. writes `tables/*.{csv,md}` and `figures/*.{vl.json,svg}` under `--out` (default: the same);
 * 3. for the champion (best mean GTZAN test accuracy of the main tournament) computes confusion
 *    matrices, classification reports and a t-SNE of its pooled features (its bundle
 *    `--models-dir/<run>/<Model>_best_<TAG>/` run on the processed test set; `--data` defaults
 *    to the folder its run.json names);
 * 4. writes `index.html`, and lists on stderr and in the page what was missing.
 *
 * Artefacts are cached under `<out>/.cache/` by their inputs' hashes; `FINAL_ANALYSIS_USE_CACHE=0`
 * recomputes them. Ctrl-C stops at the next figure, t-SNE step or feature batch and exits 130
 * (every file written is complete).
 *
 * @module
 */
import { join } from "node:path";
import { runAnalysis } from "../mod/report/mod.ts";
import { intFlag, parseCli, runMain } from "../mod/cli.ts";
import { exists, readJson } from "../mod/fs.ts";
import { log } from "../mod/progress.ts";
import { interruptSignal } from "../mod/interrupt.ts";

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage: "deno task analysis [--reports reports] [--out DIR] [--no-tsne]",
    description: "Tables, figures and reports/index.html from the experiments' results.",
    flags: {
      reports: { type: "string", default: "reports", help: "folder with the experiments' CSVs" },
      out: { type: "string", help: "output folder (default: --reports)" },
      "models-dir": { type: "string", default: "models", help: "model bundles folder" },
      data: {
        type: "string",
        help: "processed folder with X_test.npy (default: run.json's data.dir, else " +
          "data/processed/gtzan/random)",
      },
      "tsne-per-class": { type: "string", default: "100", help: "t-SNE segments per genre (max)" },
      "tsne-iterations": { type: "string", default: "1000", help: "t-SNE iterations" },
      "batch-size": { type: "string", default: "32", help: "inference batch for pooled features" },
      "no-tsne": { type: "boolean", help: "skip the t-SNE (no model inference)" },
      seed: { type: "string", default: "42", help: "seed of the subsample and the t-SNE" },
    },
  });
  const reportsDir = String(values.reports);
  const seed = intFlag(values, "seed");
  const perClass = intFlag(values, "tsne-per-class", 1);
  const batchSize = intFlag(values, "batch-size", 1);
  const useCache = Deno.env.get("FINAL_ANALYSIS_USE_CACHE") !== "0";
  // Ctrl-C: stop at the next figure, t-SNE step or feature batch (files written stay complete).
  interruptSignal({
    message: "interrupt: stopping at the next figure or t-SNE step (files already written are " +
      "complete; Ctrl-C again waits, a third time quits at once)",
  });

  const result = await runAnalysis({
    reportsDir,
    outDir: typeof values.out === "string" ? values.out : undefined,
    useCache,
    seed,
    tsnePerClass: perClass,
    tsneIterations: intFlag(values, "tsne-iterations", 1),
    // tfjs is loaded only when a t-SNE is wanted.
    // The champion's bundle is in its run folder under --models-dir (models/<run>/…).
    embedding: values["no-tsne"] ? undefined : async (champion) => {
      const { bundleEmbedding } = await import("../mod/report/pooled_features.ts");
      const run = champion.run ?? "";
      const modelsDir = join(String(values["models-dir"]), run);
      const dataDir = typeof values.data === "string"
        ? values.data
        : await dataDirFromRun(join(reportsDir, run));
      return await bundleEmbedding({ modelsDir, dataDir, perClass, seed, batchSize })(champion);
    },
  });
  log(
    `analysis: ${result.tables.length} tables, ${result.figures.length} figures, ` +
      `${result.missing.length} missing input(s)` +
      (result.cacheHits.length ? `, from cache: ${result.cacheHits.join(", ")}` : ""),
  );
  console.log(result.indexPath);
}

/** The processed folder the tournament used (run.json `data.dir`), else GTZAN's random split. */
async function dataDirFromRun(reportsDir: string): Promise<string> {
  const path = join(reportsDir, "run.json");
  if (await exists(path)) {
    const run = await readJson<{ data?: { dir?: unknown } }>(path);
    if (typeof run.data?.dir === "string") return run.data.dir;
  }
  return "data/processed/gtzan/random";
}

if (import.meta.main) {
  await runMain(main);
  Deno.exit(0); // wasm worker threads, if any, must not keep the process alive
}
