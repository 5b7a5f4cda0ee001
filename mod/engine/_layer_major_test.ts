import { initBackend, tf } from "./backend.ts";
import { readNativeManifest } from "./native.ts";
import { dropoutLayers, type StepInput, trainStep } from "./batches.ts";
import { dropoutMask, layerMajorStep } from "./_layer_major.ts";
import { crossEntropyTensor, type LossOptions } from "./loss.ts";
import { Adam } from "./optim.ts";
import { resSeAudioCnn, unetAudioClassifier } from "../models/mod.ts";
import { Rng } from "../rng.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

// Layer-major micro-batching against the whole-batch step: the same loss, gradients, updated
// weights and BatchNormalization moving statistics whatever the micro-batch size, on the cpu and
// wasm backends; the old per-micro-batch step (BatchNormalization with micro-batch statistics)
// differs by far more than the tolerance.

await initBackend({ backend: "wasm", threads: 1, quiet: true });
const BACKENDS = ["cpu", "wasm"] as const;
const nativeInstalled = (await Deno.permissions.query({ name: "ffi" })).state === "granted" &&
  ((await readNativeManifest("cpu").catch(() => null)) !== null ||
    (await readNativeManifest("gpu").catch(() => null)) !== null);
/** max |a − b| / max |b| per tensor (float32 summation order). */
const TOL = 1e-5;

/** A model with every layer type of the four models, plus BatchNormalization after Dense. */
function tinyModel(seed: number): tf.LayersModel {
  let k = 0;
  const init = () => tf.initializers.glorotUniform({ seed: seed * 100 + k++ });
  const conv = (x: tf.SymbolicTensor, filters: number, strides = 1, kernel = 3) =>
    tf.layers.conv2d({
      filters,
      kernelSize: kernel,
      strides,
      padding: "same",
      useBias: false,
      kernelInitializer: init(),
    }).apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor) =>
    tf.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-3 }).apply(
      x,
    ) as tf.SymbolicTensor;
  const prelu = (x: tf.SymbolicTensor) =>
    tf.layers.prelu({
      sharedAxes: [1, 2],
      alphaInitializer: tf.initializers.constant({ value: 0.2 }),
    }).apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: [8, 8, 1] });
  let x = prelu(bn(conv(input, 4)));
  x = tf.layers.activation({ activation: "relu" }).apply(bn(conv(x, 4))) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  // Residual block with squeeze-and-excitation: stride-2 main path, 1×1 shortcut, Add.
  let main = bn(conv(prelu(bn(conv(x, 6, 2))), 6));
  let s = tf.layers.globalAveragePooling2d({}).apply(main) as tf.SymbolicTensor;
  s = tf.layers.dense({ units: 3, activation: "relu", kernelInitializer: init() }).apply(
    s,
  ) as tf.SymbolicTensor;
  s = tf.layers.dense({ units: 6, activation: "sigmoid", kernelInitializer: init() }).apply(
    s,
  ) as tf.SymbolicTensor;
  s = tf.layers.reshape({ targetShape: [1, 1, 6] }).apply(s) as tf.SymbolicTensor;
  main = tf.layers.multiply({}).apply([main, s]) as tf.SymbolicTensor;
  const shortcut = bn(conv(x, 6, 2, 1));
  x = prelu(tf.layers.add({}).apply([main, shortcut]) as tf.SymbolicTensor);
  let h = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  // No bias before a BatchNormalization: its gradient is zero up to rounding (no relative error).
  h = bn(
    tf.layers.dense({ units: 8, useBias: false, kernelInitializer: init() }).apply(
      h,
    ) as tf.SymbolicTensor,
  );
  h = tf.layers.activation({ activation: "relu" }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: 0.5 }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init() })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function batch(
  n: number,
  shape: number[],
  classes: number,
  seed: number,
): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size).map(() => rng.next() * 2 - 1 + 0.3);
  const y = new Int32Array(n).map(() => Math.floor(rng.next() * classes));
  return { x, y };
}

const varsOf = (m: tf.LayersModel): tf.Variable[] =>
  m.trainableWeights.map((w) => w.read() as tf.Variable);

function stepInput(
  model: tf.LayersModel,
  data: { x: Float32Array; y: Int32Array },
  shape: number[],
  classes: number,
  microBatch: number,
  lossOptions: LossOptions = {},
): StepInput {
  return {
    x: data.x,
    y: data.y,
    sampleShape: shape,
    numClasses: classes,
    microBatch,
    lossOptions,
    dropouts: dropoutLayers(model),
    seedFor: (micro, layer) => 1000 + 31 * micro + layer,
  };
}

/** Whole-batch gradients by tfjs autodiff (the reference), Dropout seeds as the trainer sets them. */
function wholeGrads(model: tf.LayersModel, input: StepInput): { loss: number; grads: tf.Tensor[] } {
  const vars = varsOf(model);
  const n = input.y.length;
  input.dropouts.forEach((d, i) => (d.seed = input.seedFor(0, i)));
  const xs = tf.tensor(input.x, [n, ...input.sampleShape]);
  const ys = tf.tensor1d(input.y, "int32");
  const { value, grads } = tf.variableGrads(
    () =>
      crossEntropyTensor(
        model.apply(xs, { training: true }) as tf.Tensor,
        ys,
        input.lossOptions,
        n,
      ),
    vars,
  );
  const loss = value.dataSync()[0]!;
  tf.dispose([xs, ys, value]);
  return { loss, grads: vars.map((v) => grads[v.name]!) };
}

/** The old step: autodiff per micro-batch (micro-batch BatchNormalization statistics), summed. */
function oldMicroGrads(model: tf.LayersModel, input: StepInput): tf.Tensor[] {
  const vars = varsOf(model);
  const n = input.y.length;
  const size = input.x.length / n;
  let sum: tf.Tensor[] | null = null;
  for (let s = 0, micro = 0; s < n; s += input.microBatch, micro++) {
    const e = Math.min(n, s + input.microBatch);
    input.dropouts.forEach((d, i) => (d.seed = input.seedFor(micro, i)));
    const xs = tf.tensor(input.x.subarray(s * size, e * size), [e - s, ...input.sampleShape]);
    const ys = tf.tensor1d(input.y.subarray(s, e), "int32");
    const { value, grads } = tf.variableGrads(() =>
      crossEntropyTensor(
        model.apply(xs, { training: true }) as tf.Tensor,
        ys,
        input.lossOptions,
        n,
      ), vars);
    const g = vars.map((v) => grads[v.name]!);
    tf.dispose([xs, ys, value]);
    if (sum === null) sum = g;
    else {
      const prev: tf.Tensor[] = sum;
      sum = prev.map((p, i) => tf.add(p, g[i]!));
      tf.dispose([...prev, ...g]);
    }
  }
  return sum!;
}

/** max over tensors of max |a − b| / max |b|. */
function relDiff(a: readonly tf.Tensor[], b: readonly tf.Tensor[]): number {
  assertEquals(a.length, b.length);
  let worst = 0;
  a.forEach((t, i) => {
    const x = t.dataSync(), y = b[i]!.dataSync();
    assertEquals(x.length, y.length);
    let d = 0, m = 0;
    for (let j = 0; j < x.length; j++) {
      d = Math.max(d, Math.abs(x[j]! - y[j]!));
      m = Math.max(m, Math.abs(y[j]!));
    }
    worst = Math.max(worst, m === 0 ? d : d / m);
  });
  return worst;
}

const movingStats = (m: tf.LayersModel): tf.Tensor[] =>
  m.weights.filter((w) => /moving_(mean|variance)/.test(w.name)).map((w) => w.read().clone());

for (const backend of [...BACKENDS, "tensorflow"] as const) {
  Deno.test({
    name: `${backend}: layer-major micro-batches 4 and 8 give the whole-batch gradients of 16; ` +
      `the old micro-batch step does not`,
    // The native engine when installed (reported as ignored otherwise): tensors stay tensors.
    ignore: backend === "tensorflow" && !nativeInstalled,
    fn: async () => {
      if (backend === "tensorflow") {
        // On the native engine the first run keeps two tensors for good (the second run is
        // flat): warm it up once, then count.
        await gradientsTest(backend, false);
      }
      await gradientsTest(backend);
    },
  });
}

async function gradientsTest(
  backend: "cpu" | "wasm" | "tensorflow",
  countTensors = true,
): Promise<void> {
  {
    if (backend === "tensorflow") await initBackend({ backend, quiet: true });
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const model = tinyModel(3);
    const shape = [8, 8, 1];
    const data = batch(16, shape, 3, 11);
    const options = { labelSmoothing: 0.1, classWeights: [1, 2, 0.5] };
    const start = model.getWeights().map((w) => w.clone());
    const ref = wholeGrads(model, stepInput(model, data, shape, 3, 16, options));
    const refStats = movingStats(model);
    for (const mb of [4, 8, 5]) {
      model.setWeights(start);
      const input = stepInput(model, data, shape, 3, mb, options);
      const r = layerMajorStep(model, varsOf(model), {
        ...input,
        dropoutSeed: (l) => input.seedFor(0, input.dropouts.indexOf(l as never)),
      });
      const loss = r.loss.dataSync()[0]!;
      assert(
        Math.abs(loss - ref.loss) <= TOL * ref.loss,
        `micro ${mb}: loss ${loss} vs ${ref.loss}`,
      );
      const dg = relDiff(r.grads, ref.grads);
      assert(dg <= TOL, `micro ${mb}: gradients differ by ${dg}`);
      const stats = movingStats(model);
      const ds = relDiff(stats, refStats);
      assert(ds <= TOL, `micro ${mb}: moving statistics differ by ${ds}`);
      tf.dispose([r.loss, r.probs, ...r.grads, ...stats]);
    }
    // The old step (ghost batch norm) is far from the whole-batch gradients: the test can fail.
    model.setWeights(start);
    const old = oldMicroGrads(model, stepInput(model, data, shape, 3, 4, options));
    const dOld = relDiff(old, ref.grads);
    assert(dOld > 100 * TOL, `the old micro-batch step differs by only ${dOld}`);
    tf.dispose([...old, ...ref.grads, ...refStats, ...start]);
    model.dispose();
    if (countTensors) assertEquals(tf.memory().numTensors, before);
  }
}

for (const backend of BACKENDS) {
  Deno.test(`${backend}: a trainStep with micro-batches 4 and 8 updates the weights and moving statistics as the whole batch of 16, numTensors flat`, async () => {
    await tf.setBackend(backend);
    const model = tinyModel(5);
    const shape = [8, 8, 1];
    const data = batch(16, shape, 3, 12);
    const start = model.getWeights().map((w) => w.clone());
    const run = async (mb: number) => {
      model.setWeights(start);
      const vars = varsOf(model);
      const opt = new Adam(vars, { lr: 1e-2 });
      const losses: number[] = [];
      const snapshots: tf.Tensor[][] = [];
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        losses.push((await trainStep(model, vars, opt, stepInput(model, data, shape, 3, mb))).loss);
        if (i === 0) assertEquals(tf.memory().numTensors, before, `micro ${mb}: numTensors grew`);
        if (i === 0 || i === 2) snapshots.push(model.getWeights().map((w) => w.clone()));
      }
      opt.dispose();
      return { losses, snapshots };
    };
    const whole = await run(16);
    for (const mb of [4, 8]) {
      const before = tf.memory().numTensors;
      const got = await run(mb);
      got.losses.forEach((l, i) => {
        const ref = whole.losses[i]!;
        assert(Math.abs(l - ref) <= 1e-5 * ref, `micro ${mb} step ${i}: loss ${l} vs ${ref}`);
      });
      // Every weight, the moving means and variances included: after one step to 1e-5, after
      // three (Adam divides by the gradients' own magnitudes, which amplifies rounding) to 1e-4.
      const d1 = relDiff(got.snapshots[0]!, whole.snapshots[0]!);
      assert(d1 <= TOL, `micro ${mb}: weights after one step differ by ${d1}`);
      const d3 = relDiff(got.snapshots[1]!, whole.snapshots[1]!);
      assert(d3 <= 10 * TOL, `micro ${mb}: weights after three steps differ by ${d3}`);
      got.snapshots.forEach((w) => tf.dispose(w));
      assertEquals(tf.memory().numTensors, before);
    }
    whole.snapshots.forEach((w) => tf.dispose(w));
    tf.dispose(start);
    model.dispose();
  });
}

// Real models at small inputs: ResSE (Add, squeeze-and-excitation, BatchNormalization without
// activation) on cpu, whose convolutions are slow; the UNet on wasm. The reference is the whole
// batch on the cpu backend (tfjs's stock kernels): on wasm the whole-batch step of this UNet
// deviates from it by up to 7e-2 relative in some BatchNormalization β gradients and the layers
// below (with the fused kernels and without them), while layer-major on wasm agrees with it to
// 1e-5 in every layer; see the report of issue 15.
// Against another backend's reference the two backends' kernels add their own rounding: 3e-5.
const REAL = [
  { backend: "cpu", name: "ResSE_AudioCNN", shape: [8, 8, 1], tol: TOL },
  { backend: "wasm", name: "UNet_Audio_Classifier", shape: [16, 16, 1], tol: 3 * TOL },
] as const;
for (const c of REAL) {
  Deno.test(`${c.backend}: ${c.name} at ${c.shape[0]}×${c.shape[1]}: micro-batches 4 and 8 step as the whole batch of 16`, async () => {
    await tf.setBackend("cpu");
    const before = tf.memory().numTensors;
    const shape = [...c.shape];
    const options = { inputShape: c.shape as [number, number, number], numClasses: 4, seed: 7 };
    const model = c.name === "ResSE_AudioCNN"
      ? resSeAudioCnn(options)
      : unetAudioClassifier(options);
    const data = batch(16, shape, 4, 21);
    const start = model.getWeights().map((w) => w.clone());
    const ref = wholeGrads(model, stepInput(model, data, shape, 4, 16));
    const refStats = movingStats(model);
    await tf.setBackend(c.backend);
    for (const mb of [4, 8]) {
      model.setWeights(start);
      const input = stepInput(model, data, shape, 4, mb);
      const r = layerMajorStep(model, varsOf(model), {
        ...input,
        dropoutSeed: (l) => input.seedFor(0, input.dropouts.indexOf(l as never)),
      });
      const loss = r.loss.dataSync()[0]!;
      assert(
        Math.abs(loss - ref.loss) <= c.tol * ref.loss,
        `micro ${mb}: loss ${loss} vs ${ref.loss}`,
      );
      const dg = relDiff(r.grads, ref.grads);
      assert(dg <= c.tol, `micro ${mb}: gradients differ by ${dg}`);
      const stats = movingStats(model);
      const ds = relDiff(stats, refStats);
      assert(ds <= c.tol, `micro ${mb}: moving statistics differ by ${ds}`);
      tf.dispose([r.loss, r.probs, ...r.grads, ...stats]);
    }
    model.setWeights(start);
    const old = oldMicroGrads(model, stepInput(model, data, shape, 4, 4));
    assert(relDiff(old, ref.grads) > 100 * TOL, "the old micro-batch step matches the whole batch");
    tf.dispose([...old, ...ref.grads, ...refStats, ...start]);
    model.dispose();
    assertEquals(tf.memory().numTensors, before);
  });
}

Deno.test("cpu: Dropout draws one whole-batch mask, the same for every micro-batch size", async () => {
  await tf.setBackend("cpu");
  const input = tf.input({ shape: [6] });
  const dropout = tf.layers.dropout({ rate: 0.5 });
  const out = tf.layers.dense({
    units: 2,
    activation: "softmax",
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
  }).apply(dropout.apply(input)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const data = batch(12, [6], 2, 5);
  const probs = (mb: number, seed: number): Float32Array => {
    const r = layerMajorStep(model, varsOf(model), {
      x: data.x,
      y: data.y,
      sampleShape: [6],
      microBatch: mb,
      lossOptions: {},
      dropoutSeed: () => seed,
    });
    const p = r.probs.dataSync() as Float32Array;
    tf.dispose([r.loss, r.probs, ...r.grads]);
    return p;
  };
  const whole = probs(12, 9);
  for (const mb of [1, 3, 5]) assertEquals(probs(mb, 9), whole);
  // The mask is the one tfjs's Dropout draws for the whole batch with that seed...
  (dropout as unknown as { seed: number }).seed = 9;
  const xs = tf.tensor(data.x, [12, 6]);
  const direct = model.apply(xs, { training: true }) as tf.Tensor;
  assertEquals(direct.dataSync(), whole);
  // ...and it is active (another seed, another mask; rows with both masks differ).
  assert(probs(3, 10).some((v, i) => v !== whole[i]));
  const m = dropoutMask(dropout, [3, 6], 12, 9)!;
  assertEquals(m.shape, [12, 6]);
  assert(m.dataSync().every((v) => v === 0 || v === 2));
  tf.dispose([xs, direct, m]);
  model.dispose();
});

Deno.test("cpu: layer-major micro-batching refuses layers that draw random numbers per call", async () => {
  await tf.setBackend("cpu");
  const input = tf.input({ shape: [4] });
  const noisy = tf.layers.gaussianNoise({ stddev: 0.1 }).apply(input);
  const out = tf.layers.dense({ units: 2, activation: "softmax" }).apply(noisy);
  const model = tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
  const before = tf.memory().numTensors;
  assertThrows(
    () =>
      layerMajorStep(model, varsOf(model), {
        x: new Float32Array(8),
        y: new Int32Array(2),
        sampleShape: [4],
        microBatch: 1,
        lossOptions: {},
        dropoutSeed: () => undefined,
      }),
    Error,
    "GaussianNoise",
  );
  assertEquals(tf.memory().numTensors, before);
  model.dispose();
});
