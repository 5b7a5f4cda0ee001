/**
 * WebAssembly kernels that run in place on the heap of tfjs's wasm backend: our modules
 * (`_wasm_conv.wat`, `_wasm_bn.wat`, `_wasm_pool.wat`) import tfjs's own `WebAssembly.Memory`, so tensors are passed
 * to them as byte offsets and nothing is copied in or out. Each module is assembled in four builds
 * (`scripts/build_wasm.ts`): with relaxed SIMD's fused multiply-add or plain SIMD, for a shared
 * (tfjs's threaded build) or an unshared heap; this module picks the one the runtime and heap
 * take, and splits jobs over worker threads (`_heap_threads.ts`) when the heap is shared.
 *
 * Private to the engine's wasm kernels.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import {
  CONV_WASM_PLAIN_SHARED_BASE64,
  CONV_WASM_PLAIN_UNSHARED_BASE64,
  CONV_WASM_RELAXED_SHARED_BASE64,
  CONV_WASM_RELAXED_UNSHARED_BASE64,
} from "./_simd_conv_bytes.ts";
import {
  BN_WASM_PLAIN_SHARED_BASE64,
  BN_WASM_PLAIN_UNSHARED_BASE64,
  BN_WASM_RELAXED_SHARED_BASE64,
  BN_WASM_RELAXED_UNSHARED_BASE64,
} from "./_simd_bn_bytes.ts";
import {
  POOL_WASM_PLAIN_SHARED_BASE64,
  POOL_WASM_PLAIN_UNSHARED_BASE64,
  POOL_WASM_RELAXED_SHARED_BASE64,
  POOL_WASM_RELAXED_UNSHARED_BASE64,
} from "./_simd_pool_bytes.ts";
import {
  type HeapJob,
  HeapThreads,
  instantiateAll,
  type KernelExports,
  MAX_JOBS,
} from "./_heap_threads.ts";

export type { HeapJob, KernelExports };

type TensorInfo = tf.TensorInfo;

/** The parts of tfjs-backend-wasm's `BackendWasm` the heap kernels use. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: unknown, force?: boolean): boolean;
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } | undefined };
  wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
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

/** The compiled kernel modules for a shared or unshared heap (relaxed SIMD when available). */
export function heapModules(shared: boolean): WebAssembly.Module[] {
  const fma = relaxedSimdAvailable();
  const pick = (b: [string, string, string, string]): string =>
    fma ? (shared ? b[0] : b[1]) : (shared ? b[2] : b[3]);
  return [
    pick([
      CONV_WASM_RELAXED_SHARED_BASE64,
      CONV_WASM_RELAXED_UNSHARED_BASE64,
      CONV_WASM_PLAIN_SHARED_BASE64,
      CONV_WASM_PLAIN_UNSHARED_BASE64,
    ]),
    pick([
      BN_WASM_RELAXED_SHARED_BASE64,
      BN_WASM_RELAXED_UNSHARED_BASE64,
      BN_WASM_PLAIN_SHARED_BASE64,
      BN_WASM_PLAIN_UNSHARED_BASE64,
    ]),
    pick([
      POOL_WASM_RELAXED_SHARED_BASE64,
      POOL_WASM_RELAXED_UNSHARED_BASE64,
      POOL_WASM_PLAIN_SHARED_BASE64,
      POOL_WASM_PLAIN_UNSHARED_BASE64,
    ]),
  ].map((b64) => new WebAssembly.Module(decode(b64)));
}

/** The kernels instantiated on one tfjs heap, and their worker threads. */
export interface HeapEngine {
  memory: WebAssembly.Memory;
  exports: KernelExports;
  threads: HeapThreads | null;
}

let engine: HeapEngine | null | undefined;
let wantedThreads = 1;

/**
 * Sets how many threads the heap kernels use (the caller's thread included); workers start on
 * the next kernel call when tfjs's heap is shared. Returns the count that will be used.
 */
export function setHeapThreads(n: number): number {
  wantedThreads = Math.max(1, Math.floor(n));
  return wantedThreads;
}

/** Threads the heap kernels ran on at their last use (the caller's included). */
export function heapThreadsInUse(): number {
  return engine?.threads ? engine.threads.size + 1 : 1;
}

/** The kernels on `backend`'s heap, or null when WebAssembly SIMD is unavailable. */
export function heapEngine(backend: HeapBackend): HeapEngine | null {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (engine !== undefined && (engine === null || engine.memory === memory)) return engine;
  if (memory === undefined) return engine = null;
  try {
    const shared = memory.buffer instanceof SharedArrayBuffer;
    const modules = heapModules(shared);
    const threads = shared && wantedThreads > 1
      ? new HeapThreads(modules, memory, wantedThreads - 1)
      : null;
    engine = { memory, exports: instantiateAll(modules, memory), threads };
  } catch {
    engine = null;
  }
  return engine;
}

/** The byte offset of a tensor's data on the heap. */
export function heapOffset(backend: HeapBackend, t: TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (d === undefined) throw new Error("wasm kernel: tensor not on the wasm heap");
  return d.memoryOffset;
}

/**
 * Runs `jobs` (independent: disjoint outputs), here and on the worker threads when there are
 * any, each job taken by whichever thread is free; returns when all are done.
 */
export function runJobs(e: HeapEngine, jobs: HeapJob[]): void {
  if (e.threads === null || jobs.length === 1) {
    for (const j of jobs) e.exports[j.fn](...j.args);
    return;
  }
  for (let i = 0; i < jobs.length; i += MAX_JOBS) {
    e.threads.runAll(jobs.slice(i, i + MAX_JOBS), e.exports);
  }
}

/**
 * How many jobs to split work into: one without threads; with threads, several per thread, so
 * that a thread the system schedules late leaves its share to the others.
 */
export function parts(e: HeapEngine, perThread = 4): number {
  return e.threads === null ? 1 : perThread * (e.threads.size + 1);
}

/** Splits [0, n) into at most `k` ranges aligned to `align` (the last takes the rest). */
export function split(n: number, k: number, align: number): [number, number][] {
  const out: [number, number][] = [];
  const step = Math.max(align, Math.ceil(n / k / align) * align);
  for (let a = 0; a < n; a += step) out.push([a, Math.min(n, a + step)]);
  return out;
}
