import { dirname, join } from "node:path";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { UserError } from "../cli.ts";
import { DEMO, GTZAN, gtzanMissingMessage, listGtzan } from "./datasets.ts";
import { featureShape } from "../features/features.ts";
import { AUDIO_EXTENSIONS } from "../audio/audio.ts";
import { makeGenreTree } from "./_testutil.ts";
import { prepareDataset } from "../prepare/prepare.ts";

const GENRES = ["rock", "blues", "jazz"]; // written unsorted: labels must come out sorted

Deno.test("listGtzan: original .au layout, sorted genres and files, odd files reported", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = join(root, "genres");
    await makeGenreTree(dir, { genres: GENRES, perGenre: 2, samples: 10, format: "au" });
    await Deno.writeTextFile(join(dir, "input.mf"), "x");
    await Deno.writeTextFile(join(dir, "jazz", "notes.txt"), "x");
    await Deno.writeTextFile(join(dir, "jazz", "._jazz.00000.au"), "mac fork");
    await Deno.mkdir(join(dir, "empty"));
    const l = await listGtzan(dir);
    assertEquals(l.labels, ["blues", "jazz", "rock"]);
    assertEquals(l.layout, "original <genre>/<genre>.<nnnnn>.au");
    assertEquals(l.items.map((i) => [i.path, i.label]), [
      ["blues/blues.00000.au", 0],
      ["blues/blues.00001.au", 0],
      ["jazz/jazz.00000.au", 1],
      ["jazz/jazz.00001.au", 1],
      ["rock/rock.00000.au", 2],
      ["rock/rock.00001.au", 2],
    ]);
    assertEquals(l.skipped, [
      { path: "empty/", reason: `holds no audio file (readable: ${AUDIO_EXTENSIONS.join(" ")})` },
      { path: "input.mf", reason: "not inside a class folder" },
      {
        path: "jazz/notes.txt",
        reason: `not an audio file (readable: ${AUDIO_EXTENSIONS.join(" ")})`,
      },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("listGtzan: Kaggle genres_original .wav layout, found from genres or the parent", async () => {
  const root = await Deno.makeTempDir();
  try {
    await makeGenreTree(join(root, "genres_original"), {
      genres: GENRES,
      perGenre: 1,
      samples: 10,
      format: "wav",
    });
    for (const given of [join(root, "genres"), root, join(root, "genres_original")]) {
      const l = await listGtzan(given);
      assertEquals(l.dataDir, join(root, "genres_original"));
      assertEquals(l.layout, "<genre>/<genre>.<nnnnn>.wav (Kaggle genres_original layout)");
      assertEquals(l.items.map((i) => i.path), [
        "blues/blues.00000.wav",
        "jazz/jazz.00000.wav",
        "rock/rock.00000.wav",
      ]);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("listGtzan and the demo: every readable format in a genre folder is listed (MP3 too), others skipped", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = join(root, "genres");
    await makeGenreTree(dir, {
      genres: ["blues", "jazz"],
      perGenre: 1,
      samples: 10,
      format: "wav",
    });
    const mp3 = await Deno.readFile(
      new URL("../audio/testdata/audio/tone_440hz_22050_mono.mp3", import.meta.url),
    );
    await Deno.writeFile(join(dir, "blues", "blues.00001.mp3"), mp3);
    await Deno.writeFile(join(dir, "jazz", "jazz.00001.MP3"), mp3);
    await Deno.writeFile(join(dir, "jazz", "jazz.00002.snd"), new Uint8Array(30));
    await Deno.writeFile(join(dir, "jazz", "jazz.00003.flac"), new Uint8Array(30));
    await Deno.mkdir(join(dir, "pop"));
    await Deno.writeFile(join(dir, "pop", "pop.00000.mp3"), mp3); // a folder of MP3s only
    for (const list of [listGtzan, DEMO.listFiles]) {
      const l = await list(dir);
      assertEquals(l.labels, ["blues", "jazz", "pop"]);
      assertEquals(l.items.map((i) => [i.path, i.label]), [
        ["blues/blues.00000.wav", 0],
        ["blues/blues.00001.mp3", 0],
        ["jazz/jazz.00000.wav", 1],
        ["jazz/jazz.00001.MP3", 1],
        ["jazz/jazz.00002.snd", 1],
        ["pop/pop.00000.mp3", 2],
      ]);
      assertEquals(l.skipped, [{
        path: "jazz/jazz.00003.flac",
        reason: `not an audio file (readable: ${AUDIO_EXTENSIONS.join(" ")})`,
      }]);
    }
    assertEquals((await listGtzan(dir)).layout, "mixed <genre>/<genre>.<nnnnn>.{mp3,snd,wav}");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("listGtzan: missing or empty data dir → UserError naming place and layouts", async () => {
  const root = await Deno.makeTempDir();
  try {
    const missing = join(root, "nope", "genres");
    const e = await assertRejects(() => listGtzan(missing), UserError, missing);
    for (const part of ["<genre>/<genre>.<nnnnn>.au", "genres_original", "data:get gtzan"]) {
      assertEquals(e.message.includes(part), true, `message mentions ${part}`);
    }
    await Deno.mkdir(join(root, "genres", "blues"), { recursive: true });
    await assertRejects(() => listGtzan(join(root, "genres")), UserError, "no GTZAN audio");
    assertEquals(gtzanMissingMessage("x").startsWith("no GTZAN audio found in x."), true);
    await assertRejects(() => DEMO.listFiles(join(root, "none")), UserError, "demo:data");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("GTZAN and demo configs: defaults and protocols", () => {
  assertEquals(GTZAN.defaultDataDir, "data/gtzan/genres");
  assertEquals(Object.keys(GTZAN.splits), ["random", "fault-filtered"]);
  assertEquals(GTZAN.scaler, "per-position");
  // The demo keeps GTZAN's segments and window, with 32×32 images (1 + 65488 // 2048 = 32).
  assertEquals({ ...DEMO.features, nMels: 128, hop: 512, frames: 128 }, { ...GTZAN.features });
  assertEquals(featureShape(DEMO.features), [32, 32]);
  assertEquals(DEMO.defaultDataDir, "data/demo/genres");
});

/** Writes `text` to `path`, creating its folder. */
async function write(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("listGtzan: the Kaggle archive as extracted (Data/genres_original/ beside images and CSVs, __MACOSX, ._ forks)", async () => {
  const root = await Deno.makeTempDir();
  try {
    const audio = join(root, "Data", "genres_original");
    await makeGenreTree(audio, { genres: GENRES, perGenre: 2, samples: 10, format: "wav" });
    await write(join(root, "Data", "images_original", "jazz", "jazz00000.png"), "png");
    await write(join(root, "Data", "features_30_sec.csv"), "filename,label\n");
    await write(join(root, "__MACOSX", "Data", "genres_original", "jazz", "._jazz.00000.wav"), "x");
    await write(join(audio, "jazz", "._jazz.00001.wav"), "AppleDouble");
    await write(join(audio, ".DS_Store"), "x");
    await write(join(audio, "rock", "Thumbs.db"), "x");
    for (const given of [root, join(root, "Data"), audio]) {
      const l = await listGtzan(given);
      assertEquals(l.dataDir, audio);
      assertEquals(l.labels, ["blues", "jazz", "rock"]);
      assertEquals(l.items.length, 6);
      assertEquals(l.skipped, []); // hidden and system files are not reported
      assertEquals(l.warnings, undefined);
    }
    // the default data/gtzan/genres, missing, with the archive extracted beside it
    const l = await listGtzan(join(root, "genres"));
    assertEquals(l.dataDir, audio);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("listGtzan: .au and .wav side by side (one per track); the same track twice names both", async () => {
  const root = await Deno.makeTempDir();
  try {
    await makeGenreTree(root, { genres: GENRES, perGenre: 2, samples: 10, format: "au" });
    await makeGenreTree(root, {
      genres: GENRES,
      perGenre: 2,
      samples: 10,
      format: "wav",
      firstIndex: 2,
    });
    const l = await listGtzan(root);
    assertEquals(l.layout, "mixed <genre>/<genre>.<nnnnn>.{au,wav}");
    assertEquals(l.items.slice(0, 4).map((i) => i.path), [
      "blues/blues.00000.au",
      "blues/blues.00001.au",
      "blues/blues.00002.wav",
      "blues/blues.00003.wav",
    ]);
    await Deno.copyFile(join(root, "jazz/jazz.00001.au"), join(root, "jazz/jazz.00001.wav"));
    await Deno.copyFile(join(root, "rock/rock.00002.wav"), join(root, "rock/rock.00002.AU"));
    const e = await assertRejects(() => listGtzan(root), UserError, "the same GTZAN track twice");
    assert(
      e.message.includes("jazz/jazz.00001.au and jazz/jazz.00001.wav (and 1 more tracks)"),
      e.message,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("listGtzan: genres/ (.au) and genres_original/ (.wav) both present: the original, with a warning", async () => {
  const root = await Deno.makeTempDir();
  try {
    await makeGenreTree(join(root, "genres"), {
      genres: GENRES,
      perGenre: 1,
      samples: 10,
      format: "au",
    });
    await makeGenreTree(join(root, "genres_original"), {
      genres: GENRES,
      perGenre: 1,
      samples: 10,
      format: "wav",
    });
    const l = await listGtzan(root);
    assertEquals([l.dataDir, l.layout], [
      join(root, "genres"),
      "original <genre>/<genre>.<nnnnn>.au",
    ]);
    assertEquals(l.warnings?.length, 1);
    assert(l.warnings![0]!.includes("several GTZAN trees"), l.warnings![0]);
    // a genre whose clips sit one folder deeper is read too
    await Deno.mkdir(join(root, "genres_original", "jazz", "jazz"));
    await Deno.rename(
      join(root, "genres_original", "jazz", "jazz.00000.wav"),
      join(root, "genres_original", "jazz", "jazz", "jazz.00000.wav"),
    );
    const n = await listGtzan(join(root, "genres_original"));
    assertEquals(n.items.map((i) => i.path)[1], "jazz/jazz/jazz.00000.wav");
    assert(n.layout.endsWith("audio one folder below the genre folder for jazz"), n.layout);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("GTZAN setup on the Kaggle archive's layout: the corrupt clip listed, forks not, arrays counted", async () => {
  const root = await Deno.makeTempDir();
  try {
    const audio = join(root, "Data", "genres_original");
    await makeGenreTree(audio, { genres: GENRES, perGenre: 5, samples: 66150, format: "wav" });
    await Deno.writeFile(join(audio, "jazz", "jazz.00054.wav"), new Uint8Array(100)); // as Kaggle's
    await write(join(audio, "jazz", "._jazz.00000.wav"), "AppleDouble");
    await write(join(root, "__MACOSX", "Data", "genres_original", "rock", "._rock.00000.wav"), "x");
    const r = await prepareDataset(GTZAN, {
      dataDir: root,
      out: join(root, "out"),
      workers: 0,
      progress: false,
      warn: () => {},
    });
    const m = r.manifest;
    assertEquals(m.dataset.data_dir, audio);
    assertEquals(m.files.length, 16);
    assertEquals(m.skipped.map((s) => s.path), ["jazz/jazz.00054.wav"]);
    // 5 + 6 + 5 clips → 3/1/1, 4/1/1, 3/1/1 (largest remainder); the corrupt one is in one part
    const bad = m.files.find((f) => f.path === "jazz/jazz.00054.wav")!;
    const files = { train: 10, val: 3, test: 3 };
    files[bad.split!]--;
    for (const s of ["train", "val", "test"] as const) {
      assertEquals(r.counts[s], { files: files[s], examples: files[s] });
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
