/**
 * SpecAugment (Park et al., 2019) as the original pipeline uses it: frequency and time masking of
 * standardised log-mel patches, applied per sample to training batches only. A masked band is set
 * to 0, which after standardisation is the training-set mean. No time warping.
 *
 * @module
 */
import type { Rng } from "../rng.ts";

/** Options for {@linkcode specAugment}. Widths are drawn uniformly from `minWidth..max*Width`. */
export interface SpecAugmentOptions {
  /** Frequency masks per sample (default 1). */
  freqMasks?: number;
  /** Time masks per sample (default 1). */
  timeMasks?: number;
  /** Largest frequency-mask width in mel bins, inclusive (default 24). */
  maxFreqWidth?: number;
  /** Largest time-mask width in frames, inclusive (default 24). */
  maxTimeWidth?: number;
  /** Smallest width, inclusive (default 1; 0 allows an empty mask, as the FMA settings do). */
  minWidth?: number;
}

/** One applied mask: rows `start .. start+width-1` of `axis` in sample `sample` were zeroed. */
export interface SpecMask {
  /** Sample index within the batch. */
  sample: number;
  /** `"freq"`: mel bins (rows); `"time"`: frames (columns). */
  axis: "freq" | "time";
  /** First masked bin or frame. */
  start: number;
  /** Number of masked bins or frames (may be 0 when `minWidth` is 0). */
  width: number;
}

/**
 * Masks `n` samples of `x` in place. Each sample is a `[mels, frames]` patch stored row-major
 * (a trailing channel axis of 1 is the same layout). Per sample, in this order: `freqMasks`
 * frequency masks, then `timeMasks` time masks; for each mask the width is drawn uniformly from
 * `minWidth..maxWidth` (capped at the axis length), then the start uniformly from
 * `0..length-width`. Returns the masks applied.
 *
 * @example
 * ```ts
 * import { specAugment } from "./augment.ts";
 * import { Rng } from "../rng.ts";
 * const x = new Float32Array(2 * 128 * 128).fill(1);
 * const masks = specAugment(x, 2, [128, 128], {}, new Rng(42));
 * console.log(masks.length); // 4: one frequency and one time mask per sample
 * ```
 */
export function specAugment(
  x: Float32Array,
  n: number,
  shape: [number, number],
  options: SpecAugmentOptions,
  rng: Rng,
): SpecMask[] {
  const [mels, frames] = shape;
  const size = mels * frames;
  if (x.length < n * size) {
    throw new RangeError(`specAugment: ${x.length} floats < ${n} samples × ${mels}×${frames}`);
  }
  const freqMasks = options.freqMasks ?? 1;
  const timeMasks = options.timeMasks ?? 1;
  const minWidth = options.minWidth ?? 1;
  const maxF = Math.min(options.maxFreqWidth ?? 24, mels);
  const maxT = Math.min(options.maxTimeWidth ?? 24, frames);
  if (minWidth < 0 || minWidth > maxF || minWidth > maxT) {
    throw new RangeError(`specAugment: minWidth ${minWidth} outside [0, ${Math.min(maxF, maxT)}]`);
  }
  const masks: SpecMask[] = [];
  for (let s = 0; s < n; s++) {
    const base = s * size;
    for (let k = 0; k < freqMasks; k++) {
      const width = rng.int(minWidth, maxF);
      const start = rng.int(0, mels - width);
      x.fill(0, base + start * frames, base + (start + width) * frames);
      masks.push({ sample: s, axis: "freq", start, width });
    }
    for (let k = 0; k < timeMasks; k++) {
      const width = rng.int(minWidth, maxT);
      const start = rng.int(0, frames - width);
      if (width > 0) {
        for (let m = 0; m < mels; m++) {
          const row = base + m * frames;
          x.fill(0, row + start, row + start + width);
        }
      }
      masks.push({ sample: s, axis: "time", start, width });
    }
  }
  return masks;
}

/**
 * Wraps {@linkcode specAugment} as a trainer `augment` hook for samples of shape
 * `[mels, frames]` or `[mels, frames, 1]`.
 *
 * @example
 * ```ts
 * import { specAugmenter } from "./augment.ts";
 * const augment = specAugmenter([128, 128, 1], { freqMasks: 2, timeMasks: 2, maxFreqWidth: 16 });
 * ```
 */
export function specAugmenter(
  sampleShape: readonly number[],
  options: SpecAugmentOptions = {},
): (x: Float32Array, n: number, rng: Rng) => void {
  const [mels, frames, ch = 1] = sampleShape;
  if (mels === undefined || frames === undefined || ch !== 1 || sampleShape.length > 3) {
    throw new RangeError(`specAugmenter: sample shape ${JSON.stringify(sampleShape)} unsupported`);
  }
  return (x, n, rng) => void specAugment(x, n, [mels, frames], options, rng);
}
