import { initBackend, tf } from "./backend.ts";
import { fusedKernels, registerFusedBatchNorm, unregisterFusedBatchNorm } from "./fused.ts";
import { assert, assertEquals } from "../_assert.ts";

// The BatchNormalization layers' training-mode calls routed through the wasm fused kernels,
// against the same models on the cpu backend (tfjs's composed ops): same loss and gradients,
// same moving mean and moving variance (Keras 3, like tfjs, moves it towards the biased batch
// variance; the kernels report the Bessel-corrected one, which the layer rescales).

await initBackend({ backend: "wasm", threads: 1, quiet: true });
const TOL = 1e-4;
const MOMENTUM = 0.9;

type Act = "prelu" | "relu" | "none" | "shared";

/** conv → BN → activation → GAP → dense; "shared": the BN output also feeds an Add. */
function model(act: Act): tf.LayersModel {
  const inp = tf.input({ shape: [8, 6, 3] });
  const conv = tf.layers.conv2d({
    filters: 16,
    kernelSize: 3,
    padding: "same",
    useBias: false,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
  }).apply(inp) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({
    momentum: MOMENTUM,
    epsilon: 1e-3,
    gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 2 }),
    betaInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: 3 }),
  }).apply(conv) as tf.SymbolicTensor;
  let y = bn;
  if (act === "prelu" || act === "shared") {
    y = tf.layers.prelu({
      sharedAxes: [1, 2],
      alphaInitializer: tf.initializers.constant({ value: 0.25 }),
    }).apply(bn) as tf.SymbolicTensor;
  }
  if (act === "relu") {
    y = tf.layers.activation({ activation: "relu" }).apply(bn) as tf.SymbolicTensor;
  }
  if (act === "shared") y = tf.layers.add({}).apply([y, bn]) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const out = tf.layers.dense({
    units: 3,
    activation: "softmax",
    kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
  }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out });
}

interface Step {
  loss: number;
  grads: Float32Array[];
  weights: Float32Array[];
  kernels: string[];
  predict: Float32Array;
}

/** One training-mode forward/backward of `act`'s model on `backend`, then an inference pass. */
async function step(backend: "cpu" | "wasm", act: Act): Promise<Step> {
  await tf.setBackend(backend);
  const m = model(act);
  const x = tf.randomNormal([4, 8, 6, 3], 0.3, 1, "float32", 5);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), 3);
  const vars = m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const before = tf.memory().numTensors;
  let grads: tf.NamedTensorMap = {};
  let value: tf.Scalar | null = null;
  const profile = await tf.profile(() => {
    const r = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, m.apply(x, { training: true }) as tf.Tensor),
      vars,
    );
    grads = r.grads;
    value = r.value;
  });
  const out: Step = {
    loss: (await value!.data())[0]!,
    grads: await Promise.all(vars.map(async (v) => (await grads[v.name]!.data()) as Float32Array)),
    // The BatchNormalization layer's gamma, beta, moving mean, moving variance.
    weights: await Promise.all(
      m.layers.find((l) => l.getClassName() === "BatchNormalization")!.getWeights().map(
        async (w) => (await w.data()) as Float32Array,
      ),
    ),
    kernels: profile.kernelNames,
    predict: new Float32Array(0),
  };
  tf.dispose([value!, ...Object.values(grads)]);
  assertEquals(tf.memory().numTensors, before, `${backend} ${act}: tensors after the step`);
  const p = m.predict(x) as tf.Tensor;
  out.predict = (await p.data()) as Float32Array;
  tf.dispose([p, x, labels]);
  m.dispose();
  return out;
}

function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0, ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    ref = Math.max(ref, Math.abs(b[i]!));
  }
  return ref === 0 ? diff : diff / ref;
}

Deno.test("fused BatchNorm layers: cpu's loss, gradients and moving statistics", async () => {
  assert(fusedKernels("wasm") !== null);
  assertEquals(fusedKernels("cpu"), null);
  const n = 4 * 8 * 6; // pixels per channel in the batch
  for (const act of ["prelu", "relu", "none", "shared"] as const) {
    const want = await step("cpu", act);
    const got = await step("wasm", act);
    assert(Math.abs(got.loss - want.loss) <= TOL * Math.abs(want.loss), `${act}: loss`);
    got.grads.forEach((g, i) => {
      const e = relErr(g, want.grads[i]!);
      assert(e <= TOL, `${act}: gradient ${i} relative error ${e}`);
    });
    const mean = 2, variance = 3;
    assert(relErr(got.weights[mean]!, want.weights[mean]!) <= TOL, `${act}: moving mean`);
    // Within 1e-5: the Bessel-corrected update would be MOMENTUM + (v − MOMENTUM)·n/(n − 1),
    // about 5e-5 away here.
    const ev = relErr(got.weights[variance]!, want.weights[variance]!);
    assert(ev <= 1e-5, `${act}: moving variance relative error ${ev}`);
    const bessel = want.weights[variance]!.map((v) => MOMENTUM + (v - MOMENTUM) * n / (n - 1));
    assert(relErr(bessel, want.weights[variance]!) > 2e-5, `${act}: the check can tell`);
    assert(relErr(got.predict, want.predict) <= TOL, `${act}: inference`);
    // The kernels that ran: fused BN; the activation absorbed unless the BN output is shared.
    assert(got.kernels.includes("MgcFusedBatchNorm"), `${act}: ${got.kernels}`);
    assert(!got.kernels.includes("FusedBatchNorm"), `${act}: ${got.kernels}`);
    assertEquals(got.kernels.includes("Prelu"), act === "shared", `${act}: Prelu kernel`);
    assertEquals(got.kernels.includes("Relu"), false, `${act}: Relu kernel`);
  }
});

Deno.test("fused BatchNorm layers: unregistered, the layers compose tfjs ops again", async () => {
  const kernels = unregisterFusedBatchNorm("wasm");
  assert(kernels !== null);
  try {
    const got = await step("wasm", "prelu");
    assert(!got.kernels.includes("MgcFusedBatchNorm"));
    assert(got.kernels.includes("FusedBatchNorm") && got.kernels.includes("Prelu"));
  } finally {
    registerFusedBatchNorm("wasm", kernels);
  }
  await tf.setBackend("wasm");
});
