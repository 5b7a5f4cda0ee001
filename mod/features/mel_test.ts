import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import {
  denseFilterbank,
  hannPeriodic,
  hzToMel,
  melFilterbank,
  MelSpectrogram,
  melToHz,
  powerToDb,
} from "./mel.ts";
import { readNpy } from "../npy.ts";
import { Rng } from "../rng.ts";
import { simdAvailable } from "./_simd_mel.ts";

const DIR = new URL("./testdata/librosa/", import.meta.url).pathname;

async function f32(name: string): Promise<{ data: Float32Array; shape: number[] }> {
  const a = await readNpy(DIR + name);
  assert(a.data instanceof Float32Array, name);
  return { data: a.data, shape: a.shape };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** The fixtures' parameters (testdata/librosa/README.md). */
const SIGNALS = [
  ["sine440", 2048, 512],
  ["chirp", 2048, 512],
  ["harmonics", 2048, 512],
  ["clicks", 2048, 512],
  ["short", 2048, 512],
  ["silence", 2048, 512],
  ["tabla_params", 1024, 512],
  ["indian_params", 2048, 256],
] as const;

Deno.test("hannPeriodic equals scipy's hann_2048 within 1e-7", async () => {
  const ref = await f32("hann_2048.npy");
  assert(maxAbsDiff(hannPeriodic(2048), ref.data) <= 1e-7);
  assert(maxAbsDiff(hannPeriodic(4), [0, 0.5, 1, 0.5]) < 1e-15);
});

Deno.test("Slaney mel scale: breakpoints and round trip", () => {
  assertAlmostEquals(hzToMel(1000), 15, 1e-12);
  assertAlmostEquals(hzToMel(500), 7.5, 1e-12);
  assertAlmostEquals(hzToMel(6400), 42, 1e-12); // 15 + 27 mels per factor 6.4
  for (const hz of [0, 100, 999, 1000, 4321, 11025]) {
    assertAlmostEquals(melToHz(hzToMel(hz)), hz, 1e-9);
  }
});

Deno.test("melFilterbank equals librosa.filters.mel (n_fft 2048 and 1024) within 1e-7", async () => {
  for (const nFft of [2048, 1024]) {
    const ref = await f32(`melfb_${nFft}.npy`);
    const fb = melFilterbank({ sampleRate: 22050, nFft, hop: 512, nMels: 128 });
    assertEquals(ref.shape, [128, nFft / 2 + 1]);
    const dense = denseFilterbank(fb);
    const err = maxAbsDiff(dense, ref.data);
    assert(err <= 1e-7, `melfb_${nFft}: max |ΔW| ${err}`);
    // Sparse storage: every nonzero of librosa's matrix is stored, and nothing else.
    let nnz = 0;
    for (const w of ref.data) if (w !== 0) nnz++;
    assertEquals(fb.weights.length, nnz);
  }
});

/** Every engine; the wasm ones are "js" where SIMD is unavailable. */
const ENGINES = ["wasm-f32", "wasm-f64", "js"] as const;

Deno.test("MelSpectrogram (every engine) and powerToDb match every librosa fixture", async () => {
  for (const [name, nFft, hop] of SIGNALS) {
    for (const engine of ENGINES) {
      const y = (await f32(`${name}.input.npy`)).data;
      const power = await f32(`${name}.mel_power.npy`);
      const db = await f32(`${name}.mel_db.npy`);
      const mel = new MelSpectrogram({ sampleRate: 22050, nFft, hop, nMels: 128 }, { engine });
      const T = mel.frames(y.length);
      assertEquals(power.shape, [128, T], name);
      const S = mel.power(y);
      let maxS = 0;
      for (const v of power.data) maxS = Math.max(maxS, v);
      for (let i = 0; i < S.length; i++) {
        const ref = power.data[i]!;
        const tol = 0.002 * ref + 1e-6 * maxS;
        assert(Math.abs(S[i]! - ref) <= tol, `${name} ${engine}[${i}]: power ${S[i]} vs ${ref}`);
      }
      const D = powerToDb(S, { ref: "max" });
      const err = maxAbsDiff(D, db.data);
      assert(err <= 0.01, `${name} ${engine}: max |ΔdB| ${err}`);
    }
  }
});

Deno.test("silence: power exactly 0, dB 0 everywhere (not -80)", async () => {
  const y = (await f32("silence.input.npy")).data;
  const S = new MelSpectrogram({ sampleRate: 22050, nFft: 2048, hop: 512, nMels: 128 }).power(y);
  assert(S.every((v) => v === 0));
  assert(powerToDb(S, { ref: "max" }).every((v) => Math.abs(v) < 1e-5));
});

Deno.test("MelSpectrogram: frame count, reused output buffer, bad config", () => {
  const mel = new MelSpectrogram({ sampleRate: 22050, nFft: 2048, hop: 512, nMels: 128 });
  assertEquals([mel.frames(65488), mel.frames(1000), mel.frames(0), mel.frames(512)], [
    128,
    2,
    1,
    2,
  ]);
  const y = new Float32Array(3000).map((_, n) => Math.sin(n / 7));
  const out = new Float32Array(128 * 6).fill(NaN);
  assertEquals(mel.power(y, out), mel.power(y));
  assert(mel.power(y, out) === out);
  assertThrows(() => mel.power(y, new Float32Array(5)), RangeError, "need 128×6");
  assertThrows(
    () => new MelSpectrogram({ sampleRate: 22050, nFft: 1000, hop: 512, nMels: 128 }),
    RangeError,
    "power of two",
  );
  assertThrows(
    () => new MelSpectrogram({ sampleRate: 22050, nFft: 2048, hop: 0, nMels: 128 }),
    RangeError,
    "hop",
  );
  assertThrows(
    () =>
      new MelSpectrogram({
        sampleRate: 22050,
        nFft: 2048,
        hop: 512,
        nMels: 64,
        fmin: 9000,
        fmax: 8000,
      }),
    RangeError,
    "fmin",
  );
});

Deno.test("powerToDb: librosa semantics for ref, amin, topDb", () => {
  const S = new Float32Array([100, 1, 1e-3, 0]);
  assertEquals([...powerToDb(S, { ref: "max" })], [0, -20, -50, -80]);
  assertEquals([...powerToDb(S, { ref: "max", topDb: null })], [0, -20, -50, -100 - 20]);
  assertEquals([...powerToDb(S)], [20, 0, -30, -60]); // ref 1.0 (librosa's default): floor 20 - 80
  assertEquals([...powerToDb(S, { ref: 10, topDb: 25 })], [10, -10, -15, -15]);
  assertEquals([...powerToDb(S, { amin: 1e-2, topDb: null })], [20, 0, -20, -20]);
  const inPlace = S.slice();
  assert(powerToDb(inPlace, { ref: "max", out: inPlace }) === inPlace);
  assertEquals(inPlace[1], -20);
  assertThrows(() => powerToDb(S, { amin: 0 }), RangeError, "amin");
  assertThrows(() => powerToDb(S, { topDb: -1 }), RangeError, "topDb");
});

Deno.test("wasm-f64 and js engines give bit-identical mel power; wasm-f32 is close and deterministic", async () => {
  const rng = new Rng(11);
  const cases: [number, number, number][] = [
    [2048, 512, 65488], // GTZAN segment: one full chunk, even frame count
    [2048, 256, 66150], // Indian: 259 frames, three chunks, odd count
    [1024, 512, 66150], // tabla: log2(n/2) odd, so a final radix-2 stage
    [2048, 512, 1000], // shorter than n_fft
    [8, 3, 50],
  ];
  for (const [nFft, hop, n] of cases) {
    const y = Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
    const cfg = { sampleRate: 22050, nFft, hop, nMels: nFft >= 1024 ? 128 : 2 };
    const f64 = new MelSpectrogram(cfg, { engine: "wasm-f64" });
    const f32k = new MelSpectrogram(cfg), js = new MelSpectrogram(cfg, { engine: "js" });
    assertEquals(js.engine, "js");
    assertEquals(f64.engine, simdAvailable() ? "wasm-f64" : "js");
    assertEquals(f32k.engine, simdAvailable() ? "wasm-f32" : "js");
    const ref = js.power(y), what = `n_fft ${nFft}, hop ${hop}, ${n} samples`;
    assertEquals(f64.power(y), ref, what);
    // float32 kernel: relative error ~1e-5 (float32 rounding over log2(n_fft) FFT stages).
    const S = f32k.power(y);
    let maxS = 0;
    for (const v of ref) maxS = Math.max(maxS, v);
    for (let i = 0; i < S.length; i++) {
      assert(Math.abs(S[i]! - ref[i]!) <= 1e-4 * ref[i]! + 1e-7 * maxS, `${what} [${i}]`);
    }
    assertEquals(f32k.power(y), S, `${what}: deterministic`);
  }
  const y = (await f32("harmonics.input.npy")).data;
  const cfg = { sampleRate: 22050, nFft: 2048, hop: 512, nMels: 128 };
  assertEquals(
    new MelSpectrogram(cfg, { engine: "wasm-f64" }).power(y),
    new MelSpectrogram(cfg, { engine: "js" }).power(y),
  );
});

Deno.test("powerToDb equals the Math.log10 formula, rounded to float32, on 10⁶ powers", () => {
  const rng = new Rng(12);
  const S = Float32Array.from(
    { length: 1_000_000 },
    (_, i) => i % 1000 === 0 ? 0 : Math.exp((rng.next() * 2 - 1) * (i % 2 ? 60 : 1e-3)),
  );
  S[1] = 1e-45; // subnormal
  for (const ref of ["max", 1, 0.37] as const) {
    const D = powerToDb(S, { ref, topDb: null });
    let r = ref === "max" ? 0 : ref;
    if (ref === "max") { for (const v of S) r = Math.max(r, v); }
    const refDb = 10 * Math.log10(Math.max(1e-10, r));
    let worst = 0;
    for (let i = 0; i < S.length; i++) {
      const d = Math.fround(10 * Math.log10(Math.max(1e-10, S[i]!)) - refDb);
      worst = Math.max(worst, Math.abs(d - D[i]!) / Math.max(1e-30, Math.abs(d)));
    }
    assert(worst <= 2 ** -23, `ref ${ref}: worst relative difference ${worst}`);
  }
});

Deno.test("powerToDb: infinite, NaN and subnormal powers take Math.log's values", () => {
  const odd = new Float32Array(100).fill(2);
  odd[3] = Infinity;
  odd[5] = NaN;
  odd[7] = 1e-40;
  const D = powerToDb(odd, { ref: 1, amin: 1e-45, topDb: null });
  assertEquals([D[0], D[3], D[5]], [Math.fround(10 * Math.log10(2)), Infinity, NaN]);
  assertAlmostEquals(D[7]!, -400, 1e-4);
});
