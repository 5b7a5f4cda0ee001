/**
 * Training-engine benchmark: training throughput, achieved GFLOP/s and batch-1 latency of the
 * project's architectures on the current backend. `deno task bench` prints these lines; the
 * figures are never asserted by tests (timing on shared CI machines is noise).
 *
 * - `train_samples_per_s:<model>`: samples per second of full training steps (forward, loss,
 *   gradients, Adam update) on random data at `batch`, after one warm-up step.
 * - `train_gflops:<model>`: 3 × forward FLOPs per sample × samples/s (the usual convention that a
 *   training step costs three forward passes), FLOPs from {@linkcode modelFlops}.
 * - `train_cpu_ms_per_sample:<model>`: the process's CPU time (all threads) per training sample
 *   over the same steps: steadier than samples/s on a machine other programs load.
 * - `latency_ms:<model>`: median of `latencyRuns` batch-1 inference calls after 10 warm-up calls,
 *   with BatchNormalization folded into the convolutions ({@linkcode foldBatchNorm}).
 *
 * @module
 */
import process from "node:process";
import { initBackend, tf } from "../engine/backend.ts";
import { buildModel, isModelName, MODEL_NAMES } from "./mod.ts";
import { modelFlops } from "../engine/flops.ts";
import { foldBatchNorm } from "../engine/fold.ts";

/** One benchmark figure, in the `deno task bench --json` line format. */
export interface EngineBenchResult {
  /**
   * `train_samples_per_s:<model>`, `train_gflops:<model>`, `train_cpu_ms_per_sample:<model>` or
   * `latency_ms:<model>`.
   */
  name: string;
  /** The figure. */
  value: number;
  /** "samples/s", "GFLOP/s", "ms" or "ms/sample". */
  unit: string;
  /** `tf.getBackend()` during the measurement. */
  backend: string;
  /** Backend threads. */
  threads: number;
}

/** A model to benchmark that is not one of the built-in architectures. */
export interface BenchModel {
  /** Name used in the result names. */
  name: string;
  /** Builds a fresh model taking [batch, ...inputShape] and giving class probabilities. */
  build: () => tf.LayersModel;
  /** Forward FLOPs per sample; default {@linkcode modelFlops} of the built model. */
  flops?: number;
}

/** Options of {@linkcode benchEngine}. */
export interface BenchEngineOptions {
  /** Built-in architectures to run (default all four). */
  models?: string[];
  /** Extra models (builders) to run after the built-in ones. */
  custom?: BenchModel[];
  /**
   * Training batch size (default 48, the recipes' batch: with fused BatchNormalization every
   * model trains on whole batches of 48 within the 4 GB wasm heap).
   */
  batch?: number;
  /** Timed training steps per model (default 3). */
  steps?: number;
  /** Timed batch-1 inference calls per model (default 100). */
  latencyRuns?: number;
  /** Backend options passed to {@linkcode initBackend} (default: auto, quiet). */
  backend?: Parameters<typeof initBackend>[0];
  /** Called with each result as soon as it is measured (e.g. to print progress). */
  onResult?: (r: EngineBenchResult) => void;
}

/**
 * Measures training throughput, GFLOP/s and batch-1 latency per model.
 *
 * @example
 * ```ts
 * import { benchEngine } from "./engine_bench.ts";
 * const rows = await benchEngine({ models: ["Efficient_VGG"], batch: 8, steps: 1, latencyRuns: 5 });
 * rows.map((r) => `${r.name} ${r.value.toFixed(1)} ${r.unit}`);
 * ```
 */
export async function benchEngine(options: BenchEngineOptions = {}): Promise<EngineBenchResult[]> {
  const info = await initBackend({ quiet: true, ...options.backend });
  const batch = options.batch ?? 48;
  const steps = options.steps ?? 3;
  const latencyRuns = options.latencyRuns ?? 100;
  const names = options.models ?? [...MODEL_NAMES];
  const todo: BenchModel[] = [];
  for (const name of names) {
    if (!isModelName(name)) {
      throw new RangeError(`unknown model "${name}"; expected one of ${MODEL_NAMES.join(", ")}`);
    }
    todo.push({ name, build: () => buildModel(name, { seed: 42 }) });
  }
  todo.push(...(options.custom ?? []));
  const results: EngineBenchResult[] = [];
  const emit = (name: string, value: number, unit: string): void => {
    const r = { name, value, unit, backend: info.name, threads: info.threads };
    results.push(r);
    options.onResult?.(r);
  };
  for (const m of todo) {
    const model = m.build();
    const flops = m.flops ?? modelFlops(model).total;
    const { samplesPerS: sps, cpuMsPerSample } = trainThroughput(model, batch, steps);
    emit(`train_samples_per_s:${m.name}`, sps, "samples/s");
    emit(`train_gflops:${m.name}`, (3 * flops * sps) / 1e9, "GFLOP/s");
    emit(`train_cpu_ms_per_sample:${m.name}`, cpuMsPerSample, "ms/sample");
    // Inference as deployed: BatchNormalization folded into the convolutions.
    const folded = await foldBatchNorm(model);
    emit(`latency_ms:${m.name}`, latencyMs(folded, latencyRuns), "ms");
    folded.dispose();
    model.dispose();
  }
  return results;
}

function inputShape(model: tf.LayersModel): number[] {
  return (model.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
}

/**
 * Samples/s and process CPU ms per sample of Adam training steps on random data (one warm-up
 * step, then `steps` timed).
 */
function trainThroughput(
  model: tf.LayersModel,
  batch: number,
  steps: number,
): { samplesPerS: number; cpuMsPerSample: number } {
  const shape = inputShape(model);
  const classes = (model.outputs[0].shape as number[])[1];
  const optimizer = tf.train.adam(1e-3);
  const xs = tf.randomNormal([batch, ...shape], 0, 1, "float32", 1);
  const labels = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % classes), "int32");
  const ys = tf.oneHot(labels, classes);
  labels.dispose();
  const step = (): void => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor),
      true,
    );
    loss?.dataSync();
    loss?.dispose();
  };
  step();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) step();
  const cpu = process.cpuUsage(c0);
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([xs, ys]);
  optimizer.dispose();
  return {
    samplesPerS: (batch * steps) / seconds,
    cpuMsPerSample: (cpu.user + cpu.system) / 1000 / (batch * steps),
  };
}

/** Median batch-1 inference latency in ms (10 warm-up calls). */
function latencyMs(model: tf.LayersModel, runs: number): number {
  const x = tf.randomNormal([1, ...inputShape(model)], 0, 1, "float32", 2);
  const once = (): number => {
    const t0 = performance.now();
    const y = model.predict(x) as tf.Tensor;
    y.dataSync();
    y.dispose();
    return performance.now() - t0;
  };
  for (let i = 0; i < 10; i++) once();
  const times = Array.from({ length: Math.max(1, runs) }, once).sort((a, b) => a - b);
  x.dispose();
  return times[Math.floor(times.length / 2)];
}
