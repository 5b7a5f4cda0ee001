/**
 * Learning curves ({@linkcode learningCurvesSpec}): loss and accuracy per epoch, train and
 * validation, one row of panels per run.
 *
 * @module
 */
import { base, OKABE_ITO, type VlSpec } from "./_vega.ts";

/** One point of a learning curve. */
export interface CurvePoint {
  /** Run name (one row of panels each), e.g. "UNet_Audio_Classifier". */
  run: string;
  /** Seed (curves of several seeds are drawn separately). */
  seed: string;
  /** 1-based epoch. */
  epoch: number;
  /** "loss" or "accuracy". */
  metric: string;
  /** "train" or "validation". */
  split: string;
  /** Value (accuracy as fraction 0..1; shown in %). */
  value: number;
}

/**
 * Learning curves: one row of panels per run, loss and accuracy side by side (independent y
 * scales), train solid and validation dashed, one line per seed.
 *
 * @example
 * ```ts
 * import { learningCurvesSpec } from "./plots_curves.ts";
 * const spec = learningCurvesSpec([
 *   { run: "VGG", seed: "42", epoch: 1, metric: "loss", split: "train", value: 2.1 },
 * ]);
 * ```
 */
export function learningCurvesSpec(
  points: readonly CurvePoint[],
  title = "Learning curves",
): VlSpec {
  const values = points.map((p) => ({
    ...p,
    value: p.metric === "accuracy" ? 100 * p.value : p.value,
    panel: p.metric === "accuracy" ? "accuracy (%)" : "loss (cross-entropy)",
    line: `${p.split} · seed ${p.seed}`,
  }));
  return {
    ...base(title, "solid: training set; dashed: validation set; one line per seed"),
    data: { values },
    facet: {
      row: {
        field: "run",
        type: "nominal",
        title: null,
        header: { labelAngle: 0, labelAlign: "right", labelLimit: 220, labelFontWeight: "bold" },
      },
      column: {
        field: "panel",
        type: "nominal",
        title: null,
        sort: ["loss (cross-entropy)", "accuracy (%)"],
      },
    },
    spec: {
      width: 260,
      height: 140,
      mark: { type: "line", strokeWidth: 1.6 },
      name: "curves",
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "Epoch" },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
        color: {
          field: "split",
          type: "nominal",
          title: "Split",
          scale: { domain: ["train", "validation"], range: [OKABE_ITO[4], OKABE_ITO[5]] },
        },
        strokeDash: {
          field: "split",
          type: "nominal",
          title: "Split",
          scale: { domain: ["train", "validation"], range: [[1, 0], [5, 3]] },
        },
        detail: { field: "line", type: "nominal" },
      },
    },
    resolve: { scale: { y: "independent" } },
  };
}
