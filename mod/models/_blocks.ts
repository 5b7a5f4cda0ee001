/**
 * Building blocks shared by the four architectures: Conv2D (no bias) → BatchNormalization →
 * activation, the squeeze-and-excitation block, PReLU with one slope per channel, and seeded
 * Glorot-uniform initialisers.
 *
 * The Keras defaults of the original are spelled out where tfjs differs or might: BatchNorm
 * momentum 0.99 and epsilon 1e-3, PReLU alpha initialised to zeros and shared over the two
 * spatial axes, MaxPool 2×2 stride 2.
 *
 * Private to `mod/models/`.
 *
 * @module
 */
import { tf } from "../engine/backend.ts";
import { Rng } from "../rng.ts";

/** A symbolic tensor of the functional API. */
export type SymbolicTensor = tf.SymbolicTensor;

/** A tfjs weight initialiser (the class is not exported by name). */
export type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

/** Activation after a Conv-BN pair. */
export type Act = "relu" | "prelu" | "none";

/**
 * Hands out one Glorot-uniform initialiser per weighted layer, each with its own seed derived
 * from the model seed and the layer's index in construction order, so that the same seed gives
 * the same initial weights and no two layers share a stream.
 *
 * @example
 * ```ts
 * import { Initializers } from "./_blocks.ts";
 * const init = new Initializers(42);
 * const a = init.glorot(); // layer 0
 * const b = init.glorot(); // layer 1, another seed
 * ```
 */
export class Initializers {
  #seed: number;
  #index = 0;
  /** Momentum of every BatchNormalization built with this context (Keras default 0.99). */
  readonly bnMomentum: number;

  /** Seeds derive from `seed` (a 32-bit integer). */
  constructor(seed: number, bnMomentum = 0.99) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.#seed = seed;
    this.bnMomentum = bnMomentum;
  }

  /** The seed of weighted layer number `index` (pure function of the model seed and index). */
  seedAt(index: number): number {
    return new Rng(this.#seed).derive(`glorot:${index}`).nextUint32();
  }

  /** A Glorot-uniform initialiser for the next weighted layer. */
  glorot(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.seedAt(this.#index++) });
  }
}

/** Keras BatchNormalization defaults (momentum 0.99, epsilon 1e-3). */
export function batchNorm(name: string, momentum = 0.99): tf.layers.Layer {
  return tf.layers.batchNormalization({ axis: -1, momentum, epsilon: 1e-3, name });
}

/** PReLU with one slope per channel (shared over height and width), slopes initialised to 0. */
export function prelu(name: string): tf.layers.Layer {
  return tf.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: "zeros", name });
}

/** 2×2 max pooling, stride 2, 'valid' padding (Keras `MaxPooling2D((2, 2))`). */
export function maxPool(name: string): tf.layers.Layer {
  return tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: "valid", name });
}

/** Layer names of one {@linkcode convBnAct} call. */
export interface ConvBnActNames {
  /** The Conv2D layer. */
  conv: string;
  /** The BatchNormalization layer. */
  bn: string;
  /** The activation layer (ignored when `act` is "none"). */
  act?: string;
}

/**
 * Conv2D ('same' padding, no bias, seeded Glorot-uniform kernel) → BatchNormalization →
 * activation.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "../engine/backend.ts";
 * import { convBnAct, Initializers } from "./_blocks.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const x = tf.input({ shape: [32, 32, 1] });
 * const y = convBnAct(x, new Initializers(1), {
 *   filters: 8,
 *   act: "prelu",
 *   names: { conv: "c1", bn: "b1", act: "p1" },
 * });
 * console.log(y.shape); // [ null, 32, 32, 8 ]
 * ```
 */
export function convBnAct(
  x: SymbolicTensor,
  init: Initializers,
  options: { filters: number; kernel?: number; strides?: number; act: Act; names: ConvBnActNames },
): SymbolicTensor {
  const { filters, kernel = 3, strides = 1, act, names } = options;
  let y = tf.layers.conv2d({
    filters,
    kernelSize: kernel,
    strides,
    padding: "same",
    useBias: false,
    kernelInitializer: init.glorot(),
    name: names.conv,
  }).apply(x) as SymbolicTensor;
  y = batchNorm(names.bn, init.bnMomentum).apply(y) as SymbolicTensor;
  if (act === "none") return y;
  const actName = names.act ?? `${names.conv}_${act}`;
  const layer = act === "prelu"
    ? prelu(actName)
    : tf.layers.activation({ activation: "relu", name: actName });
  return layer.apply(y) as SymbolicTensor;
}

/**
 * Squeeze-and-excitation (Hu et al. 2018): GAP → Dense(C/ratio, relu) → Dense(C, sigmoid) →
 * reshape to [1, 1, C] → channel-wise multiply with the input. Dense layers have biases (Keras
 * default). Layer names are `${prefix}_squeeze`, `_reduce`, `_expand`, `_reshape`, `_scale`.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "../engine/backend.ts";
 * import { Initializers, seBlock } from "./_blocks.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const x = tf.input({ shape: [8, 8, 16] });
 * const y = seBlock(x, new Initializers(1), { prefix: "se1" });
 * console.log(y.shape); // [ null, 8, 8, 16 ]
 * ```
 */
export function seBlock(
  x: SymbolicTensor,
  init: Initializers,
  options: { prefix: string; ratio?: number },
): SymbolicTensor {
  const { prefix, ratio = 8 } = options;
  const channels = x.shape[x.shape.length - 1];
  if (typeof channels !== "number") throw new Error(`${prefix}: channel dimension unknown`);
  const units = Math.max(1, Math.floor(channels / ratio));
  let s = tf.layers.globalAveragePooling2d({ name: `${prefix}_squeeze` }).apply(
    x,
  ) as SymbolicTensor;
  s = tf.layers.dense({
    units,
    activation: "relu",
    kernelInitializer: init.glorot(),
    name: `${prefix}_reduce`,
  }).apply(s) as SymbolicTensor;
  s = tf.layers.dense({
    units: channels,
    activation: "sigmoid",
    kernelInitializer: init.glorot(),
    name: `${prefix}_expand`,
  }).apply(s) as SymbolicTensor;
  s = tf.layers.reshape({ targetShape: [1, 1, channels], name: `${prefix}_reshape` })
    .apply(s) as SymbolicTensor;
  return tf.layers.multiply({ name: `${prefix}_scale` }).apply([x, s]) as SymbolicTensor;
}

/**
 * The classification head every model ends with: GAP named `gap` (the analysis takes embeddings
 * from it), optional hidden Dense layers, Dropout named `dropout` (no fixed seed: the trainer
 * sets a per-step seed), and Dense softmax named `classifier`.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "../engine/backend.ts";
 * import { classifierHead, Initializers } from "./_blocks.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const x = tf.input({ shape: [4, 4, 8] });
 * const y = classifierHead(x, new Initializers(1), { numClasses: 3, dropout: 0.5 });
 * console.log(y.shape); // [ null, 3 ]
 * ```
 */
export function classifierHead(
  x: SymbolicTensor,
  init: Initializers,
  options: { numClasses: number; dropout: number; hidden?: { units: number; name: string }[] },
): SymbolicTensor {
  let y = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(x) as SymbolicTensor;
  for (const h of options.hidden ?? []) {
    y = tf.layers.dense({
      units: h.units,
      activation: "relu",
      kernelInitializer: init.glorot(),
      name: h.name,
    }).apply(y) as SymbolicTensor;
  }
  y = tf.layers.dropout({ rate: options.dropout, name: "dropout" }).apply(y) as SymbolicTensor;
  return tf.layers.dense({
    units: options.numClasses,
    activation: "softmax",
    kernelInitializer: init.glorot(),
    name: "classifier",
  }).apply(y) as SymbolicTensor;
}
