import { initBackend, tf } from "./backend.ts";
import { foldBatchNorm } from "./fold.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";

await initBackend({ backend: "wasm", threads: 1, quiet: true });

/** Inference-mode statistics and slopes as after training: far from their initial values. */
function randomiseInference(model: tf.LayersModel, seed: number): void {
  for (const l of model.layers) {
    const name = l.getClassName();
    if (name !== "BatchNormalization" && name !== "PReLU") continue;
    l.setWeights(
      l.getWeights().map((w, i) => {
        const variance = name === "BatchNormalization" && i === 3;
        return tf.randomUniform(
          w.shape,
          variance ? 0.3 : -0.6,
          variance ? 2 : 0.6,
          "float32",
          seed++,
        );
      }),
    );
  }
}

/** Conv blocks the models use: conv → BN → relu | prelu | nothing, a residual add, GAP, dense. */
function blocks(): tf.LayersModel {
  const inp = tf.input({ shape: [12, 10, 2] });
  const conv = (x: tf.SymbolicTensor, f: number, s = 1, bias = false): tf.SymbolicTensor =>
    tf.layers.conv2d({ filters: f, kernelSize: 3, strides: s, padding: "same", useBias: bias })
      .apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor): tf.SymbolicTensor =>
    tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(x) as tf.SymbolicTensor;
  let a = bn(conv(inp, 8, 1, true)); // conv with a bias
  a = tf.layers.activation({ activation: "relu" }).apply(a) as tf.SymbolicTensor;
  let b = bn(conv(a, 16, 2));
  b = tf.layers.prelu({ sharedAxes: [1, 2] }).apply(b) as tf.SymbolicTensor;
  const c = bn(conv(b, 16)); // no activation
  const d = bn(conv(a, 16, 2)); // shortcut
  let e = tf.layers.add({}).apply([c, d]) as tf.SymbolicTensor;
  e = tf.layers.prelu({ sharedAxes: [1, 2] }).apply(e) as tf.SymbolicTensor;
  const f = bn(e); // BN without a conv before it: kept
  const g = tf.layers.globalAveragePooling2d({}).apply(f) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 5, activation: "softmax" }).apply(g) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out });
}

async function same(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): Promise<number> {
  const pa = a.predict(x) as tf.Tensor, pb = b.predict(x) as tf.Tensor;
  const [va, vb] = [await pa.data(), await pb.data()];
  tf.dispose([pa, pb]);
  let d = 0;
  for (let i = 0; i < va.length; i++) d = Math.max(d, Math.abs(va[i]! - vb[i]!));
  return d;
}

Deno.test("foldBatchNorm: conv + BN (+ ReLU/PReLU) chains fold, same probabilities to 1e-5", async () => {
  const model = blocks();
  randomiseInference(model, 1);
  const x = tf.randomNormal([3, 12, 10, 2], 0, 1, "float32", 7);
  const before = await Promise.all(model.getWeights().map((w) => w.data()));
  const tensors = tf.memory().numTensors;
  const folded = await foldBatchNorm(model);
  const classes = folded.layers.map((l) => l.getClassName());
  assertEquals(classes.filter((c) => c === "MgcFoldedConv2D").length, 4);
  assertEquals(classes.filter((c) => c === "BatchNormalization").length, 1);
  assertEquals(classes.filter((c) => c === "Activation").length, 0);
  assertEquals(classes.filter((c) => c === "PReLU").length, 1); // after the Add
  const d = await same(model, folded, x);
  assert(d <= 1e-5, `max |Δp| ${d}`);
  // The original is untouched.
  const after = await Promise.all(model.getWeights().map((w) => w.data()));
  before.forEach((w, i) => assertEquals(Array.from(after[i]!), Array.from(w)));
  assertEquals(model.layers.filter((l) => l.getClassName() === "BatchNormalization").length, 5);
  folded.dispose();
  assertEquals(tf.memory().numTensors, tensors);
  tf.dispose(x);
  model.dispose();
});

Deno.test("foldBatchNorm: a model without foldable chains is copied; non-graph input rejected", async () => {
  const inp = tf.input({ shape: [4] });
  const out = tf.layers.dense({ units: 2, activation: "softmax" }).apply(inp) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: out });
  const copy = await foldBatchNorm(model);
  const x = tf.tensor2d([[1, 2, 3, 4]]);
  assertEquals(await same(model, copy, x), 0);
  tf.dispose(x);
  copy.dispose();
  model.dispose();
  await assertRejects(
    () => foldBatchNorm({ toJSON: () => ({ config: {} }) } as unknown as tf.LayersModel),
    TypeError,
    "functional",
  );
});
