/**
 * Inference with BatchNormalization folded into the convolution before it: for a Conv2D (linear
 * activation, output used only by the BatchNormalization) followed by an NHWC BatchNormalization,
 * `BN(conv(x, W) + b) = conv(x, W·s) + (b − mean)·s + beta` with `s = gamma / √(var + ε)` per
 * output channel. The folded model has one layer (and one op, a biased convolution) where the
 * original had two; its outputs equal the original's in inference mode to float32 rounding.
 *
 * For inference only: the folded model has no BatchNormalization to train, and its layer list
 * differs (each folded BatchNormalization is gone; the convolution keeps its name). The original
 * model is not changed; dispose the folded one when done.
 *
 * ```ts
 * import { foldBatchNorm } from "./fold.ts";
 * import { initBackend, tf } from "./backend.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const x = tf.input({ shape: [8, 8, 1] });
 * const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, useBias: false }).apply(x);
 * const y = tf.layers.batchNormalization().apply(c) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: x, outputs: y });
 * const folded = foldBatchNorm(model);
 * console.log(model.layers.length - folded.layers.length); // 1: the BatchNormalization
 * ```
 *
 * @module
 */
import { tf } from "./backend.ts";

/** One layer of a model's tfjs config (`model.getConfig()`). */
interface LayerEntry {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inboundNodes?: unknown[];
}

interface ModelConfig {
  name?: string;
  layers: LayerEntry[];
  outputLayers?: unknown[];
  inputLayers?: unknown[];
}

/** A Conv2D → BatchNormalization pair to fold, by layer names. */
interface Pair {
  conv: string;
  bn: string;
}

/**
 * A copy of `model` for inference in which every foldable Conv2D → BatchNormalization pair is one
 * biased Conv2D (see the module doc). Functional and Sequential models; a model with nothing to
 * fold comes back as an equivalent copy.
 *
 * @example
 * ```ts
 * import { foldBatchNorm } from "./fold.ts";
 * import { initBackend, tf } from "./backend.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const m = tf.sequential({
 *   layers: [
 *     tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, useBias: false }),
 *     tf.layers.batchNormalization(),
 *   ],
 * });
 * const f = foldBatchNorm(m);
 * console.log(f.layers.length); // 1
 * ```
 */
export function foldBatchNorm(model: tf.LayersModel): tf.LayersModel {
  const sequential = model instanceof tf.Sequential;
  const json = model.getConfig() as unknown as ModelConfig;
  const layers = json.layers.map((l) => ({ ...l, name: l.name ?? String(l.config.name) }));
  const pairs = sequential ? sequentialPairs(layers) : functionalPairs(json);
  const folded = new Set(pairs.map((p) => p.bn));
  const rename = new Map(pairs.map((p) => [p.bn, p.conv]));
  const newLayers: LayerEntry[] = [];
  for (const l of layers) {
    if (folded.has(l.name)) continue;
    const copy: LayerEntry = JSON.parse(JSON.stringify(l));
    if (pairs.some((p) => p.conv === l.name)) {
      copy.config.useBias = true;
      copy.config.biasInitializer = { className: "Zeros", config: {} };
      copy.config.biasRegularizer = null;
      copy.config.biasConstraint = null;
    }
    if (copy.inboundNodes) copy.inboundNodes = renameRefs(copy.inboundNodes, rename);
    newLayers.push(copy);
  }
  const config = {
    ...json,
    name: `${json.name ?? model.name}_folded`,
    layers: newLayers,
    ...(json.outputLayers ? { outputLayers: renameRefs(json.outputLayers, rename) } : {}),
  };
  const cls = sequential ? tf.Sequential : tf.LayersModel;
  const out = (cls as unknown as {
    fromConfig: (c: unknown, cfg: unknown, custom?: unknown, fast?: boolean) => tf.LayersModel;
  }).fromConfig(cls, sequential ? { name: config.name, layers: config.layers } : config, {}, true);
  copyWeights(model, out, pairs);
  return out;
}

function conv2dFoldable(l: LayerEntry | undefined): boolean {
  return l !== undefined && l.className === "Conv2D" &&
    (l.config.activation ?? "linear") === "linear" &&
    (l.config.dataFormat ?? "channelsLast") === "channelsLast";
}

function bnFoldable(l: LayerEntry): boolean {
  const axis = l.config.axis;
  return l.className === "BatchNormalization" && (axis === -1 || axis === 3) &&
    l.config.center !== false && l.config.scale !== false;
}

function sequentialPairs(layers: LayerEntry[]): Pair[] {
  const pairs: Pair[] = [];
  for (let i = 1; i < layers.length; i++) {
    const prev = layers[i - 1]!;
    if (bnFoldable(layers[i]!) && conv2dFoldable(prev) && !pairs.some((p) => p.bn === prev.name)) {
      pairs.push({ conv: prev.name, bn: layers[i]!.name });
    }
  }
  return pairs;
}

/** `[[["name", nodeIndex, tensorIndex, kwargs], …], …]`: every referenced layer name. */
function refs(nodes: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (!Array.isArray(v)) return;
    if (typeof v[0] === "string" && typeof v[1] === "number") out.push(v[0]);
    else v.forEach(walk);
  };
  walk(nodes);
  return out;
}

function renameRefs<T>(nodes: T, rename: Map<string, string>): T {
  const walk = (v: unknown): unknown => {
    if (!Array.isArray(v)) return v;
    if (typeof v[0] === "string" && typeof v[1] === "number") {
      return [rename.get(v[0]) ?? v[0], ...v.slice(1)];
    }
    return v.map(walk);
  };
  return walk(nodes) as T;
}

function functionalPairs(json: ModelConfig): Pair[] {
  const byName = new Map(json.layers.map((l) => [l.name, l]));
  const uses = new Map<string, number>();
  for (const l of json.layers) {
    for (const r of refs(l.inboundNodes ?? [])) uses.set(r, (uses.get(r) ?? 0) + 1);
  }
  for (const r of refs(json.outputLayers ?? [])) uses.set(r, (uses.get(r) ?? 0) + 1);
  const pairs: Pair[] = [];
  for (const l of json.layers) {
    if (!bnFoldable(l)) continue;
    const nodes = l.inboundNodes ?? [];
    const inputs = refs(nodes);
    if (nodes.length !== 1 || inputs.length !== 1) continue; // shared or multi-input: keep
    const conv = byName.get(inputs[0]!);
    if (!conv2dFoldable(conv) || (conv!.inboundNodes ?? []).length !== 1) continue;
    if (uses.get(conv!.name) !== 1) continue;
    pairs.push({ conv: conv!.name, bn: l.name });
  }
  return pairs;
}

function copyWeights(from: tf.LayersModel, to: tf.LayersModel, pairs: Pair[]): void {
  const convOf = new Map(pairs.map((p) => [p.conv, p.bn]));
  for (const layer of to.layers) {
    const src = from.getLayer(layer.name);
    const bnName = convOf.get(layer.name);
    if (bnName === undefined) {
      if (layer.weights.length) layer.setWeights(src.getWeights());
      continue;
    }
    const bn = from.getLayer(bnName) as unknown as { epsilon: number } & tf.layers.Layer;
    const folded = tf.tidy(() => {
      const [kernel, bias] = src.getWeights() as [tf.Tensor4D, tf.Tensor1D?];
      // BatchNormalization weights: gamma, beta, moving mean, moving variance (center, scale).
      const [gamma, beta, mean, variance] = bn.getWeights() as tf.Tensor1D[];
      const s = tf.div(gamma!, tf.sqrt(tf.add(variance!, bn.epsilon)));
      const b0 = bias ?? tf.zerosLike(mean!);
      return [tf.mul(kernel, s), tf.add(tf.mul(tf.sub(b0, mean!), s), beta!)];
    });
    layer.setWeights(folded);
    tf.dispose(folded);
  }
}
