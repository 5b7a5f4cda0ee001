import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { specAugment, specAugmenter } from "./augment.ts";
import { Rng } from "../rng.ts";

const MELS = 16;
const FRAMES = 20;

function ramp(n: number): Float32Array {
  // Non-zero everywhere, so that every zero is a mask.
  return Float32Array.from({ length: n * MELS * FRAMES }, (_, i) => 1 + (i % 97));
}

Deno.test("specAugment: one frequency and one time mask per sample, zeroed exactly there", () => {
  const n = 30;
  const x = ramp(n);
  const orig = x.slice();
  const masks = specAugment(x, n, [MELS, FRAMES], { maxFreqWidth: 6, maxTimeWidth: 8 }, new Rng(1));
  assertEquals(masks.length, 2 * n);
  const widthsF = new Set<number>();
  for (let s = 0; s < n; s++) {
    const mine = masks.filter((m) => m.sample === s);
    assertEquals(mine.map((m) => m.axis), ["freq", "time"]);
    const f = mine[0]!;
    const t = mine[1]!;
    widthsF.add(f.width);
    assert(f.width >= 1 && f.width <= 6 && f.start >= 0 && f.start + f.width <= MELS);
    assert(t.width >= 1 && t.width <= 8 && t.start >= 0 && t.start + t.width <= FRAMES);
    for (let m = 0; m < MELS; m++) {
      for (let k = 0; k < FRAMES; k++) {
        const i = s * MELS * FRAMES + m * FRAMES + k;
        const masked = (m >= f.start && m < f.start + f.width) ||
          (k >= t.start && k < t.start + t.width);
        assertEquals(x[i], masked ? 0 : orig[i], `sample ${s} mel ${m} frame ${k}`);
      }
    }
  }
  assert(widthsF.size > 3, "widths vary");
});

Deno.test("specAugment is deterministic for a seed and honours counts and minWidth 0", () => {
  const a = ramp(4);
  const b = ramp(4);
  const opts = { freqMasks: 2, timeMasks: 2, maxFreqWidth: 16, maxTimeWidth: 32, minWidth: 0 };
  const ma = specAugment(a, 4, [MELS, FRAMES], opts, new Rng(7));
  const mb = specAugment(b, 4, [MELS, FRAMES], opts, new Rng(7));
  assertEquals(ma, mb);
  assertEquals(a, b);
  assertEquals(ma.length, 16);
  // Widths are capped at the axis length (16 mels, 20 frames).
  assert(ma.every((m) => m.width >= 0 && m.width <= (m.axis === "freq" ? MELS : FRAMES)));
  const c = ramp(4);
  specAugment(c, 4, [MELS, FRAMES], opts, new Rng(8));
  assert(c.some((v, i) => v !== a[i]), "another seed gives other masks");
});

Deno.test("specAugment leaves samples beyond n untouched and checks its arguments", () => {
  const x = ramp(3);
  const orig = x.slice();
  specAugment(x, 2, [MELS, FRAMES], {}, new Rng(3));
  assertEquals(x.subarray(2 * MELS * FRAMES), orig.subarray(2 * MELS * FRAMES));
  assertThrows(() => specAugment(x, 4, [MELS, FRAMES], {}, new Rng(3)), RangeError);
  assertThrows(() => specAugment(x, 1, [MELS, FRAMES], { minWidth: 30 }, new Rng(3)), RangeError);
});

Deno.test("specAugmenter wraps specAugment for [mels, frames, 1] samples", () => {
  const hook = specAugmenter([MELS, FRAMES, 1], {});
  const x = ramp(2);
  const y = ramp(2);
  hook(x, 2, new Rng(5));
  specAugment(y, 2, [MELS, FRAMES], {}, new Rng(5));
  assertEquals(x, y);
  assertThrows(() => specAugmenter([MELS, FRAMES, 2]), RangeError);
});
