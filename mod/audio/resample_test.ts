import FFT from "fft.js";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { readNpy } from "../npy.ts";
import { resample, RESAMPLER, resamplerDesign } from "./resample.ts";

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

Deno.test("resample: pass-band tones keep amplitude (< 0.01 dB up to 10 kHz) and frequency", () => {
  for (
    const [from, to, freqs] of [
      [44100, 22050, [100, 1000, 5000, 9000, 10000]],
      [48000, 22050, [440, 3000, 9000, 10000]],
      [16000, 22050, [1000, 6000, 7200]],
      [32000, 22050, [1000, 10000]],
      [96000, 22050, [1000, 10000]],
      [22050, 44100, [1000, 9000, 10000]],
      [44100, 22051, [1000, 10000]], // huge numerator: the interpolated-table path
    ] as const
  ) {
    for (const f of freqs) {
      const y = resample(tone(f, from, from / 2, 0.5), from, to);
      const a = amplitudeAt(y, to, f); // projection on the expected frequency
      assert(Math.abs(db(a / 0.5)) < 0.01, `${from}→${to} ${f} Hz: ${db(a / 0.5).toFixed(4)} dB`);
      // and the tone is at that frequency: a projection 20 Hz off is far smaller
      assert(amplitudeAt(y, to, f + 20) < 0.05, `${from}→${to} ${f} Hz is off frequency`);
      assertAlmostEquals(rmsMiddle(y), 0.5 / Math.SQRT2, 0.5 / Math.SQRT2 * 0.012);
    }
  }
});

Deno.test("resample: tones above the new Nyquist are rejected by >= 120 dB (no aliasing)", () => {
  for (
    const [from, to, f] of [
      [44100, 22050, 11100],
      [44100, 22050, 15000],
      [48000, 22050, 11100],
      [48000, 22050, 20000],
      [32000, 22050, 12000],
      [96000, 22050, 30000],
      [22050, 16000, 9000],
    ]
  ) {
    const x = tone(f!, from!, from!);
    const y = resample(x, from!, to!);
    const rejection = db(rmsMiddle(y) / rmsMiddle(x));
    assert(rejection < -120, `${from}→${to} ${f} Hz: ${rejection.toFixed(1)} dB`);
  }
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

Deno.test("resample: the WebAssembly kernels are bit-identical to the JavaScript loops", () => {
  // 44.1 and 88.2 kHz: the FFT path (L = 1); the others: the polyphase table.
  for (const from of [44100, 88200, 66150, 48000, 16000, 32000, 96000]) {
    for (const n of [0, 1, 7, 100, 44100, 3 * 16384 + 5]) {
      const x = new Float32Array(n).map((_, i) =>
        Math.sin(i * 0.37) * 0.8 + ((i * 7919) % 13) / 50
      );
      const a = resample(x, from, 22050), b = resample(x, from, 22050, { engine: "js" });
      assertEquals(a.length, Math.ceil((n * 22050) / from));
      assert(a.every((v, i) => Object.is(v, b[i])), `${from} Hz, ${n} samples`);
    }
  }
});

// ---- against soxr "HQ" (librosa's default), fixtures from scripts/dev/make_soxr_fixtures.py ----

const SOXR = new URL("./testdata/soxr/", import.meta.url);
const SOXR_RATES = [44100, 48000, 16000, 32000, 96000];

/** The fixtures' inputs, rebuilt from the formulas of make_soxr_fixtures.py. */
function soxrInputs(rate: number): [Float32Array, Float32Array] {
  const n = Math.round(0.2 * rate), T = n / rate;
  const sweep = new Float32Array(n), noise = new Float32Array(n);
  let s = rate;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    sweep[i] = 0.5 * Math.sin(Math.PI * (rate / 2) * t * t / T);
    s = (Math.imul(1664525, s) + 1013904223) >>> 0;
    noise[i] = (s >>> 8) / 2 ** 24 - 0.5;
  }
  return [sweep, noise];
}

interface SoxrCase {
  rate: number;
  name: string;
  ours: Float32Array;
  ref: Float32Array;
}

async function soxrCases(): Promise<SoxrCase[]> {
  const meta = JSON.parse(await Deno.readTextFile(new URL("meta.json", SOXR)));
  const cases: SoxrCase[] = [];
  for (const rate of SOXR_RATES) {
    const ref = await readNpy(new URL(`${rate}.npy`, SOXR).pathname);
    const n = ref.shape[1]!;
    soxrInputs(rate).forEach((x, row) => {
      // the rebuilt input is the one soxr saw (sum and sum of squares, float64)
      let sum = 0, sq = 0;
      for (const v of x) sum += v, sq += v * v;
      const [s0, q0] = meta.rates[String(rate)].input_sum_sumsq[row];
      assertAlmostEquals(sum, s0, 1e-9 * q0, `${rate} row ${row}: input differs from soxr's`);
      assertAlmostEquals(sq, q0, 1e-9 * q0, `${rate} row ${row}: input differs from soxr's`);
      cases.push({
        rate,
        name: `${rate}→22050 ${meta.rows[row]}`,
        ours: resample(x, rate, 22050),
        ref: (ref.data as Float32Array).subarray(row * n, (row + 1) * n),
      });
    });
  }
  return cases;
}

/** Power (dB) in `nb` equal bands from 0 to Nyquist, Hann-windowed 8192-point spectrum. */
function bandPowerDb(y: Float32Array, nb: number): number[] {
  const N = 8192, fft = new FFT(N);
  const inp = new Array<number>(N).fill(0);
  for (let i = 0; i < y.length; i++) {
    inp[i] = y[i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (y.length - 1)));
  }
  const out = fft.createComplexArray() as number[];
  fft.realTransform(out, inp);
  const p = new Array<number>(nb).fill(0);
  for (let k = 0; k < N / 2; k++) {
    p[Math.floor((k * nb) / (N / 2))]! += out[2 * k]! ** 2 + out[2 * k + 1]! ** 2;
  }
  return p.map((v) => 10 * Math.log10(v + 1e-30));
}

Deno.test("resample: soxr HQ fixtures, sample by sample (2:1 to float32 rounding)", async () => {
  for (const { rate, name, ours, ref } of await soxrCases()) {
    assertEquals(ours.length, ref.length, name);
    let d2 = 0, r2 = 0;
    for (let i = 0; i < ref.length; i++) d2 += (ours[i]! - ref[i]!) ** 2, r2 += ref[i]! ** 2;
    const rel = Math.sqrt(d2 / r2);
    // 2:1 is soxr's own filter; elsewhere soxr's second (polyphase) stage adds a small droop.
    assert(rel < (rate === 44100 ? 1e-6 : 2.5e-3), `${name}: relative RMS difference ${rel}`);
  }
});

Deno.test("resample: soxr HQ fixtures, magnitude per band within 0.03 dB up to Nyquist", async () => {
  for (const { rate, name, ours, ref } of await soxrCases()) {
    const a = bandPowerDb(ours, 32), b = bandPowerDb(ref, 32);
    const top = Math.max(...b);
    for (let i = 0; i < 32; i++) {
      if (b[i]! < top - 60) continue; // the sweep's rejected part (16 kHz input: above 8 kHz)
      const d = Math.abs(a[i]! - b[i]!);
      assert(d < (rate === 44100 ? 1e-3 : 0.03), `${name}, band ${i}: ${d.toFixed(4)} dB`);
    }
  }
});

Deno.test("resample: soxr HQ fixtures, same time alignment (cross-correlation peak at lag 0)", async () => {
  for (const { name, ours, ref } of await soxrCases()) {
    const xc = (lag: number): number => {
      let s = 0;
      for (let i = Math.max(0, -lag); i < ref.length && i + lag < ours.length; i++) {
        s += ref[i]! * ours[i + lag]!;
      }
      return s;
    };
    const [m, c, p] = [xc(-1), xc(0), xc(1)];
    assert(c > m && c > p, `${name}: peak not at lag 0`);
    const lag = (0.5 * (m - p)) / (m - 2 * c + p); // parabolic interpolation
    assert(Math.abs(lag) < 1e-3, `${name}: lag ${lag} samples`);
  }
});

Deno.test("resample: an impulse lands at its own time at every ratio (no delay)", () => {
  for (const from of [44100, 48000, 16000, 32000, 96000, 8000]) {
    const x = new Float32Array(from); // 1 s, impulse at 0.2 s
    x[from / 5] = 1;
    const y = resample(x, from, 22050);
    let arg = 0;
    for (let i = 0; i < y.length; i++) if (y[i]! > y[arg]!) arg = i;
    assertEquals(arg, 22050 / 5, `${from} Hz`);
    // symmetric about it: linear phase
    for (let k = 1; k < 50; k++) assertAlmostEquals(y[arg - k]!, y[arg + k]!, 1e-6);
  }
});

Deno.test("resample: design parameters are soxr HQ's and recorded in RESAMPLER", () => {
  assertAlmostEquals(RESAMPLER.passband_end, 0.91374, 1e-5);
  assertEquals(RESAMPLER.stopband_begin, 1);
  const d = resamplerDesign(44100, 22050);
  assertEquals([d.L, d.M], [1, 2]);
  assertAlmostEquals(d.passbandHz, 0.91374 * 11025, 0.2);
  assertAlmostEquals(d.stopbandHz, 11025, 1e-9);
  assertAlmostEquals(d.attenuationDb, 21 * 20 * Math.log10(2), 1e-9); // 20 bits + 1, one stage
  assertAlmostEquals(d.beta, 13.04, 0.005);
  // 48 kHz: soxr uses two stages, so the sharp one gets one more bit of attenuation
  assertAlmostEquals(resamplerDesign(48000, 22050).attenuationDb, 22 * 20 * Math.log10(2), 1e-9);
  // up-sampling: pass band relative to the input's Nyquist
  assertAlmostEquals(resamplerDesign(16000, 22050).passbandHz, 0.91374 * 8000, 0.2);
  assertThrows(() => resamplerDesign(0, 22050), RangeError);
});
