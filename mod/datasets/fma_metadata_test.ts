import { join } from "node:path";
import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { fmaTracksCsv, put } from "./_dataset_trees.ts";
import { UserError } from "../cli.ts";
import { fmaAudioPath, readFmaTracks } from "./fma_metadata.ts";

Deno.test("readFmaTracks: pandas two-level header, quoted fields with commas, quotes, newlines", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tricky = 'Live at "The Hall", 2009\r\nside A,\nside B ""x""';
    const csv = fmaTracksCsv([
      {
        trackId: 2,
        subset: "small",
        split: "training",
        genre: "Hip-Hop",
        artistId: 1,
        text: tricky,
      },
      { trackId: 140, subset: "large", split: "validation", genre: "", text: "a,b" },
      { trackId: 153452, subset: "small", split: "test", genre: "International" },
    ]) + "x17,bad\n" + // wrong field count
      fmaTracksCsv([{ trackId: 2, subset: "small", split: "test", genre: "Pop" }])
        .split("\n").slice(3).join("\n"); // track 2 again
    await put(join(dir, "tracks.csv"), csv);
    const { tracks, problems } = await readFmaTracks(join(dir, "tracks.csv"));
    assertEquals(tracks, [
      { trackId: 2, subset: "small", split: "training", genreTop: "Hip-Hop", artistId: "1" },
      { trackId: 140, subset: "large", split: "validation", genreTop: "", artistId: null },
      {
        trackId: 153452,
        subset: "small",
        split: "test",
        genreTop: "International",
        artistId: null,
      },
    ]);
    assertEquals(problems, [
      { record: 7, reason: "2 fields, the header has 53" },
      { record: 8, reason: "track_id 2 appears twice" },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readFmaTracks: missing file, flat header, missing column, bad quote → UserError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const p = join(dir, "tracks.csv");
    await assertRejects(() => readFmaTracks(p), UserError, "not found");
    await put(p, "track_id,genre_top\n2,Rock\n3,Pop\n4,Pop\n");
    await assertRejects(() => readFmaTracks(p), UserError, "two-level pandas header");
    await put(p, fmaTracksCsv([]).replace(",genre_top,", ",genre_tip,"));
    await assertRejects(() => readFmaTracks(p), UserError, "no column (track, genre_top)");
    await put(
      p,
      fmaTracksCsv([{ trackId: 2, subset: "small", split: "test", genre: "Pop" }]) +
        '3,"unterminated\n',
    );
    await assertRejects(() => readFmaTracks(p), UserError, "unterminated quoted field");
    await put(p, ",album\n");
    await assertRejects(() => readFmaTracks(p), UserError, "only 1 of the 3 header rows");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fmaAudioPath: 6-digit id in a folder of its first 3 digits", () => {
  assertEquals(fmaAudioPath(2), "000/000002.mp3");
  assertEquals(fmaAudioPath(155066), "155/155066.mp3");
  assertThrows(() => fmaAudioPath(1.5), RangeError);
  assertThrows(() => fmaAudioPath(1e6), RangeError);
});
