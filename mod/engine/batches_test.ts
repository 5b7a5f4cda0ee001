import { assertEquals, assertNotEquals } from "../_assert.ts";
import { epochOrder } from "./batches.ts";

Deno.test("epochOrder is a seeded permutation that changes with the epoch and the seed", () => {
  const a = epochOrder(50, 42, 0);
  assertEquals([...a].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
  assertEquals(epochOrder(50, 42, 0), a);
  assertNotEquals(epochOrder(50, 42, 1), a);
  assertNotEquals(epochOrder(50, 43, 0), a);
});
