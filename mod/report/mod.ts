/**
 * What the experiments mean: segment- and track-level metrics, tables as CSV and Markdown,
 * Vega-Lite figures rendered to SVG, t-SNE of pooled embeddings, and the analysis that writes the
 * HTML report from the results folder. Imports predict, engine, prepare and everything below.
 *
 * @example
 * ```ts
 * import { accuracy, confusionMatrix, tableToMarkdown } from "./mod.ts";
 * console.log(accuracy([0, 1, 1], [0, 1, 0])); // 0.666…
 * console.log(confusionMatrix([0, 1, 1], [0, 1, 0], 2)); // [[1, 0], [1, 1]]
 * console.log(typeof tableToMarkdown); // function
 * ```
 *
 * `pooled_features.ts` (a trained bundle's pooled embeddings for the t-SNE) is a separate entry
 * point: it loads TensorFlow.js, which the rest of the report does not need.
 *
 * @module
 */
export * from "./metrics.ts";
export * from "./tables.ts";
export * from "./plots.ts";
export * from "./tsne.ts";
export * from "./analysis.ts";
export * from "./report_html.ts";
