/**
 * A worker of `_conv_threads.ts`: instantiates the convolution kernels on tfjs's shared wasm
 * memory, then runs the jobs written to its control slot until told to stop.
 *
 * @module
 */
import { ARGS, DONE, ERROR, FN, FNS, NARGS, READY, SEQ, SLOT } from "./_conv_threads.ts";

interface Start {
  module: WebAssembly.Module;
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
  const { module, memory, ctl, slot } = ev.data;
  const exports = new WebAssembly.Instance(module, { env: { memory } })
    .exports as unknown as Record<
      string,
      (...args: number[]) => void
    >;
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
      exports[fn]!(...Array.from(c.subarray(base + ARGS, base + ARGS + c[base + NARGS]!)));
    } catch {
      Atomics.store(c, base + ERROR, 1);
    }
    Atomics.store(c, base + DONE, seq);
    Atomics.notify(c, base + DONE);
  }
  Atomics.store(c, base + READY, 0);
  scope.close();
};
