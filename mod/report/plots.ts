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
export { CATEGORICAL_10, OKABE_ITO, type VlSpec } from "./_vega.ts";
export {
  type AblationBar,
  ablationSpec,
  type AccuracyBar,
  type EfficiencyPoint,
  efficiencySpec,
  modelComparisonSpec,
} from "./plots_accuracy.ts";
export { type ConfusionOptions, confusionSpec } from "./plots_confusion.ts";
export { type TsnePoint, tsneSpec } from "./plots_tsne.ts";
export { type CurvePoint, learningCurvesSpec } from "./plots_curves.ts";
export { countSvgMarks, helveticaWidth, type RenderedFigure, renderSvg } from "./plots_render.ts";
export { type TimelineInput, timelineSpec } from "./plots_timeline.ts";
