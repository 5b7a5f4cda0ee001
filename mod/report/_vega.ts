/**
 * Shared pieces of the Vega-Lite figures in `plots.ts`: the spec type, the colour palettes and
 * shapes, the common config (font, title and axis sizes) and the spec skeleton every builder
 * starts from.
 *
 * @module
 */

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
export const SHAPES: readonly string[] = [
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
export function modelAxis(names: readonly string[]): VlSpec {
  return Math.max(0, ...names.map((n) => n.length)) > 10 ? { labelAngle: -30 } : { labelAngle: 0 };
}

/** Spec skeleton: schema, title (with a subtitle when given), shared config, white background. */
export function base(title: string, subtitle?: string): VlSpec {
  return {
    $schema: SCHEMA,
    title: subtitle ? { text: title, subtitle } : title,
    config: CONFIG,
    background: "white",
  };
}
