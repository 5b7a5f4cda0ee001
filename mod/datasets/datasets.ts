/**
 * Datasets as data: a {@linkcode DatasetConfig} says how to list a dataset's files (path, label,
 * group), which features to extract, which scaler to fit and which split protocols exist. One
 * generic pipeline (`prepare.ts`) turns any config into the processed arrays, so GTZAN, the demo
 * data, FMA, the Indian genres and the tabla taalas differ only in their config.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { UserError } from "../cli.ts";
import { type FeatureConfig, GTZAN_FEATURES } from "../features/features.ts";
import type { DatasetConfig, DatasetItem, DatasetListing } from "./config.ts";
import { findClassRoots, listClassFolders } from "./class_folders.ts";
import { FMA } from "./datasets_fma.ts";
import { INDIAN } from "./datasets_indian.ts";
import { TABLA } from "./datasets_tabla.ts";
import { loadFaultFilteredLists, stemOf } from "./split.ts";

export * from "./config.ts";

export { listClassFolders };

/** The error text for a missing GTZAN folder: where to put it and which layouts are accepted. */
export function gtzanMissingMessage(dataDir: string): string {
  return `no GTZAN audio found in ${dataDir}. Put the dataset there in one of these layouts: ` +
    `<genre>/<genre>.<nnnnn>.au (the original genres.tar.gz, extracted as data/gtzan/genres) or ` +
    `<genre>/<genre>.<nnnnn>.wav (the Kaggle copy's genres_original/, extracted as ` +
    `data/gtzan/genres_original, which is used when data/gtzan/genres is missing), up to three ` +
    `folders down (Data/genres_original/ is found from the archive's root); ` +
    `or pass --data-dir <folder>. \`deno task data:get gtzan\` downloads it.`;
}

/** Where to look for GTZAN given `dataDir`, in order: itself, then for `…/genres` (the default)
 * its sibling `genres_original` and its parent. */
function gtzanBases(dataDir: string): string[] {
  const base = dataDir.replace(/[\\/]+$/, "") || dataDir;
  const bases = [base];
  if (/(^|[\\/])genres$/.test(base)) {
    bases.push(base.replace(/genres$/, "genres_original"), dirname(base));
  }
  return bases;
}

/** Preference among several GTZAN trees: `genres` (the original), `genres_original`, others. */
function treeRank(dir: string): number {
  const name = basename(dir);
  return name === "genres" ? 0 : name === "genres_original" ? 1 : 2;
}

/** Throws naming both files when one track is there twice (`x.00001.au` and `x.00001.wav`). */
function refuseDoubleTracks(root: string, items: readonly DatasetItem[]): void {
  const seen = new Map<string, string>();
  const pairs: [string, string][] = [];
  for (const it of items) {
    const key = `${it.label}:${basename(it.path).replace(/\.[^.]*$/, "").toLowerCase()}`;
    const before = seen.get(key);
    if (before) pairs.push([before, it.path]);
    else seen.set(key, it.path);
  }
  if (!pairs.length) return;
  const [a, b] = pairs[0]!;
  throw new UserError(
    `${root}: the same GTZAN track twice: ${a} and ${b}` +
      (pairs.length > 1 ? ` (and ${pairs.length - 1} more tracks)` : "") +
      "; keep one file per track (the .au or the .wav), e.g. move the converted copies elsewhere",
  );
}

/**
 * Lists GTZAN in every published layout: the original `<genre>/<genre>.<nnnnn>.au` tree, Kaggle's
 * `genres_original/<genre>/<genre>.<nnnnn>.wav`, `.au` and `.wav` files side by side, or any copy
 * converted to another readable format (e.g. MP3: every file `isAudioFile` accepts is listed,
 * others are reported as skipped); one file per track (the same track twice is a
 * {@linkcode UserError} naming both). The tree is found up to three folders below `dataDir` (the
 * Kaggle archive's `Data/genres_original/`; see {@linkcode findClassRoots}). When `dataDir` is
 * `…/genres` and holds no GTZAN, its sibling `genres_original` and then its parent are searched.
 * Hidden files and macOS `._*` forks are ignored silently. Genres are the sorted folder names
 * (blues = 0 … rock = 9).
 *
 * @example
 * ```ts
 * import { listGtzan } from "./datasets.ts";
 * const listing = await listGtzan("data/gtzan/genres").catch(() => null);
 * ```
 */
export async function listGtzan(dataDir: string): Promise<DatasetListing> {
  for (const [k, base] of gtzanBases(dataDir).entries()) {
    // Below the parent of a missing `…/genres`, only a tree named like GTZAN's is taken.
    const roots = (await findClassRoots(base)).filter((r) => k < 2 || treeRank(r) < 2);
    if (!roots.length) continue;
    const ranked = [...roots].sort((a, b) => treeRank(a) - treeRank(b));
    const root = ranked[0]!;
    const { nested, ...found } = (await listClassFolders(root))!;
    refuseDoubleTracks(root, found.items);
    const exts = new Set(
      found.items.map((i) => i.path.slice(i.path.lastIndexOf(".") + 1).toLowerCase()),
    );
    const kinds = [...exts].sort().join(",");
    let layout = kinds === "au"
      ? "original <genre>/<genre>.<nnnnn>.au"
      : kinds === "wav"
      ? "<genre>/<genre>.<nnnnn>.wav (Kaggle genres_original layout)"
      : exts.size === 1
      ? `<genre>/<genre>.<nnnnn>.${kinds}`
      : `mixed <genre>/<genre>.<nnnnn>.{${kinds}}`;
    if (nested.length) {
      layout += `; audio one folder below the genre folder for ${nested.join(", ")}`;
    }
    const warnings = ranked.length > 1
      ? [
        `several GTZAN trees under ${base}: ${ranked.join(", ")}; using ${root} ` +
        "(pass --data-dir to choose another)",
      ]
      : [];
    return { ...found, layout, ...(warnings.length ? { warnings } : {}) };
  }
  throw new UserError(gtzanMissingMessage(dataDir));
}

/** GTZAN: 10 genres × 100 clips of 30 s; 10 × 2.97 s segments per clip, 128×128 log-mel. */
export const GTZAN: DatasetConfig = {
  name: "gtzan",
  description: "GTZAN (Tzanetakis & Cook 2002): 10 genres × 100 clips of 30 s",
  defaultDataDir: "data/gtzan/genres",
  processedRoot: "data/processed/gtzan",
  listFiles: listGtzan,
  features: GTZAN_FEATURES,
  scaler: "per-position",
  splits: {
    random: { kind: "stratified", fractions: [0.6, 0.2, 0.2] },
    "fault-filtered": {
      kind: "lists",
      source: "Kereliuk, Sturm & Larsen 2015 fault-filtered GTZAN " +
        "(coreyker/dnn-mgr bdad579; mod/data/gtzan_fault_filtered/)",
      load: loadFaultFilteredLists,
      key: stemOf,
    },
  },
};

/**
 * The demo's features: GTZAN's segments (10 × 65,488 samples) and STFT window, with 32 mel bands
 * and hop 2048, so images are 32×32: 1/16 of GTZAN's pixels, so that `deno task demo` trains
 * three CNNs twice in minutes on two cores. Run `gtzan:setup --data-dir data/demo/genres` for
 * GTZAN-sized arrays of the same clips.
 */
export const DEMO_FEATURES: Readonly<FeatureConfig> = Object.freeze({
  ...GTZAN_FEATURES,
  nMels: 32,
  hop: 2048,
  frames: 32,
});

/**
 * The synthetic demo data (`deno task demo:data`): the same pipeline as GTZAN, a small generated
 * tree in GTZAN's layout, 32×32 images ({@linkcode DEMO_FEATURES}).
 */
export const DEMO: DatasetConfig = {
  ...GTZAN,
  name: "demo",
  description: "synthetic genre-like demo clips (deno task demo:data), 32 mels × 32 frames",
  features: DEMO_FEATURES,
  defaultDataDir: "data/demo/genres",
  processedRoot: "data/processed/demo",
  listFiles: async (dataDir) => {
    const found = await listClassFolders(dataDir);
    if (!found) {
      throw new UserError(
        `no demo audio found in ${dataDir}: run \`deno task demo:data\` first, or pass --data-dir`,
      );
    }
    const { nested: _, ...listing } = found;
    return { ...listing, layout: "<class>/<class>.<nnnnn>.wav" };
  },
  splits: { random: GTZAN.splits.random! },
};

/** The configs by name. */
export const DATASETS: Record<string, DatasetConfig> = {
  gtzan: GTZAN,
  demo: DEMO,
  fma: FMA,
  indian: INDIAN,
  tabla: TABLA,
};
