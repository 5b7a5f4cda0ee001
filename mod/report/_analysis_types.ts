/**
 * Private types and constants shared by the files of the final analysis (`analysis.ts`): the
 * datasets and tags it looks for, a training-summary row, per-model × tag aggregates, a figure to
 * write, and the running state the sections add their tables, figures and missing inputs to.
 * A leaf module: it imports types only, from files that do not import the analysis.
 *
 * @module
 */
import type { VlSpec } from "./plots.ts";
import type { Table } from "./tables.ts";

/** The GTZAN tournament's tags: with and without SpecAugment. */
export const GTZAN_TAGS = ["WITH_AUG", "NO_AUG"] as const;
/** The datasets other than GTZAN, in page order. */
export const OTHER_DATASETS = ["FMA", "INDIAN", "TABLA"] as const;

/** One row of a training summary (one model × tag × seed on one dataset). */
export interface RunRow {
  /** Run folder under the reports folder ("" for the reports folder itself). */
  run: string;
  dataset: string;
  model: string;
  tag: string;
  seed: string;
  bestVal: number | null;
  test: number | null;
  track: number | null;
  epochs: number | null;
  params: number | null;
  flops: number | null;
  latency: number | null;
  backend: string;
}

/** Mean, sample standard deviation, min and max of some values (null when there are none). */
export interface Stat {
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
}

/** The runs of one dataset × model × tag, aggregated over seeds. */
export interface Group {
  /** Run folder under the reports folder ("" for the reports folder itself). */
  run: string;
  dataset: string;
  model: string;
  tag: string;
  n: number;
  test: Stat;
  track: Stat;
  bestVal: Stat;
  params: number | null;
  flops: number | null;
  latency: number | null;
  backend: string;
}

/** A figure to write: file stem, Vega-Lite spec, caption and the page section that shows it. */
export interface Figure {
  name: string;
  spec: VlSpec;
  caption: string;
  section: string;
}

/** What the sections of the analysis share and add to, in the order the page lists them. */
export interface AnalysisState {
  /** Output folder. */
  out: string;
  /** Reuse cached artefacts. */
  useCache: boolean;
  /** Tables to write, in order. */
  tables: Table[];
  /** Figures to write, in order. */
  figures: Figure[];
  /** Cache hits by artefact name. */
  cacheHits: string[];
  /** Records a missing input (the missing list and the log). */
  miss: (line: string) => void;
  /** Progress and warnings. */
  log: (message: string) => void;
}
