import { benchEngine } from "./engine_bench.ts";
import { tf } from "../engine/backend.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";

function tiny(): tf.LayersModel {
  const inp = tf.input({ shape: [8, 8, 1] });
  const c = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: "same", useBias: false })
    .apply(inp) as tf.SymbolicTensor;
  const g = tf.layers.globalAveragePooling2d({}).apply(c) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: "softmax" }).apply(g) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out });
}

Deno.test("benchEngine: four figures per model, GFLOP/s = 3 × FLOPs × samples/s", async () => {
  const seen: string[] = [];
  const rows = await benchEngine({
    models: [],
    custom: [{ name: "tiny", build: tiny, flops: 1e6 }],
    batch: 2,
    steps: 1,
    latencyRuns: 2,
    onResult: (r) => seen.push(r.name),
  });
  assertEquals(rows.map((r) => [r.name, r.unit]), [
    ["train_samples_per_s:tiny", "samples/s"],
    ["train_gflops:tiny", "GFLOP/s"],
    ["train_cpu_ms_per_sample:tiny", "ms/sample"],
    ["latency_ms:tiny", "ms"],
  ]);
  assertEquals(seen, rows.map((r) => r.name));
  for (const r of rows) {
    assert(r.value > 0 && Number.isFinite(r.value), `${r.name} ${r.value}`);
    assertEquals(r.backend, tf.getBackend());
    assertEquals(r.threads, 1);
  }
  const [sps, gf] = rows;
  assert(Math.abs(gf.value - 3 * 1e6 * sps.value / 1e9) < 1e-9);
});

Deno.test("benchEngine: unknown model names are rejected", async () => {
  await assertRejects(() => benchEngine({ models: ["VGG_Nope"] }), RangeError, "VGG_Nope");
});
