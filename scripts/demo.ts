/**
 * # The demo: the whole pipeline in minutes, on SYNTHETIC data
 *
 * `deno task demo [--clips N] [--epochs N] [--fresh]`
 *
 * A newcomer's first command. It runs every stage of the real pipeline, with the real code, on
 * the embedded synthetic dataset (genre-like clips generated from a seed: not music, not GTZAN):
 *
 * 1. `demo:data`: synthesise 10 classes × `--clips` clips of 30 s in GTZAN's folder layout;
 * 2. the GTZAN setup pipeline on it: file-level stratified 60/20/20 split, 10 segments of
 *    65,488 samples per clip, log-mel (32×32 for the demo: `DEMO_FEATURES`), train-only
 *    per-position scaler;
 * 3. a short tournament: Efficient_VGG, ResSE_AudioCNN and UNet_Audio_Classifier, with and
 *    without SpecAugment, scored at segment and track level on the untouched test split;
 * 4. the final analysis: tables, figures and `reports/demo/index.html`.
 *
 * Everything it writes goes to `data/demo/`, `data/processed/demo/`, `models/demo/` and
 * `reports/demo/`, so real results are never overwritten. What the models reach here proves
 * that the pipeline learns; it says nothing about music.
 *
 * @module
 */
import { join } from "node:path";
import { runAnalysis } from "../mod/report/mod.ts";
import { initBackend, shutdownBackend } from "../mod/engine/mod.ts";
import { intFlag, parseCli, runMain, UsageError } from "../mod/cli.ts";
import { isModelName, type ModelName } from "../mod/models/mod.ts";
import { DATASETS, synthesizeDemoDataset } from "../mod/datasets/mod.ts";
import { exists, listFilesSorted, readJson } from "../mod/fs.ts";
import { loadProcessed, prepareDataset, subsetProcessed } from "../mod/prepare/mod.ts";
import { formatSeconds, log, Progress } from "../mod/progress.ts";
import { DEMO_TOURNAMENT, runTournament } from "../mod/experiments/mod.ts";

const SPEC = {
  usage: "deno task demo [flags]",
  description: "Synthetic data → setup → short tournament → analysis, in minutes on 2 cores.",
  flags: {
    clips: { type: "string", default: "20", help: "synthetic clips per class (30 s each)" },
    epochs: { type: "string", default: "7", help: "epochs per model" },
    segments: { type: "string", default: "4", help: "training segments per track (of 10)" },
    seed: { type: "string", default: "42", help: "seed of everything" },
    threads: { type: "string", help: "wasm threads (default: all cores)" },
    models: {
      type: "string",
      default: DEMO_TOURNAMENT.models.join(","),
      help: "comma-separated models",
    },
    fresh: { type: "boolean", help: "regenerate the synthetic audio and the processed arrays" },
  },
} as const;

const AUDIO = "data/demo/genres";
const PROCESSED = "data/processed/demo/random";
const MODELS = "models/demo";
const REPORTS = "reports/demo";

async function main(): Promise<void> {
  const t0 = performance.now();
  const { values } = parseCli(Deno.args, SPEC);
  const clips = intFlag(values, "clips", 5);
  const epochs = intFlag(values, "epochs", 1);
  const segments = intFlag(values, "segments", 1);
  const seed = intFlag(values, "seed");
  const fresh = values.fresh === true;
  const models = String(values.models).split(",").map((m) => m.trim());
  for (const m of models) if (!isModelName(m)) throw new UsageError(`--models: unknown "${m}"`);

  // 1. Synthetic audio (kept between runs unless --fresh or the clip count changed).
  const have = (await exists(AUDIO)) ? (await listFilesSorted(AUDIO)).length : 0;
  if (fresh || have !== 10 * clips) {
    if (have) await Deno.remove(AUDIO, { recursive: true });
    log(`demo 1/4: synthesising 10 × ${clips} SYNTHETIC clips of 30 s into ${AUDIO}`);
    const p = new Progress("demo:data", 10 * clips, { unit: "clips" });
    await synthesizeDemoDataset(AUDIO, { seed, clipsPerClass: clips, onFile: () => p.tick() });
    p.done();
  } else log(`demo 1/4: reusing ${have} synthetic clips in ${AUDIO}`);

  // 2. The GTZAN setup, unchanged, on the synthetic folder.
  if (fresh || have !== 10 * clips || !(await processedIsCurrent())) {
    log(`demo 2/4: GTZAN setup (split, segments, log-mel, scaler) → ${PROCESSED}`);
    await prepareDataset(DATASETS.demo!, { dataDir: AUDIO, out: PROCESSED, seed });
  } else log(`demo 2/4: reusing ${PROCESSED}`);

  // 3. A short tournament: all three models, both tags, whole test split.
  const backend = await initBackend(
    values.threads !== undefined ? { threads: intFlag(values, "threads", 1) } : {},
  );
  const full = await loadProcessed(PROCESSED);
  const data = subsetProcessed(full, { segmentsPerTrack: segments });
  const test = { ...data.parts, test: full.parts.test };
  log(
    `demo 3/4: tournament on ${data.parts.train.y.length} training segments ` +
      `(${segments} per track), ${epochs} epochs per model, ${backend.name} × ${backend.threads}`,
  );
  const result = await runTournament({
    data: { ...data, parts: test },
    recipe: DEMO_TOURNAMENT,
    models: models as ModelName[],
    tags: ["WITH_AUG", "NO_AUG"],
    seeds: [seed],
    modelsDir: MODELS,
    reportsDir: REPORTS,
    epochs,
    latencyRuns: 20,
    split: "random",
    dataset: "demo",
    meta: { command: ["demo", ...Deno.args].join(" "), demo: true, synthetic_data: true },
  });
  full.close();

  // 4. The analysis of what the tournament wrote.
  log("demo 4/4: analysis (tables, figures, index.html)");
  const analysis = await runAnalysis({
    reportsDir: REPORTS,
    tsnePerClass: 50,
    seed,
    // The embeddings' module is the report's separate, TensorFlow.js-loading entry point.
    embedding: (await import("../mod/report/pooled_features.ts")).bundleEmbedding({
      modelsDir: MODELS,
      dataDir: PROCESSED,
      perClass: 50,
      seed,
    }),
  });

  // Where everything is.
  const minutes = formatSeconds((performance.now() - t0) / 1000);
  console.log(
    `\nDemo finished in ${minutes} (synthetic data: proves the pipeline, not the science).`,
  );
  console.log("Model             Tag        test acc (segments)  test acc (tracks)");
  for (const r of result.rows) {
    console.log(
      `${r.Model.padEnd(22)}${r.Tag.padEnd(11)}${pct(r.Test_Accuracy).padStart(8)}` +
        `${pct(r.Test_Track_Accuracy).padStart(20)}`,
    );
  }
  console.log(`\nreport:  ${analysis.indexPath}`);
  console.log(`tables:  ${REPORTS}/training_summary_{WITH_AUG,NO_AUG}.csv and ${REPORTS}/tables/`);
  console.log(`models:  ${MODELS}/<Model>_best_<TAG>/ (self-describing bundles)`);
  // A clip of the test split: no model saw it during training.
  const testFile = full.manifest.files.find((f) => f.split === "test" && f.status === "ok");
  if (testFile) console.log(`predict: deno task predict ${join(AUDIO, testFile.path)}`);
  shutdownBackend();
}

/** True when the processed folder exists and was made with the demo's current parameters. */
async function processedIsCurrent(): Promise<boolean> {
  const path = join(PROCESSED, "manifest.json");
  if (!(await exists(path))) return false;
  const manifest = await readJson<{ features?: unknown }>(path);
  return JSON.stringify(manifest.features) === JSON.stringify(DATASETS.demo!.features);
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "n/a";
}

if (import.meta.main) {
  await runMain(main);
  Deno.exit(0);
}
