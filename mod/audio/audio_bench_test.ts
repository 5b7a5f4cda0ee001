import { assert, assertEquals } from "../_assert.ts";
import { benchDecode, RESAMPLE_BENCH_RATES } from "./audio_bench.ts";

Deno.test("benchDecode: one run of each figure, positive, resampling per input rate", async () => {
  const rows = await benchDecode({ runs: 1, warmup: 0 });
  assertEquals(rows.map((r) => r.name), [
    "wav_decode_ms_30s",
    "mp3_decode_ms_30s",
    "resample_ms_30s_44k",
    ...RESAMPLE_BENCH_RATES.map((r) => `resample_s_per_s:${r}`),
  ]);
  for (const r of rows) assert(Number.isFinite(r.value) && r.value > 0, `${r.name}: ${r.value}`);
  assertEquals(
    rows.slice(3).map((r) => [r.unit, r.clock]),
    RESAMPLE_BENCH_RATES.map(() => ["s/s", "cpu"]),
  );
});
