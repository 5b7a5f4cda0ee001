/**
 * Worker threads for the WebAssembly kernels that run on tfjs's heap (`_wasm_heap.ts`): each
 * worker instantiates the same kernel modules on tfjs's shared wasm memory and waits, blocked in
 * `Atomics.wait`, on its slot of a shared control array; the calling thread writes a job (function and integer
 * arguments), wakes the worker, computes its own share, then waits for the worker to finish.
 * Jobs are synchronous from tfjs's point of view, as its kernels must be.
 *
 * Used only with tfjs's threaded build (its heap is a `SharedArrayBuffer`), whose pthread workers
 * already keep the process alive until `shutdownBackend`; these workers stop with
 * {@linkcode HeapThreads.stop}.
 *
 * @module
 */

// The web Worker of the runtime, captured before tfjs's threaded build initialises: emscripten
// then replaces `globalThis.Worker` with Node's `worker_threads.Worker`.
const WebWorker: typeof Worker = globalThis.Worker;

/** Function codes: every export of the kernel modules, and "stop". */
export const FNS = [
  "conv_dw",
  "conv_dx",
  "bn_sum",
  "bn_sqdev",
  "bn_apply",
  "bn_grad_sums",
  "bn_grad_apply",
  "stop",
] as const;

/** An export of the kernel modules. */
export type KernelFn = Exclude<(typeof FNS)[number], "stop">;

/** One call of a kernel export with integer arguments. */
export interface HeapJob {
  /** Export name. */
  fn: KernelFn;
  /** Arguments (byte offsets and sizes). */
  args: number[];
}

/** The exports of the kernel modules by name. */
export type KernelExports = Record<KernelFn, (...args: number[]) => void>;

/** Instantiates every module on `memory` and merges their exports. */
export function instantiateAll(
  modules: readonly WebAssembly.Module[],
  memory: WebAssembly.Memory,
): KernelExports {
  const out: Record<string, unknown> = {};
  for (const m of modules) {
    Object.assign(out, new WebAssembly.Instance(m, { env: { memory } }).exports);
  }
  return out as KernelExports;
}

/** Control slot layout, in Int32 words. */
export const SLOT = 32;
/** Slot words: job counter, last finished job, function, argument count, ready, error, args. */
export const SEQ = 0, DONE = 1, FN = 2, NARGS = 3, READY = 4, ERROR = 5, ARGS = 8;

/** A pool of workers sharing tfjs's wasm memory. */
export class HeapThreads {
  readonly #ctl: Int32Array<SharedArrayBuffer>;
  readonly #workers: Worker[] = [];
  #dispatched: number[] = [];
  #local: HeapJob[] = [];
  #seq = 0;
  #exports: KernelExports | null = null;
  readonly #modules: readonly WebAssembly.Module[];
  readonly #memory: WebAssembly.Memory;

  /** Starts `size` workers on `memory` (a shared memory) with `modules`. */
  constructor(modules: readonly WebAssembly.Module[], memory: WebAssembly.Memory, size: number) {
    this.#modules = modules;
    this.#memory = memory;
    this.#ctl = new Int32Array(new SharedArrayBuffer(4 * SLOT * size));
    for (let i = 0; i < size; i++) {
      const worker = new WebWorker(new URL("./_heap_worker.ts", import.meta.url).href, {
        type: "module",
      });
      worker.postMessage({ modules, memory, ctl: this.#ctl.buffer, slot: i });
      this.#workers.push(worker);
    }
  }

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  /** Hands each job to a ready worker (or keeps it for {@linkcode wait} to run here). */
  run(jobs: HeapJob[]): void {
    this.#dispatched = [];
    this.#local = [];
    const c = this.#ctl;
    let w = 0;
    for (const job of jobs) {
      while (w < this.#workers.length && Atomics.load(c, w * SLOT + READY) !== 1) w++;
      if (w >= this.#workers.length || job.args.length > SLOT - ARGS) {
        this.#local.push(job);
        continue;
      }
      const base = w * SLOT;
      c[base + FN] = FNS.indexOf(job.fn);
      c[base + NARGS] = job.args.length;
      for (let i = 0; i < job.args.length; i++) c[base + ARGS + i] = job.args[i]! | 0;
      Atomics.store(c, base + SEQ, ++this.#seq);
      Atomics.notify(c, base + SEQ);
      this.#dispatched.push(w);
      w++;
    }
  }

  /** Runs the jobs no worker took, then blocks until every dispatched job is done. */
  wait(): void {
    if (this.#local.length > 0) {
      this.#exports ??= instantiateAll(this.#modules, this.#memory);
      for (const j of this.#local) this.#exports[j.fn](...j.args);
      this.#local = [];
    }
    const c = this.#ctl;
    let failed = false;
    for (const w of this.#dispatched) {
      const base = w * SLOT;
      const seq = Atomics.load(c, base + SEQ);
      for (;;) {
        const done = Atomics.load(c, base + DONE);
        if (done === seq) break;
        Atomics.wait(c, base + DONE, done);
      }
      if (Atomics.exchange(c, base + ERROR, 0) !== 0) failed = true;
    }
    this.#dispatched = [];
    if (failed) throw new Error("wasm conv: a worker thread failed");
  }

  /** Stops the workers. */
  stop(): void {
    const c = this.#ctl;
    this.#workers.forEach((_, w) => {
      const base = w * SLOT;
      c[base + FN] = FNS.indexOf("stop");
      Atomics.store(c, base + SEQ, ++this.#seq);
      Atomics.notify(c, base + SEQ);
    });
    this.#workers.length = 0;
  }
}
