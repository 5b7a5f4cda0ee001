import { assert, assertEquals, assertNotEquals } from "./_assert.ts";
import { Rng } from "./rng.ts";

Deno.test("Rng is deterministic per seed and differs across seeds", () => {
  const a = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Rng(42)));
  const b = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Rng(42)));
  const c = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Rng(43)));
  assertEquals(a, b);
  assertNotEquals(a, c);
});

Deno.test("Rng draws are uniform enough and in range", () => {
  const r = new Rng(7);
  const counts = new Array(10).fill(0);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) {
    const x = r.next();
    assert(x >= 0 && x < 1);
    sum += x;
    counts[r.int(0, 9)]++;
  }
  assert(Math.abs(sum / 100_000 - 0.5) < 0.01);
  for (const c of counts) assert(Math.abs(c - 10_000) < 500, `bucket count ${c}`);
});

Deno.test("Rng.shuffle is a permutation and normal() has unit variance", () => {
  const r = new Rng(1);
  const xs = r.shuffle(Array.from({ length: 100 }, (_, i) => i));
  assertEquals([...xs].sort((p, q) => p - q), Array.from({ length: 100 }, (_, i) => i));
  let s = 0, s2 = 0;
  for (let i = 0; i < 50_000; i++) {
    const z = r.normal();
    s += z;
    s2 += z * z;
  }
  assert(Math.abs(s / 50_000) < 0.02);
  assert(Math.abs(s2 / 50_000 - 1) < 0.03);
});
