/**
 * Helpers for the prediction tests and benchmark: an untrained model saved as a complete bundle,
 * with a tiny feature config for fast tests. Private to tests and benches.
 *
 * @module
 */
import type { tf } from "../engine/backend.ts";
import { bundleFiles } from "./bundle.ts";
import { saveModelDir } from "../engine/checkpoint.ts";
import { type FeatureConfig, featureShape, GTZAN_FEATURES } from "../features/features.ts";
import { writeJsonAtomic } from "../fs.ts";
import { buildModel, type ModelName } from "../models/mod.ts";
import { Scaler } from "../features/scaler.ts";
import { join } from "node:path";

/** GTZAN's recipe at toy size: segments of 4096 samples (0.19 s), 16 mels × 16 frames. */
export const TINY_FEATURES: Readonly<FeatureConfig> = Object.freeze({
  ...GTZAN_FEATURES,
  segmentSamples: 4096,
  maxSegments: 3,
  nFft: 512,
  hop: 256,
  nMels: 16,
  frames: 16,
});

/** Options of {@linkcode makeBundle}. */
export interface MakeBundleOptions {
  /** Architecture (default Efficient_VGG) or a ready model. */
  model?: ModelName | tf.LayersModel;
  features?: Readonly<FeatureConfig>;
  labels?: string[];
  /** Default: a per-position scaler with mean -40 dB and std 20 dB everywhere. */
  scaler?: Scaler;
  dataset?: string;
  /** Split protocol recorded in `preprocessing.json` (default "random"). */
  split?: string;
  /** Written as `evaluation.json` when given. */
  testAccuracy?: number;
  seed?: number;
}

/** Builds a model and saves it with its bundle files into `dir`; returns the model. */
export async function makeBundle(
  dir: string,
  options: MakeBundleOptions = {},
): Promise<tf.LayersModel> {
  const features = options.features ?? TINY_FEATURES;
  const labels = options.labels ?? ["blues", "jazz", "rock"];
  const [mels, frames] = featureShape(features);
  const inputShape: [number, number, number] = [mels, frames, 1];
  const model = typeof options.model === "object" ? options.model : buildModel(
    options.model ?? "Efficient_VGG",
    { inputShape, numClasses: labels.length, seed: options.seed ?? 7 },
  );
  const n = mels * frames;
  const scaler = options.scaler ??
    new Scaler(
      "per-position",
      [mels, frames],
      new Float64Array(n).fill(-40),
      new Float64Array(n).fill(20),
      1,
    );
  await saveModelDir(model, dir, {
    extraFiles: bundleFiles({
      dataset: options.dataset ?? "demo",
      split: options.split ?? "random",
      features: { ...features },
      scaler,
      labels,
      inputShape,
      manifestSha256: null,
    }),
  });
  if (options.testAccuracy !== undefined) {
    await writeJsonAtomic(join(dir, "evaluation.json"), {
      model: typeof options.model === "string" ? options.model : "custom",
      tag: "TEST",
      seed: options.seed ?? 7,
      test_accuracy: options.testAccuracy,
      test_track_accuracy: options.testAccuracy,
      best_val_accuracy: options.testAccuracy,
    });
  }
  return model;
}
