import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../_assert.ts";
import { au16, clip, makeGenreTree, wav16 } from "../datasets/_testutil.ts";
import { decodeAudio } from "../audio/audio.ts";
import { UserError } from "../cli.ts";
import { type DatasetConfig, type DatasetItem, GTZAN } from "../datasets/datasets.ts";
import { extractFeatures, type FeatureConfig, GTZAN_FEATURES } from "../features/features.ts";
import { readNpy } from "../npy.ts";
import { type Manifest, prepareDataset } from "./prepare.ts";
import { loadFaultFilteredLists, SPLIT_NAMES } from "../datasets/split.ts";

/** GTZAN's recipe at toy size: 3 segments of 4096 samples, 16 mels × 17 frames. */
const SMALL: FeatureConfig = {
  ...GTZAN_FEATURES,
  segmentSamples: 4096,
  maxSegments: 3,
  nFft: 512,
  hop: 256,
  nMels: 16,
  frames: 17,
};
const SMALL_GTZAN: DatasetConfig = { ...GTZAN, features: SMALL };
const GENRES = ["blues", "jazz", "rock"];

async function tempRoot(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "mgc_prepare_test_" });
}

async function readTree(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) out.set(e.name, await Deno.readFile(join(dir, e.name)));
  return out;
}

async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
}

/** A 3-genre × 5-clip .au tree with a short clip, a too-short clip and a corrupt file. */
async function smallTree(root: string): Promise<string> {
  const dir = join(root, "genres");
  await makeGenreTree(dir, {
    genres: GENRES,
    perGenre: 5,
    format: "au",
    // jazz.00001 is short (2 segments); rock.00002 shorter than one segment.
    samples: (g, k) => g === 1 && k === 1 ? 9000 : g === 2 && k === 2 ? 3000 : 12800,
  });
  await Deno.writeFile(join(dir, "jazz", "jazz.00003.au"), new TextEncoder().encode("not audio"));
  return dir;
}

Deno.test("prepare: split, segments, scaler from train only, manifest (small config)", async () => {
  const root = await tempRoot();
  try {
    const dataDir = await smallTree(root);
    const out = join(root, "out");
    const warnings: string[] = [];
    const r = await prepareDataset(SMALL_GTZAN, {
      dataDir,
      out,
      seed: 42,
      workers: 2,
      progress: false,
      warn: (m) => warnings.push(m),
    });
    const m = await readManifest(out);
    assertEquals(JSON.parse(await Deno.readTextFile(join(out, "labels.json"))), GENRES);
    assertEquals(m.files.length, 15);
    assertEquals(m.files.map((f) => f.index), [...Array(15).keys()]);
    assertEquals(m.files[0]!.path, "blues/blues.00000.au");
    // Per-genre file counts: 5 → 3/1/1 (largest remainder).
    for (const [g, genre] of GENRES.entries()) {
      const parts = m.files.filter((f) => f.label_index === g).map((f) => f.split);
      assertEquals(SPLIT_NAMES.map((s) => parts.filter((p) => p === s).length), [3, 1, 1], genre);
    }
    // Corrupt, short and too-short files.
    const byPath = new Map(m.files.map((f) => [f.path, f]));
    assertEquals(byPath.get("jazz/jazz.00003.au")!.status, "skipped");
    assert(byPath.get("jazz/jazz.00003.au")!.reason!.includes("not a WAV, AU or MP3"));
    assertEquals(byPath.get("jazz/jazz.00001.au")!.examples, 2);
    assertEquals(byPath.get("rock/rock.00002.au")!.status, "skipped");
    assert(byPath.get("rock/rock.00002.au")!.reason!.startsWith("too short"));
    assertEquals(m.skipped.map((s) => s.path), ["jazz/jazz.00003.au", "rock/rock.00002.au"]);
    // The skip warnings, in file order; and one that the .au copy is not comparable with the
    // canonical WAV list (data:verify's record goes into the manifest).
    const skips = warnings.filter((w) => !w.startsWith("data: "));
    assertEquals([skips.length, warnings.length], [2, 3]);
    assert(skips[0]!.includes("jazz/jazz.00003.au"));
    assertEquals(m.verification!.status, "not comparable");
    assertEquals(m.verification!.counts!.not_comparable, 15);
    assert(m.files.every((f) => f.sha256 === null || /^[0-9a-f]{64}$/.test(f.sha256)));

    // Arrays: shapes, labels and tracks consistent with the manifest; no track in two splits.
    const seen = new Map<number, string>();
    let total = 0;
    for (const s of SPLIT_NAMES) {
      const X = await readNpy(join(out, `X_${s}.npy`));
      const y = (await readNpy(join(out, `y_${s}.npy`))).data as Int32Array;
      const track = (await readNpy(join(out, `track_${s}.npy`))).data as Int32Array;
      assertEquals(X.dtype, "<f4");
      assertEquals(X.shape, [y.length, 16, 17, 1]);
      assertEquals(track.length, y.length);
      const expected = m.files.filter((f) => f.split === s && f.status === "ok");
      assertEquals(y.length, expected.reduce((a, f) => a + f.examples, 0));
      assertEquals(r.counts[s], { files: expected.length, examples: y.length });
      for (let i = 0; i < y.length; i++) {
        const f = m.files[track[i]!]!;
        assertEquals(f.split, s);
        assertEquals(y[i], f.label_index);
        assert(seen.get(track[i]!) === undefined || seen.get(track[i]!) === s);
        seen.set(track[i]!, s);
        if (i > 0) assert(track[i]! >= track[i - 1]!, "rows in file order");
      }
      total += y.length;
    }
    assertEquals(total, 12 * 3 + 2); // 13 usable files, one of them with 2 segments

    // Scaler: recompute from the training files' own features, float64 two-pass, ddof 0.
    const D = 16 * 17;
    const trainRows: Float32Array[] = [];
    for (const f of m.files.filter((f) => f.split === "train" && f.status === "ok")) {
      const bytes = await Deno.readFile(join(dataDir, f.path));
      const a = await decodeAudio(bytes, f.path, { targetRate: 22050 });
      trainRows.push(extractFeatures(a.samples, SMALL).data);
    }
    const rows = new Float32Array(trainRows.reduce((a, b) => a + b.length, 0));
    trainRows.reduce((o, b) => (rows.set(b, o), o + b.length), 0);
    const n = rows.length / D;
    const mean = (await readNpy(join(out, "scaler_mean.npy"))).data as Float64Array;
    const std = (await readNpy(join(out, "scaler_std.npy"))).data as Float64Array;
    assertEquals(mean.length, D);
    for (let j = 0; j < D; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += rows[i * D + j]!;
      const mu = s / n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (rows[i * D + j]! - mu) ** 2;
      const sd = Math.sqrt(v / n);
      assertAlmostEquals(mean[j]!, mu, 1e-9);
      assertAlmostEquals(std[j]!, sd === 0 ? 1 : sd, 1e-9);
    }
    const Xtrain = (await readNpy(join(out, "X_train.npy"))).data as Float32Array;
    for (let i = 0; i < rows.length; i++) {
      assertEquals(Xtrain[i], Math.fround((rows[i]! - mean[i % D]!) / std[i % D]!));
    }
    const scalerJson = JSON.parse(await Deno.readTextFile(join(out, "scaler.json")));
    assertEquals(scalerJson.fitted_on_examples, n);
    assertEquals(m.scaler, { ...scalerJson, fit_on: "train" });
    assertEquals((m.split as { seed: number }).seed, 42);
    assertEquals(m.features, SMALL as unknown);
    assert(typeof m.versions.deno === "string");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("prepare: byte-identical across runs, worker counts and memory/disk stores; clean rerun", async () => {
  const root = await tempRoot();
  try {
    const dataDir = await smallTree(root);
    const common = { dataDir, seed: 7, progress: false, warn: () => {} };
    const a = join(root, "a");
    const b = join(root, "b");
    const r1 = await prepareDataset(SMALL_GTZAN, { ...common, out: a, workers: 2 });
    const r2 = await prepareDataset(SMALL_GTZAN, {
      ...common,
      out: b,
      workers: 0,
      memoryBudgetBytes: 0,
    });
    assertEquals([r1.store, r2.store], ["memory", "disk"]);
    const ta = await readTree(a);
    const tb = await readTree(b);
    ta.delete("run.json");
    tb.delete("run.json");
    assertEquals([...ta.keys()].sort(), [...tb.keys()].sort());
    for (const [name, bytes] of ta) assertEquals(bytes, tb.get(name), name);
    // Rerun into the same folder: replaced cleanly, no temporary folders left behind.
    await Deno.writeTextFile(join(a, "stale.txt"), "x");
    await prepareDataset(SMALL_GTZAN, { ...common, out: a, workers: 1 });
    const again = await readTree(a);
    assert(!again.has("stale.txt"));
    again.delete("run.json");
    for (const [name, bytes] of ta) assertEquals(again.get(name), bytes, name);
    const left = [];
    for await (const e of Deno.readDir(root)) left.push(e.name);
    assertEquals(left.sort(), ["a", "b", "genres"]);
    // Another seed, another split.
    const c = join(root, "c");
    await prepareDataset(SMALL_GTZAN, { ...common, seed: 8, out: c, workers: 2 });
    const mc = await readManifest(c);
    const ma = await readManifest(a);
    assert(mc.files.some((f, i) => f.split !== ma.files[i]!.split));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("prepare: a failed run leaves no output and no temporary folder", async () => {
  const root = await tempRoot();
  try {
    const dataDir = join(root, "genres");
    // Every file is corrupt: no training examples → UserError before anything is published.
    for (const g of GENRES) {
      await Deno.mkdir(join(dataDir, g), { recursive: true });
      for (let k = 0; k < 3; k++) {
        await Deno.writeTextFile(join(dataDir, g, `${g}.0000${k}.wav`), "x");
      }
    }
    const out = join(root, "out");
    await assertRejects(
      () => prepareDataset(SMALL_GTZAN, { dataDir, out, progress: false, warn: () => {} }),
      UserError,
      "no examples",
    );
    const left: string[] = [];
    for await (const e of Deno.readDir(root)) left.push(e.name);
    assertEquals(left, ["genres"]);
    // A program error in a worker (here: an FFT size that is not a power of two) stops the run.
    await makeGenreTree(join(root, "ok"), {
      genres: GENRES,
      perGenre: 2,
      samples: 5000,
      format: "wav",
    });
    await assertRejects(
      () =>
        prepareDataset({ ...SMALL_GTZAN, features: { ...SMALL, nFft: 500 } }, {
          dataDir: join(root, "ok"),
          out,
          workers: 2,
          progress: false,
        }),
      Error,
      "nFft must be a power of two",
    ).then((e) => assert(e.message.startsWith(join(root, "ok")), e.message));
    left.length = 0;
    for await (const e of Deno.readDir(root)) left.push(e.name);
    assertEquals(left.sort(), ["genres", "ok"]);
    await assertRejects(
      () => prepareDataset(SMALL_GTZAN, { dataDir: join(root, "none"), out, progress: false }),
      UserError,
      "<genre>/<genre>.<nnnnn>.au",
    );
    await assertRejects(
      () => prepareDataset(SMALL_GTZAN, { dataDir, split: "nope", progress: false }),
      UserError,
      "unknown split",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("prepare: Kaggle .wav layout via the genres_original fallback", async () => {
  const root = await tempRoot();
  try {
    await makeGenreTree(join(root, "genres_original"), {
      genres: GENRES,
      perGenre: 5,
      samples: 12800,
      format: "wav",
    });
    const out = join(root, "out");
    const r = await prepareDataset(SMALL_GTZAN, {
      dataDir: join(root, "genres"),
      out,
      progress: false,
    });
    assertEquals(r.manifest.dataset.data_dir, join(root, "genres_original"));
    assertEquals(
      r.manifest.dataset.layout,
      "<genre>/<genre>.<nnnnn>.wav (Kaggle genres_original layout)",
    );
    assertEquals(
      SPLIT_NAMES.map((s) => r.counts[s].files),
      [9, 3, 3],
    );
    assertEquals(r.counts.train.examples, 27);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("prepare: fault-filtered lists matched by stem (.au), unlisted excluded, missing reported", async () => {
  const root = await tempRoot();
  try {
    const lists = await loadFaultFilteredLists();
    const dataDir = join(root, "genres");
    const pick = [
      lists.train[0]!,
      lists.train[1]!,
      lists.train[300]!,
      lists.val[0]!,
      lists.test[0]!,
    ];
    const listed = new Set([...lists.train, ...lists.val, ...lists.test]);
    const unlisted = ["blues", "classical", "country", "disco", "hiphop", "jazz"]
      .flatMap((g) => [...Array(100).keys()].map((k) => `${g}.${String(k).padStart(5, "0")}`))
      .find((s) => !listed.has(s))!;
    for (const stem of [...pick, unlisted]) {
      const genre = stem.split(".")[0]!;
      await Deno.mkdir(join(dataDir, genre), { recursive: true });
      await Deno.writeFile(
        join(dataDir, genre, `${stem}.au`),
        au16(clip(0, 1, 9000, 22050), 22050),
      );
    }
    const out = join(root, "out");
    const r = await prepareDataset(SMALL_GTZAN, {
      dataDir,
      out,
      split: "fault-filtered",
      progress: false,
      warn: () => {},
    });
    const m = r.manifest;
    const where = new Map(m.files.map((f) => [f.path.split("/")[1]!.replace(".au", ""), f]));
    assertEquals(where.get(pick[0]!)!.split, "train");
    assertEquals(where.get(pick[2]!)!.split, "train");
    assertEquals(where.get(pick[3]!)!.split, "val");
    assertEquals(where.get(pick[4]!)!.split, "test");
    assertEquals(where.get(unlisted)!.status, "excluded");
    assertEquals(where.get(unlisted)!.split, null);
    assert(/^[0-9a-f]{64}$/.test(where.get(unlisted)!.sha256!));
    assertEquals(m.missing_from_disk.length, 930 - pick.length);
    assertEquals(SPLIT_NAMES.map((s) => r.counts[s].files), [3, 1, 1]);
    assertEquals((m.split as { kind: string }).kind, "lists");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("prepare: GTZAN parameters on 30 s clips → (N, 128, 128, 1), 10 segments per clip", async () => {
  const root = await tempRoot();
  try {
    const dataDir = join(root, "genres");
    await makeGenreTree(dataDir, {
      genres: ["a", "b"],
      perGenre: 5,
      format: "au",
      samples: (g, k) => g === 1 && k === 4 ? 400000 : 661794,
    });
    const out = join(root, "out");
    const r = await prepareDataset(GTZAN, { dataDir, out, progress: false });
    const m = r.manifest;
    const short = m.files.find((f) => f.path === "b/b.00004.au")!;
    assertEquals(short.examples, 6); // floor(400000 / 65488)
    assert(m.files.every((f) => f === short || f.examples === 10));
    const n = short.split === "train" ? 56 : 60;
    assertEquals(r.counts.train, { files: 6, examples: n });
    const X = await readNpy(join(out, "X_train.npy"));
    assertEquals(X.shape, [n, 128, 128, 1]);
    const mean = await readNpy(join(out, "scaler_mean.npy"));
    assertEquals(mean.shape, [128, 128]);
    assertEquals(mean.dtype, "<f8");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("prepare: other dataset shapes fit the same pipeline (per-mel scaler, one padded example per clip, given and two-step splits)", async () => {
  const root = await tempRoot();
  try {
    // A flat folder of clips whose labels and parts come from the loader (as FMA's tracks.csv).
    const dataDir = join(root, "wavfiles");
    await Deno.mkdir(dataDir);
    const items: DatasetItem[] = [];
    for (let i = 0; i < 12; i++) {
      const path = `clip${String(i).padStart(2, "0")}.wav`;
      await Deno.writeFile(
        join(dataDir, path),
        wav16(clip(i % 2, i, 3000 + 200 * i, 22050), 22050),
      );
      items.push({
        path,
        label: i % 2,
        split: (["train", "train", "val", "test"] as const)[i % 4],
      });
    }
    const base: DatasetConfig = {
      name: "flat",
      description: "test",
      defaultDataDir: dataDir,
      processedRoot: join(root, "processed"),
      listFiles: (dir) =>
        Promise.resolve({ dataDir: dir, layout: "flat", labels: ["a", "b"], items, skipped: [] }),
      features: { ...SMALL, maxSegments: 1, padShortSegments: true },
      scaler: "per-mel",
      splits: {
        given: { kind: "given", source: "the loader" },
        seed: { kind: "keras-two-step", test: 0.2, val: 0.25 },
      },
    };
    const r = await prepareDataset(base, { progress: false });
    assertEquals(r.out, join(root, "processed", "given"));
    assertEquals(SPLIT_NAMES.map((s) => r.counts[s].examples), [6, 3, 3]);
    // One example per clip: shorter clips are zero-padded, longer ones cropped.
    assertEquals(r.manifest.files.map((f) => f.examples), new Array(12).fill(1));
    assertEquals(r.manifest.files.map((f) => f.padded), [...Array(12).keys()].map((i) => i < 6));
    const mean = await readNpy(join(r.out, "scaler_mean.npy"));
    assertEquals(mean.shape, [16]);
    const s = JSON.parse(await Deno.readTextFile(join(r.out, "scaler.json")));
    assertEquals([s.kind, s.std_rule], ["per-mel", "std floored at 0.000001"]);
    const r2 = await prepareDataset(base, { split: "seed", progress: false });
    // 12 clips, 6 per class: test ceil(2.4) = 3, then val ceil(0.25 · 9) = 3.
    assertEquals(SPLIT_NAMES.map((s) => r2.counts[s].files), [6, 3, 3]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
