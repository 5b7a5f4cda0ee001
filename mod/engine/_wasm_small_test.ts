import { initBackend, tf } from "./backend.ts";
import { channelScale, smallFusedMatMul, smallSigmoid } from "./_wasm_small.ts";
import type { HeapBackend } from "./_wasm_heap.ts";
import type { WasmBackend } from "./_wasm_stock.ts";
import { Rng } from "../rng.ts";
import { assert, assertEquals } from "../_assert.ts";
import { evalJson } from "./_eval_testutil.ts";

// The kernels for the small operations of batch-1 inference against the cpu backend (max |wasm −
// cpu| / max |cpu| ≤ 1e-5) at the shapes of the four models' squeeze-and-excitation blocks and
// heads, each also called directly to prove it takes the shape (a stock fallback would pass the
// comparison without testing it).

await initBackend({ backend: "wasm", threads: 1, quiet: true });
const TOL = 1e-5;

function randn(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

function relErr(a: Float32Array, b: Float32Array): number {
  assertEquals(a.length, b.length);
  let diff = 0, ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    ref = Math.max(ref, Math.abs(b[i]!));
  }
  return ref === 0 ? diff : diff / ref;
}

/** Runs `f` on wasm and on cpu with the same random inputs of `shapes`; the relative error. */
async function compare(
  shapes: number[][],
  seed: number,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
): Promise<number> {
  const out: Float32Array[] = [];
  for (const be of ["wasm", "cpu"]) {
    await tf.setBackend(be);
    const rng = new Rng(seed);
    const xs = shapes.map((s) => randn(rng, s));
    const y = f(...xs);
    out.push((await y.data()) as Float32Array);
    tf.dispose([...xs, y]);
  }
  await tf.setBackend("wasm");
  return relErr(out[0]!, out[1]!);
}

// Dense layers at batch 1: SE reduce/expand (C → C/8 → C for C = 32..512) and classifier heads.
const DENSE: [number, number][] = [
  [32, 4],
  [4, 32],
  [64, 8],
  [8, 64],
  [128, 16],
  [16, 128],
  [256, 32],
  [32, 256],
  [512, 64],
  [64, 512],
  [256, 10],
  [512, 10],
  [128, 8],
];

Deno.test("small fused matMul matches cpu at the Dense shapes of batch-1 inference", async () => {
  let seed = 900;
  const before = tf.memory().numTensors;
  for (const [k, n] of DENSE) {
    for (const activation of ["linear", "relu", "sigmoid", "prelu", "elu", "relu6"] as const) {
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
        const err = await compare(
          [ta ? [k, 1] : [1, k], tb ? [n, k] : [k, n], [n], [n]],
          seed++,
          (a, b, bias, alpha) =>
            tf.fused.matMul({
              a: a as tf.Tensor2D,
              b: b as tf.Tensor2D,
              transposeA: ta,
              transposeB: tb,
              bias,
              activation,
              ...(activation === "prelu" ? { preluActivationWeights: alpha } : {}),
            }),
        );
        assert(err <= TOL, `${k}→${n} ${activation} ta=${ta} tb=${tb}: relative error ${err}`);
      }
    }
    // Without a bias, and a plain matMul (no fused kernel attributes but the transposes).
    const plain = await compare([[1, k], [k, n]], seed++, (a, b) => tf.matMul(a, b));
    assert(plain <= TOL, `${k}→${n} matMul: relative error ${plain}`);
  }
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("small fused matMul takes one-row products and leaves the others to the stock kernel", () => {
  const be = tf.backend() as unknown as WasmBackend;
  const attrs = { transposeA: false, transposeB: false, activation: "relu" };
  const take = (a: number[], b: number[], extra: Record<string, tf.Tensor> = {}): boolean =>
    tf.tidy(() => {
      const y = smallFusedMatMul(be, { a: tf.ones(a), b: tf.ones(b), ...extra }, attrs);
      if (y !== null) be.disposeData(y.dataId);
      return y !== null;
    });
  for (const [k, n] of DENSE) assert(take([1, 1, k], [1, k, n]), `${k}→${n}`);
  assert(!take([1, 512, 512], [1, 512, 512]), "a large product");
  assert(!take([2, 1, 64], [2, 64, 8]), "a batch of products");
  assert(!take([1, 1, 8], [1, 8, 4], { bias: tf.ones([3]) }), "a bias that is not per column");
});

Deno.test("small sigmoid matches cpu and takes only small tensors", async () => {
  for (const shape of [[1, 8], [1, 64], [1, 256], [1, 512], [3, 7]]) {
    const err = await compare([shape], 950 + shape[1]!, (x) => tf.sigmoid(tf.mul(x, 4)));
    assert(err <= TOL, `sigmoid ${shape}: relative error ${err}`);
  }
  const be = tf.backend() as unknown as WasmBackend;
  tf.tidy(() => {
    const y = smallSigmoid(be, tf.ones([1, 256]));
    assert(y !== null);
    be.disposeData(y.dataId);
    assertEquals(smallSigmoid(be, tf.ones([1, 64, 64, 64])), null);
  });
});

// SE scales (x [1,H,W,C] · s [1,1,1,C]) and PReLU at the block outputs of ResSE (and C of the
// other models), batch 1; odd spatial sizes; a channel count not a multiple of 4 falls back.
const CHANNELS: [number, number, number][] = [
  [64, 64, 64],
  [32, 32, 128],
  [16, 16, 256],
  [8, 8, 512],
  [128, 128, 32],
  [7, 5, 16],
  [3, 3, 4],
];

Deno.test("channel scale (SE Multiply) and per-channel PReLU match cpu", async () => {
  let seed = 1000;
  const before = tf.memory().numTensors;
  for (const [h, w, c] of CHANNELS) {
    for (const sShape of [[1, 1, 1, c], [c], [1, c]]) {
      const e1 = await compare([[1, h, w, c], sShape], seed++, (x, s) => tf.mul(x, s));
      assert(e1 <= TOL, `${h}x${w}x${c} · ${sShape}: relative error ${e1}`);
      const e2 = await compare([[1, h, w, c], sShape], seed++, (x, s) => tf.mul(s, x));
      assert(e2 <= TOL, `${sShape} · ${h}x${w}x${c}: relative error ${e2}`);
    }
    const e3 = await compare([[1, h, w, c], [c]], seed++, (x, a) => tf.prelu(x, a));
    assert(e3 <= TOL, `prelu ${h}x${w}x${c}: relative error ${e3}`);
    // Training's batches: one scale per image (not a channel vector) goes to the stock kernel.
    const e4 = await compare([[3, h, w, c], [3, 1, 1, c]], seed++, (x, s) => tf.mul(x, s));
    assert(e4 <= TOL, `${h}x${w}x${c} batch 3: relative error ${e4}`);
  }
  assertEquals(tf.memory().numTensors, before);
  const be = tf.backend() as unknown as HeapBackend;
  tf.tidy(() => {
    for (const op of ["multiply", "prelu"] as const) {
      const y = channelScale(be, tf.ones([1, 8, 8, 64]), tf.ones([64]), op);
      assert(y !== null, op);
      be.disposeData(y.dataId);
      assertEquals(channelScale(be, tf.ones([1, 8, 8, 6]), tf.ones([6]), op), null);
      assertEquals(channelScale(be, tf.ones([2, 8, 8, 8]), tf.ones([2, 1, 1, 8]), op), null);
    }
  });
});

Deno.test({
  name: "small-operation kernels on two threads (tfjs's threaded build) match cpu",
  ignore: Deno.permissions.querySync({ name: "run" }).state !== "granted",
  fn: async () => {
    // Threads keep the process alive (and `deno test` runs one thread): checked in a child.
    const url = (f: string): string => new URL(f, import.meta.url).href;
    const code = `import { initBackend, tf } from "${url("./backend.ts")}";
      import { heapThreadsInUse } from "${url("./_wasm_heap.ts")}";
      const info = await initBackend({ backend: "wasm", threads: 2, quiet: true });
      const cases = [
        [[[1, 256], [256, 32], [32]], (a, b, c) => tf.fused.matMul({ a, b, bias: c, activation: "relu" })],
        [[[1, 32], [32, 256], [256]], (a, b, c) => tf.sigmoid(tf.fused.matMul({ a, b, bias: c }))],
        [[[1, 64, 64, 64], [1, 1, 1, 64]], (x, s) => tf.mul(x, s)],
        [[[1, 32, 32, 128], [128]], (x, a) => tf.prelu(x, a)],
        [[[1, 16, 16, 256], [1, 1, 1, 256]], (x, s) => tf.mul(s, x)],
      ];
      const errors = [];
      for (const [shapes, f] of cases) {
        const out = [];
        for (const be of ["wasm", "cpu"]) {
          await tf.setBackend(be);
          const xs = shapes.map((s, i) => tf.randomNormal(s, 0, 1, "float32", i + 1));
          const y = f(...xs);
          out.push(await y.data());
          tf.dispose([...xs, y]);
        }
        let d = 0, r = 0;
        out[0].forEach((v, j) => { d = Math.max(d, Math.abs(v - out[1][j])); r = Math.max(r, Math.abs(out[1][j])); });
        errors.push(d / r);
      }
      await tf.setBackend("wasm");
      console.log(JSON.stringify({ threads: info.threads, heap: heapThreadsInUse(), errors }));
      Deno.exit(0);`;
    const r = await evalJson(code);
    assertEquals(r.threads, 2);
    assertEquals(r.heap, 2);
    assertEquals(r.errors.length, 5);
    for (const e of r.errors) assert(e <= TOL, `relative error ${e}`);
  },
});
