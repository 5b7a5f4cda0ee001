/**
 * The Indian music genres dataset (Kaggle `winchester19/indian-music-genre-dataset`: 500 clips,
 * 5 classes) as a {@linkcode DatasetConfig}, with the original's parameters.
 *
 * Layout: `data/indian/genrenew/<class>/<file>.{mp3,wav}` with the classes bollypop, carnatic,
 * ghazal, semiclassical and sufi. Labels are the sorted folder names.
 *
 * Features (`INDIAN_FEATURES`): the first 30 s, 10 segments of 3.0 s (the last zero-padded),
 * hop 256, cropped to 128 frames then every second frame kept: 128 × 64. One mean and std per
 * (mel, frame) position, fitted on train. Split: the original's stratified 80/20 then 75/25
 * (60/20/20 overall) at file level with the seed.
 *
 * @module
 */
import { join } from "node:path";
import { UserError } from "../cli.ts";
import { listClassFolders } from "./class_folders.ts";
import type { DatasetConfig, DatasetListing } from "./config.ts";
import { INDIAN_FEATURES } from "../features/features.ts";

/** The five classes of the published dataset, in label order. */
export const INDIAN_CLASSES: readonly string[] = Object.freeze([
  "bollypop",
  "carnatic",
  "ghazal",
  "semiclassical",
  "sufi",
]);

/**
 * Lists `<dataDir>/genrenew/<class>/<file>` (or `<dataDir>/<class>/<file>` when given the
 * `genrenew` folder itself); `.mp3`, `.wav` and every other readable format (`isAudioFile`), any
 * case. Other files are reported as skipped.
 * When the class folders are not the published five, the layout says so (the run goes on with
 * the classes found). Throws a {@linkcode UserError} saying where to put the data when there is
 * none.
 *
 * @example
 * ```ts ignore
 * import { listIndian } from "./datasets_indian.ts";
 * const listing = await listIndian("data/indian");
 * listing.labels; // ["bollypop", "carnatic", "ghazal", "semiclassical", "sufi"]
 * ```
 */
export async function listIndian(dataDir: string): Promise<DatasetListing> {
  for (const dir of [join(dataDir, "genrenew"), dataDir]) {
    const found = await listClassFolders(dir);
    if (!found) continue;
    let layout = "genrenew/<class>/<file>.{mp3,wav}";
    const expected = INDIAN_CLASSES.join(",");
    if (found.labels.join(",") !== expected) {
      const missing = INDIAN_CLASSES.filter((c) => !found.labels.includes(c));
      const extra = found.labels.filter((c) => !INDIAN_CLASSES.includes(c));
      layout +=
        ` (not the published 5 classes:${missing.length ? ` missing ${missing.join(", ")}` : ""}` +
        `${extra.length ? ` unexpected ${extra.join(", ")}` : ""})`;
    }
    return { ...found, layout };
  }
  throw new UserError(
    `no Indian music genre audio found in ${dataDir}. Put the dataset there as ` +
      `genrenew/<class>/<file>.mp3 or .wav (classes ${INDIAN_CLASSES.join(", ")}), ` +
      "or pass --data-dir. `deno task data:get indian` downloads it.",
  );
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
