import { backendInfo, initBackend, probeWebGpu, tf, wasmBinaryDir } from "./backend.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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
  assertEquals(cpu.name, "cpu");
  assertEquals(cpu.threads, 1);
  assertEquals(cpu.native, null);
  assertEquals(cpu.kernelsPatched, []);
  assert(cpu.device.startsWith("CPU: "), cpu.device);
  assertEquals(tf.getBackend(), "cpu");
  const wasm = await initBackend({ backend: "wasm", quiet: true });
  assertEquals(wasm.name, "wasm");
  assertEquals(tf.getBackend(), "wasm");
});

Deno.test("initBackend: 'tensorflow' fails clearly when tfjs-node is not installed", async () => {
  // An empty native folder stands for a fresh clone (whatever this checkout has in .native/).
  const empty = await Deno.makeTempDir();
  const before = Deno.env.get("MGC_NATIVE_DIR");
  Deno.env.set("MGC_NATIVE_DIR", empty);
  try {
    const e = await assertRejects(
      () => initBackend({ backend: "tensorflow", quiet: true }),
      Error,
      "tfjs-node",
    );
    assert(e.message.includes("deno task engine:native"), e.message);
    assert(e.message.includes("cpu build not installed"), e.message);
    assertEquals(tf.getBackend(), "wasm");
  } finally {
    if (before === undefined) Deno.env.delete("MGC_NATIVE_DIR");
    else Deno.env.set("MGC_NATIVE_DIR", before);
    await Deno.remove(empty, { recursive: true });
  }
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

Deno.test("initBackend: outside tests, 'auto' falls back to wasm with one line when native fails", async () => {
  // A native folder whose manifest says "installed" but holds no package: the load fails.
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "cpu"));
  await Deno.writeTextFile(
    join(dir, "cpu", "manifest.json"),
    JSON.stringify({
      format: 1,
      variant: "cpu",
      method: "pypi",
      npm: { name: "@tensorflow/tfjs-node", version: "4.22.0" },
      tensorflow: { version: "2.21.0" },
      built: "2026-01-01T00:00:00Z",
    }),
  );
  const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
  const code = `import { initBackend } from "${new URL("./backend.ts", import.meta.url)}";
const i = await initBackend({ threads: 1 });
console.log(JSON.stringify({ name: i.name, device: i.device }));`;
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--config", join(root, "deno.json"), code],
      cwd: root,
      env: { MGC_NATIVE_DIR: dir, NO_COLOR: "1", MGC_IN_TEST: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr).trim().split("\n");
    assertEquals(out.code, 0, stderr.join("\n"));
    const info = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(info.name, "wasm");
    assert(info.device.startsWith("CPU: "));
    const why = stderr.filter((l) => l.startsWith("backend: native TensorFlow skipped"));
    assertEquals(why.length, 1, stderr.join("\n"));
    assert(why[0]!.includes("@tensorflow/tfjs-node did not load"), why[0]);
    assert(why[0]!.includes("deno task engine:native"), why[0]);
    assert(stderr.some((l) => l.startsWith("backend: wasm")), stderr.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
