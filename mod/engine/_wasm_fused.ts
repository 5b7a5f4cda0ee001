/**
 * Fused BatchNormalization + activation on the tfjs wasm backend: {@linkcode wasmFusedBatchNorm}
 * implements `FusedBatchNormKernels` (`fused.ts`) with two kernels registered for wasm,
 * `MgcFusedBatchNorm` (forward) and `MgcFusedBatchNormGrad` (backward), each a few passes of
 * `_wasm_bn.wat` over tfjs's heap, split over the heap kernels' threads:
 *
 * - forward: Σx (the mean), Σ(x − mean)² (the variance around the exact mean: two passes, so
 *   large means do not cancel), then y = act((x − mean) · γ/√(var + ε) + β), one write;
 * - backward: Σdz, Σdz·(x − mean) and PReLU's Σ_{z≤0} dy·z in one pass (z recomputed from x),
 *   then dx = γ/σ · (dz − mean(dz) − x̂ · mean(dz · x̂)) in a second.
 *
 * Only x, and a [3, C] tensor (mean, 1/σ, β) are kept for the backward pass: normalised values
 * and pre-activations are recomputed. Without WebAssembly SIMD, or with a channel count that is
 * not a multiple of 4, the same arithmetic runs in JavaScript.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { FusedActivation, FusedBatchNormKernels } from "./fused.ts";
import {
  type HeapBackend,
  type HeapEngine,
  heapEngine,
  type HeapJob,
  heapOffset,
  parts,
  runJobs,
  split,
} from "./_wasm_heap.ts";

type TensorInfo = tf.TensorInfo;

const ACT: Record<FusedActivation, number> = { linear: 0, relu: 1, prelu: 2 };

interface Scratch {
  info: TensorInfo;
  f32: Float32Array;
  f64: Float64Array;
  at: number;
}

/** A temporary heap buffer of `floats` float32 values (8-byte aligned views on it). */
function scratch(backend: HeapBackend, floats: number): Scratch {
  const info = backend.makeOutput([floats], "float32");
  const f32 = backend.typedArrayFromHeap(info) as Float32Array;
  const at = heapOffset(backend, info);
  const f64 = new Float64Array(f32.buffer, f32.byteOffset, floats >> 1);
  return { info, f32, f64, at };
}

/** Pixel ranges, one per thread, each with its own f64 totals of `width` doubles. */
function pixelJobs(
  e: HeapEngine | null,
  n: number,
  width: number,
): { ranges: [number, number][]; totals: number } {
  const ranges = split(n, e ? parts(e) : 1, 1);
  return { ranges, totals: ranges.length * width };
}

function sumTotals(f64: Float64Array, at: number, ranges: number, width: number): Float64Array {
  const out = new Float64Array(width);
  for (let r = 0; r < ranges; r++) {
    for (let i = 0; i < width; i++) out[i] += f64[at + r * width + i]!;
  }
  return out;
}

function applyAct(z: number, act: number, a: number): number {
  return act === 0 ? z : z > 0 ? z : act === 1 ? 0 : a * z;
}

/** Forward: outputs y, mean, variance (Bessel-corrected), stats [3, C] = (mean, 1/σ, β). */
function forward(
  args: {
    inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo; alpha?: TensorInfo };
    backend: HeapBackend;
    attrs: tf.NamedAttrMap;
  },
): TensorInfo[] {
  const { inputs: { x, gamma, beta, alpha }, backend } = args;
  const { epsilon, activation } = args.attrs as unknown as {
    epsilon: number;
    activation: FusedActivation;
  };
  const act = ACT[activation];
  const c = x.shape[3]!;
  const n = x.shape[0]! * x.shape[1]! * x.shape[2]!;
  const y = backend.makeOutput(x.shape, "float32");
  const meanOut = backend.makeOutput([c], "float32");
  const varOut = backend.makeOutput([c], "float32");
  const stats = backend.makeOutput([3, c], "float32");
  const e = c % 4 === 0 ? heapEngine(backend) : null;
  const { ranges, totals } = pixelJobs(e, n, c);
  // Scratch: f64 totals per thread, then mean, scale (f32, C each).
  const s = scratch(backend, 2 * totals + 2 * c);
  try {
    const heap = (t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
    const g = heap(gamma), b = heap(beta);
    const mean64 = new Float64Array(c);
    const var64 = new Float64Array(c);
    const meanF = 2 * totals, scaleF = meanF + c;
    if (e) {
      const xp = heapOffset(backend, x), tot = s.at;
      const rowBytes = c * 4;
      s.f64.fill(0, 0, totals);
      runJobs(
        e,
        ranges.map(([p0, p1], k): HeapJob => ({
          fn: "bn_sum",
          args: [xp + p0 * rowBytes, p1 - p0, c, tot + k * c * 8],
        })),
      );
      const sum = sumTotals(s.f64, 0, ranges.length, c);
      for (let i = 0; i < c; i++) mean64[i] = sum[i]! / n;
      s.f32.set(mean64, meanF);
      s.f64.fill(0, 0, totals);
      runJobs(
        e,
        ranges.map(([p0, p1], k): HeapJob => ({
          fn: "bn_sqdev",
          args: [xp + p0 * rowBytes, p1 - p0, c, s.at + meanF * 4, tot + k * c * 8],
        })),
      );
      const sq = sumTotals(s.f64, 0, ranges.length, c);
      for (let i = 0; i < c; i++) var64[i] = sq[i]! / n;
    } else {
      const xs = heap(x);
      for (let p = 0; p < n; p++) for (let i = 0; i < c; i++) mean64[i] += xs[p * c + i]!;
      for (let i = 0; i < c; i++) mean64[i] /= n;
      const m32 = Float32Array.from(mean64);
      for (let p = 0; p < n; p++) {
        for (let i = 0; i < c; i++) {
          const d = xs[p * c + i]! - m32[i]!;
          var64[i] += d * d;
        }
      }
      for (let i = 0; i < c; i++) var64[i] /= n;
      s.f32.set(m32, meanF);
    }
    const st = heap(stats), mo = heap(meanOut), vo = heap(varOut);
    for (let i = 0; i < c; i++) {
      const inv = 1 / Math.sqrt(var64[i]! + epsilon);
      st[i] = s.f32[meanF + i]!;
      st[c + i] = inv;
      st[2 * c + i] = b[i]!;
      s.f32[scaleF + i] = g[i]! * Math.fround(inv);
      mo[i] = mean64[i]!;
      vo[i] = n > 1 ? (var64[i]! * n) / (n - 1) : var64[i]!;
    }
    if (e) {
      const xp = heapOffset(backend, x), yp = heapOffset(backend, y);
      const al = alpha ? heapOffset(backend, alpha) : s.at + scaleF * 4;
      const bp = heapOffset(backend, stats) + 8 * c;
      runJobs(
        e,
        ranges.map(([p0, p1]): HeapJob => ({
          fn: "bn_apply",
          args: [
            xp + p0 * c * 4,
            yp + p0 * c * 4,
            p1 - p0,
            c,
            s.at + meanF * 4,
            s.at + scaleF * 4,
            bp,
            al,
            act,
          ],
        })),
      );
    } else {
      const xs = heap(x), ys = heap(y), a = alpha ? heap(alpha) : null;
      for (let p = 0; p < n; p++) {
        for (let i = 0; i < c; i++) {
          const z = Math.fround(
            Math.fround(xs[p * c + i]! - s.f32[meanF + i]!) * s.f32[scaleF + i]! + b[i]!,
          );
          ys[p * c + i] = applyAct(z, act, a ? a[i]! : 0);
        }
      }
    }
  } finally {
    backend.disposeData(s.info.dataId);
  }
  return [y, meanOut, varOut, stats];
}

/** Backward: outputs dx, dgamma, dbeta (and dalpha for prelu, in alpha's shape). */
function backward(
  args: {
    inputs: {
      dy: TensorInfo;
      x: TensorInfo;
      gamma: TensorInfo;
      stats: TensorInfo;
      alpha?: TensorInfo;
    };
    backend: HeapBackend;
    attrs: tf.NamedAttrMap;
  },
): TensorInfo[] {
  const { inputs: { dy, x, gamma, stats, alpha }, backend } = args;
  const { activation } = args.attrs as unknown as { activation: FusedActivation };
  const act = ACT[activation];
  const c = x.shape[3]!;
  const n = x.shape[0]! * x.shape[1]! * x.shape[2]!;
  const dx = backend.makeOutput(x.shape, "float32");
  const dgamma = backend.makeOutput([c], "float32");
  const dbeta = backend.makeOutput([c], "float32");
  const dalpha = alpha ? backend.makeOutput(alpha.shape, "float32") : null;
  const e = c % 4 === 0 ? heapEngine(backend) : null;
  const { ranges, totals } = pixelJobs(e, n, 3 * c);
  // Scratch: f64 totals per thread, then scale, ka, kb, kc (f32, C each).
  const s = scratch(backend, 2 * totals + 4 * c);
  try {
    const heap = (t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
    const g = heap(gamma), st = heap(stats);
    const scaleF = 2 * totals, kaF = scaleF + c, kbF = kaF + c, kcF = kbF + c;
    for (let i = 0; i < c; i++) s.f32[scaleF + i] = g[i]! * st[c + i]!;
    let sums: Float64Array;
    const statsAt = heapOffset(backend, stats);
    const al = alpha ? heapOffset(backend, alpha) : s.at + scaleF * 4;
    if (e) {
      s.f64.fill(0, 0, totals);
      const dyp = heapOffset(backend, dy), xp = heapOffset(backend, x);
      runJobs(
        e,
        ranges.map(([p0, p1], k): HeapJob => ({
          fn: "bn_grad_sums",
          args: [
            dyp + p0 * c * 4,
            xp + p0 * c * 4,
            p1 - p0,
            c,
            statsAt,
            s.at + scaleF * 4,
            statsAt + 8 * c,
            al,
            act,
            s.at + k * 3 * c * 8,
          ],
        })),
      );
      sums = sumTotals(s.f64, 0, ranges.length, 3 * c);
    } else {
      sums = new Float64Array(3 * c);
      const xs = heap(x), gs = heap(dy), a = alpha ? heap(alpha) : null;
      for (let p = 0; p < n; p++) {
        for (let i = 0; i < c; i++) {
          const xm = Math.fround(xs[p * c + i]! - st[i]!);
          const z = Math.fround(xm * s.f32[scaleF + i]! + st[2 * c + i]!);
          const d = gs[p * c + i]!;
          const dz = act === 0 || z > 0 ? d : act === 1 ? 0 : d * a![i]!;
          sums[i] += dz;
          sums[c + i] += dz * xm;
          if (z <= 0) sums[2 * c + i] += d * z;
        }
      }
    }
    const dg = heap(dgamma), db = heap(dbeta);
    for (let i = 0; i < c; i++) {
      const inv = st[c + i]!, scale = s.f32[scaleF + i]!;
      db[i] = sums[i]!;
      dg[i] = sums[c + i]! * inv;
      s.f32[kaF + i] = scale;
      s.f32[kbF + i] = (scale * sums[i]!) / n;
      s.f32[kcF + i] = (scale * inv * inv * sums[c + i]!) / n;
    }
    if (dalpha) {
      const da = heap(dalpha);
      for (let i = 0; i < c; i++) da[i] = act === 2 ? sums[2 * c + i]! : 0;
    }
    if (e) {
      const dyp = heapOffset(backend, dy), xp = heapOffset(backend, x);
      const dxp = heapOffset(backend, dx);
      runJobs(
        e,
        ranges.map(([p0, p1]): HeapJob => ({
          fn: "bn_grad_apply",
          args: [
            dyp + p0 * c * 4,
            xp + p0 * c * 4,
            dxp + p0 * c * 4,
            p1 - p0,
            c,
            statsAt,
            s.at + scaleF * 4,
            statsAt + 8 * c,
            al,
            act,
            s.at + kaF * 4,
            s.at + kbF * 4,
            s.at + kcF * 4,
          ],
        })),
      );
    } else {
      const xs = heap(x), gs = heap(dy), out = heap(dx), a = alpha ? heap(alpha) : null;
      for (let p = 0; p < n; p++) {
        for (let i = 0; i < c; i++) {
          const xm = Math.fround(xs[p * c + i]! - st[i]!);
          const z = Math.fround(xm * s.f32[scaleF + i]! + st[2 * c + i]!);
          const d = gs[p * c + i]!;
          const dz = act === 0 || z > 0 ? d : act === 1 ? 0 : d * a![i]!;
          out[p * c + i] = dz * s.f32[kaF + i]! - s.f32[kbF + i]! - xm * s.f32[kcF + i]!;
        }
      }
    }
  } finally {
    backend.disposeData(s.info.dataId);
  }
  return dalpha ? [dx, dgamma, dbeta, dalpha] : [dx, dgamma, dbeta];
}

/**
 * A standalone PReLU's gradient on WebAssembly SIMD (`prelu_grad`): [dx, dalpha] for slopes
 * `alpha` with one value per channel (any shape of C values), or null when C % 4 ≠ 0 or SIMD is
 * unavailable.
 */
export function wasmPreluGrad(
  backend: HeapBackend,
  dy: TensorInfo,
  x: TensorInfo,
  alpha: TensorInfo,
): [TensorInfo, TensorInfo] | null {
  const c = x.shape[x.shape.length - 1]!;
  if (c % 4 !== 0 || alpha.shape.reduce((a, b) => a * b, 1) !== c) return null;
  const e = heapEngine(backend);
  if (e === null) return null;
  const n = x.shape.reduce((a, b) => a * b, 1) / c;
  const dx = backend.makeOutput(x.shape, "float32");
  const da = backend.makeOutput(alpha.shape, "float32");
  const { ranges, totals } = pixelJobs(e, n, c);
  const s = scratch(backend, 2 * totals);
  try {
    s.f64.fill(0, 0, totals);
    const args = [heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, dx)];
    const rowBytes = c * 4;
    runJobs(
      e,
      ranges.map(([p0, p1], k): HeapJob => ({
        fn: "prelu_grad",
        args: [
          args[0]! + p0 * rowBytes,
          args[1]! + p0 * rowBytes,
          args[2]! + p0 * rowBytes,
          p1 - p0,
          c,
          heapOffset(backend, alpha),
          s.at + k * c * 8,
        ],
      })),
    );
    (backend.typedArrayFromHeap(da) as Float32Array).set(sumTotals(s.f64, 0, ranges.length, c));
  } finally {
    backend.disposeData(s.info.dataId);
  }
  return [dx, da];
}

let registered = false;

/** Registers the two kernels for the wasm backend (idempotent). */
export function registerWasmFusedKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: "MgcFusedBatchNorm",
    backendName: "wasm",
    kernelFunc: forward as unknown as tf.KernelConfig["kernelFunc"],
  });
  tf.registerKernel({
    kernelName: "MgcFusedBatchNormGrad",
    backendName: "wasm",
    kernelFunc: backward as unknown as tf.KernelConfig["kernelFunc"],
  });
}

/**
 * The wasm backend's fused BatchNormalization + activation (see the module documentation).
 * `saved` is one [3, C] tensor (mean, 1/√(var + ε), β).
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { wasmFusedBatchNorm } from "./_wasm_fused.ts";
 * await initBackend({ backend: "wasm", threads: 1, quiet: true });
 * const x = tf.randomNormal([2, 4, 4, 8]) as tf.Tensor4D;
 * const r = wasmFusedBatchNorm.trainForward(x, tf.ones([8]), tf.zeros([8]), 1e-3, "relu");
 * r.y.shape; // [2, 4, 4, 8]
 * ```
 */
export const wasmFusedBatchNorm: FusedBatchNormKernels = {
  trainForward(
    x,
    gamma,
    beta,
    epsilon,
    activation,
    alpha,
  ): ReturnType<FusedBatchNormKernels["trainForward"]> {
    registerWasmFusedKernels();
    const inputs: tf.NamedTensorMap = alpha ? { x, gamma, beta, alpha } : { x, gamma, beta };
    const [y, mean, variance, stats] = tf.engine().runKernel("MgcFusedBatchNorm", inputs, {
      epsilon,
      activation,
    }) as tf.Tensor[];
    return {
      y: y as tf.Tensor4D,
      mean: mean as tf.Tensor1D,
      variance: variance as tf.Tensor1D,
      saved: [stats!],
    };
  },
  trainBackward(
    dy,
    x,
    gamma,
    saved,
    _epsilon,
    activation,
    alpha,
  ): ReturnType<FusedBatchNormKernels["trainBackward"]> {
    registerWasmFusedKernels();
    const stats = saved[0]!;
    const inputs: tf.NamedTensorMap = alpha
      ? { dy, x, gamma, stats, alpha }
      : { dy, x, gamma, stats };
    const out = tf.engine().runKernel("MgcFusedBatchNormGrad", inputs, {
      activation,
    }) as tf.Tensor[];
    return {
      dx: out[0] as tf.Tensor4D,
      dgamma: out[1] as tf.Tensor1D,
      dbeta: out[2] as tf.Tensor1D,
      ...(alpha ? { dalpha: out[3] } : {}),
    };
  },
};
