/**
 * Fused BatchNormalization (+ activation) for training: a backend registers kernels that compute
 * batch statistics, normalisation, scale/shift and the activation in one forward pass and the
 * gradients of the pair in one backward pass ({@linkcode registerFusedBatchNorm}); while the
 * active backend has such kernels, every `BatchNormalization` layer called with
 * `training: true` on a 4-D NHWC input runs through them (composition of tfjs ops otherwise, and
 * always in inference), with Keras's moving-average semantics: Keras 3's BatchNormalization
 * (`ops.moments`) and tf.keras 2's fused path (which removes the Bessel correction of
 * `FusedBatchNormV3` before the update) both move the statistics towards the **biased** batch
 * variance, as stock tfjs does; the kernels return the Bessel-corrected variance (what
 * TensorFlow's fused op gives), which the layer rescales by (m − 1)/m, m = N·H·W.
 *
 * When the layer's only consumer is a ReLU `Activation` or a per-channel `PReLU` layer, the
 * activation is fused too: the BatchNormalization call returns the activated tensor, and the
 * activation layer passes that very tensor through. Saved models are unchanged (standard tfjs
 * `LayersModel` JSON): only how the layers' training-mode calls compute changes.
 *
 * This file holds the seam agreed in SEAMS.md (issues 14 and 15); the wasm kernels are in
 * `_wasm_fused.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The activation fused after the normalisation. */
export type FusedActivation = "linear" | "relu" | "prelu";

/** A backend's fused BatchNormalization kernels. */
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
  ): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D; saved: tf.Tensor[] };
  /** Backward: gradients w.r.t. x, gamma, beta (and alpha for prelu). */
  trainBackward(
    dy: tf.Tensor4D,
    x: tf.Tensor4D,
    gamma: tf.Tensor1D,
    saved: tf.Tensor[],
    epsilon: number,
    activation: FusedActivation,
    alpha?: tf.Tensor,
  ): { dx: tf.Tensor4D; dgamma: tf.Tensor1D; dbeta: tf.Tensor1D; dalpha?: tf.Tensor };
}

const registry = new Map<string, FusedBatchNormKernels>();

/**
 * Registers `kernels` for the backend named `backend` and routes the BatchNormalization layers'
 * training-mode calls through them whenever that backend is active.
 *
 * @example
 * ```ts
 * import { fusedBatchNormKernels, registerFusedBatchNorm } from "./fused.ts";
 * import { wasmFusedBatchNorm } from "./_wasm_fused.ts";
 * registerFusedBatchNorm("wasm", wasmFusedBatchNorm);
 * fusedBatchNormKernels("wasm") === wasmFusedBatchNorm; // true
 * ```
 */
export function registerFusedBatchNorm(backend: string, kernels: FusedBatchNormKernels): void {
  registry.set(backend, kernels);
  installRouting();
}

/**
 * Removes the kernels registered for `backend`: its BatchNormalization layers compose tfjs ops
 * again (for comparisons and tests). Returns the kernels that were registered.
 *
 * @example
 * ```ts
 * import { fusedBatchNormKernels, unregisterFusedBatchNorm } from "./fused.ts";
 * unregisterFusedBatchNorm("cpu"); // undefined: nothing was registered
 * fusedBatchNormKernels("cpu"); // undefined
 * ```
 */
export function unregisterFusedBatchNorm(backend: string): FusedBatchNormKernels | undefined {
  const k = registry.get(backend);
  registry.delete(backend);
  return k;
}

/**
 * The fused kernels registered for `backend` (default: the active one), if any.
 *
 * @example
 * ```ts
 * import { fusedBatchNormKernels } from "./fused.ts";
 * fusedBatchNormKernels("cpu"); // undefined: the cpu backend composes tfjs ops
 * ```
 */
export function fusedBatchNormKernels(
  backend: string = tf.getBackend(),
): FusedBatchNormKernels | undefined {
  return registry.get(backend);
}

// --- routing the layers --------------------------------------------------------------------------

type Kwargs = Record<string, unknown>;
type Call = (this: tf.layers.Layer, inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs) => tf.Tensor;

interface LayerVariableLike {
  read(): tf.Tensor;
  write(v: tf.Tensor): void;
  shape: number[];
}

interface BatchNormLike {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: LayerVariableLike;
  beta: LayerVariableLike;
  movingMean: LayerVariableLike;
  movingVariance: LayerVariableLike;
  outboundNodes: { outboundLayer: tf.layers.Layer }[];
}

/** Tensors a fused call already activated, mapped to the activation layer that would have. */
const activated = new WeakMap<tf.Tensor, tf.layers.Layer>();
let installed = false;

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

/** The activation `layer` applies, when it can be fused after a BN over `channels`. */
function fusable(
  layer: tf.layers.Layer,
  channels: number,
): { activation: FusedActivation; alpha?: LayerVariableLike } | null {
  const name = layer.getClassName();
  if (name === "Activation") {
    const act = (layer as unknown as { activation?: { getClassName(): string } }).activation;
    return act?.getClassName() === "relu" ? { activation: "relu" } : null;
  }
  if (name === "ReLU") {
    const l = layer as unknown as { maxValue?: number | null };
    return l.maxValue === null || l.maxValue === undefined ? { activation: "relu" } : null;
  }
  if (name === "PReLU") {
    const alpha = (layer as unknown as { alpha?: LayerVariableLike }).alpha;
    if (!alpha || alpha.shape.reduce((a, b) => a * b, 1) !== channels) return null;
    if (alpha.shape[alpha.shape.length - 1] !== channels) return null;
    return { activation: "prelu", alpha };
  }
  return null;
}

function fusedCall(
  layer: tf.layers.Layer,
  bn: BatchNormLike,
  x: tf.Tensor4D,
  kernels: FusedBatchNormKernels,
): tf.Tensor {
  const channels = x.shape[3];
  const next = bn.outboundNodes.length === 1 ? bn.outboundNodes[0]!.outboundLayer : null;
  const act = next ? fusable(next, channels) : null;
  const activation: FusedActivation = act?.activation ?? "linear";
  const eps = bn.epsilon;
  let mean: tf.Tensor1D | null = null;
  let variance: tf.Tensor1D | null = null;
  const gamma = bn.gamma.read() as tf.Tensor1D;
  const beta = bn.beta.read() as tf.Tensor1D;
  const alpha = act?.alpha?.read();
  const inputs: tf.Tensor[] = alpha ? [x, gamma, beta, alpha] : [x, gamma, beta];
  const op = tf.customGrad((...args: (tf.Tensor | ((t: tf.Tensor[]) => void))[]) => {
    const save = args[args.length - 1] as (t: tf.Tensor[]) => void;
    const [xi, g, b, a] = args as tf.Tensor[];
    const r = kernels.trainForward(
      xi as tf.Tensor4D,
      g as tf.Tensor1D,
      b as tf.Tensor1D,
      eps,
      activation,
      alpha ? a : undefined,
    );
    // customGrad runs this in a tidy: keep the statistics for the moving averages below.
    mean = tf.keep(r.mean);
    variance = tf.keep(r.variance);
    save([xi!, g!, ...(alpha ? [a!] : []), ...r.saved]);
    return {
      value: r.y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
        const [sx, sg] = saved;
        const sa = alpha ? saved[2] : undefined;
        const rest = saved.slice(alpha ? 3 : 2);
        const g = kernels.trainBackward(
          dy as tf.Tensor4D,
          sx as tf.Tensor4D,
          sg as tf.Tensor1D,
          rest,
          eps,
          activation,
          sa,
        );
        const out: tf.Tensor[] = [g.dx, g.dgamma, g.dbeta];
        if (alpha) out.push(g.dalpha!);
        return out;
      },
    };
  });
  const y = (op as (...t: tf.Tensor[]) => tf.Tensor)(...inputs);
  // Keras: moving = moving · momentum + batch · (1 − momentum), with the biased variance.
  const decay = 1 - bn.momentum;
  const m = x.shape[0] * x.shape[1] * x.shape[2];
  const biased = tf.mul(variance!, m > 1 ? (m - 1) / m : 1);
  for (const [v, value] of [[bn.movingMean, mean!], [bn.movingVariance, biased]] as const) {
    const old = v.read();
    v.write(tf.sub(old, tf.mul(tf.sub(old, value as tf.Tensor), decay)));
  }
  tf.dispose([mean!, variance!]);
  if (act && next) activated.set(y, next);
  void layer;
  return y;
}

function installRouting(): void {
  if (installed) return;
  installed = true;
  const bnProto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call };
  const bnCall = bnProto.call;
  bnProto.call = function (this: tf.layers.Layer, inputs, kwargs): tf.Tensor {
    const kernels = kwargs?.["training"] === true ? registry.get(tf.getBackend()) : undefined;
    const bn = this as unknown as BatchNormLike;
    const x = one(inputs);
    if (
      kernels === undefined || x.rank !== 4 || x.dtype !== "float32" || !bn.center ||
      !bn.scale || (bn.axis !== -1 && bn.axis !== 3)
    ) {
      return bnCall.call(this, inputs, kwargs);
    }
    return tf.tidy(() => fusedCall(this, bn, x as tf.Tensor4D, kernels));
  };
  const passThrough = (proto: { call: Call }): void => {
    const original = proto.call;
    proto.call = function (this: tf.layers.Layer, inputs, kwargs): tf.Tensor {
      const x = one(inputs);
      if (kwargs?.["training"] === true && activated.get(x) === this) return x;
      return original.call(this, inputs, kwargs);
    };
  };
  passThrough(Object.getPrototypeOf(tf.layers.prelu({})) as { call: Call });
  passThrough(
    Object.getPrototypeOf(tf.layers.activation({ activation: "relu" })) as { call: Call },
  );
  passThrough(Object.getPrototypeOf(tf.layers.reLU({})) as { call: Call });
}
