/**
 * Inference latency of a LayersModel on the current tfjs backend: warm-up runs (kernel
 * compilation, memory pools), then timed runs of `predict` on one fixed random batch, each run
 * awaiting the output's data so that the time covers the real work on asynchronous backends. On
 * the native engine and on wasm the model is timed with BatchNormalization folded into its
 * convolutions (`fold.ts`; outputs equal to float32 rounding), their inference path: on wasm the
 * folded `FusedConv2D` (bias and ReLU/PReLU applied as the Winograd or direct kernels write their
 * output) replaces a convolution plus a batch-norm pass. On the native engine the folded model
 * runs as one TensorFlow graph and session (`_tf_graph.ts`), as Keras's `predict_on_batch` does.
 *
 * @module
 */
import { tf } from "./backend.ts";
import { throwIfWebGpuError } from "./_webgpu.ts";
import { Interrupted, interruptExitCode, nextTurn } from "../interrupt.ts";
import { foldBatchNorm } from "./fold.ts";
import { type NativeGraph, tryNativeGraph } from "./_tf_graph.ts";

/** Options of {@linkcode measureLatency}. */
export interface LatencyOptions {
  /** Untimed runs first; default 10. */
  warmup?: number;
  /** Timed runs; default 100. */
  runs?: number;
  /** Examples per run; default 1 (the original's latency), 48 for throughput. */
  batch?: number;
  /** Seed of the random input; default 42. */
  seed?: number;
  /** Ctrl-C: between runs, signals are let in and an aborted signal throws `Interrupted`. */
  signal?: AbortSignal;
  /**
   * Time the model with BatchNormalization folded into its convolutions (default: on the native
   * `tensorflow` and the `wasm` backends).
   */
  fold?: boolean;
  /**
   * On the native `tensorflow` backend, time the (folded) model compiled into one TensorFlow
   * graph and session (`_tf_graph.ts`), the engine's inference path, rather than tfjs's one
   * TensorFlow call per op (default true; falls back to tfjs when a layer has no translation).
   */
  graph?: boolean;
}

/** What {@linkcode measureLatency} returns. Times are per run (one batch), in milliseconds. */
export interface LatencyResult {
  /** Median over the timed runs. */
  medianMs: number;
  /** 90th percentile (nearest rank). */
  p90Ms: number;
  /** Mean. */
  meanMs: number;
  /** Fastest run. */
  minMs: number;
  /** tfjs backend that ran it (`wasm`, `cpu`, `tensorflow`, …). */
  backend: string;
  /** True when the native engine ran it as one TensorFlow graph (`LatencyOptions.graph`). */
  graph: boolean;
  /** Examples per run. */
  batch: number;
  /** Timed runs. */
  runs: number;
  /** Examples per second at the median: batch / median. */
  throughputPerS: number;
}

/** Nearest-rank percentile `p` (0..100) of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError("percentile of no values");
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** Median of ascending `sorted` (mean of the middle two for an even count). */
function median(sorted: readonly number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/**
 * Times `model.predict` on a random input of shape [batch, ...model input shape].
 *
 * @example
 * ```ts
 * import { initBackend } from "./backend.ts";
 * import { buildModel } from "../models/mod.ts";
 * import { measureLatency } from "./latency.ts";
 * await initBackend({ backend: "wasm", threads: 1, quiet: true });
 * const model = buildModel("Efficient_VGG");
 * const r = await measureLatency(model, { warmup: 2, runs: 5 });
 * console.log(`${r.medianMs.toFixed(1)} ms (p90 ${r.p90Ms.toFixed(1)}) on ${r.backend}`); // "… on wasm"
 * model.dispose();
 * ```
 */
export async function measureLatency(
  model: tf.LayersModel,
  options: LatencyOptions = {},
): Promise<LatencyResult> {
  const { warmup = 10, runs = 100, batch = 1, seed = 42 } = options;
  for (const [k, v, min] of [["warmup", warmup, 0], ["runs", runs, 1], ["batch", batch, 1]]) {
    if (!Number.isInteger(v) || (v as number) < (min as number)) {
      throw new RangeError(`measureLatency: ${k} must be an integer >= ${min}, got ${v}`);
    }
  }
  const inputShape = model.inputs[0]!.shape.slice(1);
  if (!inputShape.every((d) => typeof d === "number")) {
    throw new Error(`measureLatency: ${model.name} has an undefined input dimension`);
  }
  const x = tf.randomNormal([batch, ...(inputShape as number[])], 0, 1, "float32", seed);
  const timed = (options.fold ?? ["tensorflow", "wasm"].includes(tf.getBackend()))
    ? await foldBatchNorm(model)
    : model;
  let graph: NativeGraph | null = null;
  if ((options.graph ?? true) && tf.getBackend() === "tensorflow") {
    graph = await tryNativeGraph(timed);
  }
  const xs = graph ? await x.data() as Float32Array : null;
  const once = async (): Promise<number> => {
    if (options.signal) {
      await nextTurn(); // untimed
      if (options.signal.aborted) {
        throw new Interrupted("interrupted while measuring latency", interruptExitCode());
      }
    }
    const t0 = performance.now();
    if (graph) {
      graph.run(xs!, batch); // synchronous: the output is read back when it returns
      return performance.now() - t0;
    }
    const y = tf.tidy(() => timed.predict(x) as tf.Tensor);
    await y.data();
    const dt = performance.now() - t0;
    y.dispose();
    throwIfWebGpuError("the latency measurement");
    return dt;
  };
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup; i++) await once();
    for (let i = 0; i < runs; i++) times.push(await once());
  } finally {
    x.dispose();
    graph?.dispose();
    if (timed !== model) timed.dispose();
  }
  times.sort((a, b) => a - b);
  const medianMs = median(times);
  return {
    medianMs,
    p90Ms: percentile(times, 90),
    meanMs: times.reduce((s, t) => s + t, 0) / times.length,
    minMs: times[0]!,
    backend: tf.getBackend(),
    graph: graph !== null,
    batch,
    runs,
    throughputPerS: (batch * 1000) / medianMs,
  };
}
