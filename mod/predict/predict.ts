/**
 * Classify audio files with a trained model bundle (see `bundle.ts`).
 *
 * Prediction runs the training data's preprocessing, the same functions the setup pipeline
 * (`prepare.ts`, `_prepare_worker.ts`) calls, with the bundle's parameters:
 *
 * 1. decode (WAV / AU / MP3, any rate and channel count) to mono at the bundle's sample rate;
 * 2. cut **every** full segment of the clip (the training config's `maxSegments` and
 *    `maxSeconds` limits are lifted, so a whole song is heard); a clip shorter than one segment is
 *    zero-padded to one segment, and configs that pad a partial last segment in training do so
 *    here too; either way the track is flagged `padded`;
 * 3. log-mel each segment with the bundle's feature config (`extractFeatures`);
 * 4. scale with the bundle's scaler (fitted on the training split);
 * 5. predict in batches; the track's distribution is the mean of its segments' distributions
 *    (the original's track-level vote by mean probability).
 *
 * @module
 */
import { stringify } from "csv-stringify/sync";
import { basename, join } from "node:path";
import {
  AUDIO_EXTENSIONS,
  AudioDecodeError,
  decodeAudio,
  type DecodedAudio,
  isAudioFile,
} from "../audio/audio.ts";
import { NonFiniteError } from "../audio/finite.ts";
import type { Bundle } from "./bundle.ts";
import {
  predictionInput,
  type TimelineSegment,
  type TrackPrediction,
  trackPrediction,
} from "./classify.ts";
import { listFilesSorted } from "../fs.ts";
import { predictProbs } from "../engine/evaluate.ts";

/** Options of {@linkcode predictAudio} and {@linkcode predictFile}. */
export interface PredictOptions {
  /** Labels in `top` (default 3, at most the number of labels). */
  top?: number;
  /** Segments per forward pass (default 32). */
  batchSize?: number;
}

/**
 * Classifies decoded audio. `audio.samples` must be at the bundle's sample rate (decode with
 * `targetRate: bundle.preprocessing.features.sampleRate`, as {@linkcode predictFile} does).
 *
 * @example
 * ```ts ignore
 * import { decodeAudioFile } from "../audio/audio.ts";
 * import { loadBundle } from "./bundle.ts";
 * import { predictAudio } from "./predict.ts";
 * const bundle = await loadBundle("models/UNet_Audio_Classifier_best_WITH_AUG");
 * const audio = await decodeAudioFile("song.mp3", {
 *   targetRate: bundle.preprocessing.features.sampleRate,
 * });
 * const p = await predictAudio(bundle, audio, "song.mp3");
 * console.log(p.top[0]);
 * ```
 */
export async function predictAudio(
  bundle: Bundle,
  audio: DecodedAudio,
  file: string,
  options: PredictOptions = {},
): Promise<TrackPrediction> {
  const { labels } = bundle;
  const cfg = bundle.preprocessing.features;
  if (audio.sampleRate !== cfg.sampleRate) {
    throw new RangeError(
      `${file}: decoded at ${audio.sampleRate} Hz, the bundle needs ${cfg.sampleRate} Hz`,
    );
  }
  const input = predictionInput(audio.samples, bundle.preprocessing, bundle.scaler, file);
  const probs = await predictProbs(bundle.model, input, { batchSize: options.batchSize ?? 32 });
  return trackPrediction({
    probs,
    labels,
    features: cfg,
    segments: input.segments,
    padded: input.padded,
    samples: audio.samples.length,
    file,
    model: bundle.dir,
    sourceRate: audio.sourceRate,
    channels: audio.channels,
    truncated: audio.truncated,
    top: options.top,
  });
}

/**
 * Reads, decodes and classifies one file. A file that cannot be read or decoded throws an
 * {@linkcode AudioDecodeError} whose message names it and the reason.
 *
 * @example
 * ```ts ignore
 * import { loadBundle } from "./bundle.ts";
 * import { predictFile } from "./predict.ts";
 * const bundle = await loadBundle("models/UNet_Audio_Classifier_best_WITH_AUG");
 * const p = await predictFile(bundle, "data/demo/genres/blues/blues.00000.wav", { top: 3 });
 * console.log(p.top.map((t) => `${t.label} ${t.probability.toFixed(2)}`).join(", "));
 * ```
 */
export async function predictFile(
  bundle: Bundle,
  path: string,
  options: PredictOptions = {},
): Promise<TrackPrediction> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.IsADirectory
      ? "is a folder"
      : (e as Error).message;
    throw new AudioDecodeError(path, `cannot read: ${reason}`, { cause: e });
  }
  const audio = await decodeAudio(bytes, path, {
    targetRate: bundle.preprocessing.features.sampleRate,
  });
  return await predictAudio(bundle, audio, path, options);
}

/** A file folder mode could not classify. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/**
 * Classifies `files` one after the other. Files that cannot be read or decoded, or whose audio or
 * features are not finite, are skipped and returned with their reason; `onResult` sees each
 * outcome as it comes (progress, JSON Lines).
 * Any other error (a bug) propagates.
 *
 * @example
 * ```ts ignore
 * import { loadBundle } from "./bundle.ts";
 * import { listAudioFiles, predictFiles } from "./predict.ts";
 * const bundle = await loadBundle("models/Lean_UNet_best_WITH_AUG");
 * const files = await listAudioFiles("data/demo/genres");
 * const { predictions, skipped } = await predictFiles(bundle, files);
 * ```
 */
export async function predictFiles(
  bundle: Bundle,
  files: readonly string[],
  options: PredictOptions & {
    onResult?: (result: TrackPrediction | SkippedFile) => void | Promise<void>;
  } = {},
): Promise<{ predictions: TrackPrediction[]; skipped: SkippedFile[] }> {
  const predictions: TrackPrediction[] = [];
  const skipped: SkippedFile[] = [];
  for (const file of files) {
    let result: TrackPrediction | SkippedFile;
    try {
      result = await predictFile(bundle, file, options);
      predictions.push(result);
    } catch (e) {
      if (!(e instanceof AudioDecodeError || e instanceof NonFiniteError)) throw e;
      result = { file, reason: e.reason };
      skipped.push(result);
    }
    await options.onResult?.(result);
  }
  return { predictions, skipped };
}

/** Options of {@linkcode listAudioFiles}. */
export interface ListAudioOptions {
  /** Receives the files that are not audio (`isAudioFile`), with the reason. */
  skipped?: SkippedFile[];
}

/**
 * The audio files under `dir` (`isAudioFile`: the formats `decodeAudio` reads, the list every
 * dataset loader uses), recursively, sorted by path (code point order), as paths joined to `dir`.
 * Hidden files and folders (`.DS_Store`, macOS `._x.wav` forks) are left out; other files are
 * pushed to `options.skipped` with the reason.
 *
 * @example
 * ```ts ignore
 * import { listAudioFiles } from "./predict.ts";
 * const skipped: { file: string; reason: string }[] = [];
 * const files = await listAudioFiles("data/demo/genres", { skipped });
 * ```
 */
export async function listAudioFiles(
  dir: string,
  options: ListAudioOptions = {},
): Promise<string[]> {
  const files: string[] = [];
  for (const rel of await listFilesSorted(dir)) {
    if (rel.split("/").some((part) => part.startsWith("."))) continue;
    if (isAudioFile(rel)) files.push(join(dir, rel));
    else {
      options.skipped?.push({
        file: join(dir, rel),
        reason: `not an audio file (readable: ${AUDIO_EXTENSIONS.join(" ")})`,
      });
    }
  }
  return files;
}

/**
 * The folder-mode CSV: `file,top_label,top_probability,p_<label>…`, one row per classified file.
 *
 * @example
 * ```ts
 * import { predictionsCsv } from "./predict.ts";
 * const csv = predictionsCsv([], ["blues", "jazz"]);
 * csv; // "file,top_label,top_probability,p_blues,p_jazz\n"
 * ```
 */
export function predictionsCsv(predictions: readonly TrackPrediction[], labels: string[]): string {
  const header = ["file", "top_label", "top_probability", ...labels.map((l) => `p_${l}`)];
  const rows = predictions.map((p) => {
    const best = p.top[0]!; // the most probable label, first in label order on a tie
    return [
      p.file,
      best.label,
      best.probability.toFixed(6),
      ...p.probabilities.map((v) => v.toFixed(6)),
    ];
  });
  return stringify([header, ...rows]);
}

/**
 * The human-readable report of one track: top-k with bars, then the timeline.
 *
 * @example
 * ```ts ignore
 * import { formatPrediction } from "./predict.ts";
 * console.log(formatPrediction(prediction));
 * ```
 */
export function formatPrediction(p: TrackPrediction): string {
  const segLen = p.segments.length > 0 ? p.segments[0]!.end_s - p.segments[0]!.start_s : 0;
  const lines = [
    `${p.file}`,
    `  ${p.duration_s.toFixed(1)} s, ${p.segments.length} segment${
      p.segments.length === 1 ? "" : "s"
    } of ${segLen.toFixed(2)} s${p.padded ? " (zero-padded: the clip is shorter)" : ""}${
      p.truncated ? " (the file is cut short: this is what it holds)" : ""
    }; ` +
    `model ${p.model}`,
    "",
  ];
  const w = Math.max(...p.top.map((t) => t.label.length), 5);
  p.top.forEach((t, i) => {
    lines.push(
      `  ${i + 1}. ${t.label.padEnd(w)}  ${percent(t.probability)}  ${bar(t.probability)}`,
    );
  });
  lines.push("", "  timeline");
  const tw = Math.max(...p.segments.map((s) => timeRange(s).length));
  const lw = Math.max(...p.segments.map((s) => s.top_label.length));
  for (const s of p.segments) {
    lines.push(
      `  ${timeRange(s).padStart(tw)}  ${s.top_label.padEnd(lw)}  ${percent(s.probability)}`,
    );
  }
  return lines.join("\n");
}

/**
 * One line per track for folder mode: the file and its top-k.
 *
 * @example
 * ```ts ignore
 * import { formatSummaryTable } from "./predict.ts";
 * console.log(formatSummaryTable(predictions));
 * ```
 */
export function formatSummaryTable(predictions: readonly TrackPrediction[]): string {
  if (predictions.length === 0) return "";
  const fw = Math.max(4, ...predictions.map((p) => p.file.length));
  const k = Math.max(...predictions.map((p) => p.top.length));
  const lw = Math.max(...predictions.flatMap((p) => p.top.map((t) => t.label.length)));
  const header = `${"file".padEnd(fw)}  ` +
    Array.from({ length: k }, (_, i) => `${`top ${i + 1}`.padEnd(lw)}  ${"".padStart(6)}`)
      .join("  ");
  const lines = [header.trimEnd()];
  for (const p of predictions) {
    lines.push(
      `${p.file.padEnd(fw)}  ` +
        p.top.map((t) => `${t.label.padEnd(lw)}  ${percent(t.probability)}`).join("  "),
    );
  }
  return lines.join("\n");
}

/** The default CSV path for a folder: `reports/predict_<folder name>.csv`. */
export function defaultCsvPath(folder: string): string {
  const name = basename(folder.replace(/[\\/]+$/, "")) || "folder";
  return join("reports", `predict_${name.replace(/[^\w.-]+/g, "_")}.csv`);
}

function percent(p: number): string {
  return `${(100 * p).toFixed(1).padStart(5)}%`;
}

function bar(p: number, width = 24): string {
  const eighths = Math.round(p * width * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  return "█".repeat(full) + (part ? "▏▎▍▌▋▊▉"[part - 1]! : "");
}

function timeRange(s: TimelineSegment): string {
  return `${s.start_s.toFixed(2)}–${s.end_s.toFixed(2)} s`;
}
