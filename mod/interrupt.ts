/**
 * Ctrl-C that loses nothing. Deno delivers a signal to its listeners only between turns of the
 * event loop, so a loop whose awaits never leave the microtask queue (a training step, a feature
 * extraction, a t-SNE iteration) would not see Ctrl-C until it ends. Long loops therefore call
 * {@linkcode nextTurn} (or {@linkcode checkInterrupt}) once per batch or file, and scripts that
 * stop gracefully install the process-wide handler with {@linkcode interruptSignal}:
 *
 * - first Ctrl-C: the returned signal aborts; loops finish the item in flight, save what resumes
 *   them, and the script exits 130 ({@linkcode Interrupted});
 * - a second Ctrl-C says what it is still doing (saving, or finishing the item in flight) and
 *   waits: checkpoints are written atomically, and {@linkcode whileSaving} marks the write;
 * - a third Ctrl-C outside a save quits at once (exit 130), losing the work since the last save.
 *
 * Cost of one {@linkcode nextTurn}: a few milliseconds (two timer ticks; `deno task bench --only
 * engine` prints `batch_yield_ms`), next to a training batch of 0.1–30 s on the CPU.
 *
 * @module
 */
import { log } from "./progress.ts";

/**
 * Thrown by a loop that stopped at a Ctrl-C; `runMain` (`cli.ts`) prints its message and exits
 * with {@linkcode Interrupted.exitCode} (130 for SIGINT, 143 for SIGTERM).
 *
 * @example
 * ```ts
 * import { Interrupted } from "./interrupt.ts";
 * const e = new Interrupted("interrupted: nothing was written");
 * console.log(e.exitCode); // 130
 * ```
 */
export class Interrupted extends Error {
  /** The process exit code: 128 + the signal number. */
  readonly exitCode: number;
  /** @param message What was stopped and what is left on disk. */
  constructor(message = "interrupted", exitCode = 130) {
    super(message);
    this.name = "Interrupted";
    this.exitCode = exitCode;
  }
}

/**
 * Resolves after real turns of the event loop, in which pending signals are delivered to their
 * listeners (a plain `await` only drains microtasks, and an already-settled I/O op does not
 * always poll the signal driver): two 0 ms timer ticks (the loop parks, so the OS signal is
 * read), then a message through a `MessageChannel` (so the signal's listener runs before the
 * caller resumes). Await it after each synchronous step of a long loop; it costs ≈ 2–4 ms.
 *
 * @example
 * ```ts
 * import { nextTurn } from "./interrupt.ts";
 * let s = 0;
 * for (let i = 0; i < 1e6; i++) s += i; // synchronous work (a training step)
 * await nextTurn(); // a Ctrl-C pressed during the work has now reached its listener
 * ```
 */
export async function nextTurn(): Promise<void> {
  // Two timer ticks: after a long synchronous step the first one does not always reach the
  // signal driver (measured in a training process: 3 of 10 Ctrl-C one batch late with one tick,
  // none with two).
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  await new Promise<void>((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      ch.port2.close();
      resolve();
    };
    ch.port2.postMessage(0);
  });
}

/** What {@linkcode interruptSignal} was asked to say. */
export interface InterruptOptions {
  /** Logged at the first Ctrl-C (default: finishing the current item, then saving). */
  message?: string;
}

interface State {
  controller: AbortController;
  presses: number;
  exitCode: number;
  saving: string[];
  message: string;
  handlers: [Deno.Signal, () => void][];
  quitHooks: Set<() => void>;
}

let state: State | null = null;

const DEFAULT_MESSAGE =
  "interrupt: finishing the work in flight, then saving (Ctrl-C again waits; a third time quits " +
  "without saving)";

/**
 * Installs the process-wide Ctrl-C (SIGINT; SIGTERM likewise) handler once and returns its
 * signal, aborted at the first press. Later calls return the same signal (`message` replaces the
 * first-press message). Where signals are not available (Windows: SIGTERM), Ctrl-C keeps its
 * default action.
 *
 * @example
 * ```ts ignore
 * // Not run by `deno test --doc`: `deno test` handles SIGINT itself.
 * import { interruptSignal } from "./interrupt.ts";
 * const signal = interruptSignal({ message: "interrupt: stopping after this file" });
 * ```
 */
export function interruptSignal(options: InterruptOptions = {}): AbortSignal {
  if (state) {
    if (options.message) state.message = options.message;
    return state.controller.signal;
  }
  const s: State = {
    controller: new AbortController(),
    presses: 0,
    exitCode: 130,
    saving: [],
    message: options.message ?? DEFAULT_MESSAGE,
    handlers: [],
    quitHooks: new Set(),
  };
  state = s;
  const signals: [Deno.Signal, number][] = Deno.build.os === "windows"
    ? [["SIGINT", 130]]
    : [["SIGINT", 130], ["SIGTERM", 143]];
  for (const [sig, code] of signals) {
    const handler = (): void => onSignal(s, code);
    try {
      Deno.addSignalListener(sig, handler);
      s.handlers.push([sig, handler]);
    } catch {
      // Not available on this platform: the default action stays.
    }
  }
  return s.controller.signal;
}

function onSignal(s: State, code: number): void {
  s.presses++;
  if (s.presses === 1) {
    s.exitCode = code;
    log(s.message);
    s.controller.abort(new Interrupted("interrupted", code));
    return;
  }
  if (s.saving.length > 0) {
    log(`interrupt: saving ${s.saving.at(-1)}; waiting for it to finish (written atomically)`);
    return;
  }
  if (s.presses === 2) {
    log(
      "interrupt: still finishing the work in flight before saving; Ctrl-C once more quits " +
        "without saving",
    );
    return;
  }
  log("interrupt: quitting without saving");
  for (const hook of s.quitHooks) {
    try {
      hook();
    } catch { /* best effort */ }
  }
  Deno.exit(s.exitCode);
}

/**
 * True while the handler of {@linkcode interruptSignal} is installed.
 *
 * @example
 * ```ts
 * import { interruptInstalled } from "./interrupt.ts";
 * console.log(interruptInstalled()); // false
 * ```
 */
export function interruptInstalled(): boolean {
  return state !== null;
}

/**
 * Registers a synchronous clean-up (e.g. removing a temporary folder) run before the process
 * quits at a third Ctrl-C; returns the function that unregisters it. Does nothing (and returns a
 * no-op) when no handler is installed.
 *
 * @example
 * ```ts
 * import { onQuit } from "./interrupt.ts";
 * const off = onQuit(() => {});
 * off();
 * ```
 */
export function onQuit(hook: () => void): () => void {
  const s = state;
  if (!s) return () => {};
  s.quitHooks.add(hook);
  return () => s.quitHooks.delete(hook);
}

/**
 * Removes the handler that {@linkcode interruptSignal} installed (Ctrl-C gets its default action
 * back; a later {@linkcode interruptSignal} installs a fresh one with a new signal).
 *
 * @example
 * ```ts
 * import { releaseInterrupt } from "./interrupt.ts";
 * releaseInterrupt(); // nothing installed: nothing to do
 * ```
 */
export function releaseInterrupt(): void {
  if (!state) return;
  for (const [sig, handler] of state.handlers) Deno.removeSignalListener(sig, handler);
  state = null;
}

/**
 * True once Ctrl-C was pressed (after {@linkcode interruptSignal} installed the handler).
 *
 * @example
 * ```ts
 * import { interruptRequested } from "./interrupt.ts";
 * console.log(interruptRequested()); // false
 * ```
 */
export function interruptRequested(): boolean {
  return state?.controller.signal.aborted ?? false;
}

/**
 * The exit code of the interrupting signal: 130 (SIGINT) or 143 (SIGTERM).
 *
 * @example
 * ```ts
 * import { interruptExitCode } from "./interrupt.ts";
 * console.log(interruptExitCode()); // 130
 * ```
 */
export function interruptExitCode(): number {
  return state?.exitCode ?? 130;
}

/**
 * Lets pending signals be handled ({@linkcode nextTurn}), then throws {@linkcode Interrupted}
 * with `message` when Ctrl-C was pressed. Call it once per file or batch of a long loop; it costs
 * one timer tick (≈ 1–2 ms).
 *
 * @example
 * ```ts
 * import { checkInterrupt } from "./interrupt.ts";
 * for (const file of ["a.wav", "b.wav"]) {
 *   await checkInterrupt(`interrupted before ${file}`);
 *   // ... process the file
 * }
 * ```
 */
export async function checkInterrupt(message?: string): Promise<void> {
  await nextTurn();
  throwIfInterrupted(message);
}

let lastTurn = 0;

/**
 * {@linkcode checkInterrupt} for loops of many small items (archive entries, download chunks):
 * the turn of the event loop is taken only when `everyMs` have passed since the last one, so a
 * Ctrl-C is acted on within `everyMs` plus one item, at the cost of a clock read per item.
 *
 * @example
 * ```ts
 * import { pollInterrupt } from "./interrupt.ts";
 * for (let chunk = 0; chunk < 3; chunk++) {
 *   await pollInterrupt("interrupted: the partial download is kept");
 * }
 * ```
 */
export async function pollInterrupt(message?: string, everyMs = 50): Promise<void> {
  await turnEvery(everyMs);
  throwIfInterrupted(message);
}

/**
 * {@linkcode nextTurn} when `everyMs` have passed since the last one taken here, else nothing:
 * for loops of items much shorter than a turn (files extracted on the main thread).
 *
 * @example
 * ```ts
 * import { turnEvery } from "./interrupt.ts";
 * for (let i = 0; i < 3; i++) await turnEvery(200);
 * ```
 */
export async function turnEvery(everyMs: number): Promise<void> {
  if (performance.now() - lastTurn < everyMs) return;
  await nextTurn();
  lastTurn = performance.now();
}

/**
 * Throws {@linkcode Interrupted} with `message` when Ctrl-C was pressed (no turn of the event
 * loop: for loops whose awaits are real I/O, such as a download).
 *
 * @example
 * ```ts
 * import { throwIfInterrupted } from "./interrupt.ts";
 * throwIfInterrupted("interrupted"); // nothing happens unless Ctrl-C was pressed
 * ```
 */
export function throwIfInterrupted(message?: string): void {
  if (interruptRequested()) throw new Interrupted(message, interruptExitCode());
}

/**
 * Runs `fn` (a save) as a section that Ctrl-C does not cut: presses during it say that
 * `what` is being saved and wait.
 *
 * @example
 * ```ts
 * import { whileSaving } from "./interrupt.ts";
 * await whileSaving("/tmp/checkpoint", async () => {
 *   // write the checkpoint atomically
 * });
 * ```
 */
export async function whileSaving<T>(what: string, fn: () => Promise<T>): Promise<T> {
  state?.saving.push(what);
  try {
    return await fn();
  } finally {
    state?.saving.pop();
  }
}
