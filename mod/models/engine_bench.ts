/**
 * Training-engine benchmark: training throughput, achieved GFLOP/s and batch-1 latency of the
 * project's architectures on the current backend. `deno task bench` prints these lines (per
 * backend, side by side with Keras when it is installed); the figures are never asserted by tests
 * (timing on shared CI machines is noise).
 *
 * - `train_samples_per_s:<model>`: samples per second of the trainer's own step (`queueTrainStep`:
 *   forward, Keras cross-entropy, gradients, the project's Keras-exact Adam) on random data at
 *   `batch` (48, the original's), after one warm-up step. Whole batches, as training runs; on
 *   WebGPU each step is
 *   queued before the previous one is read back, as `train` does.
 * - `train_gflops:<model>`: 3 × forward FLOPs per sample × samples/s (the usual convention that a
 *   training step costs three forward passes), FLOPs from {@linkcode modelFlops}.
 * - `train_cpu_ms_per_sample:<model>`: the process's CPU time (all threads) per training sample
 *   over the same steps: steadier than samples/s on a machine other programs load.
 * - `latency_ms:<model>`: median of `latencyRuns` batch-1 inference calls after 10 warm-up calls,
 *   on the model with BatchNormalization folded into its convolutions (`measureLatency` with
 *   `fold`), the inference path of `predict`: on the native engine one TensorFlow graph.
 *
 * @module
 */
import process from "node:process";
import { backendInfo, initBackend, tf, throwIfWebGpuError } from "../engine/backend.ts";
import { buildModel, isModelName, MODEL_NAMES } from "./mod.ts";
import { modelFlops } from "../engine/flops.ts";
import { measureLatency } from "../engine/latency.ts";
import { Adam } from "../engine/optim.ts";
import { dropoutLayers, type QueuedStep, queueTrainStep } from "../engine/batches.ts";

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
  /** The device, when the backend names one (WebGPU: the adapter, e.g. "apple metal-3 (…)"). */
  device?: string;
  /** Samples per optimizer step (training figures). */
  batch?: number;
  /** Largest forward/backward pass (training figures). */
  micro_batch?: number;
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
  /** Training batch size (default 48, the original's). */
  batch?: number;
  /** Micro-batch (default: the whole batch; smaller ones run layer-major, `_layer_major.ts`). */
  microBatch?: number;
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
  await initBackend({ quiet: true, ...options.backend });
  const info = backendInfo()!;
  const batch = options.batch ?? 48;
  const micro = Math.min(
    batch,
    options.microBatch ?? batch,
  );
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
  const emit = (name: string, value: number, unit: string, train = false): void => {
    const r: EngineBenchResult = {
      name,
      value,
      unit,
      backend: info.name,
      threads: info.threads,
      ...(info.device ? { device: info.device } : {}),
      ...(train ? { batch, micro_batch: micro } : {}),
    };
    results.push(r);
    options.onResult?.(r);
  };
  for (const m of todo) {
    const model = m.build();
    const flops = m.flops ?? modelFlops(model).total;
    const { samplesPerS: sps, cpuMsPerSample } = await trainThroughput(model, batch, micro, steps);
    emit(`train_samples_per_s:${m.name}`, sps, "samples/s", true);
    emit(`train_gflops:${m.name}`, (3 * flops * sps) / 1e9, "GFLOP/s", true);
    emit(`train_cpu_ms_per_sample:${m.name}`, cpuMsPerSample, "ms/sample", true);
    // Inference as deployed: BatchNormalization folded into the convolutions (on the native
    // engine, run as one TensorFlow graph).
    const lat = await measureLatency(model, { warmup: 10, runs: latencyRuns, fold: true, seed: 2 });
    emit(`latency_ms:${m.name}`, lat.medianMs, "ms");
    model.dispose();
  }
  return results;
}

function inputShape(model: tf.LayersModel): number[] {
  return (model.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
}

/**
 * Samples/s and process CPU ms per sample of the trainer's steps on random data (one warm-up
 * step, then `steps` timed).
 */
async function trainThroughput(
  model: tf.LayersModel,
  batch: number,
  microBatch: number,
  steps: number,
): Promise<{ samplesPerS: number; cpuMsPerSample: number }> {
  const shape = inputShape(model);
  const classes = (model.outputs[0].shape as number[])[1]!;
  const size = shape.reduce((a, b) => a * b, 1);
  const xt = tf.randomNormal([batch * size], 0, 1, "float32", 1);
  const x = await xt.data();
  xt.dispose();
  const y = Int32Array.from({ length: batch }, (_, i) => i % classes);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = new Adam(vars, { lr: 1e-3 });
  const dropouts = dropoutLayers(model);
  const queue = (): QueuedStep =>
    queueTrainStep(model, vars, opt, {
      x: x as Float32Array,
      y,
      sampleShape: shape,
      numClasses: classes,
      microBatch,
      lossOptions: {},
      dropouts,
      seedFor: (micro, layer) => 1000 * micro + layer,
    });
  await queue().read();
  throwIfWebGpuError("the engine benchmark");
  // As `train` runs: on WebGPU the next step is queued before the previous one is read back.
  const lookahead = tf.getBackend() === "webgpu";
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let pending: QueuedStep | null = null;
  for (let i = 0; i < steps; i++) {
    const q = queue();
    if (pending !== null) await pending.read();
    pending = q;
    if (!lookahead) {
      await pending.read();
      pending = null;
    }
  }
  if (pending !== null) await (pending as QueuedStep).read();
  throwIfWebGpuError("the engine benchmark");
  const cpu = process.cpuUsage(c0);
  const seconds = (performance.now() - t0) / 1000;
  opt.dispose();
  return {
    samplesPerS: (batch * steps) / seconds,
    cpuMsPerSample: (cpu.user + cpu.system) / 1000 / (batch * steps),
  };
}
