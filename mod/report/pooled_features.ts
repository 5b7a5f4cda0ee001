/**
 * The champion's pooled features for the t-SNE figure: the model bundle cut at its global-average-
 * pooling layer (every model here names it `gap`), run on a class-balanced, seeded subsample of the
 * processed test set in fixed-size batches, so memory stays at one batch of inputs whatever the
 * size of the test set (rows are read from `X_test.npy` on disk, not loaded whole).
 *
 * @module
 */
import { join } from "node:path";
import type { EmbeddingSource } from "./analysis_types.ts";
import { tf } from "../engine/backend.ts";
import { loadModelDir } from "../engine/checkpoint.ts";
import { exists, readJson, sha256Hex } from "../fs.ts";
import { NpyReader, readNpy } from "../npy.ts";
import { Rng } from "../rng.ts";
import { checkInterrupt } from "../interrupt.ts";
import { balancedSubsample } from "./tsne.ts";

/** Options for {@linkcode pooledFeatureSource}. */
export interface PooledFeatureOptions {
  /** Model bundle folder (`model.json`, `weights.bin`). */
  modelDir: string;
  /** Processed data folder with `X_test.npy`, `y_test.npy`, `labels.json`. */
  dataDir: string;
  /** At most this many segments per class (default 100). */
  perClass?: number;
  /** Seed of the subsample (default 42; the analysis derives the same stream). */
  seed?: number;
  /** Inference batch size (default 32). */
  batchSize?: number;
  /** Name of the pooling layer (default "gap"). */
  layer?: string;
}

/**
 * An {@linkcode EmbeddingSource} for the analysis, or a string saying which input is missing. The
 * cache key hashes the model files, the test labels and the test inputs with the options.
 *
 * @example
 * ```ts
 * import { pooledFeatureSource } from "./pooled_features.ts";
 * const src = await pooledFeatureSource({
 *   modelDir: "models/UNet_Audio_Classifier_best_WITH_AUG",
 *   dataDir: "data/processed/gtzan/random",
 * });
 * ```
 */
export async function pooledFeatureSource(
  options: PooledFeatureOptions,
): Promise<EmbeddingSource | string> {
  const { modelDir, dataDir } = options;
  const perClass = options.perClass ?? 100;
  const seed = options.seed ?? 42;
  const layer = options.layer ?? "gap";
  const batchSize = options.batchSize ?? 32;
  const need = [
    join(modelDir, "model.json"),
    join(modelDir, "weights.bin"),
    join(dataDir, "X_test.npy"),
    join(dataDir, "y_test.npy"),
    join(dataDir, "labels.json"),
  ];
  const absent: string[] = [];
  for (const p of need) if (!(await exists(p))) absent.push(p);
  if (absent.length) return `${absent.join(", ")} not found (pooled features need them)`;
  const parts: Uint8Array[] = [new TextEncoder().encode(`pooled-v1 ${layer} ${perClass} ${seed}`)];
  for (const p of need) parts.push(new TextEncoder().encode(p), await Deno.readFile(p));
  const key = await sha256Hex(await new Blob(parts as BlobPart[]).bytes());
  return {
    key,
    description: `${modelDir}, layer "${layer}", ${dataDir}/X_test.npy`,
    embed: async () => {
      const labels = (await readNpy(join(dataDir, "y_test.npy"))).data;
      if (!(labels instanceof Int32Array)) throw new Error(`${dataDir}/y_test.npy: expected int32`);
      const labelNames = await readJson<string[]>(join(dataDir, "labels.json"));
      const idx = balancedSubsample(labels, perClass, new Rng(seed).derive("tsne-subsample"));
      const features = await pooledFeatures(modelDir, join(dataDir, "X_test.npy"), idx, {
        batchSize,
        layer,
      });
      return {
        features: features.data,
        dim: features.dim,
        labels: Int32Array.from(idx, (i) => labels[i]!),
        labelNames,
      };
    },
  };
}

/**
 * Runs the rows `indices` of a float32 `.npy` (`[N, mels, frames, 1]`) through the model in
 * `modelDir` up to layer `layer`, `batchSize` rows at a time. The backend must be initialised.
 *
 * @example
 * ```ts ignore
 * import { pooledFeatures } from "./pooled_features.ts";
 * const f = await pooledFeatures("models/m", "data/X_test.npy", [0, 1, 2], { batchSize: 2 });
 * ```
 */
export async function pooledFeatures(
  modelDir: string,
  xPath: string,
  indices: readonly number[],
  options: { batchSize?: number; layer?: string } = {},
): Promise<{ data: Float32Array; dim: number }> {
  const layerName = options.layer ?? "gap";
  const batchSize = Math.max(1, options.batchSize ?? 32);
  const model = await loadModelDir(modelDir);
  let cut: tf.LayersModel | null = null;
  const reader = await NpyReader.open(xPath);
  try {
    let layer: tf.layers.Layer;
    try {
      layer = model.getLayer(layerName);
    } catch {
      throw new Error(`${modelDir}: the model has no layer named "${layerName}"`);
    }
    cut = tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor });
    const dim = (cut.outputs[0]!.shape as (number | null)[]).slice(1).reduce<number>(
      (a, b) => a * (b ?? 1),
      1,
    );
    const shape = reader.shape.slice(1);
    if (reader.dtype !== "<f4") throw new Error(`${xPath}: expected float32`);
    const rowSize = reader.rowSize;
    const out = new Float32Array(indices.length * dim);
    const buf = new Float32Array(batchSize * rowSize);
    for (let start = 0; start < indices.length; start += batchSize) {
      const batch = indices.slice(start, start + batchSize);
      batch.forEach((row, k) => buf.set(reader.readRows(row, 1) as Float32Array, k * rowSize));
      const y = tf.tidy(() => {
        const x = tf.tensor(buf.subarray(0, batch.length * rowSize), [batch.length, ...shape]);
        return cut!.predict(x) as tf.Tensor;
      });
      out.set(await y.data() as Float32Array, start * dim);
      y.dispose();
      await checkInterrupt("interrupted while extracting pooled features for the t-SNE");
    }
    return { data: out, dim };
  } finally {
    reader.close();
    model.dispose();
  }
}

/**
 * The bundle folder of a tournament run: `<Model>_best_<TAG>`, or with several seeds the
 * lowest seed's `<Model>_best_<TAG>_seed<N>`. Null when there is none.
 *
 * @example
 * ```ts
 * import { findRunBundle } from "./pooled_features.ts";
 * const dir = await findRunBundle("models", "UNet_Audio_Classifier", "WITH_AUG");
 * ```
 */
export async function findRunBundle(
  modelsDir: string,
  model: string,
  tag: string,
): Promise<string | null> {
  const plain = join(modelsDir, `${model}_best_${tag}`);
  if (await exists(join(plain, "model.json"))) return plain;
  const prefix = `${model}_best_${tag}_seed`;
  const seeds: number[] = [];
  try {
    for await (const e of Deno.readDir(modelsDir)) {
      const n = Number(e.name.slice(prefix.length));
      if (e.isDirectory && e.name.startsWith(prefix) && Number.isInteger(n)) seeds.push(n);
    }
  } catch {
    return null;
  }
  if (!seeds.length) return null;
  return join(modelsDir, `${prefix}${Math.min(...seeds)}`);
}

/**
 * The analysis's `embedding` provider backed by the champion's bundle under `modelsDir` and the
 * processed test set in `dataDir` (tfjs is initialised, one thread, only when features are needed).
 *
 * @example
 * ```ts
 * import { bundleEmbedding } from "./pooled_features.ts";
 * const embedding = bundleEmbedding({ modelsDir: "models", dataDir: "data/processed/gtzan/random" });
 * ```
 */
export function bundleEmbedding(options: {
  modelsDir: string;
  dataDir: string;
  perClass?: number;
  seed?: number;
  batchSize?: number;
}): (champion: { model: string; tag: string }) => Promise<EmbeddingSource | string> {
  return async (champion) => {
    const modelDir = await findRunBundle(options.modelsDir, champion.model, champion.tag);
    if (modelDir === null) {
      const plain = join(options.modelsDir, `${champion.model}_best_${champion.tag}`);
      return `no bundle ${plain}/model.json (nor a ${plain}_seed<N> one)`;
    }
    const src = await pooledFeatureSource({
      modelDir,
      dataDir: options.dataDir,
      ...(options.perClass !== undefined ? { perClass: options.perClass } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    });
    if (typeof src === "string") return src;
    return {
      ...src,
      embed: async () => {
        const { initBackend } = await import("../engine/backend.ts");
        await initBackend({ threads: 1, quiet: true });
        return await src.embed();
      },
    };
  };
}
