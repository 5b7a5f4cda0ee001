/**
 * Worker threads for the WebAssembly kernels that run on tfjs's heap (`_wasm_heap.ts`): each
 * worker instantiates the same kernel modules on tfjs's shared wasm memory and waits, blocked in
 * `Atomics.wait`, for a batch of jobs written to a shared control array. The calling thread and
 * the workers then take jobs from the batch one at a time (an atomic counter), so a worker that
 * the operating system does not schedule promptly (the machine is busy) costs nothing: the caller
 * does the remaining jobs itself. The caller returns when every job is finished. Jobs are
 * synchronous from tfjs's point of view, as its kernels must be.
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

/** Function codes: every export of the kernel modules. */
export const FNS = [
  "conv_dw",
  "conv_dx",
  "conv_fwd",
  "wino_fwd",
  "wino4_fwd",
  "wino_s2_fwd",
  "bn_sum",
  "bn_sqdev",
  "bn_apply",
  "bn_grad_sums",
  "bn_grad_apply",
  "prelu_grad",
  "pool_grad2x2",
] as const;

/** An export of the kernel modules. */
export type KernelFn = (typeof FNS)[number];

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

/**
 * Control words (Int32 indices): batch counter, next job to take, jobs finished, jobs in the
 * batch, a failure flag, the stop flag, workers started, workers inside a batch. The caller
 * rewrites the job table only while no worker is inside a batch (`ACTIVE` = 0), so a worker
 * that wakes late never reads a half-written or later batch as its own.
 */
export const SEQ = 0, NEXT = 1, FINISHED = 2, COUNT = 3, ERROR = 4, STOP = 5, READY = 6;
/** See {@linkcode SEQ}. */
export const ACTIVE = 7;
/** Job table: from word JOBS, JOB_WORDS words per job (function code, argument count, args). */
export const JOBS = 16, JOB_WORDS = 32, MAX_JOBS = 64;

/**
 * Takes jobs from the batch in `c` until none is left: the loop every thread runs. Returns
 * whether one failed.
 */
export function takeJobs(c: Int32Array, exports: KernelExports): boolean {
  let failed = false;
  for (;;) {
    const i = Atomics.add(c, NEXT, 1);
    if (i >= Atomics.load(c, COUNT)) break;
    const at = JOBS + i * JOB_WORDS;
    try {
      exports[FNS[c[at]!]!](...Array.from(c.subarray(at + 2, at + 2 + c[at + 1]!)));
    } catch {
      failed = true;
    }
    Atomics.add(c, FINISHED, 1);
    Atomics.notify(c, FINISHED);
  }
  return failed;
}

/** A pool of workers sharing tfjs's wasm memory. */
export class HeapThreads {
  readonly #ctl: Int32Array<SharedArrayBuffer>;
  readonly #workers: Worker[] = [];

  /** Starts `size` workers on `memory` (a shared memory) with `modules`. */
  constructor(modules: readonly WebAssembly.Module[], memory: WebAssembly.Memory, size: number) {
    this.#ctl = new Int32Array(new SharedArrayBuffer(4 * (JOBS + MAX_JOBS * JOB_WORDS)));
    // Closed: no job to take until the first batch.
    this.#ctl[NEXT] = 1 << 30;
    for (let i = 0; i < size; i++) {
      const worker = new WebWorker(new URL("./_heap_worker.ts", import.meta.url).href, {
        type: "module",
      });
      worker.postMessage({ modules, memory, ctl: this.#ctl.buffer });
      this.#workers.push(worker);
    }
  }

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  /** Workers that have started (instantiated the kernels). */
  get ready(): number {
    return Atomics.load(this.#ctl, READY);
  }

  /**
   * Runs `jobs` (at most {@linkcode MAX_JOBS}) on this thread and the workers, with `exports` the
   * kernels instantiated on this thread; returns when all are done.
   */
  runAll(jobs: HeapJob[], exports: KernelExports): void {
    if (jobs.length > MAX_JOBS) throw new RangeError(`at most ${MAX_JOBS} jobs per batch`);
    const c = this.#ctl;
    for (;;) {
      const active = Atomics.load(c, ACTIVE);
      if (active === 0) break;
      Atomics.wait(c, ACTIVE, active);
    }
    jobs.forEach((job, i) => {
      if (job.args.length > JOB_WORDS - 2) throw new RangeError(`${job.fn}: too many arguments`);
      const at = JOBS + i * JOB_WORDS;
      c[at] = FNS.indexOf(job.fn);
      c[at + 1] = job.args.length;
      for (let k = 0; k < job.args.length; k++) c[at + 2 + k] = job.args[k]! | 0;
    });
    Atomics.store(c, FINISHED, 0);
    Atomics.store(c, COUNT, jobs.length);
    Atomics.store(c, NEXT, 0); // opens the batch
    Atomics.add(c, SEQ, 1);
    Atomics.notify(c, SEQ);
    let failed = takeJobs(c, exports);
    for (;;) {
      const done = Atomics.load(c, FINISHED);
      if (done >= jobs.length) break;
      Atomics.wait(c, FINISHED, done);
    }
    Atomics.store(c, NEXT, 1 << 30); // closed
    if (Atomics.exchange(c, ERROR, 0) !== 0) failed = true;
    if (failed) throw new Error("wasm heap kernel: a job failed");
  }

  /** Stops the workers. */
  stop(): void {
    Atomics.store(this.#ctl, STOP, 1);
    Atomics.add(this.#ctl, SEQ, 1);
    Atomics.notify(this.#ctl, SEQ);
    this.#workers.length = 0;
  }
}
