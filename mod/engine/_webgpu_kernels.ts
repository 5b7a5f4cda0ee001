/**
 * Kernels registered for the tfjs `webgpu` backend where its stock ones dominate a training step.
 * Private to `_webgpu.ts`, which calls {@linkcode registerWebGpuKernels} once the backend exists.
 *
 * The stock `Conv2DBackpropFilter` runs one thread per filter weight, each looping over batch ×
 * height × width (a 3×3×32×32 filter at batch 8, 128×128: 9,216 threads of 131,072 multiply-adds
 * each). It dominated a UNet training step on lavapipe (118 of 167 s of kernel time at batch 8),
 * and it is wrong there once batch × pixels reaches 65,536 (llvmpipe stops a shader loop after
 * 65,535 iterations: 8–12 % error at batch 4, 128×128; correct below). The replacement loops over
 * at most 1,024 rows per invocation.

 * | kernel | computed as |
 * |---|---|
 * | `Conv2DBackpropFilter` | per filter tap (kh, kw), or several taps side by side when the input has few channels: the input window at that tap, `[B·Ho·Wo, Ci]`, times dy `[B·Ho·Wo, Co]`, as a batched matrix product over chunks of ≤ 1024 rows (tfjs's tiled matmul: many independent tiles however few channels), then summed over the chunks: `[Ci, Co]`. No atomics (unlike tfjs's split-K matmul), so the summation order and the result are the same from run to run |
 * | `Conv2DBackpropInput` | tfjs's own matrix-multiply program when the input has ≥ 8 channels (`WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE` off for that call), its direct program otherwise |
 *
 * Gradients are checked against the cpu backend per layer type in `_webgpu_test.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

type TensorInfo = tf.TensorInfo;
type NamedAttrMap = tf.NamedAttrMap;

/** The part of tfjs-backend-webgpu's `WebGPUBackend` used here. */
interface WebGpuBackend {
  disposeData(dataId: unknown, force?: boolean): boolean;
}

function run(
  backend: WebGpuBackend,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown> = {},
): TensorInfo {
  const k = stock.get(name) ?? tf.getKernel(name, "webgpu");
  if (k === undefined) throw new Error(`webgpu kernel ${name} missing`);
  return k.kernelFunc({
    inputs,
    attrs: attrs as NamedAttrMap,
    backend: backend as unknown as tf.KernelBackend,
  }) as TensorInfo;
}

function free(backend: WebGpuBackend, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

const stock = new Map<string, tf.KernelConfig>();
/** The device's `maxStorageBufferBindingSize`: no intermediate here may exceed it. */
let maxBytes = 128 * 2 ** 20;

/** How the filter gradient is computed ({@linkcode registerWebGpuKernels}'s `filterGradient`). */
export interface FilterGradientTuning {
  /**
   * "chunked" (default): this module's kernel; "stock": tfjs's own (one thread per weight; wrong
   * on lavapipe past 65,535 loop iterations, see the module doc).
   */
  kernel?: "chunked" | "stock";
  /** Most rows (batch × output pixels) per batch entry of the product (default 1024). */
  rows?: number;
  /** Most filter taps side by side in one product (default: as many as fill 64 channels). */
  taps?: number;
}

let tuning: Required<Omit<FilterGradientTuning, "taps">> & { taps: number | null } = {
  kernel: "chunked",
  rows: 1024,
  taps: null,
};

/**
 * Parses `MGC_WEBGPU_DW` ("stock", or "rows=4096,taps=9"): the filter-gradient variant to
 * measure in benchmarks on a given GPU. Unknown keys or bad numbers are errors naming them.
 *
 * @example
 * ```ts
 * import { parseFilterGradientTuning } from "./_webgpu_kernels.ts";
 * parseFilterGradientTuning("rows=4096,taps=9"); // { kernel: "chunked", rows: 4096, taps: 9 }
 * ```
 */
export function parseFilterGradientTuning(spec: string | undefined): FilterGradientTuning {
  if (!spec) return {};
  if (spec.trim() === "stock") return { kernel: "stock" };
  const t: FilterGradientTuning = { kernel: "chunked" };
  for (const part of spec.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const [key, raw] = part.split("=");
    const n = Number(raw);
    if ((key !== "rows" && key !== "taps") || !Number.isInteger(n) || n < 1) {
      throw new Error(`MGC_WEBGPU_DW: "${part}" is not rows=N or taps=N (N ≥ 1), nor "stock"`);
    }
    t[key] = n;
  }
  return t;
}

interface FilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | number[][];
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/** dW[i,j,ci,co] = Σ_{b,y,x} X[b, y·sh+i−pt, x·sw+j−pl, ci] · dY[b,y,x,co]. */
function conv2DBackpropFilter(
  args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WebGpuBackend; attrs: NamedAttrMap },
): TensorInfo {
  const { inputs: { x, dy }, backend } = args;
  const attrs = args.attrs as unknown as FilterAttrs;
  if (attrs.dataFormat === "NCHW") {
    return stock.get("Conv2DBackpropFilter")!.kernelFunc(
      args as unknown as Parameters<tf.KernelFunc>[0],
    ) as TensorInfo;
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad as "same",
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const { batchSize: b, inChannels: ci, outChannels: co, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  // The padded input must cover every tap's window: rows 0 .. (ho−1)·sh + kh − 1.
  const needH = (ho - 1) * sh + kh, needW = (wo - 1) * sw + kw;
  const bottom = Math.max(0, needH - top - info.inHeight);
  const right = Math.max(0, needW - left - info.inWidth);
  const xp = top + bottom + left + right > 0
    ? run(backend, "PadV2", { x }, {
      paddings: [[0, 0], [top, bottom], [left, right], [0, 0]],
      constantValue: 0,
    })
    : x;
  // Rows (b, y, x) in chunks of `rows`: one batch entry of the matrix product per chunk, so that
  // the product has many independent tiles however few channels the layer has.
  const rows = chunkRows(b * ho * wo, ho * wo, tuning.rows);
  const groups = (b * ho * wo) / rows;
  const dy3 = run(backend, "Reshape", { x: dy }, { shape: [groups, rows, co] });
  // Taps side by side along the channels when the layer has few input channels (the first conv
  // has one): a [.., taps·Ci] operand keeps the product's tiles full. Bounded by `maxBytes`.
  const perTap = b * ho * wo * ci * 4;
  const tapsPerGroup = Math.max(
    1,
    Math.min(kh * kw, tuning.taps ?? Math.floor(64 / ci), Math.floor(maxBytes / 2 / perTap)),
  );
  const window = (i: number, j: number): TensorInfo =>
    sh === 1 && sw === 1
      ? run(backend, "Slice", { x: xp }, { begin: [0, i, j, 0], size: [b, ho, wo, ci] })
      : run(backend, "StridedSlice", { x: xp }, {
        begin: [0, i, j, 0],
        end: [b, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, ci],
        strides: [1, sh, sw, 1],
        beginMask: 0,
        endMask: 0,
        ellipsisMask: 0,
        newAxisMask: 0,
        shrinkAxisMask: 0,
      });
  const parts: TensorInfo[] = [];
  try {
    for (let t0 = 0; t0 < kh * kw; t0 += tapsPerGroup) {
      const n = Math.min(tapsPerGroup, kh * kw - t0);
      const wins = Array.from(
        { length: n },
        (_, k) => window(Math.floor((t0 + k) / kw), (t0 + k) % kw),
      );
      const stacked = n === 1
        ? wins[0]!
        : run(backend, "Concat", wins as unknown as Record<string, TensorInfo>, { axis: 3 });
      if (n > 1) free(backend, ...wins);
      const a = run(backend, "Reshape", { x: stacked }, { shape: [groups, rows, n * ci] });
      const partial = run(backend, "BatchMatMul", { a, b: dy3 }, {
        transposeA: true,
        transposeB: false,
      }); // [groups, n·Ci, Co]
      free(backend, stacked, a);
      parts.push(run(backend, "Sum", { x: partial }, { axis: [0], keepDims: false }));
      free(backend, partial);
    }
    const packed = parts.length === 1
      ? parts[0]!
      : run(backend, "Concat", parts as unknown as Record<string, TensorInfo>, { axis: 0 });
    const out = run(backend, "Reshape", { x: packed }, { shape: [kh, kw, ci, co] });
    if (packed !== parts[0]) free(backend, packed);
    return out;
  } finally {
    free(backend, dy3, ...parts);
    if (xp !== x) free(backend, xp);
  }
}

/**
 * Rows per batch entry of the filter-gradient product: the largest divisor of `total` (batch ×
 * output pixels) that is at most `most` (default 1024) and at least 64, else one sample's pixels
 * (`perSample`).
 *
 * @example
 * ```ts
 * import { chunkRows } from "./_webgpu_kernels.ts";
 * chunkRows(48 * 128 * 128, 128 * 128); // 1024
 * ```
 */
export function chunkRows(total: number, perSample: number, most = 1024): number {
  for (let r = Math.min(most, total); r >= 64; r--) if (total % r === 0) return r;
  return perSample;
}

/**
 * The stock input gradient, on tfjs's matrix-multiply program when the input has 8 channels or
 * more, on its direct program otherwise (measured on lavapipe, 128×128, batch 4: 1 → 32 channels
 * 199 ms direct vs 2,988 ms matmul; 32 → 32 1,090 vs 710 ms).
 */
function conv2DBackpropInput(args: Parameters<tf.KernelFunc>[0]): TensorInfo {
  const shape = (args.attrs as unknown as { inputShape: number[] }).inputShape;
  const flag = "WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE";
  const before = tf.env().getBool(flag);
  tf.env().set(flag, !(shape[3]! >= 8));
  try {
    return stock.get("Conv2DBackpropInput")!.kernelFunc(args) as TensorInfo;
  } finally {
    tf.env().set(flag, before);
  }
}

const KERNELS: Record<string, tf.KernelConfig["kernelFunc"]> = {
  Conv2DBackpropFilter: conv2DBackpropFilter as unknown as tf.KernelConfig["kernelFunc"],
  Conv2DBackpropInput: conv2DBackpropInput as unknown as tf.KernelConfig["kernelFunc"],
};

/**
 * Registers this module's kernels for the `webgpu` backend (stock ones kept and called where
 * they are the better choice); returns their names. `maxBindingBytes` is the device's
 * `maxStorageBufferBindingSize`, which no intermediate may exceed. Idempotent.
 *
 * @example Not run by `deno test --doc`: it needs the WebGPU backend loaded (`initBackend` with
 * `backend: "webgpu"` does that, and calls this), which needs an adapter.
 * ```ts ignore
 * import { registerWebGpuKernels } from "./_webgpu_kernels.ts";
 * registerWebGpuKernels().includes("Conv2DBackpropFilter"); // true
 * ```
 */
export function registerWebGpuKernels(
  maxBindingBytes = 128 * 2 ** 20,
  filterGradient: FilterGradientTuning = {},
): string[] {
  maxBytes = maxBindingBytes;
  tuning = {
    kernel: filterGradient.kernel ?? "chunked",
    rows: filterGradient.rows ?? 1024,
    taps: filterGradient.taps ?? null,
  };
  for (const [name, kernelFunc] of Object.entries(KERNELS)) {
    if (name === "Conv2DBackpropFilter" && tuning.kernel === "stock") continue;
    const existing = tf.getKernel(name, "webgpu");
    if (existing !== undefined && existing.kernelFunc === kernelFunc) continue;
    if (existing !== undefined) {
      stock.set(name, existing);
      tf.unregisterKernel(name, "webgpu");
    }
    tf.registerKernel({ kernelName: name, backendName: "webgpu", kernelFunc });
  }
  return Object.keys(KERNELS).filter((n) =>
    !(n === "Conv2DBackpropFilter" && tuning.kernel === "stock")
  );
}
