import { join } from "node:path";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../_assert.ts";
import { makeBundle, TINY_FEATURES } from "./_predict_testutil.ts";
import { clip, makeGenreTree, wav16 } from "../datasets/_testutil.ts";
import { AudioDecodeError, decodeAudioFile } from "../audio/audio.ts";
import { floatWav, poke } from "../datasets/_bad_audio.ts";
import { NonFiniteError } from "../audio/finite.ts";
import { initBackend, tf } from "../engine/backend.ts";
import { BundleError, bundleFiles, findBestBundle, loadBundle } from "./bundle.ts";
import { RESAMPLER } from "../audio/resample.ts";
import { GTZAN } from "../datasets/datasets.ts";
import type { FeatureConfig } from "../features/features.ts";
import { readNpy } from "../npy.ts";
import { type Manifest, prepareDataset } from "../prepare/prepare.ts";
import {
  defaultCsvPath,
  formatPrediction,
  formatSummaryTable,
  listAudioFiles,
  predictAudio,
  predictFile,
  predictFiles,
  predictionsCsv,
} from "./predict.ts";
import { predictionInput } from "./classify.ts";
import { Scaler } from "../features/scaler.ts";
import { predictProbs } from "../engine/evaluate.ts";

await initBackend({ backend: "cpu", quiet: true });

const SR = 22050;
const SEG = TINY_FEATURES.segmentSamples;

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mgc_predict_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeWav(path: string, n: number, label = 0, sr = SR): Promise<string> {
  await Deno.writeFile(path, wav16(clip(label, n, n, sr), sr));
  return path;
}

Deno.test("bundle: preprocessing.json records the training data's resampler", () => {
  const info = {
    dataset: "demo",
    split: "random",
    features: TINY_FEATURES,
    scaler: new Scaler("per-mel", [16, 16], new Float64Array(16), new Float64Array(16).fill(1), 1),
    labels: ["a", "b"],
    inputShape: [16, 16, 1] as [number, number, number],
    manifestSha256: null,
  };
  const pre = (files: Record<string, unknown>): { resampler: unknown } =>
    JSON.parse(files["preprocessing.json"] as string);
  assertEquals(pre(bundleFiles(info)).resampler, { ...RESAMPLER });
  assertEquals(pre(bundleFiles({ ...info, resampler: null })).resampler, null); // older data
  const other = { ...RESAMPLER, name: "kaiser-0.85/0" };
  assertEquals(pre(bundleFiles({ ...info, resampler: other })).resampler, other);
});

Deno.test("bundle: save, load, identical predictions; labels and preprocessing kept", async () => {
  await withTemp(async (dir) => {
    const model = await makeBundle(join(dir, "b"), { model: "Efficient_VGG" });
    const x = tf.tidy(() => tf.randomNormal([4, 16, 16, 1], 0, 1, "float32", 3).dataSync());
    const before = await predictProbs(model, { x: x as Float32Array, sampleShape: [16, 16, 1] });
    model.dispose();
    const b = await loadBundle(join(dir, "b"));
    const after = await predictProbs(b.model, { x: x as Float32Array, sampleShape: [16, 16, 1] });
    // The loaded model has BatchNormalization folded into its convolutions: same probabilities
    // up to float32 rounding.
    assertEquals(after.length, before.length);
    after.forEach((p, i) => assert(Math.abs(p - before[i]!) <= 1e-5, `${i}: ${p} vs ${before[i]}`));
    assertEquals(b.labels, ["blues", "jazz", "rock"]);
    assertEquals(b.preprocessing.features, { ...TINY_FEATURES });
    assertEquals(b.preprocessing.input_shape, [16, 16, 1]);
    assertEquals(b.scaler.featureShape, [16, 16]);
    assertEquals(b.evaluation, null);
    assertEquals(b.preprocessing.resampler, { ...RESAMPLER }); // default: this build's resampler
    b.model.dispose();
  });
});

Deno.test("bundle: errors name what is missing or mismatched", async () => {
  await withTemp(async (dir) => {
    const a = join(dir, "a");
    (await makeBundle(a)).dispose();
    await Deno.remove(join(a, "preprocessing.json"));
    const e1 = await assertRejects(() => loadBundle(a), BundleError);
    assert(e1.message.includes("missing preprocessing.json"), e1.message);
    assert(e1.message.startsWith(a), e1.message);

    const b = join(dir, "b");
    (await makeBundle(b)).dispose();
    const four = ["blues", "jazz", "rock", "pop"];
    const pre = JSON.parse(await Deno.readTextFile(join(b, "preprocessing.json")));
    await Deno.writeTextFile(
      join(b, "preprocessing.json"),
      JSON.stringify({ ...pre, labels: four }),
    );
    await Deno.writeTextFile(join(b, "labels.json"), JSON.stringify(four));
    const e2 = await assertRejects(() => loadBundle(b), BundleError);
    assert(e2.message.includes("model has 3 outputs but labels.json lists 4 classes"), e2.message);

    const c = join(dir, "c");
    (await makeBundle(c)).dispose();
    await Deno.writeTextFile(join(c, "labels.json"), "[not json");
    const e3 = await assertRejects(() => loadBundle(c), BundleError);
    assert(e3.message.includes("labels.json") && e3.message.includes("not valid JSON"));

    const d = join(dir, "d");
    (await makeBundle(d)).dispose();
    const pd = JSON.parse(await Deno.readTextFile(join(d, "preprocessing.json")));
    pd.features.nMels = 32;
    await Deno.writeTextFile(join(d, "preprocessing.json"), JSON.stringify(pd));
    const e4 = await assertRejects(() => loadBundle(d), BundleError);
    assert(e4.message.includes("features give 32×16 images, the model takes 16×16"), e4.message);
  });
});

Deno.test("findBestBundle: best GTZAN bundle by test accuracy, else demo, else null", async () => {
  await withTemp(async (dir) => {
    assertEquals(await findBestBundle(join(dir, "none")), null);
    // Nested as the demo writes them (models/demo/<bundle>); hidden folders are not searched.
    (await makeBundle(join(dir, "demo", "a"), { dataset: "demo", testAccuracy: 0.5 })).dispose();
    (await makeBundle(join(dir, "demo", "b"), { dataset: "demo", testAccuracy: 0.9 })).dispose();
    (await makeBundle(join(dir, ".resume", "c"), { dataset: "demo", testAccuracy: 1 })).dispose();
    assertEquals(await findBestBundle(dir), join(dir, "demo", "b"));
    (await makeBundle(join(dir, "g1"), { dataset: "gtzan", testAccuracy: 0.6 })).dispose();
    (await makeBundle(join(dir, "g2"), { dataset: "gtzan", testAccuracy: 0.8 })).dispose();
    (await makeBundle(join(dir, "g3"), { dataset: "gtzan" })).dispose(); // no evaluation.json
    assertEquals(await findBestBundle(dir), join(dir, "g2"));
    // A k-fold bundle scores a held-out fold, not the test split: never picked.
    (await makeBundle(join(dir, "kf"), {
      dataset: "gtzan",
      split: "kfold-grouped-fold1",
      testAccuracy: 1,
    }))
      .dispose();
    assertEquals(await findBestBundle(dir), join(dir, "g2"));
  });
});

Deno.test("predictionInput: every segment equals prepareDataset's scaled X_test rows", async () => {
  await withTemp(async (root) => {
    const dataDir = join(root, "genres");
    // 20,000 samples: training keeps maxSegments 3 of the 4 full segments; prediction keeps 4.
    await makeGenreTree(dataDir, {
      genres: ["blues", "jazz", "rock"],
      perGenre: 5,
      samples: 20000,
      format: "wav",
    });
    const out = join(root, "processed");
    const config = { ...GTZAN, features: TINY_FEATURES };
    await prepareDataset(config, { dataDir, out, workers: 0, progress: false, warn: () => {} });
    const manifest: Manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
    const scaler = await Scaler.load(out);
    const X = (await readNpy(join(out, "X_test.npy"))).data as Float32Array;
    const track = (await readNpy(join(out, "track_test.npy"))).data as Int32Array;
    const row = 16 * 16;
    const tests = manifest.files.filter((f) => f.split === "test");
    assertEquals(tests.length, 3);
    for (const f of tests) {
      const audio = await decodeAudioFile(join(dataDir, f.path), { targetRate: SR });
      const input = predictionInput(
        audio.samples,
        { features: manifest.features as FeatureConfig },
        scaler,
      );
      assertEquals(input.segments, 4);
      assertEquals(input.sampleShape, [16, 16, 1]);
      assertEquals(input.padded, false);
      const first = track.indexOf(f.index);
      assertEquals(track.filter((t) => t === f.index).length, 3);
      const expected = X.subarray(first * row, (first + 3) * row);
      assertEquals(input.x.subarray(0, 3 * row), expected, f.path); // bitwise
    }
  });
});

Deno.test("predictFile: JSON schema, distribution sums to 1, timeline over every segment", async () => {
  await withTemp(async (dir) => {
    const bundleDir = join(dir, "bundle");
    (await makeBundle(bundleDir)).dispose();
    const b = await loadBundle(bundleDir);
    // A 44.1 kHz WAV of 5.5 segments (at 22,050 Hz): resampled, 5 full segments.
    const file = await writeWav(join(dir, "song.wav"), Math.round(5.5 * SEG * 2), 1, 2 * SR);
    const p = JSON.parse(JSON.stringify(await predictFile(b, file, { top: 2 })));
    assertEquals(Object.keys(p).sort(), [
      "channels",
      "duration_s",
      "file",
      "labels",
      "model",
      "padded",
      "probabilities",
      "sample_rate",
      "segments",
      "source_rate",
      "top",
    ]);
    assertEquals(p.file, file);
    assertEquals(p.model, bundleDir);
    assertEquals(p.labels, ["blues", "jazz", "rock"]);
    assertEquals(p.sample_rate, SR);
    assertEquals(p.source_rate, 2 * SR);
    assertEquals(p.padded, false);
    assertAlmostEquals(p.duration_s, 5.5 * SEG / SR, 1e-4);
    assertEquals(p.probabilities.length, 3);
    assertAlmostEquals(p.probabilities.reduce((a: number, v: number) => a + v, 0), 1, 1e-6);
    assertEquals(p.top.length, 2);
    assert(p.top[0].probability >= p.top[1].probability);
    assertEquals(p.top[0].probability, Math.max(...p.probabilities));
    assertEquals(p.top[0].label, p.labels[p.probabilities.indexOf(p.top[0].probability)]);
    assertEquals(p.segments.length, 5);
    const mean = [0, 1, 2].map((j) =>
      p.segments.reduce((a: number, s: { probabilities: number[] }) => a + s.probabilities[j]!, 0) /
      5
    );
    for (let j = 0; j < 3; j++) assertAlmostEquals(p.probabilities[j], mean[j]!, 1e-6);
    for (const [i, s] of p.segments.entries()) {
      assertEquals(Object.keys(s).sort(), [
        "end_s",
        "index",
        "probabilities",
        "probability",
        "start_s",
        "top_label",
      ]);
      assertEquals(s.index, i);
      assertAlmostEquals(s.start_s, i * SEG / SR, 1e-6);
      assertAlmostEquals(s.end_s, (i + 1) * SEG / SR, 1e-6);
      assertAlmostEquals(s.probabilities.reduce((a: number, v: number) => a + v, 0), 1, 1e-5);
      assertEquals(s.probability, Math.max(...s.probabilities));
      assertEquals(s.top_label, p.labels[s.probabilities.indexOf(s.probability)]);
    }
    const text = formatPrediction(p);
    assert(text.startsWith(file), text);
    assert(text.includes(`1. ${p.top[0].label}`), text);
    assert(text.includes("0.00–0.19 s"), text);
    b.model.dispose();
  });
});

Deno.test("predictFile: a clip shorter than one segment is padded to one and flagged", async () => {
  await withTemp(async (dir) => {
    (await makeBundle(join(dir, "b"))).dispose();
    const b = await loadBundle(join(dir, "b"));
    const p = await predictFile(b, await writeWav(join(dir, "short.wav"), 1000));
    assertEquals(p.padded, true);
    assertEquals(p.segments.length, 1);
    assertAlmostEquals(p.segments[0]!.end_s, 1000 / SR, 1e-6);
    assert(formatPrediction(p).includes("zero-padded"));
    const e = await assertRejects(() => predictFile(b, join(dir, "nope.wav")));
    assertEquals(e.message, `${join(dir, "nope.wav")}: cannot read: no such file`);
    b.model.dispose();
  });
});

Deno.test("folder mode: a corrupt file is skipped with its reason, the rest classified", async () => {
  await withTemp(async (dir) => {
    (await makeBundle(join(dir, "b"))).dispose();
    const b = await loadBundle(join(dir, "b"));
    const music = join(dir, "music");
    await Deno.mkdir(join(music, "sub"), { recursive: true });
    await writeWav(join(music, "b.WAV"), 2 * SEG, 0);
    await writeWav(join(music, "sub", "a.wav"), 3 * SEG, 2);
    await Deno.writeTextFile(join(music, "broken.mp3"), "not audio at all");
    await Deno.writeTextFile(join(music, "notes.txt"), "ignored");
    await Deno.writeTextFile(join(music, ".hidden.wav"), "ignored");
    const files = await listAudioFiles(music);
    assertEquals(files, ["b.WAV", "broken.mp3", "sub/a.wav"].map((f) => join(music, f)));
    const seen: string[] = [];
    const { predictions, skipped } = await predictFiles(b, files, {
      onResult: (r) => {
        seen.push(r.file);
      },
    });
    assertEquals(seen, files);
    assertEquals(predictions.map((p) => p.file), [files[0], files[2]]);
    assertEquals(skipped.length, 1);
    assertEquals(skipped[0]!.file, join(music, "broken.mp3"));
    assert(skipped[0]!.reason.includes("not a WAV, AU or MP3"), skipped[0]!.reason);
    const csv = predictionsCsv(predictions, b.labels).trim().split("\n");
    assertEquals(csv[0], "file,top_label,top_probability,p_blues,p_jazz,p_rock");
    assertEquals(csv.length, 3);
    const cells = csv[1]!.split(",");
    assertEquals(cells[0], files[0]);
    assertEquals(cells[1], predictions[0]!.top[0]!.label);
    assertAlmostEquals(cells.slice(3).reduce((a, v) => a + Number(v), 0), 1, 1e-5);
    const table = formatSummaryTable(predictions).split("\n");
    assertEquals(table.length, 3);
    assert(table[1]!.startsWith(files[0]!));
    assertEquals(defaultCsvPath(music + "/"), join("reports", "predict_music.csv"));
    b.model.dispose();
  });
});

Deno.test("predict: NaN/±Inf float WAVs (32/64-bit) are refused naming the file and the count, never a made-up answer", async () => {
  await withTemp(async (dir) => {
    (await makeBundle(join(dir, "b"))).dispose();
    const b = await loadBundle(join(dir, "b"));
    const x = clip(1, 7, 2 * SEG, SR);
    const cases = [
      ["nan32.wav", floatWav(poke(x, NaN, 5, 6, 7), SR, 32), `3 of ${2 * SEG} samples`, "3 NaN"],
      ["inf64.wav", floatWav(poke(x, Infinity, 100), SR, 64), `1 of ${2 * SEG} samples`, "1 +Inf"],
      [
        "ninf32.wav",
        floatWav(poke(x, -Infinity, SEG), SR, 32),
        `1 of ${2 * SEG} samples`,
        "1 −Inf",
      ],
    ] as const;
    for (const [name, bytes, count, kind] of cases) {
      await Deno.writeFile(join(dir, name), bytes);
      const e = await assertRejects(() => predictFile(b, join(dir, name)), AudioDecodeError);
      assert(
        e.message.startsWith(`${join(dir, name)}: ${count} are not finite`) ||
          e.message.startsWith(`${join(dir, name)}: ${count} is not finite`),
        e.message,
      );
      assert(e.message.includes(kind), e.message);
    }
    // Audio decoded elsewhere, handed in with NaN: refused by the feature extractor.
    const audio = {
      samples: Float32Array.from(poke(x, NaN, 9)),
      sampleRate: SR,
      sourceRate: SR,
      channels: 1,
      format: "wav" as const,
    };
    await assertRejects(
      () => predictAudio(b, audio, "elsewhere.wav"),
      NonFiniteError,
      `elsewhere.wav: 1 of ${2 * SEG} samples is not finite (1 NaN`,
    );
    // Finite samples too large for a float32 power spectrum: refused, not NaN probabilities.
    assertThrows(
      () => predictionInput(x.map((v) => v * 1e25), b.preprocessing, b.scaler, "loud.wav"),
      NonFiniteError,
      "loud.wav: log-mel of segment 0",
    );
    // The good copy of the same clip is classified.
    const ok = join(dir, "ok.wav");
    await Deno.writeFile(ok, floatWav(x, SR, 32));
    const p = await predictFile(b, ok);
    assert(p.probabilities.every(Number.isFinite));
    // Folder mode: the bad files are skipped with their reasons, the rest classified, and files
    // that are not audio are reported.
    await Deno.writeTextFile(join(dir, "notes.txt"), "x");
    const skippedListing: { file: string; reason: string }[] = [];
    const files = await listAudioFiles(dir, { skipped: skippedListing });
    assertEquals(
      files,
      ["inf64.wav", "nan32.wav", "ninf32.wav", "ok.wav"].map((f) => join(dir, f)),
    );
    assert(
      skippedListing.some((s) =>
        s.file === join(dir, "notes.txt") && /not an audio file/.test(s.reason)
      ),
      JSON.stringify(skippedListing),
    );
    const { predictions, skipped } = await predictFiles(b, files);
    assertEquals(predictions.map((q) => q.file), [ok]);
    assertEquals(skipped.map((s) => s.file), files.slice(0, 3));
    assert(skipped.every((s) => s.reason.includes("not finite")), JSON.stringify(skipped));
    b.model.dispose();
  });
});

Deno.test("predict: a WAV cut mid-data is classified on what it holds and flagged truncated", async () => {
  await withTemp(async (dir) => {
    (await makeBundle(join(dir, "b"))).dispose();
    const b = await loadBundle(join(dir, "b"));
    const path = join(dir, "cut.wav");
    // 3 segments claimed, 2 and a bit present.
    await Deno.writeFile(
      path,
      wav16(clip(0, 3, 3 * SEG, SR), SR).slice(0, 44 + 2 * (2 * SEG + 50)),
    );
    const p = await predictFile(b, path);
    assertEquals([p.truncated, p.segments.length], [true, 2]);
    assertAlmostEquals(p.duration_s, (2 * SEG + 50) / SR, 1e-6);
    assert(formatPrediction(p).includes("cut short"), formatPrediction(p));
    const whole = await writeWav(join(dir, "whole.wav"), 3 * SEG);
    assertEquals((await predictFile(b, whole)).truncated, undefined);
    b.model.dispose();
  });
});
