/**
 * Parameter counts and a Keras-like text summary of a LayersModel (layer, class, output shape,
 * parameters, optionally FLOPs, and the inbound layers when the graph branches).
 *
 * @module
 */
import type { tf } from "../engine/backend.ts";
import type { ModelFlops } from "../engine/flops.ts";

/** Parameter counts of a model. */
export interface ParamCounts {
  /** All weights. */
  total: number;
  /** Weights the optimiser updates. */
  trainable: number;
  /** Other weights (BatchNorm moving mean and variance). */
  nonTrainable: number;
}

function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/**
 * Counts a model's trainable and non-trainable parameters (as Keras' `model.summary()` does).
 *
 * @example
 * ```ts
 * import { initBackend } from "../engine/backend.ts";
 * import { buildModel } from "./mod.ts";
 * import { paramCounts } from "./summary.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = buildModel("Lean_UNet");
 * console.log(paramCounts(model)); // { total: 104234, trainable: 103722, nonTrainable: 512 }
 * model.dispose();
 * ```
 */
export function paramCounts(model: tf.LayersModel): ParamCounts {
  const trainable = model.trainableWeights.reduce((s, w) => s + size(w.shape as number[]), 0);
  const nonTrainable = model.nonTrainableWeights.reduce(
    (s, w) => s + size(w.shape as number[]),
    0,
  );
  return { total: trainable + nonTrainable, trainable, nonTrainable };
}

/** `1234567` → `"1,234,567"` (locale-independent). */
function thousands(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Bytes of float32 weights, Keras style (`4.49 MB`, `7.50 KB`). */
function bytes(params: number): string {
  const b = params * 4;
  if (b >= 1024 * 1024) return `${(b / 1024 / 1024).toFixed(2)} MB`;
  if (b >= 1024) return `${(b / 1024).toFixed(2)} KB`;
  return `${b} B`;
}

/** FLOPs with an SI prefix: `1.679 G`, `9.44 M`, `2.56 K`. */
export function formatFlops(f: number): string {
  if (f >= 1e9) return `${(f / 1e9).toFixed(3)} G`;
  if (f >= 1e6) return `${(f / 1e6).toFixed(2)} M`;
  if (f >= 1e3) return `${(f / 1e3).toFixed(2)} K`;
  return String(f);
}

function shapeText(shape: tf.Shape | tf.Shape[]): string {
  const one = (s: tf.Shape): string => `(${s.map((d) => (d === null ? "None" : d)).join(", ")})`;
  return Array.isArray(shape[0])
    ? (shape as tf.Shape[]).map(one).join(", ")
    : one(shape as tf.Shape);
}

/**
 * A Keras-like summary: one row per layer (name and class, output shape, parameters, FLOPs when
 * `flops` is given, inbound layers when the graph is not a plain chain), then the totals.
 *
 * @example
 * ```ts
 * import { initBackend } from "../engine/backend.ts";
 * import { buildModel } from "./mod.ts";
 * import { modelFlops } from "../engine/flops.ts";
 * import { modelSummary } from "./summary.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const model = buildModel("Lean_UNet");
 * console.log(modelSummary(model, modelFlops(model)));
 * model.dispose();
 * ```
 */
export function modelSummary(model: tf.LayersModel, flops?: ModelFlops): string {
  const flopsByName = new Map(flops?.perLayer.map((l) => [l.name, l.flops]));
  const inbound = (layer: tf.layers.Layer): string[] =>
    layer.inboundNodes.flatMap((n) => n.inboundLayers.map((l) => l.name));
  const consumers = new Map<string, number>();
  for (const layer of model.layers) {
    for (const name of inbound(layer)) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  }
  const branched = model.layers.some((l) => inbound(l).length > 1) ||
    [...consumers.values()].some((c) => c > 1);

  const header = ["Layer (type)", "Output Shape", "Param #"];
  if (flops) header.push("FLOPs");
  if (branched) header.push("Connected to");
  const rows = model.layers.map((layer) => {
    const row = [
      `${layer.name} (${layer.getClassName()})`,
      shapeText(layer.outputShape),
      thousands(layer.countParams()),
    ];
    if (flops) row.push(formatFlops(flopsByName.get(layer.name) ?? 0));
    if (branched) row.push(inbound(layer).join(", "));
    return row;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const rightAligned = new Set([2, 3].filter((i) => i < (flops ? 4 : 3)));
  const fmt = (r: string[]): string =>
    r.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ").trimEnd();
  const width = widths.reduce((s, w) => s + w, 0) + 2 * (widths.length - 1);

  const p = paramCounts(model);
  const lines = [
    `Model: "${model.name}"`,
    "─".repeat(width),
    fmt(header),
    "═".repeat(width),
    ...rows.map(fmt),
    "═".repeat(width),
    `Total params: ${thousands(p.total)} (${bytes(p.total)})`,
    `Trainable params: ${thousands(p.trainable)} (${bytes(p.trainable)})`,
    `Non-trainable params: ${thousands(p.nonTrainable)} (${bytes(p.nonTrainable)})`,
  ];
  if (flops) {
    lines.push(
      `FLOPs (forward, one example): ${(flops.total / 1e9).toFixed(4)} G ` +
        `(conv/dense ${(flops.convDense / 1e9).toFixed(4)} G)`,
    );
  }
  return lines.join("\n");
}
