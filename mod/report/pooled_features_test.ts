import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { tf } from "../engine/backend.ts";
import { saveModelDir } from "../engine/checkpoint.ts";
import { writeJsonAtomic } from "../fs.ts";
import { writeNpyAtomic } from "../npy.ts";
import { pooledFeatures, pooledFeatureSource } from "./pooled_features.ts";
import { Rng } from "../rng.ts";

Deno.test("pooled features: GAP output in batches equals one full pass; balanced subsample", async () => {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "mgc_pooled_" });
  try {
    const input = tf.input({ shape: [4, 3, 1] });
    const conv = tf.layers.conv2d({ filters: 5, kernelSize: 2, padding: "same" }).apply(
      input,
    ) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(conv) as tf.SymbolicTensor;
    const outT = tf.layers.dense({ units: 3, activation: "softmax" }).apply(
      gap,
    ) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: outT });
    const modelDir = join(dir, "model");
    await saveModelDir(model, modelDir);
    const n = 9;
    const rng = new Rng(3);
    const x = Float32Array.from({ length: n * 12 }, () => rng.normal());
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const dataDir = join(dir, "data");
    await writeNpyAtomic(join(dataDir, "X_test.npy"), x, [n, 4, 3, 1]);
    await writeNpyAtomic(join(dataDir, "y_test.npy"), y, [n]);
    await writeJsonAtomic(join(dataDir, "labels.json"), ["a", "b", "c"]);

    const all = [...Array(n).keys()];
    const batched = await pooledFeatures(modelDir, join(dataDir, "X_test.npy"), all, {
      batchSize: 2,
    });
    assertEquals(batched.dim, 5);
    const cut = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer("gap").output as tf.SymbolicTensor,
    });
    const ref = tf.tidy(() => (cut.predict(tf.tensor(x, [n, 4, 3, 1])) as tf.Tensor).dataSync());
    for (let i = 0; i < ref.length; i++) assertAlmostEquals(batched.data[i]!, ref[i]!, 1e-5);
    model.dispose();

    const src = await pooledFeatureSource({ modelDir, dataDir, perClass: 2, batchSize: 4 });
    assert(typeof src !== "string");
    const e = await src.embed();
    assertEquals(e.labels.length, 6);
    assertEquals([...e.labels].sort(), [0, 0, 1, 1, 2, 2]);
    assertEquals(e.labelNames, ["a", "b", "c"]);
    assertEquals(e.features.length, 6 * 5);
    const again = await pooledFeatureSource({ modelDir, dataDir, perClass: 2 });
    assertEquals(typeof again !== "string" && again.key, src.key);

    await Deno.remove(join(dataDir, "X_test.npy"));
    const missing = await pooledFeatureSource({ modelDir, dataDir });
    assert(typeof missing === "string" && missing.includes("X_test.npy"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
