/**
 * librosa's log-mel spectrogram, reproduced: `librosa.feature.melspectrogram` (periodic Hann
 * window, `center=True` with zero padding as librosa ≥ 0.10's `pad_mode='constant'`, power 2,
 * Slaney mel scale and area normalisation, as `librosa.filters.mel`) and `librosa.power_to_db`.
 *
 * Tested against librosa 0.10.2 outputs in `testdata/librosa/` (within 0.01 dB). Two arithmetics:
 * the default WebAssembly SIMD kernel works in float32 throughout (window, FFT, power, mel sums;
 * four frames per `f32x4` vector), as librosa's own float32 pipeline does; the JavaScript path
 * (and the `"wasm-f64"` kernel, bit-identical to it) works in float64 and rounds to float32
 * once. The filterbank weights are librosa's float32 values.
 *
 * Layout: spectrograms are `Float32Array`s of shape `[nMels, frames]`, mel-major (element
 * `(m, f)` at `m * frames + f`), like librosa's `(n_mels, t)` arrays.
 *
 * @module
 */
import { RealFft } from "./_fft.ts";
import { SimdMel } from "./_simd_mel.ts";

/** A {@linkcode MelSpectrogram} engine (see {@linkcode MelSpectrogramOptions}). */
export type MelEngine = "wasm-f32" | "wasm-f64" | "js";

/** STFT and mel parameters (librosa names in brackets). */
export interface MelConfig {
  /** Sample rate in Hz [`sr`]. */
  sampleRate: number;
  /** FFT size and window length [`n_fft`]; a power of two. */
  nFft: number;
  /** Hop between frames in samples [`hop_length`]. */
  hop: number;
  /** Number of mel bands [`n_mels`]. */
  nMels: number;
  /** Lowest band edge in Hz [`fmin`]; default 0. */
  fmin?: number;
  /** Highest band edge in Hz [`fmax`]; default `sampleRate / 2`. */
  fmax?: number;
}

/** A mel filterbank stored sparsely: band `m` has weights for bins `start[m] .. start[m] + length[m]`. */
export interface SparseFilterbank {
  /** Number of mel bands. */
  nMels: number;
  /** Number of FFT bins (`nFft / 2 + 1`). */
  nBins: number;
  /** First nonzero bin of each band. */
  start: Int32Array;
  /** Number of weights of each band (0 for an empty band). */
  length: Int32Array;
  /** Offset of each band's first weight in `weights`. */
  offset: Int32Array;
  /** All bands' weights, concatenated (float32, as librosa's default `dtype`). */
  weights: Float32Array;
}

/**
 * The periodic Hann window `0.5 - 0.5·cos(2πk/n)`, k < n (scipy `get_window('hann', n,
 * fftbins=True)`, librosa's `window='hann'`).
 *
 * @example
 * ```ts
 * import { hannPeriodic } from "./mel.ts";
 * const w = hannPeriodic(4); // ≈ [0, 0.5, 1, 0.5]
 * ```
 */
export function hannPeriodic(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) w[k] = 0.5 - 0.5 * Math.cos((2 * Math.PI * k) / n);
  return w;
}

// Slaney's auditory-toolbox mel scale (librosa `htk=False`): linear below 1 kHz, log above.
const F_SP = 200.0 / 3;
const MIN_LOG_HZ = 1000.0;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOGSTEP = Math.log(6.4) / 27.0;

/**
 * Hz → mel on the Slaney scale (`librosa.hz_to_mel(f, htk=False)`).
 *
 * @example
 * ```ts
 * import { hzToMel } from "./mel.ts";
 * hzToMel(1000); // 15
 * ```
 */
export function hzToMel(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOGSTEP : hz / F_SP;
}

/**
 * Mel → Hz on the Slaney scale (`librosa.mel_to_hz(m, htk=False)`).
 *
 * @example
 * ```ts
 * import { melToHz } from "./mel.ts";
 * melToHz(15); // 1000
 * ```
 */
export function melToHz(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOGSTEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

function checkConfig(cfg: MelConfig): Required<MelConfig> {
  const { sampleRate, nFft, hop, nMels } = cfg;
  const fmin = cfg.fmin ?? 0;
  const fmax = cfg.fmax ?? sampleRate / 2;
  if (!(sampleRate > 0)) throw new RangeError(`sampleRate must be > 0, got ${sampleRate}`);
  if (!Number.isInteger(nFft) || nFft < 8 || (nFft & (nFft - 1)) !== 0) {
    throw new RangeError(`nFft must be a power of two >= 8, got ${nFft}`);
  }
  if (!Number.isInteger(hop) || hop < 1) throw new RangeError(`hop must be >= 1, got ${hop}`);
  if (!Number.isInteger(nMels) || nMels < 1) {
    throw new RangeError(`nMels must be >= 1, got ${nMels}`);
  }
  if (!(fmin >= 0 && fmin < fmax)) {
    throw new RangeError(`need 0 <= fmin < fmax, got fmin ${fmin}, fmax ${fmax}`);
  }
  return { sampleRate, nFft, hop, nMels, fmin, fmax };
}

/**
 * The mel filterbank of `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False,
 * norm='slaney')`: triangles between `nMels + 2` points equally spaced on the Slaney mel scale,
 * each scaled by `2 / (f[m+2] - f[m])` (equal area), computed in float64 with librosa's operation
 * order and rounded to float32. Stored sparsely (each band is one contiguous run of bins).
 *
 * @example
 * ```ts
 * import { melFilterbank } from "./mel.ts";
 * const fb = melFilterbank({ sampleRate: 22050, nFft: 2048, hop: 512, nMels: 128 });
 * console.log(fb.nBins, fb.weights.length); // 1025, about two weights per bin
 * ```
 */
export function melFilterbank(cfg: MelConfig): SparseFilterbank {
  const { sampleRate, nFft, nMels, fmin, fmax } = checkConfig(cfg);
  const nBins = nFft / 2 + 1;
  // np.fft.rfftfreq(n_fft, d=1/sr): k * (1 / (n_fft * (1/sr)))
  const val = 1.0 / (nFft * (1.0 / sampleRate));
  const fftFreqs = new Float64Array(nBins);
  for (let k = 0; k < nBins; k++) fftFreqs[k] = k * val;
  // mel_frequencies(n_mels + 2, fmin, fmax): np.linspace in mel, then back to Hz.
  const nPts = nMels + 2;
  const minMel = hzToMel(fmin), maxMel = hzToMel(fmax);
  const step = (maxMel - minMel) / (nPts - 1);
  const melF = new Float64Array(nPts);
  for (let i = 0; i < nPts; i++) melF[i] = melToHz(i === nPts - 1 ? maxMel : i * step + minMel);

  const start = new Int32Array(nMels);
  const length = new Int32Array(nMels);
  const offset = new Int32Array(nMels);
  const weights: number[] = [];
  const row = new Float64Array(nBins);
  for (let m = 0; m < nMels; m++) {
    const fdiffLo = melF[m + 1]! - melF[m]!;
    const fdiffHi = melF[m + 2]! - melF[m + 1]!;
    const enorm = 2.0 / (melF[m + 2]! - melF[m]!);
    let first = -1, last = -1;
    for (let k = 0; k < nBins; k++) {
      const lower = -(melF[m]! - fftFreqs[k]!) / fdiffLo;
      const upper = (melF[m + 2]! - fftFreqs[k]!) / fdiffHi;
      const w = Math.fround(Math.max(0, Math.min(lower, upper)) * enorm);
      row[k] = w;
      if (w !== 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    offset[m] = weights.length;
    if (first >= 0) {
      start[m] = first;
      length[m] = last - first + 1;
      for (let k = first; k <= last; k++) weights.push(row[k]!);
    }
  }
  return { nMels, nBins, start, length, offset, weights: Float32Array.from(weights) };
}

/**
 * The dense `[nMels, nBins]` matrix of a sparse filterbank (as `librosa.filters.mel` returns).
 *
 * @example
 * ```ts
 * import { denseFilterbank, melFilterbank } from "./mel.ts";
 * const W = denseFilterbank(melFilterbank({ sampleRate: 22050, nFft: 1024, hop: 512, nMels: 128 }));
 * console.log(W.length); // 128 * 513
 * ```
 */
export function denseFilterbank(fb: SparseFilterbank): Float32Array {
  const out = new Float32Array(fb.nMels * fb.nBins);
  for (let m = 0; m < fb.nMels; m++) {
    const o = fb.offset[m]!, s = fb.start[m]!;
    for (let j = 0; j < fb.length[m]!; j++) out[m * fb.nBins + s + j] = fb.weights[o + j]!;
  }
  return out;
}

/** Options of the {@linkcode MelSpectrogram} constructor. */
export interface MelSpectrogramOptions {
  /**
   * `"auto"` (default): `"wasm-f32"` where the runtime supports WebAssembly SIMD, else `"js"`.
   * `"wasm-f32"`: the SIMD kernel in float32, four frames per vector (fastest; within librosa's
   * float32 tolerances, deterministic). `"wasm-f64"`: the SIMD kernel in float64, two frames per
   * vector, bit-identical to `"js"`. `"js"`: float64 JavaScript. A wasm engine falls back to
   * `"js"` where SIMD is unavailable (see {@linkcode MelSpectrogram.engine}).
   */
  engine?: "auto" | MelEngine;
}

/**
 * Mel power spectrogram, `librosa.feature.melspectrogram(y, sr, n_fft, hop_length, n_mels, fmin,
 * fmax)` with librosa's defaults otherwise. Holds its FFT tables, window, filterbank and scratch
 * buffers, so one instance computes many spectrograms without allocating per frame. Not for
 * concurrent use (one instance per worker).
 *
 * The work (window, FFT, power, mel sums) runs by default in a WebAssembly SIMD kernel in float32,
 * four frames at a time (`_simd_mel.ts`); the float64 JavaScript path is the fallback, and the
 * `"wasm-f64"` kernel reproduces it bit for bit, two frames at a time.
 *
 * @example
 * ```ts
 * import { MelSpectrogram } from "./mel.ts";
 * const mel = new MelSpectrogram({ sampleRate: 22050, nFft: 2048, hop: 512, nMels: 128 });
 * const y = new Float32Array(65488).map((_, n) => 0.5 * Math.sin(2 * Math.PI * 440 * n / 22050));
 * const S = mel.power(y); // Float32Array, shape [128, 128]
 * ```
 */
export class MelSpectrogram {
  /** The parameters, defaults filled in. */
  readonly config: Readonly<Required<MelConfig>>;
  /** The filterbank in use. */
  readonly filterbank: SparseFilterbank;
  readonly #fft: RealFft;
  readonly #window: Float64Array;
  readonly #spec: Float64Array;
  readonly #edge: Float32Array;
  readonly #simd: SimdMel | null;

  /** Prepares window, FFT tables and filterbank for `cfg`. */
  constructor(cfg: MelConfig, options: MelSpectrogramOptions = {}) {
    this.config = checkConfig(cfg);
    this.filterbank = melFilterbank(this.config);
    this.#fft = new RealFft(this.config.nFft);
    this.#window = hannPeriodic(this.config.nFft);
    this.#spec = new Float64Array(this.config.nFft / 2 + 1);
    this.#edge = new Float32Array(this.config.nFft);
    const engine = options.engine ?? "auto";
    this.#simd = engine === "js" ? null : SimdMel.create(
      this.config.nFft,
      this.config.hop,
      this.#window,
      this.filterbank,
      engine === "wasm-f64" ? "f64" : "f32",
    );
  }

  /** The engine in use (`"js"` where a wasm engine was asked for but SIMD is unavailable). */
  get engine(): MelEngine {
    return this.#simd ? (this.#simd.precision === "f32" ? "wasm-f32" : "wasm-f64") : "js";
  }

  /** Frames of a signal of `n` samples with `center=True`: `1 + floor(n / hop)`. */
  frames(n: number): number {
    return 1 + Math.floor(n / this.config.hop);
  }

  /**
   * Mel power spectrogram of `signal`: a `[nMels, frames(signal.length)]` float32 array, written
   * into `out` when given (it must have that length).
   */
  power(signal: Float32Array, out?: Float32Array): Float32Array {
    const { nFft, hop, nMels } = this.config;
    const n = signal.length;
    const T = this.frames(n);
    const result = out ?? new Float32Array(nMels * T);
    if (result.length !== nMels * T) {
      throw new RangeError(`out has ${result.length} elements, need ${nMels}×${T}`);
    }
    if (this.#simd) {
      this.#simd.power(signal, result, T);
      return result;
    }
    const fft = this.#fft, win = this.#window, spec = this.#spec, edge = this.#edge;
    const { start, length, offset, weights } = this.filterbank;
    const half = nFft >> 1;
    for (let t = 0; t < T; t++) {
      // Frame t covers signal[t·hop − nFft/2, t·hop + nFft/2), zeros outside the signal.
      const s0 = t * hop - half;
      if (s0 >= 0 && s0 + nFft <= n) {
        fft.power(signal, spec, s0, win);
      } else {
        edge.fill(0);
        const a = Math.max(0, s0), b = Math.min(n, s0 + nFft);
        if (b > a) edge.set(signal.subarray(a, b), a - s0);
        fft.power(edge, spec, 0, win);
      }
      for (let m = 0; m < nMels; m++) {
        const o = offset[m]!, s = start[m]!, len = length[m]!;
        let acc = 0;
        for (let j = 0; j < len; j++) acc += weights[o + j]! * spec[s + j]!;
        result[m * T + t] = acc;
      }
    }
    return result;
  }
}

const DB_PER_NEPER = 10 / Math.LN10;

// Natural log of a positive normal float32 from its bit pattern, for powerToDb: x = 2^e·(1 + f),
// 1 + f = c_j·(1 + u) with c_j the centre of the j-th of 256 intervals of [1, 2) (ln c_j and
// 1/c_j tabulated), |u| ≤ 2⁻⁹, and ln(1 + u) by its Taylor series to u⁵ (truncation < 1e-17).
// The result is within a few float64 ulp of Math.log (the error budget is e·ln 2's rounding), so
// the float32 dB values equal Math.log's except, once in ~10⁸ values, by one float32 ulp; and it
// costs a fifth of a Math.log call.
const LN_TABLE_BITS = 8;
const LN_C = new Float64Array(1 << LN_TABLE_BITS);
const INV_C = new Float64Array(1 << LN_TABLE_BITS);
const C = new Float64Array(1 << LN_TABLE_BITS);
for (let j = 0; j < 1 << LN_TABLE_BITS; j++) {
  C[j] = 1 + (j + 0.5) / (1 << LN_TABLE_BITS);
  LN_C[j] = Math.log(C[j]!);
  INV_C[j] = 1 / C[j]!;
}
const MANTISSA_ULP = 2 ** -23;

/** ln(x) for the float32 x with bit pattern `bits` (positive, normal: exponent field 1..254). */
function lnFloat32Bits(bits: number): number {
  const f = bits & 0x7fffff;
  const j = f >>> (23 - LN_TABLE_BITS);
  const u = (1 + f * MANTISSA_ULP - C[j]!) * INV_C[j]!; // 1 + f and its difference are exact
  const p = u - u * u * (0.5 - u * (1 / 3 - u * (0.25 - u * 0.2)));
  return ((bits >>> 23) - 127) * Math.LN2 + (LN_C[j]! + p);
}

const F32 = new Float32Array(1);
const F32_BITS = new Int32Array(F32.buffer);

/** ln(max(amin, x)), by the same route as powerToDb's elements (so ref = max(S) gives 0 dB). */
function lnClamped(x: number, amin: number): number {
  F32[0] = x;
  const b = F32_BITS[0]!;
  if (x > amin && F32[0] === x && b > 0x7fffff && b < 0x7f800000) return lnFloat32Bits(b);
  return Math.log(Math.max(amin, x));
}

/** Options of {@linkcode powerToDb} (librosa's names and defaults). */
export interface PowerToDbOptions {
  /** Floor applied to the power and to the reference before the log; default 1e-10. */
  amin?: number;
  /** Clip to `max(dB) - topDb`; `null` for no clipping; default 80. */
  topDb?: number | null;
  /** Reference power: a number (librosa's default 1.0) or `"max"` (`ref=np.max`). */
  ref?: "max" | number;
  /** Write the result here (may be `S` itself); must have `S.length` elements. */
  out?: Float32Array;
}

/**
 * `librosa.power_to_db(S, ref, amin, top_db)`:
 * `10·log10(max(amin, S)) − 10·log10(max(amin, ref))`, then floored at `max − topDb`.
 *
 * Evaluated in float64 and rounded to float32 once (librosa's float32 log10 differs by < 1e-5 dB).
 * With `ref: "max"` on an all-zero (silent) input, the reference is `amin` too, so every value is
 * 0 dB, not −80 dB — exactly what librosa returns (it gives −7.6e-6, a float32 rounding of 0).
 *
 * @example
 * ```ts
 * import { powerToDb } from "./mel.ts";
 * powerToDb(new Float32Array([100, 1, 0]), { ref: "max" }); // [0, -20, -80]
 * ```
 */
export function powerToDb(S: Float32Array, options: PowerToDbOptions = {}): Float32Array {
  const amin = options.amin ?? 1e-10;
  const topDb = options.topDb === undefined ? 80 : options.topDb;
  const refOpt = options.ref ?? 1.0;
  if (!(amin > 0)) throw new RangeError(`amin must be strictly positive, got ${amin}`);
  if (topDb !== null && !(topDb >= 0)) {
    throw new RangeError(`topDb must be non-negative, got ${topDb}`);
  }
  const out = options.out ?? new Float32Array(S.length);
  if (out.length !== S.length) throw new RangeError(`out must have ${S.length} elements`);
  let ref: number;
  if (refOpt === "max") {
    ref = -Infinity;
    for (let i = 0; i < S.length; i++) if (S[i]! > ref) ref = S[i]!;
  } else {
    ref = Math.abs(refOpt); // librosa: np.abs(ref)
  }
  // 10·log10(x) as (10 / ln 10)·ln(x), ln from the float32 bits where max(amin, x) = x is normal.
  const refDb = DB_PER_NEPER * lnClamped(ref, amin);
  const aminDb = DB_PER_NEPER * Math.log(amin) - refDb;
  const bits = new Int32Array(S.buffer, S.byteOffset, S.length);
  let maxDb = -Infinity;
  for (let i = 0; i < S.length; i++) {
    const x = S[i]!, b = bits[i]!;
    let d: number;
    if (x > amin && b > 0x7fffff && b < 0x7f800000) d = DB_PER_NEPER * lnFloat32Bits(b) - refDb;
    else if (x <= amin) d = aminDb;
    else d = DB_PER_NEPER * Math.log(Math.max(amin, x)) - refDb; // subnormal, ∞, NaN
    out[i] = d;
    if (out[i]! > maxDb) maxDb = out[i]!;
  }
  if (topDb !== null && S.length > 0) {
    const floor = Math.fround(maxDb - topDb);
    for (let i = 0; i < out.length; i++) if (out[i]! < floor) out[i] = floor;
  }
  return out;
}
