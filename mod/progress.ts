/**
 * Progress lines on stderr for long work: items done, rate and ETA. Results never go here; they
 * go to files and stdout. On a terminal the line is redrawn in place; elsewhere (CI, logs) a line is
 * printed at most every `intervalMs`.
 *
 * @module
 */

/** Options for {@linkcode Progress}. */
export interface ProgressOptions {
  /** Unit shown after the rate, e.g. "clips" (default "items"). */
  unit?: string;
  /**
   * Minimum milliseconds between two printed updates (default: `MGC_PROGRESS_MS` when set, else
   * 2000, on a TTY 200).
   */
  intervalMs?: number;
  /** Where to write (default stderr). Set to `null` to stay silent (tests). */
  write?: ((line: string) => void) | null;
}

/**
 * Reports progress of `total` items.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const p = new Progress("extract", 100, { unit: "clips", write: null });
 * for (let i = 0; i < 100; i++) p.tick();
 * p.done();
 * ```
 */
export class Progress {
  readonly label: string;
  readonly total: number;
  #done = 0;
  #start = performance.now();
  #last = 0;
  #unit: string;
  #interval: number;
  #write: ((line: string) => void) | null;
  #tty: boolean;
  #extra = "";

  constructor(label: string, total: number, options: ProgressOptions = {}) {
    this.label = label;
    this.total = total;
    this.#unit = options.unit ?? "items";
    this.#tty = options.write === undefined && Deno.stderr.isTerminal();
    this.#interval = options.intervalMs ?? envInterval() ?? (this.#tty ? 200 : 2000);
    this.#write = options.write === undefined ? defaultWrite(this.#tty) : options.write;
  }

  /** Items done so far. */
  get count(): number {
    return this.#done;
  }

  /** Marks `n` more items done; `extra` (e.g. "loss 0.53") is shown after the rate. */
  tick(n = 1, extra?: string): void {
    this.#done += n;
    if (extra !== undefined) this.#extra = extra;
    const now = performance.now();
    if (now - this.#last >= this.#interval || this.#done >= this.total) {
      this.#last = now;
      this.#emit(false);
    }
  }

  /** Prints the final line with the total time. */
  done(extra?: string): void {
    if (extra !== undefined) this.#extra = extra;
    this.#emit(true);
  }

  /** Seconds since the start. */
  get elapsed(): number {
    return (performance.now() - this.#start) / 1000;
  }

  #emit(final: boolean): void {
    if (!this.#write) return;
    const s = this.elapsed;
    const rate = this.#done / Math.max(s, 1e-9);
    const left = rate > 0 ? (this.total - this.#done) / rate : Infinity;
    const pct = this.total > 0 ? ((100 * this.#done) / this.total).toFixed(0) : "100";
    const eta = final ? `in ${formatSeconds(s)}` : `ETA ${formatSeconds(left)}`;
    const extra = this.#extra ? ` | ${this.#extra}` : "";
    this.#write(
      `${this.label}: ${this.#done}/${this.total} (${pct}%) ${
        rate.toFixed(1)
      } ${this.#unit}/s ${eta}${extra}` +
        (final ? "\n" : ""),
    );
  }
}

/** `MGC_PROGRESS_MS` (e.g. 0: a line per batch or file, for logs and tests), when readable. */
function envInterval(): number | null {
  try {
    const q = Deno.permissions.querySync({ name: "env", variable: "MGC_PROGRESS_MS" });
    if (q.state !== "granted") return null;
    const v = Deno.env.get("MGC_PROGRESS_MS");
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  } catch {
    return null; // no env permission
  }
}

function defaultWrite(tty: boolean): (line: string) => void {
  const enc = new TextEncoder();
  return (line) => {
    const text = tty ? `\r\x1b[2K${line}` : line.endsWith("\n") ? line : line + "\n";
    Deno.stderr.writeSync(enc.encode(text));
  };
}

/**
 * Formats seconds as `1h02m`, `3m05s` or `4.2s`.
 *
 * @example
 * ```ts
 * import { formatSeconds } from "./progress.ts";
 * formatSeconds(185); // "3m05s"
 * ```
 */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Writes one line to stderr (log messages that are not results). */
export function log(message: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(message + "\n"));
}
