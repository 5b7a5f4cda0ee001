/**
 * The Indian music genres dataset (Kaggle `winchester19/indian-music-genre-dataset`: 500 clips,
 * 5 classes) as a {@linkcode DatasetConfig}, with the original's parameters.
 *
 * Layout: `data/indian/genrenew/<class>/<file>.{mp3,wav}` with the classes bollypop, carnatic,
 * ghazal, semiclassical and sufi; the copies that nest one more folder or capitalise the class
 * names are read too ({@linkcode listIndian}). Labels are the sorted class names.
 *
 * Features (`INDIAN_FEATURES`): the first 30 s, 10 segments of 3.0 s (the last zero-padded),
 * hop 256, cropped to 128 frames then every second frame kept: 128 × 64. One mean and std per
 * (mel, frame) position, fitted on train. Split: the original's stratified 80/20 then 75/25
 * (60/20/20 overall) at file level with the seed.
 *
 * @module
 */
import { UserError } from "../cli.ts";
import { type ClassFolderListing, findClassRoots, listClassFolders } from "./class_folders.ts";
import type { DatasetConfig, DatasetListing } from "./config.ts";
import { INDIAN_FEATURES } from "../features/features.ts";
import { compareCodePoints } from "../fs.ts";

/** The five classes of the published dataset, in label order. */
export const INDIAN_CLASSES: readonly string[] = Object.freeze([
  "bollypop",
  "carnatic",
  "ghazal",
  "semiclassical",
  "sufi",
]);

/** A class folder name reduced for matching: lower case, letters and digits only. */
function classKey(name: string): string {
  return name.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
}

/**
 * Lists the Indian music genres from `dataDir` in every published layout: `genrenew/<class>/`
 * (Kaggle), the class folders one to three folders further down (an extra top folder) or
 * `dataDir` itself, and a class's audio one level below its folder (`<class>/<class>/*.mp3`);
 * `.mp3`, `.wav` and every other readable format (`isAudioFile`), any case. The class list is read from the data: folder names are matched
 * to the published five in any case and spelling of separators (`Semi-Classical` →
 * semiclassical; two folders that match one class are merged), other names are kept as they are;
 * when the classes are not the published five, a warning says which are missing or unexpected
 * and the run goes on with the classes found. Hidden and macOS `._*` files are ignored silently;
 * other files are reported as skipped. Throws a {@linkcode UserError} saying where to put the
 * data when there is none.
 *
 * @example
 * ```ts ignore
 * import { listIndian } from "./datasets_indian.ts";
 * const listing = await listIndian("data/indian");
 * listing.labels; // ["bollypop", "carnatic", "ghazal", "semiclassical", "sufi"]
 * ```
 */
export async function listIndian(dataDir: string): Promise<DatasetListing> {
  const roots = await findClassRoots(dataDir);
  if (!roots.length) {
    throw new UserError(
      `no Indian music genre audio found in ${dataDir}. Put the dataset there as ` +
        `genrenew/<class>/<file>.mp3 or .wav (classes ${INDIAN_CLASSES.join(", ")}), ` +
        "or pass --data-dir. `deno task data:get indian` downloads it.",
    );
  }
  // Several trees: the one whose classes match the published five best (then the first).
  let best: { root: string; found: ClassFolderListing; score: number } | null = null;
  for (const root of roots) {
    const found = (await listClassFolders(root))!;
    const keys = new Set(INDIAN_CLASSES.map(classKey));
    const score = found.labels.filter((l) => keys.has(classKey(l))).length;
    if (!best || score > best.score) best = { root, found, score };
  }
  const { root, found } = best!;
  const warnings: string[] = [];
  if (roots.length > 1) {
    warnings.push(
      `several class trees under ${dataDir}: ${roots.join(", ")}; using ${root} ` +
        "(pass --data-dir to choose another)",
    );
  }
  // Folder name → class name: the published name when it matches, else the folder's own.
  const published = new Map(INDIAN_CLASSES.map((c) => [classKey(c), c]));
  const nameOf = found.labels.map((l) => published.get(classKey(l)) ?? l);
  const labels = [...new Set(nameOf)].sort(compareCodePoints);
  for (const name of labels) {
    const folders = found.labels.filter((_, i) => nameOf[i] === name);
    if (folders.length > 1) {
      warnings.push(`class folders ${folders.join(", ")} are all ${name}: merged`);
    }
  }
  const missing = INDIAN_CLASSES.filter((c) => !labels.includes(c));
  const extra = labels.filter((c) => !INDIAN_CLASSES.includes(c));
  if (missing.length || extra.length) {
    warnings.push(
      `the class folders are not the published five (${INDIAN_CLASSES.join(", ")}):` +
        (missing.length ? ` missing ${missing.join(", ")};` : "") +
        (extra.length ? ` unexpected ${extra.join(", ")};` : "") +
        ` going on with the ${labels.length} classes found`,
    );
  }
  const items = found.items.map((it) => ({ ...it, label: labels.indexOf(nameOf[it.label]!) }));
  let layout = "genrenew/<class>/<file>.{mp3,wav}";
  if (found.nested.length) {
    layout += `; audio one folder below the class folder for ${found.nested.join(", ")}`;
  }
  return {
    dataDir: root,
    layout,
    labels,
    items,
    skipped: found.skipped,
    ...(warnings.length ? { warnings } : {}),
  };
}

/** Indian music genres: 5 classes, 10 × 3.0 s segments per clip, 128 × 64 log-mel. */
export const INDIAN: DatasetConfig = {
  name: "indian",
  description: "Indian music genres (Kaggle winchester19): 5 classes × 100 clips, MP3/WAV",
  defaultDataDir: "data/indian",
  processedRoot: "data/processed/indian",
  listFiles: listIndian,
  features: INDIAN_FEATURES,
  scaler: "per-position",
  splits: { random: { kind: "keras-two-step", test: 0.2, val: 0.25 } },
};
