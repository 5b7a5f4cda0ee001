import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { Rng } from "../rng.ts";
import { fitScaler, PER_MEL_STD_FLOOR, Scaler, ScalerFitter } from "./scaler.ts";

function randomRows(n: number, d: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = -40 + 15 * rng.normal() + (i % d) * 0.1;
  return out;
}

/** numpy-style reference: float64 two-pass mean and population std. */
function reference(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(v) };
}

Deno.test("per-position scaler: two-pass reference stats, std 0 → 1, chunking irrelevant", () => {
  const [mels, frames] = [4, 5];
  const D = mels * frames;
  const n = 37;
  const rows = randomRows(n, D, 1);
  for (let r = 0; r < n; r++) rows[r * D + 3] = -80; // a constant position
  const whole = fitScaler("per-position", [mels, frames], rows);
  const f = new ScalerFitter("per-position", [mels, frames]);
  for (let r = 0; r < n; r += 5) f.add(rows.subarray(r * D, Math.min(n, r + 5) * D));
  const chunked = f.finish();
  assertEquals(chunked.mean, whole.mean);
  assertEquals(chunked.std, whole.std);
  assertEquals(whole.count, n);
  for (let j = 0; j < D; j++) {
    const ref = reference(Array.from({ length: n }, (_, r) => rows[r * D + j]!));
    assertAlmostEquals(whole.mean[j]!, ref.mean, 1e-10);
    assertAlmostEquals(whole.std[j]!, j === 3 ? 1 : ref.std, 1e-10);
  }
  const scaled = whole.apply(rows);
  for (let j = 0; j < D; j++) {
    const col = reference(Array.from({ length: n }, (_, r) => scaled[r * D + j]!));
    assertAlmostEquals(col.mean, 0, 1e-5);
    assertAlmostEquals(col.std, j === 3 ? 0 : 1, 1e-5);
  }
  const back = whole.invert(scaled);
  for (let i = 0; i < rows.length; i++) assertAlmostEquals(back[i]!, rows[i]!, 1e-4);
});

Deno.test("per-mel scaler: stats over examples and time, std floored at 1e-6", () => {
  const [mels, frames] = [3, 6];
  const D = mels * frames;
  const n = 9;
  const rows = randomRows(n, D, 2);
  for (let r = 0; r < n; r++) rows.fill(5, r * D + 2 * frames, r * D + 3 * frames); // mel 2 flat
  const s = fitScaler("per-mel", [mels, frames], rows);
  assertEquals(s.statsShape, [3]);
  for (let m = 0; m < mels; m++) {
    const vals: number[] = [];
    for (let r = 0; r < n; r++) {
      for (let t = 0; t < frames; t++) vals.push(rows[r * D + m * frames + t]!);
    }
    const ref = reference(vals);
    assertAlmostEquals(s.mean[m]!, ref.mean, 1e-10);
    assertAlmostEquals(s.std[m]!, Math.max(ref.std, PER_MEL_STD_FLOOR), 1e-10);
  }
  assertEquals(s.std[2], PER_MEL_STD_FLOOR);
  const out = s.apply(rows);
  assertAlmostEquals(out[0]!, (rows[0]! - s.mean[0]!) / s.std[0]!, 1e-5);
  assertEquals(out[2 * frames], 0);
});

Deno.test("scaler save/load round trip (float64 .npy + scaler.json)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s = fitScaler("per-position", [2, 3], randomRows(4, 6, 3));
    await s.save(dir);
    const t = await Scaler.load(dir);
    assertEquals(t.kind, "per-position");
    assertEquals(t.featureShape, [2, 3]);
    assertEquals(t.mean, s.mean);
    assertEquals(t.std, s.std);
    assertEquals(t.count, 4);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/scaler.json`));
    assertEquals(json.stats_shape, [2, 3]);
    assert((await Deno.readFile(`${dir}/scaler_mean.npy`)).length > 48);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scaler errors: empty fit, partial rows, wrong stats length", () => {
  assertThrows(() => new ScalerFitter("per-position", [2, 2]).finish(), RangeError, "0 training");
  assertThrows(
    () => new ScalerFitter("per-mel", [2, 2]).add(new Float32Array(3)),
    RangeError,
    "whole examples",
  );
  assertThrows(
    () => new Scaler("per-mel", [2, 2], new Float64Array(4), new Float64Array(4), 1),
    RangeError,
  );
});
