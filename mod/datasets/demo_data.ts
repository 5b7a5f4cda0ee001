/**
 * A SYNTHETIC, genre-like demo dataset in GTZAN's layout, generated from a seed: it lets anyone run
 * the whole pipeline (setup, training, analysis) in minutes without downloading GTZAN. It is not
 * music and not GTZAN: accuracies on it say nothing about music genre classification.
 *
 * Ten classes named after GTZAN's genres (`blues` … `rock`) so that the demo exercises the same
 * code paths (folder layout, labels, file names). Each class is a style: tempo, drum grid and
 * swing, chord rhythm, bass line, harmonic language and instrument timbres (additive wavetables
 * with decaying partials, two-operator FM, distortion, noise bursts, echo). Classes differ in
 * spectro-temporal patterns, not in loudness: every clip is normalised to a random peak drawn from
 * the same range for all classes. Within a class, clips vary in tempo (±5 %), key, chord
 * progression, pattern variants, levels, phases, noise floor and instrument choices, so a model has
 * to learn patterns rather than memorise a template.
 *
 * Everything is drawn from {@linkcode Rng} streams derived from the seed and the file name, so the
 * same seed gives byte-identical files in any order.
 *
 * This file writes the dataset; the per-class recipes are in `_demo_genres.ts` and the synthesis
 * engine (voices, drums, effects) in `_synth.ts`.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../fs.ts";
import { Rng } from "../rng.ts";
import { encodeWav } from "../audio/wav_write.ts";
import { DEMO_GENRES, type DemoGenre, STYLES } from "./_demo_genres.ts";
import { Clip } from "./_synth.ts";

export { DEMO_GENRES, type DemoGenre } from "./_demo_genres.ts";

/** Options for {@linkcode synthesizeDemoDataset}. */
export interface DemoDataOptions {
  /** Seed of every random choice (default 42). */
  seed?: number;
  /** Number of classes, the first of {@linkcode DEMO_GENRES} (1..10, default 10). */
  classes?: number;
  /** Clips per class (default 20). */
  clipsPerClass?: number;
  /** Seconds per clip (default 30, as GTZAN). */
  seconds?: number;
  /** Sample rate in Hz (default 22050, as GTZAN). */
  sampleRate?: number;
  /** Called after each file is written (for progress). */
  onFile?: (path: string) => void;
}

/**
 * Writes the synthetic dataset as `<outDir>/<genre>/<genre>.<nnnnn>.wav` (16-bit PCM mono) and
 * returns the number of files and the total seconds of audio.
 *
 * @example
 * ```ts ignore
 * import { synthesizeDemoDataset } from "./demo_data.ts";
 * const { files } = await synthesizeDemoDataset("data/demo/genres"); // 200 files
 * ```
 */
export async function synthesizeDemoDataset(
  outDir: string,
  options: DemoDataOptions = {},
): Promise<{ files: number; seconds: number }> {
  const seed = options.seed ?? 42;
  const classes = options.classes ?? 10;
  const clips = options.clipsPerClass ?? 20;
  const seconds = options.seconds ?? 30;
  const sampleRate = options.sampleRate ?? 22050;
  if (!Number.isInteger(classes) || classes < 1 || classes > DEMO_GENRES.length) {
    throw new RangeError(`classes must be 1..${DEMO_GENRES.length}, got ${classes}`);
  }
  if (!Number.isInteger(clips) || clips < 1) throw new RangeError(`clipsPerClass must be >= 1`);
  if (!(seconds > 0)) throw new RangeError(`seconds must be > 0, got ${seconds}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 8000) {
    throw new RangeError(`sampleRate must be an integer >= 8000, got ${sampleRate}`);
  }
  let files = 0;
  for (const genre of DEMO_GENRES.slice(0, classes)) {
    for (let i = 0; i < clips; i++) {
      const name = `${genre}.${String(i).padStart(5, "0")}.wav`;
      const samples = synthesizeClip(genre, { seed, index: i, seconds, sampleRate });
      const path = join(outDir, genre, name);
      await writeFileAtomic(path, encodeWav(samples, sampleRate));
      files++;
      options.onFile?.(path);
    }
  }
  return { files, seconds: files * Math.floor(seconds * sampleRate) / sampleRate };
}

/**
 * Synthesises one clip of `genre` (mono float32, peak below 1). Deterministic in
 * (`seed`, `genre`, `index`, `seconds`, `sampleRate`).
 *
 * @example
 * ```ts
 * import { synthesizeClip } from "./demo_data.ts";
 * const y = synthesizeClip("reggae", { seed: 1, index: 0, seconds: 2, sampleRate: 22050 });
 * console.log(y.length); // 44100
 * ```
 */
export function synthesizeClip(
  genre: DemoGenre,
  opts: { seed: number; index: number; seconds: number; sampleRate: number },
): Float32Array {
  const style = STYLES[genre];
  if (!style) throw new RangeError(`unknown demo genre "${genre}"`);
  const rng = new Rng(opts.seed).derive(`${genre}.${opts.index}`);
  return new Clip(style, rng, opts.sampleRate, Math.floor(opts.seconds * opts.sampleRate)).render();
}
