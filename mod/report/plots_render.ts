/**
 * Headless rendering of the Vega-Lite specs to SVG ({@linkcode renderSvg}) with Helvetica text
 * metrics ({@linkcode helveticaWidth}), and an independent count of the drawn marks in the SVG
 * text ({@linkcode countSvgMarks}).
 *
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { VlSpec } from "./_vega.ts";

// Helvetica advance widths (Adobe AFM, per 1000 em) for ASCII 32..126; Arial and Liberation Sans
// share them. Vega without a canvas guesses 0.8 em per character, which leaves wide empty margins
// around every figure; these widths give the real layout for the font the page uses.
const HELVETICA = [
  278,
  278,
  355,
  556,
  556,
  889,
  667,
  191,
  333,
  333,
  389,
  584,
  278,
  333,
  278,
  278,
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  278,
  278,
  584,
  584,
  584,
  556,
  1015,
  667,
  667,
  722,
  722,
  667,
  611,
  778,
  722,
  278,
  500,
  667,
  556,
  833,
  722,
  778,
  667,
  778,
  722,
  667,
  611,
  722,
  667,
  944,
  667,
  667,
  611,
  278,
  278,
  278,
  469,
  556,
  333,
  556,
  556,
  500,
  556,
  556,
  278,
  556,
  556,
  222,
  222,
  500,
  222,
  833,
  556,
  556,
  556,
  556,
  333,
  500,
  278,
  556,
  500,
  722,
  500,
  500,
  500,
  334,
  260,
  334,
  584,
];

/** Width in px of `text` in Helvetica at `size` px (bold about 7% wider). */
export function helveticaWidth(text: string, size: number, bold = false): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += c >= 32 && c <= 126 ? HELVETICA[c - 32]! : 556;
  }
  return (w / 1000) * size * (bold ? 1.07 : 1);
}

// deno-lint-ignore no-explicit-any
function textWidth(item: any, line: unknown): number {
  const size = item.fontSize !== undefined && item.fontSize !== null ? +item.fontSize || 0 : 11;
  const weight = item.fontWeight;
  const bold = weight === "bold" || (typeof weight === "number" && weight >= 600);
  let text = line === undefined || line === null ? "" : String(line).trim();
  const measure = (t: string): number => helveticaWidth(t, size, bold);
  const limit = +item.limit;
  if (limit > 0 && text && measure(text) >= limit) {
    const room = limit - measure("\u2026");
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = 1 + ((lo + hi) >>> 1);
      if (measure(text.slice(0, mid)) < room) lo = mid;
      else hi = mid - 1;
    }
    text = text.slice(0, lo) + "\u2026";
  }
  return measure(text);
}

/** What {@linkcode renderSvg} returns. */
export interface RenderedFigure {
  /** The SVG document. */
  svg: string;
  /** Items drawn per named mark (Vega-Lite `name`; facets summed). */
  marks: Record<string, number>;
}

/**
 * Compiles a Vega-Lite spec and renders it to SVG headless, counting the items of every named
 * mark from Vega's scenegraph.
 *
 * @example
 * ```ts
 * import { confusionSpec } from "./plots_confusion.ts";
 * import { renderSvg } from "./plots_render.ts";
 * const { svg, marks } = await renderSvg(confusionSpec([[1, 0], [0, 1]], ["a", "b"]));
 * marks.cells; // 4
 * ```
 */
export async function renderSvg(spec: VlSpec): Promise<RenderedFigure> {
  // Text layout with font metrics instead of Vega's 0.8-em guess (the hook vl-convert uses too).
  // deno-lint-ignore no-explicit-any
  (vega as any).textMetrics.width = textWidth;
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    await view.runAsync();
    const svg = await view.toSVG();
    const marks: Record<string, number> = {};
    // deno-lint-ignore no-explicit-any
    const walk = (node: any): void => {
      if (node?.marktype && typeof node.name === "string" && node.name.endsWith("_marks")) {
        const name = node.name.slice(0, -"_marks".length);
        const items = node.marktype === "line" || node.marktype === "area"
          ? (node.items?.length ? 1 : 0)
          : node.items?.length ?? 0;
        marks[name] = (marks[name] ?? 0) + items;
      }
      for (const item of node?.items ?? []) if (item?.items) walk(item);
    };
    // deno-lint-ignore no-explicit-any
    walk((view.scenegraph() as any).root);
    return { svg, marks };
  } finally {
    view.finalize();
  }
}

/**
 * Counts the drawn items (`role="graphics-symbol"` elements) of the mark named `name` in an SVG
 * written by Vega, summing over facets: an independent check on the SVG text itself.
 *
 * @example
 * ```ts
 * import { confusionSpec } from "./plots_confusion.ts";
 * import { countSvgMarks, renderSvg } from "./plots_render.ts";
 * const { svg } = await renderSvg(confusionSpec([[1, 0], [0, 1]], ["a", "b"]));
 * countSvgMarks(svg, "counts"); // 4
 * ```
 */
export function countSvgMarks(svg: string, name: string): number {
  const open = new RegExp(`<g class="mark-[a-z]+ role-mark ${escapeRe(name)}_marks"[^>]*>`, "g");
  let count = 0;
  for (const m of svg.matchAll(open)) {
    const start = m.index! + m[0].length;
    const end = svg.indexOf("</g>", start);
    const body = svg.slice(start, end < 0 ? undefined : end);
    count += body.match(/role="graphics-symbol"/g)?.length ?? 0;
  }
  return count;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
