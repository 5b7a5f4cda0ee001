/**
 * Direct convolution gradients for the tfjs wasm backend: `Conv2DBackpropFilter` and
 * `Conv2DBackpropInput` over NHWC float32 in hand-written WebAssembly SIMD (`_wasm_conv.wat`),
 * running in place on tfjs's own wasm heap (our module imports tfjs's `WebAssembly.Memory`, so
 * tensors are passed as byte offsets and nothing is copied in or out), with relaxed-SIMD fused
 * multiply-add where the runtime has it and split across threads (`_conv_threads.ts`) when
 * tfjs runs its threaded build (shared memory).
 *
 * Private to `_wasm_kernels.ts`, which falls back to its XNNPACK-based gradients for shapes these
 * kernels do not take (output channels not a multiple of 16 for the filter gradient, input
 * channels not a multiple of 8 for the input gradient, NCHW, dilations).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  CONV_WASM_PLAIN_SHARED_BASE64,
  CONV_WASM_PLAIN_UNSHARED_BASE64,
  CONV_WASM_RELAXED_SHARED_BASE64,
  CONV_WASM_RELAXED_UNSHARED_BASE64,
} from "./_simd_conv_bytes.ts";
import { type ConvJob, ConvThreads } from "./_conv_threads.ts";

type TensorInfo = tf.TensorInfo;

/** The parts of tfjs-backend-wasm's `BackendWasm` the direct kernels use. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: unknown, force?: boolean): boolean;
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } | undefined };
  wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
}

/** The exports of `_wasm_conv.wat`. */
export interface ConvExports {
  conv_dw(...args: number[]): void;
  conv_dx(...args: number[]): void;
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

let relaxed: boolean | undefined;

/** Whether this runtime validates relaxed SIMD (`f32x4.relaxed_madd`). */
export function relaxedSimdAvailable(): boolean {
  if (relaxed === undefined) {
    try {
      relaxed = WebAssembly.validate(decode(CONV_WASM_RELAXED_UNSHARED_BASE64));
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

/** The compiled kernel module for a shared or unshared heap (relaxed SIMD when available). */
export function convModule(shared: boolean): WebAssembly.Module {
  const fma = relaxedSimdAvailable();
  const b64 = fma
    ? (shared ? CONV_WASM_RELAXED_SHARED_BASE64 : CONV_WASM_RELAXED_UNSHARED_BASE64)
    : (shared ? CONV_WASM_PLAIN_SHARED_BASE64 : CONV_WASM_PLAIN_UNSHARED_BASE64);
  return new WebAssembly.Module(decode(b64));
}

interface Engine {
  memory: WebAssembly.Memory;
  exports: ConvExports;
  threads: ConvThreads | null;
}

let engine: Engine | null | undefined;
let wantedThreads = 1;

/**
 * Sets how many threads the direct kernels use (the caller's thread included); workers start
 * on the next kernel call when tfjs's heap is shared. Returns the count that will be used.
 */
export function setConvThreads(n: number): number {
  wantedThreads = Math.max(1, Math.floor(n));
  return wantedThreads;
}

/** Threads the direct kernels ran on at their last use (the caller's included). */
export function convThreadsInUse(): number {
  return engine?.threads ? engine.threads.size + 1 : 1;
}

/** Ends the worker threads, if any (they are started again when needed). */
export function stopConvThreads(): void {
  engine?.threads?.stop();
  if (engine) engine.threads = null;
}

/** The kernel instance on `backend`'s heap, or null when WebAssembly SIMD is unavailable. */
function engineFor(backend: HeapBackend): Engine | null {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (engine !== undefined && (engine === null || engine.memory === memory)) return engine;
  if (memory === undefined) return engine = null;
  try {
    const shared = memory.buffer instanceof SharedArrayBuffer;
    const module = convModule(shared);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const threads = shared && wantedThreads > 1
      ? new ConvThreads(module, memory, wantedThreads - 1)
      : null;
    engine = { memory, exports: instance.exports as unknown as ConvExports, threads };
  } catch {
    engine = null;
  }
  return engine;
}

function offset(backend: HeapBackend, t: TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (d === undefined) throw new Error("wasm conv: tensor not on the wasm heap");
  return d.memoryOffset;
}

/** Runs `jobs[0]` here and the others on worker threads (when there are any), then waits. */
function runJobs(e: Engine, jobs: ConvJob[]): void {
  if (e.threads === null || jobs.length === 1) {
    for (const j of jobs) e.exports[j.fn](...j.args);
    return;
  }
  e.threads.run(jobs.slice(1));
  try {
    e.exports[jobs[0]!.fn](...jobs[0]!.args);
  } finally {
    e.threads.wait();
  }
}

function parts(e: Engine): number {
  return e.threads === null ? 1 : e.threads.size + 1;
}

/** Splits [0, n) into `k` ranges aligned to `align` (the last takes the rest); empty ones dropped. */
function split(n: number, k: number, align: number): [number, number][] {
  const out: [number, number][] = [];
  const step = Math.max(align, Math.ceil(n / k / align) * align);
  for (let a = 0; a < n; a += step) out.push([a, Math.min(n, a + step)]);
  return out;
}

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
  const e = engineFor(backend);
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
  const jobs: ConvJob[] = ci >= 4 * k
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
  const e = engineFor(backend);
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
    const jobs: ConvJob[] = split(b * h, k, 1).map(([r0, r1], j) => ({
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
