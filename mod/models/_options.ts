/**
 * Options every architecture takes, their defaults and their validation. Private to
 * `mod/models/`.
 *
 * @module
 */

/** Options of {@linkcode buildModel} and of each architecture's builder. */
export interface ModelOptions {
  /** Input [mels, frames, channels]; default [128, 128, 1]. */
  inputShape?: [number, number, number];
  /** Output classes; default 10. */
  numClasses?: number;
  /** Every initialiser gets a seed derived from this one (same seed → same weights); default 42. */
  seed?: number;
  /** Dropout rate before the classifier; default the model's (0.5). */
  dropout?: number;
  /**
   * BatchNormalization momentum of the moving statistics; default Keras's 0.99. Only short runs
   * (the demo's few hundred steps) need less: with 0.99 the moving averages that inference uses
   * still remember their initial values after a few dozen steps.
   */
  bnMomentum?: number;
}

/** {@linkcode ModelOptions} with every field set. */
export type ResolvedModelOptions = Required<ModelOptions>;

/**
 * Fills in defaults and validates; throws a RangeError naming the model and the bad option.
 *
 * @example
 * ```ts
 * import { resolveModelOptions } from "./_options.ts";
 * resolveModelOptions("Lean_UNet", { numClasses: 8 }).inputShape; // [128, 128, 1]
 * ```
 */
export function resolveModelOptions(
  model: string,
  options: ModelOptions = {},
  minSide = 1,
): ResolvedModelOptions {
  const r: ResolvedModelOptions = {
    inputShape: options.inputShape ?? [128, 128, 1],
    numClasses: options.numClasses ?? 10,
    seed: options.seed ?? 42,
    dropout: options.dropout ?? 0.5,
    bnMomentum: options.bnMomentum ?? 0.99,
  };
  const bad = (what: string): never => {
    throw new RangeError(`${model}: ${what}`);
  };
  if (r.inputShape.length !== 3 || !r.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    bad(`inputShape must be three positive integers, got [${r.inputShape}]`);
  }
  if (r.inputShape[0] < minSide || r.inputShape[1] < minSide) {
    bad(`inputShape [${r.inputShape}] is too small: height and width must be >= ${minSide}`);
  }
  if (!Number.isInteger(r.numClasses) || r.numClasses < 2) {
    bad(`numClasses must be an integer >= 2, got ${r.numClasses}`);
  }
  if (!Number.isInteger(r.seed)) bad(`seed must be an integer, got ${r.seed}`);
  if (!(r.dropout >= 0 && r.dropout < 1)) bad(`dropout must be in [0, 1), got ${r.dropout}`);
  if (!(r.bnMomentum >= 0 && r.bnMomentum < 1)) {
    bad(`bnMomentum must be in [0, 1), got ${r.bnMomentum}`);
  }
  return r;
}
