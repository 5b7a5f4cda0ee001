import { initBackend, tf } from "./backend.ts";
import {
  compositionFusedBatchNorm,
  type FusedActivation,
  fusedBatchNorm,
  fusedKernels,
  installFusedLayers,
  registerFusedBatchNorm,
  registerFusedPrelu,
  sumToShape,
  unregisterFusedBatchNorm,
} from "./fused.ts";
import { assert, assertEquals } from "../_assert.ts";

await initBackend({ backend: "cpu", quiet: true });
installFusedLayers();

/** max |a − b| / (max |b| + 1e-6), over all elements. */
function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const d = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
    const s = tf.max(tf.abs(b)).dataSync()[0]!;
    return d / (s + 1e-6);
  });
}

/** The reference: tfjs's own ops, differentiated by autodiff. */
function stockBn(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  act: FusedActivation,
  alpha?: tf.Tensor,
): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const z = tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
  return act === "relu" ? tf.relu(z) : act === "prelu" ? tf.prelu(z, alpha!) : z;
}

function inputs(seed: number): {
  x: tf.Tensor4D;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  alpha: tf.Tensor;
  dy: tf.Tensor4D;
} {
  return {
    x: tf.randomNormal<tf.Rank.R4>([3, 5, 4, 6], 0.5, 2, "float32", seed),
    gamma: tf.randomUniform<tf.Rank.R1>([6], 0.5, 1.5, "float32", seed + 1),
    beta: tf.randomNormal<tf.Rank.R1>([6], 0, 1, "float32", seed + 2),
    alpha: tf.randomUniform([1, 1, 6], 0, 0.5, "float32", seed + 3),
    dy: tf.randomNormal<tf.Rank.R4>([3, 5, 4, 6], 0, 1, "float32", seed + 4),
  };
}

Deno.test("compositionFusedBatchNorm: forward, statistics and gradients equal tfjs autodiff", () => {
  for (const act of ["linear", "relu", "prelu"] as const) {
    tf.tidy(() => {
      const { x, gamma, beta, alpha, dy } = inputs(11);
      const a = act === "prelu" ? alpha : undefined;
      const r = fusedBatchNorm(x, gamma, beta, 1e-3, act, a, compositionFusedBatchNorm);
      const want = stockBn(x, gamma, beta, act, a);
      assert(relErr(r.y, want) < 1e-6, `${act} forward ${relErr(r.y, want)}`);
      const m = tf.moments(x, [0, 1, 2]);
      const n = 3 * 5 * 4;
      assert(relErr(r.mean, m.mean) < 1e-6, "mean");
      // Bessel-corrected, as TensorFlow's FusedBatchNormV3 returns it.
      assert(relErr(r.variance, tf.mul(m.variance, n / (n - 1))) < 1e-6, "variance");
      tf.dispose([r.mean, r.variance]);
      const args = act === "prelu" ? [x, gamma, beta, alpha] : [x, gamma, beta];
      const ours = tf.grads((...t: tf.Tensor[]) =>
        tf.sum(tf.mul(
          fusedBatchNorm(
            t[0] as tf.Tensor4D,
            t[1] as tf.Tensor1D,
            t[2] as tf.Tensor1D,
            1e-3,
            act,
            t[3],
            compositionFusedBatchNorm,
          ).y,
          dy,
        ))
      )(args);
      const ref = tf.grads((...t: tf.Tensor[]) =>
        tf.sum(tf.mul(
          stockBn(t[0] as tf.Tensor4D, t[1] as tf.Tensor1D, t[2] as tf.Tensor1D, act, t[3]),
          dy,
        ))
      )(args);
      for (const [i, what] of ["dx", "dgamma", "dbeta", "dalpha"].entries()) {
        if (i >= args.length) continue;
        const e = relErr(ours[i]!, ref[i]!);
        assert(e < 2e-5, `${act} ${what}: relative error ${e}`);
      }
    });
  }
});

Deno.test("compositionFusedBatchNorm: gradients agree with central finite differences", () => {
  // float64-free check of the hand-written backward: perturb each of a few inputs by ±h.
  tf.tidy(() => {
    const { x, gamma, beta, dy } = inputs(3);
    const f = (xx: tf.Tensor4D, g: tf.Tensor1D): number =>
      tf.sum(
        tf.mul(
          fusedBatchNorm(xx, g, beta, 1e-3, "relu", undefined, compositionFusedBatchNorm).y,
          dy,
        ),
      ).dataSync()[0]!;
    const [dx, dgamma] = tf.grads((xx, g) =>
      tf.sum(tf.mul(
        fusedBatchNorm(
          xx as tf.Tensor4D,
          g as tf.Tensor1D,
          beta,
          1e-3,
          "relu",
          undefined,
          compositionFusedBatchNorm,
        ).y,
        dy,
      ))
    )([x, gamma]);
    const xv = x.dataSync().slice();
    const dxv = dx!.dataSync();
    const h = 1e-2;
    for (const i of [0, 7, 33, 71]) {
      const plus = xv.slice();
      plus[i]! += h;
      const minus = xv.slice();
      minus[i]! -= h;
      const fd = (f(tf.tensor4d(plus, x.shape), gamma) - f(tf.tensor4d(minus, x.shape), gamma)) /
        (2 * h);
      assert(Math.abs(fd - dxv[i]!) < 2e-2 * Math.max(1, Math.abs(fd)), `dx[${i}] ${fd} ${dxv[i]}`);
    }
    const gv = gamma.dataSync().slice();
    const dgv = dgamma!.dataSync();
    for (const c of [0, 5]) {
      const plus = gv.slice();
      plus[c]! += h;
      const minus = gv.slice();
      minus[c]! -= h;
      const fd = (f(x, tf.tensor1d(plus)) - f(x, tf.tensor1d(minus))) / (2 * h);
      assert(Math.abs(fd - dgv[c]!) < 2e-2 * Math.max(1, Math.abs(fd)), `dgamma[${c}]`);
    }
  });
});

function bnModel(): tf.LayersModel {
  // Fixed layer names, so that two instances serialise to the same JSON.
  const input = tf.input({ shape: [6, 6, 2], name: "x" });
  let h = tf.layers.conv2d({
    filters: 4,
    kernelSize: 3,
    padding: "same",
    useBias: false,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
    name: "conv",
  }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ momentum: 0.9, name: "bn" }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.prelu({
    sharedAxes: [1, 2],
    alphaInitializer: tf.initializers.constant({ value: 0.2 }),
    name: "prelu",
  }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({
    units: 3,
    activation: "softmax",
    kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }),
    name: "dense",
  }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "bn_model" });
}

/** One training-mode forward/backward: loss, gradients by weight, weights after (moving stats). */
function trainingPass(model: tf.LayersModel, x: tf.Tensor): {
  loss: number;
  grads: Float32Array[];
  weights: Float32Array[];
} {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
    vars,
  );
  const out = {
    loss: value.dataSync()[0]!,
    grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array),
    weights: model.weights.map((w) => w.read().dataSync() as Float32Array),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

Deno.test("installFusedLayers: layers routed through registered kernels train like the stock ones", () => {
  const x = tf.randomNormal([4, 6, 6, 2], 0, 1, "float32", 9);
  const stock = bnModel();
  const routed = bnModel();
  const before = tf.memory().numTensors;
  const a = trainingPass(stock, x);
  registerFusedBatchNorm("cpu", compositionFusedBatchNorm);
  registerFusedPrelu("cpu", (t, al) => tf.prelu(t, al));
  try {
    assert(fusedKernels("cpu") === compositionFusedBatchNorm);
    const b = trainingPass(routed, x);
    assert(Math.abs(a.loss - b.loss) < 1e-6 * Math.abs(a.loss), `${a.loss} ${b.loss}`);
    a.grads.forEach((g, i) => {
      const e = Math.max(...g.map((v, j) => Math.abs(v - b.grads[i]![j]!)));
      assert(e < 1e-5, `gradient ${i}: ${e}`);
    });
    // Moving mean and variance (biased variance, as stock tfjs and Keras 3) end up the same.
    a.weights.forEach((w, i) => {
      const e = Math.max(...w.map((v, j) => Math.abs(v - b.weights[i]![j]!)));
      assert(e < 1e-6, `weight ${stock.weights[i]!.name}: ${e}`);
    });
    // Inference is unchanged, and the saved topology is the stock one.
    const p1 = stock.predict(x) as tf.Tensor;
    const p2 = routed.predict(x) as tf.Tensor;
    assert(relErr(p2, p1) < 1e-6);
    tf.dispose([p1, p2]);
    assertEquals(
      JSON.stringify(routed.toJSON(null, false)),
      JSON.stringify(stock.toJSON(null, false)),
    );
  } finally {
    unregisterFusedBatchNorm("cpu");
    registerFusedPrelu("cpu", null);
  }
  assertEquals(fusedKernels("cpu"), null);
  assertEquals(tf.memory().numTensors, before, "no tensor leaked by the routed layers");
  x.dispose();
  stock.dispose();
  routed.dispose();
});

Deno.test("sumToShape: sums over broadcast axes back to the parameter's shape", () => {
  tf.tidy(() => {
    const t = tf.ones([2, 3, 4, 5]);
    assertEquals(sumToShape(t, [1, 1, 5]).shape, [1, 1, 5]);
    assertEquals(Array.from(sumToShape(t, [1, 1, 5]).dataSync()), [24, 24, 24, 24, 24]);
    assertEquals(sumToShape(t, [5]).dataSync()[0], 24);
    assertEquals(sumToShape(t, [4, 5]).shape, [4, 5]);
  });
});
