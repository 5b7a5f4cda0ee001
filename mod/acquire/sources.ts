/**
 * The one table of dataset sources for `deno task data:get`: where each archive is downloaded from,
 * its published checksum (where the publisher gives one), licence, size, and how its entries map
 * onto the folder layout that the dataset's `*:setup` task reads by default.
 *
 * Archive layouts, as checked against public code that reads them:
 * - FMA (mdeff/fma README, download scripts): `fma_metadata.zip` → `fma_metadata/tracks.csv`, …;
 *   `fma_small.zip` → `fma_small/<000-155>/<track_id>.mp3` (+ `README.txt`, `checksums`).
 * - GTZAN on Kaggle (`andradaolteanu/…`): `Data/genres_original/<genre>/<genre>.<nnnnn>.wav`,
 *   `Data/images_original/`, `Data/features_{3,30}_sec.csv`; only the audio is kept.
 * - GTZAN from Marsyas (`genres.tar.gz`) and Kaggle `carlthome/gtzan-genre-collection`:
 *   `genres/<genre>/<genre>.<nnnnn>.au` (Marsyas adds `genres/*.mf` lists).
 * - Indian music genres (Kaggle `winchester19/…`, version 1): `genrenew/<class>/<files>`.
 * - Tabla taalas (Kaggle `pranav6670/…`, version 5): `file_name.csv`, `wavfiles/*.wav` and
 *   `tablaDataset/<taal>/*.wav` (the same 561 clips again); only the first two are kept.
 *
 * @module
 */

/** A dataset that `data:get` can fetch. */
export type DatasetName = "gtzan" | "fma" | "indian" | "tabla";

/** The dataset names, in the order `--help` lists them. */
export const DATASET_NAMES: readonly DatasetName[] = ["gtzan", "fma", "indian", "tabla"];

/** Archive formats {@linkcode extractArchive} understands. */
export type ArchiveKind = "zip" | "tar.gz";

/**
 * One mapping from an archive path to a path under `data/<dataset>/`. A `from` ending in `/` maps
 * a folder (everything below it); otherwise it maps exactly one file. Entries no mapping covers are
 * not extracted (they are still checked for unsafe paths).
 */
export interface LayoutMap {
  /** Path inside the archive (`/`-separated). */
  from: string;
  /** Path under `data/<dataset>/` (`/`-separated, same trailing-slash rule as `from`). */
  to: string;
}

/** One downloadable archive. Exactly one of `url` and `kaggle` is set. */
export interface ArchiveSpec {
  /** File name the archive is saved under (inside `data/<dataset>/`). */
  name: string;
  /** Public URL (no login). */
  url?: string;
  /** Kaggle dataset `owner/slug` (downloaded through the Kaggle API with the user's token). */
  kaggle?: string;
  /** Archive format. */
  kind: ArchiveKind;
  /** SHA-1 published by the dataset's authors, verified after download. */
  sha1?: string;
  /** SHA-256 published by the dataset's authors, verified after download. */
  sha256?: string;
  /** Approximate size as published, for messages ("about 7.2 GiB"); not checked. */
  approxSize?: string;
  /** Which archive paths land where. */
  layout: LayoutMap[];
}

/** One way of obtaining a dataset. */
export interface DatasetSource {
  /** Source id, chosen with `--source` (e.g. `kaggle`, `marsyas`). */
  id: string;
  /** One-line description. */
  description: string;
  /** Licence / terms, as stated by the publisher (shown in README and SOURCE.json). */
  licence: string;
  /** Home page with the terms and citation. */
  homepage: string;
  /** Archives to fetch, in order. */
  archives: ArchiveSpec[];
  /**
   * Paths under `data/<dataset>/` that must exist once the dataset is in place (a folder path ends
   * in `/` and must be non-empty). Used to decide that a dataset is already present.
   */
  expect: string[];
}

/** A dataset's sources: the first is the default. */
export interface DatasetSources {
  /** Folder under the data root (`data/<dir>/`). */
  dir: string;
  /** The folder the setup task reads by default, relative to the data root. */
  setupDataDir: string;
  /** Sources; `sources[0]` is used unless `--source` names another. */
  sources: DatasetSource[];
}

const GTZAN_LICENCE =
  "No licence: collected by G. Tzanetakis in 2000-2001 from CDs, radio and microphone " +
  "recordings without copyright clearance; used for research by convention. Cite Tzanetakis & " +
  "Cook, IEEE TSAP 2002.";

/**
 * Every dataset source. FMA checksums are the SHA-1 sums published in the mdeff/fma README.
 *
 * @example
 * ```ts
 * import { SOURCES } from "./sources.ts";
 * SOURCES.fma.sources[0]!.archives.map((a) => a.name); // ["fma_metadata.zip", "fma_small.zip"]
 * ```
 */
export const SOURCES: Readonly<Record<DatasetName, DatasetSources>> = {
  gtzan: {
    dir: "gtzan",
    setupDataDir: "gtzan/genres_original",
    sources: [
      {
        id: "kaggle",
        description: "GTZAN as .wav from Kaggle (andradaolteanu), the copy the original used",
        licence: GTZAN_LICENCE + " Kaggle lists it under 'Other'.",
        homepage:
          "https://www.kaggle.com/datasets/andradaolteanu/gtzan-dataset-music-genre-classification",
        archives: [{
          name: "gtzan-dataset-music-genre-classification.zip",
          kaggle: "andradaolteanu/gtzan-dataset-music-genre-classification",
          kind: "zip",
          approxSize: "1.2 GiB",
          layout: [{ from: "Data/genres_original/", to: "genres_original/" }],
        }],
        expect: ["genres_original/"],
      },
      {
        id: "marsyas",
        description:
          "GTZAN as .au from the Marsyas archive (no login; the server is often offline)",
        licence: GTZAN_LICENCE,
        homepage: "http://marsyas.info/downloads/datasets.html",
        archives: [{
          name: "genres.tar.gz",
          url: "http://opihi.cs.uvic.ca/sound/genres.tar.gz",
          kind: "tar.gz",
          approxSize: "1.2 GiB",
          layout: [{ from: "genres/", to: "genres/" }],
        }],
        expect: ["genres/"],
      },
      {
        id: "kaggle-au",
        description: "GTZAN as .au from Kaggle (carlthome), a copy of the Marsyas archive",
        licence: GTZAN_LICENCE,
        homepage: "https://www.kaggle.com/datasets/carlthome/gtzan-genre-collection",
        archives: [{
          name: "gtzan-genre-collection.zip",
          kaggle: "carlthome/gtzan-genre-collection",
          kind: "zip",
          approxSize: "1.2 GiB",
          layout: [{ from: "genres/", to: "genres/" }],
        }],
        expect: ["genres/"],
      },
    ],
  },
  fma: {
    dir: "fma",
    setupDataDir: "fma",
    sources: [{
      id: "unil",
      description:
        "FMA-small (8,000 clips of 30 s, 8 genres) and its metadata, from the FMA authors",
      licence: "Audio: each track under the Creative Commons licence its artist chose; metadata: " +
        "CC BY 4.0. Cite Defferrard et al., ISMIR 2017.",
      homepage: "https://github.com/mdeff/fma",
      archives: [
        {
          name: "fma_metadata.zip",
          url: "https://os.unil.cloud.switch.ch/fma/fma_metadata.zip",
          kind: "zip",
          sha1: "f0df49ffe5f2a6008d7dc83c6915b31835dfe733",
          approxSize: "342 MiB",
          layout: [{ from: "fma_metadata/", to: "fma_metadata/" }],
        },
        {
          name: "fma_small.zip",
          url: "https://os.unil.cloud.switch.ch/fma/fma_small.zip",
          kind: "zip",
          sha1: "ade154f733639d52e35e32f5593efe5be76c6d70",
          approxSize: "7.2 GiB",
          layout: [{ from: "fma_small/", to: "fma_small/" }],
        },
      ],
      expect: ["fma_metadata/tracks.csv", "fma_small/"],
    }],
  },
  indian: {
    dir: "indian",
    setupDataDir: "indian/genrenew",
    sources: [{
      id: "kaggle",
      description:
        "Indian music genres (bollypop, carnatic, ghazal, semiclassical, sufi; 500 clips)",
      licence: "As stated on the Kaggle page (not restated here); research use.",
      homepage: "https://www.kaggle.com/datasets/winchester19/indian-music-genre-dataset",
      archives: [{
        name: "indian-music-genre-dataset.zip",
        kaggle: "winchester19/indian-music-genre-dataset",
        kind: "zip",
        layout: [{ from: "genrenew/", to: "genrenew/" }],
      }],
      expect: ["genrenew/"],
    }],
  },
  tabla: {
    dir: "tabla",
    setupDataDir: "tabla",
    sources: [{
      id: "kaggle",
      description: "Tabla taalas (8 taals, 561 clips) with file_name.csv labels",
      licence: "As stated on the Kaggle page (not restated here); research use.",
      homepage: "https://www.kaggle.com/datasets/pranav6670/tabla-taala-dataset",
      archives: [{
        name: "tabla-taala-dataset.zip",
        kaggle: "pranav6670/tabla-taala-dataset",
        kind: "zip",
        approxSize: "about 0.5 GiB of audio kept (1.1 GiB unpacked with the duplicate folder)",
        layout: [
          { from: "wavfiles/", to: "wavfiles/" },
          { from: "file_name.csv", to: "file_name.csv" },
        ],
      }],
      expect: ["wavfiles/", "file_name.csv"],
    }],
  },
};

/**
 * Looks up a dataset's source by id (default: the first). Throws naming the valid ids.
 *
 * @example
 * ```ts
 * import { resolveSource } from "./sources.ts";
 * resolveSource("gtzan", "marsyas").archives[0]!.kind; // "tar.gz"
 * ```
 */
export function resolveSource(name: DatasetName, id?: string): DatasetSource {
  const ds = SOURCES[name];
  if (!ds) throw new Error(`unknown dataset "${name}" (expected ${DATASET_NAMES.join(", ")})`);
  if (id === undefined) return ds.sources[0]!;
  const s = ds.sources.find((x) => x.id === id);
  if (!s) {
    throw new Error(
      `${name}: unknown source "${id}" (expected ${ds.sources.map((x) => x.id).join(", ")})`,
    );
  }
  return s;
}

/** True when `name` is a {@linkcode DatasetName}. */
export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}
