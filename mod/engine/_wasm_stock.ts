/**
 * What the wasm kernels of this package share: the parts of tfjs-backend-wasm's backend they use,
 * and the stock kernels they replace (kept to fall back on, run by {@linkcode run}).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

export type TensorInfo = tf.TensorInfo;
export type NamedAttrMap = tf.NamedAttrMap;
export type KernelConfig = tf.KernelConfig;

/** The parts of tfjs-backend-wasm's `BackendWasm` these kernels use. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  incRef(dataId: unknown): void;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: unknown, force?: boolean): boolean;
}

export interface Conv2DAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | [[number, number], [number, number], [number, number], [
    number,
    number,
  ]];
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

export const stock = new Map<string, KernelConfig>();
const setUp = new WeakMap<object, Set<string>>();

/** Runs the stock wasm kernel `name` (or the one registered now when there is no stock one). */
export function run(
  backend: WasmBackend,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const k = stock.get(name) ?? tf.getKernel(name, "wasm");
  if (k === undefined) throw new Error(`wasm kernel ${name} missing`);
  if (k.setupFunc) {
    let done = setUp.get(backend);
    if (done === undefined) setUp.set(backend, done = new Set());
    if (!done.has(name)) {
      // Stock kernels we replaced were never set up by the engine; those still registered were.
      if (stock.has(name)) k.setupFunc(backend as unknown as tf.KernelBackend);
      done.add(name);
    }
  }
  return k.kernelFunc({
    inputs,
    attrs,
    backend: backend as unknown as tf.KernelBackend,
  }) as TensorInfo;
}

export function free(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

export function heap(backend: WasmBackend, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

export function size(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
