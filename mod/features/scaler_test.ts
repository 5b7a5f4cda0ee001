import { join } from "node:path";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../_assert.ts";
import { NonFiniteError } from "../audio/finite.ts";
import { writeNpyAtomic } from "../npy.ts";
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

Deno.test("scaler fit refuses a NaN/Inf example, naming the file, where the fit would turn NaN", () => {
  const good = randomRows(6, 8, 7);
  const bad = randomRows(2, 8, 8);
  bad[8 + 3] = NaN; // example 1 of the bad file
  bad[8 + 5] = -Infinity;
  // What an unchecked fit would produce: NaN statistics at those positions, so NaN in every
  // scaled example, training and test alike.
  const all = [...good, ...bad];
  const naive = (j: number): { mean: number; std: number } =>
    reference(all.filter((_, i) => i % 8 === j));
  assert(Number.isNaN(naive(3).mean) && Number.isNaN(naive(3).std));
  assert(!Number.isFinite(naive(5).mean) && Number.isNaN(naive(5).std));
  for (const kind of ["per-position", "per-mel"] as const) {
    const f = new ScalerFitter(kind, [2, 4]);
    f.add(good, "blues/blues.00000.wav");
    const e = assertThrows(
      () => f.add(bad, "jazz/jazz.00054.wav"),
      NonFiniteError,
      "jazz/jazz.00054.wav: example 1: 2 of 8 values are not finite (1 NaN, 1 −Inf; " +
        "the first at index 3); refused by the scaler fit",
    );
    assertEquals((e as NonFiniteError).file, "jazz/jazz.00054.wav");
    // Nothing of the refused rows was added: the fit is that of the good rows alone.
    const s = f.finish();
    const ref = fitScaler(kind, [2, 4], good);
    assertEquals([s.count, Array.from(s.mean), Array.from(s.std)], [
      6,
      Array.from(ref.mean),
      Array.from(ref.std),
    ]);
    assert(s.mean.every(Number.isFinite) && s.std.every(Number.isFinite));
  }
  assertThrows(
    () => fitScaler("per-position", [1, 2], new Float32Array([1, Infinity])),
    NonFiniteError,
    "training examples: example 0: 1 of 2 values is not finite (1 +Inf",
  );
});

Deno.test("scaler apply never writes a non-finite value; statistics must be finite with std > 0", () => {
  const s = fitScaler("per-position", [1, 3], new Float32Array([1, 2, 3, 3, 2, 1]));
  const rows = new Float32Array([0, 0, 0, 1, NaN, 1]);
  assertThrows(
    () => s.apply(rows, undefined, "rock/rock.00003.wav"),
    NonFiniteError,
    "rock/rock.00003.wav: scaled example 1: 1 of 3 values is not finite (1 NaN; the first at " +
      "index 1)",
  );
  assertThrows(() => s.apply(new Float32Array([Infinity, 0, 0])), NonFiniteError, "scaler input");
  assertEquals(Array.from(s.apply(new Float32Array([2, 2, 2]))), [0, 0, 0]);
  const ok = new Float64Array(3).fill(1);
  assertThrows(
    () => new Scaler("per-position", [1, 3], new Float64Array([0, NaN, 0]), ok, 1),
    RangeError,
    "scaler 1 of 3 mean values is not finite (1 NaN",
  );
  assertThrows(
    () => new Scaler("per-position", [1, 3], new Float64Array(3), new Float64Array([1, 0, 1]), 1),
    RangeError,
    "scaler std 1 is 0, must be > 0",
  );
  assertThrows(
    () => new Scaler("per-mel", [1, 3], new Float64Array(1), new Float64Array([Infinity]), 1),
    RangeError,
    "std values is not finite",
  );
});

Deno.test("Scaler.load names the folder of a saved scaler with NaN statistics", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await fitScaler("per-mel", [2, 2], new Float32Array([1, 2, 3, 4])).save(dir);
    await writeNpyAtomic(join(dir, "scaler_mean.npy"), new Float64Array([0, NaN]), [2]);
    await assertRejects(() => Scaler.load(dir), Error, `${dir}: scaler 1 of 2 mean values`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
