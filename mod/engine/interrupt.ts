/**
 * Ctrl-C as a request: {@linkcode interruptOnSigint} turns the first SIGINT into an abort signal
 * that the training loop checks after each batch (the process-wide handler of `../interrupt.ts`),
 * and {@linkcode interruptibleSource} makes a pass over a sample source (validation, test scoring)
 * stop at the next batch once that signal aborts.
 *
 * @module
 */
import { Interrupted, interruptExitCode, nextTurn } from "../interrupt.ts";
import { interruptSignal, releaseInterrupt } from "../interrupt.ts";
import type { SampleSource } from "../prepare/samples.ts";

/** What {@linkcode interruptOnSigint} returns. */
export interface Interrupt {
  /** Aborted at the first Ctrl-C: pass it as `TrainConfig.signal` (`train.ts`). */
  signal: AbortSignal;
  /** Removes the SIGINT listener. */
  dispose(): void;
}

/**
 * Turns the first Ctrl-C (SIGINT) into an abort of the returned signal, so that `train`
 * finishes its batch, saves its checkpoint and returns `interrupted: true` (the script then exits
 * 130). A second Ctrl-C waits (saying what is being saved); a third one outside a save exits at
 * once with 130.
 *
 * @example
 * ```ts
 * import { interruptOnSigint } from "./interrupt.ts";
 * const interrupt = interruptOnSigint();
 * // const result = await train(model, src, val, { ...config, signal: interrupt.signal });
 * interrupt.dispose();
 * // if (result.interrupted) Deno.exit(130);
 * ```
 */
export function interruptOnSigint(): Interrupt {
  const signal = interruptSignal({
    message: "interrupt: finishing the current batch and saving (Ctrl-C again waits; a third " +
      "time quits without saving)",
  });
  return { signal, dispose: releaseInterrupt };
}

/**
 * `src` with a turn of the event loop before every read (so a Ctrl-C during the previous batch's
 * forward pass reaches its listener), throwing {@linkcode Interrupted} with `message` from the
 * first read after `signal` aborted.
 *
 * @example
 * ```ts
 * import { arraySource } from "../prepare/samples.ts";
 * import { interruptibleSource } from "./interrupt.ts";
 * const src = arraySource(new Float32Array(4), new Int32Array([0, 1]), [2], 2);
 * const ctrl = new AbortController();
 * const guarded = interruptibleSource(src, ctrl.signal, "stopped");
 * console.log((await guarded.read([1])).y); // Int32Array [1]
 * ```
 */
export function interruptibleSource(
  src: SampleSource,
  signal: AbortSignal,
  message = "interrupted",
): SampleSource {
  return {
    length: src.length,
    sampleShape: src.sampleShape,
    numClasses: src.numClasses,
    read: async (indices) => {
      await nextTurn();
      if (signal.aborted) throw new Interrupted(message, interruptExitCode());
      return await src.read(indices);
    },
  };
}
