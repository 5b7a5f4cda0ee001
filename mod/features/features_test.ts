import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  extractFeatures,
  type FeatureConfig,
  FeatureExtractor,
  featureShape,
  FMA_FEATURES,
  GTZAN_FEATURES,
  INDIAN_FEATURES,
  segmentCount,
  TABLA_FEATURES,
} from "./features.ts";
import { MelSpectrogram, powerToDb } from "./mel.ts";
import { readNpy } from "../npy.ts";
import { NonFiniteError } from "../audio/finite.ts";

const SR = 22050;

/** A deterministic test clip: harmonics with a slow tremolo, plus a click train. */
function clip(n: number): Float32Array {
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    let s = 0;
    for (let k = 1; k <= 4; k++) s += (0.3 / k) * Math.sin(2 * Math.PI * 196 * k * t);
    y[i] = s * (0.6 + 0.4 * Math.sin(2 * Math.PI * 1.3 * t)) + (i % 4410 === 0 ? 0.8 : 0);
  }
  return y;
}

Deno.test("segmentCount: GTZAN keeps whole segments only; padding configs round up", () => {
  assertEquals(segmentCount(661500, GTZAN_FEATURES), 10);
  assertEquals(segmentCount(661794, GTZAN_FEATURES), 10); // GTZAN's 30.01 s clips
  assertEquals(segmentCount(441000, GTZAN_FEATURES), 6); // 20 s: floor(441000 / 65488)
  assertEquals(segmentCount(65487, GTZAN_FEATURES), 0);
  assertEquals(segmentCount(0, GTZAN_FEATURES), 0);
  assertEquals(segmentCount(2_000_000, { ...GTZAN_FEATURES, maxSegments: "all" }), 30);
  assertEquals(segmentCount(10 * SR, INDIAN_FEATURES), 4); // 3 whole + 1 padded
  assertEquals(segmentCount(60 * SR, INDIAN_FEATURES), 10); // first 30 s only
  assertEquals(segmentCount(60 * SR, { ...INDIAN_FEATURES, maxSegments: "all" }), 10);
  assertEquals(segmentCount(1000, TABLA_FEATURES), 1);
  assertEquals(segmentCount(10 * SR, TABLA_FEATURES), 1);
  assertEquals(segmentCount(40 * SR, FMA_FEATURES), 10);
  assertThrows(() => segmentCount(10, { ...GTZAN_FEATURES, timeStride: 0 }), RangeError);
});

Deno.test("featureShape: GTZAN 128×128, FMA --pad-frames 129, tabla 128×130, Indian 128×64", () => {
  assertEquals(featureShape(GTZAN_FEATURES), [128, 128]);
  assertEquals(featureShape({ ...FMA_FEATURES, frames: 129 }), [128, 129]);
  assertEquals(featureShape(TABLA_FEATURES), [128, 130]);
  assertEquals(featureShape(INDIAN_FEATURES), [128, 64]);
});

Deno.test("GTZAN: segment k equals MelSpectrogram + powerToDb(ref=max) of its slice", () => {
  const y = clip(3 * 65488 + 5000);
  const f = extractFeatures(y, GTZAN_FEATURES);
  assertEquals([f.segments, f.shape, f.padded], [3, [3, 128, 128], false]);
  const mel = new MelSpectrogram({ sampleRate: SR, nFft: 2048, hop: 512, nMels: 128 });
  for (let k = 0; k < 3; k++) {
    const ref = powerToDb(mel.power(y.subarray(k * 65488, (k + 1) * 65488)), { ref: "max" });
    assertEquals(f.data.subarray(k * 16384, (k + 1) * 16384), ref);
  }
  // Independent segments: each has its own 0 dB maximum.
  for (let k = 0; k < 3; k++) {
    const seg = f.data.subarray(k * 16384, (k + 1) * 16384);
    assert(Math.abs(Math.max(...seg)) < 1e-4 && Math.min(...seg) >= -80.0001);
  }
});

Deno.test("GTZAN on the harmonics fixture matches librosa's mel_db", async () => {
  const dir = new URL("./testdata/librosa/", import.meta.url).pathname;
  const y = (await readNpy(dir + "harmonics.input.npy")).data as Float32Array;
  const ref = (await readNpy(dir + "harmonics.mel_db.npy")).data as Float32Array;
  const f = extractFeatures(y, GTZAN_FEATURES);
  assertEquals(f.shape, [1, 128, 128]);
  let err = 0;
  for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(f.data[i]! - ref[i]!));
  assert(err < 0.01, `max |ΔdB| ${err}`);
});

Deno.test("tabla: one 3 s example, n_fft 1024 → 128×130; short clip zero-padded", () => {
  const y = clip(4 * SR);
  const f = extractFeatures(y, TABLA_FEATURES);
  assertEquals([f.shape, f.padded], [[1, 128, 130], false]);
  const mel = new MelSpectrogram({ sampleRate: SR, nFft: 1024, hop: 512, nMels: 128 });
  assertEquals(f.data, powerToDb(mel.power(y.subarray(0, 66150)), { ref: "max" }));

  const short = extractFeatures(clip(SR), TABLA_FEATURES);
  assertEquals([short.shape, short.padded], [[1, 128, 130], true]);
  const padded = new Float32Array(66150);
  padded.set(clip(SR));
  assertEquals(short.data, powerToDb(mel.power(padded), { ref: "max" }));
});

Deno.test("Indian: hop 256 (259 frames) cropped to 128, every second frame → 128×64", () => {
  const y = clip(7 * SR); // 2 whole 3 s segments + a padded third
  const f = extractFeatures(y, INDIAN_FEATURES);
  assertEquals([f.segments, f.shape, f.padded], [3, [3, 128, 64], true]);
  const mel = new MelSpectrogram({ sampleRate: SR, nFft: 2048, hop: 256, nMels: 128 });
  const full = powerToDb(mel.power(y.subarray(66150, 2 * 66150)), { ref: "max" }); // [128, 259]
  const seg1 = f.data.subarray(128 * 64, 2 * 128 * 64);
  for (let m = 0; m < 128; m++) {
    for (let j = 0; j < 64; j++) assertEquals(seg1[m * 64 + j], full[m * 259 + 2 * j]);
  }
});

Deno.test("frames > segment frames: appended columns are 0 dB (FMA --pad-frames 129)", () => {
  const cfg: FeatureConfig = { ...FMA_FEATURES, frames: 129 };
  const y = clip(65488);
  const f = extractFeatures(y, cfg);
  const g = extractFeatures(y, GTZAN_FEATURES);
  assertEquals(f.shape, [1, 128, 129]);
  for (let m = 0; m < 128; m++) {
    assertEquals(f.data.subarray(m * 129, m * 129 + 128), g.data.subarray(m * 128, m * 128 + 128));
    assertEquals(f.data[m * 129 + 128], 0);
  }
});

Deno.test("FeatureExtractor: output buffer reuse; no segments for a too-short GTZAN clip", () => {
  const fx = new FeatureExtractor(GTZAN_FEATURES);
  const out = new Float32Array(2 * 16384 + 7);
  const f = fx.extract(clip(2 * 65488), out);
  assert(f.data.buffer === out.buffer);
  assertEquals(f.data, extractFeatures(clip(2 * 65488), GTZAN_FEATURES).data);
  assertThrows(() => fx.extract(clip(2 * 65488), new Float32Array(10)), RangeError, "need 32768");
  const none = fx.extract(clip(30000));
  assertEquals([none.segments, none.shape, none.data.length], [0, [0, 128, 128], 0]);
});

Deno.test("extractFeatures: NaN/Inf samples and overflowing log-mels are a NonFiniteError naming the file", () => {
  const small: FeatureConfig = { ...GTZAN_FEATURES, segmentSamples: 8192, frames: 17, nMels: 32 };
  for (const [v, kind] of [[NaN, "1 NaN"], [Infinity, "1 +Inf"], [-Infinity, "1 −Inf"]] as const) {
    const x = clip(3 * 8192);
    x[8192 + 100] = v;
    assertThrows(
      () => extractFeatures(x, small, "blues/blues.00007.wav"),
      NonFiniteError,
      `blues/blues.00007.wav: 1 of 24576 samples is not finite (${kind}; the first at 0.376 s) ` +
        "in the audio given to the feature extractor",
    );
  }
  // Only the samples that are used count: past maxSeconds a NaN does not matter.
  const late = clip(3 * 8192);
  late[3 * 8192 - 1] = NaN;
  const head = extractFeatures(late, { ...small, maxSeconds: 8192 / SR });
  assert(head.segments === 1 && head.data.every(Number.isFinite));
  // Finite samples so large that their float32 power overflows: every log-mel value of the
  // segment would be NaN (what librosa's float32 path gives too); refused, naming the segment.
  const huge = clip(2 * 8192);
  for (let i = 8192; i < 2 * 8192; i++) huge[i]! *= 1e20;
  const e = assertThrows(
    () => new FeatureExtractor(small).extract(huge, undefined, "rock/loud.wav"),
    NonFiniteError,
    "rock/loud.wav: log-mel of segment 1 (0.37–0.74 s): 544 of 544 values are not finite",
  );
  assert(e.message.includes("too large for a float32 power spectrum"), e.message);
  // The same clip at a sane level is finite everywhere.
  assert(extractFeatures(clip(2 * 8192), small).data.every(Number.isFinite));
});
