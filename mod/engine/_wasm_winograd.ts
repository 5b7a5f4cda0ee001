/**
 * 3×3 forward convolutions by Winograd's minimal filtering on tfjs's wasm heap (`_wasm_conv.wat`),
 * for the fast batch-1 inference of folded models and the training forward:
 *
 * | variant | export | products per output pixel and input channel (direct: 9) |
 * |---|---|---|
 * | F(4×4, 3×3), stride 1, 'same', sides multiples of 4 | `wino4_fwd` | 36/16 = 2.25 |
 * | F(2×2, 3×3), stride 1, 'same', even sides | `wino_fwd` | 16/4 = 4 |
 * | stride 2, 'same', sides multiples of 4: F(2, 2) over the even taps + the middle tap | `wino_s2_fwd` | 25/4 = 6.25 |
 *
 * at the cost of transforming input tiles and output tiles (a few additions per value). Border
 * pixels read zeros inside the kernel: no padded copy of the input. The bias and ReLU/PReLU are
 * applied as the output tiles are written. The transformed filter U = G g Gᵀ is computed once per
 * filter and cached (`packed`), as the direct kernels' packed filters are. Products are the 4×8
 * register tile of the direct kernels, near the SIMD peak of one core, so the gains are the
 * ratios above less the transforms: measured on one thread, 2.6× on UNet's convolutions.
 *
 * Private to `_wasm_kernels.ts`: tried before the direct convolution of `_wasm_conv.ts`, it
 * returns null for shapes it does not take.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { DIRECT_ACTIVATIONS, type HeapBackend, packed } from "./_wasm_conv.ts";
import { heapEngine, type HeapJob, heapOffset as offset, runJobs, split } from "./_wasm_heap.ts";

type TensorInfo = tf.TensorInfo;

/** Whether the forward convolution tries this kernel first (off: A/B comparisons in benchmarks). */
export const WINOGRAD = { on: true };

/** Bytes of one block's V and M that should stay in cache (a share of L2). */
const BLOCK_BYTES = 1 << 20;

/** The Winograd variants: 2×2 or 4×4 output tiles at stride 1, 2×2 output tiles at stride 2. */
export type WinogradKind = 2 | 4 | "s2";

/**
 * G by variant: F(2×2, 3×3) (interpolation points 0, ±1), F(4×4, 3×3) (0, ±1, ±2), and the
 * stride-2 transform of `wino_s2_fwd` ([w0, w0 + w2, w2, w1, w1]).
 */
const G: Record<WinogradKind, number[][]> = {
  2: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
  4: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  s2: [[1, 0, 0], [1, 0, 1], [0, 0, 1], [0, 1, 0], [0, 1, 0]],
};

/** Kernel export, the side n of the transformed tile and of the output tile, by variant. */
const VARIANTS: Record<WinogradKind, { fn: HeapJob["fn"]; n: number; m: number }> = {
  2: { fn: "wino_fwd", n: 4, m: 2 },
  4: { fn: "wino4_fwd", n: 6, m: 4 },
  s2: { fn: "wino_s2_fwd", n: 5, m: 2 },
};

/**
 * U = G g Gᵀ of every (input channel i, output channel o) of `f` [3,3,Ci,Co] into `t`, packed as
 * [n²][Co/8][Ci][8] (ξ = n·row + column of the n×n transform) for the variant `kind`.
 */
export function winogradFilter(
  f: Float32Array,
  ci: number,
  co: number,
  t: Float32Array,
  kind: WinogradKind = 2,
): void {
  const gm = G[kind], n = gm.length;
  const g = new Float64Array(9), gg = new Float64Array(3 * n);
  for (let i = 0; i < ci; i++) {
    for (let o = 0; o < co; o++) {
      for (let k = 0; k < 9; k++) g[k] = f[(k * ci + i) * co + o]!;
      // Gg: n×3 (rows of the transform, columns of the filter)
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < 3; c++) {
          gg[3 * r + c] = gm[r]![0]! * g[c]! + gm[r]![1]! * g[3 + c]! + gm[r]![2]! * g[6 + c]!;
        }
      }
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < n; c++) {
          const u = gg[3 * r]! * gm[c]![0]! + gg[3 * r + 1]! * gm[c]![1]! +
            gg[3 * r + 2]! * gm[c]![2]!;
          t[(((r * n + c) * (co >> 3) + (o >> 3)) * ci + i) * 8 + (o & 7)] = u;
        }
      }
    }
  }
}

/** Fewest tiles per job before jobs split output channels instead. */
const MIN_TILES = 32;

/**
 * Most multiply-adds (tiles · n² · Ci · Co) of a convolution split into one job per thread: a
 * few milliseconds of one thread (every convolution of batch-1 inference here; the smallest of a
 * training batch of 48 has ~7× more).
 */
export const ONE_JOB_PER_THREAD_MACS = 1 << 27;

/** How {@linkcode winogradConv2D} splits a convolution into jobs. */
export interface WinogradPlan {
  /** Ranges of tiles (multiples of 4 apart from the last's end). */
  tiles: [number, number][];
  /** Ranges of output channels (multiples of 8). */
  co: [number, number][];
  /** Tiles per block (whose V and M stay in cache). */
  nb: number;
}

/**
 * The jobs of a Winograd convolution of `tiles` output tiles with n² = `xis` products per tile
 * and channel pair, on `threads` threads (the caller's included): ranges of tiles × ranges of
 * output channels, each job one (tile range, channel range) pair.
 *
 * Small convolutions (≤ {@linkcode ONE_JOB_PER_THREAD_MACS} multiply-adds: batch-1 inference)
 * take one job per thread: every job transforms all input channels of its tiles and streams the
 * transformed filter of its output channels from memory, so more jobs repeat that work (measured
 * in the folded ResSE_AudioCNN on 2 threads: 16.2 → 13.3 ms per inference; each convolution
 * 10–45 % faster). Larger ones take four per thread, so that a thread the system schedules late
 * leaves its share to the others. Few tiles (small images at batch 1): jobs split Co instead, so
 * that each reads its own part of the transformed filter (n² times the filter) and the tiles of 4
 * fill the register tile.
 */
export function winogradPlan(
  tiles: number,
  xis: number,
  ci: number,
  co: number,
  threads: number,
): WinogradPlan {
  const perThread = tiles * xis * ci * co <= ONE_JOB_PER_THREAD_MACS ? 1 : 4;
  const p = threads > 1 ? perThread * threads : 1;
  const byTiles = Math.max(1, Math.min(p, Math.floor(tiles / MIN_TILES)));
  const coParts = Math.min(co / 8, Math.max(1, Math.floor(p / byTiles)));
  const tileRanges = split(tiles, byTiles, 4), coRanges = split(co, coParts, 8);
  const perJob = tileRanges[0]![1] - tileRanges[0]![0];
  const nb = Math.max(4, Math.min(perJob, Math.floor(BLOCK_BYTES / (16 * xis * (ci + co))) * 4));
  return { tiles: tileRanges, co: coRanges, nb };
}

/**
 * Output tile size of the Winograd convolution of `b` images of h×w pixels: 4×4 (F(4×4, 3×3): 4×
 * fewer products than the direct convolution) when they divide into them and give at least a row
 * of 4 tiles for the register tile, else 2×2 (F(2×2, 3×3): 2.25×).
 */
export function winogradTile(b: number, h: number, w: number): 2 | 4 {
  return h % 4 === 0 && w % 4 === 0 && b * (h / 4) * (w / 4) >= 4 ? 4 : 2;
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
  const stride = info.strideHeight;
  if (
    act === undefined || (act === 2 && (!fused.alpha || count(fused.alpha) !== co)) ||
    count(fused.bias) !== co || info.filterHeight !== 3 || info.filterWidth !== 3 ||
    (stride !== 1 && stride !== 2) || info.strideWidth !== stride || info.dilationHeight !== 1 ||
    info.dilationWidth !== 1 || ci % 8 !== 0 || co % 8 !== 0 ||
    (stride === 1
      ? info.padInfo.top !== 1 || info.padInfo.left !== 1 || info.outHeight !== h ||
        info.outWidth !== w || h % 2 !== 0 || w % 2 !== 0
      : h % 4 !== 0 || w % 4 !== 0 || info.outHeight !== h / 2 || info.outWidth !== w / 2)
  ) {
    return null;
  }
  const e = heapEngine(backend);
  if (e === null) return null;
  const kind: WinogradKind = stride === 2 ? "s2" : winogradTile(b, h, w);
  const { fn, n, m } = VARIANTS[kind];
  const xis = n * n, ho = info.outHeight, wo = info.outWidth;
  const tiles = b * (ho / m) * (wo / m);
  const threads = e.threads === null ? 1 : e.threads.size + 1;
  const { tiles: tileRanges, co: coRanges, nb } = winogradPlan(tiles, xis, ci, co, threads);
  const jobCount = tileRanges.length * coRanges.length;
  const scratchFloats = ci + 4 + (xis * nb + 4) * ci + xis * nb * co;
  const scratch = backend.makeOutput([scratchFloats * jobCount], "float32");
  const u = packed(
    backend,
    [filter.dataId as object, `wino${kind} ${filter.shape}`],
    xis * ci * co,
    // The view of the filter is taken here, after the allocation that may have grown the heap.
    (t) => winogradFilter(backend.typedArrayFromHeap(filter) as Float32Array, ci, co, t, kind),
  );
  const result = backend.makeOutput([b, ho, wo, co], "float32");
  try {
    const at = [offset(backend, x), offset(backend, u), offset(backend, result)];
    const scr = offset(backend, scratch);
    const bias = fused.bias ? offset(backend, fused.bias) : 0;
    const alpha = act === 2 ? offset(backend, fused.alpha!) : 0;
    const jobs: HeapJob[] = [];
    for (const [t0, t1] of tileRanges) {
      for (const [c0, c1] of coRanges) {
        jobs.push({
          fn,
          args: [
            ...at,
            scr + jobs.length * scratchFloats * 4,
            h,
            w,
            ci,
            co,
            t0,
            t1,
            nb,
            c0,
            c1,
            bias,
            alpha,
            act,
            ...(kind === "s2" ? [info.padInfo.top, info.padInfo.left] : []),
          ],
        });
      }
    }
    runJobs(e, jobs);
  } catch (err) {
    backend.disposeData(result.dataId);
    throw err;
  } finally {
    backend.disposeData(scratch.dataId);
  }
  return result;
}
