/**
 * WebGPU backend tests. The ones that need an adapter run when `navigator.gpu` finds one (a real
 * GPU, or on Linux without one Mesa's lavapipe: `apt-get install mesa-vulkan-drivers libvulkan1`)
 * and are reported as ignored, by name, otherwise. Each computes on the cpu (or wasm) backend
 * first and on WebGPU second: data moves from cpu/wasm to WebGPU, never back (WebGPU has no
 * synchronous read).
 */
import { backendInfo, initBackend, tf } from "./backend.ts";
import {
  describeAdapter,
  probeWebGpu,
  tensorFootprint,
  throwIfWebGpuError,
  WebGpuDeviceError,
  webGpuMicroBatch,
  webGpuSetup,
} from "./_webgpu.ts";
import { trainStep } from "./batches.ts";
import { compositionFusedBatchNorm, type FusedActivation } from "./fused.ts";
import { CHUNK_ROWS, webGpuFusedBatchNorm, webGpuPrelu } from "./_webgpu_fused.ts";
import { EarlyStopping, ReduceLROnPlateau } from "./callbacks.ts";
import { getWeightArrays } from "./checkpoint.ts";
import { Adam } from "./optim.ts";
import { train } from "./train.ts";
import { arraySource } from "../prepare/samples.ts";
import { specAugmenter } from "../features/augment.ts";
import { buildModel, MODEL_NAMES } from "../models/mod.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";

function assertStringIncludes(s: string, part: string): void {
  assert(s.includes(part), `expected "${s}" to include "${part}"`);
}

const found = await probeWebGpu();
const noAdapter = found === null;
const MIB = 2 ** 20;

// --- without an adapter ----------------------------------------------------------------------

Deno.test("webGpuMicroBatch: whole batch when it fits, equal parts when not, refusal when asked too much", () => {
  const fp = { perSampleBytes: 2 * MIB, layer: "conv1", weightBytes: 1024 };
  assertEquals(webGpuMicroBatch(fp, 48, 128 * MIB), 48);
  assertEquals(webGpuMicroBatch(fp, 96, 128 * MIB), 48); // two of 48, not 64 + 32
  assertEquals(webGpuMicroBatch(fp, 48, 64 * MIB), 24); // 32 fit: two of 24
  assertEquals(webGpuMicroBatch(fp, 48, 128 * MIB, 16), 16);
  const e = assertThrows(() => webGpuMicroBatch(fp, 96, 128 * MIB, 80), WebGpuDeviceError);
  assertStringIncludes(e.message, "micro-batch 80 needs a 160 MiB tensor (layer conv1)");
  assertStringIncludes(e.message, "--micro-batch 64");
  const heavy = { perSampleBytes: 1024, layer: "x", weightBytes: 200 * MIB };
  assertThrows(
    () => webGpuMicroBatch(heavy, 4, 128 * MIB),
    WebGpuDeviceError,
    "a weight of this model takes 200 MiB",
  );
});

Deno.test("tensorFootprint: the largest activation of the UNet is 128×128×32 floats per sample", async () => {
  await initBackend({ backend: "cpu", quiet: true });
  const m = buildModel("UNet_Audio_Classifier");
  const fp = tensorFootprint(m);
  assertEquals(fp.perSampleBytes, 128 * 128 * 32 * 4);
  assert(fp.weightBytes > 0 && fp.weightBytes < 128 * MIB);
  // 48 samples (96 MiB) fit lavapipe's 128 MiB: the whole batch of the recipes.
  assertEquals(webGpuMicroBatch(fp, 48, 128 * MIB), 48);
  m.dispose();
});

Deno.test("describeAdapter names vendor, architecture, description and the fallback flag", () => {
  const a = {
    vendor: "65541",
    architecture: "",
    device: "0",
    description: "llvmpipe (LLVM 15.0.6, 256 bits)",
    isFallbackAdapter: true,
  };
  assertEquals(describeAdapter(a), "65541 llvmpipe (LLVM 15.0.6, 256 bits) (fallback)");
  assertEquals(
    describeAdapter({ ...a, vendor: "apple", architecture: "metal-3", isFallbackAdapter: false }),
    "apple metal-3 llvmpipe (LLVM 15.0.6, 256 bits)",
  );
});

Deno.test("initBackend: no adapter is a clear error under 'webgpu' and a silent skip under 'auto'", async () => {
  const nav = globalThis.navigator as unknown as Record<string, unknown>;
  const had = Object.getOwnPropertyDescriptor(nav, "gpu");
  // A navigator.gpu that finds no adapter, as on a machine without GPU or Vulkan driver.
  Object.defineProperty(nav, "gpu", {
    value: { requestAdapter: () => Promise.resolve(null) },
    configurable: true,
  });
  try {
    if (webGpuSetup() !== null) return; // a device is already open in this process
    await initBackend({ backend: "cpu", quiet: true });
    await assertRejects(
      () => initBackend({ backend: "webgpu", quiet: true }),
      Error,
      'backend "webgpu" unavailable: webgpu: no adapter',
    );
    assertEquals(tf.getBackend(), "cpu");
    assertEquals(tf.findBackendFactory("webgpu"), null, "the package was not even imported");
  } finally {
    if (had) Object.defineProperty(nav, "gpu", had);
    else delete nav.gpu; // the prototype's getter shows again
  }
});

// --- with an adapter -------------------------------------------------------------------------

/** Max |a − b| / max(1, max |b|). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length);
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / Math.max(1, m);
}

/** Seeded pseudo-random floats in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

interface LayerCase {
  label: string;
  run: () => Promise<Float32Array[]>;
}

/**
 * For every layer type of the four models (first instance per model), the layer's forward output
 * in training mode and the gradients of a random projection of it w.r.t. its inputs and weights.
 */
function layerCases(models: tf.LayersModel[]): LayerCase[] {
  const cases: LayerCase[] = [];
  const seen = new Set<string>();
  for (const model of models) {
    for (const layer of model.layers) {
      const type = layer.getClassName();
      if (type === "InputLayer" || seen.has(`${model.name}/${type}`)) continue;
      seen.add(`${model.name}/${type}`);
      const inbound = (layer as unknown as {
        inboundNodes: { inputTensors: tf.SymbolicTensor[] }[];
      }).inboundNodes[0]!.inputTensors.map((t) => t.shape.slice(1) as number[]);
      if ("seed" in layer) (layer as unknown as { seed: number }).seed = 5;
      // A BatchNormalization followed by its activation trains as one fused pair where fused
      // kernels are registered (fused.ts routes the pair): compare the pair.
      const outbound = (layer as unknown as { outboundNodes: { outboundLayer: tf.layers.Layer }[] })
        .outboundNodes;
      const next = type === "BatchNormalization" && outbound.length === 1 &&
          ["Activation", "ReLU", "PReLU"].includes(outbound[0]!.outboundLayer.getClassName())
        ? outbound[0]!.outboundLayer
        : null;
      const apply = (ins: tf.Tensor | tf.Tensor[]): tf.Tensor => {
        const y = layer.apply(ins, { training: true }) as tf.Tensor;
        return next ? next.apply(y, { training: true }) as tf.Tensor : y;
      };
      cases.push({
        label: `${model.name}/${layer.name}${next ? ` + ${next.name}` : ""} (${type})`,
        run: async () => {
          const xs = inbound.map((s, i) =>
            tf.tensor(noise(4 * s.reduce((a, b) => a * b, 1), 11 + i), [4, ...s])
          );
          const weights = [...layer.trainableWeights, ...(next?.trainableWeights ?? [])].map((w) =>
            w.read() as tf.Variable
          );
          const f = (...ins: tf.Tensor[]): tf.Scalar => {
            const y = apply(ins.length === 1 ? ins[0]! : ins);
            const r = tf.tensor(noise(y.size, 3), y.shape);
            return tf.sum(tf.mul(y, r)) as tf.Scalar;
          };
          const y = tf.tidy(() => apply(xs.length === 1 ? xs[0]! : xs));
          const vg = weights.length > 0 ? tf.variableGrads(() => f(...xs), weights) : null;
          const grads = vg?.grads ?? {};
          vg?.value.dispose();
          const dx = tf.grads(f)(xs);
          const out = [
            await y.data(),
            ...await Promise.all(dx.map((g) => g.data())),
            ...await Promise.all(weights.map((w) => grads[w.name]!.data())),
          ] as Float32Array[];
          throwIfWebGpuError(`layer ${layer.name}`);
          tf.dispose([...xs, y, ...dx, ...Object.values(grads)]);
          return out;
        },
      });
    }
  }
  return cases;
}

Deno.test({
  name: "webgpu: forward and gradient parity with cpu for every layer type of the four models",
  ignore: noAdapter,
  fn: async () => {
    await initBackend({ backend: "cpu", quiet: true });
    const before = tf.memory().numTensors;
    // Small inputs keep lavapipe fast; every layer type and configuration is still exercised.
    const models = MODEL_NAMES.map((m) => buildModel(m, { inputShape: [32, 32, 1], seed: 1 }));
    const cases = layerCases(models);
    const want: Float32Array[][] = [];
    for (const c of cases) want.push(await c.run());
    await initBackend({ backend: "webgpu", quiet: true });
    const types = new Set<string>();
    for (const [i, c] of cases.entries()) {
      const got = await c.run();
      got.forEach((g, j) => {
        const e = relErr(g, want[i]![j]!);
        assert(e < 1e-4, `${c.label}: output ${j} differs from cpu by ${e.toExponential(2)}`);
      });
      types.add(c.label.replace(/.*\((.*)\)/, "$1"));
    }
    for (
      const t of [
        "Conv2D",
        "BatchNormalization",
        "PReLU",
        "MaxPooling2D",
        "Dense",
        "Multiply",
        "Add",
      ]
    ) assert(types.has(t), t);
    models.forEach((m) => m.dispose());
    await initBackend({ backend: "cpu", quiet: true });
    assertEquals(tf.memory().numTensors, before);
  },
});

Deno.test({
  name: "webgpu: the filter gradient stays exact from 65,536 rows on (lavapipe's loop limit)",
  ignore: noAdapter,
  fn: async () => {
    // Batch 4 at 128×128: the stock kernel loops 65,536 times per weight, and llvmpipe stops
    // shader loops after 65,535 iterations (8–12 % error there); the one registered here does not.
    const attrs = (ci: number, co: number): tf.NamedAttrMap =>
      ({
        strides: [1, 1],
        pad: "same",
        dataFormat: "NHWC",
        filterShape: [3, 3, ci, co],
      }) as unknown as tf.NamedAttrMap;
    const shapes: [number, number, number][] = [[128, 1, 8], [128, 8, 8]];
    const inputs = shapes.map(([h, ci, co], k) => ({
      x: noise(4 * h * h * ci, 31 + k),
      dy: noise(4 * h * h * co, 41 + k),
    }));
    const grad = async (k: number): Promise<Float32Array> => {
      const [h, ci, co] = shapes[k]!;
      const x = tf.tensor(inputs[k]!.x, [4, h, h, ci]);
      const dy = tf.tensor(inputs[k]!.dy, [4, h, h, co]);
      const g = tf.engine().runKernel(
        "Conv2DBackpropFilter",
        { x, dy },
        attrs(ci, co),
      ) as tf.Tensor;
      const out = await g.data() as Float32Array;
      tf.dispose([x, dy, g]);
      return out;
    };
    await initBackend({ backend: "cpu", quiet: true });
    const want = [await grad(0), await grad(1)];
    await initBackend({ backend: "webgpu", quiet: true });
    for (const k of [0, 1]) {
      const e = relErr(await grad(k), want[k]!);
      assert(e < 1e-5, `${shapes[k]}: relative error ${e.toExponential(2)}`);
    }
    throwIfWebGpuError("the filter gradients");
  },
});

/** A learnable 4-class toy problem on [16, 16, 1] inputs. */
function toyData(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const size = 16 * 16;
  const x = noise(n * size, seed);
  const y = Int32Array.from({ length: n }, (_, i) => i % 4);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < size; j += 4 + y[i]!) x[i * size + j]! += 2;
  }
  return { x, y };
}

Deno.test({
  name: "webgpu: a short training matches wasm's epoch-1 loss (same seed) and records the adapter",
  ignore: noAdapter,
  fn: async () => {
    const { x, y } = toyData(96, 21);
    const src = arraySource(x, y, [16, 16, 1], 4);
    const run = async (backend: "wasm" | "webgpu"): Promise<number> => {
      await initBackend({ backend, quiet: true, threads: 1 });
      const model = buildModel("Efficient_VGG", {
        inputShape: [16, 16, 1],
        numClasses: 4,
        seed: 3,
      });
      const r = await train(model, src, null, {
        epochs: 1,
        batchSize: 48,
        seed: 9,
        verbose: false,
        augment: specAugmenter([16, 16, 1], { maxFreqWidth: 3, maxTimeWidth: 3 }),
      });
      model.dispose();
      return r.history[0]!.loss;
    };
    const wasm = await run("wasm");
    const gpu = await run("webgpu");
    assert(Math.abs(gpu - wasm) / wasm < 0.02, `epoch-1 loss webgpu ${gpu} vs wasm ${wasm}`);
    const info = backendInfo()!;
    assertEquals(info.name, "webgpu");
    assertEquals(info.adapter, found!.info);
    assert(info.device!.length > 0);
    assert(info.limits!.maxStorageBufferBindingSize >= 128 * MIB);
  },
});

Deno.test({
  name:
    "webgpu: callbacks, checkpoints and a mid-epoch resume end with the uninterrupted run's weights",
  ignore: noAdapter,
  fn: async () => {
    await initBackend({ backend: "webgpu", quiet: true });
    const dir = await Deno.makeTempDir();
    const { x, y } = toyData(40, 5);
    const src = arraySource(x, y, [16, 16, 1], 4);
    const cfg = (extra: object) => ({
      epochs: 2,
      batchSize: 8,
      seed: 4,
      verbose: false,
      augment: specAugmenter([16, 16, 1], { maxFreqWidth: 2, maxTimeWidth: 2 }),
      callbacks: [
        new EarlyStopping({ monitor: "val_accuracy", patience: 5, restoreBestWeights: true }),
        new ReduceLROnPlateau({ monitor: "val_loss", factor: 0.5, patience: 0 }),
      ],
      ...extra,
    });
    const make = (seed: number) =>
      buildModel("Lean_UNet", { inputShape: [16, 16, 1], numClasses: 4, seed });
    const whole = make(2);
    await train(whole, src, src, cfg({}));
    const want = await getWeightArrays(whole);
    const ctrl = new AbortController();
    const first = make(2);
    const r1 = await train(
      first,
      src,
      src,
      cfg({
        checkpointDir: `${dir}/ck`,
        signal: ctrl.signal,
        onBatchEnd: (b: { epoch: number; step: number }) => {
          if (b.epoch === 1 && b.step === 1) ctrl.abort();
        },
      }),
    );
    assert(r1.interrupted);
    const resumed = make(77);
    await train(resumed, src, src, cfg({ checkpointDir: `${dir}/ck`, resume: true }));
    const got = await getWeightArrays(resumed);
    got.forEach((w, i) => assert(relErr(w, want[i]!) < 1e-6, `weight ${i}`));
    [whole, first, resumed].forEach((m) => m.dispose());
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "webgpu: a forced oversized micro-batch fails with a clear error instead of training on zeros",
  ignore: noAdapter,
  fn: async () => {
    await initBackend({ backend: "webgpu", quiet: true });
    const limit = webGpuSetup()!.limits.maxStorageBufferBindingSize;
    // One conv with 64 channels at 32×32: 256 KiB per sample.
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: "same", inputShape: [32, 32, 1] }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 2, activation: "softmax" }),
      ],
    });
    const perSample = 32 * 32 * 64 * 4;
    const fit = Math.floor(limit / perSample);
    const n = fit + 1;
    const x = new Float32Array(n * 32 * 32);
    const y = new Int32Array(n);
    const src = arraySource(x, y, [32, 32, 1], 2);
    // 1. The trainer refuses the micro-batch before computing anything.
    const err = await assertRejects(
      () =>
        train(model, src, null, {
          epochs: 1,
          batchSize: n,
          microBatch: n,
          seed: 1,
          verbose: false,
        }),
      WebGpuDeviceError,
    );
    assertStringIncludes(err.message, `micro-batch ${n} needs`);
    assertStringIncludes(err.message, "maxStorageBufferBindingSize");
    // 2. Past that check (a step run directly), the device's error event fails the step.
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const opt = new Adam(vars);
    await assertRejects(
      () =>
        trainStep(model, vars, opt, {
          x,
          y,
          sampleShape: [32, 32, 1],
          numClasses: 2,
          microBatch: n,
          lossOptions: {},
          dropouts: [],
          seedFor: () => 1,
        }),
      WebGpuDeviceError,
      "computes as zeros",
    );
    // 3. The same holds for any op: a tensor over the limit reads back zeros, then throws.
    const big = tf.tidy(() => tf.fill([limit / 4 + 1024], 1).mul(2).sum());
    await big.data(); // not the sum: the op did not run
    big.dispose();
    assertThrows(() => throwIfWebGpuError("the probe"), WebGpuDeviceError, "per tensor");
    throwIfWebGpuError("nothing"); // errors are reported once
    opt.dispose();
    model.dispose();
  },
});

Deno.test({
  name: "webgpu: fused BatchNormalization + activation equals the composition reference",
  ignore: noAdapter,
  fn: async () => {
    await initBackend({ backend: "webgpu", quiet: true });
    const before = tf.memory().numTensors;
    // Row counts below, at and above one chunk, odd spatial sizes, an offset mean (two-pass
    // variance), every activation.
    const shapes = [[4, 8, 8, 16], [3, 17, 5, 32], [2, 33, 40, 8], [1, 16, CHUNK_ROWS / 16, 8]];
    for (const activation of ["linear", "relu", "prelu"] as FusedActivation[]) {
      for (const shape of shapes) {
        const c = shape[3]!;
        const size = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor4d(noise(size, 1).map((v) => 3 * v + 5), shape as never);
        const gamma = tf.tensor1d(noise(c, 2).map((v) => 1 + 0.2 * v));
        const beta = tf.tensor1d(noise(c, 3).map((v) => 0.3 * v));
        const alpha = activation === "prelu"
          ? tf.tensor3d(noise(c, 4).map((v) => 0.2 + 0.1 * v), [1, 1, c])
          : undefined;
        const dy = tf.tensor4d(noise(size, 5), shape as never);
        const names = ["y", "mean", "variance", "dx", "dgamma", "dbeta", "dalpha"];
        // In a tidy: the reference composition leaves its intermediates to its caller's scope.
        const [want, got] = [compositionFusedBatchNorm, webGpuFusedBatchNorm].map((k) =>
          tf.tidy(() => {
            const f = k.trainForward(x, gamma, beta, 1e-3, activation, alpha);
            const b = k.trainBackward(dy, x, gamma, f.saved, 1e-3, activation, alpha);
            return [
              f.y,
              f.mean,
              f.variance,
              b.dx,
              b.dgamma,
              b.dbeta,
              ...(b.dalpha ? [b.dalpha] : []),
            ];
          })
        ) as [tf.Tensor[], tf.Tensor[]];
        assertEquals(got.length, alpha ? 7 : 6);
        for (const [i, g] of got.entries()) {
          assertEquals(g.shape, want[i]!.shape, names[i]);
          const e = relErr(await g.data(), await want[i]!.data());
          assert(e < 1e-5, `${activation} ${shape}: ${names[i]} differs by ${e.toExponential(2)}`);
        }
        throwIfWebGpuError("fused batch norm");
        tf.dispose([...want, ...got]);
        tf.dispose([x, gamma, beta, dy, ...(alpha ? [alpha] : [])]);
      }
    }
    assertEquals(tf.memory().numTensors, before);
    await initBackend({ backend: "cpu", quiet: true });
  },
});

Deno.test({
  name: "webgpu: the PReLU gradient passes equal tfjs's own (dx and per-channel alpha)",
  ignore: noAdapter,
  fn: async () => {
    await initBackend({ backend: "webgpu", quiet: true });
    const before = tf.memory().numTensors;
    for (const shape of [[4, 8, 8, 16], [2, 33, 40, 8], [3, 5, 7, 64]]) {
      const c = shape[3]!;
      const size = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor4d(noise(size, 7), shape as never);
      const alpha = tf.tensor3d(noise(c, 8).map((v) => 0.2 + 0.1 * v), [1, 1, c]);
      const r = tf.tensor4d(noise(size, 9), shape as never);
      const loss = (p: (x: tf.Tensor, a: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(p(a, b), r)) as tf.Scalar;
      const got = tf.grads(loss(webGpuPrelu))([x, alpha]);
      const want = tf.grads(loss((a, b) => tf.prelu(a, b)))([x, alpha]);
      const y = webGpuPrelu(x, alpha), y0 = tf.prelu(x, alpha as tf.Tensor);
      assert(relErr(await y.data(), await y0.data()) < 1e-6, "forward");
      for (const i of [0, 1]) {
        assertEquals(got[i]!.shape, want[i]!.shape);
        const e = relErr(await got[i]!.data(), await want[i]!.data());
        assert(e < 1e-5, `${shape}: ${i === 0 ? "dx" : "dalpha"} differs by ${e.toExponential(2)}`);
      }
      tf.dispose([x, alpha, r, y, y0, ...got, ...want]);
    }
    assertEquals(tf.memory().numTensors, before);
    await initBackend({ backend: "cpu", quiet: true });
  },
});
