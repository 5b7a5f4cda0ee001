/**
 * Layer-major micro-batching: one training step over a batch that is too large for one
 * forward/backward pass, computed chunk by chunk (micro-batches of rows) but **layer by layer**,
 * so that the result is the whole-batch result up to float32 summation order, whatever the
 * micro-batch size. Private to the engine; `batches.ts` uses it when a batch is split.
 *
 * Why layer-major: a BatchNormalization layer normalises with statistics of the whole batch, and
 * its gradient needs whole-batch sums of `dy` and `dy·x̂`; each layer's statistics depend on the
 * whole-batch output of the layers before it. So the step walks the functional graph in
 * topological order, applying each layer to every chunk before the next layer:
 *
 * - Forward. A BatchNormalization layer takes two passes over the chunks (the whole-batch mean,
 *   then the biased whole-batch variance, as `tf.moments`), normalises every chunk with them
 *   (`tf.batchNorm`) and updates its moving mean and variance once (Keras/tfjs rule
 *   `m ← m − (m − batch)·(1 − momentum)`, biased variance, as the whole-batch path in `fused.ts`
 *   and the stock tfjs layer). A Dropout layer draws one mask for the whole batch from its seed
 *   (exactly the mask the whole-batch forward draws) and multiplies each chunk by its rows. Every
 *   other layer is applied to each chunk on its own (`layer.apply(chunk, { training: true })`):
 *   those layers are per sample.
 * - Loss: the project's cross-entropy of each chunk divided by the whole batch size, summed.
 * - Backward, in reverse order: per layer and chunk a vector-Jacobian product of a local
 *   recompute of that one layer (`tf.engine().gradients` over its inputs and trainable weights),
 *   weight gradients summed over the chunks; a BatchNormalization layer in two passes (the
 *   whole-batch sums `Σdy`, `Σdy·x̂` = dβ, dγ, then `dx = γ·σ⁻¹/m · (m·dy − Σdy − x̂·Σdy·x̂)` per
 *   chunk); a Dropout layer multiplies by its mask.
 *
 * Memory. What stays alive between layers is each layer output that a later backward needs
 * (the inputs of BatchNormalization and of the recomputed layers, and the model output), for the
 * whole batch, plus the gradients flowing back (for tensors with pending consumers). With
 * `offload` (the default on wasm) those are held as JavaScript `Float32Array`s, not on the
 * backend's heap, and uploaded one chunk at a time: the heap then holds the weights, the
 * optimizer state, the gradient sums and one chunk's working set of one layer. Without it they
 * stay as tensors of one chunk each (never a whole-batch tensor, so WebGPU's per-binding limit
 * still holds).
 *
 * Supported: functional or sequential `tf.LayersModel`s with one input and one output whose
 * layers are per sample in training apart from BatchNormalization (normalising over the last
 * axis) and Dropout. Layers that draw random numbers in training (GaussianNoise,
 * GaussianDropout, AlphaDropout, SpatialDropout) or nested models are refused with an error.
 *
 * @module
 */
import { tf } from "./backend.ts";
import { crossEntropyTensor, type LossOptions } from "./loss.ts";

/** What {@linkcode layerMajorStep} needs. */
export interface LayerMajorInput {
  /** The batch, row-major `[n, ...sampleShape]`. */
  x: Float32Array;
  /** Labels `[n]`. */
  y: Int32Array;
  sampleShape: number[];
  /** Rows per chunk (the micro-batch). */
  microBatch: number;
  lossOptions: LossOptions;
  /** The seed of a Dropout layer's whole-batch mask (undefined: the layer's own seed). */
  dropoutSeed: (layer: tf.layers.Layer) => number | undefined;
  /**
   * Keep stored activations and gradients as JavaScript arrays between layers instead of
   * tensors (default: true on wasm, whose heap is capped at 4 GB and whose `dataSync` is a copy;
   * false elsewhere: the native engine has no heap cap, and no synchronous read is needed).
   */
  offload?: boolean;
}

/** What {@linkcode layerMajorStep} returns (tensors the caller disposes). */
export interface LayerMajorResult {
  /** The batch loss (regularisation included). */
  loss: tf.Scalar;
  /** Training-mode class probabilities `[n, classes]`. */
  probs: tf.Tensor;
  /** Gradients of the batch loss, in the order of `vars`. */
  grads: tf.Tensor[];
  /** Largest `tf.memory().numBytes` seen during the step. */
  peakBytes: number;
}

type Kind = "bn" | "dropout" | "generic";

interface PlanNode {
  layer: tf.layers.Layer;
  kind: Kind;
  /** Indices of the input tensors. */
  inputs: number[];
  /** Index of the output tensor. */
  output: number;
}

interface Plan {
  nodes: PlanNode[];
  /** Index of the model input tensor (always 0). */
  input: number;
  /** Index of the model output tensor. */
  output: number;
  count: number;
}

interface Sym {
  id: number;
  sourceLayer: tf.layers.Layer;
  inputs: Sym[];
  outputTensorIndex?: number;
}

interface LayerVar {
  read(): tf.Tensor;
  write(t: tf.Tensor): void;
}

interface BatchNormLike {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: LayerVar | null;
  beta: LayerVar | null;
  movingMean: LayerVar;
  movingVariance: LayerVar;
}

interface DropoutInternals {
  rate: number;
  seed?: number;
  getNoiseShape(input: { shape: number[] }): number[] | null | undefined;
}

const RANDOM_LAYERS = new Set([
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
  "SpatialDropout1D",
  "SpatialDropout2D",
  "SpatialDropout3D",
]);

const plans = new WeakMap<tf.LayersModel, Plan>();

/** The model's graph in topological order (cached per model). */
function planOf(model: tf.LayersModel): Plan {
  const cached = plans.get(model);
  if (cached) return cached;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(
      `layer-major micro-batching: model ${model.name} must have one input and one output`,
    );
  }
  const index = new Map<number, number>();
  const nodes: PlanNode[] = [];
  const root = model.inputs[0] as unknown as Sym;
  index.set(root.id, 0);
  const visit = (s: Sym): number => {
    const known = index.get(s.id);
    if (known !== undefined) return known;
    const layer = s.sourceLayer;
    const name = layer.getClassName();
    if (name === "InputLayer") {
      throw new Error(
        `layer-major micro-batching: ${model.name} has a second input (${layer.name})`,
      );
    }
    if (
      RANDOM_LAYERS.has(name) || Array.isArray((layer as unknown as { layers?: unknown }).layers)
    ) {
      throw new Error(
        `layer-major micro-batching: layer ${layer.name} (${name}) is not supported; ` +
          `train whole batches (no --micro-batch)`,
      );
    }
    if ((s.outputTensorIndex ?? 0) !== 0) {
      throw new Error(`layer-major micro-batching: layer ${layer.name} has several outputs`);
    }
    const inputs = s.inputs.map(visit);
    const output = index.size;
    index.set(s.id, output);
    const kind: Kind = name === "BatchNormalization"
      ? "bn"
      : name === "Dropout"
      ? "dropout"
      : "generic";
    if (kind === "bn") {
      const bn = layer as unknown as BatchNormLike;
      const rank = (layer.inputSpec?.[0]?.ndim ?? 0) as number;
      if (!(bn.axis === -1 || (rank > 0 && bn.axis === rank - 1))) {
        throw new Error(
          `layer-major micro-batching: BatchNormalization ${layer.name} must normalise the last axis`,
        );
      }
    }
    nodes.push({ layer, kind, inputs, output });
    return output;
  };
  const output = visit(model.outputs[0] as unknown as Sym);
  const plan: Plan = { nodes, input: 0, output, count: index.size };
  plans.set(model, plan);
  return plan;
}

/**
 * One chunk of a stored tensor: a tensor, or (offloaded) its values in a JavaScript array.
 * `load` returns a tensor the caller disposes.
 */
class Slot {
  #t: tf.Tensor | null;
  #a: Float32Array | null;
  readonly shape: number[];

  private constructor(t: tf.Tensor | null, a: Float32Array | null, shape: number[]) {
    this.#t = t;
    this.#a = a;
    this.shape = shape;
  }

  /** Takes ownership of `t` (offloaded: copied out and disposed). */
  static of(t: tf.Tensor, offload: boolean): Slot {
    if (!offload) return new Slot(t, null, t.shape);
    const a = new Float32Array(t.dataSync() as Float32Array);
    t.dispose();
    return new Slot(null, a, t.shape);
  }

  static array(a: Float32Array, shape: number[]): Slot {
    return new Slot(null, a, shape);
  }

  load(): tf.Tensor {
    return this.#t ? this.#t.clone() : tf.tensor(this.#a!, this.shape, "float32");
  }

  dispose(): void {
    this.#t?.dispose();
    this.#t = null;
    this.#a = null;
  }
}

/**
 * One training step over the batch in `input`, layer-major over chunks of `input.microBatch`
 * rows (see the module documentation): the loss, the probabilities and the gradients of `vars`
 * equal the whole-batch ones up to float32 summation order, and every BatchNormalization layer's
 * moving mean and variance are updated once, with whole-batch statistics. The optimizer update
 * is the caller's.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { layerMajorStep } from "./_layer_major.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const input = tf.input({ shape: [3] });
 * const h = tf.layers.batchNormalization().apply(tf.layers.dense({ units: 4 }).apply(input));
 * const out = tf.layers.dense({ units: 2, activation: "softmax" }).apply(h) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: input, outputs: out });
 * const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
 * const r = layerMajorStep(model, vars, {
 *   x: new Float32Array(12).map((_, i) => i % 5), y: new Int32Array([0, 1, 1, 0]),
 *   sampleShape: [3], microBatch: 2, lossOptions: {}, dropoutSeed: () => undefined,
 * });
 * console.log(r.grads.length, r.probs.shape); // 6 [4, 2]
 * tf.dispose([r.loss, r.probs, ...r.grads]);
 * ```
 */
export function layerMajorStep(
  model: tf.LayersModel,
  vars: readonly tf.Variable[],
  input: LayerMajorInput,
): LayerMajorResult {
  const plan = planOf(model);
  const { x, y, sampleShape, lossOptions } = input;
  const n = y.length;
  const size = sampleShape.reduce((a, b) => a * b, 1);
  if (x.length !== n * size) {
    throw new RangeError(`layerMajorStep: ${x.length} floats for ${n} samples of [${sampleShape}]`);
  }
  const mb = Math.max(1, Math.min(input.microBatch, n));
  const backend = tf.getBackend();
  const offload = input.offload ?? backend === "wasm";
  const chunks: [number, number][] = [];
  for (let s = 0; s < n; s += mb) chunks.push([s, Math.min(n, s + mb)]);
  const varIndex = new Map<number, number>(vars.map((v, i) => [v.id, i]));
  let peakBytes = tf.memory().numBytes;
  const track = (): void => {
    const b = tf.memory().numBytes;
    if (b > peakBytes) peakBytes = b;
  };

  // Which tensors a backward pass reads (inputs of BN and of recomputed layers; the output).
  const backwardReaders = new Array<number>(plan.count).fill(0);
  const forwardReaders = new Array<number>(plan.count).fill(0);
  for (const node of plan.nodes) {
    for (const i of node.inputs) {
      forwardReaders[i]!++;
      if (node.kind !== "dropout") backwardReaders[i]!++;
    }
  }
  backwardReaders[plan.output]!++;

  const values: (Slot[] | null)[] = new Array(plan.count).fill(null);
  const dys: ((Slot | null)[] | null)[] = new Array(plan.count).fill(null);
  const gradSums: (tf.Tensor | null)[] = vars.map(() => null);
  const masks = new Map<PlanNode, tf.Tensor>();
  const bnStats = new Map<PlanNode, { mean: tf.Tensor; invStd: tf.Tensor; m: number }>();
  let lossT: tf.Tensor | null = null;
  let probsT: tf.Tensor | null = null;
  const freeValues = (i: number): void => {
    values[i]?.forEach((s) => s.dispose());
    values[i] = null;
  };
  const addGrad = (vi: number, g: tf.Tensor): void => {
    const prev = gradSums[vi];
    if (prev) {
      gradSums[vi] = tf.add(prev, g);
      tf.dispose([prev, g]);
    } else {
      gradSums[vi] = g;
    }
  };
  const addDy = (i: number, c: number, g: tf.Tensor): void => {
    if (i === plan.input) {
      g.dispose();
      return;
    }
    const list = (dys[i] ??= chunks.map(() => null));
    const prev = list[c];
    if (prev) {
      const sum = tf.tidy(() => {
        const p = prev.load();
        return tf.add(p, g);
      });
      prev.dispose();
      g.dispose();
      list[c] = Slot.of(sum, offload);
    } else {
      list[c] = Slot.of(g, offload);
    }
  };
  const layerVars = (layer: tf.layers.Layer): { v: tf.Variable; i: number }[] =>
    layer.trainableWeights.flatMap((w) => {
      const v = w.read() as tf.Variable;
      const i = varIndex.get(v.id);
      return i === undefined ? [] : [{ v, i }];
    });

  try {
    values[plan.input] = chunks.map(([s, e]) =>
      Slot.array(x.subarray(s * size, e * size), [e - s, ...sampleShape])
    );
    // ---- forward ----
    for (const node of plan.nodes) {
      const ins = node.inputs.map((i) => values[i]!);
      let out: Slot[];
      if (node.kind === "bn") {
        out = bnForward(node, ins[0]!, n, offload, bnStats, track);
      } else if (node.kind === "dropout") {
        const mask = dropoutMask(node.layer, ins[0]![0]!.shape, n, input.dropoutSeed(node.layer));
        if (mask) masks.set(node, mask);
        out = chunks.map(([s, e], c) => {
          const t = tf.tidy(() => {
            const xc = ins[0]![c]!.load();
            return mask ? tf.mul(xc, rowsOf(mask, s, e, n)) : xc;
          });
          track();
          return Slot.of(t, offload);
        });
      } else {
        out = chunks.map((_, c) => {
          const t = tf.tidy(() => {
            const xs = ins.map((slots) => slots[c]!.load());
            return node.layer.apply(xs, { training: true }) as tf.Tensor;
          });
          track();
          return Slot.of(t, offload);
        });
      }
      values[node.output] = out;
      for (const i of node.inputs) {
        if (--forwardReaders[i]! === 0 && backwardReaders[i] === 0) freeValues(i);
      }
    }

    // ---- loss ----
    const outSlots = values[plan.output]!;
    const losses: tf.Tensor[] = [];
    chunks.forEach(([s, e], c) => {
      const [l, dp] = tf.tidy(() => {
        const p = outSlots[c]!.load();
        const ys = tf.tensor1d(y.subarray(s, e), "int32");
        const r = tf.engine().gradients(
          () => crossEntropyTensor(p, ys, lossOptions, n),
          [p],
        );
        return [r.value, r.grads[0]!];
      });
      losses.push(l);
      addDy(plan.output, c, dp);
      track();
    });
    probsT = tf.tidy(() => tf.concat(outSlots.map((sl) => sl.load()), 0));
    lossT = losses.length === 1 ? losses[0]! : tf.addN(losses);
    if (losses.length > 1) tf.dispose(losses);
    if (--backwardReaders[plan.output]! === 0) freeValues(plan.output);

    // ---- backward ----
    for (let k = plan.nodes.length - 1; k >= 0; k--) {
      const node = plan.nodes[k]!;
      const dy = dys[node.output];
      dys[node.output] = null;
      const wanted = node.inputs.map((i) => i !== plan.input);
      if (dy) {
        if (node.kind === "bn") {
          bnBackward(node, values[node.inputs[0]!]!, dy, chunks, bnStats.get(node)!, {
            varIndex,
            addGrad,
            addDx: (c, g) => addDy(node.inputs[0]!, c, g),
            track,
          });
        } else if (node.kind === "dropout") {
          const mask = masks.get(node);
          chunks.forEach(([s, e], c) => {
            if (!dy[c]) return;
            const g = tf.tidy(() => {
              const d = dy[c]!.load();
              return mask ? tf.mul(d, rowsOf(mask, s, e, n)) : d;
            });
            addDy(node.inputs[0]!, c, g);
            track();
          });
        } else {
          const lv = layerVars(node.layer);
          chunks.forEach((_, c) => {
            const d = dy[c];
            if (!d) return;
            const grads = tf.tidy(() => {
              const xs = node.inputs.map((i) => values[i]![c]!.load());
              const targets = [...xs.filter((_, j) => wanted[j]), ...lv.map((o) => o.v)];
              if (targets.length === 0) return [];
              const r = tf.engine().gradients(
                () => node.layer.apply(xs, { training: true }) as tf.Tensor,
                targets,
                d.load(),
                true,
              );
              return r.grads;
            });
            let j = 0;
            node.inputs.forEach((i, q) => {
              if (!wanted[q]) return;
              const g = grads[j++];
              if (g) addDy(i, c, g);
            });
            lv.forEach((o) => {
              const g = grads[j++];
              if (g) addGrad(o.i, g);
            });
            track();
          });
        }
        dy.forEach((s) => s?.dispose());
      }
      for (const i of node.inputs) {
        if (node.kind !== "dropout" && --backwardReaders[i]! === 0) freeValues(i);
      }
    }

    // ---- regularisation (computed on the whole weights, once) ----
    const regCount = tf.tidy(() => model.calculateLosses().length);
    if (regCount > 0) {
      const r = tf.engine().gradients(
        () => tf.addN(model.calculateLosses()),
        [...vars],
        undefined,
        true,
      );
      const total = tf.add(lossT, r.value);
      tf.dispose([lossT, r.value]);
      lossT = total;
      r.grads.forEach((g, i) => g && addGrad(i, g));
    }
    const grads = gradSums.map((g, i) => g ?? tf.zerosLike(vars[i]!));
    gradSums.fill(null);
    const result = { loss: lossT as tf.Scalar, probs: probsT, grads, peakBytes };
    lossT = null;
    probsT = null;
    return result;
  } finally {
    values.forEach((_, i) => freeValues(i));
    dys.forEach((list) => list?.forEach((s) => s?.dispose()));
    tf.dispose([...masks.values()]);
    for (const s of bnStats.values()) tf.dispose([s.mean, s.invStd]);
    tf.dispose(gradSums.filter((g): g is tf.Tensor => g !== null));
    if (lossT) lossT.dispose();
    if (probsT) probsT.dispose();
  }
}

/** Rows [s, e) of a whole-batch mask (or the mask itself when it is shared across the batch). */
function rowsOf(mask: tf.Tensor, s: number, e: number, n: number): tf.Tensor {
  if (mask.shape[0] !== n || (s === 0 && e === n)) return mask;
  return tf.slice(mask, [s, ...mask.shape.slice(1).map(() => 0)], [e - s, ...mask.shape.slice(1)]);
}

/**
 * The multiplier a Dropout layer applies in training to a whole batch of `n` rows of `rowShape`
 * (the chunk shape's tail), drawn as tfjs's `dropout` draws it (`floor(u + keep) / keep`, u
 * uniform from `seed`), or null when the layer is the identity (rate 0 or ≥ 1).
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { dropoutMask } from "./_layer_major.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const m = dropoutMask(tf.layers.dropout({ rate: 0.5 }), [1, 4], 3, 7)!;
 * console.log(m.shape); // [3, 4], entries 0 or 2
 * m.dispose();
 * ```
 */
export function dropoutMask(
  layer: tf.layers.Layer,
  chunkShape: readonly number[],
  n: number,
  seed: number | undefined,
): tf.Tensor | null {
  const d = layer as unknown as DropoutInternals;
  if (!(d.rate > 0 && d.rate < 1)) return null;
  const whole = [n, ...chunkShape.slice(1)];
  const shape = d.getNoiseShape({ shape: whole }) ?? whole;
  return tf.tidy(() => tf.dropout(tf.ones(shape), d.rate, shape, seed ?? d.seed));
}

function bnParams(layer: tf.layers.Layer): {
  bn: BatchNormLike;
  gamma: tf.Tensor | null;
  beta: tf.Tensor | null;
} {
  const bn = layer as unknown as BatchNormLike;
  return { bn, gamma: bn.gamma?.read() ?? null, beta: bn.beta?.read() ?? null };
}

function bnForward(
  node: PlanNode,
  xs: Slot[],
  n: number,
  offload: boolean,
  stats: Map<PlanNode, { mean: tf.Tensor; invStd: tf.Tensor; m: number }>,
  track: () => void,
): Slot[] {
  const { bn, gamma, beta } = bnParams(node.layer);
  const shape = xs[0]!.shape;
  const axes = shape.slice(0, -1).map((_, i) => i);
  const m = n * shape.slice(1, -1).reduce((a, b) => a * b, 1);
  const sumOver = (f: (xc: tf.Tensor) => tf.Tensor): tf.Tensor => {
    let acc: tf.Tensor | null = null;
    for (const slot of xs) {
      const part = tf.tidy(() => tf.sum(f(slot.load()), axes));
      if (acc) {
        const next: tf.Tensor = tf.add(acc, part);
        tf.dispose([acc, part]);
        acc = next;
      } else {
        acc = part;
      }
      track();
    }
    return acc!;
  };
  // Two passes, as tf.moments: the mean, then the mean squared deviation (biased variance).
  const s1 = sumOver((xc) => xc);
  const mean = tf.tidy(() => tf.div(s1, m));
  s1.dispose();
  const s2 = sumOver((xc) => tf.square(tf.sub(xc, mean)));
  const variance = tf.tidy(() => tf.div(s2, m));
  s2.dispose();
  const out = xs.map((slot) => {
    const t = tf.tidy(() =>
      tf.batchNorm(
        slot.load(),
        mean as tf.Tensor1D,
        variance as tf.Tensor1D,
        beta as tf.Tensor1D | undefined ?? undefined,
        gamma as tf.Tensor1D | undefined ?? undefined,
        bn.epsilon,
      )
    );
    track();
    return Slot.of(t, offload);
  });
  // One moving-average update per batch, with the whole-batch statistics.
  tf.tidy(() => {
    const decay = 1 - bn.momentum;
    for (const [v, value] of [[bn.movingMean, mean], [bn.movingVariance, variance]] as const) {
      const old = v.read();
      v.write(tf.sub(old, tf.mul(tf.sub(old, value), decay)));
    }
  });
  const invStd = tf.tidy(() => tf.rsqrt(tf.add(variance, bn.epsilon)));
  variance.dispose();
  stats.set(node, { mean, invStd, m });
  return out;
}

function bnBackward(
  node: PlanNode,
  xs: Slot[],
  dy: (Slot | null)[],
  chunks: [number, number][],
  stat: { mean: tf.Tensor; invStd: tf.Tensor; m: number },
  sink: {
    varIndex: Map<number, number>;
    addGrad: (i: number, g: tf.Tensor) => void;
    addDx: (c: number, g: tf.Tensor) => void;
    track: () => void;
  },
): void {
  const { bn, gamma } = bnParams(node.layer);
  const { mean, invStd, m } = stat;
  const shape = xs[0]!.shape;
  const axes = shape.slice(0, -1).map((_, i) => i);
  const xhatOf = (c: number): tf.Tensor => tf.mul(tf.sub(xs[c]!.load(), mean), invStd);
  const dyOf = (c: number): tf.Tensor =>
    dy[c] ? dy[c]!.load() : tf.zeros(xs[c]!.shape.slice(), "float32");
  // Pass 1: the whole-batch sums Σdy (dβ) and Σdy·x̂ (dγ).
  let dbeta = tf.zeros(mean.shape.slice(), "float32");
  let dgamma = tf.zeros(mean.shape.slice(), "float32");
  for (let c = 0; c < chunks.length; c++) {
    const [nb, ng] = tf.tidy(() => {
      const d = dyOf(c);
      return [tf.add(dbeta, tf.sum(d, axes)), tf.add(dgamma, tf.sum(tf.mul(d, xhatOf(c)), axes))];
    });
    tf.dispose([dbeta, dgamma]);
    dbeta = nb!;
    dgamma = ng!;
    sink.track();
  }
  // Pass 2: dx = γ·σ⁻¹/m · (m·dy − Σdy − x̂·Σdy·x̂), chunk by chunk.
  const scale = tf.tidy(() => tf.mul(gamma ?? tf.scalar(1), tf.div(invStd, m)));
  chunks.forEach((_, c) => {
    const dx = tf.tidy(() =>
      tf.mul(scale, tf.sub(tf.sub(tf.mul(dyOf(c), m), dbeta!), tf.mul(xhatOf(c), dgamma!)))
    );
    sink.addDx(c, dx);
    sink.track();
  });
  scale.dispose();
  const gi = bn.gamma ? sink.varIndex.get(bn.gamma.read().id) : undefined;
  const bi = bn.beta ? sink.varIndex.get(bn.beta.read().id) : undefined;
  if (gi !== undefined) sink.addGrad(gi, dgamma);
  else dgamma.dispose();
  if (bi !== undefined) sink.addGrad(bi, dbeta);
  else dbeta.dispose();
}
