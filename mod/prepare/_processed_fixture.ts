/**
 * Test helper: writes a tiny processed-data folder (what a `*:setup` task writes) directly from
 * generated features, so training tests need no audio decoding. The unscaled features are
 * returned too, for tests that check what a scaler was fitted on. Private to the tests.
 *
 * @module
 */
import { join } from "node:path";
import { writeJsonAtomic } from "../fs.ts";
import { writeNpyAtomic } from "../npy.ts";
import type { Manifest, ManifestFile } from "./prepare.ts";
import { Rng } from "../rng.ts";
import { fitScaler, type ScalerKind } from "../features/scaler.ts";
import { SPLIT_NAMES, type SplitName } from "../datasets/split.ts";

/** Options of {@linkcode writeProcessedFixture}. */
export interface FixtureOptions {
  /** Dataset name in the manifest (e.g. "gtzan", "indian"). */
  dataset: string;
  /** Class names. */
  labels: string[];
  /** Tracks per class in each part (one number for all classes, or one per class). */
  tracks: Record<SplitName, number | number[]>;
  /** Examples (segments) per track. */
  segments: number;
  /** `[mels, frames]` of one example. */
  shape: [number, number];
  /** Scaler kind (default per-position). */
  scaler?: ScalerKind;
  /** Data seed (default 1). */
  seed?: number;
}

/** The unscaled features of a fixture, in the same row order as the written `X_*.npy`. */
export type FixtureRaw = Record<SplitName, { x: Float32Array; y: Int32Array; track: Int32Array }>;

/**
 * Writes `X/y/track_{train,val,test}.npy`, the scaler (fitted on train), `labels.json` and
 * `manifest.json` into `dir`. Features are class-dependent dB-like values: a per-class bright
 * band of mel rows plus seeded noise, so a small network can learn them in an epoch or two.
 */
export async function writeProcessedFixture(
  dir: string,
  options: FixtureOptions,
): Promise<FixtureRaw> {
  const [mels, frames] = options.shape;
  const size = mels * frames;
  const C = options.labels.length;
  const rng = new Rng(options.seed ?? 1);
  const files: ManifestFile[] = [];
  const raw = {} as FixtureRaw;
  const perClass = (part: SplitName): number[] => {
    const t = options.tracks[part];
    return typeof t === "number" ? new Array<number>(C).fill(t) : t;
  };
  for (const part of SPLIT_NAMES) {
    const counts = perClass(part);
    const n = counts.reduce((a, b) => a + b, 0) * options.segments;
    const x = new Float32Array(n * size);
    const y = new Int32Array(n);
    const track = new Int32Array(n);
    let row = 0;
    for (let t = 0; t < Math.max(...counts); t++) {
      for (let c = 0; c < C; c++) {
        if (t >= counts[c]!) continue;
        const index = files.length;
        files.push({
          index,
          path: `${options.labels[c]}/${part}_${t}.wav`,
          label: options.labels[c]!,
          label_index: c,
          split: part,
          status: "ok",
          examples: options.segments,
          sha256: null,
        });
        const band = Math.floor(((c + 0.5) * mels) / C);
        for (let s = 0; s < options.segments; s++, row++) {
          y[row] = c;
          track[row] = index;
          for (let m = 0; m < mels; m++) {
            const level = Math.abs(m - band) <= 1 ? -10 : -60 + m * 0.1;
            for (let f = 0; f < frames; f++) {
              x[row * size + m * frames + f] = level + 6 * (rng.next() - 0.5);
            }
          }
        }
      }
    }
    raw[part] = { x, y, track };
  }
  const scaler = fitScaler(options.scaler ?? "per-position", options.shape, raw.train.x);
  await Deno.mkdir(dir, { recursive: true });
  const partCounts = {} as Manifest["counts"];
  const arrays: Manifest["arrays"] = {};
  for (const part of SPLIT_NAMES) {
    const { x, y, track } = raw[part];
    await writeNpyAtomic(join(dir, `X_${part}.npy`), scaler.apply(x), [y.length, mels, frames, 1]);
    await writeNpyAtomic(join(dir, `y_${part}.npy`), y, [y.length]);
    await writeNpyAtomic(join(dir, `track_${part}.npy`), track, [y.length]);
    arrays[`X_${part}`] = { shape: [y.length, mels, frames, 1], dtype: "<f4" };
    partCounts[part] = { files: y.length / options.segments, examples: y.length };
  }
  await scaler.save(dir);
  await writeJsonAtomic(join(dir, "labels.json"), options.labels);
  const manifest: Manifest = {
    format: "mgc-processed/1",
    created_by: "mod/_processed_fixture.ts",
    dataset: { name: options.dataset, description: "generated", data_dir: "-", layout: "-" },
    labels: options.labels,
    split: { protocol: "random" },
    features: { mels, frames },
    scaler: scaler.toJson(),
    arrays,
    counts: partCounts,
    skipped: [],
    missing_from_disk: [],
    files,
    versions: {},
  };
  await writeJsonAtomic(join(dir, "manifest.json"), manifest);
  return raw;
}
