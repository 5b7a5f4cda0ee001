import { initBackend, tf } from "./backend.ts";
import {
  directBackpropFilter,
  directBackpropInput,
  directConv2D,
  type HeapBackend,
} from "./_wasm_conv.ts";
import { Rng } from "../rng.ts";
import { assert, assertEquals } from "../_assert.ts";
import { evalJson } from "./_eval_testutil.ts";

// The direct WebAssembly convolution gradients against the cpu backend, for every (input
// channels, output channels, kernel, stride) of the four models ('same' padding) at small spatial
// sizes, and for 'valid' padding and odd sizes: max |wasm − cpu| / max |cpu| ≤ 1e-4.

await initBackend({ backend: "wasm", threads: 1, quiet: true });
const TOL = 1e-4;

/** [Ci, Co, kernel, stride] of every convolution in UNet, ResSE, Efficient_VGG and Lean_UNet. */
const MODEL_CONVS: [number, number, number, number][] = [
  [1, 16, 3, 1], // Efficient_VGG block1
  [1, 32, 3, 1], // UNet enc1_conv1, ResSE stem, Lean_UNet conv1
  [16, 32, 3, 1],
  [32, 32, 3, 1],
  [32, 64, 3, 1],
  [64, 64, 3, 1],
  [64, 128, 3, 1],
  [128, 128, 3, 1],
  [128, 256, 3, 1],
  [256, 256, 3, 1],
  [32, 64, 3, 2], // ResSE block convs, stride 2
  [64, 128, 3, 2],
  [128, 256, 3, 2],
  [32, 64, 1, 2], // ResSE shortcuts
  [64, 128, 1, 2],
  [128, 256, 1, 2],
];

function randn(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0, ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return ref === 0 ? diff : diff / ref;
}

interface Case {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: "same" | "valid";
}

/** dW and dX of one case on `backend`, from the same seeded inputs. */
async function grads(
  backend: "cpu" | "wasm",
  c: Case,
  seed: number,
): Promise<{ dw: Float32Array; dx: Float32Array; direct: [boolean, boolean] }> {
  await tf.setBackend(backend);
  const rng = new Rng(seed);
  const xShape = [c.b, c.h, c.w, c.ci] as [number, number, number, number];
  const fShape = [c.k, c.k, c.ci, c.co] as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(xShape, fShape, c.s, 1, c.pad);
  const x = randn(rng, xShape), f = randn(rng, fShape), dy = randn(rng, info.outShape);
  const attrs = { strides: [c.s, c.s], pad: c.pad, dataFormat: "NHWC", dimRoundingMode: undefined };
  const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
    ...attrs,
    filterShape: fShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const dx = tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: f }, {
    ...attrs,
    inputShape: xShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
  let direct: [boolean, boolean] = [false, false];
  if (backend === "wasm") {
    // Whether the direct kernels take this shape (rather than the XNNPACK-based fallback).
    const be = tf.backend() as unknown as HeapBackend;
    const d1 = directBackpropFilter(be, x, dy, info);
    const d2 = directBackpropInput(be, dy, f, info);
    direct = [d1 !== null, d2 !== null];
    for (const d of [d1, d2]) if (d) be.disposeData(d.dataId);
  }
  const out = {
    dw: (await dw.data()) as Float32Array,
    dx: (await dx.data()) as Float32Array,
    direct,
  };
  tf.dispose([x, f, dy, dw, dx]);
  return out;
}

async function compare(c: Case, seed: number): Promise<[boolean, boolean]> {
  const want = await grads("cpu", c, seed);
  const got = await grads("wasm", c, seed);
  const label = JSON.stringify(c);
  const ew = relErr(got.dw, want.dw), ex = relErr(got.dx, want.dx);
  assert(ew <= TOL, `${label}: dW relative error ${ew}`);
  assert(ex <= TOL, `${label}: dX relative error ${ex}`);
  return got.direct;
}

Deno.test("direct conv gradients match cpu for every convolution of the four models", async () => {
  let seed = 10;
  for (const [ci, co, k, s] of MODEL_CONVS) {
    // Sizes as in the models (even, halved by pooling or strides), small enough for cpu.
    const size = ci >= 128 ? 4 : ci >= 32 ? 8 : 12;
    const direct = await compare({ b: 2, h: size, w: size + 2, ci, co, k, s, pad: "same" }, seed++);
    assertEquals(direct, [true, ci % 8 === 0], `${ci}->${co} k${k} s${s}: direct kernels used`);
  }
  assertEquals(tf.getBackend(), "wasm");
});

Deno.test("direct conv gradients match cpu for 'valid' padding, odd sizes and strides", async () => {
  let seed = 100;
  for (const pad of ["same", "valid"] as const) {
    for (const [k, s] of [[3, 1], [3, 2], [1, 2], [2, 2], [1, 1], [5, 3]]) {
      for (const [h, w] of [[7, 9], [8, 5], [11, 11]]) {
        if (pad === "valid" && (h < k || w < k)) continue;
        for (const [ci, co] of [[8, 16], [3, 32], [24, 48]]) {
          const direct = await compare({ b: 2, h, w, ci, co, k, s, pad }, seed++);
          assertEquals(direct, [true, ci % 8 === 0]);
        }
      }
    }
  }
});

Deno.test("direct conv gradients: shapes they do not take fall back (and still match)", async () => {
  // Co not a multiple of 16: the XNNPACK-based filter gradient; Ci = 3: its input gradient.
  const direct = await compare({ b: 1, h: 6, w: 6, ci: 3, co: 12, k: 3, s: 1, pad: "same" }, 7);
  assertEquals(direct, [false, false]);
});

/** Forward conv (plain, and fused with bias + ReLU or PReLU) on `backend`. */
async function forward(backend: "cpu" | "wasm", c: Case, seed: number): Promise<{
  y: Float32Array;
  fused: Float32Array;
  prelu: Float32Array;
  direct: boolean;
}> {
  await tf.setBackend(backend);
  const rng = new Rng(seed);
  const xShape = [c.b, c.h, c.w, c.ci] as [number, number, number, number];
  const fShape = [c.k, c.k, c.ci, c.co] as [number, number, number, number];
  const x = randn(rng, xShape) as tf.Tensor4D, f = randn(rng, fShape) as tf.Tensor4D;
  const bias = randn(rng, [c.co]);
  const y = tf.conv2d(x, f, c.s, c.pad);
  const fused = tf.fused.conv2d({
    x,
    filter: f,
    strides: c.s,
    pad: c.pad,
    bias,
    activation: "relu",
  });
  const alpha = randn(rng, [c.co]);
  const prelu = tf.fused.conv2d({
    x,
    filter: f,
    strides: c.s,
    pad: c.pad,
    bias,
    activation: "prelu",
    preluActivationWeights: alpha,
  });
  let direct = false;
  if (backend === "wasm") {
    const info = tf.backend_util.computeConv2DInfo(xShape, fShape, c.s, 1, c.pad);
    const d = directConv2D(tf.backend() as unknown as HeapBackend, x, f, info);
    direct = d !== null;
    if (d) (tf.backend() as unknown as HeapBackend).disposeData(d.dataId);
  }
  const out = {
    y: (await y.data()) as Float32Array,
    fused: (await fused.data()) as Float32Array,
    prelu: (await prelu.data()) as Float32Array,
    direct,
  };
  tf.dispose([x, f, bias, y, fused, alpha, prelu]);
  return out;
}

Deno.test("direct forward conv matches cpu for every convolution of the four models", async () => {
  let seed = 300;
  const cases: Case[] = MODEL_CONVS.map(([ci, co, k, s]) => {
    const size = ci >= 128 ? 4 : ci >= 32 ? 8 : 12;
    return { b: 2, h: size, w: size + 2, ci, co, k, s, pad: "same" };
  });
  cases.push({ b: 2, h: 7, w: 9, ci: 8, co: 16, k: 3, s: 1, pad: "valid" });
  cases.push({ b: 1, h: 6, w: 5, ci: 16, co: 24, k: 5, s: 1, pad: "same" });
  cases.push({ b: 2, h: 9, w: 7, ci: 8, co: 16, k: 3, s: 2, pad: "same" });
  cases.push({ b: 2, h: 9, w: 11, ci: 16, co: 8, k: 3, s: 2, pad: "valid" });
  cases.push({ b: 1, h: 10, w: 13, ci: 8, co: 16, k: 5, s: 3, pad: "same" });
  // No pixel outside x read (the kernel reads x itself, no padded copy): 1×1 at stride 2 and 1.
  cases.push({ b: 2, h: 8, w: 16, ci: 32, co: 64, k: 1, s: 2, pad: "same" });
  cases.push({ b: 1, h: 4, w: 8, ci: 16, co: 8, k: 1, s: 1, pad: "valid" });
  for (const c of cases) {
    const want = await forward("cpu", c, seed);
    const got = await forward("wasm", c, seed++);
    const label = JSON.stringify(c);
    for (const k of ["y", "fused", "prelu"] as const) {
      const e = relErr(got[k], want[k]);
      assert(e <= TOL, `${label}: ${k} relative error ${e}`);
    }
    assertEquals(got.direct, c.co % 8 === 0, `${label}: direct`);
  }
  await tf.setBackend("wasm");
});

Deno.test({
  name: "direct conv gradients on two threads (tfjs's threaded build) match cpu",
  ignore: Deno.permissions.querySync({ name: "run" }).state !== "granted",
  fn: async () => {
    // Threads keep the process alive (and `deno test` runs one thread): checked in a child.
    const url = (f: string): string => new URL(f, import.meta.url).href;
    const code = `import { initBackend, tf } from "${url("./backend.ts")}";
      import { heapThreadsInUse } from "${url("./_wasm_heap.ts")}";
      const info = await initBackend({ backend: "wasm", threads: 2, quiet: true });
      const cases = [[2, 10, 12, 32, 64, 3, 2], [2, 16, 16, 1, 32, 3, 1], [3, 8, 9, 64, 64, 3, 1],
        [2, 8, 8, 128, 256, 1, 2]];
      const errors = [];
      for (const [b, h, w, ci, co, k, s] of cases) {
        const out = [];
        for (const be of ["wasm", "cpu"]) {
          await tf.setBackend(be);
          const x = tf.randomNormal([b, h, w, ci], 0, 1, "float32", 1);
          const f = tf.randomNormal([k, k, ci, co], 0, 1, "float32", 2);
          const info = tf.backend_util.computeConv2DInfo([b, h, w, ci], [k, k, ci, co], s, 1, "same");
          const dy = tf.randomNormal(info.outShape, 0, 1, "float32", 3);
          const a = { strides: s, pad: "same", dataFormat: "NHWC" };
          const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...a, filterShape: [k, k, ci, co] });
          const dx = tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: f }, { ...a, inputShape: [b, h, w, ci] });
          out.push([await dw.data(), await dx.data()]);
          tf.dispose([x, f, dy, dw, dx]);
        }
        for (const i of [0, 1]) {
          let d = 0, r = 0;
          out[0][i].forEach((v, j) => { d = Math.max(d, Math.abs(v - out[1][i][j])); r = Math.max(r, Math.abs(out[1][i][j])); });
          errors.push(d / r);
        }
      }
      await tf.setBackend("wasm");
      console.log(JSON.stringify({ threads: info.threads, conv: heapThreadsInUse(), errors }));
      Deno.exit(0);`;
    const r = await evalJson(code);
    assertEquals(r.threads, 2);
    assertEquals(r.conv, 2);
    assertEquals(r.errors.length, 8);
    for (const e of r.errors) assert(e <= TOL, `relative error ${e}`);
  },
});

Deno.test("direct kernels: views of the heap survive its growth during their allocations", async () => {
  // On the unshared heap (one thread), growing the memory detaches every typed-array view taken
  // before: each allocation below grows the heap first, so a kernel that kept such a view reads
  // zeros (or garbage) and no longer matches cpu.
  await tf.setBackend("wasm");
  const be = tf.backend() as unknown as HeapBackend & {
    wasm: {
      asm?: { memory?: WebAssembly.Memory };
      wasmMemory?: WebAssembly.Memory;
      _malloc(n: number): number;
      _free(p: number): void;
    };
  };
  const memory = be.wasm.wasmMemory ?? be.wasm.asm!.memory!;
  const makeOutput = be.makeOutput.bind(be);
  let grown = 0;
  be.makeOutput = (shape: number[], dtype: tf.DataType): tf.TensorInfo => {
    // A block as large as the heap makes emscripten grow it (by ≥ 20 %), then it is freed.
    if (grown < 24) {
      const before = memory.buffer.byteLength;
      be.wasm._free(be.wasm._malloc(before));
      if (memory.buffer.byteLength > before) grown++;
    }
    return makeOutput(shape, dtype);
  };
  try {
    for (
      const [i, c] of [
        { b: 2, h: 6, w: 7, ci: 16, co: 32, k: 3, s: 1, pad: "same" },
        { b: 2, h: 8, w: 8, ci: 8, co: 16, k: 3, s: 2, pad: "same" },
      ].entries()
    ) {
      const want = await forward("cpu", c as Case, 900 + i);
      const got = await forward("wasm", c as Case, 900 + i);
      assert(got.direct);
      for (const k of ["y", "fused", "prelu"] as const) {
        assert(relErr(got[k], want[k]) <= TOL, `${k}: ${relErr(got[k], want[k])}`);
      }
      assertEquals(await compare(c as Case, 950 + i), [true, true]);
    }
  } finally {
    delete (be as { makeOutput?: unknown }).makeOutput;
  }
  assert(be.makeOutput === Object.getPrototypeOf(be).makeOutput);
  assert(grown >= 4, `the heap grew ${grown} times`);
});
