/**
 * Kernels for the small operations of batch-1 inference on the wasm backend. On the calling
 * thread: the Dense layers of squeeze-and-excitation blocks and classifier heads (`_FusedMatMul`
 * of one row: at most a few thousand multiply-adds) and their `Sigmoid`; as SIMD jobs on the heap
 * threads (`channelScale`): the per-channel `Multiply` of SE blocks and `Prelu`. The stock
 * kernels hand these to XNNPACK's thread pool when tfjs runs threaded: waking the pool costs more
 * than the work (measured here: 20 µs → 90 µs per Dense layer on two threads), and when the
 * machine is busy the pool waits for a descheduled thread, about 1 ms per call. These kernels
 * take the tiny shapes and return null for anything else (the caller runs the stock kernel).
 *
 * Sums are accumulated in float64 and rounded once, as the cpu backend does.
 *
 * Private to `_wasm_kernels.ts`.
 *
 * @module
 */
import type { TensorInfo, WasmBackend } from "./_wasm_stock.ts";
import {
  type HeapBackend,
  heapEngine,
  type HeapJob,
  heapOffset,
  parts,
  runJobs,
  split,
} from "./_wasm_heap.ts";

/** Most multiply-adds of a matrix product taken on the calling thread. */
export const SMALL_WORK = 1 << 16;

/** Most values of a `Sigmoid` taken on the calling thread (an SE block's scales: ≤ 512 here). */
export const SMALL_VALUES = 4096;

const ACTIVATIONS = new Set(["linear", "relu", "relu6", "elu", "sigmoid", "leakyrelu", "prelu"]);

function count(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Activation of `_FusedMatMul` by name (one of ACTIVATIONS), for column j. */
function activationFn(
  name: string,
  alpha: Float32Array | null,
  leaky: number,
): (v: number, j: number) => number {
  switch (name) {
    case "linear":
      return (v) => v;
    case "relu":
      return (v) => (v < 0 ? 0 : v);
    case "relu6":
      return (v) => Math.min(6, Math.max(0, v));
    case "elu":
      return (v) => (v < 0 ? Math.exp(v) - 1 : v);
    case "sigmoid":
      return (v) => 1 / (1 + Math.exp(-v));
    case "leakyrelu":
      return (v) => (v < 0 ? leaky * v : v);
    default:
      return (v, j) => (v < 0 ? alpha![j]! * v : v);
  }
}

/** The attributes of `_FusedMatMul`. */
export interface FusedMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

/**
 * `_FusedMatMul` of `a` [1, M, K] (or [1, K, M] transposed) by `b` [1, K, N] (or [1, N, K]) plus
 * an optional `bias` (N values, or one) and activation, on the calling thread; null when the
 * product is not tiny (a batch other than 1, more than {@linkcode SMALL_WORK} multiply-adds), the
 * dtype is not float32, or the bias or PReLU slopes are not per column.
 */
export function smallFusedMatMul(
  backend: WasmBackend,
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo },
  attrs: FusedMatMulAttrs,
): TensorInfo | null {
  const { a, b, bias, preluActivationWeights: slopes } = inputs;
  if (a.shape.length !== 3 || b.shape.length !== 3 || a.shape[0] !== 1 || b.shape[0] !== 1) {
    return null;
  }
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  const [, a1, a2] = a.shape as [number, number, number];
  const [, b1, b2] = b.shape as [number, number, number];
  const m = attrs.transposeA ? a2 : a1, k = attrs.transposeA ? a1 : a2;
  const n = attrs.transposeB ? b1 : b2;
  if ((attrs.transposeB ? b2 : b1) !== k || m * k * n > SMALL_WORK) return null;
  const biasCount = bias ? count(bias.shape) : 0;
  if (bias && (bias.dtype !== "float32" || (biasCount !== n && biasCount !== 1))) return null;
  if (slopes && (slopes.dtype !== "float32" || count(slopes.shape) !== n)) return null;
  const activation = attrs.activation ?? "linear";
  if (!ACTIVATIONS.has(activation) || (activation === "prelu") !== (slopes !== undefined)) {
    return null;
  }
  const out = backend.makeOutput([1, m, n], "float32");
  // Views after the allocation, which may have grown (and detached) the heap.
  const av = backend.typedArrayFromHeap(a) as Float32Array;
  const bv = backend.typedArrayFromHeap(b) as Float32Array;
  const biasV = bias ? backend.typedArrayFromHeap(bias) as Float32Array : null;
  const alphaV = slopes ? backend.typedArrayFromHeap(slopes) as Float32Array : null;
  const act = activationFn(activation, alphaV, attrs.leakyreluAlpha ?? 0.2);
  const y = backend.typedArrayFromHeap(out) as Float32Array;
  // a[i, p] and b[p, j] by strides, whichever the transposition.
  const [ai, ap] = attrs.transposeA ? [1, m] : [k, 1];
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    if (attrs.transposeB) {
      // b as [N, K]: a dot product per column.
      for (let j = 0; j < n; j++) {
        let t = 0;
        for (let p = 0, o = j * k; p < k; p++) t += av[i * ai + p * ap]! * bv[o + p]!;
        acc[j] = t;
      }
    } else {
      acc.fill(0);
      for (let p = 0; p < k; p++) {
        const v = av[i * ai + p * ap]!;
        for (let j = 0, o = p * n; j < n; j++) acc[j] += v * bv[o + j]!;
      }
    }
    for (let j = 0; j < n; j++) {
      const t = biasV ? acc[j]! + biasV[biasCount === 1 ? 0 : j]! : acc[j]!;
      y[i * n + j] = act(t, j);
    }
  }
  return out;
}

/** `Sigmoid` of a float32 tensor of at most {@linkcode SMALL_VALUES} values, else null. */
export function smallSigmoid(backend: WasmBackend, x: TensorInfo): TensorInfo | null {
  if (x.dtype !== "float32" || count(x.shape) > SMALL_VALUES) return null;
  const out = backend.makeOutput(x.shape.slice(), "float32");
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const y = backend.typedArrayFromHeap(out) as Float32Array;
  for (let i = 0; i < xv.length; i++) y[i] = 1 / (1 + Math.exp(-xv[i]!));
  return out;
}

/**
 * y = x · s (`Multiply` broadcasting one channel vector `s`, C values, over `x` [.., C]: the scale
 * of a squeeze-and-excitation block at batch 1) or y = PReLU(x) with one slope per channel
 * (`Prelu`), as one SIMD pass of `bn_apply` split into jobs that any free thread takes
 * (`_wasm_heap.ts`): the stock kernels run on XNNPACK's thread pool, which waits for every one
 * of its threads, about 1 ms per call when the machine is busy. Null when the shapes are not
 * these (C not a multiple of 4, a vector that is not per channel) or SIMD is unavailable.
 */
export function channelScale(
  backend: HeapBackend,
  x: TensorInfo,
  v: TensorInfo,
  op: "multiply" | "prelu",
): TensorInfo | null {
  const c = x.shape[x.shape.length - 1] ?? 0;
  if (
    x.dtype !== "float32" || v.dtype !== "float32" || c % 4 !== 0 || c === 0 ||
    count(v.shape) !== c || v.shape[v.shape.length - 1] !== c || v.shape.length > x.shape.length
  ) {
    return null;
  }
  const e = heapEngine(backend);
  if (e === null) return null;
  const n = count(x.shape) / c;
  const y = backend.makeOutput(x.shape.slice(), "float32");
  // Zeros (mean, beta) then ones (the scale of a PReLU), C each.
  const consts = backend.makeOutput([2 * c], "float32");
  try {
    const k = backend.typedArrayFromHeap(consts) as Float32Array;
    k.fill(0, 0, c);
    k.fill(1, c);
    const zeros = heapOffset(backend, consts), ones = zeros + 4 * c;
    const xp = heapOffset(backend, x), yp = heapOffset(backend, y), vp = heapOffset(backend, v);
    const [scale, alpha, act] = op === "multiply" ? [vp, zeros, 0] : [ones, vp, 2];
    // Jobs of at least 64 KiB of x: smaller ones cost more to hand out than to compute.
    const ranges = split(n, Math.min(parts(e), Math.ceil((n * c) / 16384)), 1);
    runJobs(
      e,
      ranges.map(([p0, p1]): HeapJob => ({
        fn: "bn_apply",
        args: [xp + p0 * c * 4, yp + p0 * c * 4, p1 - p0, c, zeros, scale, zeros, alpha, act],
      })),
    );
  } catch (err) {
    backend.disposeData(y.dataId);
    throw err;
  } finally {
    backend.disposeData(consts.dataId);
  }
  return y;
}
