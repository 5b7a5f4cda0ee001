/**
 * Figures that compare models: test accuracy per model and tag
 * ({@linkcode modelComparisonSpec}), the SpecAugment ablation gain ({@linkcode ablationSpec}) and
 * parameters against accuracy ({@linkcode efficiencySpec}).
 *
 * @module
 */
import { base, modelAxis, OKABE_ITO, type VlSpec } from "./_vega.ts";

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
 * import { modelComparisonSpec } from "./plots_accuracy.ts";
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
 * import { ablationSpec } from "./plots_accuracy.ts";
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
 * import { efficiencySpec } from "./plots_accuracy.ts";
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
