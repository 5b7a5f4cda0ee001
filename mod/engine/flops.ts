/**
 * Forward-pass FLOPs of a tfjs LayersModel, counted from its layer graph (shapes and weight
 * shapes only: no tensor is computed). The original reported 0.0 for every model because of a
 * Keras 3 bug in its profiler call; these counts are real.
 *
 * Conventions, per example (batch 1), counting a multiply-add as two FLOPs:
 *
 * | layer | FLOPs |
 * |---|---|
 * | Conv2D | 2·kh·kw·C_in·C_out·H_out·W_out, + H_out·W_out·C_out for a bias, + activation |
 * | DepthwiseConv2D | 2·kh·kw·C_in·mult·H_out·W_out, + bias, + activation |
 * | Dense | 2·in·out, + out for a bias, + activation |
 * | BatchNormalization | 2 per element (inference: folded into one scale and one shift) |
 * | activation (ReLU, sigmoid, softmax, tanh, …) | 1 per element (transcendentals not weighted) |
 * | PReLU / LeakyReLU | 2 per element (compare, multiply) |
 * | MaxPooling2D / AveragePooling2D | kh·kw per output element (elements read) |
 * | GlobalAverage/MaxPooling2D | 1 per input element |
 * | Add / Multiply / Subtract / Average / Maximum / Minimum | (inputs − 1) per output element |
 * | InputLayer, Dropout, Reshape, Flatten, Concatenate | 0 (no arithmetic at inference) |
 *
 * Convolutions and dense layers dominate: for the four models of the project they are 97.4%
 * (Efficient_VGG) to 99.5% (UNet) of the total, and `convDense` reports them alone. Training costs about 3× the forward count (forward + two backward products).
 *
 * @module
 */
import type { tf } from "./backend.ts";

/** FLOPs of one layer. */
export interface LayerFlops {
  /** Layer name. */
  name: string;
  /** tfjs class name (`Conv2D`, `Dense`, …). */
  className: string;
  /** Forward FLOPs for one example. */
  flops: number;
}

/** What {@linkcode modelFlops} returns. */
export interface ModelFlops {
  /** Forward FLOPs for one example, all layers. */
  total: number;
  /**
   * The part in convolution and dense layers (kernels, biases and fused activations): the
   * figure papers usually quote, and the one that scales with training cost.
   */
  convDense: number;
  /** Per layer, in the model's layer order. */
  perLayer: LayerFlops[];
  /** Class names of layers this counter does not model (counted as 0); empty for our models. */
  uncounted: string[];
}

type Shape = (number | null)[];

const ZERO_COST = new Set([
  "InputLayer",
  "Dropout",
  "SpatialDropout1D",
  "SpatialDropout2D",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
  "Reshape",
  "Flatten",
  "Permute",
  "Concatenate",
]);

const CONV_DENSE = new Set(["Conv1D", "Conv2D", "DepthwiseConv2D", "Dense"]);

const MERGE = new Set(["Add", "Multiply", "Subtract", "Average", "Maximum", "Minimum"]);

/** Product of the non-batch dimensions of a shape. */
function elements(shape: Shape): number {
  let n = 1;
  for (let i = 1; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== "number") {
      throw new Error(`FLOPs need fully defined shapes; got [${shape.join(", ")}]`);
    }
    n *= d;
  }
  return n;
}

function firstShape(s: Shape | Shape[]): Shape {
  return Array.isArray(s[0]) ? (s[0] as Shape) : (s as Shape);
}

function allShapes(s: Shape | Shape[]): Shape[] {
  return Array.isArray(s[0]) ? (s as Shape[]) : [s as Shape];
}

function activationCost(config: tf.serialization.ConfigDict, outElements: number): number {
  const a = config["activation"];
  return a === undefined || a === null || a === "linear" ? 0 : outElements;
}

function product(xs: readonly number[]): number {
  return xs.reduce((p, x) => p * x, 1);
}

/**
 * Forward FLOPs of one layer given its input and output shapes (batch dimension ignored), or
 * `undefined` when the class is not modelled.
 */
function layerFlops(
  layer: tf.layers.Layer,
  inShapes: Shape[],
  outShape: Shape,
): number | undefined {
  const cls = layer.getClassName();
  const config = layer.getConfig();
  const out = elements(outShape);
  const kernel = layer.weights.find((w) => /kernel$/.test(w.originalName ?? w.name));
  const hasBias = config["useBias"] === true;
  if (ZERO_COST.has(cls)) return 0;
  if (MERGE.has(cls)) return (inShapes.length - 1) * out;
  switch (cls) {
    case "Conv2D":
    case "Conv1D":
    case "Dense": {
      if (!kernel) throw new Error(`${layer.name}: no kernel weight`);
      // Kernel [..spatial, C_in, C_out]: each output element needs kernel.size / C_out MACs.
      const k = kernel.shape as number[];
      const macsPerOut = product(k) / k[k.length - 1]!;
      return 2 * macsPerOut * out + (hasBias ? out : 0) + activationCost(config, out);
    }
    case "DepthwiseConv2D": {
      const k = layer.weights.find((w) => /depthwise_kernel$/.test(w.originalName ?? w.name));
      if (!k) throw new Error(`${layer.name}: no depthwise kernel`);
      const [kh, kw] = k.shape as number[];
      return 2 * kh! * kw! * out + (hasBias ? out : 0) + activationCost(config, out);
    }
    case "BatchNormalization":
      return 2 * out;
    case "Activation":
    case "ReLU":
    case "Softmax":
    case "ELU":
    case "ThresholdedReLU":
      return out;
    case "PReLU":
    case "LeakyReLU":
      return 2 * out;
    case "MaxPooling2D":
    case "AveragePooling2D":
    case "MaxPooling1D":
    case "AveragePooling1D": {
      const pool = config["poolSize"];
      const size = Array.isArray(pool) ? product(pool as number[]) : Number(pool);
      return size * out;
    }
    case "GlobalAveragePooling2D":
    case "GlobalMaxPooling2D":
    case "GlobalAveragePooling1D":
    case "GlobalMaxPooling1D":
      return elements(inShapes[0]!);
    default:
      return undefined;
  }
}

/**
 * Counts the forward FLOPs of `model` for one example, per layer and in total (conventions in
 * the module docs). Layers of classes it does not model count 0 and are listed in `uncounted`.
 *
 * @example
 * ```ts
 * import { initBackend } from "./backend.ts";
 * import { buildModel } from "../models/mod.ts";
 * import { modelFlops } from "./flops.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = buildModel("UNet_Audio_Classifier");
 * const { total } = modelFlops(model);
 * console.log((total / 1e9).toFixed(2)); // "1.68"
 * model.dispose();
 * ```
 */
export function modelFlops(model: tf.LayersModel): ModelFlops {
  const perLayer: LayerFlops[] = [];
  const uncounted = new Set<string>();
  for (const layer of model.layers) {
    let flops = 0;
    // A layer applied several times (shared weights) costs once per application.
    for (const node of layer.inboundNodes) {
      const inShapes = allShapes(node.inputShapes as Shape | Shape[]);
      const outShape = firstShape(node.outputShapes as Shape | Shape[]);
      const f = layerFlops(layer, inShapes, outShape);
      if (f === undefined) uncounted.add(layer.getClassName());
      else flops += f;
    }
    perLayer.push({ name: layer.name, className: layer.getClassName(), flops });
  }
  return {
    total: perLayer.reduce((s, l) => s + l.flops, 0),
    convDense: perLayer.filter((l) => CONV_DENSE.has(l.className)).reduce((s, l) => s + l.flops, 0),
    perLayer,
    uncounted: [...uncounted].sort(),
  };
}
