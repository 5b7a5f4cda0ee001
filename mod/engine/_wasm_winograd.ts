/**
 * The forward 3×3 convolution (stride 1, 'same' padding) by Winograd's minimal filtering
 * F(2×2, 3×3) on tfjs's wasm heap (`wino_fwd` in `_wasm_conv.wat`): 16 multiplications per 2×2
 * output tile and input channel where the direct convolution has 36, so 2.25× fewer, at the cost
 * of transforming input tiles and output tiles (additions only). Border pixels read zeros inside
 * the kernel: no padded copy of the input. The transformed filter U = G g Gᵀ is computed once per
 * filter and cached (`packed`), as the direct kernels' packed filters are.
 *
 * Private to `_wasm_kernels.ts`: tried before the direct convolution of `_wasm_conv.ts`, it
 * returns null for shapes it does not take.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { DIRECT_ACTIVATIONS, type HeapBackend, packed } from "./_wasm_conv.ts";
import {
  heapEngine,
  type HeapJob,
  heapOffset as offset,
  parts,
  runJobs,
  split,
} from "./_wasm_heap.ts";

type TensorInfo = tf.TensorInfo;

/** Whether the forward convolution tries this kernel first (off: A/B comparisons in benchmarks). */
export const WINOGRAD = { on: true };

/** Bytes of one block's V and M that should stay in cache (a share of L2). */
const BLOCK_BYTES = 1 << 19;

/**
 * U = G g Gᵀ of every (input channel i, output channel o) of `f` [3,3,Ci,Co] into `t`, packed as
 * [16][Co/8][Ci][8] (ξ = 4·row + column of the 4×4 transform). G = [[1,0,0], [½,½,½], [½,−½,½],
 * [0,0,1]].
 */
export function winogradFilter(f: Float32Array, ci: number, co: number, t: Float32Array): void {
  const g = new Float64Array(9), gg = new Float64Array(12);
  for (let i = 0; i < ci; i++) {
    for (let o = 0; o < co; o++) {
      for (let k = 0; k < 9; k++) g[k] = f[(k * ci + i) * co + o]!;
      // Gg: 4×3 (rows of the transform, columns of the filter)
      for (let c = 0; c < 3; c++) {
        const a = g[c]!, b = g[3 + c]!, d = g[6 + c]!;
        gg[c] = a;
        gg[3 + c] = 0.5 * (a + b + d);
        gg[6 + c] = 0.5 * (a - b + d);
        gg[9 + c] = d;
      }
      for (let r = 0; r < 4; r++) {
        const a = gg[3 * r]!, b = gg[3 * r + 1]!, d = gg[3 * r + 2]!;
        const row = [a, 0.5 * (a + b + d), 0.5 * (a - b + d), d];
        for (let c = 0; c < 4; c++) {
          const xi = 4 * r + c;
          t[((xi * (co >> 3) + (o >> 3)) * ci + i) * 8 + (o & 7)] = row[c]!;
        }
      }
    }
  }
}

/**
 * y [B,H,W,Co] = the 'same' 3×3 stride-1 convolution of `x` [B,H,W,Ci] with `filter` [3,3,Ci,Co],
 * plus an optional `bias` and activation ("relu", or "prelu" with `alpha`), or null when this
 * kernel does not take the shape (another kernel size, stride, padding or dilation, odd H or W,
 * Ci or Co not a multiple of 8) or SIMD is unavailable.
 */
export function winogradConv2D(
  backend: HeapBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  fused: { bias?: TensorInfo; activation?: string; alpha?: TensorInfo } = {},
): TensorInfo | null {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const act = DIRECT_ACTIVATIONS[fused.activation ?? "linear"];
  const count = (t?: TensorInfo): number => t ? t.shape.reduce((a, b) => a * b, 1) : co;
  if (
    act === undefined || (act === 2 && (!fused.alpha || count(fused.alpha) !== co)) ||
    count(fused.bias) !== co || info.filterHeight !== 3 || info.filterWidth !== 3 ||
    info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 ||
    info.dilationWidth !== 1 || info.padInfo.top !== 1 || info.padInfo.left !== 1 ||
    info.outHeight !== h || info.outWidth !== w || h % 2 !== 0 || w % 2 !== 0 || ci % 8 !== 0 ||
    co % 8 !== 0
  ) {
    return null;
  }
  const e = heapEngine(backend);
  if (e === null) return null;
  const tiles = b * (h / 2) * (w / 2);
  const jobs = split(tiles, parts(e), 1);
  const perJob = jobs[0]![1] - jobs[0]![0];
  const nb = Math.max(1, Math.min(perJob, Math.floor(BLOCK_BYTES / (64 * (ci + co)))));
  const scratchFloats = ci + 4 + (16 * nb + 4) * ci + 16 * nb * co;
  const scratch = backend.makeOutput([scratchFloats * jobs.length], "float32");
  const u = packed(backend, [filter.dataId as object, `wino ${filter.shape}`], 16 * ci * co, (t) =>
    // The view of the filter is taken here, after the allocation that may have grown the heap.
    winogradFilter(backend.typedArrayFromHeap(filter) as Float32Array, ci, co, t));
  const result = backend.makeOutput([b, h, w, co], "float32");
  try {
    const at = [offset(backend, x), offset(backend, u), offset(backend, result)];
    const scr = offset(backend, scratch);
    const bias = fused.bias ? offset(backend, fused.bias) : 0;
    const alpha = act === 2 ? offset(backend, fused.alpha!) : 0;
    runJobs(
      e,
      jobs.map(([t0, t1], j): HeapJob => ({
        fn: "wino_fwd",
        args: [...at, scr + j * scratchFloats * 4, h, w, ci, co, t0, t1, nb, bias, alpha, act],
      })),
    );
  } catch (err) {
    backend.disposeData(result.dataId);
    throw err;
  } finally {
    backend.disposeData(scratch.dataId);
  }
  return result;
}
