/**
 * FMA-small (Defferrard et al., ISMIR 2017) as a {@linkcode DatasetConfig}: 8,000 tracks of 30 s,
 * 8 balanced top genres, MP3 at 44.1 kHz, with an official artist-aware split.
 *
 * Layout (what `deno task data:get fma` extracts):
 *
 * ```text
 * data/fma/fma_small/<000-155>/<track_id, 6 digits>.mp3
 * data/fma/fma_metadata/tracks.csv
 * ```
 *
 * Labels are (`track`, `genre_top`); a track belongs to the small subset when (`set`, `subset`)
 * is `small`. Two protocols:
 *
 * - `official`: every small track, in its (`set`, `split`) part (`training` / `validation` /
 *   `test` → train / val / test), grouped by artist (`artist`, `id`); the setup verifies that no
 *   artist is in two parts and says in `manifest.json` (`grouping`) whether that held;
 * - `seed`: the original's 40 tracks per genre, split 80/20 then 75/25 (192/64/64). The 40 are
 *   drawn reproducibly: each genre's usable tracks (audio present) sorted by track id, shuffled
 *   with `new Rng(seed).derive("fma-seed-40")` (genres in label order, one shuffle each), the
 *   first 40 kept. The original's own draw is not published, so the members differ from it.
 *
 * Features are GTZAN's 10 × 2.97 s segments on the first 30 s (`FMA_FEATURES`); `padFrames: 129`
 * appends the original's extra 0 dB column.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { UserError } from "../cli.ts";
import type { DatasetConfig, DatasetItem, DatasetListing, ListingSkip } from "./config.ts";
import { FMA_FEATURES } from "../features/features.ts";
import { fmaAudioPath, type FmaTrack, readFmaTracks } from "./fma_metadata.ts";
import { compareCodePoints } from "../fs.ts";
import { isHiddenName } from "./class_folders.ts";
import { Rng } from "../rng.ts";
import type { SplitName } from "./split.ts";

/** FMA-small's 8 top genres, in label order. */
export const FMA_GENRES: readonly string[] = Object.freeze([
  "Electronic",
  "Experimental",
  "Folk",
  "Hip-Hop",
  "Instrumental",
  "International",
  "Pop",
  "Rock",
]);

/** Tracks per genre in the `seed` protocol. */
export const FMA_SEED_PER_GENRE = 40;

const SPLITS: Record<string, SplitName> = { training: "train", validation: "val", test: "test" };

/** Where FMA's parts are, relative to its root folder. */
const AUDIO = "fma_small";
const TRACKS = "fma_metadata/tracks.csv";

/** Options of {@linkcode listFma} and {@linkcode fmaConfig}. */
export interface FmaOptions {
  /** `official` (all small tracks, the given split) or `seed` (40 per genre). Default official. */
  protocol?: "official" | "seed";
  /** Seed of the `seed` protocol's draw of 40 tracks per genre (default 42). */
  seed?: number;
}

async function isDir(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isDirectory, () => false);
}

async function isFile(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isFile, () => false);
}

/** The FMA root for `dataDir`: the folder itself, or the parent when given `…/fma_small`. */
async function findRoot(dataDir: string): Promise<string> {
  const trimmed = dataDir.replace(/[\\/]+$/, "") || dataDir;
  const candidates = [trimmed];
  if (basename(trimmed) === AUDIO) candidates.push(dirname(trimmed));
  for (const root of candidates) {
    if (await isDir(join(root, AUDIO))) {
      if (!(await isFile(join(root, TRACKS)))) {
        throw new UserError(
          `${join(root, TRACKS)} is missing: FMA's metadata goes beside the audio ` +
            `(fma_metadata.zip extracted as ${join(root, "fma_metadata")}; ` +
            "`deno task data:get fma` downloads both)",
        );
      }
      return root;
    }
  }
  throw new UserError(
    `no FMA-small found in ${dataDir}. Put it there as ${AUDIO}/<000-155>/<track_id>.mp3 ` +
      `(fma_small.zip) and ${TRACKS} (fma_metadata.zip), or pass --data-dir <folder holding ` +
      "both>. `deno task data:get fma` downloads them.",
  );
}

/** The `.mp3` paths under `<root>/fma_small/<nnn>/`, relative to `root`; other files skipped. */
async function audioOnDisk(root: string, skipped: ListingSkip[]): Promise<Set<string>> {
  const found = new Set<string>();
  for await (const dir of Deno.readDir(join(root, AUDIO))) {
    if (!dir.isDirectory || isHiddenName(dir.name)) continue; // README.txt, checksums
    for await (const f of Deno.readDir(join(root, AUDIO, dir.name))) {
      if (isHiddenName(f.name)) continue; // .DS_Store, macOS ._ forks, Thumbs.db
      const rel = `${AUDIO}/${dir.name}/${f.name}`;
      if (f.isDirectory) skipped.push({ path: rel, reason: "a folder inside a track folder" });
      else if (!f.name.toLowerCase().endsWith(".mp3")) {
        skipped.push({ path: rel, reason: "not an .mp3 file" });
      } else found.add(rel);
    }
  }
  return found;
}

/** Reason a small track cannot be used, or null. */
function unusable(t: FmaTrack): string | null {
  if (!FMA_GENRES.includes(t.genreTop)) {
    return `tracks.csv gives genre_top "${t.genreTop}", not one of the 8 FMA-small genres`;
  }
  if (!(t.split in SPLITS)) {
    return `tracks.csv gives split "${t.split}", not training, validation or test`;
  }
  return null;
}

/**
 * Lists FMA-small from `dataDir` (the folder holding `fma_small/` and `fma_metadata/`, or
 * `fma_small/` itself). Items are sorted by path (= by track id); `group` is `artist:<id>`, and
 * the listing's `grouping` makes the setup record each track's artist in the manifest and check
 * whether any artist has tracks in two parts (the official split promises none does; the `seed`
 * protocol's random split makes no such promise, and the manifest says how it came out).
 * Reported in `skipped`, never fatal: small tracks whose MP3 is missing, whose genre or split is
 * unusable, MP3s on disk that are not small-subset tracks of `tracks.csv`, and bad CSV rows.
 * Throws a {@linkcode UserError} when the folders or `tracks.csv` are missing or malformed.
 *
 * @example
 * ```ts ignore
 * import { listFma } from "./datasets_fma.ts";
 * const listing = await listFma("data/fma");
 * listing.items.length; // 8000 when every MP3 is present
 * ```
 */
export async function listFma(dataDir: string, options: FmaOptions = {}): Promise<DatasetListing> {
  const root = await findRoot(dataDir);
  const { tracks, problems } = await readFmaTracks(join(root, TRACKS));
  const skipped: ListingSkip[] = problems.map((p) => ({
    path: `${TRACKS} (CSV record ${p.record})`,
    reason: p.reason,
  }));
  const onDisk = await audioOnDisk(root, skipped);
  const byPath = new Map<string, FmaTrack>();
  for (const t of tracks) {
    if (t.trackId <= 999999) byPath.set(`${AUDIO}/${fmaAudioPath(t.trackId)}`, t);
  }
  let items: DatasetItem[] = [];
  for (const t of tracks) {
    if (t.subset !== "small") continue;
    const path = `${AUDIO}/${fmaAudioPath(t.trackId)}`;
    const why = unusable(t) ??
      (onDisk.has(path) ? null : "a small-subset track in tracks.csv, but its MP3 is missing");
    if (why) {
      skipped.push({ path, reason: why });
      continue;
    }
    items.push({
      path,
      label: FMA_GENRES.indexOf(t.genreTop),
      split: SPLITS[t.split]!,
      ...(t.artistId !== null ? { group: `artist:${t.artistId}` } : {}),
    });
  }
  for (const path of onDisk) {
    const t = byPath.get(path);
    if (t?.subset === "small") continue;
    skipped.push({
      path,
      reason: t
        ? `tracks.csv puts track ${t.trackId} in subset "${t.subset}", not small`
        : /\/\d{6}\.mp3$/.test(path)
        ? "not in tracks.csv"
        : "not named <track_id, 6 digits>.mp3",
    });
  }
  items.sort((a, b) => compareCodePoints(a.path, b.path));
  if (items.length === 0) {
    throw new UserError(
      `no usable FMA-small track in ${root}: tracks.csv lists ` +
        `${tracks.filter((t) => t.subset === "small").length} small tracks and ` +
        `${onDisk.size} MP3s were found under ${join(root, AUDIO)}`,
    );
  }
  let layout = `${AUDIO}/<nnn>/<track_id>.mp3 + ${TRACKS} (pandas two-level header)`;
  if ((options.protocol ?? "official") === "seed") {
    items = drawPerGenre(items, options.seed ?? 42).map(({ split: _, ...rest }) => rest);
    layout += `; seed protocol: ${FMA_SEED_PER_GENRE} tracks per genre drawn with seed ` +
      `${options.seed ?? 42}`;
  }
  skipped.sort((a, b) => compareCodePoints(a.path, b.path));
  return {
    dataDir: root,
    layout,
    labels: [...FMA_GENRES],
    items,
    skipped,
    grouping: { key: "artist", source: `${TRACKS} (artist, id)` },
  };
}

/**
 * The `seed` protocol's draw: per genre (label order) the items in path order, shuffled with one
 * stream of `new Rng(seed).derive("fma-seed-40")`, the first {@linkcode FMA_SEED_PER_GENRE} kept
 * (all of them when a genre has fewer). Returns the kept items sorted by path.
 *
 * @example
 * ```ts
 * import { drawPerGenre } from "./datasets_fma.ts";
 * const items = Array.from({ length: 100 }, (_, i) => ({ path: `${1000 + i}`, label: i % 2 }));
 * drawPerGenre(items, 42).length; // 80
 * ```
 */
export function drawPerGenre(items: readonly DatasetItem[], seed: number): DatasetItem[] {
  const rng = new Rng(seed).derive("fma-seed-40");
  const sorted = [...items].sort((a, b) => compareCodePoints(a.path, b.path));
  const labels = [...new Set(sorted.map((i) => i.label))].sort((a, b) => a - b);
  const kept: DatasetItem[] = [];
  for (const label of labels) {
    const pool = rng.shuffle(sorted.filter((i) => i.label === label));
    kept.push(...pool.slice(0, FMA_SEED_PER_GENRE));
  }
  return kept.sort((a, b) => compareCodePoints(a.path, b.path));
}

/** Options of {@linkcode fmaConfig}. */
export interface FmaConfigOptions extends FmaOptions {
  /** Frames per segment: 128 (default) or 129 (the original's extra 0 dB column). */
  padFrames?: 128 | 129;
}

/**
 * The FMA-small config for one protocol. Each protocol is its own config because the `seed`
 * protocol lists a different file set (40 per genre) before splitting: `official` has the split
 * `official` (kind `given`), `seed` the split `seed` (keras two-step 0.2 / 0.25). Output goes to
 * `data/processed/fma/<protocol>` (`fma_pad129/` with `padFrames: 129`).
 *
 * @example
 * ```ts
 * import { fmaConfig } from "./datasets_fma.ts";
 * const cfg = fmaConfig({ protocol: "seed", padFrames: 129 });
 * cfg.features.frames; // 129
 * Object.keys(cfg.splits); // ["seed"]
 * ```
 */
export function fmaConfig(options: FmaConfigOptions = {}): DatasetConfig {
  const protocol = options.protocol ?? "official";
  const seed = options.seed ?? 42;
  const padFrames = options.padFrames ?? 128;
  if (padFrames !== 128 && padFrames !== 129) {
    throw new RangeError(`padFrames must be 128 or 129, got ${padFrames}`);
  }
  return {
    name: "fma",
    description: "FMA-small (Defferrard et al. 2017): 8 genres × 1000 tracks of 30 s, MP3; " +
      (protocol === "official"
        ? "official artist-aware split (set, split)"
        : `the original's ${FMA_SEED_PER_GENRE} tracks per genre (drawn with seed ${seed}), ` +
          "split 80/20 then 75/25"),
    defaultDataDir: "data/fma",
    processedRoot: padFrames === 129 ? "data/processed/fma_pad129" : "data/processed/fma",
    listFiles: (dataDir) => listFma(dataDir, { protocol, seed }),
    features: Object.freeze({ ...FMA_FEATURES, frames: padFrames }),
    scaler: "per-position",
    splits: protocol === "official"
      ? { official: { kind: "given", source: "FMA tracks.csv (set, split), artist-aware" } }
      : { seed: { kind: "keras-two-step", test: 0.2, val: 0.25 } },
  };
}

/** FMA-small, official split, 128 frames per segment. */
export const FMA: DatasetConfig = fmaConfig();

/** FMA-small, the original's 40 tracks per genre with seed 42, 128 frames per segment. */
export const FMA_SEED: DatasetConfig = fmaConfig({ protocol: "seed" });
