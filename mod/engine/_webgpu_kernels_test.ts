import { chunkRows, parseFilterGradientTuning } from "./_webgpu_kernels.ts";
import { assertEquals, assertThrows } from "../_assert.ts";

Deno.test("MGC_WEBGPU_DW: variants parsed, bad ones named", () => {
  assertEquals(parseFilterGradientTuning(undefined), {});
  assertEquals(parseFilterGradientTuning("stock"), { kernel: "stock" });
  assertEquals(parseFilterGradientTuning("rows=8192"), { kernel: "chunked", rows: 8192 });
  assertEquals(parseFilterGradientTuning("rows=2048, taps=9"), {
    kernel: "chunked",
    rows: 2048,
    taps: 9,
  });
  for (const bad of ["rows=0", "taps=2.5", "cols=3", "rows"]) {
    assertThrows(() => parseFilterGradientTuning(bad), Error, bad.split(",")[0]);
  }
});

Deno.test("chunkRows: the largest divisor in [64, most], else one sample", () => {
  assertEquals(chunkRows(48 * 128 * 128, 128 * 128), 1024);
  assertEquals(chunkRows(48 * 128 * 128, 128 * 128, 8192), 8192);
  assertEquals(chunkRows(48 * 16 * 16, 256, 5000), 4096);
  assertEquals(chunkRows(1031, 1031), 1031); // a prime: no divisor in [64, 1024]
  assertEquals(chunkRows(7 * 53, 53), 371);
});
