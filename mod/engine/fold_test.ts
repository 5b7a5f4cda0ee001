import { initBackend, tf } from "./backend.ts";
import { foldBatchNorm } from "./fold.ts";
import { buildModel, MODEL_NAMES } from "../models/mod.ts";
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
/** Random moving statistics and affine parameters, so that folding has something to fold. */
function randomiseBatchNorms(model: tf.LayersModel, seed: number): void {
  model.layers.forEach((l, i) => {
    if (l.getClassName() !== "BatchNormalization") return;
    // getWeights() hands out the variables themselves: do not dispose them.
    const fresh = l.getWeights().map((w, j) =>
      tf.randomUniform(w.shape, 0.5, 1.5, "float32", seed + 10 * i + j)
    );
    l.setWeights(fresh);
    tf.dispose(fresh);
  });
}

Deno.test("foldBatchNorm: the four models predict the same with every Conv→BN pair folded", async () => {
  const folds: Record<string, number> = {};
  for (const name of MODEL_NAMES) {
    const model = buildModel(name, { seed: 3, inputShape: [32, 32, 1] });
    randomiseBatchNorms(model, 100);
    const x = tf.randomNormal([3, 32, 32, 1], 0, 1, "float32", 4);
    const before = tf.memory().numTensors;
    const folded = await foldBatchNorm(model);
    const bns = (m: tf.LayersModel): number =>
      m.layers.filter((l) => l.getClassName() === "BatchNormalization").length;
    folds[name] = bns(model) - bns(folded);
    // Each fold removes the BatchNormalization (and the ReLU/PReLU after it, when folded too).
    assert(model.layers.length - folded.layers.length >= folds[name]!);
    const a = model.predict(x) as tf.Tensor;
    const b = folded.predict(x) as tf.Tensor;
    const err = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    assert(err < 1e-5, `${name}: max |Δp| ${err}`);
    // The original model is untouched and still has its BatchNormalization layers.
    assertEquals(bns(model) > 0, true);
    tf.dispose([a, b]);
    folded.dispose();
    assertEquals(tf.memory().numTensors, before, `${name}: folding leaks no tensor`);
    x.dispose();
    model.dispose();
  }
  // Every BatchNormalization of these models follows a bias-free Conv2D used only by it.
  assertEquals(folds, {
    Efficient_VGG: 3,
    ResSE_AudioCNN: 10,
    UNet_Audio_Classifier: 8,
    Lean_UNet: 4,
  });
});

Deno.test("foldBatchNorm: Sequential models, biased convs; a conv with two consumers is kept", async () => {
  const seq = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, useBias: true }),
      tf.layers.batchNormalization({}),
      tf.layers.reLU(),
    ],
  });
  randomiseBatchNorms(seq, 7);
  const fs = await foldBatchNorm(seq);
  const bns = (m: tf.LayersModel): number =>
    m.layers.filter((l) => l.getClassName() === "BatchNormalization").length;
  assertEquals(bns(fs), 0, "the Sequential model's Conv2D → BN pair is folded");
  const x = tf.randomNormal([2, 6, 6, 2], 0, 1, "float32", 1);
  const d = tf.max(tf.abs(tf.sub(seq.predict(x) as tf.Tensor, fs.predict(x) as tf.Tensor)));
  assert(d.dataSync()[0]! < 1e-5);

  const input = tf.input({ shape: [6, 6, 2] });
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same", useBias: false })
    .apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({}).apply(conv) as tf.SymbolicTensor;
  const sum = tf.layers.add({}).apply([bn, conv]) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: sum });
  randomiseBatchNorms(m, 9);
  const fm = await foldBatchNorm(m);
  assertEquals(fm.layers.length, m.layers.length, "the conv feeds the BN and the add: not folded");
  const e = tf.max(tf.abs(tf.sub(m.predict(x) as tf.Tensor, fm.predict(x) as tf.Tensor)));
  assert(e.dataSync()[0]! < 1e-6);
  tf.dispose([x, d, e]);
  for (const model of [seq, fs, m, fm]) model.dispose();
});
