/**
 * Figures as Vega-Lite specs, rendered headless to SVG with Vega (`renderer: "none"`: no canvas,
 * no browser). Each builder returns a plain JSON spec (saved beside the SVG as `<name>.vl.json`,
 * so a reader can open it in the Vega editor); {@linkcode renderSvg} compiles and renders it and
 * counts the marks it drew, by mark name, from Vega's scenegraph.
 *
 * Colours: the Okabe-Ito palette (safe for the common colour-vision deficiencies) for categories,
 * with a second channel (shape or dash) where more than a few categories meet; the single-hue
 * "blues" ramp for heatmaps.
 *
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";

/** A Vega-Lite specification (plain JSON). */
export type VlSpec = Record<string, unknown>;

/** Okabe & Ito (2008) colour-blind-safe palette, black last. */
export const OKABE_ITO: readonly string[] = [
  "#E69F00",
  "#56B4E9",
  "#009E73",
  "#F0E442",
  "#0072B2",
  "#D55E00",
  "#CC79A7",
  "#000000",
];

/** Okabe-Ito extended with grey and wine (Paul Tol) for up to 10 categories; pair with shapes. */
export const CATEGORICAL_10: readonly string[] = [...OKABE_ITO, "#999999", "#882255"];

/** Ten shapes that stay distinct at 40 px² (Vega's "stroke" and "wedge" do not): 8 built in, 2 paths. */
const SHAPES = [
  "circle",
  "square",
  "triangle-up",
  "diamond",
  "cross",
  "triangle-down",
  "triangle-left",
  "triangle-right",
  // five-pointed star
  "M0,-1L0.24,-0.32L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12L-0.95,-0.31L-0.24,-0.32Z",
  // hexagon
  "M0,-1L0.87,-0.5L0.87,0.5L0,1L-0.87,0.5L-0.87,-0.5Z",
];

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const CONFIG = {
  font: "Helvetica, Arial, sans-serif",
  title: { fontSize: 15, anchor: "start", subtitleFontSize: 12, subtitleColor: "#444" },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e6e6e6", labelLimit: 220 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320, titleLimit: 320 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: "#cccccc" },
};

/** Horizontal model names when short, slanted when long. */
function modelAxis(names: readonly string[]): VlSpec {
  return Math.max(0, ...names.map((n) => n.length)) > 10 ? { labelAngle: -30 } : { labelAngle: 0 };
}

function base(title: string, subtitle?: string): VlSpec {
  return {
    $schema: SCHEMA,
    title: subtitle ? { text: title, subtitle } : title,
    config: CONFIG,
    background: "white",
  };
}

/** One bar of {@linkcode modelComparisonSpec}: a model × tag × level accuracy, over seeds. */
export interface AccuracyBar {
  /** Model name. */
  model: string;
  /** Run tag, e.g. WITH_AUG. */
  tag: string;
  /** "segment" or "track". */
  level: string;
  /** Mean accuracy over seeds, fraction 0..1. */
  mean: number;
  /** Standard deviation over seeds (fraction), or null with one seed. */
  std: number | null;
  /** Number of seeds. */
  n: number;
}

/**
 * Grouped bars of test accuracy (%) per model, one colour per tag, one panel per level; error
 * bars (mean ± 1 std over seeds) where there are several seeds.
 *
 * @example
 * ```ts
 * import { modelComparisonSpec } from "./plots.ts";
 * const spec = modelComparisonSpec([
 *   { model: "VGG", tag: "WITH_AUG", level: "segment", mean: 0.8, std: 0.01, n: 3 },
 * ]);
 * ```
 */
export function modelComparisonSpec(
  rows: readonly AccuracyBar[],
  title = "Test accuracy per model",
): VlSpec {
  const values = rows.map((r) => ({
    model: r.model,
    tag: r.tag,
    level: r.level,
    accuracy: 100 * r.mean,
    lo: r.std !== null ? 100 * (r.mean - r.std) : null,
    hi: r.std !== null ? 100 * (r.mean + r.std) : null,
    n: r.n,
  }));
  const multi = rows.some((r) => r.n > 1 && r.std !== null);
  const enc = {
    x: {
      field: "model",
      type: "nominal",
      title: "Model",
      axis: modelAxis(rows.map((r) => r.model)),
    },
    xOffset: { field: "tag", type: "nominal" },
  };
  const layer: VlSpec[] = [{
    name: "bars",
    mark: { type: "bar" },
    encoding: {
      ...enc,
      y: {
        field: "accuracy",
        type: "quantitative",
        title: "Test accuracy (%)",
        scale: { domain: [0, 100] },
      },
      color: { field: "tag", type: "nominal", title: "Tag", scale: { range: OKABE_ITO } },
      tooltip: [
        { field: "model" },
        { field: "tag" },
        { field: "accuracy", format: ".2f", title: "accuracy (%)" },
        { field: "n", title: "seeds" },
      ],
    },
  }];
  if (multi) {
    layer.push({
      name: "errorbars",
      transform: [{ filter: "datum.lo !== null" }],
      mark: { type: "rule", color: "black", strokeWidth: 1.5 },
      encoding: {
        ...enc,
        y: { field: "lo", type: "quantitative" },
        y2: { field: "hi" },
      },
    });
  }
  return {
    ...base(
      title,
      multi ? "bars: mean over seeds; whiskers: ± 1 standard deviation" : "one seed per bar",
    ),
    data: { values },
    facet: {
      column: {
        field: "level",
        type: "nominal",
        title: null,
        sort: ["segment", "track"],
        header: { labelExpr: "datum.value + '-level accuracy'", labelFontWeight: "bold" },
      },
    },
    spec: { width: 90 + 60 * new Set(rows.map((r) => r.model)).size, height: 260, layer },
  };
}

/** One model of {@linkcode ablationSpec}. */
export interface AblationBar {
  /** Model name. */
  model: string;
  /** WITH − NO test accuracy, percentage points. */
  gainPp: number;
  /** Seed-to-seed spread (pp), or null with one seed. */
  spreadPp: number | null;
  /** Whether |gain| exceeds the spread, or null when unknown. */
  exceeds: boolean | null;
}

/**
 * Bars of the SpecAugment gain (WITH_AUG − NO_AUG, percentage points) per model, coloured by
 * whether the gain exceeds the seed-to-seed spread; whiskers ± spread; a rule at 0.
 *
 * @example
 * ```ts
 * import { ablationSpec } from "./plots.ts";
 * const spec = ablationSpec([{ model: "VGG", gainPp: 1.5, spreadPp: 2, exceeds: false }]);
 * ```
 */
export function ablationSpec(rows: readonly AblationBar[]): VlSpec {
  const values = rows.map((r) => ({
    model: r.model,
    gain: r.gainPp,
    lo: r.spreadPp !== null ? r.gainPp - r.spreadPp : null,
    hi: r.spreadPp !== null ? r.gainPp + r.spreadPp : null,
    verdict: r.exceeds === null
      ? "one seed: spread unknown"
      : r.exceeds
      ? "gain exceeds seed spread"
      : "gain within seed spread",
  }));
  const layer: VlSpec[] = [
    {
      name: "bars",
      mark: { type: "bar" },
      encoding: {
        x: {
          field: "model",
          type: "nominal",
          title: "Model",
          axis: modelAxis(rows.map((r) => r.model)),
        },
        y: {
          field: "gain",
          type: "quantitative",
          title: "Gain (percentage points)",
        },
        color: {
          field: "verdict",
          type: "nominal",
          title: "Verdict",
          scale: {
            domain: [
              "gain exceeds seed spread",
              "gain within seed spread",
              "one seed: spread unknown",
            ],
            range: [OKABE_ITO[4], OKABE_ITO[0], "#999999"],
          },
        },
        tooltip: [{ field: "model" }, { field: "gain", format: "+.2f", title: "gain (pp)" }],
      },
    },
    {
      name: "zero",
      data: { values: [{ zero: 0 }] },
      mark: { type: "rule", color: "#333" },
      encoding: { y: { field: "zero", type: "quantitative" } },
    },
  ];
  if (rows.some((r) => r.spreadPp !== null)) {
    layer.push({
      name: "errorbars",
      transform: [{ filter: "datum.lo !== null" }],
      mark: { type: "rule", color: "black", strokeWidth: 1.5 },
      encoding: {
        x: { field: "model", type: "nominal" },
        y: { field: "lo", type: "quantitative" },
        y2: { field: "hi" },
      },
    });
  }
  return {
    ...base(
      "WP1: SpecAugment ablation (WITH_AUG − NO_AUG test accuracy)",
      "whiskers: ± seed-to-seed spread of the test accuracy",
    ),
    data: { values },
    width: 90 + 70 * rows.length,
    height: 240,
    layer,
  };
}

/** One point of {@linkcode efficiencySpec}. */
export interface EfficiencyPoint {
  /** Model name. */
  model: string;
  /** Run tag. */
  tag: string;
  /** Trainable + non-trainable parameters. */
  params: number;
  /** Test accuracy, fraction 0..1. */
  accuracy: number;
  /** Median latency per segment, ms (null when not measured). */
  latencyMs: number | null;
}

/**
 * Scatter of parameters vs test accuracy, point area = latency; log x axis only when every
 * parameter count is positive, size channel only when every latency is positive.
 *
 * @example
 * ```ts
 * import { efficiencySpec } from "./plots.ts";
 * const spec = efficiencySpec([
 *   { model: "VGG", tag: "WITH_AUG", params: 1e6, accuracy: 0.8, latencyMs: 3 },
 * ]);
 * ```
 */
export function efficiencySpec(rows: readonly EfficiencyPoint[]): VlSpec {
  const logX = rows.length > 0 && rows.every((r) => r.params > 0);
  const sized = rows.length > 0 && rows.every((r) => r.latencyMs !== null && r.latencyMs > 0);
  const values = rows.map((r) => ({
    model: r.model,
    tag: r.tag,
    params: r.params,
    accuracy: 100 * r.accuracy,
    latency: r.latencyMs,
  }));
  const encoding: VlSpec = {
    x: {
      field: "params",
      type: "quantitative",
      title: `Parameters (count${logX ? ", log scale" : ""})`,
      scale: logX ? { type: "log" } : { zero: true },
      axis: { format: "~s" },
    },
    y: {
      field: "accuracy",
      type: "quantitative",
      title: "Test accuracy (%)",
      scale: { zero: false },
    },
    color: { field: "model", type: "nominal", title: "Model", scale: { range: OKABE_ITO } },
    shape: { field: "tag", type: "nominal", title: "Tag" },
    tooltip: [
      { field: "model" },
      { field: "tag" },
      { field: "params", format: ",d" },
      { field: "accuracy", format: ".2f", title: "accuracy (%)" },
      { field: "latency", format: ".2f", title: "latency (ms)" },
    ],
  };
  if (sized) {
    encoding.size = {
      field: "latency",
      type: "quantitative",
      title: "Latency (ms / segment)",
      scale: { range: [60, 600] },
    };
  }
  return {
    ...base(
      "WP2: efficiency — parameters vs test accuracy",
      sized ? "point area: median inference latency per segment" : "latency not available",
    ),
    data: { values },
    width: 420,
    height: 280,
    mark: { type: "point", filled: true, opacity: 0.85 },
    name: "points",
    encoding,
  };
}

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
 * import { confusionSpec } from "./plots.ts";
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
 * import { tsneSpec } from "./plots.ts";
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
 * import { learningCurvesSpec } from "./plots.ts";
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
 * import { confusionSpec, renderSvg } from "./plots.ts";
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
 * import { confusionSpec, countSvgMarks, renderSvg } from "./plots.ts";
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
