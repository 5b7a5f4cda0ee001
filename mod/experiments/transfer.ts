/**
 * Transfer learning by layer name: copy the weights of every layer that exists under the same
 * name, with the same class and the same weight shapes, in a source and a target model. This is
 * how the Indian-music and tabla pipelines start from the GTZAN UNet: the encoder is copied, the
 * `classifier` (another number of classes) is skipped and keeps its fresh initialisation.
 *
 * BatchNorm moving statistics are weights too (non-trainable) and are copied with their layer.
 *
 * @module
 */
import type { tf } from "../engine/backend.ts";
import { log as stderrLog } from "../progress.ts";

/** A target layer that was not copied, and why. */
export interface SkippedLayer {
  /** Target layer name. */
  name: string;
  /** Why: missing in the source, another class, or other weight shapes. */
  reason: string;
}

/** What {@linkcode transferWeights} did. */
export interface TransferReport {
  /** Names of the target layers whose weights now equal the source's. */
  copied: string[];
  /** Target layers with weights that were left as they were. */
  skipped: SkippedLayer[];
}

function shapeText(shapes: number[][]): string {
  return shapes.map((s) => `[${s.join(",")}]`).join(" ");
}

/**
 * Copies weights from `source` into `target` for every layer with weights whose name, class and
 * weight shapes match; returns (and logs, one summary line plus one line per skipped layer) what
 * was copied and what was not. Layers without weights are ignored. Throws when nothing at all
 * could be copied, which almost always means the wrong source checkpoint.
 *
 * @example
 * ```ts
 * import { initBackend } from "../engine/backend.ts";
 * import { buildModel } from "../models/mod.ts";
 * import { transferWeights } from "./transfer.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const gtzan = buildModel("UNet_Audio_Classifier", { numClasses: 10 });
 * const tabla = buildModel("UNet_Audio_Classifier", { numClasses: 8 });
 * const { copied, skipped } = transferWeights(gtzan, tabla, { log: () => {} });
 * console.log(copied.length, skipped.map((s) => s.name)); // 24 [ "classifier" ]
 * // copied: the encoder/bottleneck layers; skipped[0].reason: "weight shapes [256,10] [10] in source, [256,8] [8] in target"
 * gtzan.dispose();
 * tabla.dispose();
 * ```
 */
export function transferWeights(
  source: tf.LayersModel,
  target: tf.LayersModel,
  options: { log?: (line: string) => void } = {},
): TransferReport {
  const log = options.log ?? stderrLog;
  const copied: string[] = [];
  const skipped: SkippedLayer[] = [];
  const sourceByName = new Map(source.layers.map((l) => [l.name, l]));
  for (const layer of target.layers) {
    if (layer.weights.length === 0) continue;
    const from = sourceByName.get(layer.name);
    if (!from) {
      skipped.push({ name: layer.name, reason: `no layer of that name in ${source.name}` });
      continue;
    }
    if (from.getClassName() !== layer.getClassName()) {
      skipped.push({
        name: layer.name,
        reason: `class ${from.getClassName()} in source, ${layer.getClassName()} in target`,
      });
      continue;
    }
    const want = layer.weights.map((w) => w.shape as number[]);
    const have = from.weights.map((w) => w.shape as number[]);
    if (shapeText(want) !== shapeText(have)) {
      skipped.push({
        name: layer.name,
        reason: `weight shapes ${shapeText(have)} in source, ${shapeText(want)} in target`,
      });
      continue;
    }
    // getWeights() returns the variables' current values; setWeights copies them into the
    // target's own variables (tensors are immutable, so later training of either model does not
    // affect the other).
    layer.setWeights(from.getWeights());
    copied.push(layer.name);
  }
  const withWeights = copied.length + skipped.length;
  log(
    `transfer ${source.name} → ${target.name}: copied ${copied.length} of ${withWeights} ` +
      `layers with weights`,
  );
  for (const s of skipped) log(`  not copied: ${s.name} (${s.reason})`);
  if (copied.length === 0) {
    throw new Error(
      `transfer ${source.name} → ${target.name}: no layer matched by name and weight shapes; ` +
        `is the source checkpoint the right architecture?`,
    );
  }
  return { copied, skipped };
}
