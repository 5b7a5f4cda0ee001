import { initBackend, tf } from "./backend.ts";
import { Rng } from "../rng.ts";
import { assert, assertEquals } from "../_assert.ts";

// Every registered wasm kernel against the cpu backend on small shapes: max |wasm − cpu| divided
// by max |cpu| must stay ≤ 1e-4.

await initBackend({ backend: "wasm", threads: 1, quiet: true });
const TOL = 1e-4;

type Inputs = Record<string, { shape: number[]; data: Float32Array }>;

function randn(
  rng: Rng,
  shape: number[],
  reluLike = false,
): { shape: number[]; data: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = rng.normal();
    data[i] = reluLike ? Math.max(0, v) : v; // ReLU outputs: many ties at zero
  }
  return { shape, data };
}

async function runOn(
  backend: "cpu" | "wasm",
  kernel: string,
  inputs: Inputs,
  attrs: Record<string, unknown>,
): Promise<{ shape: number[]; data: Float32Array }> {
  await tf.setBackend(backend);
  const ts: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data, v.shape);
  const out = tf.engine().runKernel(kernel, ts, attrs as tf.NamedAttrMap) as tf.Tensor;
  const r = { shape: out.shape, data: (await out.data()) as Float32Array };
  tf.dispose([out, ...Object.values(ts)]);
  return r;
}

function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0, ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return ref === 0 ? diff : diff / ref;
}

async function check(
  kernel: string,
  inputs: Inputs,
  attrs: Record<string, unknown>,
): Promise<void> {
  const want = await runOn("cpu", kernel, inputs, attrs);
  const got = await runOn("wasm", kernel, inputs, attrs);
  const label = `${kernel} ${JSON.stringify(attrs)} ${
    JSON.stringify(Object.values(inputs).map((v) => v.shape))
  }`;
  assertEquals(got.shape, want.shape, label);
  const e = relErr(got.data, want.data);
  assert(e <= TOL, `${label}: relative error ${e}`);
}

const CONVS: { k: number; s: number; pad: "same" | "valid"; size: number }[] = [
  { k: 3, s: 1, pad: "same", size: 8 },
  { k: 3, s: 1, pad: "same", size: 7 },
  { k: 3, s: 2, pad: "same", size: 8 },
  { k: 3, s: 2, pad: "same", size: 7 },
  { k: 1, s: 2, pad: "same", size: 8 },
  { k: 1, s: 2, pad: "valid", size: 8 },
  { k: 1, s: 2, pad: "valid", size: 7 },
  { k: 3, s: 1, pad: "valid", size: 6 },
  { k: 3, s: 2, pad: "valid", size: 9 },
  { k: 3, s: 2, pad: "valid", size: 8 },
  { k: 2, s: 2, pad: "same", size: 8 },
];

Deno.test("Conv2DBackpropFilter matches cpu for every kernel/stride/padding used", async () => {
  const rng = new Rng(1);
  for (const { k, s, pad, size } of CONVS) {
    for (const [b, ci, co] of [[2, 3, 4], [1, 1, 5]]) {
      const x = randn(rng, [b, size, size + 1, ci]);
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        [k, k, ci, co],
        s,
        1,
        pad,
      );
      const dy = randn(rng, info.outShape);
      await check("Conv2DBackpropFilter", { x, dy }, {
        strides: [s, s],
        pad,
        dataFormat: "NHWC",
        dimRoundingMode: undefined,
        filterShape: [k, k, ci, co],
      });
    }
  }
});

Deno.test("Conv2DBackpropInput matches cpu for every kernel/stride/padding used", async () => {
  const rng = new Rng(2);
  for (const { k, s, pad, size } of CONVS) {
    // Square inputs of even size take the phase-decomposed path for strides 2.
    for (const [b, ci, co, dw] of [[2, 3, 4, 0], [1, 4, 1, 1], [2, 2, 3, 1]]) {
      const inputShape = [b, size, size + dw, ci];
      const filter = randn(rng, [k, k, ci, co]);
      const info = tf.backend_util.computeConv2DInfo(
        inputShape as [number, number, number, number],
        [k, k, ci, co],
        s,
        1,
        pad,
      );
      const dy = randn(rng, info.outShape);
      await check("Conv2DBackpropInput", { dy, filter }, {
        strides: [s, s],
        pad,
        dataFormat: "NHWC",
        dimRoundingMode: undefined,
        inputShape,
      });
    }
  }
});

Deno.test("Tile: BatchNorm-gradient fast path and fallback match cpu", async () => {
  const rng = new Rng(3);
  await check("Tile", { x: randn(rng, [1, 1, 1, 5]) }, { reps: [2, 3, 4, 1] });
  await check("Tile", { x: randn(rng, [1, 3]) }, { reps: [4, 1] });
  await check("Tile", { x: randn(rng, [2, 3]) }, { reps: [2, 2] }); // stock kernel
});

Deno.test("Sum and Mean over leading axes (and fallback) match cpu", async () => {
  const rng = new Rng(4);
  const x = randn(rng, [2, 3, 4, 5]);
  for (const kernel of ["Sum", "Mean"]) {
    for (const keepDims of [false, true]) {
      await check(kernel, { x }, { axis: [0, 1, 2], keepDims });
      await check(kernel, { x }, { axis: [0], keepDims });
      await check(kernel, { x }, { axis: [1, 0], keepDims });
      await check(kernel, { x }, { axis: [1, 2], keepDims }); // stock kernel
      await check(kernel, { x }, { axis: [0, 1, 2, 3], keepDims }); // stock kernel
      // One image: axes 1, 2 are column sums too (global average pooling); channels a multiple
      // of 4 take the SIMD kernel.
      for (const shape of [[1, 6, 7, 8], [1, 30, 40, 16], [1, 3, 4, 5]]) {
        const y = randn(rng, shape);
        await check(kernel, { x: y }, { axis: [1, 2], keepDims });
        await check(kernel, { x: y }, { axis: [0, 1, 2], keepDims });
        await check(kernel, { x: y }, { axis: [2, 1], keepDims });
      }
    }
  }
});

Deno.test("MaxPoolGrad matches cpu, ties included, any window", async () => {
  const rng = new Rng(5);
  const cases: { f: number; s: number; pad: "same" | "valid"; h: number; w: number }[] = [
    { f: 2, s: 2, pad: "valid", h: 8, w: 6 },
    { f: 2, s: 2, pad: "same", h: 8, w: 6 },
    { f: 2, s: 2, pad: "valid", h: 7, w: 5 },
    { f: 2, s: 2, pad: "same", h: 7, w: 5 },
    { f: 3, s: 1, pad: "same", h: 6, w: 5 }, // overlapping: stock wasm gets this wrong
  ];
  for (const { f, s, pad, h, w } of cases) {
    // 3 channels: JavaScript; 8: the WebAssembly kernel for 2×2 windows at stride 2.
    for (const [reluLike, c] of [[false, 3], [true, 3], [false, 8], [true, 8]] as const) {
      const input = randn(rng, [2, h, w, c], reluLike);
      await tf.setBackend("cpu");
      const xt = tf.tensor4d(input.data, input.shape as [number, number, number, number]);
      const yt = tf.maxPool(xt, f, s, pad);
      const output = { shape: yt.shape, data: (await yt.data()) as Float32Array };
      tf.dispose([xt, yt]);
      const dy = randn(rng, output.shape);
      await check("MaxPoolGrad", { dy, input, output }, {
        filterSize: [f, f],
        strides: [s, s],
        pad,
        dimRoundingMode: undefined,
      });
    }
  }
});

async function gradsOn(
  backend: "cpu" | "wasm",
  f: (...ts: tf.Tensor[]) => tf.Tensor,
  inputs: { shape: number[]; data: Float32Array }[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const ts = inputs.map((v) => tf.tensor(v.data, v.shape));
  const gs = tf.grads(f)(ts);
  const out = [];
  for (const g of gs) out.push((await g.data()) as Float32Array);
  tf.dispose([...ts, ...gs]);
  return out;
}

Deno.test("fused PReLU and Mean gradients match cpu", async () => {
  const rng = new Rng(7);
  const cases: [string, (...ts: tf.Tensor[]) => tf.Tensor, number[][]][] = [
    ["prelu per channel", (x, a) => tf.prelu(x, a).mul(x), [[2, 3, 4, 5], [1, 1, 5]]],
    ["prelu per channel, flat alpha", (x, a) => tf.prelu(x, a).square(), [[3, 4, 6], [6]]],
    ["prelu per element (stock)", (x, a) => tf.prelu(x, a).square(), [[2, 3, 4], [3, 4]]],
    ["prelu per channel, SIMD", (x, a) => tf.prelu(x, a).mul(x), [[2, 3, 4, 8], [1, 1, 8]]],
    ["prelu flat alpha, SIMD", (x, a) => tf.prelu(x, a).square(), [[3, 70, 16], [16]]],
    ["mean leading axes", (x) => tf.mean(x, [0, 1, 2]).square(), [[2, 3, 4, 5]]],
    ["mean leading axes, keepDims", (x) => tf.mean(x, [0, 1], true).square(), [[2, 3, 4, 5]]],
    ["mean middle axes (GAP)", (x) => tf.mean(x, [1, 2]).square(), [[2, 3, 4, 5]]],
    ["mean all axes", (x) => tf.mean(x).square(), [[2, 3, 4]]],
    ["mean non-contiguous (stock)", (x) => tf.mean(x, [0, 2]).square(), [[2, 3, 4, 5]]],
  ];
  for (const [label, f, shapes] of cases) {
    const inputs = shapes.map((sh) => randn(rng, sh));
    const want = await gradsOn("cpu", f, inputs);
    const got = await gradsOn("wasm", f, inputs);
    for (let i = 0; i < want.length; i++) {
      const e = relErr(got[i], want[i]);
      assert(e <= TOL, `${label}, input ${i}: relative error ${e}`);
    }
  }
});

/** A small model with every layer kind of the four architectures except Dropout (random). */
function smallModel(): tf.LayersModel {
  const init = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> =>
    tf.initializers.glorotUniform({ seed });
  const inp = tf.input({ shape: [12, 10, 1] });
  const convBn = (x: tf.SymbolicTensor, f: number, k: number, s: number, seed: number) => {
    const c = tf.layers.conv2d({
      filters: f,
      kernelSize: k,
      strides: s,
      padding: "same",
      useBias: false,
      kernelInitializer: init(seed),
    }).apply(x) as tf.SymbolicTensor;
    return tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3 }).apply(
      c,
    ) as tf.SymbolicTensor;
  };
  let x = convBn(inp, 4, 3, 1, 1);
  x = tf.layers.prelu({
    sharedAxes: [1, 2],
    alphaInitializer: tf.initializers.constant({ value: 0.1 }),
  })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor; // 6×5
  const main = tf.layers.reLU().apply(convBn(x, 6, 3, 2, 2)) as tf.SymbolicTensor; // 3×3
  const m2 = convBn(main, 6, 3, 1, 3);
  // SE block: GAP → Dense(relu) → Dense(sigmoid) → multiply.
  const gap = tf.layers.globalAveragePooling2d({}).apply(m2) as tf.SymbolicTensor;
  const d1 = tf.layers.dense({ units: 2, activation: "relu", kernelInitializer: init(4) }).apply(
    gap,
  );
  const d2 = tf.layers.dense({ units: 6, activation: "sigmoid", kernelInitializer: init(5) })
    .apply(d1) as tf.SymbolicTensor;
  const se = tf.layers.multiply().apply([
    m2,
    tf.layers.reshape({ targetShape: [1, 1, 6] }).apply(d2) as tf.SymbolicTensor,
  ]) as tf.SymbolicTensor;
  const short = convBn(x, 6, 1, 2, 6);
  const add = tf.layers.add().apply([se, short]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init(7) })
    .apply(tf.layers.globalAveragePooling2d({}).apply(add)) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out });
}

async function modelGrads(
  backend: "cpu" | "wasm",
): Promise<{ loss: number; grads: Float32Array[] }> {
  await tf.setBackend(backend);
  const model = smallModel();
  const rng = new Rng(6);
  const xs = tf.tensor4d(randn(rng, [4, 12, 10, 1]).data, [4, 12, 10, 1]);
  const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), 3);
  const { value, grads } = tf.variableGrads(() =>
    tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar
  );
  const out = [];
  for (const w of model.trainableWeights) {
    const g = grads[(w.read() as tf.Variable).name];
    assert(g !== undefined, `no gradient for ${w.name}`);
    out.push((await g.data()) as Float32Array);
  }
  const loss = (await value.data())[0];
  tf.dispose([xs, ys, value, ...Object.values(grads)]);
  model.dispose();
  return { loss, grads: out };
}

Deno.test("whole small model: wasm gradients match cpu", async () => {
  const cpu = await modelGrads("cpu");
  const wasm = await modelGrads("wasm");
  assert(Math.abs(cpu.loss - wasm.loss) <= 1e-5 * Math.abs(cpu.loss), `${cpu.loss} ${wasm.loss}`);
  assertEquals(wasm.grads.length, cpu.grads.length);
  for (let i = 0; i < cpu.grads.length; i++) {
    const e = relErr(wasm.grads[i], cpu.grads[i]);
    assert(e <= TOL, `weight ${i}: relative error ${e}`);
  }
});

Deno.test("one training step with Dropout runs on wasm and keeps the tensor count flat", async () => {
  await tf.setBackend("wasm");
  const inp = tf.input({ shape: [8, 8, 1] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", useBias: false })
    .apply(inp) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.5 }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({
    inputs: inp,
    outputs: tf.layers.dense({ units: 2 }).apply(x) as tf.SymbolicTensor,
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "meanSquaredError" });
  const xs = tf.ones([2, 8, 8, 1]), ys = tf.zeros([2, 2]);
  await model.trainOnBatch(xs, ys);
  const before = tf.memory().numTensors;
  await model.trainOnBatch(xs, ys);
  assertEquals(tf.memory().numTensors, before);
  tf.dispose([xs, ys]);
  model.dispose();
});

Deno.test("Identity on wasm shares the data instead of copying it (clones outlive originals)", async () => {
  await tf.setBackend("wasm");
  const a = tf.tensor2d([[1, 2], [3, 4]]);
  const bytes = tf.memory().numBytes;
  const b = tf.clone(a);
  const c = tf.engine().runKernel("Identity", { x: b }) as tf.Tensor;
  assertEquals(tf.memory().numBytes, bytes + 2 * 16); // tfjs counts per tensor
  a.dispose();
  b.dispose();
  assertEquals(Array.from(await c.data()), [1, 2, 3, 4]);
  assertEquals(c.shape, [2, 2]);
  c.dispose();
  const s = tf.tensor1d(["x", "y"], "string");
  const t = tf.clone(s);
  assertEquals(await t.data<"string">(), ["x", "y"]);
  tf.dispose([s, t]);
});

Deno.test("Cast on wasm: to the same dtype shares, to another converts (stock kernel)", async () => {
  await tf.setBackend("wasm");
  const a = tf.tensor1d([1.5, -2.25, 3]);
  const same = tf.cast(a, "float32");
  const int = tf.cast(a, "int32");
  a.dispose();
  assertEquals(Array.from(await same.data()), [1.5, -2.25, 3]);
  assertEquals(Array.from(await int.data()), [1, -2, 3]);
  assertEquals([same.dtype, int.dtype], ["float32", "int32"]);
  tf.dispose([same, int]);
});
