import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { decodeAudioFile } from "../audio/audio.ts";
import { DEMO_GENRES, synthesizeClip, synthesizeDemoDataset } from "./demo_data.ts";
import { listFilesSorted } from "../fs.ts";

/** Spectral centroid (Hz) from first-difference energy: sqrt(E[dx²]/E[x²])·sr/(2π). */
function roughCentroid(y: Float32Array, sr: number): number {
  let e = 0, d = 0;
  for (let i = 1; i < y.length; i++) {
    e += y[i]! ** 2;
    d += (y[i]! - y[i - 1]!) ** 2;
  }
  return (Math.sqrt(d / e) * sr) / (2 * Math.PI);
}

/** Onsets per second: rises of a 10 ms energy envelope above 1.5× its 100 ms average. */
function onsetRate(y: Float32Array, sr: number): number {
  const hop = Math.round(0.01 * sr);
  const env: number[] = [];
  for (let i = 0; i + hop <= y.length; i += hop) {
    let s = 0;
    for (let j = i; j < i + hop; j++) s += y[j]! ** 2;
    env.push(s);
  }
  let onsets = 0, armed = true;
  for (let k = 10; k < env.length; k++) {
    let avg = 0;
    for (let j = k - 10; j < k; j++) avg += env[j]!;
    const hot = env[k]! > 1.5 * (avg / 10) + 1e-9;
    if (hot && armed) onsets++;
    armed = !hot;
  }
  return onsets / (y.length / sr);
}

Deno.test("demo data: GTZAN layout, 16-bit mono WAV headers, deterministic bytes", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  try {
    const opts = { seed: 7, classes: 3, clipsPerClass: 2, seconds: 3 };
    const r = await synthesizeDemoDataset(a, opts);
    assertEquals(r, { files: 6, seconds: 18 });
    const files = await listFilesSorted(a);
    assertEquals(files, [
      "blues/blues.00000.wav",
      "blues/blues.00001.wav",
      "classical/classical.00000.wav",
      "classical/classical.00001.wav",
      "country/country.00000.wav",
      "country/country.00001.wav",
    ]);
    const bytes = await Deno.readFile(`${a}/${files[0]}`);
    const dv = new DataView(bytes.buffer);
    assertEquals(new TextDecoder().decode(bytes.subarray(0, 4)), "RIFF");
    assertEquals(new TextDecoder().decode(bytes.subarray(8, 16)), "WAVEfmt ");
    assertEquals([dv.getUint16(20, true), dv.getUint16(22, true)], [1, 1]); // PCM, mono
    assertEquals([dv.getUint32(24, true), dv.getUint16(34, true)], [22050, 16]);
    assertEquals(bytes.length, 44 + 2 * 3 * 22050);
    const d = await decodeAudioFile(`${a}/${files[0]}`);
    assertEquals([d.samples.length, d.sampleRate], [66150, 22050]);
    let peak = 0;
    for (const x of d.samples) peak = Math.max(peak, Math.abs(x));
    assert(peak > 0.25 && peak < 0.95, `peak ${peak}`);
    // same seed → same bytes; another seed → different bytes
    await synthesizeDemoDataset(b, opts);
    for (const f of files) {
      assertEquals(await Deno.readFile(`${b}/${f}`), await Deno.readFile(`${a}/${f}`), f);
    }
    const other = synthesizeClip("blues", { seed: 8, index: 0, seconds: 3, sampleRate: 22050 });
    assert(other.some((x, i) => x !== d.samples[i]));
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test("demo data: classes differ in timbre and rhythm, not only in level", () => {
  const sr = 22050;
  const stats = (g: typeof DEMO_GENRES[number]): { centroid: number; onsets: number } => {
    let centroid = 0, onsets = 0;
    for (let i = 0; i < 2; i++) {
      const y = synthesizeClip(g, { seed: 42, index: i, seconds: 4, sampleRate: sr });
      centroid += roughCentroid(y, sr) / 2;
      onsets += onsetRate(y, sr) / 2;
    }
    return { centroid, onsets };
  };
  const classical = stats("classical"), metal = stats("metal"), reggae = stats("reggae");
  const jazz = stats("jazz");
  // timbre: classical (strings, no drums) is far darker than metal and jazz (cymbals)
  assert(metal.centroid > 2 * classical.centroid, `${metal.centroid} vs ${classical.centroid}`);
  assert(jazz.centroid > 2 * classical.centroid, `${jazz.centroid} vs ${classical.centroid}`);
  // rhythm: metal (172 BPM, double kick) has far more onsets than reggae (76 BPM one-drop)
  assert(metal.onsets > 1.5 * reggae.onsets, `${metal.onsets} vs ${reggae.onsets}`);
});

Deno.test("demo data: bad options are RangeErrors", async () => {
  await assertRejects(
    () => synthesizeDemoDataset("/tmp/x", { classes: 11 }),
    RangeError,
    "classes",
  );
  await assertRejects(() => synthesizeDemoDataset("/tmp/x", { seconds: 0 }), RangeError, "seconds");
});
