/**
 * FMA's `fma_metadata/tracks.csv` (Defferrard et al., ISMIR 2017), reduced to what the setup
 * needs: each track's subset, official split, top genre and artist.
 *
 * The file is what pandas writes for a frame with two-level columns and a named index:
 *
 * ```text
 * ,album,album,…,artist,…,set,set,track,…        ← column groups
 * ,comments,date_created,…,id,…,split,subset,…   ← fields
 * track_id,,,,…                                  ← the index name, nothing else
 * 2,0,2008-11-26 01:44:45,…                      ← data: the track id, then the fields
 * ```
 *
 * Fields can be quoted and hold commas, quotes and line breaks (bios, titles). The real file is
 * about 256 MB with 106,574 tracks, so it is streamed ({@linkcode csvRecords}) and only five
 * columns are kept. Columns are found by their (group, field) names, not by position.
 *
 * @module
 */
import { csvRecords, CsvSyntaxError } from "./csv.ts";
import { UserError } from "../cli.ts";

/** One track of `tracks.csv`, reduced to the columns the setup uses. */
export interface FmaTrack {
  /** The index column `track_id`. */
  trackId: number;
  /** (`set`, `subset`): the smallest subset holding the track: `small`, `medium` or `large`. */
  subset: string;
  /** (`set`, `split`): the official artist-aware split, `training`, `validation` or `test`. */
  split: string;
  /** (`track`, `genre_top`): the track's top-level genre, empty when it has none. */
  genreTop: string;
  /** (`artist`, `id`), or null when the column is absent or the field empty. */
  artistId: string | null;
}

/** A data row that could not be used, with the reason (not fatal). */
export interface FmaRowProblem {
  /** 1-based CSV record number (the three header records are 1 to 3; line numbers differ when
   * fields hold line breaks). */
  record: number;
  reason: string;
}

/** What {@linkcode readFmaTracks} returns. */
export interface FmaTracks {
  /** Tracks in file order. */
  tracks: FmaTrack[];
  /** Data rows skipped (bad track id, wrong field count, duplicate id). */
  problems: FmaRowProblem[];
}

/** The (group, field) columns read, and whether each is required. */
const COLUMNS = {
  subset: ["set", "subset", true],
  split: ["set", "split", true],
  genreTop: ["track", "genre_top", true],
  artistId: ["artist", "id", false],
} as const;

/** Short repeated values (genres, splits) as one string each. */
class Interner {
  #seen = new Map<string, string>();
  get(s: string): string {
    let v = this.#seen.get(s);
    if (v === undefined) {
      v = s.length > 12 ? [...s].join("") : s; // a copy, not a slice pinning the file chunk
      this.#seen.set(v, v);
    }
    return v;
  }
}

function headerError(path: string, what: string): UserError {
  return new UserError(
    `${path}: ${what}. Expected FMA's tracks.csv as pandas writes it: a row of column groups ` +
      `(album, artist, set, track), a row of field names, a row holding only "track_id", then ` +
      `one row per track (fma_metadata.zip from https://github.com/mdeff/fma)`,
  );
}

/**
 * Reads FMA's `tracks.csv` (streamed; see the module notes). Throws a {@linkcode UserError}
 * naming the file when it is missing, malformed CSV, or lacks the two-level header or one of the
 * columns (`set`,`subset`), (`set`,`split`), (`track`,`genre_top`). Bad data rows are returned in
 * `problems`, not thrown.
 *
 * @example
 * ```ts ignore
 * import { readFmaTracks } from "./fma_metadata.ts";
 * const { tracks } = await readFmaTracks("data/fma/fma_metadata/tracks.csv");
 * const small = tracks.filter((t) => t.subset === "small"); // 8000
 * ```
 */
export async function readFmaTracks(path: string): Promise<FmaTracks> {
  const tracks: FmaTrack[] = [];
  const problems: FmaRowProblem[] = [];
  const seen = new Set<number>();
  const intern = new Interner();
  const header: string[][] = [];
  let index: Record<keyof typeof COLUMNS, number> | null = null;
  let width = 0;
  let record = 0;
  try {
    for await (const fields of csvRecords(path)) {
      record++;
      if (record <= 3) {
        header.push(fields);
        if (record === 3) {
          const [groups, names, indexRow] = header as [string[], string[], string[]];
          width = groups.length;
          if (names.length !== width || indexRow[0] !== "track_id") {
            throw headerError(path, "the first three rows are not a two-level pandas header");
          }
          const find = (g: string, f: string): number => {
            for (let i = 1; i < width; i++) if (groups[i] === g && names[i] === f) return i;
            return -1;
          };
          const found = {} as Record<keyof typeof COLUMNS, number>;
          for (const [key, [g, f, required]] of Object.entries(COLUMNS)) {
            const i = find(g, f);
            if (i < 0 && required) throw headerError(path, `no column (${g}, ${f})`);
            found[key as keyof typeof COLUMNS] = i;
          }
          index = found;
        }
        continue;
      }
      const col = index!;
      if (fields.length !== width) {
        problems.push({ record, reason: `${fields.length} fields, the header has ${width}` });
        continue;
      }
      const id = fields[0]!;
      if (!/^\d+$/.test(id)) {
        problems.push({ record, reason: `track_id "${id.slice(0, 40)}" is not a number` });
        continue;
      }
      const trackId = Number(id);
      if (seen.has(trackId)) {
        problems.push({ record, reason: `track_id ${trackId} appears twice` });
        continue;
      }
      seen.add(trackId);
      const artist = col.artistId >= 0 ? fields[col.artistId]! : "";
      tracks.push({
        trackId,
        subset: intern.get(fields[col.subset]!),
        split: intern.get(fields[col.split]!),
        genreTop: intern.get(fields[col.genreTop]!),
        artistId: artist === "" ? null : intern.get(artist),
      });
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new UserError(`${path}: file not found`);
    if (e instanceof CsvSyntaxError) throw new UserError(`${path}: ${e.message}`);
    if (e instanceof TypeError && /encoded data|decode/i.test(e.message)) {
      throw new UserError(`${path}: not UTF-8 text`);
    }
    throw e;
  }
  if (record < 3) throw headerError(path, `only ${record} of the 3 header rows`);
  return { tracks, problems };
}

/**
 * Where FMA keeps a track's audio, relative to the audio folder: the 6-digit zero-padded id in a
 * folder named by its first three digits (`2` → `000/000002.mp3`).
 *
 * @example
 * ```ts
 * import { fmaAudioPath } from "./fma_metadata.ts";
 * fmaAudioPath(2); // "000/000002.mp3"
 * fmaAudioPath(155066); // "155/155066.mp3"
 * ```
 */
export function fmaAudioPath(trackId: number): string {
  if (!Number.isInteger(trackId) || trackId < 0 || trackId > 999999) {
    throw new RangeError(`track id ${trackId} is not an integer in 0..999999`);
  }
  const id = String(trackId).padStart(6, "0");
  return `${id.slice(0, 3)}/${id}.mp3`;
}
