import { assert, assertEquals } from "../_assert.ts";
import { benchPredict } from "./predict_bench.ts";

Deno.test("benchPredict reports predict_ms_30s and its CPU-bound figure (a short clip)", async () => {
  const [r, cpu] = await benchPredict({ runs: 1, clipSamples: 2 * 65488 + 1000 });
  assertEquals(r!.name, "predict_ms_30s");
  assertEquals(r!.unit, "ms");
  assertEquals(r!.segments, 2); // 2 full segments of 2.97 s
  assertEquals(r!.model, "UNet_Audio_Classifier");
  assert(r!.value > 0 && Number.isFinite(r!.value));
  const phases = r!.phases_ms as Record<string, number>;
  assertEquals(Object.keys(phases), ["decode", "features", "inference"]);
  assertEquals(cpu!.name, "predict_ms_30s_cpu_bound");
  assert(cpu!.value > 0 && Number.isFinite(cpu!.value));
});
