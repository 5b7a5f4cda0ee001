/**
 * Where a training step spends its time: the wall time of every kernel of one step, summed per
 * kernel name and phase (forward, backward, update), from tfjs's own profiler (`tf.profile`).
 * `deno task bench --only engine --profile` prints these tables; the fixes of the wasm engine are
 * chosen from them.
 *
 * Kernels nested inside another kernel (the patched wasm kernels call stock ones directly) count
 * towards the outer kernel. The wasm backend runs kernels synchronously, so a kernel's time is its
 * wall time including its threads.
 *
 * @module
 */
import process from "node:process";
import { tf } from "../engine/backend.ts";
import { crossEntropyTensor } from "../engine/loss.ts";
import { Adam } from "../engine/optim.ts";
import { buildModel, isModelName, MODEL_NAMES } from "./mod.ts";

/** Phase of a training step a kernel ran in. */
export type StepPhase = "forward" | "backward" | "update";

/** Time of one kernel name in one phase of a step. */
export interface KernelTime {
  /** tfjs kernel name (e.g. `Conv2DBackpropFilter`). */
  kernel: string;
  /** Phase. */
  phase: StepPhase;
  /** Milliseconds summed over the calls. */
  ms: number;
  /** Number of calls. */
  calls: number;
}

/** One profiled training step. */
export interface StepProfile {
  /** Model name. */
  model: string;
  /** Samples in the step. */
  batch: number;
  /** Samples per forward/backward pass. */
  microBatch: number;
  /** Per kernel and phase, slowest first. */
  kernels: KernelTime[];
  /** Sum of the kernel times. */
  kernelMs: number;
  /** Wall time of the profiled step (kernels plus JavaScript between them). */
  wallMs: number;
  /** Peak bytes of tensors alive during the step (tfjs's count, not the wasm heap). */
  peakBytes: number;
  /** Wall time of the fastest of two unprofiled steps (no per-kernel timing or submits). */
  stepMs: number;
  /** Kernels run in the step (tfjs's own kernels; scopes of custom gradients not counted). */
  calls: number;
  /** The clock kernel times were taken with ("gpu": the device's timestamp queries, WebGPU). */
  clock: "wall" | "cpu" | "gpu";
}

/** Options of {@linkcode profileTrainStep}. */
export interface ProfileOptions {
  /** Architecture (one of `MODEL_NAMES`) or a builder. */
  model: string | (() => tf.LayersModel);
  /** Samples per step (default 16). */
  batch?: number;
  /** Samples per forward/backward pass (default: the whole batch). */
  microBatch?: number;
  /**
   * What a kernel's time is: "wall" (default) or "cpu", the process's CPU time during the kernel
   * (user + system, all threads): steadier than wall time on a loaded machine, and with one
   * thread the kernel's own work. "gpu" (WebGPU): the device's own timestamps per kernel, which
   * the backend takes when the adapter has `timestamp-query` (else its times are 0).
   */
  clock?: "wall" | "cpu" | "gpu";
}

interface ActiveProfile {
  kernels: { name: string; kernelTimeMs: number | Promise<number> }[];
}

/**
 * Profiles one Adam training step (after one unprofiled warm-up step) on random data.
 *
 * @example
 * ```ts
 * import { initBackend } from "../engine/backend.ts";
 * import { profileTrainStep } from "./profile_bench.ts";
 * await initBackend({ backend: "wasm", threads: 1, quiet: true });
 * const p = await profileTrainStep({ model: "Efficient_VGG", batch: 2 });
 * console.log(p.kernels[0]); // the slowest kernel of the step
 * ```
 */
export async function profileTrainStep(options: ProfileOptions): Promise<StepProfile> {
  const batch = options.batch ?? 16;
  const micro = Math.min(batch, options.microBatch ?? batch);
  let name: string;
  let model: tf.LayersModel;
  if (typeof options.model === "string") {
    if (!isModelName(options.model)) {
      throw new RangeError(
        `unknown model "${options.model}"; expected one of ${MODEL_NAMES.join(", ")}`,
      );
    }
    name = options.model;
    model = buildModel(options.model, { seed: 42 });
  } else {
    model = options.model();
    name = model.name;
  }
  const shape = (model.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
  const classes = (model.outputs[0].shape as number[])[1];
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  // In a tidy: the zero tensors the moment variables start from are freed.
  let opt: Adam | null = null;
  tf.tidy(() => {
    opt = new Adam(vars);
  });
  const xs = tf.randomNormal([batch, ...shape], 0, 1, "float32", 1);
  const ys = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % classes), "int32");
  const marks: { at: number; phase: StepPhase }[] = [];
  const active = (): ActiveProfile =>
    (tf.engine() as unknown as { state: { activeProfile: ActiveProfile } }).state.activeProfile;
  const mark = (phase: StepPhase, profiling: boolean): void => {
    if (profiling) marks.push({ at: active().kernels.length, phase });
  };
  const step = async (profiling: boolean): Promise<void> => {
    let sum: tf.Tensor[] | null = null;
    for (let start = 0; start < batch; start += micro) {
      const end = Math.min(batch, start + micro);
      const x = tf.slice(xs, start, end - start);
      const y = tf.slice(ys, start, end - start);
      mark("forward", profiling);
      const { value, grads } = tf.variableGrads(() => {
        const p = model.apply(x, { training: true }) as tf.Tensor;
        const l = crossEntropyTensor(p, y, {}, batch);
        mark("backward", profiling);
        return l;
      }, vars);
      mark("update", profiling);
      const ordered = vars.map((v) => grads[v.name]!);
      if (sum === null) {
        sum = ordered;
      } else {
        const prev: tf.Tensor[] = sum;
        sum = prev.map((s, i) => tf.add(s, ordered[i]!));
        tf.dispose([...prev, ...ordered]);
      }
      await value.data();
      tf.dispose([x, y, value]);
    }
    opt!.applyGradients(sum!);
    tf.dispose(sum!);
    await vars[0]!.data();
  };
  const clock = options.clock ?? "wall";
  const backend = tf.backend() as unknown as { time(f: () => void): Promise<{ kernelMs: number }> };
  const ownTime = Object.hasOwn(backend, "time");
  const wallTime = backend.time;
  try {
    await step(false);
    let stepMs = Infinity;
    for (let i = 0; i < 2; i++) {
      const s0 = performance.now();
      await step(false);
      stepMs = Math.min(stepMs, performance.now() - s0);
    }
    if (clock === "cpu") {
      backend.time = (f: () => void): Promise<{ kernelMs: number }> => {
        const c0 = process.cpuUsage();
        f();
        const c = process.cpuUsage(c0);
        return Promise.resolve({ kernelMs: (c.user + c.system) / 1000 });
      };
    }
    const t0 = performance.now();
    const info = await tf.profile(() => step(true));
    const wallMs = performance.now() - t0;
    const byKey = new Map<string, KernelTime>();
    let m = 0;
    let phase: StepPhase = "forward";
    let kernelMs = 0, calls = 0;
    const backendName = tf.getBackend();
    info.kernels.forEach((k, i) => {
      while (m < marks.length && marks[m]!.at <= i) phase = marks[m++]!.phase;
      // Scopes (custom-gradient ops such as `fusedConv2d__op`) contain kernels listed on their own.
      if (tf.getKernel(k.name, backendName) === undefined) return;
      const key = `${phase}\u0000${k.name}`;
      const row = byKey.get(key) ?? { kernel: k.name, phase, ms: 0, calls: 0 };
      row.ms += k.kernelTimeMs as number;
      row.calls++;
      calls++;
      kernelMs += k.kernelTimeMs as number;
      byKey.set(key, row);
    });
    const kernels = [...byKey.values()].sort((a, b) => b.ms - a.ms);
    return {
      model: name,
      batch,
      microBatch: micro,
      kernels,
      kernelMs,
      wallMs,
      stepMs,
      calls,
      peakBytes: info.peakBytes,
      clock,
    };
  } finally {
    if (ownTime) backend.time = wallTime;
    else delete (backend as { time?: unknown }).time;
    tf.dispose([xs, ys]);
    opt!.dispose();
    model.dispose();
  }
}

/**
 * The profile as a text table: one line per kernel and phase, slowest first, with its share of
 * the kernel time; kernels under `minShare` of the total are summed into one line.
 *
 * @example
 * ```ts
 * import { formatProfile } from "./profile_bench.ts";
 * console.log(formatProfile({
 *   model: "m", batch: 2, microBatch: 2, kernelMs: 3, wallMs: 4, stepMs: 3, calls: 1, peakBytes: 0,
 *   clock: "wall",
 *   kernels: [{ kernel: "Conv2D", phase: "forward", ms: 3, calls: 1 }],
 * }));
 * ```
 */
export function formatProfile(p: StepProfile, minShare = 0.005): string {
  const lines: string[][] = [["kernel", "phase", "calls", "ms", "share"]];
  let restMs = 0, restCalls = 0;
  for (const k of p.kernels) {
    const share = p.kernelMs > 0 ? k.ms / p.kernelMs : 0;
    if (share < minShare) {
      restMs += k.ms;
      restCalls += k.calls;
      continue;
    }
    lines.push([
      k.kernel,
      k.phase,
      String(k.calls),
      k.ms.toFixed(1),
      `${(share * 100).toFixed(1)}%`,
    ]);
  }
  if (restCalls > 0) {
    lines.push([
      "(other)",
      "",
      String(restCalls),
      restMs.toFixed(1),
      `${(100 * restMs / Math.max(1e-9, p.kernelMs)).toFixed(1)}%`,
    ]);
  }
  const phases: StepPhase[] = ["forward", "backward", "update"];
  const per = phases.map((ph) =>
    `${ph} ${p.kernels.filter((k) => k.phase === ph).reduce((s, k) => s + k.ms, 0).toFixed(0)} ms`
  );
  const w = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const body = lines.map((l) =>
    l.map((c, i) => (i >= 2 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join("  ").trimEnd()
  );
  return [
    `${p.model}: batch ${p.batch} (micro-batch ${p.microBatch}), kernels ${
      p.kernelMs.toFixed(0)
    } ms ${p.clock} (${per.join(", ")}) in ${p.calls} kernel calls, step wall ${
      p.stepMs.toFixed(0)
    } ms (${p.wallMs.toFixed(0)} ms profiled), peak tensors ${
      (p.peakBytes / 2 ** 20).toFixed(0)
    } MiB`,
    ...body,
  ].join("\n");
}
