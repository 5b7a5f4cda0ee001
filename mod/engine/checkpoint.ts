/**
 * Model folders and training checkpoints on disk.
 *
 * A model folder is the standard tfjs LayersModel format (`model.json` with the topology and a
 * weights manifest, plus `weights.bin`), loadable by `tf.loadLayersModel` anywhere. A training
 * checkpoint is a model folder plus `trainer_state.json` (epoch, step, history, callback state,
 * optimizer step and rate), `optimizer.bin` (Adam moments) and `arrays.bin` (named float32 arrays
 * such as EarlyStopping's best weights).
 *
 * Folders are written atomically: every file goes into a temporary sibling folder, is synced, and
 * the folder is renamed into place (an existing folder is first renamed aside, then removed). A
 * crash leaves either the old or the new folder complete, never a mix; between the two renames
 * (microseconds) only the aside copy `<dir>.old-*` exists. Binary arrays are little-endian float32,
 * as tfjs writes them.
 *
 * @module
 */
import { tf } from "./backend.ts";
import { basename, dirname, join } from "node:path";
import { exists, readJson } from "../fs.ts";
import type { OptimizerState } from "./optim.ts";

/** Contents of one file to write: text or bytes. */
export type FileData = string | Uint8Array;

/**
 * Writes `files` (name → contents) as folder `dir`, atomically replacing any existing folder.
 *
 * @example
 * ```ts
 * import { writeDirAtomic } from "./checkpoint.ts";
 * await writeDirAtomic("/tmp/ckpt-example", { "a.txt": "hello\n" });
 * ```
 */
export async function writeDirAtomic(dir: string, files: Record<string, FileData>): Promise<void> {
  const parent = dirname(dir);
  await Deno.mkdir(parent, { recursive: true });
  const tag = `${Deno.pid}-${crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16)}`;
  const tmp = join(parent, `.${basename(dir)}.tmp-${tag}`);
  const old = join(parent, `.${basename(dir)}.old-${tag}`);
  await Deno.mkdir(tmp);
  try {
    for (const [name, data] of Object.entries(files)) {
      if (name.includes("/") || name.startsWith(".")) throw new Error(`bad file name ${name}`);
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      const f = await Deno.open(join(tmp, name), { write: true, createNew: true });
      try {
        let off = 0;
        while (off < bytes.length) off += await f.write(bytes.subarray(off));
        await f.sync();
      } finally {
        f.close();
      }
    }
    const hadOld = await exists(dir);
    if (hadOld) await Deno.rename(dir, old);
    await Deno.rename(tmp, dir);
    if (hadOld) await Deno.remove(old, { recursive: true });
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** The files of a tfjs LayersModel folder for `model`: `model.json` and `weights.bin`. */
export async function modelFiles(
  model: tf.LayersModel,
  metadata?: Record<string, string | number | boolean | object>,
): Promise<Record<string, FileData>> {
  let files: Record<string, FileData> | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    const weightData = artifacts.weightData === undefined
      ? new ArrayBuffer(0)
      : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    const json: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as tf.io.ModelJSON["modelTopology"],
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
      ...(metadata ? { userDefinedMetadata: metadata } : {}),
    };
    files = { "model.json": JSON.stringify(json), "weights.bin": new Uint8Array(weightData) };
    return Promise.resolve({
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: "JSON",
        weightDataBytes: weightData.byteLength,
      },
    });
  }));
  return files!;
}

/**
 * Saves `model` as a tfjs LayersModel folder (`model.json` + `weights.bin`), atomically.
 * `extraFiles` (e.g. `preprocessing.json`) are written into the same folder in the same step.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { loadModelDir, saveModelDir } from "./checkpoint.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
 * const tmp = await Deno.makeTempDir();
 * await saveModelDir(model, `${tmp}/model`);
 * const again = await loadModelDir(`${tmp}/model`);
 * console.log(again.countParams()); // 8
 * model.dispose();
 * again.dispose();
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function saveModelDir(
  model: tf.LayersModel,
  dir: string,
  options: {
    extraFiles?: Record<string, FileData>;
    metadata?: Record<string, string | number | boolean | object>;
  } = {},
): Promise<void> {
  const files = await modelFiles(model, options.metadata);
  await writeDirAtomic(dir, { ...options.extraFiles, ...files });
}

/** Reads `model.json` and the weight shards it lists from `dir` as tfjs model artifacts. */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const path = join(dir, "model.json");
  const json = await readJson<tf.io.ModelJSON>(path);
  if (
    json.modelTopology === undefined || json.modelTopology === null ||
    !Array.isArray(json.weightsManifest)
  ) {
    throw new Error(`${path}: not a tfjs LayersModel model.json (no topology or weights manifest)`);
  }
  return await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      specs.push(...group.weights);
      for (const p of group.paths) {
        const bytes = await Deno.readFile(join(dir, p)).catch((e) => {
          throw new Error(`${join(dir, p)}: cannot read weights (${(e as Error).message})`);
        });
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      }
    }
    return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
  });
}

/**
 * Loads a tfjs LayersModel folder written by {@linkcode saveModelDir} (or by tfjs/the Keras
 * converter) from the file system, without `file://` fetches.
 *
 * @example
 * ```ts
 * import { loadModelDir } from "./checkpoint.ts";
 * const model = await loadModelDir("models/Efficient_VGG_best_WITH_AUG").catch(() => null);
 * ```
 */
export async function loadModelDir(dir: string): Promise<tf.LayersModel> {
  const artifacts = await readModelArtifacts(dir);
  return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

/**
 * Reads the weights saved in folder `dir` as float32 arrays in the model's weight order
 * (`model.weights`, the order tfjs saves them in).
 */
export async function readModelWeights(dir: string): Promise<Float32Array[]> {
  const artifacts = await readModelArtifacts(dir);
  const specs = artifacts.weightSpecs ?? [];
  const named = tf.io.decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), specs);
  try {
    return await Promise.all(
      specs.map(async (s) => new Float32Array(await named[s.name]!.data() as Float32Array)),
    );
  } finally {
    tf.dispose(Object.values(named));
  }
}

/**
 * Copies the current values of `model.weights` (trainable and not) out as float32 arrays, read
 * back asynchronously (every backend; WebGPU has no synchronous read).
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { getWeightArrays } from "./checkpoint.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
 * const w = await getWeightArrays(model);
 * console.log(w.map((a) => a.length)); // [6, 2]
 * model.dispose();
 * ```
 */
export async function getWeightArrays(model: tf.LayersModel): Promise<Float32Array[]> {
  return await Promise.all(
    model.weights.map(async (w) => new Float32Array(await w.read().data() as Float32Array)),
  );
}

/** Writes `arrays` (in `model.weights` order) into the model; sizes must match. */
export function setWeightArrays(model: tf.LayersModel, arrays: readonly Float32Array[]): void {
  const weights = model.weights;
  if (arrays.length !== weights.length) {
    throw new RangeError(`${arrays.length} weight arrays for a model with ${weights.length}`);
  }
  tf.tidy(() => {
    weights.forEach((w, i) => {
      const a = arrays[i]!;
      const size = w.shape.reduce((p: number, d) => p * (d ?? 1), 1);
      if (a.length !== size) {
        throw new RangeError(`weight ${w.originalName}: ${a.length} values, expected ${size}`);
      }
      w.write(tf.tensor(a, w.shape as number[], "float32"));
    });
  });
}

/** What a training checkpoint holds besides the model. */
export interface TrainingCheckpoint<S> {
  /** Trainer state (JSON-serialisable). */
  state: S;
  /** Optimizer state. */
  optimizer: OptimizerState;
  /** Named float32 arrays (e.g. callbacks' best weights). */
  arrays: Record<string, Float32Array>;
}

interface StateFile<S> {
  format: "mgc-trainer-state";
  version: 1;
  state: S;
  optimizer: { iterations: number; learningRate: number; sizes: number[] };
  arrays: { name: string; length: number }[];
}

/**
 * Saves a resumable training checkpoint: the model folder plus trainer and optimizer state, all
 * in one atomic folder write.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { hasCheckpoint, saveCheckpoint } from "./checkpoint.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
 * const tmp = await Deno.makeTempDir();
 * await saveCheckpoint(`${tmp}/ckpt`, model, {
 *   state: { epoch: 0 },
 *   optimizer: { iterations: 0, learningRate: 1e-3, m: [], v: [] },
 *   arrays: {},
 * });
 * console.log(await hasCheckpoint(`${tmp}/ckpt`)); // true
 * model.dispose();
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function saveCheckpoint<S>(
  dir: string,
  model: tf.LayersModel,
  ckpt: TrainingCheckpoint<S>,
): Promise<void> {
  const files = await modelFiles(model);
  const names = Object.keys(ckpt.arrays);
  const stateFile: StateFile<S> = {
    format: "mgc-trainer-state",
    version: 1,
    state: ckpt.state,
    optimizer: {
      iterations: ckpt.optimizer.iterations,
      learningRate: ckpt.optimizer.learningRate,
      sizes: ckpt.optimizer.m.map((a) => a.length),
    },
    arrays: names.map((name) => ({ name, length: ckpt.arrays[name]!.length })),
  };
  await writeDirAtomic(dir, {
    ...files,
    "trainer_state.json": JSON.stringify(stateFile, null, 1) + "\n",
    "optimizer.bin": concatFloat32([...ckpt.optimizer.m, ...ckpt.optimizer.v]),
    "arrays.bin": concatFloat32(names.map((n) => ckpt.arrays[n]!)),
  });
}

/** True when `dir` holds a training checkpoint. */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  return await exists(join(dir, "trainer_state.json"));
}

/**
 * Loads a checkpoint written by {@linkcode saveCheckpoint}: the model weights (in `model.weights`
 * order) and the rest.
 *
 * @example
 * ```ts
 * import { loadCheckpoint } from "./checkpoint.ts";
 * const ckpt = await loadCheckpoint("/tmp/ckpt-example").catch(() => null);
 * ```
 */
export async function loadCheckpoint<S>(
  dir: string,
): Promise<TrainingCheckpoint<S> & { weights: Float32Array[] }> {
  const path = join(dir, "trainer_state.json");
  const file = await readJson<StateFile<S>>(path);
  if (file.format !== "mgc-trainer-state" || file.version !== 1) {
    throw new Error(`${path}: not a trainer state file (format ${file.format} v${file.version})`);
  }
  const sizes = file.optimizer.sizes;
  const slots = splitFloat32(
    await Deno.readFile(join(dir, "optimizer.bin")),
    [...sizes, ...sizes],
    join(dir, "optimizer.bin"),
  );
  const arrayParts = splitFloat32(
    await Deno.readFile(join(dir, "arrays.bin")),
    file.arrays.map((a) => a.length),
    join(dir, "arrays.bin"),
  );
  return {
    weights: await readModelWeights(dir),
    state: file.state,
    optimizer: {
      iterations: file.optimizer.iterations,
      learningRate: file.optimizer.learningRate,
      m: slots.slice(0, sizes.length),
      v: slots.slice(sizes.length),
    },
    arrays: Object.fromEntries(file.arrays.map((a, i) => [a.name, arrayParts[i]!])),
  };
}

function concatFloat32(arrays: readonly Float32Array[]): Uint8Array {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Float32Array(total);
  let off = 0;
  for (const a of arrays) {
    out.set(a, off);
    off += a.length;
  }
  return new Uint8Array(out.buffer);
}

function splitFloat32(bytes: Uint8Array, lengths: readonly number[], path: string): Float32Array[] {
  const total = lengths.reduce((s, n) => s + n, 0);
  if (bytes.byteLength !== total * 4) {
    throw new Error(`${path}: ${bytes.byteLength} bytes, expected ${total * 4}`);
  }
  const all = new Float32Array(bytes.slice().buffer);
  const out: Float32Array[] = [];
  let off = 0;
  for (const n of lengths) {
    out.push(all.slice(off, off + n));
    off += n;
  }
  return out;
}
