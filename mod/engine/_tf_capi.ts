/**
 * The few functions of TensorFlow's C API (`tensorflow/c/c_api.h`, `tf_tensor.h`) that build a
 * graph and run it in a session, opened through Deno's FFI from the library the native engine
 * already loaded (`_native.ts`). Private to `_tf_graph.ts`.
 *
 * Everything here is a thin, checked wrapper: a call that reports a non-OK `TF_Status` throws an
 * `Error` carrying TensorFlow's message and what was being done.
 *
 * @module
 */

/** `TF_Output` ({ TF_Operation* oper; int index; }), passed by value: 16 bytes on 64-bit. */
const OUTPUT = { struct: ["pointer", "i32"] } as const;

/** `TF_SessionRun`'s parameters. */
const SESSION_RUN = [
  "pointer", // session
  "pointer", // run options (null)
  "buffer", // TF_Output inputs[]
  "buffer", // TF_Tensor* input values[]
  "i32",
  "buffer", // TF_Output outputs[]
  "buffer", // TF_Tensor* output values[] (filled)
  "i32",
  "pointer", // target operations (null)
  "i32",
  "pointer", // run metadata (null)
  "pointer", // status
] as const;

const SYMBOLS = {
  TF_NewStatus: { parameters: [], result: "pointer" },
  TF_DeleteStatus: { parameters: ["pointer"], result: "void" },
  TF_GetCode: { parameters: ["pointer"], result: "i32" },
  TF_Message: { parameters: ["pointer"], result: "pointer" },
  TF_NewGraph: { parameters: [], result: "pointer" },
  TF_DeleteGraph: { parameters: ["pointer"], result: "void" },
  TF_NewOperation: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
  TF_AddInput: { parameters: ["pointer", OUTPUT], result: "void" },
  TF_AddInputList: { parameters: ["pointer", "buffer", "i32"], result: "void" },
  TF_SetAttrType: { parameters: ["pointer", "buffer", "i32"], result: "void" },
  TF_SetAttrInt: { parameters: ["pointer", "buffer", "i64"], result: "void" },
  TF_SetAttrBool: { parameters: ["pointer", "buffer", "u8"], result: "void" },
  TF_SetAttrIntList: { parameters: ["pointer", "buffer", "buffer", "i32"], result: "void" },
  TF_SetAttrString: { parameters: ["pointer", "buffer", "buffer", "usize"], result: "void" },
  TF_SetAttrShape: { parameters: ["pointer", "buffer", "buffer", "i32"], result: "void" },
  TF_SetAttrTensor: { parameters: ["pointer", "buffer", "pointer", "pointer"], result: "void" },
  TF_FinishOperation: { parameters: ["pointer", "pointer"], result: "pointer" },
  TF_AllocateTensor: { parameters: ["i32", "buffer", "i32", "usize"], result: "pointer" },
  TF_TensorData: { parameters: ["pointer"], result: "pointer" },
  TF_TensorByteSize: { parameters: ["pointer"], result: "usize" },
  TF_NumDims: { parameters: ["pointer"], result: "i32" },
  TF_Dim: { parameters: ["pointer", "i32"], result: "i64" },
  TF_DeleteTensor: { parameters: ["pointer"], result: "void" },
  TF_NewSessionOptions: { parameters: [], result: "pointer" },
  TF_SetConfig: { parameters: ["pointer", "buffer", "usize", "pointer"], result: "void" },
  TF_DeleteSessionOptions: { parameters: ["pointer"], result: "void" },
  TF_NewSession: { parameters: ["pointer", "pointer", "pointer"], result: "pointer" },
  TF_CloseSession: { parameters: ["pointer", "pointer"], result: "void" },
  TF_DeleteSession: { parameters: ["pointer", "pointer"], result: "void" },
  TF_SessionRun: { parameters: SESSION_RUN, result: "void" },
  /** The same function on a worker thread: the event loop runs while TensorFlow computes. */
  TF_SessionRunAsync: {
    name: "TF_SessionRun",
    parameters: SESSION_RUN,
    result: "void",
    nonblocking: true,
  },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** `TF_FLOAT` and `TF_INT32` of `TF_DataType`. */
export const TF_FLOAT = 1;
/** `TF_INT32`. */
export const TF_INT32 = 3;

/** An operation in a graph, and the index of one of its outputs. */
export interface TfOutput {
  op: Deno.PointerObject;
  index: number;
}

const encoder = new TextEncoder();

/** A NUL-terminated C string. */
function cstr(s: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(s + "\0");
}

function int64s(values: readonly number[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
}

/** `TF_Output[]` as laid out in memory (16 bytes each). */
function outputs(list: readonly TfOutput[]): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(16 * list.length);
  const view = new DataView(buf.buffer);
  list.forEach((o, i) => {
    view.setBigUint64(16 * i, BigInt(Deno.UnsafePointer.value(o.op)), true);
    view.setInt32(16 * i + 8, o.index, true);
  });
  return buf;
}

/** An attribute value of {@linkcode TfApi.addOp}. */
export type AttrValue =
  | { type: number }
  | { int: number }
  | { bool: boolean }
  | { ints: readonly number[] }
  | { string: string }
  | { shape: readonly number[] }
  | { tensor: { dtype: number; shape: readonly number[]; data: Float32Array | Int32Array } };

/**
 * The C API of one loaded TensorFlow library: graph construction, tensors and sessions.
 * One status object is reused by every call (calls are synchronous, on one thread).
 */
export class TfApi {
  readonly #dl: Deno.DynamicLibrary<typeof SYMBOLS>;
  readonly #lib: Lib;
  readonly #status: Deno.PointerObject;

  /** Opens `path` (a library already loaded by the native engine: the same handle). */
  constructor(path: string) {
    this.#dl = Deno.dlopen(path, SYMBOLS);
    this.#lib = this.#dl.symbols;
    this.#status = this.#lib.TF_NewStatus()!;
  }

  #check(what: string): void {
    if (this.#lib.TF_GetCode(this.#status) === 0) return;
    const msg = Deno.UnsafePointerView.getCString(this.#lib.TF_Message(this.#status)!);
    throw new Error(`TensorFlow: ${what}: ${msg}`);
  }

  /** A new, empty graph. */
  newGraph(): Deno.PointerObject {
    return this.#lib.TF_NewGraph()!;
  }

  /** Frees a graph (after the sessions that use it). */
  deleteGraph(graph: Deno.PointerObject): void {
    this.#lib.TF_DeleteGraph(graph);
  }

  /**
   * Adds operation `type` named `name` to `graph`, with `inputs` (an array entry is an input
   * list, e.g. ConcatV2's values) and attributes; returns the operation.
   */
  addOp(
    graph: Deno.PointerObject,
    type: string,
    name: string,
    inputs: readonly (TfOutput | readonly TfOutput[])[],
    attrs: Record<string, AttrValue> = {},
  ): Deno.PointerObject {
    const L = this.#lib;
    const desc = L.TF_NewOperation(graph, cstr(type), cstr(name));
    for (const input of inputs) {
      if (Array.isArray(input)) L.TF_AddInputList(desc, outputs(input), input.length);
      else L.TF_AddInput(desc, outputs([input as TfOutput]));
    }
    const tensors: Deno.PointerObject[] = [];
    try {
      for (const [key, v] of Object.entries(attrs)) {
        const k = cstr(key);
        if ("type" in v) L.TF_SetAttrType(desc, k, v.type);
        else if ("int" in v) L.TF_SetAttrInt(desc, k, BigInt(v.int));
        else if ("bool" in v) L.TF_SetAttrBool(desc, k, v.bool ? 1 : 0);
        else if ("ints" in v) L.TF_SetAttrIntList(desc, k, int64s(v.ints), v.ints.length);
        else if ("string" in v) {
          const bytes = encoder.encode(v.string);
          L.TF_SetAttrString(desc, k, bytes, BigInt(bytes.length));
        } else if ("shape" in v) L.TF_SetAttrShape(desc, k, int64s(v.shape), v.shape.length);
        else {
          const t = this.tensor(v.tensor.dtype, v.tensor.shape, v.tensor.data);
          tensors.push(t);
          L.TF_SetAttrTensor(desc, k, t, this.#status); // copies the values
          this.#check(`${type} ${name}: attribute ${key}`);
        }
      }
    } finally {
      tensors.forEach((t) => L.TF_DeleteTensor(t));
    }
    const op = L.TF_FinishOperation(desc, this.#status);
    this.#check(`${type} ${name}`);
    return op!;
  }

  /** A new tensor holding a copy of `data`; free it with {@linkcode deleteTensor}. */
  tensor(
    dtype: number,
    shape: readonly number[],
    data: Float32Array | Int32Array,
  ): Deno.PointerObject {
    const t = this.#lib.TF_AllocateTensor(
      dtype,
      int64s(shape),
      shape.length,
      BigInt(data.byteLength),
    );
    if (t === null) throw new Error(`TensorFlow: could not allocate a [${shape}] tensor`);
    if (data.byteLength > 0) {
      const dst = Deno.UnsafePointerView.getArrayBuffer(
        this.#lib.TF_TensorData(t)!,
        data.byteLength,
      );
      new Uint8Array(dst).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    return t;
  }

  /** A float32 tensor's values (copied out) and shape. */
  readFloat32(t: Deno.PointerObject): { data: Float32Array; shape: number[] } {
    const L = this.#lib;
    const shape = Array.from({ length: L.TF_NumDims(t) }, (_, i) => Number(L.TF_Dim(t, i)));
    const bytes = Number(L.TF_TensorByteSize(t));
    const data = new Float32Array(bytes / 4);
    if (bytes > 0) {
      data.set(new Float32Array(Deno.UnsafePointerView.getArrayBuffer(L.TF_TensorData(t)!, bytes)));
    }
    return { data, shape };
  }

  /** Frees a tensor. */
  deleteTensor(t: Deno.PointerObject): void {
    this.#lib.TF_DeleteTensor(t);
  }

  /** A session on `graph`, with a serialised `ConfigProto` (empty: TensorFlow's defaults). */
  newSession(graph: Deno.PointerObject, config: Uint8Array<ArrayBuffer>): Deno.PointerObject {
    const L = this.#lib;
    const opts = L.TF_NewSessionOptions()!;
    try {
      if (config.length > 0) {
        L.TF_SetConfig(opts, config, BigInt(config.length), this.#status);
        this.#check("session options");
      }
      const session = L.TF_NewSession(graph, opts, this.#status);
      this.#check("new session");
      return session!;
    } finally {
      L.TF_DeleteSessionOptions(opts);
    }
  }

  /** Closes and frees a session. */
  deleteSession(session: Deno.PointerObject): void {
    this.#lib.TF_CloseSession(session, this.#status);
    this.#lib.TF_DeleteSession(session, this.#status);
  }

  /**
   * Runs `session`: feeds `feeds` (tensors stay the caller's), fetches `fetches` (new tensors,
   * the caller's to free). Synchronous: the calling thread waits (batch-1 latency, as Keras's
   * `predict_on_batch`).
   */
  run(
    session: Deno.PointerObject,
    feeds: readonly [TfOutput, Deno.PointerObject][],
    fetches: readonly TfOutput[],
  ): Deno.PointerObject[] {
    const args = runArgs(feeds, fetches);
    this.#lib.TF_SessionRun(session, null, ...args.call, this.#status);
    this.#check("session run");
    return args.results();
  }

  /**
   * {@linkcode run} on a worker thread, with its own status: the event loop (progress, Ctrl-C)
   * keeps turning while TensorFlow computes a large batch.
   */
  async runAsync(
    session: Deno.PointerObject,
    feeds: readonly [TfOutput, Deno.PointerObject][],
    fetches: readonly TfOutput[],
  ): Promise<Deno.PointerObject[]> {
    const L = this.#lib;
    const args = runArgs(feeds, fetches);
    const status = L.TF_NewStatus()!;
    try {
      await L.TF_SessionRunAsync(session, null, ...args.call, status);
      if (L.TF_GetCode(status) !== 0) {
        const msg = Deno.UnsafePointerView.getCString(L.TF_Message(status)!);
        throw new Error(`TensorFlow: session run: ${msg}`);
      }
      return args.results();
    } finally {
      L.TF_DeleteStatus(status);
    }
  }

  /** Frees the status object and closes this handle (the library itself stays loaded). */
  close(): void {
    this.#lib.TF_DeleteStatus(this.#status);
    this.#dl.close();
  }
}

/** `TF_SessionRun`'s arguments between the session and the status, and the fetched tensors. */
function runArgs(
  feeds: readonly [TfOutput, Deno.PointerObject][],
  fetches: readonly TfOutput[],
): {
  call: [
    Uint8Array<ArrayBuffer>,
    Uint8Array<ArrayBuffer>,
    number,
    Uint8Array<ArrayBuffer>,
    Uint8Array<ArrayBuffer>,
    number,
    null,
    number,
    null,
  ];
  results: () => Deno.PointerObject[];
} {
  const values = new BigUint64Array(feeds.map(([, t]) => BigInt(Deno.UnsafePointer.value(t))));
  const out = new BigUint64Array(fetches.length);
  return {
    call: [
      outputs(feeds.map(([o]) => o)),
      new Uint8Array(values.buffer),
      feeds.length,
      outputs(fetches),
      new Uint8Array(out.buffer),
      fetches.length,
      null,
      0,
      null,
    ],
    results: () => Array.from(out, (p) => Deno.UnsafePointer.create(p)!),
  };
}

/**
 * A serialised `tensorflow.ConfigProto` setting the thread pools (fields 2 and 5,
 * `intra_op_parallelism_threads` and `inter_op_parallelism_threads`; 0 leaves TensorFlow's
 * default, one per core).
 */
export function configProto(
  options: { intraOp?: number; interOp?: number },
): Uint8Array<ArrayBuffer> {
  const bytes: number[] = [];
  const varint = (v: number): void => {
    for (; v > 0x7f; v = Math.floor(v / 128)) bytes.push((v & 0x7f) | 0x80);
    bytes.push(v);
  };
  const field = (num: number, v: number | undefined): void => {
    if (!v) return;
    bytes.push(num << 3); // wire type 0: varint
    varint(v);
  };
  field(2, options.intraOp);
  field(5, options.interOp);
  return new Uint8Array(bytes);
}
