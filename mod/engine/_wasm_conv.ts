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
  backend.typedArrayFromHeap(out).fill(0);
  // Output rows per chunk: about 1024 pixels whose x and dy fit in 1 MiB (L2).
  const pixels = Math.max(16, Math.min(1024, (1 << 20) / ((ci * sh * sw + co) * 4)));
  const rows = Math.max(1, Math.floor(pixels / wo));
  const base = [
    offset(backend, x),
    offset(backend, dy),
    offset(backend, out),
    b,
    h,
    w,
    ci,
    ho,
    wo,
    co,
  ];
  const rest = [kh, kw, sh, sw, info.padInfo.top, info.padInfo.left];
  const k = parts(e);
  // Threads take input-channel ranges (even-aligned) or, with few input channels, output ones.
  const jobs: HeapJob[] = ci >= 4 * k
    ? split(ci, k, 2).map(([c0, c1]) => ({
      fn: "conv_dw",
      args: [...base, ...rest, c0, c1, 0, co, rows],
    }))
    : split(co, k, 16).map(([c0, c1]) => ({
      fn: "conv_dw",
      args: [...base, ...rest, 0, ci, c0, c1, rows],
    }));
  runJobs(e, jobs);
  return out;
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
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: ci } = info;
  const { outHeight: ho, outWidth: wo, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  if (ci % 8 !== 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const e = heapEngine(backend);
  if (e === null) return null;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  // Rows and columns of dy that any tap of any output pixel reads (tiles of 4 may read past the
  // last pixel of a phase): the zero padding around the copy of dy.
  let ymin = 0, ymax = ho - 1, xmin = 0, xmax = wo - 1;
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
  const k = parts(e);
  const dyp = backend.makeOutput([b * hp * wp * co + 2 * kh * kw * k], "float32");
  const wt = backend.makeOutput([kh * kw * co * ci], "float32");
  const out = backend.makeOutput([b, h, w, ci], "float32");
  try {
    // Padded copy of dy.
    const src = backend.typedArrayFromHeap(dy) as Float32Array;
    const pad = backend.typedArrayFromHeap(dyp) as Float32Array;
    const row = wo * co;
    if (ptop === 0 && pleft === 0 && hp === ho && wp === wo) {
      pad.set(src);
    } else {
      pad.fill(0, 0, b * hp * wp * co);
      for (let n = 0; n < b; n++) {
        for (let y = 0; y < ho; y++) {
          const s = (n * ho + y) * row;
          pad.set(src.subarray(s, s + row), ((n * hp + y + ptop) * wp + pleft) * co);
        }
      }
    }
    // The filter with its channel axes swapped: [KH,KW,Co,Ci].
    const f = backend.typedArrayFromHeap(filter) as Float32Array;
    const t = backend.typedArrayFromHeap(wt) as Float32Array;
    for (let tap = 0; tap < kh * kw; tap++) {
      const o = tap * ci * co;
      for (let i = 0; i < ci; i++) {
        for (let c = 0; c < co; c++) t[o + c * ci + i] = f[o + i * co + c];
      }
    }
    const pdy = offset(backend, dyp), taps = pdy + b * hp * wp * co * 4;
    const args = [pdy, offset(backend, wt), offset(backend, out)];
    const shape = [h, w, ci, hp, wp, co, kh, kw, sh, sw, pt, pl, ptop, pleft];
    const jobs: HeapJob[] = split(b * h, k, 1).map(([r0, r1], j) => ({
      fn: "conv_dx",
      args: [...args, taps + j * kh * kw * 8, ...shape, r0, r1],
    }));
    runJobs(e, jobs);
  } finally {
    backend.disposeData(dyp.dataId);
    backend.disposeData(wt.dataId);
  }
  return out;
}
