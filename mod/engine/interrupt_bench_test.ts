import { assert, assertEquals } from "../_assert.ts";
import { benchYield } from "./interrupt_bench.ts";

Deno.test("benchYield: one batch_yield_ms figure, a median and a p90 of real timer turns", async () => {
  const [r, ...rest] = await benchYield({ runs: 5, stepMs: 2 });
  assertEquals(rest.length, 0);
  assertEquals([r!.name, r!.unit, r!.step_ms], ["batch_yield_ms", "ms", 2]);
  // Two 0 ms timer ticks cannot take less than the event loop's timer resolution allows.
  assert(r!.value > 0 && r!.p90_ms >= r!.value, JSON.stringify(r));
});
