import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { resample } from "./resample.ts";

function tone(f: number, sr: number, n: number, amp = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * f * i) / sr);
  return x;
}

/** RMS over the middle half (away from the zero-padded edges). */
function rmsMiddle(y: Float32Array): number {
  const a = Math.floor(y.length / 4), b = y.length - a;
  let s = 0;
  for (let i = a; i < b; i++) s += y[i]! ** 2;
  return Math.sqrt(s / (b - a));
}

/** Amplitude of the `f` Hz component over the middle half. */
function amplitudeAt(y: Float32Array, sr: number, f: number): number {
  const a = Math.floor(y.length / 4), b = y.length - a;
  let re = 0, im = 0;
  for (let i = a; i < b; i++) {
    re += y[i]! * Math.cos((2 * Math.PI * f * i) / sr);
    im += y[i]! * Math.sin((2 * Math.PI * f * i) / sr);
  }
  return (2 * Math.hypot(re, im)) / (b - a);
}

const db = (r: number): number => 20 * Math.log10(r);

Deno.test("resample: output length is ceil(n·to/from), as librosa", () => {
  for (
    const [n, from, to] of [
      [1000, 44100, 22050],
      [1001, 44100, 22050],
      [999, 48000, 22050],
      [777, 16000, 22050],
      [5, 22050, 44100],
      [1, 44100, 8000],
    ]
  ) {
    assertEquals(
      resample(new Float32Array(n!), from!, to!).length,
      Math.ceil((n! * to!) / from!),
      `${n} ${from}→${to}`,
    );
  }
  assertEquals(resample(new Float32Array(0), 44100, 22050).length, 0);
});

Deno.test("resample: pass-band tones keep amplitude (< 0.1 dB) and frequency", () => {
  for (
    const [from, to, freqs] of [
      [44100, 22050, [100, 1000, 5000, 9000]],
      [48000, 22050, [440, 3000, 9000]],
      [16000, 22050, [1000, 6000]],
      [22050, 44100, [1000, 9000]],
      [44100, 22051, [1000]], // huge numerator: the interpolated-table path
    ] as const
  ) {
    for (const f of freqs) {
      const y = resample(tone(f, from, from / 2, 0.5), from, to);
      const a = amplitudeAt(y, to, f); // projection on the expected frequency
      assert(Math.abs(db(a / 0.5)) < 0.1, `${from}→${to} ${f} Hz: ${db(a / 0.5).toFixed(4)} dB`);
      // and the tone is at that frequency: a projection 20 Hz off is far smaller
      assert(amplitudeAt(y, to, f + 20) < 0.05, `${from}→${to} ${f} Hz is off frequency`);
      assertAlmostEquals(rmsMiddle(y), 0.5 / Math.SQRT2, 0.5 / Math.SQRT2 * 0.012);
    }
  }
});

Deno.test("resample: tones above the new Nyquist are rejected by >= 60 dB (no aliasing)", () => {
  for (
    const [from, to, f] of [[44100, 22050, 15000], [44100, 22050, 11200], [48000, 22050, 12000], [
      48000,
      22050,
      20000,
    ]]
  ) {
    const x = tone(f!, from!, from!);
    const y = resample(x, from!, to!);
    const rejection = db(rmsMiddle(y) / rmsMiddle(x));
    assert(rejection < -60, `${from}→${to} ${f} Hz: ${rejection.toFixed(1)} dB`);
  }
  // and measured for the common case: below −80 dB
  const y = resample(tone(15000, 44100, 44100), 44100, 22050);
  assert(db(rmsMiddle(y) / Math.SQRT1_2) < -80);
});

Deno.test("resample: DC gain 1, output 0 at input time 0 (no delay), equal rates copy", () => {
  const y = resample(new Float32Array(4410).fill(0.25), 44100, 22050);
  for (let i = 200; i < y.length - 200; i++) assertAlmostEquals(y[i]!, 0.25, 1e-5);
  // an impulse at input sample 4410 peaks at output sample 2205
  const imp = new Float32Array(8820);
  imp[4410] = 1;
  const z = resample(imp, 44100, 22050);
  let arg = 0;
  for (let i = 0; i < z.length; i++) if (z[i]! > z[arg]!) arg = i;
  assertEquals(arg, 2205);
  const x = tone(100, 8000, 10);
  const c = resample(x, 8000, 8000);
  assertEquals(Array.from(c), Array.from(x));
  assert(c !== x);
});

Deno.test("resample: bad rates are a RangeError", () => {
  assertThrows(() => resample(new Float32Array(4), 0, 22050), RangeError, "fromRate");
  assertThrows(() => resample(new Float32Array(4), 44100, 22050.5), RangeError, "toRate");
});

Deno.test("resample: the 2:1 SIMD kernel is bit-identical to the JavaScript loop", () => {
  for (const n of [0, 1, 7, 100, 44100, 3 * 16384 + 5]) {
    const x = new Float32Array(n).map((_, i) => Math.sin(i * 0.37) * 0.8 + ((i * 7919) % 13) / 50);
    const a = resample(x, 44100, 22050), b = resample(x, 44100, 22050, { engine: "js" });
    assertEquals(a.length, Math.ceil(n / 2));
    assert(a.every((v, i) => Object.is(v, b[i])), `${n} samples`);
  }
});
