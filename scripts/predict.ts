/**
 * `deno task predict <file|folder> [--model <bundle>] [--json] [--top 3] [--out <csv>]`
 *
 * Classifies audio files (WAV, AU, MP3; any rate and channel count) with a trained model bundle,
 * using the bundle's own preprocessing (see `mod/predict.ts`).
 *
 * - A file: the top-k genres (mean over all its segments) and the per-segment timeline on
 *   stdout; `--json` prints one JSON document instead.
 * - A folder (walked recursively, sorted; the readable formats, `AUDIO_EXTENSIONS`): a progress
 *   bar on stderr, one line per file on stdout (`--json`: JSON Lines), and a CSV of all files
 *   (`--out`, default `reports/predict_<folder>.csv`). Files that cannot be decoded, whose
 *   samples are not finite, or that are not audio are skipped and listed at the end with their
 *   reasons.
 * - A single file that cannot be classified (unreadable, not audio, NaN/±Inf samples): exit 1
 *   with one line naming it and the reason.
 *
 * Without `--model`, the best GTZAN bundle under `models/` is used (highest test accuracy), else
 * the demo's. Exit code 0 when at least one file was classified, 1 otherwise.
 *
 * @module
 */
import { dirname } from "node:path";
import { BACKEND_NAMES, initBackend, shutdownBackend } from "../mod/engine/mod.ts";
import { AUDIO_EXTENSIONS } from "../mod/audio/mod.ts";
import {
  defaultCsvPath,
  findBestBundle,
  formatPrediction,
  formatSummaryTable,
  listAudioFiles,
  loadBundle,
  predictFile,
  predictFiles,
  predictionsCsv,
} from "../mod/predict/mod.ts";
import { choiceFlag, intFlag, parseCli, runMain, UsageError, UserError } from "../mod/cli.ts";
import { writeFileAtomic } from "../mod/fs.ts";
import { log, Progress } from "../mod/progress.ts";

const BACKENDS = BACKEND_NAMES;

async function main(): Promise<number> {
  const { values, positionals } = parseCli(Deno.args, {
    usage: "deno task predict <file|folder> [--model <bundle>] [--json] [--top 3] [--out <csv>]",
    description: "Classify audio files (WAV, AU, MP3) with a trained model bundle.",
    positionals: true,
    flags: {
      model: {
        type: "string",
        help: "bundle folder (default: the best GTZAN bundle under --models-dir, else the demo's)",
      },
      "models-dir": { type: "string", default: "models", help: "where to look for bundles" },
      json: { type: "boolean", help: "one JSON document per file (JSON Lines for a folder)" },
      top: { type: "string", default: "3", help: "how many genres to list per file" },
      out: { type: "string", help: "folder mode: CSV path (default reports/predict_<folder>.csv)" },
      "batch-size": { type: "string", default: "32", help: "segments per forward pass" },
      backend: { type: "string", default: "auto", help: `one of ${BACKENDS.join(", ")}` },
      threads: { type: "string", help: "wasm threads (default: every core)" },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError(
      `expected one file or folder, got ${positionals.length}\n` +
        "usage: deno task predict <file|folder> [--model <bundle>] (see --help)",
    );
  }
  const target = positionals[0]!;
  const top = intFlag(values, "top", 1);
  const batchSize = intFlag(values, "batch-size", 1);
  const backend = choiceFlag(values, "backend", BACKENDS);
  const threads = values.threads === undefined ? undefined : intFlag(values, "threads", 1);

  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(target);
  } catch {
    throw new UserError(`${target}: no such file or folder`);
  }
  const modelDir = (values.model as string | undefined) ??
    await findBestBundle(values["models-dir"] as string);
  if (modelDir === null) {
    throw new UserError(
      `no trained model found under ${values["models-dir"]}/. Train one first: ` +
        "`deno task demo` trains a small demo model in a few minutes (`deno task gtzan:train` " +
        "the GTZAN ones), or pass --model <bundle folder>",
    );
  }
  await initBackend({ backend, ...(threads !== undefined ? { threads } : {}) });
  const bundle = await loadBundle(modelDir);
  log(
    `model: ${bundle.dir} (${bundle.preprocessing.dataset}, ${bundle.labels.length} labels` +
      (Number.isFinite(bundle.evaluation?.test_accuracy)
        ? `, test accuracy ${bundle.evaluation!.test_accuracy.toFixed(3)}`
        : "") +
      ")",
  );
  const options = { top, batchSize };

  if (!stat.isDirectory) {
    const p = await predictFile(bundle, target, options);
    console.log(values.json ? JSON.stringify(p) : formatPrediction(p));
    return 0;
  }

  const notAudio: { file: string; reason: string }[] = [];
  const files = await listAudioFiles(target, { skipped: notAudio });
  if (files.length === 0) {
    throw new UserError(`${target}: no audio files (${AUDIO_EXTENSIONS.join(" ")}) in this folder`);
  }
  const progress = new Progress("predict", files.length, { unit: "files" });
  const { predictions, skipped } = await predictFiles(bundle, files, {
    ...options,
    onResult: (r) => {
      if (values.json && "probabilities" in r) console.log(JSON.stringify(r));
      progress.tick();
    },
  });
  progress.done();
  if (!values.json && predictions.length > 0) console.log(formatSummaryTable(predictions));
  if (predictions.length > 0) {
    const out = (values.out as string | undefined) ?? defaultCsvPath(target);
    await Deno.mkdir(dirname(out), { recursive: true });
    await writeFileAtomic(out, predictionsCsv(predictions, bundle.labels));
    log(`${predictions.length} file(s) classified; CSV: ${out}`);
  }
  skipped.push(...notAudio);
  if (skipped.length > 0) {
    log(`skipped ${skipped.length} file(s):`);
    for (const s of skipped) log(`  ${s.file}: ${s.reason}`);
  }
  if (predictions.length === 0) {
    log(`error: none of the ${files.length} file(s) in ${target} could be classified`);
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  let code = 1;
  await runMain(async () => {
    code = await main();
  });
  shutdownBackend(code);
  Deno.exit(code);
}
