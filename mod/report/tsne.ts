/**
 * Exact t-SNE (van der Maaten & Hinton, 2008) for the champion's pooled features, plus the
 * trustworthiness score (Venna & Kaski, 2001) that checks an embedding and the class-balanced
 * subsampling the analysis uses.
 *
 * Written here rather than taken from npm: the npm t-SNE packages (`tsne-js`, `tsne`, karpathy's
 * `tsnejs`) are unmaintained, draw from `Math.random` (no seed) and use older optimiser settings.
 * This one follows scikit-learn's exact method: a per-point binary search on the Gaussian
 * precision to match the perplexity (natural-log entropy), symmetric joint probabilities, a
 * Student-t kernel, early exaggeration (12 for 250 iterations), momentum 0.5 then 0.8, per-
 * coordinate gains (+0.2 / ×0.8, floor 0.01; reset with the momentum when exaggeration ends) and the "auto" learning rate max(n / 12 / 4, 50).
 * Its cost is O(n²) per iteration: meant for n up to a few thousand (the analysis uses ≤ 1000).
 *
 * @module
 */
import { Rng } from "../rng.ts";
import { pollInterrupt } from "../interrupt.ts";

/** Options for {@linkcode tsne}. */
export interface TsneOptions {
  /** Target perplexity (default 30); lowered to (n - 1) / 3 for small n. */
  perplexity?: number;
  /** Gradient-descent iterations (default 1000). */
  iterations?: number;
  /** Early exaggeration factor (default 12). */
  earlyExaggeration?: number;
  /** Iterations with exaggeration and momentum 0.5 (default 250). */
  exaggerationIterations?: number;
  /** Learning rate, or "auto" = max(n / earlyExaggeration / 4, 50) (default "auto"). */
  learningRate?: number | "auto";
  /**
   * "pca" (default: first two principal components, scaled so that the first has std 1e-4),
   * "random" (N(0, 1e-4²)), or a row-major `[n, 2]` starting embedding.
   */
  init?: "pca" | "random" | ArrayLike<number>;
  /** Seed for the initialisation (default 42). */
  seed?: number;
}

/** What {@linkcode tsne} returns. */
export interface TsneResult {
  /** Row-major `[n, 2]` embedding. */
  embedding: Float64Array;
  /** Final Kullback-Leibler divergence KL(P‖Q) (without exaggeration). */
  kl: number;
  /** The perplexity actually used. */
  perplexity: number;
}

/**
 * Squared Euclidean distances between the rows of a row-major `[n, dim]` matrix.
 *
 * @example
 * ```ts
 * import { squaredDistances } from "./tsne.ts";
 * squaredDistances([0, 0, 3, 4], 2, 2); // Float64Array [0, 25, 25, 0]
 * ```
 */
export function squaredDistances(data: ArrayLike<number>, n: number, dim: number): Float64Array {
  checkShape(data, n, dim);
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const t = data[i * dim + k]! - data[j * dim + k]!;
        s += t * t;
      }
      d[i * n + j] = s;
      d[j * n + i] = s;
    }
  }
  return d;
}

/**
 * Symmetric joint probabilities P (row-major `[n, n]`, sum 1) from squared distances: for each
 * point a binary search finds the Gaussian precision whose conditional distribution has
 * perplexity `perplexity` (entropy ln(perplexity) within 1e-5), then P = (P_j|i + P_i|j) / 2n.
 *
 * @example
 * ```ts
 * import { jointProbabilities, squaredDistances } from "./tsne.ts";
 * const p = jointProbabilities(squaredDistances([0, 1, 2, 10], 4, 1), 4, 1.5);
 * ```
 */
export function jointProbabilities(
  distSq: Float64Array,
  n: number,
  perplexity: number,
): Float64Array {
  if (distSq.length !== n * n) throw new RangeError("jointProbabilities: distSq must be n × n");
  if (!(perplexity > 0 && perplexity < n)) {
    throw new RangeError(`jointProbabilities: perplexity ${perplexity} must be in (0, ${n})`);
  }
  const cond = new Float64Array(n * n);
  const target = Math.log(perplexity);
  for (let i = 0; i < n; i++) {
    const row = distSq.subarray(i * n, (i + 1) * n);
    const out = cond.subarray(i * n, (i + 1) * n);
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    for (let step = 0; step < 100; step++) {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const v = j === i ? 0 : Math.exp(-row[j]! * beta);
        out[j] = v;
        sum += v;
      }
      if (sum === 0) sum = 1e-8;
      let sumDP = 0;
      for (let j = 0; j < n; j++) {
        out[j]! /= sum;
        sumDP += row[j]! * out[j]!;
      }
      const entropy = Math.log(sum) + beta * sumDP;
      const diff = entropy - target;
      if (Math.abs(diff) <= 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
  }
  const p = new Float64Array(n * n);
  const denom = 2 * n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) {
        p[i * n + j] = Math.max((cond[i * n + j]! + cond[j * n + i]!) / denom, Number.EPSILON);
      }
    }
  }
  return p;
}

/**
 * Embeds the rows of a row-major `[n, dim]` matrix in 2-D with exact t-SNE. Deterministic for a
 * given input, options and seed.
 *
 * @example
 * ```ts
 * import { tsne } from "./tsne.ts";
 * const data = [0, 0, 0.1, 0, 10, 10, 10.1, 10];
 * const { embedding } = tsne(data, 4, 2, { perplexity: 1, iterations: 300 });
 * ```
 */
export function tsne(
  data: ArrayLike<number>,
  n: number,
  dim: number,
  options: TsneOptions = {},
): TsneResult {
  const steps = tsneSteps(data, n, dim, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * {@linkcode tsne} that lets the event loop turn (and a Ctrl-C be acted on: `Interrupted` is
 * thrown with `message`) at least every 200 ms between iterations; same result.
 *
 * @example
 * ```ts
 * import { tsneInterruptible } from "./tsne.ts";
 * const data = [0, 0, 0.1, 0, 10, 10, 10.1, 10];
 * const { embedding } = await tsneInterruptible(data, 4, 2, { perplexity: 1, iterations: 300 });
 * ```
 */
export async function tsneInterruptible(
  data: ArrayLike<number>,
  n: number,
  dim: number,
  options: TsneOptions = {},
  message = "interrupted during the t-SNE",
): Promise<TsneResult> {
  const steps = tsneSteps(data, n, dim, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await pollInterrupt(message, 200);
  }
}

/** The t-SNE, yielding after every iteration. */
function* tsneSteps(
  data: ArrayLike<number>,
  n: number,
  dim: number,
  options: TsneOptions,
): Generator<void, TsneResult> {
  checkShape(data, n, dim);
  if (n < 2) throw new RangeError("tsne: needs at least 2 points");
  const iterations = options.iterations ?? 1000;
  const exaggeration = options.earlyExaggeration ?? 12;
  const exIters = Math.min(options.exaggerationIterations ?? 250, iterations);
  const perplexity = Math.min(options.perplexity ?? 30, Math.max((n - 1) / 3, 1e-3));
  const lrOpt = options.learningRate ?? "auto";
  const lr = lrOpt === "auto" ? Math.max(n / exaggeration / 4, 50) : lrOpt;
  const rng = new Rng(options.seed ?? 42);

  const p = jointProbabilities(squaredDistances(data, n, dim), n, perplexity);
  const init = options.init ?? "pca";
  const y = init === "random"
    ? randomInit(n, rng)
    : init === "pca"
    ? pcaInit(data, n, dim, rng)
    : Float64Array.from(init as ArrayLike<number>);
  checkShape(y, n, 2);
  const update = new Float64Array(n * 2);
  const gains = new Float64Array(n * 2).fill(1);
  const grad = new Float64Array(n * 2);
  const num = new Float64Array(n * n);

  for (let it = 0; it < iterations; it++) {
    // scikit-learn restarts the optimiser state when exaggeration ends.
    if (it === exIters) {
      update.fill(0);
      gains.fill(1);
    }
    const exag = it < exIters ? exaggeration : 1;
    const momentum = it < exIters ? 0.5 : 0.8;
    // Student-t kernel and its normaliser.
    let sumNum = 0;
    for (let i = 0; i < n; i++) {
      const yi0 = y[2 * i]!;
      const yi1 = y[2 * i + 1]!;
      for (let j = i + 1; j < n; j++) {
        const a = yi0 - y[2 * j]!;
        const b = yi1 - y[2 * j + 1]!;
        const v = 1 / (1 + a * a + b * b);
        num[i * n + j] = v;
        num[j * n + i] = v;
        sumNum += 2 * v;
      }
    }
    // Gradient: 4 Σ_j (exag·p_ij − q_ij) num_ij (y_i − y_j).
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      let g0 = 0;
      let g1 = 0;
      const yi0 = y[2 * i]!;
      const yi1 = y[2 * i + 1]!;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const nij = num[i * n + j]!;
        const m = (exag * p[i * n + j]! - Math.max(nij / sumNum, Number.EPSILON)) * nij;
        g0 += m * (yi0 - y[2 * j]!);
        g1 += m * (yi1 - y[2 * j + 1]!);
      }
      grad[2 * i] = 4 * g0;
      grad[2 * i + 1] = 4 * g1;
    }
    for (let c = 0; c < 2 * n; c++) {
      const g = grad[c]!;
      gains[c] = update[c]! * g < 0 ? gains[c]! + 0.2 : Math.max(gains[c]! * 0.8, 0.01);
      update[c] = momentum * update[c]! - lr * gains[c]! * g;
      y[c]! += update[c]!;
    }
    centre(y, n);
    yield;
  }

  let sumNum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) sumNum += kernel(y, i, j);
    }
  }
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const pij = p[i * n + j]!;
      kl += pij * Math.log(pij / Math.max(kernel(y, i, j) / sumNum, Number.EPSILON));
    }
  }
  return { embedding: y, kl, perplexity };
}

/**
 * Trustworthiness of an embedding, as scikit-learn's `sklearn.manifold.trustworthiness`
 * (Euclidean): 1 − 2 / (n k (2n − 3k − 1)) Σ_i Σ_{j ∈ U_i} (r(i, j) − k), where U_i are the k
 * nearest neighbours of i in the embedding that are not among its k nearest in the input and
 * r(i, j) is j's rank among i's input-space neighbours. 1 = no false neighbours.
 *
 * @example
 * ```ts
 * import { trustworthiness } from "./tsne.ts";
 * const x = [0, 1, 2, 3, 10, 11];
 * trustworthiness(x, x, 6, 1, 1, 2); // 1
 * ```
 */
export function trustworthiness(
  x: ArrayLike<number>,
  embedded: ArrayLike<number>,
  n: number,
  dimX: number,
  dimEmbedded: number,
  k = 5,
): number {
  if (!(k >= 1 && k < n / 2)) throw new RangeError(`trustworthiness: k=${k} must be < n/2`);
  const dx = squaredDistances(x, n, dimX);
  const de = squaredDistances(embedded, n, dimEmbedded);
  const rank = new Int32Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) {
    const orderX = neighbourOrder(dx, n, i);
    orderX.forEach((j, r) => rank[j] = r + 1);
    const orderE = neighbourOrder(de, n, i);
    for (let r = 0; r < k; r++) {
      const excess = rank[orderE[r]!]! - k;
      if (excess > 0) t += excess;
    }
  }
  return 1 - t * (2 / (n * k * (2 * n - 3 * k - 1)));
}

/**
 * Indices of a class-balanced subsample: at most `perClass` items of each label, drawn without
 * replacement by `rng`, returned in ascending order.
 *
 * @example
 * ```ts
 * import { balancedSubsample } from "./tsne.ts";
 * import { Rng } from "../rng.ts";
 * balancedSubsample([0, 0, 0, 1, 1], 2, new Rng(1)).length; // 4
 * ```
 */
export function balancedSubsample(
  labels: ArrayLike<number>,
  perClass: number,
  rng: Rng,
): number[] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(i);
  }
  const out: number[] = [];
  for (const l of [...byClass.keys()].sort((a, b) => a - b)) {
    out.push(...rng.shuffle(byClass.get(l)!).slice(0, perClass));
  }
  return out.sort((a, b) => a - b);
}

function neighbourOrder(d: Float64Array, n: number, i: number): number[] {
  const idx: number[] = [];
  for (let j = 0; j < n; j++) if (j !== i) idx.push(j);
  return idx.sort((a, b) => d[i * n + a]! - d[i * n + b]! || a - b);
}

function kernel(y: Float64Array, i: number, j: number): number {
  const a = y[2 * i]! - y[2 * j]!;
  const b = y[2 * i + 1]! - y[2 * j + 1]!;
  return 1 / (1 + a * a + b * b);
}

function centre(y: Float64Array, n: number): void {
  let m0 = 0;
  let m1 = 0;
  for (let i = 0; i < n; i++) {
    m0 += y[2 * i]!;
    m1 += y[2 * i + 1]!;
  }
  m0 /= n;
  m1 /= n;
  for (let i = 0; i < n; i++) {
    y[2 * i]! -= m0;
    y[2 * i + 1]! -= m1;
  }
}

function randomInit(n: number, rng: Rng): Float64Array {
  const y = new Float64Array(n * 2);
  for (let c = 0; c < y.length; c++) y[c] = 1e-4 * rng.normal();
  return y;
}

/** First two principal components (power iteration with deflation), PC1 scaled to std 1e-4. */
function pcaInit(data: ArrayLike<number>, n: number, dim: number, rng: Rng): Float64Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k]! += data[i * dim + k]! / n;
  const xc = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) xc[i * dim + k] = data[i * dim + k]! - mean[k]!;
  }
  const y = new Float64Array(n * 2);
  const comps: Float64Array[] = [];
  for (let c = 0; c < Math.min(2, dim); c++) {
    let v = new Float64Array(dim).map(() => rng.normal());
    for (let it = 0; it < 500; it++) {
      // w = Xᵀ X v, minus earlier components.
      const xv = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += xc[i * dim + k]! * v[k]!;
        xv[i] = s;
      }
      const w = new Float64Array(dim);
      for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) w[k]! += xc[i * dim + k]! * xv[i]!;
      for (const u of comps) {
        const dot = u.reduce((a, uk, k) => a + uk * w[k]!, 0);
        for (let k = 0; k < dim; k++) w[k]! -= dot * u[k]!;
      }
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += w[k]! * w[k]!;
      norm = Math.sqrt(norm);
      if (norm === 0) break;
      let delta = 0;
      for (let k = 0; k < dim; k++) {
        w[k]! /= norm;
        delta = Math.max(delta, Math.abs(w[k]! - v[k]!));
      }
      v = w;
      if (delta < 1e-10) break;
    }
    // Fix the sign (largest |coefficient| positive) so the result does not depend on the start.
    let big = 0;
    for (let k = 0; k < dim; k++) if (Math.abs(v[k]!) > Math.abs(v[big]!)) big = k;
    if (v[big]! < 0) v = v.map((a) => -a);
    comps.push(v);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += xc[i * dim + k]! * v[k]!;
      y[2 * i + c] = s;
    }
  }
  let sd = 0;
  for (let i = 0; i < n; i++) sd += y[2 * i]! * y[2 * i]!;
  sd = Math.sqrt(sd / Math.max(n - 1, 1));
  if (sd === 0) return randomInit(n, rng);
  for (let c = 0; c < y.length; c++) y[c] = (y[c]! / sd) * 1e-4;
  return y;
}

function checkShape(data: ArrayLike<number>, n: number, dim: number): void {
  if (data.length !== n * dim) {
    throw new RangeError(`expected ${n} × ${dim} = ${n * dim} values, got ${data.length}`);
  }
}
