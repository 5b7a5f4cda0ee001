/**
 * Standard scalers for log-mel features, fitted on the training split only and applied to every
 * split:
 *
 * - `"per-position"`: one mean and one std per (mel, frame) position (16,384 of each for
 *   128×128), population std (ddof 0), a std of exactly 0 replaced by 1. The GTZAN, FMA and
 *   Indian pipelines.
 * - `"per-mel"`: one mean and one std per mel bin, over training samples and time, std floored at
 *   1e-6. The tabla pipeline.
 *
 * Fitting streams over rows ({@linkcode ScalerFitter}), so the training array never has to be in
 * memory at once. Sums are kept in float64 around a shift (the first row's values), which keeps
 * `E[(x-K)²] - E[x-K]²` accurate for dB-valued features. The statistics are saved as float64
 * `.npy` (`scaler_mean.npy`, `scaler_std.npy`) beside a `scaler.json` that says how to apply them.
 *
 * Finite in, finite out: {@linkcode ScalerFitter.add} refuses an example holding NaN or ±Infinity
 * (one such value would make its positions' mean and std NaN, and so every scaled example), and
 * {@linkcode Scaler.apply} refuses to produce a non-finite value, each with a
 * {@linkcode NonFiniteError} naming the source (the file) and the example. A scaler's statistics
 * must be finite, with positive stds.
 *
 * @module
 */
import { join } from "node:path";
import { countNonFinite, describeNonFinite, NonFiniteError } from "../audio/finite.ts";
import { readJson, writeJsonAtomic } from "../fs.ts";
import { readNpy, writeNpyAtomic } from "../npy.ts";

/** Which statistics a scaler keeps. */
export type ScalerKind = "per-position" | "per-mel";

/** The scaler kinds, for flags and validation. */
export const SCALER_KINDS: readonly ScalerKind[] = ["per-position", "per-mel"];

/** Floor for the per-mel std (the tabla pipeline's `np.maximum(std, 1e-6)`). */
export const PER_MEL_STD_FLOOR = 1e-6;

/** The contents of `scaler.json`. */
export interface ScalerJson {
  format: "mgc-scaler/1";
  kind: ScalerKind;
  /** Shape of one example, `[mels, frames]`. */
  feature_shape: [number, number];
  /** Shape of the saved mean and std: `[mels, frames]` or `[mels]`. */
  stats_shape: number[];
  /** Training examples the statistics were computed from. */
  fitted_on_examples: number;
  /** How to apply: `(x - mean) / std`, computed in float64, stored as float32. */
  formula: string;
  ddof: 0;
  /** What happens to small stds. */
  std_rule: string;
  mean_file: string;
  std_file: string;
}

/**
 * A fitted scaler: `mean` and `std` (float64) per position or per mel bin.
 *
 * @example
 * ```ts
 * import { fitScaler } from "./scaler.ts";
 * const rows = new Float32Array([0, 2, 4, 6, 2, 2, 8, 10]); // two 2×2 examples
 * const s = fitScaler("per-position", [2, 2], rows);
 * s.mean; // Float64Array [1, 2, 6, 8]
 * s.apply(rows); // Float32Array [-1, 0, -1, -1, 1, 0, 1, 1]
 * ```
 */
export class Scaler {
  /** Elements of one example (`mels × frames`). */
  readonly rowSize: number;

  constructor(
    readonly kind: ScalerKind,
    readonly featureShape: readonly [number, number],
    readonly mean: Float64Array,
    readonly std: Float64Array,
    readonly count: number,
  ) {
    this.rowSize = featureShape[0] * featureShape[1];
    const n = kind === "per-position" ? this.rowSize : featureShape[0];
    if (mean.length !== n || std.length !== n) {
      throw new RangeError(
        `${kind} scaler for ${featureShape.join("×")} needs ${n} means and stds, ` +
          `got ${mean.length} and ${std.length}`,
      );
    }
    for (const [name, v] of [["mean", mean], ["std", std]] as const) {
      const c = countNonFinite(v);
      if (c.total > 0) throw new RangeError(`scaler ${describeNonFinite(c, n, `${name} values`)}`);
    }
    const zero = std.findIndex((v) => !(v > 0));
    if (zero >= 0) throw new RangeError(`scaler std ${zero} is ${std[zero]}, must be > 0`);
  }

  /** Shape of {@linkcode mean} and {@linkcode std}. */
  get statsShape(): number[] {
    return this.kind === "per-position" ? [...this.featureShape] : [this.featureShape[0]];
  }

  /**
   * `(x - mean) / std` for whole examples in `rows` (a multiple of {@linkcode rowSize}), written
   * to `out` (default: a new array; pass `rows` to scale in place). Throws a
   * {@linkcode NonFiniteError} naming `source` (the file the rows come from) and the example when
   * a result is not finite.
   */
  apply(
    rows: Float32Array,
    out: Float32Array = new Float32Array(rows.length),
    source = "scaler input",
  ): Float32Array {
    this.#checkRows(rows, out);
    const { mean, std, rowSize } = this;
    if (this.kind === "per-position") {
      for (let base = 0; base < rows.length; base += rowSize) {
        for (let j = 0; j < rowSize; j++) out[base + j] = (rows[base + j]! - mean[j]!) / std[j]!;
      }
    } else {
      const frames = this.featureShape[1];
      for (let base = 0; base < rows.length; base += rowSize) {
        for (let m = 0, o = base; m < mean.length; m++) {
          const mu = mean[m]!;
          const sd = std[m]!;
          for (let t = 0; t < frames; t++, o++) out[o] = (rows[o]! - mu) / sd;
        }
      }
    }
    const c = countNonFinite(out);
    if (c.total > 0) {
      const example = Math.floor(c.first / rowSize);
      const inExample = countNonFinite(out, example * rowSize, (example + 1) * rowSize);
      throw new NonFiniteError(
        source,
        `scaled example ${example}: ${
          describeNonFinite(inExample, rowSize, "values", (i) => `index ${i - example * rowSize}`)
        }; its features must be finite`,
      );
    }
    return out;
  }

  /** The inverse of {@linkcode apply}: `x * std + mean` (up to float32 rounding). */
  invert(rows: Float32Array, out: Float32Array = new Float32Array(rows.length)): Float32Array {
    this.#checkRows(rows, out);
    const frames = this.featureShape[1];
    for (let i = 0; i < rows.length; i++) {
      const j = i % this.rowSize;
      const k = this.kind === "per-position" ? j : Math.floor(j / frames);
      out[i] = rows[i]! * this.std[k]! + this.mean[k]!;
    }
    return out;
  }

  #checkRows(rows: Float32Array, out: Float32Array): void {
    if (rows.length % this.rowSize !== 0) {
      throw new RangeError(`${rows.length} values are not whole examples of ${this.rowSize}`);
    }
    if (out.length !== rows.length) {
      throw new RangeError(`output has ${out.length} values, input ${rows.length}`);
    }
  }

  /** The `scaler.json` description of this scaler. */
  toJson(): ScalerJson {
    return {
      format: "mgc-scaler/1",
      kind: this.kind,
      feature_shape: [this.featureShape[0], this.featureShape[1]],
      stats_shape: this.statsShape,
      fitted_on_examples: this.count,
      formula: "(x - mean) / std, in float64, stored as float32",
      ddof: 0,
      std_rule: this.kind === "per-position"
        ? "std == 0 replaced by 1"
        : `std floored at ${PER_MEL_STD_FLOOR}`,
      mean_file: "scaler_mean.npy",
      std_file: "scaler_std.npy",
    };
  }

  /** Writes `scaler.json`, `scaler_mean.npy` and `scaler_std.npy` (float64) into `dir`. */
  async save(dir: string): Promise<void> {
    const json = this.toJson();
    await writeNpyAtomic(join(dir, json.mean_file), this.mean, json.stats_shape);
    await writeNpyAtomic(join(dir, json.std_file), this.std, json.stats_shape);
    await writeJsonAtomic(join(dir, "scaler.json"), json);
  }

  /**
   * Reads a scaler saved by {@linkcode save}.
   *
   * @example
   * ```ts
   * import { Scaler } from "./scaler.ts";
   * const s = await Scaler.load("data/processed/gtzan/random").catch(() => null);
   * ```
   */
  static async load(dir: string): Promise<Scaler> {
    const json = await readJson<ScalerJson>(join(dir, "scaler.json"));
    if (json.format !== "mgc-scaler/1" || !SCALER_KINDS.includes(json.kind)) {
      throw new Error(`${join(dir, "scaler.json")}: not an mgc-scaler/1 file`);
    }
    const mean = await readNpy(join(dir, json.mean_file));
    const std = await readNpy(join(dir, json.std_file));
    return Scaler.fromArrays(json, mean.data, std.data, dir);
  }

  /**
   * A scaler from its `scaler.json` and the decoded statistics (as the browser page, which
   * fetches the files, builds it); `where` names the source in errors.
   *
   * @example
   * ```ts
   * import { Scaler } from "./scaler.ts";
   * const s = new Scaler("per-mel", [2, 3], new Float64Array([1, 2]), new Float64Array([1, 1]), 4);
   * const again = Scaler.fromArrays(s.toJson(), s.mean, s.std, "memory");
   * console.log(again.kind, again.featureShape); // per-mel [ 2, 3 ]
   * ```
   */
  static fromArrays(
    json: ScalerJson,
    mean: ArrayLike<number | bigint>,
    std: ArrayLike<number | bigint>,
    where: string,
  ): Scaler {
    if (json.format !== "mgc-scaler/1" || !SCALER_KINDS.includes(json.kind)) {
      throw new Error(`${where}: not an mgc-scaler/1 description`);
    }
    if (!(mean instanceof Float64Array) || !(std instanceof Float64Array)) {
      throw new Error(`${where}: scaler statistics must be float64 .npy arrays`);
    }
    try {
      return new Scaler(json.kind, json.feature_shape, mean, std, json.fitted_on_examples);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/**
 * Streaming fit: feed training examples in any number of chunks, then {@linkcode finish}.
 *
 * @example
 * ```ts
 * import { ScalerFitter } from "./scaler.ts";
 * const f = new ScalerFitter("per-mel", [2, 3]);
 * f.add(new Float32Array([1, 2, 3, 10, 10, 10]));
 * f.add(new Float32Array([3, 4, 5, 10, 10, 10]));
 * const s = f.finish();
 * s.mean; // Float64Array [3, 10]
 * ```
 */
export class ScalerFitter {
  readonly rowSize: number;
  #shift: Float64Array | null = null;
  #sum: Float64Array;
  #sq: Float64Array;
  #rows = 0;

  constructor(readonly kind: ScalerKind, readonly featureShape: readonly [number, number]) {
    if (!SCALER_KINDS.includes(kind)) throw new RangeError(`unknown scaler kind "${kind}"`);
    const [mels, frames] = featureShape;
    if (!(Number.isInteger(mels) && Number.isInteger(frames) && mels > 0 && frames > 0)) {
      throw new RangeError(`bad feature shape ${featureShape.join("×")}`);
    }
    this.rowSize = mels * frames;
    const n = kind === "per-position" ? this.rowSize : mels;
    this.#sum = new Float64Array(n);
    this.#sq = new Float64Array(n);
  }

  /** Examples added so far. */
  get count(): number {
    return this.#rows;
  }

  /**
   * Adds whole examples (`rows.length` a multiple of `mels × frames`). `source` names where they
   * come from (the file) in the {@linkcode NonFiniteError} thrown, before anything is added, when
   * a value is NaN or ±Infinity.
   */
  add(rows: Float32Array, source = "training examples"): void {
    if (rows.length % this.rowSize !== 0) {
      throw new RangeError(`${rows.length} values are not whole examples of ${this.rowSize}`);
    }
    if (rows.length === 0) return;
    const c = countNonFinite(rows);
    if (c.total > 0) {
      const D = this.rowSize;
      const example = Math.floor(c.first / D);
      const inExample = countNonFinite(rows, example * D, (example + 1) * D);
      throw new NonFiniteError(
        source,
        `example ${example}: ${
          describeNonFinite(inExample, D, "values", (i) => `index ${i - example * D}`)
        }; refused by the scaler fit (it would make the mean and std NaN)`,
      );
    }
    const frames = this.featureShape[1];
    if (!this.#shift) {
      this.#shift = this.kind === "per-position"
        ? Float64Array.from(rows.subarray(0, this.rowSize))
        : Float64Array.from({ length: this.featureShape[0] }, (_, m) => rows[m * frames]!);
    }
    const shift = this.#shift;
    const sum = this.#sum;
    const sq = this.#sq;
    const D = this.rowSize;
    if (this.kind === "per-position") {
      for (let base = 0; base < rows.length; base += D) {
        for (let j = 0; j < D; j++) {
          const d = rows[base + j]! - shift[j]!;
          sum[j]! += d;
          sq[j]! += d * d;
        }
      }
    } else {
      for (let base = 0; base < rows.length; base += D) {
        for (let m = 0, o = base; m < sum.length; m++) {
          const k = shift[m]!;
          let s = 0;
          let q = 0;
          for (let t = 0; t < frames; t++, o++) {
            const d = rows[o]! - k;
            s += d;
            q += d * d;
          }
          sum[m]! += s;
          sq[m]! += q;
        }
      }
    }
    this.#rows += rows.length / D;
  }

  /** The fitted scaler. Throws when no example was added. */
  finish(): Scaler {
    if (this.#rows === 0 || !this.#shift) {
      throw new RangeError("cannot fit a scaler on 0 training examples");
    }
    const n = this.kind === "per-position" ? this.#rows : this.#rows * this.featureShape[1];
    const mean = new Float64Array(this.#sum.length);
    const std = new Float64Array(this.#sum.length);
    for (let j = 0; j < mean.length; j++) {
      const s = this.#sum[j]!;
      const m = s / n;
      mean[j] = this.#shift[j]! + m;
      const v = Math.max(0, this.#sq[j]! / n - m * m);
      const sd = Math.sqrt(v);
      std[j] = this.kind === "per-position" ? (sd === 0 ? 1 : sd) : Math.max(sd, PER_MEL_STD_FLOOR);
    }
    return new Scaler(this.kind, this.featureShape, mean, std, this.#rows);
  }
}

/**
 * Fits a scaler on training examples held in one array.
 *
 * @example
 * ```ts
 * import { fitScaler } from "./scaler.ts";
 * const s = fitScaler("per-mel", [1, 4], new Float32Array([1, 2, 3, 4]));
 * s.mean[0]; // 2.5
 * ```
 */
export function fitScaler(
  kind: ScalerKind,
  featureShape: readonly [number, number],
  rows: Float32Array,
): Scaler {
  const f = new ScalerFitter(kind, featureShape);
  f.add(rows);
  return f.finish();
}
