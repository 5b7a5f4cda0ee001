import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { fixtureMp3, type FmaRow, fmaTracksCsv, makeFmaTree, put } from "./_dataset_trees.ts";
import { corruptFrames, truncateMp3 } from "../audio/_mp3_damage.ts";
import { UserError } from "../cli.ts";
import { drawPerGenre, FMA, FMA_GENRES, FMA_SEED, fmaConfig, listFma } from "./datasets_fma.ts";
import { readNpy } from "../npy.ts";
import { prepareDataset } from "../prepare/prepare.ts";
import { kerasTwoStepSplit } from "./split.ts";

const ROWS: FmaRow[] = [
  {
    trackId: 2,
    subset: "small",
    split: "training",
    genre: "Hip-Hop",
    artistId: 1,
    text: 'AWOL, "live"\nx',
  },
  { trackId: 5, subset: "small", split: "validation", genre: "Hip-Hop", artistId: 1 },
  { trackId: 10, subset: "small", split: "test", genre: "Pop", artistId: 6, text: "a,\r\nb" },
  { trackId: 140, subset: "small", split: "training", genre: "Folk", artistId: 54 },
  { trackId: 141, subset: "small", split: "training", genre: "Folk", artistId: 54 }, // no MP3
  { trackId: 148, subset: "large", split: "training", genre: "Experimental", artistId: 58 },
  { trackId: 182, subset: "small", split: "training", genre: "Blues", artistId: 60 },
  { trackId: 153452, subset: "small", split: "test", genre: "Rock" }, // no artist id
];

Deno.test("listFma: small tracks with split and artist group; bad rows and stray files reported", async () => {
  const root = await Deno.makeTempDir();
  try {
    await makeFmaTree(root, ROWS, [2, 5, 10, 140, 148, 182, 153452, 999999], 1);
    await Deno.writeTextFile(join(root, "fma_metadata/tracks.csv"), "abc,1\n", { append: true });
    await put(join(root, "fma_small/README.txt"), "FMA small");
    await put(join(root, "fma_small/000/notes.txt"), "x");
    await put(join(root, "fma_small/000/12.mp3"), "x");
    const l = await listFma(root);
    assertEquals(l.dataDir, root);
    assertEquals(l.labels, [...FMA_GENRES]);
    assertEquals(l.items, [
      { path: "fma_small/000/000002.mp3", label: 3, split: "train", group: "artist:1" },
      { path: "fma_small/000/000005.mp3", label: 3, split: "val", group: "artist:1" },
      { path: "fma_small/000/000010.mp3", label: 6, split: "test", group: "artist:6" },
      { path: "fma_small/000/000140.mp3", label: 2, split: "train", group: "artist:54" },
      { path: "fma_small/153/153452.mp3", label: 7, split: "test" },
    ]);
    assertEquals(l.skipped, [
      { path: "fma_metadata/tracks.csv (CSV record 12)", reason: "2 fields, the header has 53" },
      {
        path: "fma_small/000/000141.mp3",
        reason: "a small-subset track in tracks.csv, but its MP3 is missing",
      },
      {
        path: "fma_small/000/000148.mp3",
        reason: 'tracks.csv puts track 148 in subset "large", not small',
      },
      {
        path: "fma_small/000/000182.mp3",
        reason: 'tracks.csv gives genre_top "Blues", not one of the 8 FMA-small genres',
      },
      { path: "fma_small/000/12.mp3", reason: "not named <track_id, 6 digits>.mp3" },
      { path: "fma_small/000/notes.txt", reason: "not an .mp3 file" },
      { path: "fma_small/999/999999.mp3", reason: "not in tracks.csv" },
    ]);
    // the audio folder itself is accepted too
    assertEquals((await listFma(join(root, "fma_small/"))).items.length, 5);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("listFma: missing folders or metadata → UserError saying where things go", async () => {
  const root = await Deno.makeTempDir();
  try {
    await assertRejects(() => listFma(join(root, "nope")), UserError, "fma_small/<000-155>");
    await Deno.mkdir(join(root, "fma_small/000"), { recursive: true });
    await assertRejects(() => listFma(root), UserError, "tracks.csv is missing");
    await makeFmaTree(root, ROWS, []);
    await assertRejects(() => listFma(root), UserError, "no usable FMA-small track");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("seed protocol: 40 per genre drawn reproducibly by seed; 320 → 192/64/64", () => {
  const items = Array.from({ length: 8000 }, (_, i) => ({
    path: `fma_small/${String(i).padStart(6, "0")}.mp3`,
    label: i % 8,
  }));
  const a = drawPerGenre(items, 42);
  assertEquals(a.length, 320);
  for (let c = 0; c < 8; c++) assertEquals(a.filter((i) => i.label === c).length, 40);
  assertEquals(a.map((i) => i.path), [...a.map((i) => i.path)].sort());
  assertEquals(drawPerGenre([...items].reverse(), 42), a); // input order does not matter
  assert(drawPerGenre(items, 7).some((it, k) => it.path !== a[k]!.path));
  const parts = kerasTwoStepSplit(a.map((i) => i.label), { test: 0.2, val: 0.25, seed: 42 });
  assertEquals(["train", "val", "test"].map((s) => parts.filter((p) => p === s).length), [
    192,
    64,
    64,
  ]);
  assertEquals(drawPerGenre(items.slice(0, 24), 42).length, 24); // fewer than 40: all of them
});

Deno.test("fmaConfig: protocols, frames 128/129, output folders", () => {
  assertEquals(Object.keys(FMA.splits), ["official"]);
  assertEquals(FMA.splits.official!.kind, "given");
  assertEquals(FMA_SEED.splits.seed, { kind: "keras-two-step", test: 0.2, val: 0.25 });
  assertEquals([FMA.features.frames, FMA.features.maxSeconds, FMA.features.segmentSamples], [
    128,
    30,
    65488,
  ]);
  const c = fmaConfig({ protocol: "seed", padFrames: 129, seed: 3 });
  assertEquals([c.features.frames, c.processedRoot], [129, "data/processed/fma_pad129"]);
  assert(c.description.includes("seed 3"));
  assertThrows(() => fmaConfig({ padFrames: 130 as 129 }), RangeError);
});

Deno.test("FMA setup end to end: MP3 → 128×128 / 128×129 segments; corrupt and short MP3s skipped", async () => {
  const root = await Deno.makeTempDir();
  try {
    const rows: FmaRow[] = [
      { trackId: 2, subset: "small", split: "training", genre: "Hip-Hop", artistId: 1 },
      { trackId: 3, subset: "small", split: "training", genre: "Pop", artistId: 2 },
      { trackId: 4, subset: "small", split: "training", genre: "Pop", artistId: 3 }, // garbage
      { trackId: 5, subset: "small", split: "validation", genre: "Hip-Hop", artistId: 4 },
      { trackId: 6, subset: "small", split: "test", genre: "Pop", artistId: 5 }, // 2 s: too short
      { trackId: 7, subset: "small", split: "test", genre: "Hip-Hop", artistId: 6 },
    ];
    await makeFmaTree(join(root, "fma"), rows, [2, 3, 5, 7]);
    await makeFmaTree(join(root, "short"), [], [6], 1);
    await Deno.rename(
      join(root, "short/fma_small/000/000006.mp3"),
      join(root, "fma/fma_small/000/000006.mp3"),
    );
    await put(join(root, "fma/fma_small/000/000004.mp3"), new Uint8Array(3000).fill(0x55));
    for (const padFrames of [128, 129] as const) {
      const out = join(root, `out${padFrames}`);
      const r = await prepareDataset(fmaConfig({ padFrames }), {
        dataDir: join(root, "fma"),
        out,
        workers: padFrames === 128 ? 1 : 0,
        progress: false,
        warn: () => {},
      });
      assertEquals(r.counts, {
        train: { files: 2, examples: 2 },
        val: { files: 1, examples: 1 },
        test: { files: 1, examples: 1 },
      });
      const X = await readNpy(join(out, "X_train.npy"));
      assertEquals(X.shape, [2, 128, padFrames, 1]);
      assertEquals(Array.from((await readNpy(join(out, "y_train.npy"))).data as Int32Array), [
        3,
        6,
      ]);
      assertEquals((await readNpy(join(out, "X_test.npy"))).shape, [1, 128, padFrames, 1]);
      const m = r.manifest;
      assertEquals(m.split.kind, "given");
      assertEquals(m.skipped.map((s) => s.path), [
        "fma_small/000/000004.mp3",
        "fma_small/000/000006.mp3",
      ]);
      assert(/too short/.test(m.skipped[1]!.reason), m.skipped[1]!.reason);
      assertEquals(m.files.find((f) => f.path.endsWith("000002.mp3"))!.source_rate, 44100);
      if (padFrames === 129) {
        // the original's extra column: 0 dB in every segment, so 0 after scaling
        const x = X.data as Float32Array;
        for (let k = 128; k < x.length; k += 129) assertEquals(x[k], 0);
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("FMA setup: damaged MP3s read as far as they go; artists recorded and checked across parts", async () => {
  const root = await Deno.makeTempDir();
  try {
    // 8 tracks, artists 1-4 each in one official part; track 9 (artist 1) breaks the promise
    const rows: FmaRow[] = [
      { trackId: 2, subset: "small", split: "training", genre: "Rock", artistId: 1 },
      { trackId: 3, subset: "small", split: "training", genre: "Rock", artistId: 1 },
      { trackId: 4, subset: "small", split: "training", genre: "Folk", artistId: 2 },
      { trackId: 5, subset: "small", split: "training", genre: "Folk" }, // no artist id
      { trackId: 6, subset: "small", split: "validation", genre: "Rock", artistId: 3 },
      { trackId: 7, subset: "small", split: "test", genre: "Folk", artistId: 4 },
      { trackId: 8, subset: "small", split: "test", genre: "Rock", artistId: 4 },
    ];
    const data = join(root, "fma");
    await makeFmaTree(data, rows, [2, 3, 4, 5, 6, 7, 8]);
    const mp3 = await fixtureMp3(2); // 4.07 s: one 2.97 s segment
    await put(join(data, "fma_small/000/000003.mp3"), corruptFrames(mp3, 60, 2));
    await put(join(data, "fma_small/000/000004.mp3"), truncateMp3(mp3, 140)); // 3.66 s: 1 segment
    await put(join(data, "fma_small/000/000007.mp3"), truncateMp3(mp3, 50)); // 1.3 s: none
    const run = async (config: ReturnType<typeof fmaConfig>, out: string) =>
      await prepareDataset(config, {
        dataDir: data,
        out: join(root, out),
        workers: 0,
        progress: false,
        warn: () => {},
      });
    const r = await run(FMA, "official");
    const m = r.manifest;
    const file = (id: number) => m.files.find((f) => f.path.endsWith(`/00000${id}.mp3`))!;
    assertEquals(m.files.map((f) => f.group), [
      "artist:1",
      "artist:1",
      "artist:2",
      undefined,
      "artist:3",
      "artist:4",
      "artist:4",
    ]);
    // damaged but usable: in the arrays, with the note; too short once cut: skipped, with the note
    assertEquals([file(3).status, file(3).examples, file(3).bad_frames], ["ok", 1, 2]);
    assertEquals(file(3).note, "decoded with 2 bad frames");
    assertEquals([file(4).status, file(4).examples, file(4).truncated], ["ok", 1, true]);
    assertEquals(file(4).note, "truncated at 3.7 s");
    assertEquals([file(7).status, file(7).truncated, file(7).note], [
      "skipped",
      true,
      "truncated at 1.3 s",
    ]);
    assert(
      file(7).reason!.startsWith("truncated at 1.3 s: too short for one example"),
      file(7).reason,
    );
    assertEquals(r.counts, {
      train: { files: 4, examples: 4 },
      val: { files: 1, examples: 1 },
      test: { files: 1, examples: 1 },
    });
    assertEquals(m.grouping!.disjoint, true);
    assertEquals([m.grouping!.groups, m.grouping!.files_without_group], [4, 1]);
    assert(m.grouping!.note.startsWith("held: no artist has files in two parts"));

    // the same artist in training and test: said so in the manifest, with the artist
    const leaky = [...rows, {
      trackId: 9,
      subset: "small",
      split: "test",
      genre: "Rock",
      artistId: 1,
    }];
    await put(join(data, "fma_metadata/tracks.csv"), fmaTracksCsv(leaky));
    await put(join(data, "fma_small/000/000009.mp3"), mp3);
    const l = (await run(FMA, "official2")).manifest.grouping!;
    assertEquals([l.disjoint, l.shared_count], [false, 1]);
    assertEquals(l.shared, [{ group: "artist:1", files: { train: 2, test: 1 } }]);
    assert(l.note.includes("artist:1 in train and test"), l.note);
    // the seed protocol (its own random split) records the artists and the check too
    const seed = (await run(FMA_SEED, "seed")).manifest;
    assertEquals(seed.grouping!.key, "artist");
    assertEquals(seed.files.find((f) => f.path.endsWith("000006.mp3"))!.group, "artist:3");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
