/**
 * The public types of the final analysis (`runAnalysis` in `analysis.ts`): its options, its
 * result, and the pooled-feature provider the t-SNE figure reads. A leaf module: the analysis
 * files and the feature extractor (`pooled_features.ts`) import these types from here.
 *
 * @module
 */

/** Pooled features of test segments, for the t-SNE figure. */
export interface Embedding {
  /** Row-major `[n, dim]` features. */
  features: Float32Array;
  /** Feature dimension. */
  dim: number;
  /** Label index per row. */
  labels: Int32Array;
  /** Label names (labels.json order); default: the predictions file's classes. */
  labelNames?: string[];
}

/** A provider of pooled features with a cache key that identifies its inputs. */
export interface EmbeddingSource {
  /** SHA-256 (or other stable digest) of everything `embed` reads (model bundle, test arrays). */
  key: string;
  /** Computes the features (only called on a cache miss). */
  embed: () => Promise<Embedding>;
  /** Where the features come from, for the page (e.g. "models/UNet_best_WITH_AUG, layer gap"). */
  description?: string;
}

/** Options for `runAnalysis` (in `analysis.ts`). */
export interface AnalysisOptions {
  /** Folder with the experiments' CSVs (e.g. "reports"). */
  reportsDir: string;
  /** Output folder (default `reportsDir`). */
  outDir?: string;
  /** Reuse cached artefacts (default true). */
  useCache?: boolean;
  /**
   * Pooled-feature provider for the champion, given its model and tag; when its
   * bundle or the test arrays are absent, return a string saying why (it goes to the missing list).
   */
  embedding?: (
    champion: { model: string; tag: string; run?: string },
  ) => Promise<EmbeddingSource | string>;
  /** At most this many segments per class in the t-SNE (default 100). */
  tsnePerClass?: number;
  /** t-SNE iterations (default 1000). */
  tsneIterations?: number;
  /** Seed for the subsample and the t-SNE (default 42). */
  seed?: number;
  /** Progress and warnings (default: stderr). */
  log?: (message: string) => void;
}

/** What `runAnalysis` (in `analysis.ts`) produced. */
export interface AnalysisResult {
  /** Tables written (file stems under tables/). */
  tables: string[];
  /** Figures written (file stems under figures/), with the item count of each named mark. */
  figures: { name: string; marks: Record<string, number> }[];
  /** What was missing, one line each. */
  missing: string[];
  /**
   * The champion (best mean GTZAN test accuracy in the main tournament), or null; `run` is its
   * run folder under the reports (and models) folder, "" for the folder itself.
   */
  champion: {
    model: string;
    tag: string;
    testAccuracy: number;
    seeds: number;
    run?: string;
  } | null;
  /** Path of index.html. */
  indexPath: string;
  /** Cache hits by artefact name. */
  cacheHits: string[];
}
