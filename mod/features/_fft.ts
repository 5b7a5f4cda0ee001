/**
 * A fast real-input FFT for the STFT (private to `mel.ts`).
 *
 * An `n`-point real transform is computed as an `n/2`-point complex transform of the even/odd
 * samples packed as real/imaginary parts, followed by the usual split step. The complex transform
 * is an iterative decimation-in-time FFT on split real/imaginary `Float64Array`s: the bit-reversal
 * permutation (and, for the STFT, the window) is folded into the packing, the first two radix-2
 * stages are fused into one multiplication-free radix-4 pass, and the remaining stages run two at a
 * time as radix-4 passes (three complex products per butterfly, half the loads and stores of
 * radix-2), plus one radix-2 pass when their number is odd. Twiddles are evaluated once, in float64, with `Math.cos` /
 * `Math.sin` of the exact angle (no recurrence), and stored stage by stage so every stage reads
 * them sequentially.
 *
 * Why not `fft.js` (the suggestion)? Its `realTransform` takes 25 µs per 2048-point frame
 * here (1,280 frames per 30 s clip: 33 ms, twice the whole 17 ms budget); this one takes ~17 µs.
 * `_fft_test.ts` checks it against `fft.js` to 1e-12 relative. The STFT normally runs the same
 * algorithm, operation for operation, in WebAssembly SIMD two frames at a time (`_simd_mel.ts`,
 * ~6 µs per frame); this class is its reference and its fallback.
 *
 * @module
 */

/** The precomputed tables of an `n`-point {@linkcode RealFft} (shared with the SIMD kernel). */
export interface RealFftTables {
  /** Bit reversal of log2(n/2) bits, for i < n/2. */
  rev: Int32Array;
  /**
   * Per radix-4 pass h = 4, 16, … (while 4h ≤ n/2), per j < h: ω², ω and ω³ with ω = exp(-iπj/2h)
   * (re, im each: 6 values).
   */
  tw: Float64Array;
  /** Half-size of a final radix-2 stage (when log2(n/2) is odd), or 0. */
  lastH: number;
  /** Its twiddles exp(-iπj/lastH), j < lastH, interleaved re/im. */
  tw2: Float64Array;
  /** exp(-2πik/n), k = 0..n/4, interleaved re/im (n/2 + 2 values). */
  split: Float64Array;
}

/**
 * Tables of an `n`-point real FFT (`n` a power of two ≥ 8). Twiddles are `Math.cos` / `Math.sin`
 * of the exact angle, in float64.
 *
 * @example
 * ```ts
 * import { realFftTables } from "./_fft.ts";
 * realFftTables(2048).lastH; // 0: log2(1024) is even, radix-4 passes only
 * ```
 */
export function realFftTables(n: number): RealFftTables {
  if (!Number.isInteger(n) || n < 8 || (n & (n - 1)) !== 0) {
    throw new RangeError(`FFT size must be a power of two >= 8, got ${n}`);
  }
  const m = n >> 1;
  const bits = Math.log2(m);
  const rev = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const tw: number[] = [];
  let h = 4;
  for (; 4 * h <= m; h <<= 2) {
    for (let j = 0; j < h; j++) {
      const a = (-Math.PI * j) / (2 * h);
      tw.push(Math.cos(2 * a), Math.sin(2 * a), Math.cos(a), Math.sin(a));
      tw.push(Math.cos(3 * a), Math.sin(3 * a));
    }
  }
  const lastH = h < m ? h : 0;
  const tw2 = new Float64Array(2 * lastH);
  for (let j = 0; j < lastH; j++) {
    const a = (-Math.PI * j) / lastH;
    tw2[2 * j] = Math.cos(a);
    tw2[2 * j + 1] = Math.sin(a);
  }
  const split = new Float64Array(m + 2);
  for (let k = 0; k <= m / 2; k++) {
    const a = (-2 * Math.PI * k) / n;
    split[2 * k] = Math.cos(a);
    split[2 * k + 1] = Math.sin(a);
  }
  return { rev, tw: Float64Array.from(tw), lastH, tw2, split };
}

/** Real FFT of a fixed power-of-two size `n` ≥ 8. Not thread-safe (reuses scratch buffers). */
export class RealFft {
  /** Transform size (real input samples). */
  readonly n: number;
  readonly #m: number; // complex size n/2
  readonly #rev: Int32Array; // bit reversal of log2(m) bits
  readonly #tw: Float64Array; // per radix-4 pass and j: ω², ω, ω³, ω = exp(-iπj/2h)
  readonly #lastH: number; // half-size of a final radix-2 stage, or 0
  readonly #tw2: Float64Array; // its twiddles exp(-iπj/h), interleaved re/im
  readonly #split: Float64Array; // exp(-2πik/n), k = 0..m/2, interleaved re/im
  readonly #re: Float64Array;
  readonly #im: Float64Array;

  /** Prepares tables for size `n` (a power of two, at least 8). */
  constructor(n: number) {
    const t = realFftTables(n);
    this.n = n;
    this.#m = n >> 1;
    this.#rev = t.rev;
    this.#tw = t.tw;
    this.#lastH = t.lastH;
    this.#tw2 = t.tw2;
    this.#split = t.split;
    this.#re = new Float64Array(this.#m);
    this.#im = new Float64Array(this.#m);
  }

  /**
   * Packs `x[offset + t] · window[t]` (t < n; no window when `window` is omitted) as m complex
   * values (even samples real, odd imaginary) in bit-reversed order.
   */
  #pack(x: ArrayLike<number>, offset: number, window?: Float64Array): void {
    const re = this.#re, im = this.#im, rev = this.#rev, m = this.#m;
    if (window) {
      for (let i = 0, t = 0; i < m; i++, t += 2) {
        const r = rev[i]!;
        re[r] = x[offset + t]! * window[t]!;
        im[r] = x[offset + t + 1]! * window[t + 1]!;
      }
    } else {
      for (let i = 0, t = 0; i < m; i++, t += 2) {
        const r = rev[i]!;
        re[r] = x[offset + t]!;
        im[r] = x[offset + t + 1]!;
      }
    }
  }

  /** Complex FFT of the packed, bit-reversed data in #re/#im, in place. */
  #complex(): void {
    const re = this.#re, im = this.#im, m = this.#m;
    // Stages h = 1 and h = 2 fused: radix-4 butterflies with twiddles 1 and -i.
    for (let i = 0; i < m; i += 4) {
      const ar = re[i]!, ai = im[i]!, br = re[i + 1]!, bi = im[i + 1]!;
      const cr = re[i + 2]!, ci = im[i + 2]!, dr = re[i + 3]!, di = im[i + 3]!;
      const s0r = ar + br, s0i = ai + bi, d0r = ar - br, d0i = ai - bi;
      const s1r = cr + dr, s1i = ci + di, d1r = cr - dr, d1i = ci - di;
      re[i] = s0r + s1r;
      im[i] = s0i + s1i;
      re[i + 2] = s0r - s1r;
      im[i + 2] = s0i - s1i;
      re[i + 1] = d0r + d1i; // d0 + (-i)·d1
      im[i + 1] = d0i - d1r;
      re[i + 3] = d0r - d1i;
      im[i + 3] = d0i + d1r;
    }
    // Stages h and 2h fused into radix-4 butterflies on x0..x3 at p, p+h, p+2h, p+3h:
    // y_q = x0 + (-i)^q·ω²x1 + ... as a0 ± ω²x1, a2/a3 = ωx2 ± ω³x3 (three complex products).
    const tw = this.#tw;
    let t = 0;
    let h = 4;
    for (; 4 * h <= m; h <<= 2) {
      const span = h << 2;
      for (let start = 0; start < m; start += span) {
        for (let j = 0, k = t; j < h; j++, k += 6) {
          const p0 = start + j, p1 = p0 + h, p2 = p1 + h, p3 = p2 + h;
          let wr = tw[k]!, wi = tw[k + 1]!, xr = re[p1]!, xi = im[p1]!;
          const b1r = xr * wr - xi * wi, b1i = xr * wi + xi * wr;
          wr = tw[k + 2]!;
          wi = tw[k + 3]!;
          xr = re[p2]!;
          xi = im[p2]!;
          const b2r = xr * wr - xi * wi, b2i = xr * wi + xi * wr;
          wr = tw[k + 4]!;
          wi = tw[k + 5]!;
          xr = re[p3]!;
          xi = im[p3]!;
          const b3r = xr * wr - xi * wi, b3i = xr * wi + xi * wr;
          const x0r = re[p0]!, x0i = im[p0]!;
          const a0r = x0r + b1r, a0i = x0i + b1i, a1r = x0r - b1r, a1i = x0i - b1i;
          const a2r = b2r + b3r, a2i = b2i + b3i, a3r = b2r - b3r, a3i = b2i - b3i;
          re[p0] = a0r + a2r;
          im[p0] = a0i + a2i;
          re[p2] = a0r - a2r;
          im[p2] = a0i - a2i;
          re[p1] = a1r + a3i; // a1 + (-i)·a3
          im[p1] = a1i - a3r;
          re[p3] = a1r - a3i;
          im[p3] = a1i + a3r;
        }
      }
      t += 6 * h;
    }
    // One radix-2 stage left when log2(m) is odd.
    const lh = this.#lastH;
    if (lh) {
      const tw2 = this.#tw2;
      for (let p = 0; p < lh; p++) {
        const q = p + lh;
        const wr = tw2[2 * p]!, wi = tw2[2 * p + 1]!;
        const xr = re[q]!, xi = im[q]!;
        const tr = xr * wr - xi * wi, ti = xr * wi + xi * wr;
        const ur = re[p]!, ui = im[p]!;
        re[p] = ur + tr;
        im[p] = ui + ti;
        re[q] = ur - tr;
        im[q] = ui - ti;
      }
    }
  }

  /**
   * Spectrum of `x[offset .. offset + n)`: bins 0..n/2 into `outRe`/`outIm` (each at least
   * n/2 + 1 long). Sign convention as `numpy.fft.rfft`: X[k] = Σ x[t]·exp(-2πikt/n).
   */
  transform(x: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array, offset = 0): void {
    this.#pack(x, offset);
    this.#complex();
    const re = this.#re, im = this.#im, m = this.#m, w = this.#split;
    outRe[0] = re[0]! + im[0]!;
    outIm[0] = 0;
    outRe[m] = re[0]! - im[0]!;
    outIm[m] = 0;
    for (let k = 1; k <= m >> 1; k++) {
      // X[k] = E + w^k·O with E = (Z[k] + conj Z[m-k]) / 2, O = (Z[k] - conj Z[m-k]) / 2i;
      // X[m-k] = conj(E - w^k·O).
      const zr = re[k]!, zi = im[k]!, yr = re[m - k]!, yi = im[m - k]!;
      const er = 0.5 * (zr + yr), ei = 0.5 * (zi - yi);
      const or = 0.5 * (zi + yi), oi = -0.5 * (zr - yr);
      const wr = w[2 * k]!, wi = w[2 * k + 1]!;
      const tr = or * wr - oi * wi, ti = or * wi + oi * wr;
      outRe[k] = er + tr;
      outIm[k] = ei + ti;
      outRe[m - k] = er - tr;
      outIm[m - k] = ti - ei;
    }
  }

  /**
   * Power spectrum |X[k]|², k = 0..n/2, of `x[offset + t] · window[t]` (t < n) into `out` (at
   * least n/2 + 1 long).
   */
  power(x: ArrayLike<number>, out: Float64Array, offset = 0, window?: Float64Array): void {
    this.#pack(x, offset, window);
    this.#complex();
    const re = this.#re, im = this.#im, m = this.#m, w = this.#split;
    const dc = re[0]! + im[0]!, ny = re[0]! - im[0]!;
    out[0] = dc * dc;
    out[m] = ny * ny;
    for (let k = 1; k <= m >> 1; k++) {
      const zr = re[k]!, zi = im[k]!, yr = re[m - k]!, yi = im[m - k]!;
      const er = 0.5 * (zr + yr), ei = 0.5 * (zi - yi);
      const or = 0.5 * (zi + yi), oi = -0.5 * (zr - yr);
      const wr = w[2 * k]!, wi = w[2 * k + 1]!;
      const tr = or * wr - oi * wi, ti = or * wi + oi * wr;
      const ar = er + tr, ai = ei + ti, br = er - tr, bi = ei - ti;
      out[k] = ar * ar + ai * ai;
      out[m - k] = br * br + bi * bi;
    }
  }
}
