/**
 * Self-describing model bundles. Every model folder written by training holds what inference
 * needs and nothing else is required to use it:
 *
 * | file | holds |
 * |---|---|
 * | `model.json`, `weights.bin` | the tfjs LayersModel (loadable by tfjs anywhere) |
 * | `preprocessing.json` | sample rate, segment length, n_fft, hop, n_mels, dB reference, frame crop/pad, the scaler's description, labels, input shape, the dataset and split it was trained on, the resampler of its training audio |
 * | `scaler.json`, `scaler_mean.npy`, `scaler_std.npy` | the scaler fitted on the training split |
 * | `labels.json` | class names in output order |
 * | `evaluation.json` | test scores written after training (optional; used to pick the best bundle) |
 *
 * @module
 */
import { join } from "node:path";
import type { FileData } from "../engine/checkpoint.ts";
import { loadModelDir } from "../engine/checkpoint.ts";
import { foldBatchNorm } from "../engine/fold.ts";
import type { FeatureConfig } from "../features/features.ts";
import { compareCodePoints, exists, readJson } from "../fs.ts";
import type * as tf from "@tensorflow/tfjs";
import { encodeNpy } from "../npy.ts";
import { Scaler } from "../features/scaler.ts";
import { type BundleEvaluation, bundleProblems, type Preprocessing } from "./bundle_format.ts";
import { RESAMPLER, type ResamplerInfo } from "../audio/resample.ts";

/** A loaded bundle. */
export interface Bundle {
  dir: string;
  model: tf.LayersModel;
  preprocessing: Preprocessing;
  scaler: Scaler;
  labels: string[];
  /** `evaluation.json` when present. */
  evaluation: BundleEvaluation | null;
}

/** A bundle that cannot be used, naming the folder and what is wrong. */
export class BundleError extends Error {
  override name = "BundleError";
}

/**
 * The extra files that make a model folder a bundle, from the processed-data folder it was
 * trained on. Pass them to `saveModelDir(..., { extraFiles })` or `ModelCheckpoint`.
 *
 * @example
 * ```ts
 * import { bundleFiles } from "./bundle.ts";
 * import { GTZAN_FEATURES } from "../features/features.ts";
 * import { Scaler } from "../features/scaler.ts";
 * const scaler = new Scaler("per-mel", [128, 128], new Float64Array(128), new Float64Array(128).fill(1), 1);
 * const files = bundleFiles({
 *   dataset: "demo", split: "random", features: GTZAN_FEATURES, scaler,
 *   labels: ["a", "b"], inputShape: [128, 128, 1], manifestSha256: null,
 * });
 * Object.keys(files); // preprocessing.json, labels.json, scaler.json, scaler_mean.npy, scaler_std.npy
 * ```
 */
export function bundleFiles(info: {
  dataset: string;
  split: string;
  features: FeatureConfig;
  scaler: Scaler;
  labels: string[];
  inputShape: [number, number, number];
  manifestSha256: string | null;
  /** The training data's resampler (its manifest's `resampler`); default this build's. */
  resampler?: ResamplerInfo | null;
}): Record<string, FileData> {
  const scalerJson = info.scaler.toJson();
  const pre: Preprocessing = {
    format: "mgc-preprocessing/1",
    dataset: info.dataset,
    split: info.split,
    features: info.features,
    db_reference: "max-per-segment",
    scaler: scalerJson,
    labels: info.labels,
    input_shape: info.inputShape,
    data_manifest_sha256: info.manifestSha256,
    resampler: info.resampler === undefined ? RESAMPLER : info.resampler,
  };
  return {
    "preprocessing.json": JSON.stringify(pre, null, 2) + "\n",
    "labels.json": JSON.stringify(info.labels) + "\n",
    "scaler.json": JSON.stringify(scalerJson, null, 2) + "\n",
    [scalerJson.mean_file]: encodeNpy(info.scaler.mean, scalerJson.stats_shape),
    [scalerJson.std_file]: encodeNpy(info.scaler.std, scalerJson.stats_shape),
  };
}

const REQUIRED = ["model.json", "weights.bin", "preprocessing.json", "labels.json", "scaler.json"];

/**
 * Loads a bundle folder and checks that its parts agree (labels vs model outputs, scaler and
 * features vs model input). Errors name the folder and what is missing or mismatched.
 *
 * @example
 * ```ts
 * import { loadBundle } from "./bundle.ts";
 * const b = await loadBundle("models/UNet_Audio_Classifier_best_WITH_AUG").catch(() => null);
 * ```
 */
export async function loadBundle(dir: string): Promise<Bundle> {
  const missing: string[] = [];
  for (const f of REQUIRED) if (!(await exists(join(dir, f)))) missing.push(f);
  if (missing.length) {
    throw new BundleError(
      `${dir}: not a complete model bundle (missing ${missing.join(", ")}); ` +
        "bundles are written by the training tasks (e.g. `deno task demo`)",
    );
  }
  const pre = await readBundleJson<Preprocessing>(dir, "preprocessing.json");
  if (pre?.format !== "mgc-preprocessing/1") {
    throw new BundleError(
      `${join(dir, "preprocessing.json")}: unknown format ${JSON.stringify(pre?.format)} ` +
        '(expected "mgc-preprocessing/1")',
    );
  }
  const labels = await readBundleJson<string[]>(dir, "labels.json");
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === "string")) {
    throw new BundleError(`${join(dir, "labels.json")}: expected a JSON array of class names`);
  }
  let scaler: Scaler;
  try {
    scaler = await Scaler.load(dir);
  } catch (e) {
    throw new BundleError(`${dir}: scaler unusable (${(e as Error).message})`);
  }
  let model: tf.LayersModel;
  try {
    // For prediction only: BatchNormalization folded into the convolutions (same probabilities).
    const saved = await loadModelDir(dir);
    model = await foldBatchNorm(saved);
    saved.dispose();
  } catch (e) {
    throw new BundleError(`${dir}: model unusable (${(e as Error).message})`);
  }
  const problems = bundleProblems({ model, preprocessing: pre, labels, scaler });
  if (problems.length) {
    model.dispose();
    throw new BundleError(`${dir}: mismatched bundle: ${problems.join("; ")}`);
  }
  const evalPath = join(dir, "evaluation.json");
  const evaluation = (await exists(evalPath))
    ? await readBundleJson<BundleEvaluation>(dir, "evaluation.json")
    : null;
  return { dir, model, preprocessing: pre, scaler, labels, evaluation };
}

async function readBundleJson<T>(dir: string, name: string): Promise<T> {
  try {
    return await readJson<T>(join(dir, name));
  } catch (e) {
    throw new BundleError((e as Error).message); // names the file and the reason
  }
}

/**
 * Finds the best bundle under `modelsDir` (its sub-folders and theirs, e.g. `models/<bundle>` and
 * `models/demo/<bundle>`; hidden folders such as `.resume` are skipped): the highest
 * `test_accuracy` (from `evaluation.json`; bundles without one rank last) among bundles trained on
 * the first of `datasets` that has any: GTZAN's, else the demo data's. Ties go to the first path in
 * code-point order. Bundles of k-fold runs (split `kfold-…`) are never chosen. Returns null when
 * there is none.
 *
 * @example
 * ```ts
 * import { findBestBundle } from "./bundle.ts";
 * const dir = await findBestBundle("models"); // e.g. "models/demo/Efficient_VGG_best_WITH_AUG"
 * ```
 */
export async function findBestBundle(
  modelsDir: string,
  datasets: readonly string[] = ["gtzan", "demo"],
): Promise<string | null> {
  const found: { dir: string; dataset: string; acc: number }[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (
      (await exists(join(dir, "preprocessing.json"))) && (await exists(join(dir, "model.json")))
    ) {
      try {
        const pre = await readJson<Preprocessing>(join(dir, "preprocessing.json"));
        const ev = (await exists(join(dir, "evaluation.json")))
          ? await readJson<BundleEvaluation>(join(dir, "evaluation.json"))
          : null;
        const acc = ev?.test_accuracy;
        // A k-fold bundle's evaluation scores a held-out fold, not the test split: never "best".
        if (!String(pre.split).startsWith("kfold")) {
          found.push({ dir, dataset: pre.dataset, acc: Number.isFinite(acc) ? acc! : -1 });
        }
      } catch { /* an unreadable bundle is not a candidate */ }
      return;
    }
    if (depth === 0) return;
    const subs: string[] = [];
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.isDirectory && !e.name.startsWith(".")) subs.push(e.name);
      }
    } catch {
      return;
    }
    for (const name of subs.sort(compareCodePoints)) await visit(join(dir, name), depth - 1);
  };
  await visit(modelsDir, 2);
  for (const ds of datasets) {
    const best = found.filter((f) => f.dataset === ds).sort((a, b) => b.acc - a.acc)[0];
    if (best) return best.dir;
  }
  return null;
}
