/**
 * Confusion-matrix heatmap ({@linkcode confusionSpec}), counts or row-normalised, with the value
 * written in every cell.
 *
 * @module
 */
import { base, type VlSpec } from "./_vega.ts";

/** Options for {@linkcode confusionSpec}. */
export interface ConfusionOptions {
  /** Figure title. */
  title?: string;
  /** Row-normalised values (0..1, shown as %) rather than counts. */
  normalized?: boolean;
}

/**
 * Confusion-matrix heatmap (rows: true class, columns: predicted) with the value written in
 * every cell: K² `cells` rect marks and K² `counts` text marks.
 *
 * @example
 * ```ts
 * import { confusionSpec } from "./plots_confusion.ts";
 * const spec = confusionSpec([[3, 1], [0, 4]], ["blues", "rock"]);
 * ```
 */
export function confusionSpec(
  matrix: readonly (readonly number[])[],
  labels: readonly string[],
  options: ConfusionOptions = {},
): VlSpec {
  const norm = options.normalized ?? false;
  if (matrix.length !== labels.length || matrix.some((r) => r.length !== labels.length)) {
    throw new RangeError(`confusionSpec: matrix must be ${labels.length} × ${labels.length}`);
  }
  const values = [];
  let max = 0;
  for (let i = 0; i < labels.length; i++) {
    for (let j = 0; j < labels.length; j++) {
      const v = norm ? 100 * matrix[i]![j]! : matrix[i]![j]!;
      max = Math.max(max, v);
      values.push({
        true: labels[i],
        predicted: labels[j],
        value: v,
        label: norm ? v.toFixed(0) : String(v),
      });
    }
  }
  const side = Math.max(160, 34 * labels.length);
  const enc = {
    x: {
      field: "predicted",
      type: "nominal",
      title: "Predicted genre",
      sort: labels,
      axis: { labelAngle: -40 },
    },
    y: { field: "true", type: "nominal", title: "True genre", sort: labels },
  };
  return {
    ...base(
      options.title ?? "Confusion matrix",
      norm ? "row-normalised: % of each true genre (diagonal = recall)" : "counts",
    ),
    data: { values },
    width: side,
    height: side,
    layer: [
      {
        name: "cells",
        mark: { type: "rect" },
        encoding: {
          ...enc,
          color: {
            field: "value",
            type: "quantitative",
            title: norm ? "% of true genre" : "Count",
            scale: { scheme: "blues", domain: [0, norm ? 100 : Math.max(max, 1)] },
          },
          tooltip: [{ field: "true" }, { field: "predicted" }, {
            field: "label",
            title: norm ? "%" : "count",
          }],
        },
      },
      {
        name: "counts",
        mark: { type: "text", fontSize: labels.length > 12 ? 8 : 11 },
        encoding: {
          ...enc,
          text: { field: "label" },
          color: {
            condition: { test: `datum.value > ${norm ? 50 : max / 2}`, value: "white" },
            value: "black",
          },
        },
      },
    ],
  };
}
