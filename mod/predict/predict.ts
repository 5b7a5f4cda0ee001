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
import { NonFiniteError } from "../finite.ts";
import type { Bundle, Preprocessing } from "./bundle.ts";
import { extractFeatures, type FeatureConfig, featureShape } from "../features/features.ts";
import { listFilesSorted } from "../fs.ts";
import type { Scaler } from "../features/scaler.ts";
import { predictProbs } from "../engine/evaluate.ts";

/** A label and its probability. */
export interface LabelProbability {
  label: string;
  probability: number;
}

/** One segment of the per-segment timeline. */
export interface TimelineSegment {
  /** 0-based segment index. */
  index: number;
  /** Start of the segment in the clip, seconds. */
  start_s: number;
  /** End of the segment's audio in the clip, seconds (the clip's end for a padded segment). */
  end_s: number;
  /** The segment's most probable label. */
  top_label: string;
  /** Its probability. */
  probability: number;
  /** The segment's distribution over the bundle's labels. */
  probabilities: number[];
}

/** A track's prediction: the `--json` document of `deno task predict`. */
export interface TrackPrediction {
  /** The file, as given. */
  file: string;
  /** The bundle folder used. */
  model: string;
  /** The bundle's labels, in output order. */
  labels: string[];
  /** Mean of the segments' distributions (sums to 1), in `labels` order. */
  probabilities: number[];
  /** The `k` most probable labels, most probable first. */
  top: LabelProbability[];
  /** Per-segment timeline. */
  segments: TimelineSegment[];
  /** True when audio was zero-padded to fill a segment (a clip shorter than one segment). */
  padded: boolean;
  /** Duration of the decoded clip, seconds. */
  duration_s: number;
  /** Rate the clip was analysed at (the bundle's), Hz. */
  sample_rate: number;
  /** The file's own sample rate, Hz. */
  source_rate: number;
  /** Channels in the file (mixed to mono). */
  channels: number;
  /** Present when the file was cut short (data shorter than its header says): what was read. */
  truncated?: true;
}

/** Options of {@linkcode predictAudio} and {@linkcode predictFile}. */
export interface PredictOptions {
  /** Labels in `top` (default 3, at most the number of labels). */
  top?: number;
  /** Segments per forward pass (default 32). */
  batchSize?: number;
}

/**
 * The feature config prediction uses: the bundle's, with every segment of the clip kept
 * (`maxSegments: "all"`, no `maxSeconds`).
 *
 * @example
 * ```ts
 * import { GTZAN_FEATURES } from "../features/features.ts";
 * import { predictionFeatureConfig } from "./predict.ts";
 * predictionFeatureConfig(GTZAN_FEATURES).maxSegments; // "all"
 * ```
 */
export function predictionFeatureConfig(features: Readonly<FeatureConfig>): FeatureConfig {
  const { maxSeconds: _, ...rest } = features;
  return { ...rest, maxSegments: "all" };
}

/** What {@linkcode predictionInput} returns. */
export interface PredictionInput {
  /** Scaled log-mel segments, `[segments, mels, frames, 1]` row-major. */
  x: Float32Array;
  /** Number of segments (at least 1). */
  segments: number;
  /** Shape of one segment: `[mels, frames, 1]`. */
  sampleShape: [number, number, number];
  /** True when audio was zero-padded to fill a segment. */
  padded: boolean;
}

/**
 * The model input for a clip (mono samples at `preprocessing.features.sampleRate`): every
 * segment's log-mel image, scaled with the bundle's scaler. Throws an {@linkcode AudioDecodeError}
 * naming `file` for a clip without samples, and a {@linkcode NonFiniteError} naming it when a
 * sample, a log-mel value or a scaled value is NaN or ±Infinity (never a made-up answer).
 *
 * @example
 * ```ts
 * import { GTZAN_FEATURES } from "../features/features.ts";
 * import { predictionInput } from "./predict.ts";
 * import { Scaler } from "../features/scaler.ts";
 * const scaler = new Scaler("per-mel", [128, 128], new Float64Array(128), new Float64Array(128).fill(1), 1);
 * const pre = { features: GTZAN_FEATURES } as never;
 * const input = predictionInput(new Float32Array(22050 * 7), pre, scaler);
 * input.segments; // 2 (two full 2.97 s segments in 7 s)
 * ```
 */
export function predictionInput(
  samples: Float32Array,
  preprocessing: Pick<Preprocessing, "features">,
  scaler: Scaler,
  file = "clip",
): PredictionInput {
  if (samples.length === 0) throw new AudioDecodeError(file, "no audio samples");
  const cfg = predictionFeatureConfig(preprocessing.features);
  let clip = samples;
  let padded = false;
  if (clip.length < cfg.segmentSamples) {
    // Shorter than one segment: zero-pad to one (a config that pads does the same by itself).
    clip = new Float32Array(cfg.segmentSamples);
    clip.set(samples);
    padded = true;
  }
  const f = extractFeatures(clip, cfg, file);
  const [mels, frames] = featureShape(cfg);
  if (scaler.featureShape[0] !== mels || scaler.featureShape[1] !== frames) {
    throw new RangeError(
      `scaler is for ${scaler.featureShape.join("×")} images, features give ${mels}×${frames}`,
    );
  }
  return {
    x: scaler.apply(f.data, f.data, file),
    segments: f.segments,
    sampleShape: [mels, frames, 1],
    padded: padded || f.padded,
  };
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
  const c = labels.length;
  const sr = cfg.sampleRate;
  const n = audio.samples.length;
  const mean = new Float64Array(c);
  const segments: TimelineSegment[] = [];
  for (let s = 0; s < input.segments; s++) {
    const row = probs.subarray(s * c, (s + 1) * c);
    for (let j = 0; j < c; j++) mean[j]! += row[j]!;
    const best = argmax(row);
    segments.push({
      index: s,
      start_s: seconds((s * cfg.segmentSamples) / sr),
      end_s: seconds(Math.min((s + 1) * cfg.segmentSamples, n) / sr),
      top_label: labels[best]!,
      probability: f32(row[best]!),
      probabilities: Array.from(row, f32),
    });
  }
  const total = mean.reduce((a, b) => a + b, 0);
  const probabilities = Array.from(mean, (v) => v / total);
  return {
    file,
    model: bundle.dir,
    labels: [...labels],
    probabilities,
    top: topK(probabilities, labels, options.top ?? 3),
    segments,
    padded: input.padded,
    duration_s: seconds(n / sr),
    sample_rate: sr,
    source_rate: audio.sourceRate,
    channels: audio.channels,
    ...(audio.truncated ? { truncated: true as const } : {}),
  };
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
 * features are not finite, are skipped and returned with their reason; `onResult` sees each outcome as it comes (progress, JSON Lines).
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
    const best = argmax(p.probabilities);
    return [
      p.file,
      p.labels[best]!,
      p.probabilities[best]!.toFixed(6),
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

function topK(probabilities: number[], labels: string[], k: number): LabelProbability[] {
  return probabilities
    .map((probability, i) => ({ label: labels[i]!, probability, i }))
    .sort((a, b) => b.probability - a.probability || a.i - b.i)
    .slice(0, Math.max(1, Math.min(k, labels.length)))
    .map(({ label, probability }) => ({ label, probability }));
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j]! > row[best]!) best = j;
  return best;
}

/** A float32 value to 9 significant digits: enough to read back the same float32. */
function f32(v: number): number {
  return Number(v.toPrecision(9));
}

function seconds(s: number): number {
  return Math.round(s * 1e6) / 1e6;
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
