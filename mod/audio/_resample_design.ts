/**
 * The low-pass filter of the resampler, designed as libsoxr designs the sharp stage of its "HQ"
 * recipe (`soxr_hq`, librosa's default `res_type`): a linear-phase Kaiser-windowed sinc with
 * soxr's pass-band edge, stop-band edge, attenuation, Kaiser β and length. Private to
 * `resample.ts`.
 *
 * soxr splits a conversion into stages (2:1 half-band stages, a DFT stage that does the sharp
 * filtering, a polyphase "arbitrary ratio" stage that only has to reject images far away). This
 * file ports the part of soxr's planning that fixes the sharp filter (`_soxr_init` in libsoxr's
 * `cr.c`: which stages exist, hence the attenuation budget and the rate the filter is designed
 * at) and the filter design itself (`lsx_design_lpf`, `lsx_kaiser_beta`, `lsx_kaiser_params`,
 * `lsx_make_lpf` in `filter.c`), from libsoxr 0.1.3 (LGPL-2.1, as bundled by python-soxr 1.1.0).
 * The resampler then applies that filter in one polyphase stage, as a continuous kernel: for
 * 2:1 this is soxr's filter tap for tap; for the other ratios soxr's gentle second stage adds a
 * pass-band droop of at most ≈0.03 dB that this single stage does not have.
 *
 * @module
 */

/** 20·log10(2): dB per bit. */
const DB_PER_BIT = 20 * Math.log10(2);
/** soxr's 2^32 clock scale (`MULT32`), used when it tests a ratio for being rational. */
const MULT32 = 65536 * 65536;

/** soxr HQ = 20-bit precision. */
export const HQ_PRECISION_BITS = 20;
/**
 * soxr HQ's pass-band edge as a fraction of the lower Nyquist frequency:
 * `1 − 0.05 / lsx_to_3dB(20 · 6.0206 dB)` (`soxr_quality_spec`), with soxr's approximations of
 * a Kaiser filter's response (`lsx_inv_f_resp`) evaluated below.
 */
export const HQ_PASSBAND_END: number = 1 -
  0.05 / (1 - invFResp(-3, HQ_PRECISION_BITS * DB_PER_BIT));
/** soxr HQ's stop-band edge as a fraction of the lower Nyquist frequency. */
export const HQ_STOPBAND_BEGIN = 1;

function sinePhi(x: number): number {
  return ((2.0517e-07 * x - 1.1303e-04) * x + 0.023154) * x + 0.55924;
}
function sinePow(x: number): number {
  return Math.log(0.5) / Math.log(Math.sin(x * 0.5));
}
/** soxr's `lsx_inv_f_resp`: where a Kaiser low-pass of attenuation `a` dB falls by `drop` dB. */
function invFResp(drop: number, a: number): number {
  const x = sinePhi(a);
  const d = Math.exp(drop * (Math.LN10 * 0.05));
  const s = d > 0.5 ? 1 - d : d;
  const y = Math.asin(Math.pow(s, 1 / sinePow(x))) / x;
  return d > 0.5 ? y : 1 - y;
}

/** soxr's fit of the Kaiser β giving `att` dB for a normalised transition width (`att` ≥ 60). */
const BETA_FIT: readonly (readonly [number, number, number, number])[] = [
  [-6.784957e-10, 1.02856e-05, 0.1087556, -0.8988365 + 0.001],
  [-6.897885e-10, 1.027433e-05, 0.10876, -0.8994658 + 0.002],
  [-1.000683e-09, 1.030092e-05, 0.1087677, -0.9007898 + 0.003],
  [-3.654474e-10, 1.040631e-05, 0.1087085, -0.8977766 + 0.006],
  [8.106988e-09, 6.983091e-06, 0.1091387, -0.9172048 + 0.015],
  [9.519571e-09, 7.272678e-06, 0.1090068, -0.9140768 + 0.025],
  [-5.626821e-09, 1.342186e-05, 0.1083999, -0.9065452 + 0.05],
  [-9.965946e-08, 5.073548e-05, 0.1040967, -0.7672778 + 0.085],
  [1.604808e-07, -5.856462e-05, 0.1185998, -1.34824 + 0.1],
  [-1.511964e-07, 6.363034e-05, 0.1064627, -0.9876665 + 0.18],
];

/** soxr's `lsx_kaiser_beta`. */
export function kaiserBeta(att: number, trBw: number): number {
  if (att >= 60) {
    const realm = Math.log(trBw / 0.0005) / Math.LN2;
    const i = Math.trunc(realm);
    const c0 = BETA_FIT[Math.min(Math.max(i, 0), BETA_FIT.length - 1)]!;
    const c1 = BETA_FIT[Math.min(Math.max(i + 1, 0), BETA_FIT.length - 1)]!;
    const b0 = ((c0[0] * att + c0[1]) * att + c0[2]) * att + c0[3];
    const b1 = ((c1[0] * att + c1[1]) * att + c1[2]) * att + c1[3];
    return b0 + (b1 - b0) * (realm - i);
  }
  if (att > 50) return 0.1102 * (att - 8.7);
  if (att > 20.96) return 0.58417 * Math.pow(att - 20.96, 0.4) + 0.07886 * (att - 20.96);
  return 0;
}

/** Zeroth-order modified Bessel function of the first kind (power series). */
export function besselI0(x: number): number {
  let sum = 1, term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** The stages soxr plans for a conversion (the fields of `_soxr_init` that matter here). */
export interface SoxrPlan {
  /** 2:1 half-band stages first. */
  halfBandStages: number;
  /** The first DFT stage: up by `preL`, down by `preM` (absent when both are 1). */
  preL: number;
  preM: number;
  /** The polyphase stage's ratio `arbM / arbL` (absent when 1). */
  arbL: number;
  arbM: number;
  /** The last DFT stage: up by `postL`, down by `postM` (absent when both are 1). */
  postL: number;
  postM: number;
}

/** Ports soxr's stage planning for HQ (`mode` 3, linear phase) at `ioRatio` = input/output rate. */
export function soxrPlan(ioRatio: number): SoxrPlan {
  const mode = 3, maxL = 2048, iOpt = true;
  let arbM = ioRatio, preL = 1, preM = 1, shr = 0, arbL = 1, postL = 1, postM = 1;
  let n = 0;
  while (n++ === 0) {
    const upsample = arbM < 1;
    shr = 0;
    for (let i = Math.trunc(0.5 * arbM); (i >>= 1) !== 0; ++shr) arbM *= 0.5;
    preM = upsample || (arbM > 1.5 && arbM < 2) ? 1 : 0;
    postM = 1 + (arbM > 1 && preM ? 1 : 0);
    arbM /= postM;
    preL = 1 + (!preM && arbM < 2 ? 1 : 0) + (upsample && mode ? 1 : 0);
    arbM *= preL;
    const frac = arbM - Math.trunc(arbM);
    const epsilon = frac !== 0
      ? Math.abs(Math.floor(frac * MULT32 + 0.5) / (frac * MULT32) - 1)
      : 0;
    let rational = frac === 0;
    for (let i = 1; i <= maxL && !rational; ++i) {
      const d = frac * i, t = Math.trunc(d + 0.5);
      rational = Math.abs(t / d - 1) <= epsilon;
      if (rational) {
        if (t === i) {
          arbM = Math.ceil(arbM);
          const x = arbM > 3 ? 1 : 0;
          shr += x;
          arbM /= 1 + x;
        } else {
          arbM = i * Math.trunc(arbM) + t;
          arbL = i;
        }
      }
    }
    let L = preL * arbL, M = Math.trunc(arbM * postM);
    const odd = (L | M) & 1;
    if (!odd) {
      L >>= 1;
      M >>= 1;
    }
    const d = (preL * arbL) / arbM;
    if (iOpt && postL === 1 && d > 4 && d !== 5) {
      postL = 4;
      for (let i = Math.trunc(d / 16); (i >>= 1) !== 0 && postL < 256;) postL <<= 1;
      arbM = (arbM * postL) / arbL / preL;
      arbL = 1;
      n = 0;
    } else if (
      rational && (Math.max(L, M) < 3 + 2 * (iOpt ? 1 : 0) || L * M < 6 * (iOpt ? 1 : 0))
    ) {
      preL = L;
      preM = M;
      arbM = arbL = postM = 1;
    }
  }
  return { halfBandStages: shr, preL, preM, arbL, arbM, postL, postM };
}

/** The sharp low-pass filter of a conversion, as a continuous kernel in input samples. */
export interface FilterDesign {
  /** Stop-band attenuation soxr budgets for this stage (dB). */
  attenuationDb: number;
  /** Kaiser window β. */
  beta: number;
  /** Rate the filter is designed at (Hz): soxr's sharp stage runs there. */
  designRate: number;
  /** Taps of the filter at `designRate` (odd, ≡ 1 mod 4 as soxr makes them). */
  designTaps: number;
  /** −6 dB point (Hz). */
  cutoffHz: number;
  /** Pass-band edge (Hz). */
  passbandHz: number;
  /** Stop-band edge (Hz). */
  stopbandHz: number;
  /** Half-width of the kernel in input samples: it is 0 from here on. */
  halfWidth: number;
  /** The impulse response at `u` input samples from the output instant (DC gain ≈ 1). */
  kernel: (u: number) => number;
}

/**
 * soxr HQ's sharp filter for `fromRate → toRate`, as a kernel for a one-stage polyphase
 * resampler: `lsx_design_lpf(Fp, Fs, Fn, att, 0, -4, -1)` with soxr's Fp, Fs, Fn and attenuation
 * budget for the planned stages (see {@linkcode soxrPlan}).
 */
export function soxrHqDesign(fromRate: number, toRate: number): FilterDesign {
  const io = fromRate / toRate;
  const p = soxrPlan(io);
  const havePre = p.preM * p.preL !== 1;
  const haveArb = p.arbM * p.arbL !== 1;
  const havePost = p.postM * p.postL !== 1;
  let stages = p.halfBandStages + (havePre ? 1 : 0) + (haveArb ? 1 : 0) + (havePost ? 1 : 0);
  let att = (HQ_PRECISION_BITS + 1) * DB_PER_BIT; // +1: pass + stop
  if (stages > 1) {
    if (haveArb) {
      att += DB_PER_BIT;
      --stages;
    }
    att += 20 * Math.log10(stages);
  }
  // The sharp stage: the first DFT stage when there is one, else the last.
  let fn: number, designRate: number, fp = HQ_PASSBAND_END, fs = HQ_STOPBAND_BEGIN;
  if (havePre || !havePost) {
    fn = p.preM ? Math.max(p.preL, p.preM) : p.arbM / p.arbL;
    designRate = (fromRate / 2 ** p.halfBandStages) * p.preL;
  } else {
    fn = Math.max(p.postL, p.postM);
    designRate = toRate * p.postM;
    if (io < 1) {
      const alpha = p.postM / (io * p.postL);
      fp /= alpha;
      fs = Math.max(2 - fs / alpha, 1);
    }
  }
  // lsx_design_lpf with one phase, rho 0.5, num_taps ≡ 1 (mod 4):
  fp /= fn; // normalised to the design rate's Nyquist
  fs /= fn;
  const trBw = Math.min(0.5 * (fs - fp), 0.5 * fs);
  const fc = fs - trBw;
  const beta = kaiserBeta(att, (trBw * 0.5) / fc);
  const lenFactor = att < 60
    ? (att - 7.95) / (2.285 * Math.PI * 2)
    : ((0.0007528358 - 1.577737e-05 * beta) * beta + 0.6248022) * beta + 0.06186902;
  const n0 = Math.ceil(lenFactor / trBw + 1);
  const taps = Math.trunc((n0 + 4 - 2) / 4) * 4 + 1;
  const m = taps - 1;
  const edge = 0.5 * m + 0.5; // lsx_make_lpf: window half-width m/2 + rho
  const r = designRate / fromRate; // design-rate samples per input sample
  const i0Beta = besselI0(beta);
  const nyq = designRate / 2;
  const kernel = (u: number): number => {
    const z = u * r;
    const y = z / edge;
    if (y <= -1 || y >= 1) return 0;
    const x = Math.PI * z;
    const sinc = x === 0 ? fc : Math.sin(fc * x) / x;
    return (r * sinc * besselI0(beta * Math.sqrt(1 - y * y))) / i0Beta;
  };
  return {
    attenuationDb: att,
    beta,
    designRate,
    designTaps: taps,
    cutoffHz: fc * nyq,
    passbandHz: fp * nyq,
    stopbandHz: fs * nyq,
    halfWidth: edge / r,
    kernel,
  };
}
