import { initBackend, tf } from "./backend.ts";
import { wasmFusedBatchNorm } from "./_wasm_fused.ts";
import type { FusedActivation } from "./fused.ts";
import { Rng } from "../rng.ts";
import { assert, assertEquals } from "../_assert.ts";
import { evalJson } from "./_eval_testutil.ts";

// The wasm fused BatchNormalization + activation kernels against a float64 reference of Keras's
// training-mode BatchNormalization (batch statistics, biased variance for normalising,
// Bessel-corrected variance reported for the moving averages) followed by ReLU or PReLU, and
// their gradients against the cpu backend's gradients of the same composition.

await initBackend({ backend: "wasm", threads: 1, quiet: true });
const TOL = 1e-4;
const EPS = 1e-3;

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0, ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    ref = Math.max(ref, Math.abs(b[i]!));
  }
  return ref === 0 ? diff : diff / ref;
}

interface Data {
  shape: [number, number, number, number];
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  alpha: Float32Array;
  w: Float32Array;
}

function data(rng: Rng, shape: [number, number, number, number], offset: number): Data {
  const n = shape.reduce((a, b) => a * b, 1), c = shape[3];
  const r = (k: number, s: number, o: number): Float32Array =>
    Float32Array.from({ length: k }, () => o + s * rng.normal());
  return {
    shape,
    // Channels with a large mean and a small spread: the variance must not cancel.
    x: Float32Array.from({ length: n }, (_, i) => offset * (1 + (i % c) % 8) + 0.5 * rng.normal()),
    gamma: r(c, 0.3, 1),
    beta: r(c, 0.2, 0.1),
    alpha: r(c, 0.1, 0.2),
    w: r(n, 1, 0),
  };
}

/** Keras's training-mode forward in float64: y, batch mean, Bessel-corrected batch variance. */
function reference(d: Data, act: FusedActivation): { y: number[]; mean: number[]; var: number[] } {
  const c = d.shape[3], n = d.x.length / c;
  const mean = new Array(c).fill(0), v = new Array(c).fill(0);
  for (let i = 0; i < d.x.length; i++) mean[i % c] += d.x[i]! / n;
  for (let i = 0; i < d.x.length; i++) v[i % c] += (d.x[i]! - mean[i % c]) ** 2 / n;
  const y = Array.from(d.x, (xv, i) => {
    const k = i % c;
    const z = d.gamma[k]! * (xv - mean[k]) / Math.sqrt(v[k] + EPS) + d.beta[k]!;
    return act === "linear" || z > 0 ? z : act === "relu" ? 0 : d.alpha[k]! * z;
  });
  return { y, mean, var: v.map((s) => (s * n) / (n - 1)) };
}

/** Gradients of Σ w · y² in float64: dx, dgamma, dbeta, dalpha (the chain rule by hand). */
function referenceGrads(d: Data, act: FusedActivation): number[][] {
  const c = d.shape[3], n = d.x.length / c;
  const mean = new Array(c).fill(0), v = new Array(c).fill(0);
  for (let i = 0; i < d.x.length; i++) mean[i % c] += d.x[i]! / n;
  for (let i = 0; i < d.x.length; i++) v[i % c] += (d.x[i]! - mean[i % c]) ** 2 / n;
  const inv = v.map((s) => 1 / Math.sqrt(s + EPS));
  const xhat = Array.from(d.x, (xv, i) => (xv - mean[i % c]) * inv[i % c]);
  const dz = new Array(d.x.length), da = new Array(c).fill(0);
  const dg = new Array(c).fill(0), db = new Array(c).fill(0);
  xhat.forEach((h, i) => {
    const k = i % c, z = d.gamma[k]! * h + d.beta[k]!;
    const y = act === "linear" || z > 0 ? z : act === "relu" ? 0 : d.alpha[k]! * z;
    const dy = 2 * d.w[i]! * y;
    dz[i] = act === "linear" || z > 0 ? dy : act === "relu" ? 0 : d.alpha[k]! * dy;
    if (z <= 0) da[k] += dy * z;
    dg[k] += dz[i] * h;
    db[k] += dz[i];
  });
  const dx = xhat.map((h, i) => {
    const k = i % c;
    return d.gamma[k]! * inv[k] * (dz[i] - db[k] / n - h * dg[k] / n);
  });
  return [dx, dg, db, act === "prelu" ? da : new Array(c).fill(0)];
}

/** Loss Σ w · y² through the composed (stock) ops on `backend`: its value and gradients. */
async function composed(
  backend: "cpu" | "wasm",
  d: Data,
  act: FusedActivation,
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const c = d.shape[3];
  const x = tf.tensor4d(d.x, d.shape), w = tf.tensor4d(d.w, d.shape);
  const g = tf.tensor1d(d.gamma), b = tf.tensor1d(d.beta), a = tf.tensor3d(d.alpha, [1, 1, c]);
  const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor, ai?: tf.Tensor): tf.Scalar => {
    const { mean, variance } = tf.moments(xi, [0, 1, 2]);
    let y: tf.Tensor = tf.batchNorm(xi, mean, variance, bi, gi, EPS);
    if (act === "relu") y = tf.relu(y);
    if (act === "prelu") y = tf.prelu(y, ai!);
    return tf.sum(tf.mul(w, tf.square(y)));
  };
  const grads = tf.grads(f)(act === "prelu" ? [x, g, b, a] : [x, g, b]);
  const out = [...await Promise.all(grads.map(async (t) => (await t.data()) as Float32Array))];
  tf.dispose([x, w, g, b, a, ...grads]);
  return out;
}

/** The same loss through the fused kernels on wasm: forward outputs and gradients. */
async function fused(d: Data, act: FusedActivation): Promise<{
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  grads: Float32Array[];
}> {
  await tf.setBackend("wasm");
  const c = d.shape[3];
  const x = tf.tensor4d(d.x, d.shape), w = tf.tensor4d(d.w, d.shape);
  const g = tf.tensor1d(d.gamma), b = tf.tensor1d(d.beta), a = tf.tensor3d(d.alpha, [1, 1, c]);
  const alpha = act === "prelu" ? a : undefined;
  const r = wasmFusedBatchNorm.trainForward(x, g, b, EPS, act, alpha);
  // d(Σ w·y²)/dy = 2·w·y
  const dy = tf.tidy(() => tf.mul(tf.mul(w, r.y), 2)) as tf.Tensor4D;
  const gr = wasmFusedBatchNorm.trainBackward(dy, x, g, r.saved, EPS, act, alpha);
  const out = {
    y: (await r.y.data()) as Float32Array,
    mean: (await r.mean.data()) as Float32Array,
    variance: (await r.variance.data()) as Float32Array,
    grads: [
      (await gr.dx.data()) as Float32Array,
      (await gr.dgamma.data()) as Float32Array,
      (await gr.dbeta.data()) as Float32Array,
      gr.dalpha ? (await gr.dalpha.data()) as Float32Array : new Float32Array(c),
    ],
  };
  if (gr.dalpha) assertEquals(gr.dalpha.shape, [1, 1, c]);
  tf.dispose([x, w, g, b, a, dy, r.y, r.mean, r.variance, ...r.saved, gr.dx, gr.dgamma, gr.dbeta]);
  if (gr.dalpha) gr.dalpha.dispose();
  return out;
}

async function check(shape: [number, number, number, number], offset: number): Promise<void> {
  const rng = new Rng(shape.reduce((a, b) => a * 31 + b, 7));
  for (const act of ["linear", "relu", "prelu"] as const) {
    const d = data(rng, shape, offset);
    const label = `${act} ${JSON.stringify(shape)} offset ${offset}`;
    const before = tf.memory().numTensors;
    const got = await fused(d, act);
    assertEquals(tf.memory().numTensors, before, `${label}: tensors`);
    const ref = reference(d, act);
    for (
      const [k, e] of [
        ["y", relErr(got.y, ref.y)],
        ["mean", relErr(got.mean, ref.mean)],
        ["variance (Bessel)", relErr(got.variance, ref.var)],
      ] as const
    ) assert(e <= TOL, `${label}: ${k} relative error ${e}`);
    const exact = referenceGrads(d, act);
    // The cpu backend's composed ops lose digits to (x − mean) in float32 when the mean is large.
    const cpu = offset <= 3 ? await composed("cpu", d, act) : null;
    ["dx", "dgamma", "dbeta", "dalpha"].forEach((k, i) => {
      if (k === "dalpha" && act !== "prelu") {
        assert(got.grads[i]!.every((v) => v === 0));
        return;
      }
      const e = relErr(got.grads[i]!, exact[i]!);
      assert(e <= TOL, `${label}: ${k} relative error ${e} (float64 reference)`);
      if (cpu) {
        const ec = relErr(got.grads[i]!, cpu[i]!);
        assert(ec <= TOL, `${label}: ${k} relative error ${ec} (cpu backend)`);
      }
    });
  }
}

Deno.test("wasm fused BatchNorm + activation: Keras forward semantics and cpu gradients", async () => {
  // Channel counts of the models (SIMD kernels), odd pixel counts (the kernels' tails).
  await check([2, 5, 7, 16], 0);
  await check([3, 4, 3, 32], 2);
  await check([1, 9, 9, 64], 0.5);
  await check([2, 4, 4, 256], 3);
});

Deno.test("wasm fused BatchNorm + activation: channels not a multiple of 4 (JavaScript path)", async () => {
  await check([2, 3, 5, 6], 0);
  await check([1, 4, 4, 3], 2);
});

Deno.test({
  name: "wasm fused BatchNorm + PReLU on two threads (tfjs's threaded build) matches cpu",
  ignore: Deno.permissions.querySync({ name: "run" }).state !== "granted",
  fn: async () => {
    // Threads keep the process alive (and `deno test` runs one thread): checked in a child.
    const url = (f: string): string => new URL(f, import.meta.url).href;
    const code = `import { initBackend, tf } from "${url("./backend.ts")}";
      import { wasmFusedBatchNorm } from "${url("./_wasm_fused.ts")}";
      import { heapThreadsInUse } from "${url("./_wasm_heap.ts")}";
      const info = await initBackend({ backend: "wasm", threads: 2, quiet: true });
      const shape = [5, 12, 10, 32];
      const x = tf.randomNormal(shape, 1, 2, "float32", 1), w = tf.randomNormal(shape, 0, 1, "float32", 2);
      const g = tf.randomUniform([32], 0.5, 1.5, "float32", 3), b = tf.randomNormal([32], 0, 0.2, "float32", 4);
      const a = tf.randomUniform([1, 1, 32], 0, 0.4, "float32", 5);
      const r = wasmFusedBatchNorm.trainForward(x, g, b, 1e-3, "prelu", a);
      const dy = tf.mul(w, r.y);
      const gr = wasmFusedBatchNorm.trainBackward(dy, x, g, r.saved, 1e-3, "prelu", a);
      const got = [await r.y.data(), await gr.dx.data(), await gr.dgamma.data(), await gr.dbeta.data(), await gr.dalpha.data()];
      await tf.setBackend("cpu");
      const f = (xi, gi, bi, ai) => {
        const { mean, variance } = tf.moments(xi, [0, 1, 2]);
        return tf.prelu(tf.batchNorm(xi, mean, variance, bi, gi, 1e-3), ai);
      };
      const c = (t) => tf.tensor(t.dataSync(), t.shape);
      const [xc, wc, gc, bc, ac] = [x, w, g, b, a].map(c);
      const want = [await f(xc, gc, bc, ac).data(),
        ...await Promise.all(tf.grads((xi, gi, bi, ai) => tf.sum(tf.mul(wc, tf.square(f(xi, gi, bi, ai)))).div(2))([xc, gc, bc, ac]).map((t) => t.data()))];
      const errors = got.map((v, i) => {
        let d = 0, m = 0;
        v.forEach((u, j) => { d = Math.max(d, Math.abs(u - want[i][j])); m = Math.max(m, Math.abs(want[i][j])); });
        return d / m;
      });
      console.log(JSON.stringify({ threads: info.threads, heap: heapThreadsInUse(), errors }));
      Deno.exit(0);`;
    const r = await evalJson(code);
    assertEquals([r.threads, r.heap], [2, 2]);
    assertEquals(r.errors.length, 5);
    for (const e of r.errors) assert(e <= TOL, `relative errors ${r.errors}`);
  },
});

Deno.test("wasm fused BatchNorm: views of the heap survive its growth during allocations", async () => {
  // Each allocation grows the (unshared) heap first, detaching earlier views: see
  // `_wasm_conv_test.ts`.
  await tf.setBackend("wasm");
  const be = tf.backend() as unknown as {
    makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
    wasm: { _malloc(n: number): number; _free(p: number): void; HEAPU8: Uint8Array };
  };
  const makeOutput = be.makeOutput.bind(be);
  let grown = 0;
  be.makeOutput = (shape, dtype) => {
    if (grown < 16) {
      const before = be.wasm.HEAPU8.length;
      be.wasm._free(be.wasm._malloc(before));
      if (be.wasm.HEAPU8.length > before) grown++;
    }
    return makeOutput(shape, dtype);
  };
  try {
    await check([2, 5, 6, 32], 1);
  } finally {
    delete (be as { makeOutput?: unknown }).makeOutput;
  }
  assert(grown >= 4, `the heap grew ${grown} times`);
});
