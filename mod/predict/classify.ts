/**
 * The pure half of prediction, shared by `deno task predict` and the browser page: the model input
 * of a clip ({@linkcode predictionInput}: every segment's log-mel, scaled with the bundle's scaler)
 * and the prediction document assembled from the segments' probabilities
 * ({@linkcode trackPrediction}). No file system, no TensorFlow.js.
 *
 * @module
 */
import { AudioDecodeError } from "../audio/audio.ts";
import { extractFeatures, type FeatureConfig, featureShape } from "../features/features.ts";
import type { Scaler } from "../features/scaler.ts";
import type { Preprocessing } from "./bundle_format.ts";

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

/**
 * The feature config prediction uses: the bundle's, with every segment of the clip kept
 * (`maxSegments: "all"`, no `maxSeconds`).
 *
 * @example
 * ```ts
 * import { GTZAN_FEATURES } from "../features/features.ts";
 * import { predictionFeatureConfig } from "./classify.ts";
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
 * naming `file` for a clip without samples, and a `NonFiniteError` naming it when a sample, a
 * log-mel value or a scaled value is NaN or ±Infinity (never a made-up answer).
 *
 * @example
 * ```ts
 * import { GTZAN_FEATURES } from "../features/features.ts";
 * import { predictionInput } from "./classify.ts";
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

/** What {@linkcode trackPrediction} assembles a prediction from. */
export interface TrackPredictionParts {
  /** Per-segment probabilities, row-major `[segments, labels]`. */
  probs: Float32Array;
  /** The bundle's labels, in output order. */
  labels: readonly string[];
  /** The feature config the segments were cut with (its rate and segment length). */
  features: Pick<FeatureConfig, "sampleRate" | "segmentSamples">;
  /** Number of segments. */
  segments: number;
  /** True when audio was zero-padded to fill a segment. */
  padded: boolean;
  /** Decoded length, samples at `features.sampleRate`. */
  samples: number;
  /** The file, as given. */
  file: string;
  /** The bundle (folder or URL). */
  model: string;
  /** The file's own sample rate, Hz. */
  sourceRate: number;
  /** Channels in the file. */
  channels: number;
  /** True when the file was cut short (recorded as `truncated: true`). */
  truncated?: boolean;
  /** Labels in `top` (default 3). */
  top?: number;
}

/**
 * The {@linkcode TrackPrediction} of a clip from its segments' probabilities: the mean
 * distribution, the top labels and the per-segment timeline. {@linkcode predictAudio} and the
 * browser page both call it, so their JSON documents agree field for field.
 *
 * @example
 * ```ts
 * import { trackPrediction } from "./classify.ts";
 * const p = trackPrediction({
 *   probs: new Float32Array([0.9, 0.1, 0.3, 0.7]), labels: ["a", "b"],
 *   features: { sampleRate: 10, segmentSamples: 10 }, segments: 2, padded: false,
 *   samples: 20, file: "x.wav", model: "m", sourceRate: 10, channels: 1,
 * });
 * console.log(p.top[0]!.label, p.segments[1]!.top_label); // a b
 * ```
 */
export function trackPrediction(parts: TrackPredictionParts): TrackPrediction {
  const { probs, labels, features: cfg, segments: count } = parts;
  const c = labels.length;
  if (probs.length !== count * c) {
    throw new RangeError(`${probs.length} probabilities for ${count} segments × ${c} labels`);
  }
  const sr = cfg.sampleRate;
  const n = parts.samples;
  const mean = new Float64Array(c);
  const segments: TimelineSegment[] = [];
  for (let s = 0; s < count; s++) {
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
    file: parts.file,
    model: parts.model,
    labels: [...labels],
    probabilities,
    top: topK(probabilities, [...labels], parts.top ?? 3),
    segments,
    padded: parts.padded,
    duration_s: seconds(n / sr),
    sample_rate: sr,
    source_rate: parts.sourceRate,
    channels: parts.channels,
    ...(parts.truncated ? { truncated: true as const } : {}),
  };
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
