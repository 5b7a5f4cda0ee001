/**
 * 2:1 decimation on WebAssembly SIMD (private to `resample.ts`): `_wasm_resample.wat` computes
 * eight outputs at a time with the same float64 products and sums, in the same order, as the
 * JavaScript polyphase loop, so the results are bit-identical to it (`resample_test.ts` checks).
 * The input is processed in chunks, so wasm memory stays small for any length.
 *
 * @module
 */
import { RESAMPLE_WASM_BASE64 } from "./_simd_resample_bytes.ts";

/** Outputs per chunk (a multiple of 8). */
const CHUNK = 1 << 14;

interface Exports {
  memory: WebAssembly.Memory;
  decimate2(taps: number, K: number, e: number, o: number, out: number, count: number): void;
}

let instance: Exports | null | undefined;
let tapsKey: Float64Array | null = null;

function kernel(): Exports | null {
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
 * Writes `out[n] = Σ_k taps[k]·xp[2n + 1 + k]` (k < K = taps.length, even), where `xp[j]` is
 * `x[j - H]` inside `x` and 0 outside, for every n < out.length. Returns false (and does nothing)
 * where WebAssembly SIMD is unavailable.
 */
export function decimate2(
  x: Float32Array,
  taps: Float64Array,
  H: number,
  out: Float32Array,
): boolean {
  const k = kernel();
  if (!k) return false;
  const K = taps.length, n = x.length, nOut = out.length;
  const len = CHUNK + K / 2 + 1;
  const tapsAt = 0, eAt = 8 * K, oAt = eAt + 8 * len, outAt = oAt + 8 * len;
  const top = outAt + 4 * CHUNK;
  const need = Math.ceil(top / 65536) - k.memory.buffer.byteLength / 65536;
  if (need > 0) k.memory.grow(need);
  const b = k.memory.buffer;
  if (tapsKey !== taps) {
    new Float64Array(b, tapsAt, K).set(taps);
    tapsKey = taps;
  }
  const E = new Float64Array(b, eAt, len), O = new Float64Array(b, oAt, len);
  const y = new Float32Array(b, outAt, CHUNK);
  for (let n0 = 0; n0 < nOut; n0 += CHUNK) {
    const count = Math.min(CHUNK, nOut - n0);
    const padded = (count + 7) & ~7;
    const m = padded + K / 2 + 1;
    // E[i] = xp[2(n0 + i)] = x[2(n0 + i) - H] and O[i] = x[2(n0 + i) + 1 - H], 0 outside x.
    for (let phase = 0; phase < 2; phase++) {
      const dst = phase === 0 ? E : O;
      const j0 = 2 * n0 - H + phase; // x index of dst[0]
      const lo = Math.min(m, Math.max(0, Math.ceil(-j0 / 2)));
      const hi = Math.max(lo, Math.min(m, Math.floor((n - 1 - j0) / 2) + 1));
      dst.fill(0, 0, lo);
      for (let i = lo, j = j0 + 2 * lo; i < hi; i++, j += 2) dst[i] = x[j]!;
      dst.fill(0, hi, m);
    }
    k.decimate2(tapsAt, K, eAt, oAt, outAt, padded);
    out.set(count === CHUNK ? y : y.subarray(0, count), n0);
  }
  return true;
}
