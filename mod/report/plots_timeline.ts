/**
 * The per-segment timeline of one prediction ({@linkcode timelineSpec}): for each segment of the
 * clip, its distribution over the labels as a stacked bar spanning the segment's time, so one sees
 * which parts of a song voted for which genre. Used by the browser page.
 *
 * @module
 */
import { base, CATEGORICAL_10, type VlSpec } from "./_vega.ts";

/** The part of a prediction the timeline needs (the `predict --json` document has it). */
export interface TimelineInput {
  /** Labels in output order. */
  labels: readonly string[];
  /** Segments with their time span and distribution (in `labels` order). */
  segments: readonly { start_s: number; end_s: number; probabilities: readonly number[] }[];
}

/**
 * A stacked bar per segment (x: time in seconds, y: probability, colour: label), labels with less
 * than 1 % in every segment left out, the most probable overall first in the legend.
 *
 * @example
 * ```ts
 * import { timelineSpec } from "./plots_timeline.ts";
 * const spec = timelineSpec({
 *   labels: ["blues", "jazz"],
 *   segments: [
 *     { start_s: 0, end_s: 2.97, probabilities: [0.8, 0.2] },
 *     { start_s: 2.97, end_s: 5.94, probabilities: [0.1, 0.9] },
 *   ],
 * });
 * console.log((spec.data as { values: unknown[] }).values.length); // 4
 * ```
 */
export function timelineSpec(prediction: TimelineInput, title = "Per-segment timeline"): VlSpec {
  const { labels, segments } = prediction;
  const total = labels.map((_, j) => segments.reduce((a, s) => a + (s.probabilities[j] ?? 0), 0));
  const shown = labels
    .map((label, j) => ({ label, j }))
    .filter(({ j }) => segments.some((s) => (s.probabilities[j] ?? 0) >= 0.01))
    .sort((a, b) => total[b.j]! - total[a.j]! || a.j - b.j);
  // Stacked explicitly (most probable label of the clip at the bottom), so every renderer agrees.
  const values = segments.flatMap((s, i) => {
    let y0 = 0;
    return shown.map(({ label, j }) => {
      const probability = s.probabilities[j] ?? 0;
      const row = { segment: i + 1, start: s.start_s, end: s.end_s, label, probability, y0 };
      y0 += probability;
      return { ...row, y1: y0 };
    });
  });
  const order = shown.map((s) => s.label);
  const colours = order.map((l) => CATEGORICAL_10[labels.indexOf(l) % CATEGORICAL_10.length]!);
  return {
    ...base(title, "each bar is one segment; its colours are the segment's genre probabilities"),
    name: "timeline",
    width: "container",
    height: 180,
    data: { values },
    mark: { type: "rect", stroke: "white", strokeWidth: 0.5 },
    encoding: {
      x: { field: "start", type: "quantitative", title: "time (s)" },
      x2: { field: "end" },
      y: {
        field: "y0",
        type: "quantitative",
        title: "probability",
        axis: { format: "%" },
        scale: { domain: [0, 1] },
      },
      y2: { field: "y1" },
      color: {
        field: "label",
        type: "nominal",
        title: "genre",
        scale: { domain: order, range: colours },
      },
      tooltip: [
        { field: "segment", type: "quantitative" },
        { field: "start", type: "quantitative", title: "from (s)", format: ".2f" },
        { field: "end", type: "quantitative", title: "to (s)", format: ".2f" },
        { field: "label", type: "nominal", title: "genre" },
        { field: "probability", type: "quantitative", format: ".1%" },
      ],
    },
  };
}
