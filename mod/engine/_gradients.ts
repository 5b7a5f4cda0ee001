/**
 * Gradients of `Mean` and `Sum` that broadcast `dy` on the device instead of multiplying it by a
 * tensor of ones. tfjs's own (`Mean_grad`, `Sum_grad` in tfjs-core 4.22) build that tensor with
 * `ones(x.shape)`, which fills a typed array of x's full size in JavaScript and uploads it: on a
 * GPU every BatchNormalization's batch statistics (`tf.moments` → `Mean`) paid a CPU fill and a
 * host-to-device copy of the whole activation per training step. Measured on an NVIDIA H200
 * through WebGPU (Efficient_VGG, batch 16): 2.9 s of the 3.0 s of CPU per step went to the
 * backward `Multiply` that consumed those tensors, while the GPU's own kernel time was 61 ms. The
 * native engine (`tensorflow`) and `cpu` paid the same fill. Here `dy` (reshaped to x's rank,
 * divided by the reduced count for `Mean`) is broadcast by `broadcastTo`, a `Tile` kernel on
 * every backend: the same values, no host work. The wasm engine replaces the `Mean` gradient
 * with its own kernel where it can (`_wasm_kernels.ts`) and falls back to these.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

type Grads = Record<string, () => tf.Tensor>;

/** Marks the gradients this module (or the wasm engine, which builds on it) registered. */
const MARK = "mgcBroadcast";

function expandedShape(x: tf.Tensor, axes: number[]): number[] {
  const shape = x.shape.slice();
  for (const a of axes) shape[a] = 1;
  return shape;
}

/**
 * dx of `Mean` over `attrs.axis` for `dy`: `dy / n` broadcast back to x's shape.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { meanGrad } from "./_gradients.ts";
 * const x = tf.zeros([2, 3]);
 * meanGrad(tf.tensor1d([3, 6]), [x], { axis: [1] }).x().arraySync(); // [[1, 1, 1], [2, 2, 2]]
 * ```
 */
export function meanGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap): Grads {
  const [x] = saved as [tf.Tensor];
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
  return {
    x: () =>
      tf.tidy(() => tf.broadcastTo(tf.div(tf.reshape(dy, expandedShape(x, axes)), n), x.shape)),
  };
}

/**
 * dx of `Sum` over `attrs.axis` for `dy`: `dy` broadcast back to x's shape.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { sumGrad } from "./_gradients.ts";
 * const x = tf.zeros([2, 2]);
 * sumGrad(tf.tensor1d([5, 7]), [x], { axis: [0] }).x().arraySync(); // [[5, 7], [5, 7]]
 * ```
 */
export function sumGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap): Grads {
  const [x] = saved as [tf.Tensor];
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
  return {
    x: () => tf.tidy(() => tf.broadcastTo(tf.reshape(dy, expandedShape(x, axes)), x.shape)),
  };
}

/**
 * Registers {@linkcode meanGrad} and {@linkcode sumGrad} as the gradients of `Mean` and `Sum` on
 * every backend, once; a gradient already marked (the wasm engine's `Mean`, which falls back to
 * {@linkcode meanGrad}) is kept. Returns the names registered now.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { registerBroadcastGradients } from "./_gradients.ts";
 * registerBroadcastGradients();
 * const g = tf.grad((x: tf.Tensor) => tf.mean(x))(tf.zeros([2, 2]));
 * g.arraySync(); // [[0.25, 0.25], [0.25, 0.25]]
 * ```
 */
export function registerBroadcastGradients(): string[] {
  const done: string[] = [];
  for (const [kernelName, gradFunc] of [["Mean", meanGrad], ["Sum", sumGrad]] as const) {
    const current = tf.getGradient(kernelName) as
      | (tf.GradConfig & { [MARK]?: boolean })
      | undefined;
    if (current === undefined || current[MARK]) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: current.inputsToSave,
      gradFunc: gradFunc as unknown as tf.GradConfig["gradFunc"],
      [MARK]: true,
    } as tf.GradConfig);
    done.push(kernelName);
  }
  return done;
}

/** Marks a gradient config as building on this module's (so that it is not replaced). */
export const BROADCAST_GRADIENT_MARK: string = MARK;
