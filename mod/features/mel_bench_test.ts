import { assert, assertEquals } from "../_assert.ts";
import { benchMel } from "./mel_bench.ts";

Deno.test("benchMel reports mel_ms_per_clip (one quick run; speed is not asserted)", async () => {
  const [r, ...rest] = await benchMel({ runs: 1, warmup: 0 });
  assertEquals(rest.length, 0);
  assertEquals([r!.name, r!.unit], ["mel_ms_per_clip", "ms"]);
  assert(r!.value > 0 && Number.isFinite(r!.value));
});
