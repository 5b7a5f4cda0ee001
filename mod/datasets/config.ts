/**
 * What a dataset is, as data: the {@linkcode DatasetConfig} type and the listing it produces
 * ({@linkcode DatasetItem}, {@linkcode ListingSkip}, {@linkcode DatasetListing}). Kept apart from the
 * `DATASETS` registry (`datasets.ts`) so that each dataset's module imports the types without an
 * import cycle through the registry.
 *
 * @module
 */
import { join } from "node:path";
import type { FeatureConfig } from "../features/features.ts";
import type { ScalerKind } from "../features/scaler.ts";
import type { SplitLists, SplitName } from "./split.ts";

/** One input file of a dataset. */
export interface DatasetItem {
  /** Path relative to the data folder, `/`-separated (the manifest's key). */
  path: string;
  /** Class index into {@linkcode DatasetListing.labels}. */
  label: number;
  /** Grouping key (e.g. artist) when the dataset has one; by default every file is its own group. */
  group?: string;
  /** The file's part when the dataset defines it (split protocol `"given"`). */
  split?: SplitName;
}

/** Something the loader saw but will not use, with the reason (goes into the manifest). */
export interface ListingSkip {
  path: string;
  reason: string;
}

/** What a dataset's loader returns. */
export interface DatasetListing {
  /** The data folder actually read (after layout detection). */
  dataDir: string;
  /** The layout found, in words (goes into the manifest). */
  layout: string;
  /** Class names in class-index order. */
  labels: string[];
  /** The files to use, sorted by path (code point order). */
  items: DatasetItem[];
  /** Files seen and not used. */
  skipped: ListingSkip[];
  /**
   * What the user should know about the data that does not stop the run (class folders that are
   * not the published ones, several copies found, …): printed as warnings, kept in the manifest.
   */
  warnings?: string[];
  /**
   * What {@linkcode DatasetItem.group} means when the items carry one (FMA: the artist); the
   * setup checks the split against it and says in the manifest whether no group spans two parts.
   */
  grouping?: { key: string; source: string };
}

/** How files are assigned to train/val/test. */
export type SplitProtocol =
  | {
    /** Per-class shuffle and cut by fractions (largest-remainder rounding; see `split.ts`). */
    kind: "stratified";
    fractions: readonly [number, number, number];
  }
  | {
    /** The original's two sklearn `train_test_split` calls (sizes as sklearn, see `split.ts`). */
    kind: "keras-two-step";
    test: number;
    val: number;
  }
  | {
    /** A published partition, matched by key (the file stem by default). */
    kind: "lists";
    /** Where the lists come from (citation, goes into the manifest). */
    source: string;
    load: () => Promise<SplitLists>;
    key?: (path: string) => string;
  }
  | {
    /** The loader gives each item's part ({@linkcode DatasetItem.split}). */
    kind: "given";
    source: string;
  };

/** A dataset recipe: everything the generic setup pipeline needs. */
export interface DatasetConfig {
  /** Short name (`gtzan`, `demo`, …): manifest and default output folder. */
  name: string;
  /** One line for --help and the manifest. */
  description: string;
  /** Where the data is expected by default. */
  defaultDataDir: string;
  /** Processed data goes to `<processedRoot>/<split protocol>/` by default. */
  processedRoot: string;
  /** Lists the files; throws a {@linkcode UserError} when the data is missing. */
  listFiles: (dataDir: string) => Promise<DatasetListing>;
  /** Decoding and log-mel parameters. */
  features: Readonly<FeatureConfig>;
  /** Scaler fitted on the training split. */
  scaler: ScalerKind;
  /** Named split protocols; the first is the default. */
  splits: Record<string, SplitProtocol>;
}

/** The default output folder of a config for a split protocol. */
export function defaultOut(config: DatasetConfig, split: string): string {
  return join(config.processedRoot, split);
}
