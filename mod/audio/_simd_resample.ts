/**
 * The polyphase FIR of `resample.ts` (private to it), in two engines with bit-identical output:
 * the WebAssembly SIMD kernel `_wasm_resample.wat` (four outputs of one phase per pass, eight
 * taps per step) and its JavaScript twin, which performs the same float32 operations in the same
 * order (`Math.fround` after every product and sum) for runtimes without WebAssembly SIMD.
 *
 * Both compute, for every output `n`, with table row `r = n mod L` and `s = floor(n·M/L)`:
 * `out[n] = Σ_k taps[r·K + k] · xp[s + k]`, where `xp[i] = x[i − P]` inside `x` and 0 outside
 * (lanes and partial sums as documented in the `.wat` file). The input is processed in chunks,
 * so the WebAssembly memory stays small for any length.
 *
 * @module
 */
import { RESAMPLE_WASM_BASE64 } from "./_simd_resample_bytes.ts";

/** A polyphase tap table: `L` rows of `K` float32 taps (K a multiple of 8), row `n mod L` for output `n`. */
export interface TapTable {
  taps: Float32Array;
  /** Taps per row (a multiple of 8). */
  K: number;
  /** Phases (rows) = the up-sampling factor. */
  L: number;
  /** Down-sampling factor. */
  M: number;
  /** Zeros in front of the input: `xp[i] = x[i − P]`. */
  P: number;
}

/** Outputs per chunk, at least (rounded up to a multiple of L). */
const CHUNK = 1 << 14;

/** The kernel's exports (see `_wasm_resample.wat`). */
export interface Exports {
  memory: WebAssembly.Memory;
  polyphase(
    taps: number,
    K: number,
    L: number,
    M: number,
    x: number,
    out: number,
    count: number,
  ): void;
  fftDif(re: number, im: number, N: number, twr: number, twi: number): void;
  mulFold(re: number, im: number, n: number, F: number, sr: number, si: number): void;
  fftDitInv(re: number, im: number, n: number, N: number, twr: number, twi: number): void;
  gather(seg: number, B: number, N: number, re: number, im: number): void;
  scatter(re: number, im: number, first: number, M: number, per: number, dst: number): void;
}

let instance: Exports | null | undefined;
let loaded: object | null = null;

/** The kernel's exports, or null where WebAssembly SIMD is unavailable. */
export function wasm(): Exports | null {
  if (instance === undefined) {
    try {
      const bin = atob(RESAMPLE_WASM_BASE64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      instance = new WebAssembly.Instance(new WebAssembly.Module(bytes))
        .exports as unknown as Exports;
    } catch {
      instance = null;
    }
  }
  return instance;
}

/**
 * The kernel's memory, grown to at least `bytes`. Growing forgets which coefficients it holds.
 */
export function memory(k: Exports, bytes: number): ArrayBuffer {
  const need = Math.ceil(bytes / 65536) - k.memory.buffer.byteLength / 65536;
  if (need > 0) {
    k.memory.grow(need);
    loaded = null;
  }
  return k.memory.buffer as ArrayBuffer;
}

/**
 * Records that the memory now holds the coefficients of `owner`; true when they must be
 * (re)written, false when they are there already.
 */
export function claim(owner: object): boolean {
  if (loaded === owner) return false;
  loaded = owner;
  return true;
}

/** Whether the WebAssembly SIMD kernel can run here. */
export function simdAvailable(): boolean {
  return wasm() !== null;
}

/** Copies `xp[start .. start + len)` (see the module notes) into `dst`. */
export function fillPadded(
  x: Float32Array,
  P: number,
  start: number,
  len: number,
  dst: Float32Array,
): void {
  const lo = Math.min(len, Math.max(0, P - start)); // xp[start + i] with start + i − P < 0
  const hi = Math.max(lo, Math.min(len, x.length + P - start));
  dst.fill(0, 0, lo);
  dst.set(x.subarray(start + lo - P, start + hi - P), lo);
  dst.fill(0, hi, len);
}

/**
 * Runs the table on `x` into `out` (all of `out`) with the WebAssembly kernel. Returns false,
 * doing nothing, where WebAssembly SIMD is unavailable.
 */
export function polyphaseWasm(x: Float32Array, t: TapTable, out: Float32Array): boolean {
  const k = wasm();
  if (!k) return false;
  const { K, L, M, P } = t;
  const C = L * Math.max(1, Math.ceil(CHUNK / L)); // outputs per chunk, a multiple of L
  const xLen = Math.floor(((C - 1) * M) / L) + K;
  const tapsAt = 0, xAt = t.taps.length * 4, outAt = xAt + ((xLen * 4 + 15) & ~15);
  const b = memory(k, outAt + 4 * C);
  if (claim(t)) new Float32Array(b, tapsAt, t.taps.length).set(t.taps);
  const xs = new Float32Array(b, xAt, xLen);
  const ys = new Float32Array(b, outAt, C);
  for (let n0 = 0; n0 < out.length; n0 += C) {
    const count = Math.min(C, out.length - n0);
    const len = Math.floor(((count - 1) * M) / L) + K;
    fillPadded(x, P, (n0 / L) * M, len, xs);
    k.polyphase(tapsAt, K, L, M, xAt, outAt, count);
    out.set(count === C ? ys : ys.subarray(0, count), n0);
  }
  return true;
}

const f = Math.fround;

/** One output: the kernel's float32 arithmetic, operation for operation. */
export function dot(
  taps: Float32Array,
  t0: number,
  xp: Float32Array,
  s: number,
  K: number,
): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  for (let k = 0; k < K; k += 8) {
    const h = t0 + k, i = s + k;
    a0 = f(a0 + f(taps[h]! * xp[i]!));
    b0 = f(b0 + f(taps[h + 4]! * xp[i + 4]!));
    a1 = f(a1 + f(taps[h + 1]! * xp[i + 1]!));
    b1 = f(b1 + f(taps[h + 5]! * xp[i + 5]!));
    a2 = f(a2 + f(taps[h + 2]! * xp[i + 2]!));
    b2 = f(b2 + f(taps[h + 6]! * xp[i + 6]!));
    a3 = f(a3 + f(taps[h + 3]! * xp[i + 3]!));
    b3 = f(b3 + f(taps[h + 7]! * xp[i + 7]!));
  }
  const v0 = f(a0 + b0), v1 = f(a1 + b1), v2 = f(a2 + b2), v3 = f(a3 + b3);
  return f(f(v0 + v2) + f(v1 + v3));
}

/** The padded input `xp` of the module notes, long enough for every output of `out`. */
export function paddedInput(
  x: Float32Array,
  P: number,
  nOut: number,
  L: number,
  M: number,
  K: number,
): Float32Array {
  const len = nOut === 0 ? 0 : Math.floor(((nOut - 1) * M) / L) + K;
  const xp = new Float32Array(len);
  fillPadded(x, P, 0, len, xp);
  return xp;
}

/** The JavaScript twin of {@linkcode polyphaseWasm}: the same output, bit for bit. */
export function polyphaseJs(x: Float32Array, t: TapTable, out: Float32Array): void {
  const { taps, K, L, M, P } = t;
  const xp = paddedInput(x, P, out.length, L, M, K);
  for (let n = 0, r = 0, s = 0, q = 0; n < out.length; n++) {
    out[n] = dot(taps, r * K, xp, s, K);
    if (++r === L) r = 0;
    q += M; // next input start: floor((n+1)·M/L), q = (n+1)·M mod L
    s += Math.floor(q / L);
    q %= L;
  }
}
