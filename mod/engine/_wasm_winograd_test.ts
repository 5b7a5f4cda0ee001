import { initBackend, tf } from "./backend.ts";
import { type HeapBackend } from "./_wasm_conv.ts";
import {
  ONE_JOB_PER_THREAD_MACS,
  winogradConv2D,
  winogradFilter,
  winogradPlan,
  winogradTile,
} from "./_wasm_winograd.ts";
import { Rng } from "../rng.ts";
import { assert, assertEquals } from "../_assert.ts";
import { evalJson } from "./_eval_testutil.ts";

// The Winograd F(2×2, 3×3) forward convolution against the cpu backend: max |wasm − cpu| /
// max |cpu| ≤ 1e-4, plain and with a bias and ReLU or PReLU, for every 3×3 stride-1 convolution
// of the four models (Ci ≥ 8) on small even images, batches of several images and non-square
// sizes (tiles that cross image borders: zeros read inside the kernel).

await initBackend({ backend: "wasm", threads: 1, quiet: true });
const TOL = 1e-4;

function randn(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0, ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    ref = Math.max(ref, Math.abs(b[i]!));
  }
  return ref === 0 ? diff : diff / ref;
}

type Shape4 = [number, number, number, number];

/** The three convolutions of one case, and whether the Winograd kernel takes it on wasm. */
async function convs(
  backend: "cpu" | "wasm",
  xShape: Shape4,
  fShape: Shape4,
  pad: "same" | "valid",
  seed: number,
  stride = 1,
): Promise<{ out: Float32Array[]; winograd: boolean }> {
  await tf.setBackend(backend);
  const rng = new Rng(seed);
  const x = randn(rng, xShape) as tf.Tensor4D, f = randn(rng, fShape) as tf.Tensor4D;
  const bias = randn(rng, [fShape[3]]), alpha = randn(rng, [fShape[3]]);
  const ys = [
    tf.conv2d(x, f, stride, pad),
    tf.fused.conv2d({ x, filter: f, strides: stride, pad, bias, activation: "relu" }),
    tf.fused.conv2d({
      x,
      filter: f,
      strides: stride,
      pad,
      bias,
      activation: "prelu",
      preluActivationWeights: alpha,
    }),
  ];
  let winograd = false;
  if (backend === "wasm") {
    const be = tf.backend() as unknown as HeapBackend;
    const info = tf.backend_util.computeConv2DInfo(xShape, fShape, stride, 1, pad);
    const d = winogradConv2D(be, x, f, info);
    winograd = d !== null;
    if (d) be.disposeData(d.dataId);
  }
  const out = await Promise.all(ys.map(async (y) => (await y.data()) as Float32Array));
  tf.dispose([x, f, bias, alpha, ...ys]);
  return { out, winograd };
}

Deno.test("Winograd conv matches cpu for every 3x3 stride-1 convolution of the four models", async () => {
  let seed = 700;
  const tiles = { 2: 0, 4: 0 };
  const cases: [Shape4, Shape4][] = [];
  for (
    const [ci, co] of [[16, 32], [32, 32], [32, 64], [64, 64], [64, 128], [128, 128], [128, 256], [
      256,
      256,
    ]]
  ) {
    const size = ci >= 128 ? 4 : ci >= 32 ? 8 : 12;
    cases.push([[2, size, size + 2, ci], [3, 3, ci, co]]); // 2×2 tiles (W = 14, 10, 6)
    cases.push([[1, 8, 8, ci], [3, 3, ci, co]]); // 4×4 tiles
    cases.push([[2, 4, 8, ci], [3, 3, ci, co]]); // 4×4 tiles, tiles crossing image borders
  }
  cases.push([[3, 2, 6, 8], [3, 3, 8, 8]]);
  cases.push([[1, 2, 2, 8], [3, 3, 8, 16]]); // one tile: every tap at a border
  cases.push([[3, 6, 4, 24], [3, 3, 24, 40]]);
  for (const [xs, fs] of cases) {
    const want = await convs("cpu", xs, fs, "same", seed);
    const got = await convs("wasm", xs, fs, "same", seed++);
    assert(got.winograd, `${xs} * ${fs}: the Winograd kernel should take this shape`);
    const m = winogradTile(xs[0], xs[1], xs[2]);
    assertEquals(m, xs[1] % 4 === 0 && xs[2] % 4 === 0 && xs[0] * xs[1] * xs[2] >= 64 ? 4 : 2);
    tiles[m]++;
    got.out.forEach((o, i) => {
      const e = relErr(o, want.out[i]!);
      assert(e <= TOL, `${xs} * ${fs}, output ${i}: relative error ${e}`);
    });
  }
  assert(tiles[2] >= 8 && tiles[4] >= 16, `both tile sizes tested: ${JSON.stringify(tiles)}`);
  await tf.setBackend("wasm");
});

Deno.test("stride-2 Winograd conv matches cpu for the stride-2 3x3 convolutions of ResSE", async () => {
  let seed = 900;
  const cases: Shape4[] = [];
  for (const ci of [32, 64, 128, 8]) {
    cases.push([2, 8, 12, ci], [1, 4, 4, ci]); // [1, 4, 4]: one output tile, zeros below and right
    cases.push([1, 16, 8, ci]);
  }
  for (const xs of cases) {
    const fs: Shape4 = [3, 3, xs[3], xs[3] === 8 ? 16 : xs[3] * 2];
    const want = await convs("cpu", xs, fs, "same", seed, 2);
    const got = await convs("wasm", xs, fs, "same", seed++, 2);
    assert(got.winograd, `${xs} * ${fs}: the stride-2 Winograd kernel should take this shape`);
    got.out.forEach((o, i) => {
      const e = relErr(o, want.out[i]!);
      assert(e <= TOL, `${xs} * ${fs} stride 2, output ${i}: relative error ${e}`);
    });
  }
  // Sides that are not multiples of 4, and 'valid' padding: left to the direct kernel.
  for (const [xs, pad] of [[[1, 6, 8, 8], "same"], [[1, 8, 8, 8], "valid"]] as const) {
    const fs: Shape4 = [3, 3, 8, 16];
    const want = await convs("cpu", [...xs], fs, pad, seed, 2);
    const got = await convs("wasm", [...xs], fs, pad, seed++, 2);
    assertEquals(got.winograd, false, `${xs} ${pad}`);
    got.out.forEach((o, i) => assert(relErr(o, want.out[i]!) <= TOL, `${xs} ${pad} output ${i}`));
  }
  await tf.setBackend("wasm");
});

Deno.test("Winograd conv: shapes it does not take are left to the direct kernel (same results)", async () => {
  let seed = 800;
  const cases: [Shape4, Shape4, "same" | "valid"][] = [
    [[1, 7, 8, 8], [3, 3, 8, 8], "same"], // odd height
    [[1, 8, 8, 8], [3, 3, 8, 8], "valid"], // no padding
    [[1, 8, 8, 12], [3, 3, 12, 8], "same"], // Ci not a multiple of 8
    [[1, 8, 8, 8], [5, 5, 8, 8], "same"], // 5x5
    [[1, 8, 8, 1], [3, 3, 1, 32], "same"], // one input channel (XNNPACK)
  ];
  for (const [xs, fs, pad] of cases) {
    const want = await convs("cpu", xs, fs, pad, seed);
    const got = await convs("wasm", xs, fs, pad, seed++);
    assertEquals(got.winograd, false, `${xs} * ${fs} ${pad}`);
    got.out.forEach((o, i) => {
      const e = relErr(o, want.out[i]!);
      assert(e <= TOL, `${xs} * ${fs} ${pad}, output ${i}: relative error ${e}`);
    });
  }
  await tf.setBackend("wasm");
});

Deno.test("winogradFilter: U = G g Gt, packed [n*n][Co/8][Ci][8]", () => {
  // One (ci, co) pair of a [3,3,1,8] filter: g = 1..9 at co = 5, zeros elsewhere.
  const f = new Float32Array(9 * 8);
  for (let k = 0; k < 9; k++) f[k * 8 + 5] = k + 1;
  const third = 1 / 6, twelfth = 1 / 12, t24 = 1 / 24;
  const Gs: Record<2 | 4, number[][]> = {
    2: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
    4: [[0.25, 0, 0], [-third, -third, -third], [-third, third, -third], [t24, twelfth, third], [
      t24,
      -twelfth,
      third,
    ], [0, 0, 1]],
  };
  for (const m of [2, 4] as const) {
    const n = m + 2, G = Gs[m];
    const t = new Float32Array(n * n * 8).fill(NaN);
    winogradFilter(f, 1, 8, t, m);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        let u = 0;
        for (let a = 0; a < 3; a++) {
          for (let b = 0; b < 3; b++) u += G[r]![a]! * (a * 3 + b + 1) * G[c]![b]!;
        }
        const got = t[(n * r + c) * 8 + 5]!;
        assert(
          Math.abs(got - u) <= 1e-6 * Math.max(1, Math.abs(u)),
          `m=${m} U[${r}][${c}] ${got} ${u}`,
        );
        assert(t[(n * r + c) * 8 + 4] === 0, `m=${m} U[${r}][${c}] of another channel`);
      }
    }
  }
});

Deno.test({
  name: "Winograd conv on two threads (tfjs's threaded build) matches cpu",
  ignore: Deno.permissions.querySync({ name: "run" }).state !== "granted",
  fn: async () => {
    // Threads keep the process alive (and `deno test` runs one thread): checked in a child.
    const url = (f: string): string => new URL(f, import.meta.url).href;
    const code = `import { initBackend, tf } from "${url("./backend.ts")}";
      import { heapThreadsInUse } from "${url("./_wasm_heap.ts")}";
      const info = await initBackend({ backend: "wasm", threads: 2, quiet: true });
      const errors = [];
      // Small shapes, then the batch-1 convolutions of ResSE_AudioCNN and UNet_Audio_Classifier
      // (one job per thread: Co split in two at 16×16, tiles split in two above).
      for (const [b, h, w, ci, co, s] of [[1, 32, 32, 32, 32, 1], [2, 10, 14, 64, 128, 1],
        [1, 4, 4, 256, 256, 1], [1, 32, 32, 64, 128, 2], [1, 16, 16, 256, 256, 1],
        [1, 16, 16, 128, 256, 1], [1, 32, 32, 128, 128, 1], [1, 64, 64, 64, 64, 1],
        [1, 128, 128, 32, 32, 1], [1, 32, 32, 128, 256, 2], [1, 128, 128, 32, 64, 2]]) {
        const out = [];
        for (const be of ["wasm", "cpu"]) {
          await tf.setBackend(be);
          const x = tf.randomNormal([b, h, w, ci], 0, 1, "float32", 1);
          const filter = tf.randomNormal([3, 3, ci, co], 0, 1, "float32", 2);
          const bias = tf.randomNormal([co], 0, 1, "float32", 3);
          const alpha = tf.randomNormal([co], 0, 1, "float32", 4);
          const y = tf.fused.conv2d({ x, filter, strides: s, pad: "same", bias,
            activation: "prelu", preluActivationWeights: alpha });
          out.push(await y.data());
          tf.dispose([x, filter, bias, alpha, y]);
        }
        let d = 0, r = 0;
        out[0].forEach((v, j) => { d = Math.max(d, Math.abs(v - out[1][j])); r = Math.max(r, Math.abs(out[1][j])); });
        errors.push(d / r);
      }
      await tf.setBackend("wasm");
      console.log(JSON.stringify({ threads: info.threads, conv: heapThreadsInUse(), errors }));
      Deno.exit(0);`;
    const r = await evalJson(code);
    assertEquals(r.threads, 2);
    assertEquals(r.conv, 2);
    assertEquals(r.errors.length, 11);
    for (const e of r.errors) assert(e <= TOL, `relative error ${e}`);
  },
});

Deno.test("winogradPlan: one job per thread at batch 1, four per thread for training batches", () => {
  // [tiles, n², Ci, Co] of Winograd convolutions of the models: batch-1 inference, then the
  // smallest and largest of a training batch of 48.
  const batch1: [number, number, number, number][] = [
    [16, 36, 256, 256], // F(4×4) at 16×16
    [64, 25, 128, 256], // stride 2, 32×32 → 16×16
    [64, 36, 128, 128],
    [256, 36, 64, 64],
    [1024, 36, 32, 32],
    [1024, 25, 32, 64], // stride 2, 128×128 → 64×64
  ];
  const training: [number, number, number, number][] = [[768, 36, 128, 256], [49152, 36, 32, 32]];
  for (const [shapes, perThread] of [[batch1, 1], [training, 4]] as const) {
    for (const [tiles, xis, ci, co] of shapes) {
      assertEquals(tiles * xis * ci * co <= ONE_JOB_PER_THREAD_MACS, perThread === 1);
      for (const threads of [1, 2, 3]) {
        const plan = winogradPlan(tiles, xis, ci, co, threads);
        const jobs = plan.tiles.length * plan.co.length;
        const want = threads === 1 ? 1 : perThread * threads;
        const what = `${tiles} tiles ${ci}→${co}, ${threads} threads`;
        // As many jobs as wanted (fewer only when tiles and channels run short, never on two).
        assert(jobs <= want && (threads !== 2 || jobs === want), `${what}: ${jobs} jobs`);
        // The ranges cover tiles and channels once, aligned to the register tile.
        for (const [ranges, n, align] of [[plan.tiles, tiles, 4], [plan.co, co, 8]] as const) {
          assertEquals(ranges[0]![0], 0, what);
          assertEquals(ranges[ranges.length - 1]![1], n, what);
          ranges.forEach(([a, b], i) => {
            assert(a < b && a % align === 0, `${what}: range ${a}..${b}`);
            if (i > 0) assertEquals(a, ranges[i - 1]![1], what);
          });
        }
        assert(plan.nb >= 4 && plan.nb % 4 === 0, `${what}: nb ${plan.nb}`);
      }
    }
  }
  // Batch 1 on two threads: the 16 tiles of a 16×16 image split by output channels, the larger
  // images by tiles.
  assertEquals(winogradPlan(16, 36, 256, 256, 2).co, [[0, 128], [128, 256]]);
  assertEquals(winogradPlan(16, 36, 256, 256, 2).tiles, [[0, 16]]);
  assertEquals(winogradPlan(256, 36, 64, 64, 2).tiles, [[0, 128], [128, 256]]);
});
