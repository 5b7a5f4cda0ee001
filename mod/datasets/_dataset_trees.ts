/**
 * Test helpers: small generated trees in the exact published layouts of FMA-small, the Indian
 * music genres and the tabla taalas, with a `tracks.csv` in pandas' two-level format. Audio is a
 * class-dependent signal (`_prepare_testutil.ts` `clip`) as 16-bit WAV, or, for FMA, MPEG frames
 * of the project's own CC0 fixture `testdata/audio/tone_1khz_44100_stereo.mp3` repeated. Private
 * to the tests.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { clip, wav16 } from "./_testutil.ts";
import { fmaAudioPath } from "./fma_metadata.ts";

/** The columns of FMA's real `tracks.csv`, in its order: (group, field). */
export const FMA_TRACKS_COLUMNS: readonly (readonly [string, string])[] = [
  ...[
    "comments",
    "date_created",
    "date_released",
    "engineer",
    "favorites",
    "id",
    "information",
    "listens",
    "producer",
    "tags",
    "title",
    "tracks",
    "type",
  ].map((f) => ["album", f] as const),
  ...[
    "active_year_begin",
    "active_year_end",
    "associated_labels",
    "bio",
    "comments",
    "date_created",
    "favorites",
    "id",
    "latitude",
    "location",
    "longitude",
    "members",
    "name",
    "related_projects",
    "tags",
    "website",
    "wikipedia_page",
  ].map((f) => ["artist", f] as const),
  ["set", "split"],
  ["set", "subset"],
  ...[
    "bit_rate",
    "comments",
    "composer",
    "date_created",
    "date_recorded",
    "duration",
    "favorites",
    "genre_top",
    "genres",
    "genres_all",
    "information",
    "interest",
    "language_code",
    "license",
    "listens",
    "lyricist",
    "number",
    "publisher",
    "tags",
    "title",
  ].map((f) => ["track", f] as const),
];

/** One generated `tracks.csv` row. */
export interface FmaRow {
  trackId: number;
  subset: string;
  split: string;
  genre: string;
  artistId?: number;
  /** Written into (track, title) and (artist, bio): quotes, commas and line breaks welcome. */
  text?: string;
}

/** RFC 4180 field quoting, as pandas' `to_csv` does it. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** `tracks.csv` text for `rows`, with FMA's real header (three rows, pandas two-level). */
export function fmaTracksCsv(rows: readonly FmaRow[]): string {
  const cols = FMA_TRACKS_COLUMNS;
  const lines = [
    ["", ...cols.map((c) => c[0])],
    ["", ...cols.map((c) => c[1])],
    ["track_id", ...cols.map(() => "")],
  ];
  for (const r of rows) {
    lines.push([
      String(r.trackId),
      ...cols.map(([g, f]) => {
        if (g === "set") return f === "split" ? r.split : r.subset;
        if (g === "track" && f === "genre_top") return r.genre;
        if (g === "artist" && f === "id") return r.artistId === undefined ? "" : `${r.artistId}`;
        if ((g === "track" && f === "title") || (g === "artist" && f === "bio")) {
          return r.text ?? "";
        }
        if (f === "date_created") return "2008-11-26 01:44:45";
        if (f === "tags") return "['indie', 'lo-fi']";
        return "";
      }),
    ]);
  }
  return lines.map((l) => l.map(csvField).join(",")).join("\n") + "\n";
}

/** The fixture MP3's audio frames (its first frame, the LAME/Info tag, dropped). */
async function fixtureFrames(): Promise<Uint8Array> {
  const url = new URL("../audio/testdata/audio/tone_1khz_44100_stereo.mp3", import.meta.url);
  const b = await Deno.readFile(url);
  // MPEG-1 Layer III frame length: 144 · bitrate / rate + padding (44.1 kHz here).
  const kbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320][b[2]! >> 4]!;
  const first = Math.floor((144 * kbps * 1000) / 44100) + ((b[2]! >> 1) & 1);
  if (b[first] !== 0xff) throw new Error("fixture: unexpected MP3 frame layout");
  return b.subarray(first);
}

/**
 * An MP3 of about `2 × copies` seconds (44.1 kHz stereo, 1 kHz tone): the CC0 fixture's frames
 * repeated, without the LAME tag (so the decoder trims nothing). Two copies decode to 4.07 s.
 */
export async function fixtureMp3(copies: number): Promise<Uint8Array> {
  const frames = await fixtureFrames();
  const out = new Uint8Array(frames.length * copies);
  for (let i = 0; i < copies; i++) out.set(frames, i * frames.length);
  return out;
}

/** Writes `bytes` to `path`, creating folders. */
export async function put(path: string, bytes: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  if (typeof bytes === "string") await Deno.writeTextFile(path, bytes);
  else await Deno.writeFile(path, bytes);
}

/**
 * An FMA tree under `root`: `fma_metadata/tracks.csv` from `rows`, and
 * `fma_small/<nnn>/<id>.mp3` for every track in `audio` (an MP3 of `mp3Copies` × 2 s).
 */
export async function makeFmaTree(
  root: string,
  rows: readonly FmaRow[],
  audio: readonly number[],
  mp3Copies = 2,
): Promise<void> {
  await put(join(root, "fma_metadata", "tracks.csv"), fmaTracksCsv(rows));
  const mp3 = await fixtureMp3(mp3Copies);
  for (const id of audio) await put(join(root, "fma_small", fmaAudioPath(id)), mp3);
}

/** A mono 22,050 Hz 16-bit WAV of `seconds` whose spectrum depends on `label`. */
export function wavClip(label: number, index: number, seconds: number): Uint8Array {
  return wav16(clip(label, index, Math.round(seconds * 22050), 22050), 22050);
}
