import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertNotEquals,
  assertThrows,
} from "../_assert.ts";
import { Rng } from "../rng.ts";
import {
  balancedSubsample,
  jointProbabilities,
  squaredDistances,
  trustworthiness,
  tsne,
} from "./tsne.ts";

/** `clusters` Gaussian blobs (std 1) in `dim` dimensions, centres 30 apart on the axes. */
function blobs(
  clusters: number,
  perCluster: number,
  dim: number,
  seed: number,
): { data: Float64Array; labels: Int32Array; n: number } {
  const rng = new Rng(seed);
  const n = clusters * perCluster;
  const data = new Float64Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    labels[i] = c;
    for (let k = 0; k < dim; k++) data[i * dim + k] = rng.normal() + (k === c ? 30 : 0);
  }
  return { data, labels, n };
}

Deno.test("trustworthiness equals scikit-learn's on a random case", () => {
  // X, Y and the expected values from sklearn 1.9.1: trustworthiness(X, Y, n_neighbors=k)
  // with X = round(default_rng(3).normal(size=(12, 3)), 3), Y the next (12, 2) draw.
  const x = [
    2.041,
    -2.556,
    0.418,
    -0.568,
    -0.453,
    -0.216,
    -2.02,
    -0.232,
    -0.865,
    3.323,
    0.226,
    -0.353,
    -0.281,
    -0.668,
    -1.055,
    -0.391,
    0.482,
    -0.239,
    0.958,
    -0.2,
    0.024,
    1.546,
    0.545,
    -0.505,
    -0.183,
    0.541,
    1.935,
    -0.27,
    -0.244,
    1.002,
    -0.886,
    -0.292,
    0.883,
    0.58,
    0.092,
    0.67,
  ];
  const y = [
    -2.828,
    1.021,
    -0.96,
    -1.669,
    0.276,
    0.701,
    -0.445,
    -1.076,
    0.026,
    -0.053,
    1.406,
    0.747,
    0.194,
    1.112,
    -0.206,
    -0.926,
    0.584,
    0.583,
    -0.215,
    -0.783,
    0.229,
    -2.494,
    0.69,
    0.491,
  ];
  const expected: [number, number][] = [
    [1, 0.55],
    [2, 0.4411764705882353],
    [3, 0.4642857142857143],
    [
      5,
      0.5625,
    ],
  ];
  for (const [k, t] of expected) assertAlmostEquals(trustworthiness(x, y, 12, 3, 2, k), t, 1e-12);
  assertEquals(trustworthiness(x, x, 12, 3, 3, 3), 1);
  assertThrows(() => trustworthiness(x, y, 12, 3, 2, 6), RangeError);
});

Deno.test("jointProbabilities: P is symmetric, sums to 1, rejects perplexity ≥ n", () => {
  const { data, n } = blobs(3, 10, 4, 1);
  const d = squaredDistances(data, n, 4);
  const p = jointProbabilities(d, n, 5);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      total += p[i * n + j]!;
      assertAlmostEquals(p[i * n + j]!, p[j * n + i]!, 1e-15);
    }
  }
  assertAlmostEquals(total, 1, 1e-9);
  assertThrows(() => jointProbabilities(d, n, n), RangeError, "perplexity");
});

Deno.test("tsne keeps well-separated clusters separated (trustworthiness ≥ 0.9)", () => {
  const dim = 8;
  const { data, labels, n } = blobs(4, 20, dim, 7);
  const { embedding, kl } = tsne(data, n, dim, { perplexity: 10, iterations: 500, seed: 1 });
  assert(Number.isFinite(kl) && kl > 0);
  const d = squaredDistances(embedding, n, 2);
  // Every point's 5 nearest neighbours in the embedding share its cluster, and the closest pair
  // across clusters is farther apart than the farthest nearest-neighbour pair within one.
  let maxIntraNn = 0;
  let minInter = Infinity;
  for (let i = 0; i < n; i++) {
    const order = [...Array(n).keys()].filter((j) => j !== i).sort((a, b) =>
      d[i * n + a]! - d[i * n + b]!
    );
    for (const j of order.slice(0, 5)) assertEquals(labels[j], labels[i]);
    maxIntraNn = Math.max(maxIntraNn, d[i * n + order[0]!]!);
    for (let j = 0; j < n; j++) {
      if (labels[j] !== labels[i]) minInter = Math.min(minInter, d[i * n + j]!);
    }
  }
  assert(minInter > maxIntraNn, `inter ${minInter} vs intra ${maxIntraNn}`);
  const t = trustworthiness(data, embedding, n, dim, 2, 5);
  assert(t >= 0.9, `trustworthiness ${t}`);
});

Deno.test("tsne is deterministic for a seed; the random init depends on it", () => {
  const { data, n } = blobs(2, 8, 3, 3);
  const a = tsne(data, n, 3, { perplexity: 4, iterations: 120, seed: 5 });
  const b = tsne(data, n, 3, { perplexity: 4, iterations: 120, seed: 5 });
  assertEquals(a.embedding, b.embedding);
  const r1 = tsne(data, n, 3, { perplexity: 4, iterations: 120, seed: 5, init: "random" });
  const r2 = tsne(data, n, 3, { perplexity: 4, iterations: 120, seed: 6, init: "random" });
  assertNotEquals(r1.embedding, r2.embedding);
  // small n lowers the perplexity to (n - 1) / 3
  assertEquals(tsne(data, n, 3, { iterations: 10 }).perplexity, 5);
});

Deno.test("balancedSubsample takes at most k per class, seeded", () => {
  const labels = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2];
  const a = balancedSubsample(labels, 2, new Rng(9));
  assertEquals(a.length, 6);
  assertEquals(a.map((i) => labels[i]).sort(), [0, 0, 1, 1, 2, 2]);
  assertEquals(a, [...a].sort((x, y) => x - y));
  assertEquals(balancedSubsample(labels, 2, new Rng(9)), a);
});

// Reference from scikit-learn 1.9.1 (sklearn.manifold._t_sne), on the 16 points below:
// P = _joint_probabilities(pairwise_distances(X, squared=True), 4.0, 0) (computed in float32, so
// compared to 1e-6 relative), and the optimiser path: _gradient_descent(_kl_divergence, Y0, 0, 10,
// momentum=0.5, learning_rate=50, P=12·P) then (…, 10, 20, momentum=0.8, P=P), fed with this
// module's float64 P, the result centred (this module re-centres every step; t-SNE's gradient is
// translation invariant).
const X16 = [
  0.034,
  1.36,
  1.225,
  -0.51,
  -0.298,
  -0.527,
  0.57,
  -0.056,
  0.747,
  -1.847,
  1.567,
  -0.096,
  0.68,
  -0.137,
  -0.379,
  0.463,
  0.825,
  -0.203,
  -0.153,
  0.686,
  -0.87,
  -1.514,
  0.395,
  -0.671,
  2.08,
  3.186,
  3.532,
  2.807,
  2.508,
  4.037,
  4.897,
  3.767,
  3.256,
  4.385,
  4.717,
  3.7,
  4.545,
  5.043,
  3.793,
  3.186,
  4.348,
  4.248,
  5.099,
  2.715,
  3.338,
  3.162,
  2.266,
  4.126,
];
const Y0 = [
  0.0053,
  -0.0074,
  0.0139,
  0.0082,
  0.0063,
  0.004,
  0.0096,
  -0.0133,
  0.0061,
  0.006,
  -0.0177,
  0.0035,
  -0.0025,
  0.0078,
  -0.0044,
  -0.0002,
  0.0034,
  -0.0088,
  0.006,
  -0.001,
  0.0049,
  -0.0052,
  0.0109,
  0.0061,
  -0.0018,
  0.0063,
  0.0126,
  0.0179,
  -0.0157,
  0.0088,
  0.0047,
  -0.0009,
];
const SKLEARN_20 = [
  -8.958978425535,
  -17.031956521203,
  50.384487897578,
  8.823167743682,
  -12.899263076725,
  20.53431483705,
  19.979329411399,
  -10.947765628375,
  4.031028871308,
  -23.920673268161,
  -30.782249966815,
  -8.34881891932,
  -1.069176882832,
  -0.45171708865,
  -50.351959408144,
  15.114199560495,
  -20.866015336034,
  -47.627195671565,
  20.217772334396,
  21.453367092013,
  24.021259488904,
  -33.875650296696,
  31.673307681874,
  3.629205288054,
  -17.316110483459,
  -8.703918009596,
  13.989040347066,
  41.434789658271,
  -30.830123895142,
  16.964873328713,
  8.777651442159,
  22.953777895288,
];

Deno.test("tsne: P and the optimiser path equal scikit-learn's exact method", () => {
  const p = jointProbabilities(squaredDistances(X16, 16, 3), 16, 4);
  const refP: [number, number, number][] = [
    [0, 1, 0.000870893814729814],
    [
      0,
      15,
      7.089638585393615e-06,
    ],
    [3, 9, 2.2032982489201276e-09],
    [7, 8, 3.4075273722708322e-09],
  ];
  for (const [i, j, v] of refP) assertAlmostEquals(p[i * 16 + j]! / v, 1, 1e-6);
  const mean = [0, 1].map((c) => Y0.filter((_, k) => k % 2 === c).reduce((a, b) => a + b) / 16);
  const init = Y0.map((v, k) => v - mean[k % 2]!);
  const r = tsne(X16, 16, 3, { perplexity: 4, iterations: 20, exaggerationIterations: 10, init });
  for (let k = 0; k < 32; k++) assertAlmostEquals(r.embedding[k]!, SKLEARN_20[k]!, 1e-8);
  assertAlmostEquals(r.kl, 1.9070623844296322, 1e-9);
});
