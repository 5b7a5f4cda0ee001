/**
 * Direct convolution gradients for the tfjs wasm backend: `Conv2DBackpropFilter` and
 * `Conv2DBackpropInput` over NHWC float32 in hand-written WebAssembly SIMD (`_wasm_conv.wat`),
 * running in place on tfjs's own wasm heap (`_wasm_heap.ts`: our module imports tfjs's
 * `WebAssembly.Memory`, so tensors are passed as byte offsets and nothing is copied in or out),
 * with relaxed-SIMD fused multiply-add where the runtime has it and split across threads when
 * tfjs runs its threaded build (shared memory).
 *
 * Private to `_wasm_kernels.ts`, which falls back to its XNNPACK-based gradients for shapes these
 * kernels do not take (output channels not a multiple of 16 for the filter gradient, input
 * channels not a multiple of 8 for the input gradient, NCHW, dilations).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import {
  type HeapBackend,
  type HeapEngine,
  heapEngine,
  type HeapJob,
  heapOffset as offset,
  parts,
  runJobs,
  split,
} from "./_wasm_heap.ts";

export type { HeapBackend };

type TensorInfo = tf.TensorInfo;

/**
 * dW for `x` [B,H,W,Ci] and `dy` [B,Ho,Wo,Co] into a new [KH,KW,Ci,Co] tensor, or null when the
 * direct kernel does not take this shape (Co % 16 ≠ 0, dilations) or SIMD is unavailable.
 */
export function directBackpropFilter(
  backend: HeapBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo | null {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: ci } = info;
  const { outHeight: ho, outWidth: wo, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  if (co % 16 !== 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const e = heapEngine(backend);
  if (e === null) return null;
  const out = backend.makeOutput([kh, kw, ci, co], "float32");
  // Output rows per chunk: about 1024 pixels whose x and dy fit in 1 MiB (L2).
  const pixels = Math.max(16, Math.min(1024, (1 << 20) / ((ci * sh * sw + co) * 4)));
  const rows = Math.max(1, Math.floor(pixels / wo));
  const rest = [kh, kw, sh, sw, info.padInfo.top, info.padInfo.left];
  const dwSize = kh * kw * ci * co;
  // Jobs take ranges of images, each summing into its own partial dW (the first into the output),
  // added up at the end: every job streams only its own part of x and dy.
  const ranges = split(b, Math.min(b, parts(e)), 1);
  const partials = ranges.length > 1
    ? backend.makeOutput([(ranges.length - 1) * dwSize], "float32")
    : null;
  try {
    backend.typedArrayFromHeap(out).fill(0);
    if (partials) backend.typedArrayFromHeap(partials).fill(0);
    const xAt = offset(backend, x), dyAt = offset(backend, dy);
    const outAt = offset(backend, out), partAt = partials ? offset(backend, partials) : 0;
    const jobs: HeapJob[] = ranges.map(([b0, b1], j) => ({
      fn: "conv_dw",
      args: [
        xAt + b0 * h * w * ci * 4,
        dyAt + b0 * ho * wo * co * 4,
        j === 0 ? outAt : partAt + (j - 1) * dwSize * 4,
        b1 - b0,
        h,
        w,
        ci,
        ho,
        wo,
        co,
        ...rest,
        0,
        ci,
        0,
        co,
        rows,
      ],
    }));
    runJobs(e, jobs);
    if (partials) {
      const dw = backend.typedArrayFromHeap(out) as Float32Array;
      const p = backend.typedArrayFromHeap(partials) as Float32Array;
      for (let j = 0; j < ranges.length - 1; j++) {
        const o = j * dwSize;
        for (let i = 0; i < dwSize; i++) dw[i] += p[o + i]!;
      }
    }
  } finally {
    if (partials) backend.disposeData(partials.dataId);
  }
  return out;
}

/** Packed filters per backend, by the filter's data and packing: the most recent PACKED_MAX. */
const packedCaches = new WeakMap<object, { filters: Map<object, Map<string, TensorInfo>> }>();
const PACKED_MAX = 32;

/**
 * The filter packed by `pack` into `floats` heap floats, cached for the filter's data (tensors are
 * immutable): inference reuses its constant filters; training, whose filters change every step,
 * only keeps the last few.
 */
export function packed(
  backend: HeapBackend,
  [dataId, kind]: [object, string],
  floats: number,
  pack: (t: Float32Array) => void,
): TensorInfo {
  let cache = packedCaches.get(backend);
  if (!cache) packedCaches.set(backend, cache = { filters: new Map() });
  const packedFilters = cache.filters;
  const hit = packedFilters.get(dataId)?.get(kind);
  if (hit) {
    // Most recently used last.
    const kinds = packedFilters.get(dataId)!;
    packedFilters.delete(dataId);
    packedFilters.set(dataId, kinds);
    return hit;
  }
  while (packedFilters.size >= PACKED_MAX) {
    const [oldest, kinds] = packedFilters.entries().next().value!;
    for (const t of kinds.values()) backend.disposeData(t.dataId);
    packedFilters.delete(oldest);
  }
  const t = backend.makeOutput([floats], "float32");
  pack(backend.typedArrayFromHeap(t) as Float32Array);
  const kinds = packedFilters.get(dataId) ?? new Map<string, TensorInfo>();
  kinds.set(kind, t);
  packedFilters.delete(dataId);
  packedFilters.set(dataId, kinds);
  return t;
}

/**
 * The operation of `conv_dx`: out[b,i,j,c] = Σ_{kh,kw,s} src[b,(i+pt−kh)/sh,(j+pl−kw)/sw,s] ·
 * F(kh,kw,s,c) over the taps where both quotients are integral, for out [b,h,w,cOut] and src
 * [b,hs,ws,cs]; `pack(t)` writes F into `t` packed as [cOut/8,kh,kw,cs,8]. Pads a copy of src
 * with the zeros any tap reads and splits the output rows into jobs. `epilogue`: heap offsets of
 * a bias and PReLU slopes (cOut each; 0 for none) and the activation (0 linear, 1 ReLU, 2 PReLU)
 * applied to the output.
 */
function correlate(
  backend: HeapBackend,
  e: HeapEngine,
  src: TensorInfo,
  out: [number, number, number, number],
  k: { kh: number; kw: number; sh: number; sw: number; pt: number; pl: number },
  filterKey: [object, string],
  pack: (t: Float32Array) => void,
  epilogue: { bias: number; alpha: number; act: number } = { bias: 0, alpha: 0, act: 0 },
): TensorInfo {
  const [b, h, w, cOut] = out;
  const [, hs, ws, cs] = src.shape as [number, number, number, number];
  const { kh, kw, sh, sw, pt, pl } = k;
  // Rows and columns of src that any tap of any output pixel reads (tiles of 4 may read past the
  // last pixel of a phase): the zero padding around the copy.
  let ymin = 0, ymax = hs - 1, xmin = 0, xmax = ws - 1;
  for (let i = 0; i < h; i++) {
    for (let a = 0; a < kh; a++) {
      const t = i + pt - a;
      if (t % sh === 0) {
        ymin = Math.min(ymin, t / sh);
        ymax = Math.max(ymax, t / sh);
      }
    }
  }
  for (let p = 0; p < sw; p++) {
    const count = Math.ceil((w - p) / sw);
    if (count <= 0) continue;
    const last = Math.ceil(count / 4) * 4 - 1;
    for (let a = 0; a < kw; a++) {
      const t = p + pl - a;
      if (t % sw === 0) {
        xmin = Math.min(xmin, t / sw);
        xmax = Math.max(xmax, last + t / sw);
      }
    }
  }
  const ptop = -ymin, pleft = -xmin, hp = ptop + ymax + 1, wp = pleft + xmax + 1;
  const jobs = split(b * h, parts(e), 1);
  const padded = backend.makeOutput([b * hp * wp * cs + 2 * kh * kw * jobs.length], "float32");
  const wt = packed(backend, filterKey, kh * kw * cs * cOut, pack);
  const result = backend.makeOutput(out, "float32");
  try {
    const from = backend.typedArrayFromHeap(src) as Float32Array;
    const to = backend.typedArrayFromHeap(padded) as Float32Array;
    const row = ws * cs;
    if (ptop === 0 && pleft === 0 && hp === hs && wp === ws) {
      to.set(from);
    } else {
      to.fill(0, 0, b * hp * wp * cs);
      for (let n = 0; n < b; n++) {
        for (let y = 0; y < hs; y++) {
          const s = (n * hs + y) * row;
          to.set(from.subarray(s, s + row), ((n * hp + y + ptop) * wp + pleft) * cs);
        }
      }
    }
    const at = offset(backend, padded), tapList = at + b * hp * wp * cs * 4;
    const args = [at, offset(backend, wt), offset(backend, result)];
    const shape = [h, w, cOut, hp, wp, cs, kh, kw, sh, sw, pt, pl, ptop, pleft];
    runJobs(
      e,
      jobs.map(([r0, r1], j): HeapJob => ({
        fn: "conv_dx",
        args: [
          ...args,
          tapList + j * kh * kw * 8,
          ...shape,
          r0,
          r1,
          epilogue.bias,
          epilogue.alpha,
          epilogue.act,
        ],
      })),
    );
  } catch (err) {
    backend.disposeData(result.dataId);
    throw err;
  } finally {
    backend.disposeData(padded.dataId);
  }
  return result;
}

/**
 * dX [B,H,W,Ci] from `dy` [B,Ho,Wo,Co] and `filter` [KH,KW,Ci,Co], or null when the direct kernel
 * does not take this shape (Ci % 8 ≠ 0, dilations) or SIMD is unavailable.
 */
export function directBackpropInput(
  backend: HeapBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo | null {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  if (ci % 8 !== 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const e = heapEngine(backend);
  if (e === null) return null;
  const taps = kh * kw;
  return correlate(
    backend,
    e,
    dy,
    [b, h, w, ci],
    {
      kh,
      kw,
      sh,
      sw,
      pt: info.padInfo.top,
      pl: info.padInfo.left,
    },
    [filter.dataId as object, `dx ${filter.shape}`],
    (t) => {
      // F(kh,kw,co,ci) = W[kh,kw,ci,co], packed as [Ci/8, KH, KW, Co, 8]. The view of the filter
      // is taken here, after the allocation that may have grown (and detached) the heap.
      const f = backend.typedArrayFromHeap(filter) as Float32Array;
      for (let tap = 0; tap < taps; tap++) {
        const o = tap * ci * co;
        for (let i = 0; i < ci; i++) {
          const dst = ((((i >> 3) * taps + tap) * co) << 3) + (i & 7);
          for (let c = 0; c < co; c++) t[dst + (c << 3)] = f[o + i * co + c]!;
        }
      }
    },
  );
}

/** The activations {@linkcode directConv2D} fuses, by their tfjs names. */
export const DIRECT_ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, prelu: 2 };

/**
 * The forward convolution y [B,Ho,Wo,Co] of `x` [B,H,W,Ci] with `filter` [KH,KW,Ci,Co] at any
 * stride (`conv_fwd` over a zero-padded copy of x), plus an optional `bias` [Co] and activation
 * ("relu", or "prelu" with `alpha`, Co slopes), or null when the direct kernel does not take this
 * shape (dilations, Co % 8 ≠ 0) or SIMD is unavailable.
 */
export function directConv2D(
  backend: HeapBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  fused: { bias?: TensorInfo; activation?: string; alpha?: TensorInfo } = {},
): TensorInfo | null {
  const { batchSize: b, outHeight: ho, outWidth: wo, inChannels: ci, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { inHeight: h, inWidth: w } = info;
  const act = DIRECT_ACTIVATIONS[fused.activation ?? "linear"];
  const count = (t?: TensorInfo): number => t ? t.shape.reduce((a, b) => a * b, 1) : co;
  if (
    act === undefined || (act === 2 && (!fused.alpha || count(fused.alpha) !== co)) ||
    count(fused.bias) !== co || info.dilationHeight !== 1 || info.dilationWidth !== 1 ||
    co % 8 !== 0
  ) {
    return null;
  }
  const e = heapEngine(backend);
  if (e === null) return null;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  // Padded input: pt rows above, pl columns to the left; below and to the right what the last
  // output row and the last tile of 4 pixels (past Wo) read.
  const hp = Math.max(h + pt, (ho - 1) * sh + kh);
  const wp = Math.max(w + pl, (Math.ceil(wo / 4) * 4 - 1) * sw + kw);
  const taps = kh * kw;
  const jobs = split(b * ho, parts(e), 1);
  // Without padding (1×1 and stride-2 'same' convolutions of even sizes read no pixel outside
  // x), the kernel reads x itself and `padded` holds only the jobs' tap lists.
  const direct = pt === 0 && pl === 0 && hp === h && wp === w;
  const padded = backend.makeOutput(
    [(direct ? 0 : b * hp * wp * ci) + 2 * taps * jobs.length],
    "float32",
  );
  const wt = packed(
    backend,
    [filter.dataId as object, `fwd ${filter.shape}`],
    taps * ci * co,
    (t) => {
      // F(tap, i, o) = W[tap, i, o], packed as [Co/8, KH, KW, Ci, 8]. The view of the filter is
      // taken here, after the allocation that may have grown (and detached) the heap.
      const f = backend.typedArrayFromHeap(filter) as Float32Array;
      for (let tap = 0; tap < taps; tap++) {
        for (let i = 0; i < ci; i++) {
          const src = (tap * ci + i) * co;
          for (let o = 0; o < co; o++) {
            t[((((o >> 3) * taps + tap) * ci + i) << 3) + (o & 7)] = f[src + o]!;
          }
        }
      }
    },
  );
  const result = backend.makeOutput([b, ho, wo, co], "float32");
  try {
    if (!direct) {
      const from = backend.typedArrayFromHeap(x) as Float32Array;
      const to = backend.typedArrayFromHeap(padded) as Float32Array;
      const row = w * ci;
      to.fill(0, 0, b * hp * wp * ci);
      for (let n = 0; n < b; n++) {
        for (let y = 0; y < h; y++) {
          const s = (n * h + y) * row;
          to.set(from.subarray(s, s + row), ((n * hp + y + pt) * wp + pl) * ci);
        }
      }
    }
    const at = direct ? offset(backend, x) : offset(backend, padded);
    const tapList = direct ? offset(backend, padded) : at + b * hp * wp * ci * 4;
    const args = [at, offset(backend, wt), offset(backend, result)];
    const shape = [ho, wo, co, hp, wp, ci, kh, kw, sh, sw];
    const bias = fused.bias ? offset(backend, fused.bias) : 0;
    const alpha = act === 2 ? offset(backend, fused.alpha!) : 0;
    runJobs(
      e,
      jobs.map(([r0, r1], j): HeapJob => ({
        fn: "conv_fwd",
        args: [...args, tapList + j * taps * 8, ...shape, r0, r1, bias, alpha, act],
      })),
    );
  } catch (err) {
    backend.disposeData(result.dataId);
    throw err;
  } finally {
    backend.disposeData(padded.dataId);
  }
  return result;
}
