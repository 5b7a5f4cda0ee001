/**
 * Inference on the native engine as one TensorFlow graph: a trained `tf.LayersModel` (usually
 * the BatchNormalization-folded copy from `fold.ts`) is translated, layer by layer, into the
 * TensorFlow operations Keras itself would run (`Conv2D`, `BiasAdd`, `Relu`, `MaxPool`, `Mean`,
 * `MatMul`, `Softmax`, …), its weights as constants, and run in one `TF_Session` through the C API
 * (`_tf_capi.ts`).
 *
 * Why: tfjs-node executes a model op by op, each one an eager TensorFlow call from JavaScript
 * (about 200 per UNet inference), while Keras's `predict_on_batch` runs one graph that
 * TensorFlow's optimiser (Grappler) rewrites first — `Conv2D + BiasAdd + Relu` become one
 * `_FusedConv2D`, oneDNN picks its layouts once. At batch 1 those per-op calls were most of the
 * native engine's latency (1.7–1.9× Keras's on two cores); one session run removes them.
 *
 * The translation covers the layers of the project's models and their usual relatives:
 * InputLayer, Conv2D (and `fold.ts`'s folded convolution with bias and ReLU/PReLU), Dense,
 * BatchNormalization (inference mode, as a per-channel scale and shift), Activation, ReLU,
 * Softmax, PReLU, Max/AveragePooling2D, GlobalAverage/MaxPooling2D, Flatten, Reshape, Dropout and
 * other training-only noise (identity), Add, Multiply, Concatenate. Anything else throws
 * {@linkcode UnsupportedLayer}, and the caller runs the model through tfjs instead.
 *
 * Private to `evaluate.ts` and `latency.ts`.
 *
 * @module
 */
import { tf } from "./backend.ts";
import { nativeLibraryPath } from "./_native.ts";
import type { LayerJson, ModelJson } from "./_model_json.ts";
import {
  type AttrValue,
  configProto,
  TF_FLOAT,
  TF_INT32,
  TfApi,
  type TfOutput,
} from "./_tf_capi.ts";

/** A layer the graph translation does not know; the model runs through tfjs instead. */
export class UnsupportedLayer extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedLayer";
  }
}

let api: TfApi | null = null;

/** The C API of the library the `tensorflow` backend loaded, or null when it is not active. */
function tfApi(): TfApi | null {
  if (api !== null) return api;
  if (tf.getBackend() !== "tensorflow") return null;
  const path = nativeLibraryPath();
  if (path === null) return null;
  api = new TfApi(path);
  return api;
}

/** Options of {@linkcode NativeGraph.build}. */
export interface NativeGraphOptions {
  /** Threads of TensorFlow's intra-op pool (default: TensorFlow's, one per core). */
  threads?: number;
}

/**
 * A model compiled into one TensorFlow graph and session: {@linkcode NativeGraph.run} feeds a
 * batch of inputs and returns the model's output. Dispose it to free the session.
 */
export class NativeGraph {
  readonly #api: TfApi;
  readonly #graph: Deno.PointerObject;
  readonly #session: Deno.PointerObject;
  readonly #input: TfOutput;
  readonly #output: TfOutput;
  /** The input shape without the batch axis. */
  readonly sampleShape: number[];
  /** TensorFlow operations in the graph (before TensorFlow's own rewrites). */
  readonly ops: number;
  #disposed = false;

  private constructor(
    a: TfApi,
    graph: Deno.PointerObject,
    session: Deno.PointerObject,
    io: { input: TfOutput; output: TfOutput; sampleShape: number[]; ops: number },
  ) {
    this.#api = a;
    this.#graph = graph;
    this.#session = session;
    this.#input = io.input;
    this.#output = io.output;
    this.sampleShape = io.sampleShape;
    this.ops = io.ops;
  }

  /**
   * Translates `model` (one input, one output, inference mode) into a graph and opens a session
   * on it. Returns null when the native engine is not the active backend; throws
   * {@linkcode UnsupportedLayer} when a layer has no translation.
   */
  static async build(
    model: tf.LayersModel,
    options: NativeGraphOptions = {},
  ): Promise<NativeGraph | null> {
    const a = tfApi();
    if (a === null) return null;
    // A Sequential model's topology has no inbound nodes: translate its functional view.
    if (model instanceof tf.Sequential) {
      model = tf.model({ inputs: model.inputs, outputs: model.outputs });
    }
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new UnsupportedLayer(`${model.name}: only models with one input and one output`);
    }
    const sampleShape = model.inputs[0]!.shape.slice(1);
    if (!sampleShape.every((d) => typeof d === "number")) {
      throw new UnsupportedLayer(`${model.name}: undefined input dimensions`);
    }
    const weights = await layerWeights(model);
    const json = model.toJSON(null, false) as unknown as ModelJson;
    const graph = a.newGraph();
    try {
      const b = new Builder(a, graph);
      const outs = new Map<string, TfOutput>();
      for (const layer of json.config.layers) {
        const inputs = layer.inbound_nodes.length === 0 ? [] : inboundOf(layer, outs);
        const shapes = layerShapes(model.getLayer(layer.name));
        outs.set(layer.name, b.layer(layer, inputs, weights.get(layer.name) ?? [], shapes));
      }
      const [outName] = json.config.output_layers[0]!;
      const [inName] = json.config.input_layers[0]!;
      const session = a.newSession(graph, configProto({ intraOp: options.threads }));
      return new NativeGraph(a, graph, session, {
        input: outs.get(inName)!,
        output: outs.get(outName)!,
        sampleShape: sampleShape as number[],
        ops: b.count,
      });
    } catch (e) {
      a.deleteGraph(graph);
      throw e;
    }
  }

  /**
   * Runs the model on `n` samples (row-major, `n × sampleShape`); returns the output rows.
   * Synchronous (the batch-1 latency path).
   */
  run(x: Float32Array, n: number): { data: Float32Array; shape: number[] } {
    const input = this.#feed(x, n);
    try {
      const [out] = this.#api.run(this.#session, [[this.#input, input]], [this.#output]);
      return this.#fetch(out!);
    } finally {
      this.#api.deleteTensor(input);
    }
  }

  /** {@linkcode run} on a worker thread: the event loop turns while TensorFlow computes. */
  async runAsync(x: Float32Array, n: number): Promise<{ data: Float32Array; shape: number[] }> {
    const input = this.#feed(x, n);
    try {
      const [out] = await this.#api.runAsync(this.#session, [[this.#input, input]], [this.#output]);
      return this.#fetch(out!);
    } finally {
      this.#api.deleteTensor(input);
    }
  }

  #feed(x: Float32Array, n: number): Deno.PointerObject {
    if (this.#disposed) throw new Error("NativeGraph: used after dispose");
    const size = this.sampleShape.reduce((p, d) => p * d, 1);
    if (x.length !== n * size) {
      throw new RangeError(`NativeGraph: ${x.length} floats for ${n} samples of ${size}`);
    }
    return this.#api.tensor(TF_FLOAT, [n, ...this.sampleShape], x);
  }

  #fetch(out: Deno.PointerObject): { data: Float32Array; shape: number[] } {
    try {
      return this.#api.readFloat32(out);
    } finally {
      this.#api.deleteTensor(out);
    }
  }

  /** Frees the session and the graph. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#api.deleteSession(this.#session);
    this.#api.deleteGraph(this.#graph);
  }
}

/**
 * {@linkcode NativeGraph.build}, or null: when the native engine is not the backend, when a layer
 * has no translation (silently: the model runs through tfjs, as it always could), or when
 * TensorFlow refuses the graph (a translation bug: one warning line, and tfjs runs it).
 */
export async function tryNativeGraph(
  model: tf.LayersModel,
  options: NativeGraphOptions = {},
): Promise<NativeGraph | null> {
  try {
    return await NativeGraph.build(model, options);
  } catch (e) {
    if (!(e instanceof UnsupportedLayer)) {
      console.warn(
        `native graph of ${model.name} refused (${(e as Error).message.split("\n")[0]}); ` +
          `running it op by op`,
      );
    }
    return null;
  }
}

/** Every layer's weights, read out once: values and shapes. */
async function layerWeights(
  model: tf.LayersModel,
): Promise<Map<string, { data: Float32Array; shape: number[] }[]>> {
  const out = new Map<string, { data: Float32Array; shape: number[] }[]>();
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    const read: { data: Float32Array; shape: number[] }[] = [];
    for (const w of ws) read.push({ data: (await w.data()) as Float32Array, shape: w.shape });
    out.set(layer.name, read);
  }
  return out;
}

/** A layer's (first) input rank and its output shape, batch axis included. */
interface Shapes {
  inputRank: number;
  output: (number | null)[];
}

function layerShapes(layer: tf.layers.Layer): Shapes {
  const first = (t: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor =>
    Array.isArray(t) ? t[0]! : t;
  return {
    inputRank: first(layer.input as tf.SymbolicTensor).shape.length,
    output: first(layer.output as tf.SymbolicTensor).shape,
  };
}

function inboundOf(layer: LayerJson, outs: Map<string, TfOutput>): TfOutput[] {
  if (layer.inbound_nodes.length !== 1) {
    throw new UnsupportedLayer(`layer ${layer.name} is called more than once (shared layer)`);
  }
  return layer.inbound_nodes[0]!.map(([from, , tensorIndex]) => {
    const o = outs.get(from);
    if (o === undefined || tensorIndex !== 0) {
      throw new UnsupportedLayer(`layer ${layer.name}: input ${from}[${tensorIndex}] not found`);
    }
    return o;
  });
}

type Weight = { data: Float32Array; shape: number[] };

/** Emits the operations of one layer after another, naming them after the layer. */
class Builder {
  count = 0;
  readonly #api: TfApi;
  readonly #graph: Deno.PointerObject;
  #prefix = "";

  constructor(a: TfApi, graph: Deno.PointerObject) {
    this.#api = a;
    this.#graph = graph;
  }

  #op(
    type: string,
    inputs: readonly (TfOutput | readonly TfOutput[])[],
    attrs: Record<string, AttrValue> = {},
  ): TfOutput {
    const name = `${this.#prefix}/${type}_${this.count++}`;
    return { op: this.#api.addOp(this.#graph, type, name, inputs, attrs), index: 0 };
  }

  #const(w: Weight): TfOutput {
    return this.#op("Const", [], {
      dtype: { type: TF_FLOAT },
      value: { tensor: { dtype: TF_FLOAT, shape: w.shape, data: w.data } },
    });
  }

  /** An int32 constant: a vector, or a scalar when `scalar`. */
  #ints(values: readonly number[], scalar = false): TfOutput {
    const shape = scalar ? [] : [values.length];
    return this.#op("Const", [], {
      dtype: { type: TF_INT32 },
      value: { tensor: { dtype: TF_INT32, shape, data: Int32Array.from(values) } },
    });
  }

  #activation(x: TfOutput, name: unknown, where: string): TfOutput {
    switch (name ?? "linear") {
      case "linear":
        return x;
      case "relu":
        return this.#op("Relu", [x], { T: { type: TF_FLOAT } });
      case "relu6":
        return this.#op("Relu6", [x], { T: { type: TF_FLOAT } });
      case "sigmoid":
        return this.#op("Sigmoid", [x], { T: { type: TF_FLOAT } });
      case "tanh":
        return this.#op("Tanh", [x], { T: { type: TF_FLOAT } });
      case "elu":
        return this.#op("Elu", [x], { T: { type: TF_FLOAT } });
      case "selu":
        return this.#op("Selu", [x], { T: { type: TF_FLOAT } });
      case "softplus":
        return this.#op("Softplus", [x], { T: { type: TF_FLOAT } });
      case "softmax":
        return this.#op("Softmax", [x], { T: { type: TF_FLOAT } });
      default:
        throw new UnsupportedLayer(`${where}: activation "${name}"`);
    }
  }

  /** Keras's PReLU: relu(x) − alpha · relu(−x). */
  #prelu(x: TfOutput, alpha: Weight): TfOutput {
    const T = { T: { type: TF_FLOAT } };
    const pos = this.#op("Relu", [x], T);
    const neg = this.#op("Relu", [this.#op("Neg", [x], T)], T);
    return this.#op("Sub", [pos, this.#op("Mul", [this.#const(alpha), neg], T)], T);
  }

  /** The operations of `layer` on `inputs`; returns its output. */
  layer(layer: LayerJson, inputs: TfOutput[], w: Weight[], shapes: Shapes): TfOutput {
    this.#prefix = layer.name.replace(/[^A-Za-z0-9_.\-/]/g, "_").replace(/^[^A-Za-z0-9.]/, "L");
    const c = layer.config;
    const T = { T: { type: TF_FLOAT } };
    const where = `layer ${layer.name} (${layer.class_name})`;
    const x = inputs[0]!;
    const channelsLast = (): void => {
      if (c.data_format === "channels_first") {
        throw new UnsupportedLayer(`${where}: channels_first`);
      }
    };
    switch (layer.class_name) {
      case "InputLayer": {
        const shape = c.batch_input_shape as (number | null)[];
        return this.#op("Placeholder", [], {
          dtype: { type: TF_FLOAT },
          shape: { shape: shape.map((d) => d ?? -1) },
        });
      }
      case "Conv2D":
      case "MgcFoldedConv2D": {
        channelsLast();
        const s = c.strides as number[], d = (c.dilation_rate as number[] | undefined) ?? [1, 1];
        let y = this.#op("Conv2D", [x, this.#const(w[0]!)], {
          ...T,
          strides: { ints: [1, s[0]!, s[1]!, 1] },
          dilations: { ints: [1, d[0]!, d[1]!, 1] },
          padding: { string: String(c.padding).toUpperCase() },
          data_format: { string: "NHWC" },
        });
        if (c.use_bias) y = this.#op("BiasAdd", [y, this.#const(w[1]!)], T);
        if (layer.class_name === "Conv2D") return this.#activation(y, c.activation, where);
        // fold.ts's convolution; its JSON config spells the key in snake case.
        const act = c.folded_activation;
        if (act === "prelu") return this.#prelu(y, w[2]!);
        return this.#activation(y, act, where);
      }
      case "Dense": {
        if (w[0]!.shape.length !== 2) throw new UnsupportedLayer(`${where}: kernel rank`);
        let y = this.#op("MatMul", [x, this.#const(w[0]!)], T);
        if (c.use_bias) y = this.#op("BiasAdd", [y, this.#const(w[1]!)], T);
        return this.#activation(y, c.activation, where);
      }
      case "BatchNormalization": {
        const axis = Array.isArray(c.axis) ? c.axis : [c.axis];
        if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== 3)) {
          throw new UnsupportedLayer(`${where}: axis ${JSON.stringify(c.axis)}`);
        }
        const ws = [...w];
        const ch = ws[ws.length - 1]!.data.length;
        const gamma = c.scale ? ws.shift()!.data : new Float32Array(ch).fill(1);
        const beta = c.center ? ws.shift()!.data : new Float32Array(ch);
        const [mean, variance] = ws as [Weight, Weight];
        const eps = Number(c.epsilon);
        const scale = new Float32Array(ch), shift = new Float32Array(ch);
        for (let i = 0; i < ch; i++) {
          scale[i] = gamma[i]! / Math.sqrt(variance.data[i]! + eps);
          shift[i] = beta[i]! - mean.data[i]! * scale[i]!;
        }
        const y = this.#op("Mul", [x, this.#const({ data: scale, shape: [ch] })], T);
        return this.#op("AddV2", [y, this.#const({ data: shift, shape: [ch] })], T);
      }
      case "Activation":
        return this.#activation(x, c.activation, where);
      case "ReLU":
        if ((c.max_value ?? null) !== null || Number(c.negative_slope ?? 0) !== 0) {
          throw new UnsupportedLayer(`${where}: max_value/negative_slope`);
        }
        return this.#activation(x, "relu", where);
      case "Softmax":
        // TensorFlow's Softmax runs over the last axis (tfjs's layer defaults to axis 1).
        if (![-1, shapes.inputRank - 1].includes(Number(c.axis ?? -1))) {
          throw new UnsupportedLayer(`${where}: axis ${c.axis}`);
        }
        return this.#activation(x, "softmax", where);
      case "PReLU":
        return this.#prelu(x, w[0]!);
      case "MaxPooling2D":
      case "AveragePooling2D": {
        channelsLast();
        const p = c.pool_size as number[], s = (c.strides as number[] | null) ?? p;
        return this.#op(layer.class_name === "MaxPooling2D" ? "MaxPool" : "AvgPool", [x], {
          ...T,
          ksize: { ints: [1, p[0]!, p[1]!, 1] },
          strides: { ints: [1, s[0]!, s[1]!, 1] },
          padding: { string: String(c.padding).toUpperCase() },
          data_format: { string: "NHWC" },
        });
      }
      case "GlobalAveragePooling2D":
      case "GlobalMaxPooling2D": {
        channelsLast();
        const type = layer.class_name === "GlobalMaxPooling2D" ? "Max" : "Mean";
        return this.#op(type, [x, this.#ints([1, 2])], {
          ...T,
          Tidx: { type: TF_INT32 },
          keep_dims: { bool: c.keepdims === true },
        });
      }
      case "Flatten":
      case "Reshape": {
        const target = shapes.output.slice(1);
        if (!target.every((d) => typeof d === "number")) {
          throw new UnsupportedLayer(`${where}: output shape ${JSON.stringify(shapes.output)}`);
        }
        return this.#op("Reshape", [x, this.#ints([-1, ...target as number[]])], {
          ...T,
          Tshape: { type: TF_INT32 },
        });
      }
      case "Dropout":
      case "SpatialDropout2D":
      case "GaussianNoise":
      case "GaussianDropout":
      case "AlphaDropout":
        return x; // training only
      case "Add":
      case "Multiply": {
        const type = layer.class_name === "Add" ? "AddV2" : "Mul";
        return inputs.slice(1).reduce((acc, y) => this.#op(type, [acc, y], T), x);
      }
      case "Concatenate":
        return this.#op("ConcatV2", [inputs, this.#ints([Number(c.axis ?? -1)], true)], {
          ...T,
          N: { int: inputs.length },
          Tidx: { type: TF_INT32 },
        });
      default:
        throw new UnsupportedLayer(`${where}: no TensorFlow graph translation`);
    }
  }
}
