import { assert, assertEquals } from "../_assert.ts";
import { benchSetup } from "./prepare_bench.ts";

Deno.test("benchSetup reports setup_clips_per_s (one tiny run; speed is not asserted)", async () => {
  const [wall, cpu] = await benchSetup({ clips: 4, workers: 2 });
  assertEquals([wall!.name, wall!.unit, wall!.clips], ["setup_clips_per_s", "clips/s", 4]);
  assertEquals(cpu!.name, "setup_clips_per_s_cpu_bound");
  assert(wall!.value > 0 && cpu!.value > 0);
});
