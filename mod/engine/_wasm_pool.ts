/**
 * Max-pooling gradient for the wasm backend (private to `_wasm_kernels.ts`): 2×2 windows at
 * stride 2 with channels a multiple of 4 (every pooling layer of the models) on WebAssembly SIMD
 * (`_wasm_pool.wat`), anything else in JavaScript.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heap, type NamedAttrMap, type TensorInfo, type WasmBackend } from "./_wasm_stock.ts";
import {
  type HeapBackend,
  heapEngine,
  type HeapJob,
  heapOffset,
  parts,
  runJobs,
  split,
} from "./_wasm_heap.ts";

// --- pooling -------------------------------------------------------------------------------------

/** Routes each dy to the first maximum of its window (cpu semantics), any size/stride/padding. */
export function maxPoolGrad(
  args: {
    inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
    backend: WasmBackend;
    attrs: NamedAttrMap;
  },
): TensorInfo {
  const { inputs: { dy, input }, backend } = args;
  const attrs = args.attrs as unknown as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: "valid" | "same" | number;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [b, h, w, c] = input.shape;
  const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const out = backend.makeOutput(input.shape, "float32");
  const windows2x2 = fh === 2 && fw === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 &&
    h >= 2 * ho && w >= 2 * wo;
  const e = windows2x2 && c % 4 === 0 ? heapEngine(backend as unknown as HeapBackend) : null;
  if (e) {
    // WebAssembly SIMD, split over rows of windows (`_wasm_pool.wat`).
    if (h !== 2 * ho || w !== 2 * wo) heap(backend, out).fill(0);
    const hb = backend as unknown as HeapBackend;
    const args = [heapOffset(hb, input), heapOffset(hb, dy), heapOffset(hb, out), h, w, c, ho, wo];
    runJobs(
      e,
      split(b * ho, parts(e), 1).map(([r0, r1]): HeapJob => ({
        fn: "pool_grad2x2",
        args: [...args, r0, r1],
      })),
    );
    return out;
  }
  const x = heap(backend, input), g = heap(backend, dy), dx = heap(backend, out);
  dx.fill(0);
  const rowStride = w * c;
  if (windows2x2) {
    // The 2×2 stride-2 case of every model here: no bounds checks.
    for (let n = 0; n < b; n++) {
      for (let i = 0; i < ho; i++) {
        const base = (n * h + 2 * i) * rowStride;
        const gRow = (n * ho + i) * wo * c;
        for (let j = 0; j < wo; j++) {
          const p00 = base + 2 * j * c, p01 = p00 + c, p10 = p00 + rowStride, p11 = p10 + c;
          const gj = gRow + j * c;
          for (let ch = 0; ch < c; ch++) {
            let best = p00 + ch, v = x[best];
            const v01 = x[p01 + ch], v10 = x[p10 + ch], v11 = x[p11 + ch];
            if (v01 > v) {
              v = v01;
              best = p01 + ch;
            }
            if (v10 > v) {
              v = v10;
              best = p10 + ch;
            }
            if (v11 > v) best = p11 + ch;
            dx[best] += g[gj + ch];
          }
        }
      }
    }
    return out;
  }
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < ho; i++) {
      const r0 = i * sh - top;
      for (let j = 0; j < wo; j++) {
        const c0 = j * sw - left;
        const gj = ((n * ho + i) * wo + j) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -1, v = -Infinity;
          for (let a = 0; a < fh; a++) {
            const r = r0 + a;
            if (r < 0 || r >= h) continue;
            for (let d = 0; d < fw; d++) {
              const col = c0 + d;
              if (col < 0 || col >= w) continue;
              const p = ((n * h + r) * w + col) * c + ch;
              if (x[p] > v || best < 0) {
                v = x[p];
                best = p;
              }
            }
          }
          if (best >= 0) dx[best] += g[gj + ch];
        }
      }
    }
  }
  return out;
}
