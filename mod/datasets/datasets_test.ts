import { join } from "node:path";
import { assertEquals, assertRejects } from "../_assert.ts";
import { UserError } from "../cli.ts";
import { DEMO, GTZAN, gtzanMissingMessage, listGtzan } from "./datasets.ts";
import { featureShape } from "../features/features.ts";
import { AUDIO_EXTENSIONS } from "../audio/audio.ts";
import { makeGenreTree } from "./_testutil.ts";

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
