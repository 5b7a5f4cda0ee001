/**
 * t-SNE scatter of pooled features ({@linkcode tsneSpec}), colour and shape by class.
 *
 * @module
 */
import { base, CATEGORICAL_10, SHAPES, type VlSpec } from "./_vega.ts";

/** One point of {@linkcode tsneSpec}. */
export interface TsnePoint {
  /** First t-SNE coordinate. */
  x: number;
  /** Second t-SNE coordinate. */
  y: number;
  /** Class name. */
  label: string;
}

/**
 * t-SNE scatter, colour and shape by class (both, so that classes stay apart without colour).
 *
 * @example
 * ```ts
 * import { tsneSpec } from "./plots_tsne.ts";
 * const spec = tsneSpec([{ x: 0, y: 1, label: "jazz" }]);
 * ```
 */
export function tsneSpec(
  points: readonly TsnePoint[],
  options: { title?: string; subtitle?: string; labels?: readonly string[] } = {},
): VlSpec {
  const domain = options.labels ?? [...new Set(points.map((p) => p.label))].sort();
  return {
    ...base(options.title ?? "t-SNE of pooled features", options.subtitle),
    data: { values: points.map((p) => ({ x: p.x, y: p.y, genre: p.label })) },
    width: 440,
    height: 380,
    mark: { type: "point", filled: true, size: 40, opacity: 0.8 },
    name: "points",
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: "t-SNE 1 (arbitrary units)",
        axis: { grid: false },
      },
      y: {
        field: "y",
        type: "quantitative",
        title: "t-SNE 2 (arbitrary units)",
        axis: { grid: false },
      },
      color: {
        field: "genre",
        type: "nominal",
        title: "Genre",
        scale: { domain, range: CATEGORICAL_10 },
      },
      shape: { field: "genre", type: "nominal", title: "Genre", scale: { domain, range: SHAPES } },
      tooltip: [{ field: "genre" }],
    },
  };
}
