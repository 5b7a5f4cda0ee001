/**
 * Inference with BatchNormalization folded into the convolution before it: every
 * `Conv2D → BatchNormalization [→ ReLU | per-channel PReLU]` chain of a trained model becomes one
 * fused convolution with a bias and the activation (`tf.fused.conv2d`: on wasm, one XNNPACK
 * convolution with the activation applied in the same kernel), with
 *
 *     s = γ / √(moving variance + ε),   W' = W · s (per output channel),   b' = (b − moving mean) · s + β
 *
 * which computes the same function as the inference-mode layers, up to float32 rounding. The
 * folded model is a new `tf.LayersModel` (its own weights, built from the original's topology;
 * the original is untouched) for prediction and latency, not for training.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { LayerJson, ModelJson } from "./_model_json.ts";

/** The activation a folded convolution applies. */
export type FoldedActivation = "linear" | "relu" | "prelu";

interface FoldedConfig extends tf.serialization.ConfigDict {
  foldedActivation: FoldedActivation;
}

// tfjs-layers does not export its Conv2D class by name: take it from an instance.
const Conv2D = Object.getPrototypeOf(
  tf.layers.conv2d({ filters: 1, kernelSize: 1 }),
).constructor as new (args: Record<string, unknown>) => tf.layers.Layer;

/**
 * A Conv2D with a bias and a fused ReLU or PReLU (one slope per output channel, the weight
 * `alpha`), computed by `tf.fused.conv2d`. Registered for serialisation as `MgcFoldedConv2D`.
 */
class FoldedConv2D extends (Conv2D as unknown as typeof tf.layers.Layer) {
  /** @nocollapse */
  static className = "MgcFoldedConv2D";
  readonly foldedActivation: FoldedActivation;
  alpha: tf.LayerVariable | null = null;

  constructor(args: Record<string, unknown>) {
    const { foldedActivation, ...rest } = args;
    super(
      { ...rest, useBias: true, activation: "linear" } as ConstructorParameters<
        typeof tf.layers.Layer
      >[0],
    );
    this.foldedActivation = (foldedActivation as FoldedActivation | undefined) ?? "linear";
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    super.build(inputShape);
    if (this.foldedActivation === "prelu") {
      const filters = (this as unknown as { filters: number }).filters;
      this.alpha = this.addWeight("alpha", [filters], "float32", tf.initializers.zeros());
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const self = this as unknown as {
        kernel: tf.LayerVariable;
        bias: tf.LayerVariable;
        strides: [number, number];
        padding: "same" | "valid";
        dilationRate: [number, number];
      };
      return tf.fused.conv2d({
        x,
        filter: self.kernel.read() as tf.Tensor4D,
        strides: self.strides,
        pad: self.padding,
        dilations: self.dilationRate,
        bias: self.bias.read(),
        activation: this.foldedActivation,
        ...(this.alpha ? { preluActivationWeights: this.alpha.read() } : {}),
      });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), foldedActivation: this.foldedActivation } as FoldedConfig;
  }
}
tf.serialization.registerClass(FoldedConv2D);

/** The layers reading each layer's output, by name. */
function consumers(layers: LayerJson[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of layers) {
    for (const node of l.inbound_nodes) {
      for (const [from] of node) out.set(from, [...(out.get(from) ?? []), l.name]);
    }
  }
  return out;
}

/** One foldable chain: conv, its BatchNormalization, and the activation fused after it. */
interface Chain {
  conv: string;
  bn: string;
  act: string | null;
  activation: FoldedActivation;
}

function findChains(json: ModelJson, model: tf.LayersModel): Chain[] {
  const layers = json.config.layers;
  const byName = new Map(layers.map((l) => [l.name, l]));
  const readers = consumers(layers);
  const outputs = new Set(json.config.output_layers.map(([n]) => n));
  const only = (name: string): LayerJson | null => {
    const r = readers.get(name) ?? [];
    if (r.length !== 1 || outputs.has(name)) return null;
    const next = byName.get(r[0]!)!;
    return next.inbound_nodes.length === 1 && next.inbound_nodes[0]!.length === 1 ? next : null;
  };
  const chains: Chain[] = [];
  for (const l of layers) {
    if (l.class_name !== "Conv2D" || l.inbound_nodes.length !== 1) continue;
    const cfg = l.config as { data_format?: string; activation?: string; dilation_rate?: unknown };
    if (cfg.data_format === "channels_first" || cfg.activation !== "linear") continue;
    const bn = only(l.name);
    if (bn?.class_name !== "BatchNormalization") continue;
    const bcfg = bn.config as { axis: number | number[]; center: boolean; scale: boolean };
    const axis = Array.isArray(bcfg.axis) ? bcfg.axis : [bcfg.axis];
    if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== 3)) continue;
    let act: LayerJson | null = only(bn.name);
    let activation: FoldedActivation = "linear";
    if (act?.class_name === "Activation" && act.config.activation === "relu") {
      activation = "relu";
    } else if (
      act?.class_name === "ReLU" && (act.config.max_value ?? null) === null
    ) {
      activation = "relu";
    } else if (act?.class_name === "PReLU") {
      const alpha = model.getLayer(act.name).getWeights()[0];
      const filters = (l.config as { filters: number }).filters;
      activation = alpha && alpha.size === filters && alpha.shape[alpha.rank - 1] === filters
        ? "prelu"
        : "linear";
      if (activation === "linear") act = null;
    } else {
      act = null;
    }
    chains.push({ conv: l.name, bn: bn.name, act: act?.name ?? null, activation });
  }
  return chains;
}

/**
 * A copy of `model` for inference with each `Conv2D → BatchNormalization [→ ReLU | PReLU]`
 * folded into one fused convolution (see the module documentation). Layers that are not part
 * of such a chain are copied as they are. Dispose the result when done.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { foldBatchNorm } from "./fold.ts";
 * await initBackend({ backend: "wasm", threads: 1, quiet: true });
 * const inp = tf.input({ shape: [8, 8, 1] });
 * const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, useBias: false }).apply(inp);
 * const b = tf.layers.batchNormalization({}).apply(c);
 * const out = tf.layers.activation({ activation: "relu" }).apply(b) as tf.SymbolicTensor;
 * const folded = await foldBatchNorm(tf.model({ inputs: inp, outputs: out }));
 * folded.layers.length; // 2: the input and one folded convolution
 * ```
 */
export async function foldBatchNorm(model: tf.LayersModel): Promise<tf.LayersModel> {
  // A Sequential model's topology has no inbound nodes: fold its functional view (same layers).
  if (model instanceof tf.Sequential) {
    model = tf.model({ inputs: model.inputs, outputs: model.outputs });
  }
  const json = model.toJSON(null, false) as unknown as ModelJson;
  if (!Array.isArray(json.config?.layers)) {
    throw new TypeError("foldBatchNorm: only functional (tf.model) and sequential models");
  }
  const chains = findChains(json, model);
  const removed = new Map<string, string>(); // removed layer → the folded conv replacing it
  for (const ch of chains) {
    removed.set(ch.bn, ch.conv);
    if (ch.act) removed.set(ch.act, ch.conv);
  }
  const rename = (name: string): string => removed.get(name) ?? name;
  const layers: LayerJson[] = [];
  const folded = new Map(chains.map((c) => [c.conv, c]));
  for (const l of json.config.layers) {
    if (removed.has(l.name)) continue;
    const copy: LayerJson = {
      ...l,
      inbound_nodes: l.inbound_nodes.map((node) =>
        node.map(([from, i, j, kw]) => [rename(from), i, j, kw])
      ),
    };
    const ch = folded.get(l.name);
    if (ch) {
      copy.class_name = FoldedConv2D.className;
      copy.config = { ...l.config, use_bias: true, foldedActivation: ch.activation };
    }
    layers.push(copy);
  }
  const topology = {
    ...json,
    config: {
      ...json.config,
      layers,
      output_layers: json.config.output_layers.map(([n, i, j]) => [rename(n), i, j]),
    },
  };
  const out = await tf.models.modelFromJSON({
    modelTopology: topology as unknown as tf.io.ModelJSON["modelTopology"],
  });
  tf.tidy(() => {
    for (const layer of out.layers) {
      const src = model.getLayer(layer.name);
      const ch = folded.get(layer.name);
      if (!ch) {
        layer.setWeights(src.getWeights());
        continue;
      }
      const [kernel, bias] = src.getWeights() as [tf.Tensor4D, tf.Tensor1D | undefined];
      const bnLayer = model.getLayer(ch.bn) as unknown as
        & { epsilon: number; center: boolean; scale: boolean }
        & tf.layers.Layer;
      const bw = bnLayer.getWeights();
      const gamma = bnLayer.scale ? bw.shift()! : tf.onesLike(bw[bw.length - 1]!);
      const beta = bnLayer.center ? bw.shift()! : tf.zerosLike(bw[bw.length - 1]!);
      const [mean, variance] = bw;
      const s = tf.div(gamma, tf.sqrt(tf.add(variance!, bnLayer.epsilon)));
      const w = tf.mul(kernel, s);
      const b = tf.add(tf.mul(tf.sub(bias ?? tf.zerosLike(mean!), mean!), s), beta);
      const weights = [w, b];
      if (ch.activation === "prelu") {
        weights.push(tf.reshape(model.getLayer(ch.act!).getWeights()[0]!, [-1]));
      }
      layer.setWeights(weights);
    }
  });
  return out;
}
