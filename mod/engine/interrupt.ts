/**
 * Ctrl-C as a request: {@linkcode interruptOnSigint} turns the first SIGINT into an abort signal
 * that the training loop checks after each batch.
 *
 * @module
 */
import { log } from "../progress.ts";

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
 * 130); a second Ctrl-C exits at once with 130.
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
  const ctrl = new AbortController();
  const handler = (): void => {
    if (ctrl.signal.aborted) Deno.exit(130);
    log("interrupt: finishing the current batch and saving (Ctrl-C again to quit now)");
    ctrl.abort();
  };
  Deno.addSignalListener("SIGINT", handler);
  return { signal: ctrl.signal, dispose: () => Deno.removeSignalListener("SIGINT", handler) };
}
