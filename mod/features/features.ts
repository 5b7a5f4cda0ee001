/**
 * Audio clip → stack of per-segment log-mel images, with every parameter held in a
 * {@linkcode FeatureConfig} (one config per dataset, as the original's scripts used).
 *
 * The recipe, as the original did it:
 * 1. keep the first `maxSeconds` of the clip (when set);
 * 2. cut contiguous, non-overlapping segments of `segmentSamples` from sample 0; a partial last
 *    segment (or a clip shorter than one segment) is zero-padded when `padShortSegments`, dropped
 *    otherwise; at most `maxSegments`;
 * 3. per segment, independently: `librosa.feature.melspectrogram` (`center=True`, so each segment
 *    has its own zero-padded edges) and `librosa.power_to_db(S, ref=np.max, top_db)` over the
 *    segment's full spectrogram;
 * 4. crop or pad the time axis to `frames`; padding appends columns of **0 dB** (what the original
 *    FMA code's `np.pad(..., constant_values=0)` on the dB image did; 0 dB is the segment's maximum,
 *    not silence);
 * 5. keep every `timeStride`-th frame (`x[:, ::timeStride]`, the Indian-music pipeline).
 *
 * Everything the extractor returns is finite: samples that are NaN or ±Infinity, and segments
 * whose log-mel is not finite (samples so large that their power overflows float32), are a
 * {@linkcode NonFiniteError} naming the file and the segment, never NaN in the arrays.
 *
 * @module
 */
import { countNonFinite, describeNonFinite, NonFiniteError } from "../audio/finite.ts";
import { MelSpectrogram, powerToDb } from "./mel.ts";

/** Feature-extraction parameters of one dataset. */
export interface FeatureConfig {
  /** Sample rate of the input samples (Hz). */
  sampleRate: number;
  /** Samples per segment: 65488 (2.97 s) for GTZAN/FMA, 66150 (3.0 s) for Indian/tabla. */
  segmentSamples: number;
  /** At most this many segments per clip, or every segment. */
  maxSegments: number | "all";
  /** Zero-pad a partial last segment / a short clip (true) or drop it (false, GTZAN). */
  padShortSegments: boolean;
  /** Only the first `maxSeconds` of a clip are used (FMA, Indian: 30). */
  maxSeconds?: number;
  /** FFT size (window length). */
  nFft: number;
  /** Hop length. */
  hop: number;
  /** Number of mel bands. */
  nMels: number;
  /** Lowest mel band edge (Hz); default 0. */
  fmin?: number;
  /** Highest mel band edge (Hz); default sampleRate / 2. */
  fmax?: number;
  /** `power_to_db` top_db (80), or null for no floor. */
  topDb: number | null;
  /** Crop or pad (0 dB columns) the time axis to this many frames before striding. */
  frames: number;
  /** Keep every `timeStride`-th frame (1: all). */
  timeStride: number;
}

/**
 * The original's GTZAN features: 10 segments of 65,488 samples (2.97 s) at 22,050 Hz, 128 mels,
 * n_fft 2048, hop 512 (1 + 65488 // 512 = 128 frames), top_db 80. Short clips give fewer
 * segments.
 */
export const GTZAN_FEATURES: Readonly<FeatureConfig> = Object.freeze({
  sampleRate: 22050,
  segmentSamples: 65488,
  maxSegments: 10,
  padShortSegments: false,
  nFft: 2048,
  hop: 512,
  nMels: 128,
  topDb: 80,
  frames: 128,
  timeStride: 1,
});

/** FMA-small: GTZAN's features on the first 30 s (`frames: 129` reproduces `--pad-frames 129`). */
export const FMA_FEATURES: Readonly<FeatureConfig> = Object.freeze({
  ...GTZAN_FEATURES,
  maxSeconds: 30,
});

/**
 * Indian music genres: first 30 s, 10 segments of 3.0 s zero-padded, hop 256 (259 frames), cropped
 * to 128 frames, then every second frame: 128 × 64.
 */
export const INDIAN_FEATURES: Readonly<FeatureConfig> = Object.freeze({
  ...GTZAN_FEATURES,
  segmentSamples: 66150,
  padShortSegments: true,
  maxSeconds: 30,
  hop: 256,
  frames: 128,
  timeStride: 2,
});

/** Tabla taalas: one example per clip, cropped/padded to 3.0 s, n_fft 1024, hop 512: 128 × 130. */
export const TABLA_FEATURES: Readonly<FeatureConfig> = Object.freeze({
  ...GTZAN_FEATURES,
  segmentSamples: 66150,
  maxSegments: 1,
  padShortSegments: true,
  nFft: 1024,
  frames: 130,
});

function checkFeatureConfig(cfg: FeatureConfig): void {
  const posInt = (v: number, name: string): void => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer >= 1`);
  };
  posInt(cfg.segmentSamples, "segmentSamples");
  posInt(cfg.frames, "frames");
  posInt(cfg.timeStride, "timeStride");
  if (cfg.maxSegments !== "all") posInt(cfg.maxSegments, "maxSegments");
  if (cfg.maxSeconds !== undefined && !(cfg.maxSeconds > 0)) {
    throw new RangeError("maxSeconds must be > 0");
  }
}

function usableSamples(nSamples: number, cfg: FeatureConfig): number {
  return cfg.maxSeconds === undefined
    ? nSamples
    : Math.min(nSamples, Math.floor(cfg.maxSeconds * cfg.sampleRate));
}

/**
 * Number of segments a clip of `nSamples` yields under `cfg`.
 *
 * @example
 * ```ts
 * import { GTZAN_FEATURES, segmentCount } from "./features.ts";
 * segmentCount(661500, GTZAN_FEATURES); // 10
 * segmentCount(441000, GTZAN_FEATURES); // 6: a 20 s clip, floor(441000 / 65488)
 * ```
 */
export function segmentCount(nSamples: number, cfg: FeatureConfig): number {
  checkFeatureConfig(cfg);
  const n = usableSamples(nSamples, cfg);
  const count = cfg.padShortSegments
    ? Math.ceil(n / cfg.segmentSamples)
    : Math.floor(n / cfg.segmentSamples);
  return cfg.maxSegments === "all" ? count : Math.min(count, cfg.maxSegments);
}

/**
 * Shape `[nMels, outFrames]` of one segment's feature image.
 *
 * @example
 * ```ts
 * import { featureShape, INDIAN_FEATURES } from "./features.ts";
 * featureShape(INDIAN_FEATURES); // [128, 64]
 * ```
 */
export function featureShape(cfg: FeatureConfig): [number, number] {
  checkFeatureConfig(cfg);
  return [cfg.nMels, Math.ceil(cfg.frames / cfg.timeStride)];
}

/** What {@linkcode extractFeatures} returns. */
export interface Features {
  /** `[segments, nMels, outFrames]` float32 log-mel (dB, unscaled), C order. */
  data: Float32Array;
  /** Number of segments. */
  segments: number;
  /** `[segments, nMels, outFrames]`. */
  shape: [number, number, number];
  /** True when a segment was zero-padded (clip shorter than its segments). */
  padded: boolean;
}

/**
 * Reusable extractor for one config: holds the mel transform and scratch buffers. One per worker.
 *
 * @example
 * ```ts
 * import { FeatureExtractor, GTZAN_FEATURES } from "./features.ts";
 * const fx = new FeatureExtractor(GTZAN_FEATURES);
 * const { shape } = fx.extract(new Float32Array(661500)); // [10, 128, 128]
 * ```
 */
export class FeatureExtractor {
  /** The config. */
  readonly config: Readonly<FeatureConfig>;
  readonly #mel: MelSpectrogram;
  readonly #power: Float32Array;
  readonly #db: Float32Array;
  readonly #segFrames: number;
  #padBuf: Float32Array | null = null;

  /** Prepares the mel transform for `cfg`. */
  constructor(cfg: FeatureConfig) {
    checkFeatureConfig(cfg);
    this.config = { ...cfg };
    this.#mel = new MelSpectrogram({
      sampleRate: cfg.sampleRate,
      nFft: cfg.nFft,
      hop: cfg.hop,
      nMels: cfg.nMels,
      ...(cfg.fmin !== undefined ? { fmin: cfg.fmin } : {}),
      ...(cfg.fmax !== undefined ? { fmax: cfg.fmax } : {}),
    });
    this.#segFrames = this.#mel.frames(cfg.segmentSamples);
    this.#power = new Float32Array(cfg.nMels * this.#segFrames);
    this.#db = new Float32Array(cfg.nMels * this.#segFrames);
  }

  /** `[nMels, outFrames]` of one segment. */
  get shape(): [number, number] {
    return featureShape(this.config);
  }

  /**
   * Log-mel images of the segments of `samples` (mono, at `config.sampleRate`). Writes into `out`
   * when given (it must hold at least segments × nMels × outFrames values). Throws a
   * {@linkcode NonFiniteError} naming `file` when a sample or a log-mel value is not finite.
   */
  extract(samples: Float32Array, out?: Float32Array, file = "clip"): Features {
    const cfg = this.config;
    const n = usableSamples(samples.length, cfg);
    const bad = countNonFinite(samples, 0, n);
    if (bad.total > 0) {
      const at = (i: number): string => `${(i / cfg.sampleRate).toFixed(3)} s`;
      throw new NonFiniteError(
        file,
        `${describeNonFinite(bad, n, "samples", at)} in the audio given to the feature ` +
          "extractor; audio samples must be finite",
      );
    }
    const segments = segmentCount(samples.length, cfg);
    const [nMels, outFrames] = this.shape;
    const per = nMels * outFrames;
    const data = out ? out.subarray(0, segments * per) : new Float32Array(segments * per);
    if (data.length !== segments * per) {
      throw new RangeError(`out holds ${out!.length} values, need ${segments * per}`);
    }
    let padded = false;
    for (let s = 0; s < segments; s++) {
      const a = s * cfg.segmentSamples, b = a + cfg.segmentSamples;
      let seg: Float32Array;
      if (b <= n) {
        seg = samples.subarray(a, b);
      } else {
        padded = true;
        seg = this.#padBuf ??= new Float32Array(cfg.segmentSamples);
        seg.fill(0);
        seg.set(samples.subarray(a, n));
      }
      const dst = data.subarray(s * per, (s + 1) * per);
      this.#segment(seg, dst);
      const c = countNonFinite(dst);
      if (c.total > 0) {
        let peak = 0;
        for (const v of seg) peak = Math.max(peak, Math.abs(v));
        throw new NonFiniteError(
          file,
          `log-mel of segment ${s} (${(a / cfg.sampleRate).toFixed(2)}–` +
            `${(Math.min(b, n) / cfg.sampleRate).toFixed(2)} s): ` +
            `${describeNonFinite(c, per, "values")}; the segment's peak |sample| is ` +
            `${peak.toPrecision(3)}` +
            (peak > 1e15 ? ", too large for a float32 power spectrum" : ""),
        );
      }
    }
    return { data, segments, shape: [segments, nMels, outFrames], padded };
  }

  /** One segment's image into `dst` ([nMels, outFrames]). */
  #segment(seg: Float32Array, dst: Float32Array): void {
    const cfg = this.config;
    const T = this.#segFrames;
    this.#mel.power(seg, this.#power);
    const stride = cfg.timeStride, frames = cfg.frames;
    if (stride === 1 && frames === T) { // the image is the whole dB spectrogram (GTZAN, FMA)
      powerToDb(this.#power, { ref: "max", topDb: cfg.topDb, out: dst });
      return;
    }
    powerToDb(this.#power, { ref: "max", topDb: cfg.topDb, out: this.#db });
    const db = this.#db;
    const outFrames = Math.ceil(frames / stride);
    for (let m = 0; m < cfg.nMels; m++) {
      const src = m * T, o = m * outFrames;
      for (let j = 0, f = 0; j < outFrames; j++, f += stride) {
        dst[o + j] = f < T ? db[src + f]! : 0; // past the segment's frames: 0 dB columns
      }
    }
  }
}

const extractors = new Map<string, FeatureExtractor>();

/**
 * Log-mel images of the segments of a clip (see the module doc for the recipe). Extractors are
 * cached per config, so repeated calls do not rebuild tables. `file` names the clip in the
 * {@linkcode NonFiniteError} thrown for non-finite samples or log-mel values.
 *
 * @example
 * ```ts
 * import { extractFeatures, GTZAN_FEATURES } from "./features.ts";
 * const clip = new Float32Array(661500); // 30 s at 22,050 Hz
 * const f = extractFeatures(clip, GTZAN_FEATURES);
 * console.log(f.shape); // [10, 128, 128]
 * ```
 */
export function extractFeatures(
  samples: Float32Array,
  cfg: FeatureConfig,
  file = "clip",
): Features {
  const key = JSON.stringify(cfg, Object.keys(cfg).sort());
  let fx = extractors.get(key);
  if (!fx) {
    fx = new FeatureExtractor(cfg);
    if (extractors.size >= 8) extractors.clear();
    extractors.set(key, fx);
  }
  return fx.extract(samples, undefined, file);
}
