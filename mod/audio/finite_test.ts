import { assertEquals } from "../_assert.ts";
import { allFinite, countNonFinite, describeNonFinite, NonFiniteError } from "./finite.ts";

Deno.test("countNonFinite / allFinite: NaN, ±Inf counted in every array type and range; huge finite values are finite", () => {
  const values = [0, NaN, Infinity, 1, -Infinity, NaN, 3.4e38, -1e-45];
  for (const v of [values, Float32Array.from(values), Float64Array.from(values)]) {
    assertEquals(countNonFinite(v), { nan: 2, posInf: 1, negInf: 1, total: 4, first: 1 });
    assertEquals(countNonFinite(v, 3, 5), { nan: 0, posInf: 0, negInf: 1, total: 1, first: 4 });
    assertEquals(countNonFinite(v, 6), { nan: 0, posInf: 0, negInf: 0, total: 0, first: -1 });
    assertEquals(allFinite(v), false);
    assertEquals(allFinite(v.slice(6)), true);
  }
  assertEquals(allFinite(new Float64Array([1e308, -1e308, 5e-324])), true);
  assertEquals(allFinite(new Float32Array(0)), true);
  const big = new Float32Array(100_000);
  big[99_999] = -Infinity;
  assertEquals(countNonFinite(big).first, 99_999);
});

Deno.test("describeNonFinite and NonFiniteError: one line naming the file, counts and where", () => {
  const c = countNonFinite([NaN, 0, Infinity, -Infinity]);
  assertEquals(
    describeNonFinite(c, 4, "samples", (i) => `${i / 2} s`),
    "3 of 4 samples are not finite (1 NaN, 1 +Inf, 1 −Inf; the first at 0 s)",
  );
  assertEquals(
    describeNonFinite(countNonFinite([0, Infinity]), 2, "values"),
    "1 of 2 values is not finite (1 +Inf; the first at index 1)",
  );
  const e = new NonFiniteError("a.wav", "bad");
  assertEquals([e.name, e.message, e.file, e.reason], [
    "NonFiniteError",
    "a.wav: bad",
    "a.wav",
    "bad",
  ]);
});
