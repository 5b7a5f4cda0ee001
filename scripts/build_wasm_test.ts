import { variantTexts, withoutRelaxedSimd } from "./build_wasm.ts";
import { assertEquals, assertThrows } from "../mod/_assert.ts";

Deno.test("withoutRelaxedSimd: relaxed_madd becomes add(mul(a, b), c), nested operands kept", () => {
  const wat = "(local.set $a (f32x4.relaxed_madd (local.get $s) (v128.load offset=16 " +
    "(local.get $q)) (local.get $a)))";
  assertEquals(
    withoutRelaxedSimd(wat),
    "(local.set $a (f32x4.add (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $q))) " +
      "(local.get $a)))",
  );
  assertEquals(withoutRelaxedSimd("(f32x4.add (a) (b))"), "(f32x4.add (a) (b))");
  assertThrows(() => withoutRelaxedSimd("(f32x4.relaxed_madd (a) (b))"), Error, "3 operands");
});

Deno.test("variantTexts: four builds, shared and unshared memory imports", () => {
  const wat = '(module (import "env" "memory" (memory 1 65536 shared)) ' +
    "(func (f32x4.relaxed_madd (a) (b) (c))))";
  const v = Object.fromEntries(variantTexts(wat));
  assertEquals(Object.keys(v), [
    "RELAXED_SHARED",
    "RELAXED_UNSHARED",
    "PLAIN_SHARED",
    "PLAIN_UNSHARED",
  ]);
  assertEquals(v.RELAXED_SHARED, wat);
  assertEquals(v.RELAXED_UNSHARED.includes("(memory 1))"), true);
  assertEquals(v.PLAIN_UNSHARED.includes("relaxed"), false);
  assertThrows(() => variantTexts("(module)"), Error, "must import");
});
