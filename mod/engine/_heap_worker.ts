/**
 * A worker of `_heap_threads.ts`: instantiates the kernel modules on tfjs's shared wasm
 * memory, then runs the jobs written to its control slot until told to stop.
 *
 * @module
 */
import {
  ARGS,
  DONE,
  ERROR,
  FN,
  FNS,
  instantiateAll,
  NARGS,
  READY,
  SEQ,
  SLOT,
} from "./_heap_threads.ts";

interface Start {
  modules: WebAssembly.Module[];
  memory: WebAssembly.Memory;
  ctl: SharedArrayBuffer;
  slot: number;
}

const scope = globalThis as unknown as {
  onmessage: ((ev: MessageEvent<Start>) => void) | null;
  close(): void;
};

scope.onmessage = (ev: MessageEvent<Start>): void => {
  scope.onmessage = null;
  const { modules, memory, ctl, slot } = ev.data;
  const exports = instantiateAll(modules, memory);
  const c = new Int32Array(ctl);
  const base = slot * SLOT;
  Atomics.store(c, base + READY, 1);
  let seen = 0;
  for (;;) {
    Atomics.wait(c, base + SEQ, seen);
    const seq = Atomics.load(c, base + SEQ);
    if (seq === seen) continue;
    seen = seq;
    const fn = FNS[c[base + FN]!];
    if (fn === "stop" || fn === undefined) break;
    try {
      exports[fn](...Array.from(c.subarray(base + ARGS, base + ARGS + c[base + NARGS]!)));
    } catch {
      Atomics.store(c, base + ERROR, 1);
    }
    Atomics.store(c, base + DONE, seq);
    Atomics.notify(c, base + DONE);
  }
  Atomics.store(c, base + READY, 0);
  scope.close();
};
