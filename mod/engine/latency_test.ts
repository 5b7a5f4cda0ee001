import { tf } from "./backend.ts";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../_assert.ts";
import { measureLatency, percentile } from "./latency.ts";
import { buildModel } from "../models/mod.ts";

await tf.setBackend("cpu");

Deno.test("percentile uses the nearest rank", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assertEquals(percentile(xs, 90), 90);
  assertEquals(percentile(xs, 50), 50);
  assertEquals(percentile([3], 90), 3);
  assertEquals(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90), 10);
});

Deno.test("measureLatency reports consistent statistics, the backend, and leaks no tensor", async () => {
  const model = buildModel("Lean_UNet", { inputShape: [16, 16, 1] });
  const before = tf.memory().numTensors;
  const r = await measureLatency(model, { warmup: 1, runs: 7, batch: 3 });
  assertEquals(tf.memory().numTensors, before);
  assertEquals([r.backend, r.batch, r.runs], ["cpu", 3, 7]);
  assert(r.minMs > 0 && r.minMs <= r.medianMs && r.medianMs <= r.p90Ms, JSON.stringify(r));
  assert(r.meanMs >= r.minMs);
  assertAlmostEquals(r.throughputPerS, 3000 / r.medianMs, 1e-9);
  model.dispose();
});

Deno.test("measureLatency rejects bad options", async () => {
  const model = buildModel("Lean_UNet", { inputShape: [8, 8, 1] });
  await assertRejects(() => measureLatency(model, { runs: 0 }), RangeError, "runs");
  await assertRejects(() => measureLatency(model, { batch: 1.5 }), RangeError, "batch");
  model.dispose();
});
