import { initBackend, tf } from "./backend.ts";
import { foldBatchNorm } from "./fold.ts";
import { buildModel, MODEL_NAMES } from "../models/mod.ts";
import { assert, assertEquals } from "../_assert.ts";

await initBackend({ backend: "wasm", threads: 1, quiet: true });

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

Deno.test("foldBatchNorm: the four models predict the same with every Conv→BN pair folded", () => {
  const folds: Record<string, number> = {};
  for (const name of MODEL_NAMES) {
    const model = buildModel(name, { seed: 3, inputShape: [32, 32, 1] });
    randomiseBatchNorms(model, 100);
    const x = tf.randomNormal([3, 32, 32, 1], 0, 1, "float32", 4);
    const before = tf.memory().numTensors;
    const folded = foldBatchNorm(model);
    const bns = (m: tf.LayersModel): number =>
      m.layers.filter((l) => l.getClassName() === "BatchNormalization").length;
    folds[name] = bns(model) - bns(folded);
    assertEquals(model.layers.length - folded.layers.length, folds[name]);
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

Deno.test("foldBatchNorm: Sequential models, biased convs; a conv with two consumers is kept", () => {
  const seq = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, useBias: true }),
      tf.layers.batchNormalization({}),
      tf.layers.reLU(),
    ],
  });
  randomiseBatchNorms(seq, 7);
  const fs = foldBatchNorm(seq);
  assertEquals(fs.layers.map((l) => l.getClassName()), ["Conv2D", "ReLU"]);
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
  const fm = foldBatchNorm(m);
  assertEquals(fm.layers.length, m.layers.length, "the conv feeds the BN and the add: not folded");
  const e = tf.max(tf.abs(tf.sub(m.predict(x) as tf.Tensor, fm.predict(x) as tf.Tensor)));
  assert(e.dataSync()[0]! < 1e-6);
  tf.dispose([x, d, e]);
  for (const model of [seq, fs, m, fm]) model.dispose();
});
