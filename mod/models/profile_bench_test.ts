import { formatProfile, profileTrainStep } from "./profile_bench.ts";
import { initBackend, tf } from "../engine/backend.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";

await initBackend({ backend: "wasm", threads: 1, quiet: true });

function tiny(): tf.LayersModel {
  const inp = tf.input({ shape: [8, 8, 1] });
  let y = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: "same", useBias: false })
    .apply(inp) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: "softmax" }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: inp, outputs: out, name: "tiny" });
}

Deno.test("profileTrainStep: kernels by phase, scopes left out, totals add up", async () => {
  const before = tf.memory().numTensors;
  for (const clock of ["wall", "cpu"] as const) {
    const p = await profileTrainStep({ model: tiny, batch: 4, microBatch: 2, clock });
    assertEquals([p.model, p.batch, p.microBatch, p.clock], ["tiny", 4, 2, clock]);
    const has = (kernel: string, phase: string): boolean =>
      p.kernels.some((k) => k.kernel === kernel && k.phase === phase);
    assert(has("FusedConv2D", "forward"), JSON.stringify(p.kernels));
    assert(has("Conv2DBackpropFilter", "backward"));
    assert(p.kernels.some((k) => k.phase === "update"));
    // Two micro-batches: each kernel of the forward pass ran twice.
    assertEquals(p.kernels.find((k) => k.kernel === "FusedConv2D")!.calls, 2);
    assert(!p.kernels.some((k) => k.kernel.endsWith("__op")), "scopes are not kernels");
    const sum = p.kernels.reduce((s, k) => s + k.ms, 0);
    assert(Math.abs(sum - p.kernelMs) <= 1e-9 * Math.max(1, p.kernelMs), `${sum} ${p.kernelMs}`);
    for (let i = 1; i < p.kernels.length; i++) assert(p.kernels[i - 1].ms >= p.kernels[i].ms);
    assertEquals(p.calls, p.kernels.reduce((s, k) => s + k.calls, 0));
    assert(p.stepMs > 0 && Number.isFinite(p.stepMs), `${p.stepMs}`);
    const text = formatProfile(p, 0);
    assert(text.startsWith("tiny: batch 4 (micro-batch 2)"), text);
    assert(text.includes("Conv2DBackpropFilter"));
  }
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("profileTrainStep: unknown model names are rejected", async () => {
  await assertRejects(() => profileTrainStep({ model: "VGG_Nope" }), RangeError, "VGG_Nope");
});
