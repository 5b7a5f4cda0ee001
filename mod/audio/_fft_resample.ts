/**
 * The L = 1 conversions of `resample.ts` (44.1 → 22.05 kHz and every other integer down-sampling
 * factor M; private to it) by fast convolution, as soxr runs its sharp stage: overlap-save with
 * N-point FFTs, keeping every M-th output. For 2:1 the 389-tap filter then costs about a third of
 * the time of the direct polyphase loop.
 *
 * Eight blocks go through the kernel at a time: two real blocks per complex FFT (one in the real
 * part, one in the imaginary part: the filter is real, so their results do not mix), four such
 * FFTs side by side in the lanes of f32x4 vectors. The forward transform is a decimation in
 * frequency (natural order in, bit-reversed out), the filter's spectrum is stored in bit-reversed
 * order, and the inverse is a decimation in time (bit-reversed in, natural out): no bit-reversal
 * pass at all. The JavaScript twin performs the same float32 operations in the same order, so
 * both engines give the same output bit for bit.
 *
 * @module
 */
import { claim, fillPadded, memory, wasm } from "./_simd_resample.ts";

/** One conversion's FFT filter. */
export interface FftPlan {
  /** FFT size (a power of two). */
  N: number;
  /** Filter length (odd: symmetric about tap c, Nh = 2c + 1). */
  Nh: number;
  /** Down-sampling factor. */
  M: number;
  /** Input samples per block (a multiple of M): B/M outputs per block. */
  B: number;
  /**
   * Spectrum folding: the largest power of two dividing M and Nh − 1 (up to N/2); only every
   * F-th sample of each block's result is computed, by an N/F-point inverse.
   */
  F: number;
  /** Twiddles exp(−2πij/N), j < N/2 (float32). */
  twr: Float32Array;
  twi: Float32Array;
  /** The filter's spectrum divided by N, in bit-reversed order (float32). */
  sr: Float32Array;
  si: Float32Array;
}

/** Blocks per kernel call: 2 per complex FFT × 4 lanes. */
const BATCH = 8;

/**
 * The plan for the symmetric filter `h` (odd length, `h[k] = h[Nh − 1 − k]`) and factor M. The
 * output `n` is `Σ_k h[k]·x[n·M + k − (Nh − 1)/2]` (zero outside x).
 */
export function fftPlan(h: Float64Array, M: number): FftPlan {
  const Nh = h.length;
  // soxr's choice (set_dft_length): 2^⌊log2(taps) + 2.77⌋; larger if a block had < 2 outputs.
  let N = 1 << Math.trunc(Math.log2(Nh) + 2.77);
  while (N - Nh + 1 < 2 * M) N *= 2;
  const B = Math.floor((N - Nh + 1) / M) * M;
  let F = 1;
  while (M % (2 * F) === 0 && (Nh - 1) % (2 * F) === 0 && 2 * F <= N / 2) F *= 2;
  const cos = new Float64Array(N), sin = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    cos[j] = Math.cos((2 * Math.PI * j) / N);
    sin[j] = Math.sin((2 * Math.PI * j) / N);
  }
  const twr = new Float32Array(N / 2), twi = new Float32Array(N / 2);
  for (let j = 0; j < N / 2; j++) {
    twr[j] = cos[j]!;
    twi[j] = -sin[j]!;
  }
  const bits = Math.log2(N);
  const sr = new Float32Array(N), si = new Float32Array(N);
  for (let p = 0; p < N; p++) {
    let k = 0;
    for (let b = 0; b < bits; b++) k |= ((p >> b) & 1) << (bits - 1 - b);
    let re = 0, im = 0;
    for (let i = 0, e = 0; i < Nh; i++, e = (e + k) % N) {
      re += h[i]! * cos[e]!;
      im -= h[i]! * sin[e]!;
    }
    sr[p] = re / N;
    si[p] = im / N;
  }
  return { N, Nh, M, B, F, twr, twi, sr, si };
}

/** Writes the 8 blocks from block `b0` into the lane-interleaved buffers `re`, `im`. */
function fillBatch(
  x: Float32Array,
  plan: FftPlan,
  b0: number,
  re: Float32Array,
  im: Float32Array,
): void {
  const { N, B, Nh } = plan;
  const c = (Nh - 1) / 2;
  for (let q = 0; q < BATCH; q++) {
    const dst = q & 1 ? im : re, lane = q >> 1;
    const start = (b0 + q) * B - c; // x index of the block's first sample
    for (let i = 0; i < N; i++) {
      const j = start + i;
      dst[4 * i + lane] = j >= 0 && j < x.length ? x[j]! : 0;
    }
  }
}

/** Copies the outputs of the 8 blocks from block `b0` out of the buffers. */
function readBatch(
  plan: FftPlan,
  b0: number,
  re: Float32Array,
  im: Float32Array,
  out: Float32Array,
): void {
  const { B, Nh, M, F } = plan;
  const per = B / M, first = (Nh - 1) / F, step = M / F;
  for (let q = 0; q < BATCH; q++) {
    const src = q & 1 ? im : re, lane = q >> 1;
    const n0 = (b0 + q) * per;
    const m1 = Math.min(per, out.length - n0);
    for (let m = 0, i = 4 * first + lane; m < m1; m++, i += 4 * step) out[n0 + m] = src[i]!;
  }
}

/** Filters `x` into `out` (all of it) with the WebAssembly kernel; false where it is unavailable. */
export function fftResampleWasm(x: Float32Array, plan: FftPlan, out: Float32Array): boolean {
  const k = wasm();
  if (!k) return false;
  const { N, B, M, Nh, F } = plan;
  const c = (Nh - 1) / 2, per = B / M, segLen = (BATCH - 1) * B + N;
  const twr = 0, twi = 2 * N, sr = 4 * N, si = 8 * N, re = 12 * N, im = 28 * N, seg = 44 * N;
  const dst = seg + ((4 * segLen + 15) & ~15);
  const b = memory(k, dst + 4 * BATCH * per);
  if (claim(plan)) {
    new Float32Array(b, twr, N / 2).set(plan.twr);
    new Float32Array(b, twi, N / 2).set(plan.twi);
    new Float32Array(b, sr, N).set(plan.sr);
    new Float32Array(b, si, N).set(plan.si);
  }
  const vs = new Float32Array(b, seg, segLen), vd = new Float32Array(b, dst, BATCH * per);
  const blocks = Math.ceil(out.length / per);
  for (let b0 = 0; b0 < blocks; b0 += BATCH) {
    fillPadded(x, c, b0 * B, segLen, vs);
    k.gather(seg, B, N, re, im);
    k.fftDif(re, im, N, twr, twi);
    k.mulFold(re, im, N / F, F, sr, si);
    k.fftDitInv(re, im, N / F, N, twr, twi);
    k.scatter(re, im, (Nh - 1) / F, M / F, per, dst);
    const n0 = b0 * per;
    out.set(vd.subarray(0, Math.min(BATCH * per, out.length - n0)), n0);
  }
  return true;
}

const f = Math.fround;

/** The JavaScript twin of {@linkcode fftResampleWasm}: the same output, bit for bit. */
export function fftResampleJs(x: Float32Array, plan: FftPlan, out: Float32Array): void {
  const { N, F, twr, twi, sr, si } = plan;
  const n = N / F;
  const re = new Float32Array(4 * N), im = new Float32Array(4 * N);
  const blocks = Math.ceil(out.length / (plan.B / plan.M));
  for (let b0 = 0; b0 < blocks; b0 += BATCH) {
    fillBatch(x, plan, b0, re, im);
    for (let l = 0; l < 4; l++) {
      // Forward, decimation in frequency (see the kernel).
      for (let h = N >> 1, ts = 1; h >= 1; h >>= 1, ts <<= 1) {
        for (let g = 0; g < N; g += 2 * h) {
          for (let j = 0; j < h; j++) {
            const wr = twr[j * ts]!, wi = twi[j * ts]!;
            const p = 4 * (g + j) + l, q = p + 4 * h;
            const ar = re[p]!, ai = im[p]!, br = re[q]!, bi = im[q]!;
            re[p] = ar + br;
            im[p] = ai + bi;
            const dr = f(ar - br), di = f(ai - bi);
            re[q] = f(dr * wr) - f(di * wi);
            im[q] = f(dr * wi) + f(di * wr);
          }
        }
      }
      for (let p = 0; p < n; p++) {
        let zr = 0, zi = 0;
        for (let t = 0, i = p * F; t < F; t++, i++) {
          const xr = re[4 * i + l]!, xi = im[4 * i + l]!, wr = sr[i]!, wi = si[i]!;
          const yr = f(f(xr * wr) - f(xi * wi)), yi = f(f(xr * wi) + f(xi * wr));
          zr = t ? f(zr + yr) : yr;
          zi = t ? f(zi + yi) : yi;
        }
        re[4 * p + l] = zr;
        im[4 * p + l] = zi;
      }
      // Inverse, decimation in time, n points.
      for (let h = 1, ts = N >> 1; h < n; h <<= 1, ts >>= 1) {
        for (let g = 0; g < n; g += 2 * h) {
          for (let j = 0; j < h; j++) {
            const wr = twr[j * ts]!, wi = twi[j * ts]!;
            const p = 4 * (g + j) + l, q = p + 4 * h;
            const ar = re[p]!, ai = im[p]!, br = re[q]!, bi = im[q]!;
            const tr = f(f(br * wr) + f(bi * wi)), ti = f(f(bi * wr) - f(br * wi));
            re[p] = ar + tr;
            im[p] = ai + ti;
            re[q] = ar - tr;
            im[q] = ai - ti;
          }
        }
      }
    }
    readBatch(plan, b0, re, im, out);
  }
}
