/**
 * Adam and AdamW with Keras 3 semantics, over plain `tf.Variable`s, with their state (moments,
 * step, learning rate) readable and restorable for checkpoints; and the cosine-decay schedule.
 *
 * Why not `tf.train.adam`: tfjs's Adam applies ε to the bias-corrected second moment
 * (`m̂ / (√v̂ + ε)`), Keras folds the bias correction into the step size
 * (`α = lr·√(1-β₂ᵗ)/(1-β₁ᵗ)`, `θ -= α·m / (√v + ε)`), so the two differ whenever √v is near ε;
 * tfjs also has no decoupled weight decay, no clipnorm and no state export.
 *
 * @module
 */
import { tf } from "./backend.ts";

/** Keras `CosineDecay(initial_learning_rate, decay_steps, alpha)` without warm-up. */
export interface CosineDecaySchedule {
  kind: "cosine";
  /** Steps (optimizer iterations) over which the rate decays. */
  decaySteps: number;
  /** Floor as a fraction of the initial rate (default 0). */
  alpha?: number;
}

/** A learning-rate schedule evaluated at the optimizer's iteration count. */
export type LrSchedule = CosineDecaySchedule;

/**
 * Keras `CosineDecay` at `step`: `lr0 · ((1-α)·½(1+cos(π·min(step, T)/T)) + α)`.
 *
 * @example
 * ```ts
 * import { cosineDecay } from "./optim.ts";
 * console.log(cosineDecay(1e-3, 50, { kind: "cosine", decaySteps: 100 })); // 0.0005
 * ```
 */
export function cosineDecay(
  initialLr: number,
  step: number,
  schedule: CosineDecaySchedule,
): number {
  const alpha = schedule.alpha ?? 0;
  if (!(schedule.decaySteps > 0)) {
    throw new RangeError(`cosine decay: decaySteps must be > 0, got ${schedule.decaySteps}`);
  }
  const p = Math.min(step, schedule.decaySteps) / schedule.decaySteps;
  return initialLr * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * p)) + alpha);
}

/** Options of {@linkcode Adam}; defaults are Keras's. */
export interface AdamOptions {
  /** Learning rate (default 1e-3); with `schedule`, the initial rate. */
  lr?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7 (Keras), added to √v before dividing. */
  epsilon?: number;
  /**
   * Decoupled weight decay (AdamW, Loshchilov & Hutter): before each update,
   * `θ -= lr·wd·θ` for every variable, biases and BatchNorm scales included, as Keras does
   * without `exclude_from_weight_decay`. Default 0 (plain Adam).
   */
  weightDecay?: number;
  /**
   * Keras `clipnorm`: each gradient tensor is clipped to this L2 norm **on its own**
   * (`g·c/max(‖g‖, c)`), not jointly. See `globalClipnorm` for the joint version.
   */
  clipnorm?: number;
  /** Keras `global_clipnorm`: all gradients scaled by `c/max(‖(g₁, …, gₙ)‖, c)`. */
  globalClipnorm?: number;
  /** Learning-rate schedule; then the rate cannot be changed by callbacks (as in Keras). */
  schedule?: LrSchedule;
}

/** Serialisable optimizer state (for checkpoints). */
export interface OptimizerState {
  /** Updates applied so far (Keras `optimizer.iterations`). */
  iterations: number;
  /** Base learning rate (after any ReduceLROnPlateau changes). */
  learningRate: number;
  /** First moments, one per variable, in variable order. */
  m: Float32Array[];
  /** Second moments, one per variable, in variable order. */
  v: Float32Array[];
}

/**
 * Adam / AdamW over `variables` with Keras 3 update rules. One update at iteration `t` (1-based):
 * clip gradients; `θ -= lr·wd·θ` (if `weightDecay`); `m += (g-m)(1-β₁)`; `v += (g²-v)(1-β₂)`;
 * `θ -= α·m/(√v+ε)` with `α = lr·√(1-β₂ᵗ)/(1-β₁ᵗ)`, `lr` the schedule at `t-1` or the base rate.
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { Adam } from "./optim.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const w = tf.variable(tf.scalar(1));
 * const opt = new Adam([w], { lr: 0.1 });
 * const g = tf.scalar(2);
 * opt.applyGradients([g]);
 * console.log((await w.data())[0]); // ≈ 0.9
 * g.dispose();
 * opt.dispose();
 * w.dispose();
 * ```
 */
export class Adam {
  /** The variables updated, in the order gradients are given. */
  readonly variables: readonly tf.Variable[];
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly clipnorm: number | undefined;
  readonly globalClipnorm: number | undefined;
  readonly schedule: LrSchedule | undefined;
  #lr: number;
  #iterations = 0;
  #m: tf.Variable[];
  #v: tf.Variable[];

  constructor(variables: readonly tf.Variable[], options: AdamOptions = {}) {
    this.variables = [...variables];
    this.#lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.weightDecay = options.weightDecay ?? 0;
    this.clipnorm = options.clipnorm;
    this.globalClipnorm = options.globalClipnorm;
    this.schedule = options.schedule;
    if (this.clipnorm !== undefined && this.globalClipnorm !== undefined) {
      throw new RangeError(
        "Adam: clipnorm and globalClipnorm are mutually exclusive (as in Keras)",
      );
    }
    for (const [k, v] of Object.entries({ lr: this.#lr, weightDecay: this.weightDecay })) {
      if (!(v >= 0)) throw new RangeError(`Adam: ${k} must be >= 0, got ${v}`);
    }
    for (const [k, v] of Object.entries({ clipnorm: this.clipnorm, gc: this.globalClipnorm })) {
      if (v !== undefined && !(v > 0)) throw new RangeError(`Adam: ${k} must be > 0, got ${v}`);
    }
    // Inside tidy: the zeros tensors go, the variables (which share their data) stay.
    this.#m = tf.tidy(() => this.variables.map((v) => tf.variable(tf.zerosLike(v), false)));
    this.#v = tf.tidy(() => this.variables.map((v) => tf.variable(tf.zerosLike(v), false)));
  }

  /** Updates applied so far. */
  get iterations(): number {
    return this.#iterations;
  }

  /** The base learning rate (the initial rate when a schedule is set). */
  get learningRate(): number {
    return this.#lr;
  }

  /** Sets the base rate (ReduceLROnPlateau); refused with a schedule, as Keras refuses it. */
  set learningRate(lr: number) {
    if (this.schedule) {
      throw new TypeError("Adam: the learning rate follows a schedule and cannot be set");
    }
    if (!(lr >= 0)) throw new RangeError(`Adam: learning rate must be >= 0, got ${lr}`);
    this.#lr = lr;
  }

  /** The rate the next update uses (the schedule at the current iteration). */
  currentLearningRate(): number {
    return this.schedule ? cosineDecay(this.#lr, this.#iterations, this.schedule) : this.#lr;
  }

  /** Applies one update from `grads` (one per variable, same order). Does not dispose `grads`. */
  applyGradients(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.variables.length) {
      throw new RangeError(
        `Adam: ${grads.length} gradients for ${this.variables.length} variables`,
      );
    }
    const lr = this.currentLearningRate();
    const t = this.#iterations + 1;
    const alpha = (lr * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    tf.tidy(() => {
      const clipped = this.#clip(grads);
      const oneMinusB1 = tf.scalar(1 - this.beta1);
      const oneMinusB2 = tf.scalar(1 - this.beta2);
      const a = tf.scalar(alpha);
      const eps = tf.scalar(this.epsilon);
      const decay = this.weightDecay > 0 ? tf.scalar(lr * this.weightDecay) : null;
      this.variables.forEach((variable, i) => {
        const g = clipped[i]!;
        if (decay) variable.assign(tf.sub(variable, tf.mul(variable, decay)));
        const m = this.#m[i]!;
        const v = this.#v[i]!;
        m.assign(tf.add(m, tf.mul(tf.sub(g, m), oneMinusB1)));
        v.assign(tf.add(v, tf.mul(tf.sub(tf.square(g), v), oneMinusB2)));
        variable.assign(tf.sub(variable, tf.div(tf.mul(m, a), tf.add(tf.sqrt(v), eps))));
      });
    });
    this.#iterations = t;
  }

  #clip(grads: readonly tf.Tensor[]): tf.Tensor[] {
    if (this.clipnorm !== undefined) {
      const c = tf.scalar(this.clipnorm);
      return grads.map((g) => tf.div(tf.mul(g, c), tf.maximum(tf.norm(g), c)));
    }
    if (this.globalClipnorm !== undefined) {
      const c = tf.scalar(this.globalClipnorm);
      const total = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
      const scale = tf.div(c, tf.maximum(total, c));
      return grads.map((g) => tf.mul(g, scale));
    }
    return [...grads];
  }

  /** Copies the state out (moments as Float32Arrays). */
  async getState(): Promise<OptimizerState> {
    return {
      iterations: this.#iterations,
      learningRate: this.#lr,
      m: await Promise.all(this.#m.map(async (t) => new Float32Array(await t.data()))),
      v: await Promise.all(this.#v.map(async (t) => new Float32Array(await t.data()))),
    };
  }

  /** Restores a state from {@linkcode Adam.getState} (shapes must match the variables). */
  setState(state: OptimizerState): void {
    if (state.m.length !== this.variables.length || state.v.length !== this.variables.length) {
      throw new RangeError(
        `optimizer state has ${state.m.length} slots, model has ${this.variables.length} variables`,
      );
    }
    this.variables.forEach((variable, i) => {
      for (const [slots, saved] of [[this.#m, state.m], [this.#v, state.v]] as const) {
        const arr = saved[i]!;
        if (arr.length !== variable.size) {
          throw new RangeError(
            `optimizer state: slot ${i} has ${arr.length} values, variable ${variable.name} has ${variable.size}`,
          );
        }
        tf.tidy(() => slots[i]!.assign(tf.tensor(arr, variable.shape, "float32")));
      }
    });
    this.#iterations = state.iterations;
    this.#lr = state.learningRate;
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const t of [...this.#m, ...this.#v]) t.dispose();
    this.#m = [];
    this.#v = [];
  }
}
