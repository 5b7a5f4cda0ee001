/**
 * Kernels registered for the tfjs `wasm` backend so that it trains, and trains fast. Private to
 * `backend.ts`, which calls {@linkcode registerWasmKernels} before the backend initialises.
 *
 * tfjs 4.22's wasm backend has no `Conv2DBackpropFilter`, a slow scalar `Conv2DBackpropInput`, and
 * reductions, tiles and pooling gradients that transpose whole activations. Each kernel here is
 * rewritten on top of the backend's fast XNNPACK forward convolution or as a single pass over the
 * wasm heap:
 *
 * | kernel | computed as |
 * |---|---|
 * | `Conv2DBackpropFilter` | direct WebAssembly SIMD kernel over NHWC (`_wasm_conv.ts`) when Co is a multiple of 16; else a forward conv of x transposed to [Ci,H,W,B] with dy transposed to [Ho,Wo,B,Co] as the filter, dilation = stride |
 * | `Conv2DBackpropInput` | direct WebAssembly SIMD kernel over NHWC (`_wasm_conv.ts`) when Ci is a multiple of 8; else a forward conv of dy (zero-dilated when strided) with the filter flipped and transposed to [kh,kw,Co,Ci] |
 * | `Tile` | block copies when only leading axes of size 1 are repeated (the BatchNorm gradient) |
 * | `Sum`, `Mean` | column sums when the reduced axes are the leading ones, size-1 axes aside (BatchNorm, PReLU, global average pooling of one image) |
 * | `MaxPoolGrad` | one pass routing each output gradient to the first maximum of its window, as the cpu backend does |
 * | `Conv2D`, `FusedConv2D` | Co a multiple of 8, no activation or bias + ReLU/PReLU (the training forward of every conv before a BatchNormalization, and folded inference): 3×3 stride-1 'same' convolutions of even-sized images with Ci a multiple of 8 by Winograd F(4×4, 3×3) or F(2×2, 3×3) (`_wasm_winograd.ts`); others at any stride by the direct kernel (`conv_fwd`), which has fused multiply-add where XNNPACK's wasm kernels do not; anything else the stock XNNPACK kernel |
 * | `_FusedMatMul` of one row (≤ 65536 multiply-adds), `Sigmoid` of ≤ 4096 values | on the calling thread (`_wasm_small.ts`): XNNPACK's thread pool costs more than these tiny operations of batch-1 inference (SE blocks, classifier heads) |
 * | `Multiply` by one per-channel vector, `Prelu` with per-channel slopes | one SIMD pass (`bn_apply`) in jobs any free thread takes (`_wasm_small.ts`): XNNPACK's pool waits for all its threads, ~1 ms per call on a busy machine |
 * | `Identity`, `Cast` to the same dtype | shares the input's data (a reference count), as the cpu backend does, instead of copying it: tfjs clones every tensor it saves for a gradient |
 *
 * Anything else falls back to the stock kernel. Every kernel is gradient-checked against the cpu
 * backend in `_wasm_kernels_test.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  directBackpropFilter,
  directBackpropInput,
  directConv2D,
  type HeapBackend,
} from "./_wasm_conv.ts";
import { WINOGRAD, winogradConv2D } from "./_wasm_winograd.ts";
import {
  type Conv2DAttrs,
  free,
  heap,
  type KernelConfig,
  type NamedAttrMap,
  run,
  size,
  stock,
  type TensorInfo,
  type WasmBackend,
} from "./_wasm_stock.ts";
import { maxPoolGrad } from "./_wasm_pool.ts";
import {
  channelScale,
  type FusedMatMulAttrs,
  smallFusedMatMul,
  smallSigmoid,
} from "./_wasm_small.ts";
import { wasmPreluGrad } from "./_wasm_fused.ts";
import { BROADCAST_GRADIENT_MARK, meanGrad } from "./_gradients.ts";
import { heapEngine, type HeapJob, heapOffset, parts, runJobs, split } from "./_wasm_heap.ts";

// --- convolutions --------------------------------------------------------------------------------

/**
 * Forward conv with explicit, possibly negative, padding; negative padding crops the input.
 * `x` NHWC, `filter` HWIO.
 */
function conv(
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  pads: { top: number; bottom: number; left: number; right: number },
  dilations: [number, number],
): TensorInfo {
  let src = x;
  const [b, h, w, c] = x.shape;
  const cropTop = Math.max(0, -pads.top), cropBottom = Math.max(0, -pads.bottom);
  const cropLeft = Math.max(0, -pads.left), cropRight = Math.max(0, -pads.right);
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    src = run(backend, "Slice", { x }, {
      begin: [0, cropTop, cropLeft, 0],
      size: [b, h - cropTop - cropBottom, w - cropLeft - cropRight, c],
    });
  }
  const out = run(backend, "Conv2D", { x: src, filter }, {
    strides: [1, 1],
    pad: [[0, 0], [Math.max(0, pads.top), Math.max(0, pads.bottom)], [
      Math.max(0, pads.left),
      Math.max(0, pads.right),
    ], [0, 0]],
    dataFormat: "NHWC",
    dilations,
    dimRoundingMode: undefined,
  } as unknown as NamedAttrMap);
  if (src !== x) free(backend, src);
  return out;
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Conv2DAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

/** dW[kh,kw,ci,co] = Σ_{b,y,x} X[b, y·s+kh−pt, x·s+kw−pl, ci] · dY[b,y,x,co]. */
function conv2DBackpropFilter(
  args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WasmBackend; attrs: NamedAttrMap },
): TensorInfo {
  const { inputs: { x, dy }, backend } = args;
  const attrs = args.attrs as unknown as Conv2DAttrs & { filterShape: number[] };
  if (attrs.dataFormat === "NCHW") throw new Error("wasm Conv2DBackpropFilter: NCHW unsupported");
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const direct = directBackpropFilter(backend as unknown as HeapBackend, x, dy, info);
  if (direct !== null) return direct;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: ho, outWidth: wo, inHeight: h, inWidth: w } = info;
  const xT = run(backend, "Transpose", { x }, { perm: [3, 1, 2, 0] }); // [Ci, H, W, B]
  const dyT = run(backend, "Transpose", { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, B, Co]
  const top = info.padInfo.top, left = info.padInfo.left;
  const g = conv(backend, xT, dyT, {
    top,
    left,
    bottom: kh + (ho - 1) * sh - h - top,
    right: kw + (wo - 1) * sw - w - left,
  }, [sh, sw]); // [Ci, kh, kw, Co]
  free(backend, xT, dyT);
  const out = run(backend, "Transpose", { x: g }, { perm: [1, 2, 0, 3] });
  free(backend, g);
  return out;
}

/** dX[b,i,j,ci] = Σ dY[b,(i+pt−kh)/s,(j+pl−kw)/s,co] · W[kh,kw,ci,co] over integral positions. */
function conv2DBackpropInput(
  args: {
    inputs: { dy: TensorInfo; filter: TensorInfo };
    backend: WasmBackend;
    attrs: NamedAttrMap;
  },
): TensorInfo {
  const { inputs: { dy, filter }, backend } = args;
  const attrs = args.attrs as unknown as Conv2DAttrs & { inputShape: number[] };
  if (attrs.dataFormat === "NCHW") throw new Error("wasm Conv2DBackpropInput: NCHW unsupported");
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  const direct = directBackpropInput(backend as unknown as HeapBackend, dy, filter, info);
  if (direct !== null) return direct;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: ho, outWidth: wo, inHeight: h, inWidth: w } = info;
  if ((sh > 1 || sw > 1) && sh === sw && h % sh === 0 && w % sw === 0) {
    return stridedBackpropInput(backend, dy, filter, info);
  }
  // Flip spatially and swap in/out channels: W'[a,b,co,ci] = W[kh-1-a, kw-1-b, ci, co].
  const rev = run(backend, "Reverse", { x: filter }, { dims: [0, 1] });
  const wT = run(backend, "Transpose", { x: rev }, { perm: [0, 1, 3, 2] });
  free(backend, rev);
  let src = dy;
  if (sh > 1 || sw > 1) src = dilate(backend, dy, sh, sw);
  const hd = (ho - 1) * sh + 1, wd = (wo - 1) * sw + 1;
  const top = kh - 1 - info.padInfo.top, left = kw - 1 - info.padInfo.left;
  const out = conv(backend, src, wT, {
    top,
    left,
    bottom: h - hd + kh - 1 - top,
    right: w - wd + kw - 1 - left,
  }, [1, 1]);
  if (src !== dy) free(backend, src);
  free(backend, wT);
  return out;
}

/**
 * Strided input gradient without multiplying zeros: output phase (ph, pw) (rows i ≡ ph mod sh,
 * columns ≡ pw mod sw) only meets the filter taps kh ≡ ph + pad (mod sh), so it is a stride-1
 * conv of dy with that flipped sub-filter; the sh·sw phases are then interleaved by DepthToSpace.
 * Needs input sizes divisible by the strides (every strided layer of the models here).
 */
function stridedBackpropInput(
  backend: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: ho, outWidth: wo, inHeight: h, inWidth: w, inChannels: ci } = info;
  const co = info.outChannels, b = info.batchSize;
  const hp = h / sh, wp = w / sw;
  const pt = info.padInfo.top, pl = info.padInfo.left;
  const phases: TensorInfo[] = [];
  for (let ph = 0; ph < sh; ph++) {
    for (let pw = 0; pw < sw; pw++) {
      const kh0 = (ph + pt) % sh, kw0 = (pw + pl) % sw;
      const th = Math.max(0, Math.ceil((kh - kh0) / sh)),
        tw = Math.max(0, Math.ceil((kw - kw0) / sw));
      if (th === 0 || tw === 0) {
        const z = backend.makeOutput([b, hp, wp, ci], "float32");
        heap(backend, z).fill(0);
        phases.push(z);
        continue;
      }
      // Sub-filter, flipped, in/out swapped: S[a, c, o, i] = W[kh0 + sh(th−1−a), kw0 + sw(tw−1−c), i, o].
      const sub = backend.makeOutput([th, tw, co, ci], "float32");
      // Views after the allocation: growing the heap detaches earlier ones.
      const sd = heap(backend, sub), wsrc = heap(backend, filter);
      for (let a = 0; a < th; a++) {
        for (let c = 0; c < tw; c++) {
          const r = kh0 + sh * (th - 1 - a), q = kw0 + sw * (tw - 1 - c);
          const src = (r * kw + q) * ci * co, dst = (a * tw + c) * co * ci;
          for (let i = 0; i < ci; i++) {
            for (let o = 0; o < co; o++) sd[dst + o * ci + i] = wsrc[src + i * co + o];
          }
        }
      }
      const qh = (ph + pt - kh0) / sh, qw = (pw + pl - kw0) / sw;
      const top = th - 1 - qh, left = tw - 1 - qw;
      phases.push(conv(backend, dy, sub, {
        top,
        left,
        bottom: hp - ho + th - 1 - top,
        right: wp - wo + tw - 1 - left,
      }, [1, 1]));
      free(backend, sub);
    }
  }
  // Concat takes its inputs as an array.
  const stacked = run(backend, "Concat", phases as unknown as Record<string, TensorInfo>, {
    axis: 3,
  });
  free(backend, ...phases);
  const out = run(backend, "DepthToSpace", { x: stacked }, { blockSize: sh, dataFormat: "NHWC" });
  free(backend, stacked);
  return out;
}

/** Inserts s−1 zeros between neighbouring pixels: [B,H,W,C] → [B,(H−1)sh+1,(W−1)sw+1,C]. */
function dilate(backend: WasmBackend, t: TensorInfo, sh: number, sw: number): TensorInfo {
  const [b, h, w, c] = t.shape;
  const hd = (h - 1) * sh + 1, wd = (w - 1) * sw + 1;
  const out = backend.makeOutput([b, hd, wd, c], "float32");
  const src = heap(backend, t), dst = heap(backend, out);
  dst.fill(0);
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < h; i++) {
      const srcRow = ((n * h + i) * w) * c;
      const dstRow = ((n * hd + i * sh) * wd) * c;
      if (sw === 1) {
        dst.set(src.subarray(srcRow, srcRow + w * c), dstRow);
      } else {
        for (let j = 0; j < w; j++) {
          dst.set(src.subarray(srcRow + j * c, srcRow + (j + 1) * c), dstRow + j * sw * c);
        }
      }
    }
  }
  return out;
}

// --- reductions and broadcasts -------------------------------------------------------------------

/**
 * The count k of leading axes to sum over when the reduced axes are 0..k-1 apart from axes of size
 * 1 (k < rank), else null.
 */
function leadingAxes(shape: number[], axis: number | number[]): number | null {
  const axes = tf.util.parseAxisParam(axis, shape).slice().sort((a, b) => a - b);
  if (axes.length === 0) return null;
  // Axes of size 1 before the last reduced axis do not change the sums: a global average
  // pooling of one image (axes 1, 2 of [1, H, W, C]) is column sums of [H·W, C].
  const k = axes[axes.length - 1]! + 1;
  if (k >= shape.length) return null;
  for (let i = 0; i < k; i++) if (!axes.includes(i) && shape[i] !== 1) return null;
  return k;
}

/** Column sums of x viewed as [rows, cols], scaled by `scale`. */
function columnSums(
  backend: WasmBackend,
  x: TensorInfo,
  k: number,
  reduced: number[],
  keepDims: boolean,
  mean: boolean,
): TensorInfo {
  const outer = x.shape.slice(0, k), inner = x.shape.slice(k);
  const rows = size(outer), cols = size(inner);
  const outShape = keepDims
    ? [...outer.map(() => 1), ...inner]
    : [...outer.filter((_, i) => !reduced.includes(i)), ...inner];
  const out = backend.makeOutput(outShape, "float32");
  const scale = mean ? 1 / rows : 1;
  const hb = backend as unknown as HeapBackend;
  const e = cols % 4 === 0 ? heapEngine(hb) : null;
  if (e !== null) {
    // The SIMD column sums of the BatchNorm kernels (`bn_sum`, f64 totals per row range).
    const ranges = split(rows, Math.min(parts(e), Math.ceil(rows / 256)), 1);
    const totals = backend.makeOutput([2 * ranges.length * cols], "float32");
    try {
      const t32 = heap(backend, totals);
      new Float64Array(t32.buffer, t32.byteOffset, ranges.length * cols).fill(0);
      const xp = heapOffset(hb, x), tp = heapOffset(hb, totals);
      runJobs(
        e,
        ranges.map(([r0, r1], j): HeapJob => ({
          fn: "bn_sum",
          args: [xp + r0 * cols * 4, r1 - r0, cols, tp + j * cols * 8],
        })),
      );
      // Views again: no allocation since, but keep to the rule of fresh views after the jobs.
      const sums = new Float64Array(t32.buffer, t32.byteOffset, ranges.length * cols);
      const dst = heap(backend, out);
      for (let c = 0; c < cols; c++) {
        let v = 0;
        for (let j = 0; j < ranges.length; j++) v += sums[j * cols + c]!;
        dst[c] = v * scale;
      }
    } finally {
      backend.disposeData(totals.dataId);
    }
    return out;
  }
  const src = heap(backend, x), dst = heap(backend, out);
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) acc[c] += src[o + c];
  }
  for (let c = 0; c < cols; c++) dst[c] = acc[c] * scale;
  return out;
}

function reduceKernel(name: "Sum" | "Mean"): KernelConfig["kernelFunc"] {
  return (args) => {
    const x = args.inputs.x as TensorInfo, attrs = args.attrs;
    const backend = args.backend as unknown as WasmBackend;
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const k = x.dtype === "float32" ? leadingAxes(x.shape, axis) : null;
    if (k === null) return run(backend, name, { x }, attrs);
    const reduced = tf.util.parseAxisParam(axis, x.shape);
    return columnSums(backend, x, k, reduced, keepDims, name === "Mean");
  };
}

/** Tile: block copies when every repeated axis is a leading axis of size 1. */
function tile(
  args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: NamedAttrMap },
): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  const reps = (attrs as unknown as { reps: number[] }).reps;
  let k = 0;
  while (k < reps.length && x.shape[k] === 1) k++;
  const fast = x.dtype !== "string" && reps.every((r, i) => i < k || r === 1);
  if (!fast) return run(backend, "Tile", { x }, attrs);
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  const src = backend.typedArrayFromHeap(x), dst = backend.typedArrayFromHeap(out);
  const block = src.length;
  if (dst.length === 0) return out;
  dst.set(src, 0);
  let filled = block;
  while (filled < dst.length) {
    const n = Math.min(filled, dst.length - filled);
    dst.copyWithin(filled, 0, n);
    filled += n;
  }
  return out;
}

// --- fused gradients -----------------------------------------------------------------------------
// tfjs computes some gradients as chains of broadcasting element-wise ops (PReLU: Greater, Select,
// Multiply, ZerosLike, Sum; Mean: Fill + Multiply + RealDiv over the full input), each a pass over
// the activation, several of them slow broadcasts on wasm. On wasm these gradients become one
// kernel each; on any other backend the stock gradient runs unchanged.

/** PReLU gradient with one slope per channel: dx and dα in one pass. Outputs [dx, dα]. */
function preluGrad(
  args: { inputs: { dy: TensorInfo; x: TensorInfo; alpha: TensorInfo }; backend: WasmBackend },
): TensorInfo[] {
  const { inputs: { dy, x, alpha }, backend } = args;
  const simd = wasmPreluGrad(backend as unknown as HeapBackend, dy, x, alpha);
  if (simd !== null) return simd;
  const c = size(alpha.shape);
  const dxInfo = backend.makeOutput(x.shape, "float32");
  const daInfo = backend.makeOutput(alpha.shape, "float32");
  const xs = heap(backend, x), g = heap(backend, dy), a = heap(backend, alpha);
  const dx = heap(backend, dxInfo), da = heap(backend, daInfo);
  const acc = new Float64Array(c);
  const n = xs.length;
  // Branch-free: the sign of activations after BatchNorm is a coin flip for a branch predictor.
  for (let o = 0; o < n; o += c) {
    for (let ch = 0; ch < c; ch++) {
      const v = xs[o + ch], gv = g[o + ch];
      const neg = v > 0 ? 0 : 1;
      dx[o + ch] = gv * (1 - neg + neg * a[ch]);
      acc[ch] += neg * gv * v;
    }
  }
  for (let ch = 0; ch < c; ch++) da[ch] = acc[ch];
  return [dxInfo, daInfo];
}

/**
 * out[o, m, i] = v[o, i] · scale for out viewed as [outer, mid, inner]: the gradient of a mean or
 * sum over the contiguous axes `mid`, broadcast back without materialising a tensor of ones.
 */
function broadcastScaled(
  args: { inputs: { v: TensorInfo }; backend: WasmBackend; attrs: NamedAttrMap },
): TensorInfo {
  const { inputs: { v }, backend } = args;
  const { shape, outer, mid, scale } = args.attrs as unknown as {
    shape: number[];
    outer: number;
    mid: number;
    scale: number;
  };
  const out = backend.makeOutput(shape, "float32");
  const src = heap(backend, v), dst = heap(backend, out);
  const inner = src.length / outer, block = mid * inner;
  for (let o = 0; o < outer; o++) {
    const base = o * block, s0 = o * inner;
    for (let i = 0; i < inner; i++) dst[base + i] = src[s0 + i] * scale;
    let filled = inner;
    while (filled < block) {
      const n = Math.min(filled, block - filled);
      dst.copyWithin(base + filled, base, base + n);
      filled += n;
    }
  }
  return out;
}

/** [outer, mid] sizes when `axes` are one contiguous run of axes of `shape`, else null. */
function contiguousAxes(shape: number[], axes: number[]): { outer: number; mid: number } | null {
  const sorted = axes.slice().sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) return null;
  if (sorted.length === 0) return null;
  return {
    outer: size(shape.slice(0, sorted[0])),
    mid: size(shape.slice(sorted[0], sorted[sorted.length - 1] + 1)),
  };
}

function registerFusedGradients(): string[] {
  const prelu = tf.getGradient("Prelu");
  const mean = tf.getGradient("Mean");
  if (prelu === undefined || mean === undefined) return [];
  if ((prelu as { mgc?: boolean }).mgc) return ["Prelu (gradient)", "Mean (gradient)"];
  tf.registerKernel({
    kernelName: "MgcPreluGrad",
    backendName: "wasm",
    kernelFunc: preluGrad as unknown as KernelConfig["kernelFunc"],
  });
  tf.registerKernel({
    kernelName: "MgcBroadcastScaled",
    backendName: "wasm",
    kernelFunc: broadcastScaled as unknown as KernelConfig["kernelFunc"],
  });
  tf.registerGradient({
    kernelName: "Prelu",
    inputsToSave: prelu.inputsToSave,
    mgc: true,
    gradFunc: (dy, saved, attrs) => {
      const [x, alpha] = saved;
      const c = x.shape[x.rank - 1];
      const perChannel = alpha.size === c && alpha.shape[alpha.rank - 1] === c;
      if (tf.getBackend() !== "wasm" || !perChannel || x.dtype !== "float32") {
        return prelu.gradFunc(dy, saved, attrs);
      }
      const [dx, da] = tf.engine().runKernel("MgcPreluGrad", {
        dy: dy as tf.Tensor,
        x,
        alpha,
      }) as tf.Tensor[];
      return { x: () => dx, alpha: () => da };
    },
  } as tf.GradConfig);
  tf.registerGradient({
    kernelName: "Mean",
    inputsToSave: mean.inputsToSave,
    [BROADCAST_GRADIENT_MARK]: true,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const run = axes.length > 0 ? contiguousAxes(x.shape, axes) : null;
      if (tf.getBackend() !== "wasm" || run === null || x.dtype !== "float32") {
        return meanGrad(dy as tf.Tensor, saved, attrs);
      }
      return {
        x: () =>
          tf.engine().runKernel("MgcBroadcastScaled", { v: dy as tf.Tensor }, {
            shape: x.shape,
            outer: run.outer,
            mid: run.mid,
            scale: 1 / run.mid,
          } as unknown as NamedAttrMap) as tf.Tensor,
      };
    },
  });
  return ["Prelu (gradient)", "Mean (gradient)"];
}

/**
 * Forward conv: the direct kernel for stride-1 convolutions (with a bias and ReLU or PReLU when
 * fused, as in folded inference models).
 */
function conv2D(name: "Conv2D" | "FusedConv2D"): KernelConfig["kernelFunc"] {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const inputs = args.inputs as Record<string, TensorInfo | undefined>;
    const attrs = args.attrs as unknown as Conv2DAttrs & {
      dilations: [number, number] | number;
      activation?: string;
    };
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    if (attrs.dataFormat !== "NCHW" && x.dtype === "float32") {
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        attrs.strides,
        attrs.dilations,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        "channelsLast",
      );
      const fused = {
        ...(inputs.bias ? { bias: inputs.bias } : {}),
        ...(inputs.preluActivationWeights ? { alpha: inputs.preluActivationWeights } : {}),
        activation: attrs.activation ?? "linear",
      };
      const heap = backend as unknown as HeapBackend;
      const direct = (WINOGRAD.on ? winogradConv2D(heap, x, filter, info, fused) : null) ??
        directConv2D(heap, x, filter, info, fused);
      if (direct !== null) return direct;
    }
    return run(backend, name, args.inputs as Record<string, TensorInfo>, args.attrs);
  };
}

// --- identity ----------------------------------------------------------------------------------

/**
 * `tf.clone` without a copy: tensors are immutable and every wasm kernel writes only to outputs
 * it allocates, so the clone can share the data (as Reshape does). tfjs clones each tensor it
 * saves for backward (every conv input, every BatchNormalization input): a copy of the whole
 * activation each time, in time and heap, with the stock kernel.
 */
function identity(args: { inputs: { x: TensorInfo }; backend: WasmBackend }): TensorInfo {
  const { inputs: { x }, backend } = args;
  if (x.dtype === "string") return run(backend, "Identity", { x });
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

/** Cast to the tensor's own dtype (the Multiply gradient casts its saved operands): a share. */
function cast(
  args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: NamedAttrMap },
): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  if (x.dtype !== "string" && x.dtype === (attrs as unknown as { dtype: string }).dtype) {
    return identity({ inputs: { x }, backend });
  }
  return run(backend, "Cast", { x }, attrs);
}

// --- tiny operations ---------------------------------------------------------------------------

/** `_FusedMatMul`: one-row products on the calling thread (`_wasm_small.ts`), else stock. */
function fusedMatMul(
  args: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: NamedAttrMap },
): TensorInfo {
  const { inputs, backend, attrs } = args;
  return smallFusedMatMul(
    backend,
    inputs as Parameters<typeof smallFusedMatMul>[1],
    attrs as unknown as FusedMatMulAttrs,
  ) ?? run(backend, "_FusedMatMul", inputs, attrs);
}

/** `Sigmoid`: tiny tensors on the calling thread (`_wasm_small.ts`), else stock. */
function sigmoid(args: { inputs: { x: TensorInfo }; backend: WasmBackend }): TensorInfo {
  const { inputs: { x }, backend } = args;
  return smallSigmoid(backend, x) ?? run(backend, "Sigmoid", { x });
}

/** `Multiply` of a tensor by one per-channel vector (either operand): `channelScale`, else stock. */
function multiply(
  args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: WasmBackend },
): TensorInfo {
  const { inputs: { a, b }, backend } = args;
  const hb = backend as unknown as HeapBackend;
  const [big, small] = size(a.shape) >= size(b.shape) ? [a, b] : [b, a];
  return (size(big.shape) > size(small.shape) ? channelScale(hb, big, small, "multiply") : null) ??
    run(backend, "Multiply", { a, b });
}

/** `Prelu` with one slope per channel: `channelScale`, else stock. */
function preluKernel(
  args: { inputs: { x: TensorInfo; alpha: TensorInfo }; backend: WasmBackend },
): TensorInfo {
  const { inputs: { x, alpha }, backend } = args;
  return channelScale(backend as unknown as HeapBackend, x, alpha, "prelu") ??
    run(backend, "Prelu", { x, alpha });
}

// --- registration --------------------------------------------------------------------------------

const KERNELS: Record<string, KernelConfig["kernelFunc"]> = {
  Conv2DBackpropFilter: conv2DBackpropFilter as unknown as KernelConfig["kernelFunc"],
  Conv2DBackpropInput: conv2DBackpropInput as unknown as KernelConfig["kernelFunc"],
  Tile: tile as unknown as KernelConfig["kernelFunc"],
  Sum: reduceKernel("Sum"),
  Mean: reduceKernel("Mean"),
  MaxPoolGrad: maxPoolGrad as unknown as KernelConfig["kernelFunc"],
  Identity: identity as unknown as KernelConfig["kernelFunc"],
  Cast: cast as unknown as KernelConfig["kernelFunc"],
  Conv2D: conv2D("Conv2D"),
  FusedConv2D: conv2D("FusedConv2D"),
  _FusedMatMul: fusedMatMul as unknown as KernelConfig["kernelFunc"],
  Sigmoid: sigmoid as unknown as KernelConfig["kernelFunc"],
  Multiply: multiply as unknown as KernelConfig["kernelFunc"],
  Prelu: preluKernel as unknown as KernelConfig["kernelFunc"],
};

/**
 * Registers the kernels of this module for the `wasm` backend, replacing stock ones (kept for
 * fallback), and returns their names. Idempotent. Call before the wasm backend initialises.
 *
 * @example
 * ```ts
 * import { registerWasmKernels } from "./_wasm_kernels.ts";
 * registerWasmKernels().includes("Conv2DBackpropFilter"); // true
 * ```
 */
export function registerWasmKernels(): string[] {
  const names = Object.keys(KERNELS);
  for (const name of names) {
    const existing = tf.getKernel(name, "wasm");
    if (existing !== undefined && existing.kernelFunc === KERNELS[name]) continue;
    if (existing !== undefined) {
      stock.set(name, existing);
      tf.unregisterKernel(name, "wasm");
    }
    tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: KERNELS[name] });
  }
  return [...names, ...registerFusedGradients()];
}
