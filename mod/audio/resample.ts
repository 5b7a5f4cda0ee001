/**
 * Band-limited sample-rate conversion with the frequency response of libsoxr's "HQ" recipe
 * (`soxr_hq`), the resampler `librosa.load(path, sr=22050)` uses by default, so that resampled
 * audio gives librosa's features in every mel band up to the new Nyquist frequency.
 *
 * The filter is soxr HQ's: linear phase, pass band flat (ripple ≪ 0.01 dB) to 0.9137 of the lower
 * Nyquist frequency (10.07 kHz when the output is 22,050 Hz), −6 dB at 0.957, stop band from that
 * Nyquist frequency on with soxr's attenuation budget (126–142 dB), a Kaiser-windowed sinc whose
 * β, length and design rate are soxr's (`_resample_design.ts` ports soxr's planning and design
 * code). It runs as one polyphase stage for the rational ratio `to/from` reduced by their gcd
 * (44100→22050 = 1/2, 48000→22050 = 147/320, 16000→22050 = 441/320), in float32 as soxr HQ does.
 * For 2:1 the taps are soxr's own; for ratios where soxr adds a second, polyphase stage, that
 * stage's pass-band droop (≤ 0.03 dB) is the remaining difference.
 *
 * Output sample `n` sits at input time `n·from/to` (no delay), and the output has
 * `ceil(length·to/from)` samples, as `librosa.resample` returns.
 *
 * Integer down-sampling (L = 1, e.g. 44.1 → 22.05 kHz) runs by FFT overlap-save
 * (`_fft_resample.ts`), as soxr runs its sharp stage; other ratios as a polyphase FIR
 * (`_simd_resample.ts`). Both run in WebAssembly SIMD kernels (`_wasm_resample.wat`); without
 * WebAssembly SIMD, JavaScript loops do the same float32 operations in the same order, with the
 * same output bit for bit. Pure TypeScript and WebAssembly: no Deno API, so it runs in a browser
 * as well.
 *
 * @module
 */

import {
  HQ_PASSBAND_END,
  HQ_PRECISION_BITS,
  HQ_STOPBAND_BEGIN,
  soxrHqDesign,
} from "./_resample_design.ts";
import { dot, paddedInput, polyphaseJs, polyphaseWasm, type TapTable } from "./_simd_resample.ts";
import { type FftPlan, fftPlan, fftResampleJs, fftResampleWasm } from "./_fft_resample.ts";

/** Largest polyphase table (phases × taps) built up front; larger ones interpolate a kernel. */
const MAX_TABLE = 1 << 21;
/** Kernel table resolution (points per input sample) for the interpolated path. */
const FINE = 512;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** What `preprocessing.json` and the setup manifest record about the resampler. */
export interface ResamplerInfo {
  /** Name and version of the design. */
  name: string;
  /** The resampler it reproduces. */
  matches: string;
  /** soxr quality recipe and its precision (bits). */
  quality: "HQ";
  precision_bits: number;
  /** Pass-band end and stop-band begin as fractions of the lower Nyquist frequency. */
  passband_end: number;
  stopband_begin: number;
  /** Filter phase response. */
  phase: "linear";
  /** Window of the sinc. */
  window: "kaiser";
  /** Arithmetic of the filter. */
  arithmetic: "float32";
  /** How the per-ratio parameters (attenuation, β, taps) follow from the rates. */
  per_ratio: string;
}

/**
 * The resampler's name and parameters, as recorded in `preprocessing.json` and `manifest.json`.
 *
 * @example
 * ```ts
 * import { RESAMPLER } from "./resample.ts";
 * console.log(RESAMPLER.name, RESAMPLER.passband_end.toFixed(4)); // soxr-hq-kaiser/1 0.9137
 * ```
 */
export const RESAMPLER: Readonly<ResamplerInfo> = Object.freeze({
  name: "soxr-hq-kaiser/1",
  matches: "librosa.load default res_type 'soxr_hq' (libsoxr 0.1.3 HQ, python-soxr 1.1.0)",
  quality: "HQ",
  precision_bits: HQ_PRECISION_BITS,
  passband_end: HQ_PASSBAND_END,
  stopband_begin: HQ_STOPBAND_BEGIN,
  phase: "linear",
  window: "kaiser",
  arithmetic: "float32",
  per_ratio: "soxr's stage plan for from/to sets the attenuation (126-142 dB) and design rate; " +
    "Kaiser beta and length from soxr's lsx_design_lpf; one polyphase stage over gcd-reduced L/M",
});

/** The filter of one conversion, for reports and tests (see {@linkcode resamplerDesign}). */
export interface ResamplerDesign {
  /** Up- and down-sampling factors (`to/from` reduced). */
  L: number;
  M: number;
  /** Pass-band edge, −6 dB point and stop-band edge (Hz). */
  passbandHz: number;
  cutoffHz: number;
  stopbandHz: number;
  /** Stop-band attenuation the filter is designed for (dB). */
  attenuationDb: number;
  /** Kaiser β. */
  beta: number;
  /** Taps per output (input samples the kernel spans). */
  tapsPerOutput: number;
}

/**
 * The filter {@linkcode resample} uses for `fromRate → toRate`.
 *
 * @example
 * ```ts
 * import { resamplerDesign } from "./resample.ts";
 * const d = resamplerDesign(44100, 22050);
 * console.log(d.L, d.M, Math.round(d.passbandHz), d.attenuationDb.toFixed(1)); // 1 2 10074 126.4
 * ```
 */
export function resamplerDesign(fromRate: number, toRate: number): ResamplerDesign {
  checkRates(fromRate, toRate);
  const g = gcd(fromRate, toRate);
  const d = soxrHqDesign(fromRate, toRate);
  return {
    L: toRate / g,
    M: fromRate / g,
    passbandHz: d.passbandHz,
    cutoffHz: d.cutoffHz,
    stopbandHz: d.stopbandHz,
    attenuationDb: d.attenuationDb,
    beta: d.beta,
    tapsPerOutput: 2 * Math.ceil(d.halfWidth),
  };
}

/** Options of {@linkcode resample}. */
export interface ResampleOptions {
  /**
   * `"auto"` (default): the WebAssembly SIMD kernel where available; `"js"`: the JavaScript loop
   * (the same output bit for bit; for tests and comparisons).
   */
  engine?: "auto" | "js";
}

const tableCache = new Map<string, TapTable>();
const fftCache = new Map<string, FftPlan>();

/** Integer down-sampling (L = 1): the symmetric filter by FFT (`_fft_resample.ts`). */
function fftFilter(from: number, to: number, M: number): FftPlan {
  const key = `${from}/${to}`;
  let plan = fftCache.get(key);
  if (!plan) {
    const d = soxrHqDesign(from, to);
    const c = Math.ceil(d.halfWidth) - 1;
    const h = new Float64Array(2 * c + 1);
    for (let k = 0; k <= 2 * c; k++) h[k] = d.kernel(c - k);
    plan = fftPlan(h, M);
    if (fftCache.size >= 16) fftCache.clear();
    fftCache.set(key, plan);
  }
  return plan;
}

/**
 * Polyphase taps: row `j` holds the taps of outputs `n ≡ j (mod L)`, whose phase is
 * `((j·M) mod L) / L`, zero-padded to K (a multiple of 8).
 */
function polyphaseTable(from: number, to: number, L: number, M: number): TapTable | null {
  const key = `${from}/${to}`;
  const cached = tableCache.get(key);
  if (cached) return cached;
  const d = soxrHqDesign(from, to);
  const H = Math.ceil(d.halfWidth);
  const K = (2 * H + 7) & ~7;
  if (L * K > MAX_TABLE) return null;
  const taps = new Float32Array(L * K);
  for (let j = 0; j < L; j++) {
    const frac = ((j * M) % L) / L;
    for (let k = 0; k < 2 * H; k++) taps[j * K + k] = d.kernel(frac + H - 1 - k);
  }
  const t: TapTable = { taps, K, L, M, P: H - 1 };
  if (tableCache.size >= 16) tableCache.clear();
  tableCache.set(key, t);
  return t;
}

function checkRates(fromRate: number, toRate: number): void {
  for (const [name, r] of [["fromRate", fromRate], ["toRate", toRate]] as const) {
    if (!Number.isSafeInteger(r) || r <= 0) {
      throw new RangeError(`resample: ${name} must be a positive integer, got ${r}`);
    }
  }
}

/**
 * Resamples `x` from `fromRate` to `toRate` (positive integers, Hz) with soxr HQ's filter (see
 * the module notes). Returns a new array of `ceil(x.length·toRate/fromRate)` samples (a copy when
 * the rates are equal).
 *
 * @example Down-sample 44.1 kHz to 22.05 kHz
 * ```ts
 * import { resample } from "./resample.ts";
 * const x = new Float32Array(44100).map((_, i) => Math.sin((2 * Math.PI * 440 * i) / 44100));
 * const y = resample(x, 44100, 22050); // 22050 samples, the same 440 Hz tone
 * ```
 */
export function resample(
  x: Float32Array,
  fromRate: number,
  toRate: number,
  options: ResampleOptions = {},
): Float32Array {
  checkRates(fromRate, toRate);
  if (fromRate === toRate) return x.slice();
  const g = gcd(fromRate, toRate);
  const L = toRate / g;
  const M = fromRate / g;
  const out = new Float32Array(Math.ceil((x.length * L) / M));
  if (x.length === 0) return out;
  if (L === 1) {
    const plan = fftFilter(fromRate, toRate, M);
    if (options.engine === "js" || !fftResampleWasm(x, plan, out)) fftResampleJs(x, plan, out);
    return out;
  }
  const t = polyphaseTable(fromRate, toRate, L, M);
  if (!t) {
    interpolatedPath(x, out, L, M, fromRate, toRate);
  } else if (options.engine === "js" || !polyphaseWasm(x, t, out)) {
    polyphaseJs(x, t, out);
  }
  return out;
}

/** Ratios with a huge numerator (e.g. 44100→22051): each output's taps from a fine kernel table. */
function interpolatedPath(
  x: Float32Array,
  out: Float32Array,
  L: number,
  M: number,
  from: number,
  to: number,
): void {
  const d = soxrHqDesign(from, to);
  const H = Math.ceil(d.halfWidth), K = (2 * H + 7) & ~7;
  const fine = new Float64Array(H * FINE + 2);
  for (let j = 0; j < fine.length; j++) fine[j] = d.kernel(j / FINE);
  const xp = paddedInput(x, H - 1, out.length, L, M, K);
  const row = new Float32Array(K);
  for (let n = 0; n < out.length; n++) {
    const s = Math.floor((n * M) / L);
    const frac = (n * M - s * L) / L;
    for (let k = 0; k < 2 * H; k++) {
      const u = Math.abs(frac + H - 1 - k) * FINE;
      const j = Math.floor(u);
      const w = u - j;
      row[k] = j + 1 < fine.length ? fine[j]! * (1 - w) + fine[j + 1]! * w : 0;
    }
    out[n] = dot(row, 0, xp, s, K);
  }
}
