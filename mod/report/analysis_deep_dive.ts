/**
 * The champion's deep-dive numbers for the final analysis (`analysis.ts`):
 * {@linkcode deepDive} turns the records of a predictions CSV into confusion matrices and
 * classification reports (per-class precision, recall, F1 and support) at segment and track level.
 *
 * @module
 */
import { num, recordsToObjects, requireColumns } from "./_analysis_csv.ts";
import {
  aggregateTracks,
  type ClassificationReport,
  classificationReport,
  confusionMatrix,
  type SegmentPrediction,
} from "./metrics.ts";

/** What {@linkcode deepDive} computes from one predictions file. */
interface DeepDive {
  /** Class names, from the `p_<label>` columns in order. */
  labels: string[];
  /** Number of test segments (rows). */
  segments: number;
  /** Number of tracks. */
  tracks: number;
  /** Confusion matrices (rows true, columns predicted). */
  confusion: { segment: number[][]; track: number[][] };
  /** Classification reports. */
  reports: { segment: ClassificationReport; track: ClassificationReport };
}

/**
 * Confusion matrices and classification reports at segment and track level from the records of
 * a predictions CSV (header `track,file,segment,y_true,y_pred,p_<label>…`; the labels are the
 * `p_` columns in order), `source` naming the file in errors.
 *
 * @example
 * ```ts
 * import { deepDive } from "./analysis_deep_dive.ts";
 * const d = deepDive([
 *   ["track", "file", "segment", "y_true", "y_pred", "p_a", "p_b"],
 *   ["t1", "t1.wav", "0", "a", "b", "0.4", "0.6"],
 *   ["t1", "t1.wav", "1", "a", "a", "0.9", "0.1"],
 * ], "predictions.csv");
 * d.labels; // ["a", "b"]
 * d.confusion.segment; // [[1, 1], [0, 0]]
 * d.confusion.track; // [[1, 0], [0, 0]]: mean probabilities [0.65, 0.35]
 * ```
 */
export function deepDive(records: string[][], source: string): DeepDive {
  const rows = recordsToObjects(records, source);
  requireColumns(rows, source, ["track", "y_true", "y_pred"]);
  if (!rows.length) throw new Error(`${source}: no predictions`);
  const pCols = Object.keys(rows[0]!).filter((k) => k.startsWith("p_"));
  if (!pCols.length) throw new Error(`${source}: no p_<label> probability columns`);
  const labels = pCols.map((k) => k.slice(2));
  const index = new Map(labels.map((l, i) => [l, i]));
  const segs: SegmentPrediction[] = [];
  const yTrue: number[] = [];
  const yPred: number[] = [];
  rows.forEach((r, i) => {
    const t = index.get(r.y_true!);
    const p = index.get(r.y_pred!);
    if (t === undefined || p === undefined) {
      throw new Error(
        `${source}: line ${i + 2}: label "${
          t === undefined ? r.y_true : r.y_pred
        }" is not one of the p_ columns`,
      );
    }
    const probs = pCols.map((k) => num(r[k]) ?? NaN);
    if (probs.some(Number.isNaN)) throw new Error(`${source}: line ${i + 2}: bad probability`);
    yTrue.push(t);
    yPred.push(p);
    segs.push({ track: r.track!, yTrue: t, probs });
  });
  const tr = aggregateTracks(segs);
  return {
    labels,
    segments: rows.length,
    tracks: tr.tracks.length,
    confusion: {
      segment: confusionMatrix(yTrue, yPred, labels.length),
      track: confusionMatrix(tr.yTrue, tr.yPred, labels.length),
    },
    reports: {
      segment: classificationReport(yTrue, yPred, labels),
      track: classificationReport(tr.yTrue, tr.yPred, labels),
    },
  };
}
