// Tests of native inference as one TensorFlow graph (`_tf_graph.ts`). Those that need the native
// engine run when `deno task engine:native` has installed it and are reported as ignored, by
// name, otherwise (`deno task check:native` runs them).
import { initBackend, tf } from "./backend.ts";
import { readNativeManifest } from "./native.ts";
import { configProto } from "./_tf_capi.ts";
import { NativeGraph, tryNativeGraph, UnsupportedLayer } from "./_tf_graph.ts";
import { foldBatchNorm } from "./fold.ts";
import { predictProbs } from "./evaluate.ts";
import { measureLatency } from "./latency.ts";
import { buildModel, MODEL_NAMES } from "../models/mod.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";

const installed = (await readNativeManifest("cpu").catch(() => null)) !== null ||
  (await readNativeManifest("gpu").catch(() => null)) !== null;
const ffi = (await Deno.permissions.query({ name: "ffi" })).state === "granted";
const ignore = !installed || !ffi;

/** max |a − b| / (max |b| + 1e-6). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / (s + 1e-6);
}

/** Random weights everywhere (BatchNormalization variances positive), so no layer is trivial. */
function randomise(model: tf.LayersModel, seed: number): void {
  model.layers.forEach((l, i) => {
    const fresh = l.getWeights().map((w, j) =>
      /variance/.test(l.weights[j]!.name)
        ? tf.randomUniform(w.shape, 0.5, 1.5, "float32", seed + 10 * i + j)
        : tf.randomUniform(w.shape, -0.5, 0.5, "float32", seed + 10 * i + j)
    );
    l.setWeights(fresh);
    tf.dispose(fresh);
  });
}

async function tfjsPredict(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const y = model.predict(x) as tf.Tensor;
  const v = (await y.data()) as Float32Array;
  y.dispose();
  return v;
}

Deno.test("configProto: the thread-pool fields of a ConfigProto, as varints", () => {
  assertEquals(Array.from(configProto({})), []);
  assertEquals(Array.from(configProto({ intraOp: 2 })), [0x10, 2]);
  // 300 = 0b10_0101100: low 7 bits with the continuation bit, then 2.
  assertEquals(Array.from(configProto({ intraOp: 1, interOp: 300 })), [0x10, 1, 0x28, 0xac, 2]);
});

Deno.test("NativeGraph.build: null when the native engine is not the backend", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const inp = tf.input({ shape: [4] });
  const m = tf.model({
    inputs: inp,
    outputs: tf.layers.dense({ units: 2 }).apply(inp) as tf.SymbolicTensor,
  });
  assertEquals(await NativeGraph.build(m), null);
  assertEquals((await measureLatency(m, { warmup: 0, runs: 2 })).graph, false);
  m.dispose();
});

Deno.test({
  name: "native graph: the four models equal tfjs's predictions (1e-5; folded 5e-5)",
  ignore,
  fn: async () => {
    await initBackend({ backend: "tensorflow", quiet: true });
    for (const name of MODEL_NAMES) {
      const model = buildModel(name, { seed: 5, inputShape: [32, 32, 1] });
      randomise(model, 7);
      const folded = await foldBatchNorm(model);
      // tfjs's first predict of a model keeps a tensor or two for good: count after one.
      const warm = tf.randomNormal([1, 32, 32, 1]);
      await tfjsPredict(model, warm);
      warm.dispose();
      const before = tf.memory().numTensors;
      for (const batch of [1, 5]) {
        const x = tf.randomNormal([batch, 32, 32, 1], 0, 1, "float32", batch);
        const xs = (await x.data()) as Float32Array;
        const want = await tfjsPredict(model, x);
        for (const [label, m] of [["unfolded", model], ["folded", folded]] as const) {
          const g = (await NativeGraph.build(m))!;
          const { data, shape } = g.run(xs, batch);
          const again = await g.runAsync(xs, batch); // the worker-thread path: the same numbers
          assertEquals([again.shape, Array.from(again.data)], [shape, Array.from(data)]);
          assertEquals(shape, [batch, 10], `${name} ${label}`);
          // Folding rounds differently (W·s in float32): measured ≤ 1.3e-5 with these weights.
          const err = relErr(data, want);
          assert(
            err < (label === "folded" ? 5e-5 : 1e-5),
            `${name} ${label} batch ${batch}: ${err}`,
          );
          g.dispose();
        }
        x.dispose();
      }
      assertEquals(tf.memory().numTensors, before, `${name}: the graph holds no tfjs tensor`);
      folded.dispose();
      model.dispose();
    }
  },
});

Deno.test({
  name: "native graph: every translated layer kind equals tfjs (pooling, BN, concat, dense, …)",
  ignore,
  fn: async () => {
    await initBackend({ backend: "tensorflow", quiet: true });
    const inp = tf.input({ shape: [12, 10, 3] });
    const L = tf.layers;
    const apply = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
      l.apply(x) as tf.SymbolicTensor;
    const a = apply(
      L.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation: "tanh" }),
      inp,
    );
    const b = apply(L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: "valid" }), inp);
    const b2 = apply(
      L.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: "same" }),
      inp,
    );
    const bn = apply(L.batchNormalization({ center: false }), b2);
    const r = apply(L.reLU(), bn);
    const p = apply(L.averagePooling2d({ poolSize: 2, strides: 2 }), apply(L.prelu({}), a));
    const m = apply(L.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }), r);
    const cat = apply(L.concatenate({ axis: -1 }), [p, m]); // [6, 5, 8]
    const t = apply(L.conv2d({ filters: 8, kernelSize: 1 }), cat);
    const s = apply(L.add(), [cat, t, apply(L.multiply(), [cat, t])]);
    const gmax = apply(L.globalMaxPooling2d({}), s);
    const flat = apply(L.flatten(), apply(L.dropout({ rate: 0.5 }), s));
    const d1 = apply(L.dense({ units: 6, activation: "tanh" }), flat);
    const d2 = apply(L.dense({ units: 6, activation: "elu", useBias: false }), gmax);
    const joined = apply(L.concatenate(), [d1, d2, apply(L.globalAveragePooling2d({}), b)]);
    const shaped = apply(L.reshape({ targetShape: [4, 4] }), joined);
    const sig = apply(L.activation({ activation: "sigmoid" }), apply(L.flatten(), shaped));
    const out = apply(L.softmax(), apply(L.dense({ units: 5 }), sig));
    const model = tf.model({ inputs: inp, outputs: out });
    randomise(model, 11);
    const x = tf.randomNormal([3, 12, 10, 3], 0, 1, "float32", 3);
    const want = await tfjsPredict(model, x);
    const g = (await NativeGraph.build(model))!;
    const err = relErr(g.run((await x.data()) as Float32Array, 3).data, want);
    assert(err < 1e-5, `max relative error ${err}`);
    g.dispose();
    x.dispose();
    model.dispose();
  },
});

Deno.test({
  name:
    "native graph: unknown layers and bad input are refused, tfjs runs them; Sequential models translate",
  ignore,
  fn: async () => {
    await initBackend({ backend: "tensorflow", quiet: true });
    const inp = tf.input({ shape: [6, 4] });
    const ln = tf.layers.layerNormalization({}).apply(inp) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, activation: "softmax" }).apply(
      tf.layers.flatten().apply(ln),
    ) as tf.SymbolicTensor;
    const odd = tf.model({ inputs: inp, outputs: out });
    await assertRejects(() => NativeGraph.build(odd), UnsupportedLayer, "LayerNormalization");
    assertEquals(await tryNativeGraph(odd), null); // silently: tfjs runs it
    // The model still predicts on the native engine, through tfjs.
    const x = tf.randomNormal([2, 6, 4], 0, 1, "float32", 1);
    const p = await predictProbs(odd, { x: (await x.data()) as Float32Array, sampleShape: [6, 4] });
    assert(relErr(p, await tfjsPredict(odd, x)) < 1e-6);
    x.dispose();
    odd.dispose();

    // A Sequential model is translated through its functional view.
    const seq = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: "relu" }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 4, activation: "softmax" }),
      ],
    });
    const xq = tf.randomNormal([2, 6, 6, 2], 0, 1, "float32", 4);
    const gq = (await NativeGraph.build(seq))!;
    assert(
      relErr(gq.run((await xq.data()) as Float32Array, 2).data, await tfjsPredict(seq, xq)) < 1e-5,
    );
    gq.dispose();
    xq.dispose();
    seq.dispose();

    const model = buildModel("Lean_UNet", { seed: 1, inputShape: [16, 16, 1] });
    const g = (await NativeGraph.build(model))!;
    assertThrows(() => g.run(new Float32Array(255), 1), RangeError, "255 floats");
    await assertRejects(() => g.runAsync(new Float32Array(255), 1), RangeError, "255 floats");
    g.dispose();
    assertThrows(() => g.run(new Float32Array(256), 1), Error, "after dispose");
    model.dispose();
  },
});

Deno.test({
  name: "native graph: predictProbs and measureLatency run the graph; tensors flat",
  ignore,
  fn: async () => {
    await initBackend({ backend: "tensorflow", quiet: true });
    const model = buildModel("ResSE_AudioCNN", { seed: 2, inputShape: [32, 32, 1] });
    randomise(model, 3);
    const x = tf.randomNormal([7, 32, 32, 1], 0, 1, "float32", 9);
    const want = await tfjsPredict(model, x);
    const before = tf.memory().numTensors;
    const xs = (await x.data()) as Float32Array;
    const p = await predictProbs(model, { x: xs, sampleShape: [32, 32, 1] }, { batchSize: 3 });
    // The folded model in the graph; folding rounds differently (measured 1.3e-5 here).
    assert(relErr(p, want) < 5e-5, `predictProbs ${relErr(p, want)}`);
    const lat = await measureLatency(model, { warmup: 1, runs: 3 });
    assertEquals([lat.graph, lat.backend, lat.runs], [true, "tensorflow", 3]);
    assertEquals((await measureLatency(model, { warmup: 0, runs: 1, graph: false })).graph, false);
    assertEquals(tf.memory().numTensors, before);
    x.dispose();
    model.dispose();
  },
});
