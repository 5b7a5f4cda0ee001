/**
 * Cost of the per-batch turn of the event loop that lets Ctrl-C in ({@linkcode nextTurn}): the
 * time `await nextTurn()` takes after `stepMs` of synchronous work (a stand-in for a training
 * step). `deno task bench --only engine` prints it as `batch_yield_ms`; the training loop pays it
 * once per batch, next to a batch of 0.1–30 s on the CPU.
 *
 * @module
 */
import { nextTurn } from "../interrupt.ts";

/** One benchmark figure, in the `deno task bench --json` line format. */
export interface YieldBenchResult {
  /** `batch_yield_ms`. */
  name: string;
  /** Median milliseconds of one `await nextTurn()`. */
  value: number;
  /** "ms". */
  unit: string;
  /** The synchronous work before each turn. */
  step_ms: number;
  /** 90th percentile (nearest rank). */
  p90_ms: number;
}

/**
 * Times `runs` turns, each after `stepMs` of busy synchronous work.
 *
 * @example
 * ```ts
 * import { benchYield } from "./interrupt_bench.ts";
 * const [r] = await benchYield({ runs: 3, stepMs: 5 });
 * console.log(r!.name, r!.value > 0); // batch_yield_ms true
 * ```
 */
export async function benchYield(
  options: { runs?: number; stepMs?: number } = {},
): Promise<YieldBenchResult[]> {
  const runs = options.runs ?? 30;
  const stepMs = options.stepMs ?? 100;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    while (performance.now() - t < stepMs) { /* the synchronous step */ }
    const t0 = performance.now();
    await nextTurn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(runs - 1, Math.ceil(q * runs) - 1)]!;
  return [{
    name: "batch_yield_ms",
    value: Number(at(0.5).toFixed(3)),
    unit: "ms",
    step_ms: stepMs,
    p90_ms: Number(at(0.9).toFixed(3)),
  }];
}
