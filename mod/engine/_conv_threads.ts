/**
 * Worker threads for the direct convolution kernels (`_wasm_conv.ts`): each worker instantiates
 * the same kernel module on tfjs's shared wasm memory and waits, blocked in `Atomics.wait`, on
 * its slot of a shared control array; the calling thread writes a job (function and integer
 * arguments), wakes the worker, computes its own share, then waits for the worker to finish.
 * Jobs are synchronous from tfjs's point of view, as its kernels must be.
 *
 * Used only with tfjs's threaded build (its heap is a `SharedArrayBuffer`), whose pthread workers
 * already keep the process alive until `shutdownBackend`; these workers stop with
 * {@linkcode ConvThreads.stop}.
 *
 * @module
 */

// The web Worker of the runtime, captured before tfjs's threaded build initialises: emscripten
// then replaces `globalThis.Worker` with Node's `worker_threads.Worker`.
const WebWorker: typeof Worker = globalThis.Worker;

/** One call of a kernel export with integer arguments. */
export interface ConvJob {
  /** Export name. */
  fn: "conv_dw" | "conv_dx";
  /** Arguments (byte offsets and sizes). */
  args: number[];
}

/** Control slot layout, in Int32 words. */
export const SLOT = 32;
/** Slot words: job counter, last finished job, function, argument count, ready, error, args. */
export const SEQ = 0, DONE = 1, FN = 2, NARGS = 3, READY = 4, ERROR = 5, ARGS = 8;
/** Function codes. */
export const FNS = ["conv_dw", "conv_dx", "stop"] as const;

/** A pool of workers sharing tfjs's wasm memory. */
export class ConvThreads {
  readonly #ctl: Int32Array<SharedArrayBuffer>;
  readonly #workers: Worker[] = [];
  #dispatched: number[] = [];
  #local: ConvJob[] = [];
  #seq = 0;
  #exports: Record<string, (...args: number[]) => void> | null = null;
  readonly #module: WebAssembly.Module;
  readonly #memory: WebAssembly.Memory;

  /** Starts `size` workers on `memory` (a shared memory) with `module`. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, size: number) {
    this.#module = module;
    this.#memory = memory;
    this.#ctl = new Int32Array(new SharedArrayBuffer(4 * SLOT * size));
    for (let i = 0; i < size; i++) {
      const worker = new WebWorker(new URL("./_conv_worker.ts", import.meta.url).href, {
        type: "module",
      });
      worker.postMessage({ module, memory, ctl: this.#ctl.buffer, slot: i });
      this.#workers.push(worker);
    }
  }

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  /** Hands each job to a ready worker (or keeps it for {@linkcode wait} to run here). */
  run(jobs: ConvJob[]): void {
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
      this.#exports ??= new WebAssembly.Instance(this.#module, {
        env: { memory: this.#memory },
      }).exports as unknown as Record<string, (...args: number[]) => void>;
      for (const j of this.#local) this.#exports[j.fn]!(...j.args);
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
