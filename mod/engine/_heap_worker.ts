/**
 * A worker of `_heap_threads.ts`: instantiates the kernel modules on tfjs's shared wasm memory,
 * then, each time a batch of jobs is posted, takes jobs from it until none is left, until told
 * to stop.
 *
 * @module
 */
import { ACTIVE, ERROR, instantiateAll, READY, SEQ, STOP, takeJobs } from "./_heap_threads.ts";

interface Start {
  modules: WebAssembly.Module[];
  memory: WebAssembly.Memory;
  ctl: SharedArrayBuffer;
}

const scope = globalThis as unknown as {
  onmessage: ((ev: MessageEvent<Start>) => void) | null;
  close(): void;
};

scope.onmessage = (ev: MessageEvent<Start>): void => {
  scope.onmessage = null;
  const { modules, memory, ctl } = ev.data;
  const exports = instantiateAll(modules, memory);
  const c = new Int32Array(ctl);
  Atomics.add(c, READY, 1);
  let seen = Atomics.load(c, SEQ);
  for (;;) {
    Atomics.wait(c, SEQ, seen);
    seen = Atomics.load(c, SEQ);
    if (Atomics.load(c, STOP) !== 0) break;
    Atomics.add(c, ACTIVE, 1);
    if (takeJobs(c, exports)) Atomics.store(c, ERROR, 1);
    Atomics.sub(c, ACTIVE, 1);
    Atomics.notify(c, ACTIVE);
  }
  Atomics.sub(c, READY, 1);
  scope.close();
};
