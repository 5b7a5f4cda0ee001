/**
 * BatchNormalization + activation (none, ReLU, per-channel PReLU) for training on the WebGPU
 * backend as a few WGSL programs over NHWC float32, the `FusedBatchNormKernels` of `fused.ts`.
 *
 * tfjs trains BatchNormalization as `tf.moments` plus a chain of element-wise ops, each a full
 * pass over the activation, and differentiates that chain op by op; the activation after it is one
 * more pass each way. Here, with M = N·H·W rows of C channels:
 *
 * | pass | reads | writes |
 * |---|---|---|
 * | forward 1: per-channel sums over chunks of {@linkcode CHUNK_ROWS} rows | x | ⌈M/256⌉ × C partials |
 * | forward 2: sums of squared deviations from the mean (two-pass variance) | x | partials |
 * | forward 3: `act(x · scale + shift)` | x | y |
 * | backward 1: Σdz, Σdz·x̂ (and Σ over z ≤ 0 of dy·z for PReLU's alpha) per chunk | x, dy | partials |
 * | backward 2: dx | x, dy | dx |
 *
 * with dz = act'(z)·dy recomputed from x (nothing of the size of x is kept for backward), and the
 * partials summed by tfjs's reduction; the per-channel arithmetic between passes runs on [C]
 * tensors. Partial sums of 256 rows keep every shader loop far below lavapipe's 65,535-iteration
 * limit. Checked against the composition reference of `fused.ts` (float32, the same formulas) in
 * `_webgpu_test.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type {
  FusedActivation,
  FusedBackward,
  FusedBatchNormKernels,
  FusedForward,
  FusedPrelu,
} from "./fused.ts";

/** Rows summed by one invocation of a partial-sum pass. */
export const CHUNK_ROWS = 256;

/** The part of tfjs-backend-webgpu's `WebGPUBackend` used here. */
interface WebGpuBackend {
  runWebGPUProgram(
    program: unknown,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms?: { type: "int32" | "float32"; data: number[] }[],
  ): tf.TensorInfo;
}

/** A tfjs-backend-webgpu program (duck-typed: the package is loaded lazily, see `_webgpu.ts`). */
interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size: boolean;
  uniforms: string;
  getUserCode(): string;
}

const WORKGROUP = 64;

/** Workgroups for `threads` invocations, over x then y (65,535 per dimension). */
function dispatchFor(threads: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / WORKGROUP));
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}

function program(
  key: string,
  inputs: string[],
  outputShape: number[],
  threads: number,
  uniforms: string,
  body: string,
): Program {
  return {
    variableNames: inputs,
    outputShape,
    shaderKey: `mgc_bn_${key}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: dispatchFor(threads),
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms,
    getUserCode: () => `fn main(index : i32) {\n${body}\n}`,
  };
}

/** WGSL for the activation of z (into `y`) and its derivative factor (into `d`). */
function actCode(activation: FusedActivation): { y: string; d: string } {
  if (activation === "relu") return { y: "max(z, 0.0)", d: "select(0.0, 1.0, z > 0.0)" };
  if (activation === "prelu") {
    return { y: "select(Alpha[c] * z, z, z > 0.0)", d: "select(Alpha[c], 1.0, z > 0.0)" };
  }
  return { y: "z", d: "1.0" };
}

const ROWS_UNIFORMS = "m : i32, c : i32, rows : i32, threads : i32,";

/** Values of {@linkcode ROWS_UNIFORMS} for M rows of C channels: one invocation per chunk and channel. */
function rowsUniforms(m: number, c: number): number[] {
  return [m, c, CHUNK_ROWS, Math.ceil(m / CHUNK_ROWS) * c];
}

/** Per-(chunk, channel) sums of x (`centred`: of (x − Mean[c])²), [chunks, C]. */
function partialSums(m: number, c: number, centred: boolean): Program {
  const chunks = Math.ceil(m / CHUNK_ROWS);
  return program(
    centred ? "sqdev" : "sum",
    centred ? ["X", "Mean"] : ["X"],
    [chunks, c],
    chunks * c,
    ROWS_UNIFORMS,
    `  if (index >= uniforms.threads) { return; }
  let ch = index % uniforms.c;
  let r0 = (index / uniforms.c) * uniforms.rows;
  let r1 = min(r0 + uniforms.rows, uniforms.m);
  ${centred ? "let mu = Mean[ch];" : ""}
  var s = 0.0;
  for (var r = r0; r < r1; r++) {
    let v = X[r * uniforms.c + ch]${centred ? " - mu" : ""};
    s = s + ${centred ? "v * v" : "v"};
  }
  setOutputAtIndex(index, s);`,
  );
}

/** y = act(x · Scale[c] + Shift[c]). */
function applyProgram(size: number, activation: FusedActivation): Program {
  const a = actCode(activation);
  return program(
    `apply_${activation}`,
    activation === "prelu" ? ["X", "Scale", "Shift", "Alpha"] : ["X", "Scale", "Shift"],
    [size],
    size,
    "c : i32,",
    `  if (index >= uniforms.size) { return; }
  let c = index % uniforms.c;
  let z = X[index] * Scale[c] + Shift[c];
  setOutputAtIndex(index, ${a.y});`,
  );
}

/**
 * Per (chunk, channel): Σdz, Σdz·x̂ and, for PReLU, Σ over z ≤ 0 of dy·z; [chunks, 3, C].
 * x̂ = (x − Mean[c]) · InvStd[c], z = x · Scale[c] + Shift[c] (= γ·x̂ + β).
 */
function gradSums(m: number, c: number, activation: FusedActivation): Program {
  const chunks = Math.ceil(m / CHUNK_ROWS);
  const a = actCode(activation);
  const inputs = ["DY", "X", "Scale", "Shift", "Mean", "InvStd"];
  if (activation === "prelu") inputs.push("Alpha");
  return program(
    `gradsums_${activation}`,
    inputs,
    [chunks, 3, c],
    chunks * c,
    ROWS_UNIFORMS,
    `  if (index >= uniforms.threads) { return; }
  let ch = index % uniforms.c;
  let chunk = index / uniforms.c;
  let r0 = chunk * uniforms.rows;
  let r1 = min(r0 + uniforms.rows, uniforms.m);
  let c = ch;
  let scale = Scale[ch];
  let shift = Shift[ch];
  let mu = Mean[ch];
  let inv = InvStd[ch];
  var sdz = 0.0;
  var sdzx = 0.0;
  var sa = 0.0;
  for (var r = r0; r < r1; r++) {
    let i = r * uniforms.c + ch;
    let x = X[i];
    let dy = DY[i];
    let z = x * scale + shift;
    let dz = dy * ${a.d};
    sdz = sdz + dz;
    sdzx = sdzx + dz * (x - mu) * inv;
    ${activation === "prelu" ? "sa = sa + select(dy * z, 0.0, z > 0.0);" : ""}
  }
  let base = chunk * 3 * uniforms.c + ch;
  setOutputAtIndex(base, sdz);
  setOutputAtIndex(base + uniforms.c, sdzx);
  setOutputAtIndex(base + 2 * uniforms.c, sa);`,
  );
}

/** dx = Scale[c] · dz + K[c] · x + L[c] (the batch-norm gradient with per-channel terms). */
function dxProgram(size: number, activation: FusedActivation): Program {
  const a = actCode(activation);
  const inputs = ["DY", "X", "Scale", "Shift", "K", "L"];
  if (activation === "prelu") inputs.push("Alpha");
  return program(
    `dx_${activation}`,
    inputs,
    [size],
    size,
    "c : i32,",
    `  if (index >= uniforms.size) { return; }
  let c = index % uniforms.c;
  let x = X[index];
  let z = x * Scale[c] + Shift[c];
  let dz = DY[index] * ${a.d};
  setOutputAtIndex(index, Scale[c] * dz + K[c] * x + L[c]);`,
  );
}

/**
 * Runs a program as the tfjs kernel `MgcWebGpuBatchNorm` (so that `tf.profile` and the bench's
 * profile see and time it), the inputs in the program's `variableNames` order.
 */
function run(p: Program, inputs: tf.Tensor[], uniforms: number[]): tf.Tensor {
  if (tf.getKernel(KERNEL, "webgpu") === undefined) {
    tf.registerKernel({
      kernelName: KERNEL,
      backendName: "webgpu",
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { program: prog, uniforms: u } = attrs as unknown as {
          program: Program;
          uniforms: number[];
        };
        return (backend as unknown as WebGpuBackend).runWebGPUProgram(
          prog,
          prog.variableNames.map((n) => inputs[n]!),
          "float32",
          u.map((v) => ({ type: "int32" as const, data: [v] })),
        );
      },
    });
  }
  const named = Object.fromEntries(p.variableNames.map((n, i) => [n, inputs[i]!]));
  return tf.engine().runKernel(KERNEL, named, {
    program: p,
    uniforms,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

const KERNEL = "MgcWebGpuBatchNorm";

function flatAlpha(alpha: tf.Tensor | undefined, c: number): tf.Tensor[] {
  if (alpha === undefined) throw new Error("fused batch norm: prelu needs alpha");
  if (alpha.size !== c) throw new Error(`fused batch norm: alpha of ${alpha.size} ≠ ${c} channels`);
  return [tf.reshape(alpha, [c])];
}

/**
 * The WebGPU `FusedBatchNormKernels`: BatchNormalization with batch statistics and its activation
 * in three passes forward and two backward (see the module doc). Must run with the `webgpu`
 * backend active (`initBackend` registers it there).
 *
 * @example Not run by `deno test --doc`: it needs a WebGPU adapter (`_webgpu_test.ts` checks it
 * against the composition reference on lavapipe).
 * ```ts ignore
 * import { initBackend, tf } from "./backend.ts";
 * import { webGpuFusedBatchNorm } from "./_webgpu_fused.ts";
 * await initBackend({ backend: "webgpu", quiet: true });
 * const x = tf.randomNormal([2, 4, 4, 8]) as tf.Tensor4D;
 * const r = webGpuFusedBatchNorm.trainForward(x, tf.ones([8]), tf.zeros([8]), 1e-3, "relu");
 * console.log(r.y.shape, r.mean.shape); // [2, 4, 4, 8] [8]
 * ```
 */
export const webGpuFusedBatchNorm: FusedBatchNormKernels = {
  trainForward(x, gamma, beta, epsilon, activation, alpha): FusedForward {
    return tf.tidy(() => {
      const c = x.shape[3];
      const m = x.size / c;
      const uniforms = rowsUniforms(m, c);
      const mean = tf.div(tf.sum(run(partialSums(m, c, false), [x], uniforms), 0), m);
      const biased = tf.div(tf.sum(run(partialSums(m, c, true), [x, mean], uniforms), 0), m);
      const invStd = tf.rsqrt(tf.add(biased, epsilon));
      const scale = tf.mul(gamma, invStd);
      const shift = tf.sub(beta, tf.mul(mean, scale));
      const extra = activation === "prelu" ? flatAlpha(alpha, c) : [];
      const y = tf.reshape(
        run(applyProgram(x.size, activation), [x, scale, shift, ...extra], [c]),
        x.shape,
      ) as tf.Tensor4D;
      const variance = tf.mul(biased, m / Math.max(1, m - 1)) as tf.Tensor1D;
      return { y, mean: mean as tf.Tensor1D, variance, saved: [mean, invStd, scale, shift] };
    });
  },
  trainBackward(dy, x, _gamma, saved, _epsilon, activation, alpha): FusedBackward {
    return tf.tidy(() => {
      const [mean, invStd, scale, shift] = saved as tf.Tensor1D[];
      const c = x.shape[3];
      const m = x.size / c;
      const extra = activation === "prelu" ? flatAlpha(alpha, c) : [];
      const sums = tf.sum(
        run(
          gradSums(m, c, activation),
          [dy, x, scale!, shift!, mean!, invStd!, ...extra],
          rowsUniforms(m, c),
        ),
        0,
      ); // [3, C]
      const [dbeta, dgamma, dalphaRow] = tf.unstack(sums, 0) as tf.Tensor1D[];
      // dx = scale·dz − scale/M · (Σdz + x̂ · Σdz·x̂), x̂ = (x − mean)·invStd
      const s = tf.div(scale!, m);
      const k = tf.neg(tf.mul(tf.mul(s, dgamma!), invStd!));
      const l = tf.sub(tf.mul(tf.mul(tf.mul(s, dgamma!), invStd!), mean!), tf.mul(s, dbeta!));
      const dx = tf.reshape(
        run(dxProgram(x.size, activation), [dy, x, scale!, shift!, k, l, ...extra], [c]),
        x.shape,
      ) as tf.Tensor4D;
      return {
        dx,
        dgamma: dgamma!,
        dbeta: dbeta!,
        ...(activation === "prelu" ? { dalpha: tf.reshape(dalphaRow!, alpha!.shape) } : {}),
      };
    });
  },
};

/** dx = dy · (x > 0 ? 1 : Alpha[c]) of a per-channel PReLU. */
function preluDxProgram(size: number): Program {
  return program(
    "prelu_dx",
    ["DY", "X", "Alpha"],
    [size],
    size,
    "c : i32,",
    `  if (index >= uniforms.size) { return; }
  let c = index % uniforms.c;
  setOutputAtIndex(index, DY[index] * select(Alpha[c], 1.0, X[index] > 0.0));`,
  );
}

/** Per (chunk, channel): Σ over x ≤ 0 of dy·x (PReLU's alpha gradient), [chunks, C]. */
function preluAlphaSums(m: number, c: number): Program {
  const chunks = Math.ceil(m / CHUNK_ROWS);
  return program(
    "prelu_dalpha",
    ["DY", "X"],
    [chunks, c],
    chunks * c,
    ROWS_UNIFORMS,
    `  if (index >= uniforms.threads) { return; }
  let ch = index % uniforms.c;
  let r0 = (index / uniforms.c) * uniforms.rows;
  let r1 = min(r0 + uniforms.rows, uniforms.m);
  var s = 0.0;
  for (var r = r0; r < r1; r++) {
    let i = r * uniforms.c + ch;
    let x = X[i];
    s = s + select(DY[i] * x, 0.0, x > 0.0);
  }
  setOutputAtIndex(index, s);`,
  );
}

/**
 * PReLU with one alpha per channel (the last axis) for training on WebGPU: tfjs's forward kernel,
 * and a gradient of two passes (dx; per-chunk sums for alpha) instead of tfjs's chain of
 * comparisons, selects and products. Other alpha shapes use tfjs's own.
 *
 * @example Not run by `deno test --doc`: it needs a WebGPU adapter (`_webgpu_test.ts` checks it).
 * ```ts ignore
 * import { initBackend, tf } from "./backend.ts";
 * import { webGpuPrelu } from "./_webgpu_fused.ts";
 * await initBackend({ backend: "webgpu", quiet: true });
 * const g = tf.grad((x: tf.Tensor) => tf.sum(webGpuPrelu(x, tf.fill([1, 1, 4], 0.1))));
 * console.log(await g(tf.randomNormal([2, 3, 3, 4])).data());
 * ```
 */
export const webGpuPrelu: FusedPrelu = (x, alpha) => {
  const c = x.shape[x.rank - 1]!;
  if (x.dtype !== "float32" || alpha.size !== c || alpha.shape[alpha.rank - 1] !== c) {
    return tf.prelu(x, alpha);
  }
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, a, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([xi, a]);
    return {
      value: tf.prelu(xi, a),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, as] = saved as [tf.Tensor, tf.Tensor];
        const m = xs.size / c;
        const flat = tf.reshape(as, [c]);
        const dx = tf.reshape(run(preluDxProgram(xs.size), [dy, xs, flat], [c]), xs.shape);
        const sums = run(preluAlphaSums(m, c), [dy, xs], rowsUniforms(m, c));
        return [dx, tf.reshape(tf.sum(sums, 0), as.shape)];
      },
    };
  });
  return (f as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor)(x, alpha);
};
