/**
 * The mel power spectrogram on WebAssembly SIMD (private to `mel.ts`).
 *
 * `_wasm_mel.wat` runs {@linkcode RealFft.power}'s algorithm (window folded into the packing,
 * radix-4 passes, split step) and the sparse mel sums in one of two precisions:
 *
 * - `"f64"`: two frames at once, one per lane of an `f64x2` vector (the mel sums on four: two
 *   independent accumulator chains). Every operation is the float64 operation the JavaScript path
 *   performs, in the same order, with no fused multiply-add, so the output is bit-identical to it
 *   (`mel_test.ts` checks this).
 * - `"f32"` (what `MelSpectrogram` uses by default): four frames at once in an `f32x4` vector,
 *   float32 throughout, about twice as fast; deterministic (IEEE float32, no fused multiply-add)
 *   and within librosa's tolerances (`mel_test.ts` checks every fixture).
 *
 * The signal is processed in chunks of {@linkcode CHUNK_FRAMES} frames: each chunk's zero-padded
 * samples (`center=True`) are copied into wasm memory (as float64 or float32), so memory stays
 * bounded for any signal length.
 *
 * @module
 */
import { realFftTables } from "./_fft.ts";
import { MEL_WASM_BASE64 } from "./_simd_mel_bytes.ts";

/** Frames per chunk (a multiple of 4: the kernel computes frames in groups of four). */
export const CHUNK_FRAMES = 128;

interface Exports {
  memory: WebAssembly.Memory;
  init(...args: number[]): void;
  melPower(sig: number, frames: number, hop: number, out: number, stride: number): void;
  melPower32(sig: number, frames: number, hop: number, out: number, stride: number): void;
}

/**
 * Kernel arithmetic: `"f64"`, two frames per `f64x2` vector, bit-identical to the JavaScript
 * path; `"f32"`, four frames per `f32x4` vector, about twice as fast and within the librosa
 * tolerances (float32 throughout, like librosa's own float32 pipeline).
 */
export type KernelPrecision = "f64" | "f32";

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable. */
function wasmModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      const bin = atob(MEL_WASM_BASE64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      compiled = new WebAssembly.Module(bytes);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** True when this runtime can run the SIMD kernel. */
export function simdAvailable(): boolean {
  return wasmModule() !== null;
}

/** The sparse filterbank fields the kernel needs (see `SparseFilterbank` in `mel.ts`). */
export interface KernelFilterbank {
  nMels: number;
  start: Int32Array;
  length: Int32Array;
  offset: Int32Array;
  weights: Float32Array;
}

/**
 * One kernel instance (its own wasm memory) for a fixed FFT size, hop, window and filterbank.
 * Not for concurrent use.
 */
export class SimdMel {
  readonly #x: Exports;
  readonly #nFft: number;
  readonly #hop: number;
  readonly #nMels: number;
  readonly #sig: number;
  readonly #sigLen: number;
  readonly #out: number;
  readonly #f32: boolean;
  /** The kernel's arithmetic. */
  readonly precision: KernelPrecision;

  /** Null where WebAssembly SIMD is unavailable. */
  static create(
    nFft: number,
    hop: number,
    window: Float64Array,
    fb: KernelFilterbank,
    precision: KernelPrecision = "f64",
  ): SimdMel | null {
    const mod = wasmModule();
    return mod ? new SimdMel(mod, nFft, hop, window, fb, precision) : null;
  }

  private constructor(
    mod: WebAssembly.Module,
    nFft: number,
    hop: number,
    window: Float64Array,
    fb: KernelFilterbank,
    precision: KernelPrecision,
  ) {
    this.#x = new WebAssembly.Instance(mod).exports as unknown as Exports;
    this.#nFft = nFft;
    this.#hop = hop;
    this.#nMels = fb.nMels;
    this.precision = precision;
    const f32 = this.#f32 = precision === "f32";
    // Real sizes: 8 bytes (f64) or 4 (f32); a power spectrum bin holds 4 frames either way.
    const r = f32 ? 4 : 8;
    const m = nFft >> 1;
    const t = realFftTables(nFft);
    let top = 0;
    const alloc = (bytes: number): number => {
      const at = top;
      top += Math.ceil(bytes / 16) * 16;
      return at;
    };
    const buf = alloc(32 * m);
    const rev = alloc(4 * m);
    const win = alloc(r * nFft);
    const tw = alloc(r * t.tw.length);
    const tw2 = alloc(r * t.tw2.length);
    const split = alloc(r * t.split.length);
    const pow = alloc(4 * r * (m + 1));
    const bands = alloc(12 * fb.nMels);
    const wts = alloc(r * fb.weights.length);
    this.#out = alloc(4 * fb.nMels * CHUNK_FRAMES);
    this.#sigLen = (CHUNK_FRAMES - 1) * hop + nFft;
    this.#sig = alloc(r * this.#sigLen);
    const mem = this.#x.memory;
    const need = Math.ceil(top / 65536) - mem.buffer.byteLength / 65536;
    if (need > 0) mem.grow(need);
    const b = mem.buffer;
    const put = (at: number, v: ArrayLike<number>): void =>
      (f32 ? new Float32Array(b, at, v.length) : new Float64Array(b, at, v.length)).set(v);
    const revI = new Int32Array(b, rev, m);
    for (let i = 0; i < m; i++) revI[i] = 2 * r * t.rev[i]!;
    put(win, window);
    put(tw, t.tw);
    put(tw2, t.tw2);
    put(split, t.split);
    const bandI = new Int32Array(b, bands, 3 * fb.nMels);
    for (let k = 0; k < fb.nMels; k++) {
      bandI[3 * k] = pow + 4 * r * fb.start[k]!;
      bandI[3 * k + 1] = fb.length[k]!;
      bandI[3 * k + 2] = wts + r * fb.offset[k]!;
    }
    put(wts, fb.weights);
    this.#x.init(m, buf, rev, win, tw, t.lastH, tw2, split, pow, fb.nMels, bands, wts);
  }

  /**
   * Mel power spectrogram of `signal` (`center=True`, zero padding) into `result`, shape
   * `[nMels, frames]` with `frames = 1 + floor(signal.length / hop)`.
   */
  power(signal: Float32Array, result: Float32Array, frames: number): void {
    const nFft = this.#nFft, hop = this.#hop, nMels = this.#nMels, n = signal.length;
    const b = this.#x.memory.buffer;
    const sig = this.#f32
      ? new Float32Array(b, this.#sig, this.#sigLen)
      : new Float64Array(b, this.#sig, this.#sigLen);
    const out = new Float32Array(b, this.#out, nMels * CHUNK_FRAMES);
    for (let t0 = 0; t0 < frames; t0 += CHUNK_FRAMES) {
      const count = Math.min(CHUNK_FRAMES, frames - t0);
      const padded = (count + 3) & ~3;
      // Chunk samples: padded signal from g0 = t0·hop − nFft/2, zeros outside the signal.
      const g0 = t0 * hop - (nFft >> 1);
      const len = (padded - 1) * hop + nFft;
      const a = Math.max(0, g0), e = Math.min(n, g0 + len);
      if (e > a) {
        sig.fill(0, 0, a - g0);
        sig.set(signal.subarray(a, e), a - g0);
        sig.fill(0, e - g0, len);
      } else {
        sig.fill(0, 0, len);
      }
      if (this.#f32) this.#x.melPower32(this.#sig, padded, hop, this.#out, CHUNK_FRAMES);
      else this.#x.melPower(this.#sig, padded, hop, this.#out, CHUNK_FRAMES);
      for (let k = 0; k < nMels; k++) {
        result.set(
          out.subarray(k * CHUNK_FRAMES, k * CHUNK_FRAMES + count),
          k * frames + t0,
        );
      }
    }
  }
}
