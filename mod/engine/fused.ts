/**
 * Fused BatchNormalization (+ activation) and PReLU: one seam through which a backend supplies
 * its own kernels for the two layers that dominate the op count of the project's models, without
 * changing the models or their saved format.
 *
 * - {@linkcode FusedBatchNormKernels}: training forward/backward (and optionally inference) of
 *   `act(gamma · (x − mean) / √(var + ε) + beta)` on NHWC float32, registered per backend with
 *   {@linkcode registerFusedBatchNorm}. The native TensorFlow backend registers TensorFlow's own
 *   `FusedBatchNormV3` / `FusedBatchNormGradV3` (see `_native_fused.ts`); the wasm backend
 *   registers its WebAssembly SIMD kernels, `wasmFusedBatchNorm` (see `_wasm_fused.ts`).
 * - {@linkcode registerFusedPrelu}: a differentiable PReLU for a backend.
 * - {@linkcode installFusedLayers}: routes `tf.layers` BatchNormalization and PReLU calls through
 *   the kernels of the **active** backend when it has registered some, and through the stock
 *   tfjs code otherwise. Models are built and saved exactly as before (standard LayersModel JSON):
 *   only the computation behind `layer.call` changes. In training, when a BatchNormalization
 *   layer's only consumer is a ReLU (`Activation("relu")` or `ReLU` without a cap) or a
 *   per-channel `PReLU` layer, the activation is fused too: the BatchNormalization call returns the
 *   activated tensor and the activation layer passes that very tensor through.
 *
 * Moving statistics follow the stock tfjs layer (and Keras 3's BatchNormalization, which uses
 * `ops.moments`): they are updated with the **biased** batch variance. Kernels return the
 * Bessel-corrected variance (what TensorFlow's fused op gives); the layer rescales it by
 * (m − 1)/m, m = N·H·W, before the moving-average update, so a model trains to the same moving
 * statistics on every backend.
 *
 * {@linkcode compositionFusedBatchNorm} implements the interface with ordinary tfjs ops; it is the
 * reference the native kernels are checked against and works on every backend.
 *
 * ```ts
 * import { compositionFusedBatchNorm, fusedBatchNorm, registerFusedBatchNorm } from "./fused.ts";
 * import { initBackend, tf } from "./backend.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * registerFusedBatchNorm("cpu", compositionFusedBatchNorm);
 * const x = tf.randomNormal<tf.Rank.R4>([2, 4, 4, 3]);
 * const { y, mean, variance } = fusedBatchNorm(x, tf.ones([3]), tf.zeros([3]), 1e-3, "relu");
 * console.log(y.shape, mean.shape, variance.shape); // [2,4,4,3] [3] [3]
 * tf.dispose([x, y, mean, variance]);
 * ```
 *
 * @module
 */
// Imported directly (not from backend.ts, which imports this module to register the native
// kernels): the same module instance, so the same engine and kernels.
import * as tf from "@tensorflow/tfjs";

/** Activation fused after the normalisation. */
export type FusedActivation = "linear" | "relu" | "prelu";

/** What {@linkcode FusedBatchNormKernels.trainForward} returns. */
export interface FusedForward {
  y: tf.Tensor4D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  saved: tf.Tensor[];
}

/** What {@linkcode FusedBatchNormKernels.trainBackward} returns. */
export interface FusedBackward {
  dx: tf.Tensor4D;
  dgamma: tf.Tensor1D;
  dbeta: tf.Tensor1D;
  dalpha?: tf.Tensor;
}

/** A backend's fused BatchNormalization kernels (NHWC, float32, statistics over N, H, W). */
export interface FusedBatchNormKernels {
  /**
   * Training forward on NHWC float32: y = act(gamma * (x - mean) / sqrt(var + eps) + beta) with
   * batch statistics; returns y, the batch mean and the Bessel-corrected batch variance (what
   * Keras/TF FusedBatchNormV3 uses for the moving averages), and tensors kept for backward.
   */
  trainForward(
    x: tf.Tensor4D,
    gamma: tf.Tensor1D,
    beta: tf.Tensor1D,
    epsilon: number,
    activation: FusedActivation,
    alpha?: tf.Tensor,
  ): FusedForward;
  /** Backward: gradients w.r.t. x, gamma, beta (and alpha for prelu). */
  trainBackward(
    dy: tf.Tensor4D,
    x: tf.Tensor4D,
    gamma: tf.Tensor1D,
    saved: tf.Tensor[],
    epsilon: number,
    activation: FusedActivation,
    alpha?: tf.Tensor,
  ): FusedBackward;
  /**
   * Optional inference forward with given statistics (moving mean and variance), no activation;
   * when absent, inference uses the stock tfjs `batchNorm`.
   */
  inference?(
    x: tf.Tensor4D,
    gamma: tf.Tensor1D,
    beta: tf.Tensor1D,
    mean: tf.Tensor1D,
    variance: tf.Tensor1D,
    epsilon: number,
  ): tf.Tensor4D;
}

/** A differentiable PReLU `x > 0 ? x : alpha · x` (alpha broadcast against x). */
export type FusedPrelu = (x: tf.Tensor, alpha: tf.Tensor) => tf.Tensor;

const bnRegistry = new Map<string, FusedBatchNormKernels>();
const preluRegistry = new Map<string, FusedPrelu>();

/**
 * Registers `kernels` for `backend` (a `tf.getBackend()` name); replaces earlier ones.
 *
 * @example
 * ```ts
 * import { compositionFusedBatchNorm, fusedKernels, registerFusedBatchNorm } from "./fused.ts";
 * registerFusedBatchNorm("cpu", compositionFusedBatchNorm);
 * fusedKernels("cpu") === compositionFusedBatchNorm; // true
 * ```
 */
export function registerFusedBatchNorm(backend: string, kernels: FusedBatchNormKernels): void {
  bnRegistry.set(backend, kernels);
  installFusedLayers();
}

/**
 * Removes the kernels of `backend` (its layers go back to the stock tfjs code); returns the
 * kernels that were registered, or null.
 *
 * @example
 * ```ts
 * import { fusedKernels, unregisterFusedBatchNorm } from "./fused.ts";
 * unregisterFusedBatchNorm("cpu");
 * fusedKernels("cpu"); // null
 * ```
 */
export function unregisterFusedBatchNorm(backend: string): FusedBatchNormKernels | null {
  const k = bnRegistry.get(backend) ?? null;
  bnRegistry.delete(backend);
  return k;
}

/**
 * The BatchNormalization kernels registered for `backend` (default: the active one), or null.
 *
 * @example
 * ```ts
 * import { fusedKernels } from "./fused.ts";
 * fusedKernels("no-such-backend"); // null
 * ```
 */
export function fusedKernels(backend: string = tf.getBackend()): FusedBatchNormKernels | null {
  return bnRegistry.get(backend) ?? null;
}

/**
 * Registers a differentiable PReLU for `backend` (used by the PReLU layer once
 * {@linkcode installFusedLayers} ran); `null` removes it.
 *
 * @example
 * ```ts
 * import { compositionPrelu, registerFusedPrelu } from "./fused.ts";
 * registerFusedPrelu("cpu", compositionPrelu);
 * registerFusedPrelu("cpu", null);
 * ```
 */
export function registerFusedPrelu(backend: string, prelu: FusedPrelu | null): void {
  if (prelu) preluRegistry.set(backend, prelu);
  else preluRegistry.delete(backend);
}

/** PReLU with stock tfjs ops (`tf.prelu`). */
export const compositionPrelu: FusedPrelu = (x, alpha) => tf.prelu(x, alpha);

/**
 * The interface with ordinary tfjs ops: forward as `tf.moments` + `tf.batchNorm` (+ activation),
 * backward written out (the standard batch-norm gradient). Works on every backend.
 */
export const compositionFusedBatchNorm: FusedBatchNormKernels = {
  trainForward(x, gamma, beta, epsilon, activation, alpha): FusedForward {
    const m = x.shape[0] * x.shape[1] * x.shape[2];
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const xhat = tf.mul(tf.sub(x, mean), invStd);
    const z = tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor4D;
    const y = activate(z, activation, alpha);
    const corrected = tf.mul(variance, m / Math.max(1, m - 1)) as tf.Tensor1D;
    const saved = [xhat, invStd, z];
    tf.dispose([variance]);
    if (y !== z) saved.push(y);
    return { y, mean: mean as tf.Tensor1D, variance: corrected, saved };
  },
  trainBackward(dy, _x, gamma, saved, _epsilon, activation, alpha): FusedBackward {
    const [xhat, invStd, z] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D];
    const { dz, dalpha } = activationGrad(dy, z, activation, alpha);
    const m = xhat.shape[0] * xhat.shape[1] * xhat.shape[2];
    const dbeta = tf.sum(dz, [0, 1, 2]) as tf.Tensor1D;
    const dgamma = tf.sum(tf.mul(dz, xhat), [0, 1, 2]) as tf.Tensor1D;
    // dx = gamma·invStd/m · (m·dz − Σdz − xhat·Σ(dz·xhat))
    const dx = tf.mul(
      tf.mul(gamma, tf.div(invStd, m)),
      tf.sub(tf.sub(tf.mul(dz, m), dbeta), tf.mul(xhat, dgamma)),
    ) as tf.Tensor4D;
    if (dz !== dy) dz.dispose();
    return { dx, dgamma, dbeta, ...(dalpha ? { dalpha } : {}) };
  },
};

function activate(z: tf.Tensor4D, activation: FusedActivation, alpha?: tf.Tensor): tf.Tensor4D {
  if (activation === "relu") return tf.relu(z);
  if (activation === "prelu") {
    if (!alpha) throw new Error("fused batch norm: prelu needs alpha");
    return tf.prelu(z, alpha) as tf.Tensor4D;
  }
  return z;
}

function activationGrad(
  dy: tf.Tensor4D,
  z: tf.Tensor4D,
  activation: FusedActivation,
  alpha?: tf.Tensor,
): { dz: tf.Tensor4D; dalpha?: tf.Tensor } {
  if (activation === "linear") return { dz: dy };
  const pos = tf.greater(z, 0);
  try {
    if (activation === "relu") return { dz: tf.where(pos, dy, tf.zerosLike(dy)) };
    const dz = tf.where(pos, dy, tf.mul(dy, alpha!)) as tf.Tensor4D;
    const contrib = tf.where(pos, tf.zerosLike(dy), tf.mul(dy, z));
    return { dz, dalpha: sumToShape(contrib, alpha!.shape) };
  } finally {
    pos.dispose();
  }
}

/** Sums `t` over the axes along which a tensor of `shape` was broadcast to `t.shape`. */
export function sumToShape(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const lead = t.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < t.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && t.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? tf.sum(t, axes, true) : t;
  return tf.reshape(s, [...shape]);
}

/**
 * Differentiable fused batch normalization with batch statistics on the active backend's kernels
 * (the composition when it registered none): returns y and the batch mean and Bessel-corrected
 * variance (not differentiated; kept out of any `tf.tidy`: the caller disposes them). Gradients
 * flow to x, gamma, beta and alpha.
 *
 * @example
 * ```ts
 * import { fusedBatchNorm } from "./fused.ts";
 * import { initBackend, tf } from "./backend.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const x = tf.randomNormal<tf.Rank.R4>([2, 3, 3, 2]);
 * const g = tf.grad((v: tf.Tensor) =>
 *   fusedBatchNorm(v as tf.Tensor4D, tf.ones([2]), tf.zeros([2]), 1e-3, "linear").y.square().sum()
 * );
 * console.log(g(x).shape); // [2, 3, 3, 2]
 * ```
 */
export function fusedBatchNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  activation: FusedActivation,
  alpha?: tf.Tensor,
  kernels: FusedBatchNormKernels = fusedKernels() ?? compositionFusedBatchNorm,
): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  let mean: tf.Tensor1D | null = null;
  let variance: tf.Tensor1D | null = null;
  const withAlpha = activation === "prelu";
  if (withAlpha && !alpha) throw new Error("fusedBatchNorm: prelu needs alpha");
  const f = tf.customGrad((...args: (tf.Tensor | ((s: tf.Tensor[]) => void))[]) => {
    const save = args[args.length - 1] as (s: tf.Tensor[]) => void;
    const [xi, g, b, a] = args as tf.Tensor[];
    const r = kernels.trainForward(
      xi as tf.Tensor4D,
      g as tf.Tensor1D,
      b as tf.Tensor1D,
      epsilon,
      activation,
      withAlpha ? a : undefined,
    );
    // The engine runs a custom gradient's forward inside a tidy: keep the statistics out of it.
    mean = tf.keep(r.mean);
    variance = tf.keep(r.variance);
    const nSaved = r.saved.length;
    save([xi!, g!, ...(withAlpha ? [a!] : []), ...r.saved]);
    return {
      value: r.y,
      gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => {
        const sx = s[0] as tf.Tensor4D;
        const sg = s[1] as tf.Tensor1D;
        const sa = withAlpha ? s[2] : undefined;
        const rest = s.slice(s.length - nSaved);
        const d = kernels.trainBackward(
          dy as tf.Tensor4D,
          sx,
          sg,
          rest,
          epsilon,
          activation,
          sa,
        );
        return withAlpha ? [d.dx, d.dgamma, d.dbeta, d.dalpha!] : [d.dx, d.dgamma, d.dbeta];
      },
    };
  });
  const inputs = withAlpha ? [x, gamma, beta, alpha!] : [x, gamma, beta];
  const y = (f as unknown as (...t: tf.Tensor[]) => tf.Tensor4D)(...inputs);
  return { y, mean: mean!, variance: variance! };
}

// --- routing tf.layers through the registered kernels ----------------------------------------

interface LayerVar {
  read(): tf.Tensor;
  write(t: tf.Tensor): void;
  shape: number[];
}

interface BatchNormLike {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: LayerVar | null;
  beta: LayerVar | null;
  movingMean: LayerVar;
  movingVariance: LayerVar;
  outboundNodes?: { outboundLayer: unknown }[];
}

type Call = (
  this: unknown,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
) => tf.Tensor | tf.Tensor[];

let installed = false;

/** Tensors a fused training call already activated, mapped to the activation layer that would. */
const activated = new WeakMap<tf.Tensor, unknown>();

/**
 * Routes every BatchNormalization and PReLU layer (built before or after) through the kernels
 * registered for the active backend; layers on a backend without registrations run the stock
 * tfjs code. Idempotent. Only NHWC 4-D BatchNormalization with `axis` −1 (or 3), `center` and
 * `scale` is routed; anything else keeps the stock path.
 *
 * @example
 * ```ts
 * import { installFusedLayers } from "./fused.ts";
 * installFusedLayers();
 * ```
 */
export function installFusedLayers(): void {
  if (installed) return;
  installed = true;
  const bnProto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call };
  const stockBn = bnProto.call;
  bnProto.call = function (this: unknown, inputs, kwargs): tf.Tensor | tf.Tensor[] {
    const kernels = fusedKernels();
    const layer = this as BatchNormLike;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kernels === null || !routable(layer, x)) return stockBn.call(this, inputs, kwargs);
    if (kwargs?.["training"] === true) {
      const next = layer.outboundNodes?.length === 1 ? layer.outboundNodes[0]!.outboundLayer : null;
      const act = next ? fusable(next, x.shape[3]!) : null;
      const y = tf.tidy(() => bnTrain(layer, x as tf.Tensor4D, kernels, act));
      if (act) activated.set(y, next);
      return y;
    }
    if (!kernels.inference) return stockBn.call(this, inputs, kwargs);
    return tf.tidy(() => bnInfer(layer, x as tf.Tensor4D, kernels.inference!.bind(kernels)));
  };
  const preluProto = Object.getPrototypeOf(tf.layers.prelu({})) as { call: Call };
  const stockPrelu = preluProto.call;
  preluProto.call = function (this: unknown, inputs, kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs?.["training"] === true && activated.get(x) === this) return x;
    const fn = preluRegistry.get(tf.getBackend());
    if (!fn) return stockPrelu.call(this, inputs, kwargs);
    return fn(x, (this as { alpha: LayerVar }).alpha.read());
  };
  for (const layer of [tf.layers.activation({ activation: "relu" }), tf.layers.reLU({})]) {
    const proto = Object.getPrototypeOf(layer) as { call: Call };
    const stock = proto.call;
    proto.call = function (this: unknown, inputs, kwargs): tf.Tensor | tf.Tensor[] {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (kwargs?.["training"] === true && activated.get(x) === this) return x;
      return stock.call(this, inputs, kwargs);
    };
  }
}

/** The activation `layer` applies, when it can be fused after a BatchNormalization over `channels`. */
function fusable(
  layer: unknown,
  channels: number,
): { activation: FusedActivation; alpha?: LayerVar } | null {
  const l = layer as { getClassName?(): string };
  const name = typeof l.getClassName === "function" ? l.getClassName() : "";
  if (name === "Activation") {
    const act = (layer as { activation?: { getClassName(): string } }).activation;
    return act?.getClassName() === "relu" ? { activation: "relu" } : null;
  }
  if (name === "ReLU") {
    const maxValue = (layer as { maxValue?: number | null }).maxValue;
    return maxValue === null || maxValue === undefined ? { activation: "relu" } : null;
  }
  if (name === "PReLU") {
    const alpha = (layer as { alpha?: LayerVar }).alpha;
    if (!alpha || alpha.shape.reduce((a, b) => a * b, 1) !== channels) return null;
    return alpha.shape[alpha.shape.length - 1] === channels ? { activation: "prelu", alpha } : null;
  }
  return null;
}

function routable(layer: BatchNormLike, x: tf.Tensor): boolean {
  return x.rank === 4 && x.dtype === "float32" && (layer.axis === -1 || layer.axis === 3) &&
    layer.center && layer.scale && layer.gamma !== null && layer.beta !== null;
}

function bnTrain(
  layer: BatchNormLike,
  x: tf.Tensor4D,
  kernels: FusedBatchNormKernels,
  act: { activation: FusedActivation; alpha?: LayerVar } | null,
): tf.Tensor {
  const { y, mean, variance } = fusedBatchNorm(
    x,
    layer.gamma!.read() as tf.Tensor1D,
    layer.beta!.read() as tf.Tensor1D,
    layer.epsilon,
    act?.activation ?? "linear",
    act?.alpha?.read(),
    kernels,
  );
  const m = x.shape[0] * x.shape[1] * x.shape[2];
  const biased = tf.mul(variance, m > 1 ? (m - 1) / m : 1);
  const decay = 1 - layer.momentum;
  for (const [v, value] of [[layer.movingMean, mean], [layer.movingVariance, biased]] as const) {
    const old = v.read();
    v.write(tf.sub(old, tf.mul(tf.sub(old, value), decay)));
  }
  tf.dispose([mean, variance]);
  return y;
}

function bnInfer(
  layer: BatchNormLike,
  x: tf.Tensor4D,
  inference: NonNullable<FusedBatchNormKernels["inference"]>,
): tf.Tensor {
  return inference(
    x,
    layer.gamma!.read() as tf.Tensor1D,
    layer.beta!.read() as tf.Tensor1D,
    layer.movingMean.read() as tf.Tensor1D,
    layer.movingVariance.read() as tf.Tensor1D,
    layer.epsilon,
  );
}
