/**
 * Bundles across backends: a bundle trained on WebGPU predicts the same probabilities on wasm, and
 * the other way round. Runs when a WebGPU adapter exists (a GPU, or Mesa's lavapipe on Linux:
 * `apt-get install mesa-vulkan-drivers libvulkan1`); reported as ignored, by name, otherwise.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../_assert.ts";
import { makeBundle, TINY_FEATURES } from "./_predict_testutil.ts";
import { clip, wav16 } from "../datasets/_testutil.ts";
import { backendInfo, initBackend, probeWebGpu, tf } from "../engine/backend.ts";
import { train } from "../engine/train.ts";
import { arraySource } from "../prepare/samples.ts";
import { buildModel } from "../models/mod.ts";
import { loadBundle } from "./bundle.ts";
import { predictFile } from "./predict.ts";

const noAdapter = (await probeWebGpu()) === null;
const SR = 22050;

/** Trains Efficient_VGG for three epochs on a learnable toy problem at the tiny feature shape. */
async function trainedBundle(dir: string): Promise<void> {
  const n = 48, size = 16 * 16;
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const x = Float32Array.from({ length: n * size }, (_, k) => {
    const i = Math.floor(k / size), j = k % size;
    return Math.sin(k * 0.37) + (j % (3 + y[i]!) === 0 ? 1.5 : 0);
  });
  const model = buildModel("Efficient_VGG", { inputShape: [16, 16, 1], numClasses: 3, seed: 8 });
  await train(model, arraySource(x, y, [16, 16, 1], 3), null, {
    epochs: 3,
    batchSize: 16,
    optimizer: { kind: "adam", lr: 0.01 },
    seed: 2,
    verbose: false,
  });
  await makeBundle(dir, { model });
  model.dispose();
}

/** Per-segment probabilities of the bundle in `dir` for `wav`, on `backend`. */
async function probsOn(
  backend: "wasm" | "webgpu",
  dir: string,
  wav: string,
): Promise<number[]> {
  await initBackend({ backend, quiet: true, threads: 1 });
  assertEquals(backendInfo()!.name, backend);
  const bundle = await loadBundle(dir);
  try {
    const p = await predictFile(bundle, wav);
    return p.segments.flatMap((s) => s.probabilities);
  } finally {
    bundle.model.dispose();
  }
}

Deno.test({
  name: "webgpu: a bundle trained on WebGPU predicts on wasm, and one trained on wasm on WebGPU",
  ignore: noAdapter,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "mgc_bundle_webgpu_" });
    try {
      const wav = join(dir, "clip.wav");
      await Deno.writeFile(wav, wav16(clip(1, 0, 3 * TINY_FEATURES.segmentSamples, SR), SR));
      for (const [from, to] of [["webgpu", "wasm"], ["wasm", "webgpu"]] as const) {
        const b = join(dir, `trained_on_${from}`);
        await initBackend({ backend: from, quiet: true, threads: 1 });
        const before = tf.memory().numTensors;
        await trainedBundle(b);
        const here = await probsOn(from, b, wav);
        assertEquals(tf.memory().numTensors, before);
        const there = await probsOn(to, b, wav);
        assertEquals(there.length, here.length);
        assert(here.length >= 3 * 3);
        const diff = Math.max(...here.map((p, i) => Math.abs(p - there[i]!)));
        assert(diff <= 1e-4, `trained on ${from}, predicted on ${to}: max difference ${diff}`);
        // Trained, not uniform: the test would be empty otherwise.
        assert(Math.max(...here) - Math.min(...here) > 0.02, `probabilities ${here}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
