import { tf } from "../engine/backend.ts";
import { assert, assertEquals, assertNotEquals, assertThrows } from "../_assert.ts";
import { paramCounts } from "./summary.ts";
import { foldBatchNorm } from "../engine/fold.ts";
import { buildModel, MODEL_NAMES, type ModelName } from "./mod.ts";

await tf.setBackend("cpu");

/** Trainable and non-trainable counts of the original Keras models (10 classes, 128×128×1). */
const EXPECTED: Record<ModelName, { trainable: number; nonTrainable: number }> = {
  Efficient_VGG: { trainable: 34_488, nonTrainable: 224 },
  ResSE_AudioCNN: { trainable: 1_232_770, nonTrainable: 2_752 },
  UNet_Audio_Classifier: { trainable: 1_176_170, nonTrainable: 1_920 },
  Lean_UNet: { trainable: 103_722, nonTrainable: 512 },
};

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

Deno.test("parameter counts equal the original Keras models exactly", () => {
  for (const name of MODEL_NAMES) {
    const model = buildModel(name);
    const { trainable, nonTrainable } = EXPECTED[name];
    assertEquals(paramCounts(model), { total: trainable + nonTrainable, trainable, nonTrainable });
    assertEquals(model.name, name);
    model.dispose();
  }
  // The figure for Lean UNet is the total.
  const lean = buildModel("Lean_UNet");
  assertEquals(lean.countParams(), 104_234);
  lean.dispose();
});

Deno.test("Lean UNet with 8 classes (FMA) changes only the classifier", () => {
  const model = buildModel("Lean_UNet", { numClasses: 8 });
  // 104,234 − (128·10 + 10) + (128·8 + 8)
  assertEquals(paramCounts(model), { total: 103_976, trainable: 103_464, nonTrainable: 512 });
  assertEquals(model.outputs[0]!.shape, [null, 8]);
  model.dispose();
});

Deno.test("UNet layer names are the transfer-learning contract", () => {
  const model = buildModel("UNet_Audio_Classifier");
  const expected = ["input"];
  for (const e of ["enc1", "enc2", "enc3", "bneck"]) {
    for (const k of [1, 2]) expected.push(`${e}_conv${k}`, `${e}_bn${k}`, `${e}_prelu${k}`);
    if (e !== "bneck") expected.push(`${e}_pool`);
  }
  expected.push("gap", "dropout", "classifier");
  assertEquals(model.layers.map((l) => l.name), expected);
  assertEquals(model.getLayer("gap").outputShape, [null, 256]);
  model.dispose();
});

Deno.test("every model has gap, dropout and a softmax classifier; Keras layer defaults", () => {
  for (const name of MODEL_NAMES) {
    const model = buildModel(name, { dropout: 0.6 });
    const names = model.layers.map((l) => l.name);
    for (const n of ["gap", "dropout", "classifier"]) assert(names.includes(n), `${name}: ${n}`);
    assertEquals(model.getLayer("gap").getClassName(), "GlobalAveragePooling2D");
    const dropout = model.getLayer("dropout").getConfig();
    assertEquals(dropout.rate, 0.6);
    assertEquals(dropout.seed, undefined, "a fixed dropout seed repeats the mask every step");
    assertEquals(model.getLayer("classifier").getConfig().activation, "softmax");
    for (const layer of model.layers) {
      const c = layer.getConfig();
      switch (layer.getClassName()) {
        case "Conv2D":
          assertEquals([c.useBias, c.padding], [false, "same"], layer.name);
          break;
        case "BatchNormalization":
          assertEquals([c.momentum, c.epsilon], [0.99, 1e-3], layer.name);
          break;
        case "PReLU":
          assertEquals(c.sharedAxes, [1, 2], layer.name);
          assertEquals((layer.getWeights()[0]!.max().dataSync())[0], 0, layer.name);
          break;
        case "MaxPooling2D":
          assertEquals([c.poolSize, c.strides], [[2, 2], [2, 2]], layer.name);
          break;
      }
    }
    model.dispose();
  }
});

Deno.test("same seed gives identical initial weights, another seed different ones", () => {
  for (const name of ["UNet_Audio_Classifier", "Efficient_VGG"] as const) {
    const a = buildModel(name, { seed: 7 });
    const b = buildModel(name, { seed: 7 });
    const c = buildModel(name, { seed: 8 });
    const [wa, wb, wc] = [weightsOf(a), weightsOf(b), weightsOf(c)];
    assertEquals(wa, wb);
    assertNotEquals(wa[0], wc[0]);
    // Every layer draws its own stream: no two kernels of equal shape start equal.
    const kernels = a.weights.filter((w) => /kernel$/.test(w.originalName)).map((w) =>
      Array.from(w.read().dataSync().slice(0, 8)).join()
    );
    assertEquals(new Set(kernels).size, kernels.length);
    for (const m of [a, b, c]) m.dispose();
  }
});

Deno.test("forward pass: output shape [batch, classes] and rows summing to 1", () => {
  // Small input (the models are shape-agnostic) keeps the cpu forward pass fast.
  const x = tf.randomNormal([2, 32, 24, 1], 0, 1, "float32", 3);
  for (const name of MODEL_NAMES) {
    const model = buildModel(name, { inputShape: [32, 24, 1], numClasses: 5 });
    const y = model.predict(x) as tf.Tensor;
    assertEquals(y.shape, [2, 5]);
    for (const s of y.sum(1).dataSync()) assert(Math.abs(s - 1) < 1e-5, `${name}: sum ${s}`);
    tf.dispose(y);
    model.dispose();
  }
  x.dispose();
});

Deno.test("bad names and options are rejected with the model's name", () => {
  assertThrows(() => buildModel("VGG" as ModelName), RangeError, "unknown model");
  assertThrows(() => buildModel("Lean_UNet", { numClasses: 1 }), RangeError, "Lean_UNet");
  assertThrows(() => buildModel("Efficient_VGG", { dropout: 1 }), RangeError, "dropout");
  assertThrows(
    () => buildModel("UNet_Audio_Classifier", { inputShape: [4, 128, 1] }),
    RangeError,
    "too small",
  );
});

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

async function maxDiff(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): Promise<number> {
  const pa = a.predict(x) as tf.Tensor, pb = b.predict(x) as tf.Tensor;
  const [va, vb] = [await pa.data(), await pb.data()];
  tf.dispose([pa, pb]);
  let d = 0;
  for (let i = 0; i < va.length; i++) d = Math.max(d, Math.abs(va[i]! - vb[i]!));
  return d;
}

Deno.test("foldBatchNorm: the four architectures give the same probabilities", async () => {
  let seed = 20;
  for (const name of MODEL_NAMES) {
    const model = buildModel(name, { seed: 5, inputShape: [32, 32, 1], numClasses: 6 });
    randomiseInference(model, seed += 10);
    const folded = await foldBatchNorm(model);
    const convs = model.layers.filter((l) => l.getClassName() === "Conv2D").length;
    assertEquals(
      folded.layers.filter((l) => l.getClassName() === "MgcFoldedConv2D").length,
      convs,
      `${name}: every conv folded`,
    );
    assertEquals(folded.layers.filter((l) => l.getClassName() === "BatchNormalization").length, 0);
    const x = tf.randomNormal([2, 32, 32, 1], 0, 1, "float32", seed);
    const d = await maxDiff(model, folded, x);
    assert(d <= 1e-5, `${name}: max |Δp| ${d}`);
    tf.dispose(x);
    folded.dispose();
    model.dispose();
  }
});
