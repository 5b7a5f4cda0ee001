/**
 * The native TensorFlow backend's fused kernels for `fused.ts`: BatchNormalization through
 * TensorFlow's own `FusedBatchNormV3` / `FusedBatchNormGradV3` (one op each way instead of tfjs's
 * `moments` + elementwise chain of about a dozen), and PReLU as `Greater` → `Mul` → `Select`
 * forward and four ops backward (tfjs's stock gradient chains more, and re-derives the mask).
 *
 * TensorFlow ops run by name on the tfjs-node kernel backend (`executeMultipleOutputs`), the way
 * tfjs-node's own kernels call them. Private to `backend.ts`, which registers these for
 * `"tensorflow"` once the native engine has loaded.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type {
  FusedActivation,
  FusedBackward,
  FusedBatchNormKernels,
  FusedForward,
  FusedPrelu,
} from "./fused.ts";
import { sumToShape } from "./fused.ts";

interface Binding {
  TF_ATTR_TYPE: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_STRING: number;
  TF_ATTR_BOOL: number;
  TF_FLOAT: number;
}

interface NodeBackend {
  binding: Binding;
  executeMultipleOutputs(
    name: string,
    attrs: Attr[],
    inputs: tf.Tensor[],
    numOutputs: number,
  ): tf.Tensor[];
  executeSingleOutput(
    name: string,
    attrs: Attr[],
    inputs: tf.Tensor[],
  ): tf.Tensor;
}

function node(): NodeBackend {
  const b = tf.findBackend("tensorflow") as unknown as NodeBackend | null;
  if (!b || typeof b.executeMultipleOutputs !== "function") {
    throw new Error("native fused kernels: the tensorflow backend is not loaded");
  }
  return b;
}

interface Attr {
  name: string;
  type: number;
  value: unknown;
}

function bnAttrs(b: Binding, epsilon: number, training: boolean, withAvg: boolean): Attr[] {
  return [
    { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: "U", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: "epsilon", type: b.TF_ATTR_FLOAT, value: epsilon },
    ...(withAvg ? [{ name: "exponential_avg_factor", type: b.TF_ATTR_FLOAT, value: 1 }] : []),
    { name: "data_format", type: b.TF_ATTR_STRING, value: "NHWC" },
    { name: "is_training", type: b.TF_ATTR_BOOL, value: training },
  ];
}

let empty: tf.Tensor1D | null = null;

/** A kept empty float32 tensor: the moving statistics FusedBatchNormV3 ignores in training. */
function emptyStats(): tf.Tensor1D {
  if (empty === null || empty.isDisposed) empty = tf.keep(tf.tensor1d([], "float32"));
  return empty;
}

/** PReLU forward: y = x > 0 ? x : alpha·x; also the mask, kept for the gradient. */
function preluForward(x: tf.Tensor, alpha: tf.Tensor): { y: tf.Tensor; pos: tf.Tensor } {
  const pos = tf.greater(x, 0);
  const neg = tf.mul(x, alpha);
  const y = tf.where(pos, x, neg);
  neg.dispose();
  return { y, pos };
}

/** PReLU backward from the mask: dx = pos ? dy : alpha·dy; dalpha = Σ dy·min(x, 0). */
function preluBackward(
  dy: tf.Tensor,
  x: tf.Tensor,
  alpha: tf.Tensor,
  pos: tf.Tensor,
): { dx: tf.Tensor; dalpha: tf.Tensor } {
  const scaled = tf.mul(dy, alpha);
  const dx = tf.where(pos, dy, scaled);
  const negPart = tf.minimum(x, 0);
  const prod = tf.mul(dy, negPart);
  const dalpha = sumToShape(prod, alpha.shape);
  tf.dispose([scaled, negPart, prod]);
  return { dx, dalpha };
}

/** Whether a gradient tape is recording (tfjs's engine state; tfjs 4.22 is pinned). */
function recording(): boolean {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state;
  return (state?.gradientDepth ?? 1) > 0;
}

let zero: tf.Scalar | null = null;

/** Inference PReLU: the three TensorFlow ops run directly, no gradient bookkeeping. */
function preluInference(x: tf.Tensor, alpha: tf.Tensor): tf.Tensor {
  const b = node();
  if (zero === null || zero.isDisposed) zero = tf.keep(tf.scalar(0));
  const t = [{ name: "T", type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }];
  const pos = b.executeSingleOutput("Greater", t, [x, zero]);
  const neg = b.executeSingleOutput("Mul", t, [x, alpha]);
  const y = b.executeSingleOutput("SelectV2", t, [pos, x, neg]);
  tf.dispose([pos, neg]);
  return y;
}

/**
 * PReLU on the native backend, differentiable (see the module doc); when no gradient is being
 * recorded (inference), the forward ops run directly.
 */
export const nativePrelu: FusedPrelu = (x, alpha) => {
  if (!recording() && x.dtype === "float32") return preluInference(x, alpha);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, a, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { y, pos } = preluForward(xi, a);
    save([xi, a, pos]);
    pos.dispose();
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => {
        const { dx, dalpha } = preluBackward(dy, s[0]!, s[1]!, s[2]!);
        return [dx, dalpha];
      },
    };
  });
  return (f as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor)(x, alpha);
};

/** FusedBatchNormV3 / FusedBatchNormGradV3 on NHWC float32, activation composed after. */
export const nativeFusedBatchNorm: FusedBatchNormKernels = {
  trainForward(x, gamma, beta, epsilon, activation, alpha): FusedForward {
    const b = node();
    const out = b.executeMultipleOutputs(
      "FusedBatchNormV3",
      bnAttrs(b.binding, epsilon, true, true),
      [x, gamma, beta, emptyStats(), emptyStats()],
      6,
    );
    const [z, mean, variance, r1, r2, r3] = out as [
      tf.Tensor4D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    const saved: tf.Tensor[] = [r1, r2, r3];
    let y: tf.Tensor4D = z;
    if (activation === "relu") {
      y = tf.relu(z);
      saved.push(y);
      z.dispose();
    } else if (activation === "prelu") {
      if (!alpha) throw new Error("native fused batch norm: prelu needs alpha");
      const p = preluForward(z, alpha);
      y = p.y as tf.Tensor4D;
      saved.push(z, p.pos);
    }
    return { y, mean, variance, saved };
  },
  trainBackward(dy, x, gamma, saved, epsilon, activation: FusedActivation, alpha): FusedBackward {
    const b = node();
    const [r1, r2, r3] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    let dz: tf.Tensor4D = dy;
    let dalpha: tf.Tensor | undefined;
    if (activation === "relu") {
      dz = b.executeSingleOutput(
        "ReluGrad",
        [{ name: "T", type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }],
        [dy, saved[3]!],
      ) as tf.Tensor4D;
    } else if (activation === "prelu") {
      const g = preluBackward(dy, saved[3]!, alpha!, saved[4]!);
      dz = g.dx as tf.Tensor4D;
      dalpha = g.dalpha;
    }
    const out = b.executeMultipleOutputs(
      "FusedBatchNormGradV3",
      bnAttrs(b.binding, epsilon, true, false),
      [dz, x, gamma, r1, r2, r3],
      5,
    );
    if (dz !== dy) dz.dispose();
    tf.dispose(out.slice(3));
    return {
      dx: out[0] as tf.Tensor4D,
      dgamma: out[1] as tf.Tensor1D,
      dbeta: out[2] as tf.Tensor1D,
      ...(dalpha ? { dalpha } : {}),
    };
  },
  inference(x, gamma, beta, mean, variance, epsilon): tf.Tensor4D {
    const b = node();
    const out = b.executeMultipleOutputs(
      "FusedBatchNormV3",
      bnAttrs(b.binding, epsilon, false, false),
      [x, gamma, beta, mean, variance],
      6,
    );
    tf.dispose(out.slice(1));
    return out[0] as tf.Tensor4D;
  },
};

interface KernelArgs {
  inputs: Record<string, tf.Tensor | null | undefined>;
  attrs: Record<string, unknown>;
  backend: unknown;
}

/**
 * Replaces tfjs-node's `FusedConv2D` kernel (a convolution, a broadcasting `Add` of the bias and
 * the activation as tfjs ops) by `Conv2D` → `BiasAdd` (→ `Relu`) run directly: the inference path
 * of a model whose BatchNormalization was folded into its convolutions. Other activations keep
 * the stock kernel. Returns the kernels replaced.
 */
export function registerNativeConvKernels(): string[] {
  const stock = tf.getKernel("FusedConv2D", "tensorflow");
  if (!stock || (stock as { replaced?: boolean }).replaced) return [];
  const kernelFunc = (args: KernelArgs): tf.TensorInfo => {
    const { x, filter, bias } = args.inputs;
    const activation = args.attrs.activation ?? "linear";
    const call = stock.kernelFunc as unknown as (a: KernelArgs) => tf.Tensor;
    if (!bias || bias.rank !== 1 || (activation !== "linear" && activation !== "relu")) {
      return call(args);
    }
    const b = node();
    const conv = call({
      ...args,
      inputs: { x, filter },
      attrs: { ...args.attrs, activation: "linear" },
    });
    const t = { name: "T", type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT };
    const fmt = { name: "data_format", type: b.binding.TF_ATTR_STRING, value: "NHWC" };
    const biased = b.executeSingleOutput("BiasAdd", [t, fmt], [conv, bias]);
    conv.dispose();
    if (activation === "linear") return biased;
    const y = b.executeSingleOutput("Relu", [t], [biased]);
    biased.dispose();
    return y;
  };
  tf.unregisterKernel("FusedConv2D", "tensorflow");
  tf.registerKernel({
    kernelName: "FusedConv2D",
    backendName: "tensorflow",
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    replaced: true,
  } as tf.KernelConfig);
  return ["FusedConv2D"];
}
