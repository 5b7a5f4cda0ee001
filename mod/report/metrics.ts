/**
 * Classification metrics on predictions: segment and track accuracy, track-level aggregation
 * (mean of the segments' probabilities, then argmax), confusion matrices and a classification
 * report that reproduces scikit-learn's `classification_report` (per-class precision, recall,
 * F1 and support; accuracy; macro and weighted averages; `zero_division=0`).
 *
 * Labels are integer indices `0..K-1` into a label list (labels.json order).
 *
 * @module
 */

/** One test segment's prediction: its track, true label index and class probabilities. */
export interface SegmentPrediction {
  /** Track (file) identifier; segments of one track share it. */
  track: string;
  /** True label index. */
  yTrue: number;
  /** Class probabilities (length K, labels.json order). */
  probs: ArrayLike<number>;
}

/** Track-level predictions: one row per track. */
export interface TrackPredictions {
  /** Track identifiers, sorted by code point. */
  tracks: string[];
  /** True label index per track. */
  yTrue: Int32Array;
  /** Predicted label index per track (argmax of the mean probabilities). */
  yPred: Int32Array;
  /** Mean probabilities per track, row-major `[tracks.length, K]`. */
  probs: Float64Array;
  /** Number of segments per track. */
  segments: Int32Array;
}

/**
 * Index of the largest value; ties go to the first (as `numpy.argmax`). NaN never wins.
 *
 * @example
 * ```ts
 * import { argmax } from "./metrics.ts";
 * argmax([0.1, 0.7, 0.7]); // 1
 * ```
 */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  let bestV = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > bestV || best < 0 && !Number.isNaN(v)) {
      best = i;
      bestV = v;
    }
  }
  if (best < 0) throw new RangeError("argmax: no finite value");
  return best;
}

/**
 * Fraction of positions where `yTrue[i] === yPred[i]`.
 *
 * @example
 * ```ts
 * import { accuracy } from "./metrics.ts";
 * accuracy([0, 1, 2, 2], [0, 1, 1, 2]); // 0.75
 * ```
 */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength(yTrue, yPred);
  if (yTrue.length === 0) throw new RangeError("accuracy: empty input");
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

/**
 * Aggregates segment predictions per track: the track's probabilities are the mean of its
 * segments' probabilities and its prediction their argmax. Throws when a track's segments
 * disagree on the true label or on the number of classes.
 *
 * @example
 * ```ts
 * import { aggregateTracks } from "./metrics.ts";
 * const t = aggregateTracks([
 *   { track: "a", yTrue: 0, probs: [0.6, 0.4] },
 *   { track: "a", yTrue: 0, probs: [0.2, 0.8] },
 * ]);
 * t.yPred[0]; // 1 (mean [0.4, 0.6])
 * ```
 */
export function aggregateTracks(segments: readonly SegmentPrediction[]): TrackPredictions {
  if (segments.length === 0) throw new RangeError("aggregateTracks: no segments");
  const k = segments[0]!.probs.length;
  const byTrack = new Map<string, { yTrue: number; sum: Float64Array; n: number }>();
  for (const s of segments) {
    if (s.probs.length !== k) {
      throw new RangeError(
        `aggregateTracks: track ${s.track} has ${s.probs.length} probabilities, expected ${k}`,
      );
    }
    let acc = byTrack.get(s.track);
    if (!acc) {
      acc = { yTrue: s.yTrue, sum: new Float64Array(k), n: 0 };
      byTrack.set(s.track, acc);
    } else if (acc.yTrue !== s.yTrue) {
      throw new RangeError(
        `aggregateTracks: track ${s.track} has segments with true labels ${acc.yTrue} and ${s.yTrue}`,
      );
    }
    for (let c = 0; c < k; c++) acc.sum[c]! += s.probs[c]!;
    acc.n++;
  }
  const tracks = [...byTrack.keys()].sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
  const out: TrackPredictions = {
    tracks,
    yTrue: new Int32Array(tracks.length),
    yPred: new Int32Array(tracks.length),
    probs: new Float64Array(tracks.length * k),
    segments: new Int32Array(tracks.length),
  };
  tracks.forEach((t, i) => {
    const acc = byTrack.get(t)!;
    const row = out.probs.subarray(i * k, (i + 1) * k);
    for (let c = 0; c < k; c++) row[c] = acc.sum[c]! / acc.n;
    out.yTrue[i] = acc.yTrue;
    out.yPred[i] = argmax(row);
    out.segments[i] = acc.n;
  });
  return out;
}

/**
 * Confusion matrix `C[i][j]` = number of samples of true class `i` predicted as `j`
 * (scikit-learn's convention: rows true, columns predicted).
 *
 * @example
 * ```ts
 * import { confusionMatrix } from "./metrics.ts";
 * confusionMatrix([0, 1, 1], [0, 0, 1], 2); // [[1, 0], [1, 1]]
 * ```
 */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): number[][] {
  checkSameLength(yTrue, yPred);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses) || !Number.isInteger(t + p)) {
      throw new RangeError(`confusionMatrix: label out of range at ${i} (true ${t}, pred ${p})`);
    }
    m[t]![p]!++;
  }
  return m;
}

/**
 * Row-normalises a confusion matrix (each row divided by its sum: recall on the diagonal);
 * rows with no samples stay 0.
 *
 * @example
 * ```ts
 * import { normalizeRows } from "./metrics.ts";
 * normalizeRows([[1, 3], [0, 0]]); // [[0.25, 0.75], [0, 0]]
 * ```
 */
export function normalizeRows(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (s > 0 ? v / s : 0));
  });
}

/** One row of a {@linkcode ClassificationReport}. */
export interface ReportRow {
  /** Precision. */
  precision: number;
  /** Recall. */
  recall: number;
  /** F1 score. */
  f1: number;
  /** Number of true samples. */
  support: number;
}

/** scikit-learn's `classification_report(..., output_dict=True)` in typed form. */
export interface ClassificationReport {
  /** Class names, in label-index order. */
  labels: string[];
  /** Per-class rows, in label-index order. */
  perClass: ReportRow[];
  /** Accuracy (= micro average when every label is reported). */
  accuracy: number;
  /** Unweighted mean of the per-class rows (over all reported labels). */
  macro: ReportRow;
  /** Support-weighted mean of the per-class rows. */
  weighted: ReportRow;
}

/**
 * Per-class precision, recall, F1 and support, accuracy, macro and weighted averages, with the
 * same definitions as scikit-learn's `classification_report(y_true, y_pred,
 * labels=range(K), target_names=labels, zero_division=0)`: an undefined ratio (no predictions of
 * a class, no samples of it) is 0; F1 = 2·tp / (2·tp + fp + fn); the macro average is the plain
 * mean over all K labels (classes without samples included); the weighted average weighs by
 * support.
 *
 * @example
 * ```ts
 * import { classificationReport } from "./metrics.ts";
 * const r = classificationReport([0, 1, 2, 2], [0, 1, 1, 2], ["a", "b", "c"]);
 * r.perClass[1]!.precision; // 0.5
 * ```
 */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  labels: readonly string[],
): ClassificationReport {
  const k = labels.length;
  if (yTrue.length === 0) throw new RangeError("classificationReport: empty input");
  const cm = confusionMatrix(yTrue, yPred, k);
  const perClass: ReportRow[] = [];
  for (let c = 0; c < k; c++) {
    const tp = cm[c]![c]!;
    const support = cm[c]!.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += cm[r]![c]!;
    const fp = predicted - tp;
    const fn = support - tp;
    perClass.push({
      precision: safeDiv(tp, predicted),
      recall: safeDiv(tp, support),
      f1: safeDiv(2 * tp, 2 * tp + fp + fn),
      support,
    });
  }
  const total = perClass.reduce((a, r) => a + r.support, 0);
  const mean = (key: "precision" | "recall" | "f1", weighted: boolean): number => {
    if (!weighted) return perClass.reduce((a, r) => a + r[key], 0) / k;
    return safeDiv(perClass.reduce((a, r) => a + r[key] * r.support, 0), total);
  };
  return {
    labels: [...labels],
    perClass,
    accuracy: accuracy(yTrue, yPred),
    macro: {
      precision: mean("precision", false),
      recall: mean("recall", false),
      f1: mean("f1", false),
      support: total,
    },
    weighted: {
      precision: mean("precision", true),
      recall: mean("recall", true),
      f1: mean("f1", true),
      support: total,
    },
  };
}

/**
 * Formats a report as scikit-learn prints it (right-aligned columns, `digits` decimals).
 *
 * @example
 * ```ts
 * import { classificationReport, formatClassificationReport } from "./metrics.ts";
 * const text = formatClassificationReport(classificationReport([0, 1], [0, 0], ["a", "b"]));
 * ```
 */
export function formatClassificationReport(report: ClassificationReport, digits = 2): string {
  const width = Math.max(...report.labels.map((n) => n.length), "weighted avg".length, digits);
  const num = (v: number): string => " " + v.toFixed(digits).padStart(9);
  const int = (v: number): string => " " + String(v).padStart(9);
  const row = (name: string, r: ReportRow): string =>
    name.padStart(width) + " " + num(r.precision) + num(r.recall) + num(r.f1) + int(r.support) +
    "\n";
  let out = " ".repeat(width) + " " +
    ["precision", "recall", "f1-score", "support"].map((h) => " " + h.padStart(9)).join("") +
    "\n\n";
  report.labels.forEach((name, i) => out += row(name, report.perClass[i]!));
  out += "\n";
  out += "accuracy".padStart(width) + " " + " ".repeat(20) + num(report.accuracy) +
    int(report.macro.support) + "\n";
  out += row("macro avg", report.macro);
  out += row("weighted avg", report.weighted);
  return out;
}

function safeDiv(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new RangeError(`length mismatch: ${a.length} true labels vs ${b.length} predictions`);
  }
}
