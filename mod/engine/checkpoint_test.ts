import { initBackend, tf } from "./backend.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  getWeightArrays,
  hasCheckpoint,
  loadCheckpoint,
  loadModelDir,
  readModelWeights,
  saveCheckpoint,
  saveModelDir,
  setWeightArrays,
  writeDirAtomic,
} from "./checkpoint.ts";

await initBackend({ backend: "cpu", quiet: true });

function tinyModel(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 1] });
  let h = tf.layers.conv2d({
    filters: 3,
    kernelSize: 3,
    padding: "same",
    useBias: false,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
  }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({
    units: 4,
    activation: "softmax",
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
  }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

async function listDir(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("saveModelDir writes standard tfjs files that load back to the same predictions", async () => {
  const dir = await Deno.makeTempDir();
  const model = tinyModel(1);
  // Non-default BatchNorm moving statistics must survive too.
  const w = await getWeightArrays(model);
  const mv = model.weights.findIndex((x) => x.originalName.endsWith("moving_variance"));
  w[mv] = Float32Array.of(0.5, 2, 3);
  setWeightArrays(model, w);
  await saveModelDir(model, `${dir}/m`, { metadata: { labels: ["a", "b", "c", "d"] } });
  assertEquals(await listDir(`${dir}/m`), ["model.json", "weights.bin"]);
  const json = JSON.parse(await Deno.readTextFile(`${dir}/m/model.json`));
  assertEquals(json.format, "layers-model");
  assertEquals(json.weightsManifest[0].paths, ["weights.bin"]);
  assertEquals(json.userDefinedMetadata, { labels: ["a", "b", "c", "d"] });
  const loaded = await loadModelDir(`${dir}/m`);
  const x = tf.randomNormal([2, 6, 6, 1], 0, 1, "float32", 3);
  const a = model.predict(x) as tf.Tensor;
  const b = loaded.predict(x) as tf.Tensor;
  assertEquals(Array.from(await b.data()), Array.from(await a.data()));
  assertEquals(await readModelWeights(`${dir}/m`), await getWeightArrays(model));
  tf.dispose([x, a, b]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeDirAtomic replaces a folder whole and leaves no temporary behind", async () => {
  const dir = await Deno.makeTempDir();
  await writeDirAtomic(`${dir}/out`, { "a.txt": "1", "b.txt": "2" });
  await writeDirAtomic(`${dir}/out`, { "c.txt": "3" });
  assertEquals(await listDir(`${dir}/out`), ["c.txt"]);
  // A failing write keeps the previous folder intact.
  await assertRejects(() => writeDirAtomic(`${dir}/out`, { "d.txt": "4", "../x": "5" }), Error);
  assertEquals(await listDir(`${dir}/out`), ["c.txt"]);
  assertEquals(await listDir(dir), ["out"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saveCheckpoint / loadCheckpoint round-trip weights, optimizer state, arrays and state", async () => {
  const dir = await Deno.makeTempDir();
  const model = tinyModel(2);
  assert(!(await hasCheckpoint(`${dir}/ck`)));
  const m = [Float32Array.of(1, 2), Float32Array.of(3)];
  const v = [Float32Array.of(4, 5), Float32Array.of(6)];
  await saveCheckpoint(`${dir}/ck`, model, {
    state: { epoch: 3, best: "-Infinity" },
    optimizer: { iterations: 17, learningRate: 2e-4, m, v },
    arrays: { "callback/0/0": Float32Array.of(9, 8, 7) },
  });
  assert(await hasCheckpoint(`${dir}/ck`));
  const ck = await loadCheckpoint<{ epoch: number; best: string }>(`${dir}/ck`);
  assertEquals(ck.state, { epoch: 3, best: "-Infinity" });
  assertEquals(ck.optimizer, { iterations: 17, learningRate: 2e-4, m, v });
  assertEquals(ck.arrays, { "callback/0/0": Float32Array.of(9, 8, 7) });
  assertEquals(ck.weights, await getWeightArrays(model));
  await Deno.writeFile(`${dir}/ck/optimizer.bin`, new Uint8Array(3));
  await assertRejects(() => loadCheckpoint(`${dir}/ck`), Error, "optimizer.bin");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadModelDir names the folder when model.json is missing or wrong", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(() => loadModelDir(dir), Error, "model.json");
  await Deno.writeTextFile(`${dir}/model.json`, "{}");
  await assertRejects(() => loadModelDir(dir), Error, "not a tfjs LayersModel");
  await Deno.remove(dir, { recursive: true });
});
