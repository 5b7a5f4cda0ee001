import { backendInfo, initBackend, probeWebGpu, tf, wasmBinaryDir } from "./backend.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";

// auto takes a real GPU through WebGPU first; a fallback adapter (lavapipe) is skipped.
const realGpu = (await probeWebGpu())?.info.isFallbackAdapter === false;

Deno.test({
  name: "initBackend: auto skips a software WebGPU adapter and falls back to wasm with SIMD, " +
    "one thread inside deno test (machines without a real GPU)",
  ignore: realGpu,
  fn: autoFallsBackToWasm,
});

async function autoFallsBackToWasm(): Promise<void> {
  const info = await initBackend({ quiet: true });
  assertEquals(info.name, "wasm");
  assertEquals(tf.getBackend(), "wasm");
  assertEquals(info.threads, 1);
  assertEquals(info.simd, true);
  assertEquals(info.native, null);
  for (
    const k of ["Conv2DBackpropFilter", "Conv2DBackpropInput", "Tile", "Sum", "Mean", "MaxPoolGrad"]
  ) {
    assert(info.kernelsPatched.includes(k), k);
    assert(tf.getKernel(k, "wasm") !== undefined, k);
  }
  assertEquals(backendInfo(), info);
  // Idempotent.
  assertEquals(await initBackend({ quiet: true }), info);
}

Deno.test("initBackend: cpu on request, then back to wasm", async () => {
  const cpu = await initBackend({ backend: "cpu", quiet: true });
  assertEquals(cpu, { name: "cpu", threads: 1, simd: false, native: null, kernelsPatched: [] });
  assertEquals(tf.getBackend(), "cpu");
  const wasm = await initBackend({ backend: "wasm", quiet: true });
  assertEquals(wasm.name, "wasm");
  assertEquals(tf.getBackend(), "wasm");
});

Deno.test("initBackend: 'tensorflow' fails clearly when tfjs-node is not installed", async () => {
  await assertRejects(
    () => initBackend({ backend: "tensorflow", quiet: true }),
    Error,
    "tfjs-node",
  );
  assertEquals(tf.getBackend(), "wasm");
});

Deno.test("wasmBinaryDir points at the installed package's binaries", () => {
  const dir = wasmBinaryDir();
  assert(dir.endsWith("/"));
  for (const f of ["tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"]) {
    assert(Deno.statSync(dir + f).isFile, f);
  }
});

Deno.test("a wasm conv trains: filter gradient is finite and non-zero", async () => {
  await initBackend({ backend: "wasm", quiet: true });
  const x = tf.randomNormal<tf.Rank.R4>([2, 8, 8, 3], 0, 1, "float32", 1);
  const w = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 1, "float32", 2));
  const { grads } = tf.variableGrads(() =>
    tf.conv2d(x, w as tf.Tensor4D, 1, "same").square().mean()
  );
  const g = await grads[w.name].data();
  assert(g.every(Number.isFinite));
  assert(g.some((v) => v !== 0));
  tf.dispose([x, w, ...Object.values(grads)]);
});
