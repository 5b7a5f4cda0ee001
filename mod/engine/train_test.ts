import { initBackend, tf } from "./backend.ts";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertNotEquals,
  assertRejects,
} from "../_assert.ts";
import { specAugmenter } from "../features/augment.ts";
import { arraySource, type SampleSource } from "../prepare/samples.ts";
import { EarlyStopping, ModelCheckpoint, ReduceLROnPlateau } from "./callbacks.ts";
import { getWeightArrays, loadModelDir } from "./checkpoint.ts";
import { Rng } from "../rng.ts";
import { evaluate, predictProbs } from "./evaluate.ts";
import { train, type TrainConfig } from "./train.ts";
import { epochOrder } from "./batches.ts";
import { readJson } from "../fs.ts";
import { spawnDeno } from "./_interrupt_testutil.ts";
import { join } from "node:path";

await initBackend({ backend: "cpu", quiet: true });

const H = 8;
const W = 8;
const C = 3;

/** Conv(4) → BN → ReLU → MaxPool → Dropout → GAP → Dense softmax, seeded initialisers. */
function tinyCnn(seed: number, options: { bn?: boolean; dropout?: number } = {}): tf.LayersModel {
  const input = tf.input({ shape: [H, W, 1] });
  let h = tf.layers.conv2d({
    filters: 4,
    kernelSize: 3,
    padding: "same",
    useBias: !(options.bn ?? true),
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
  }).apply(input) as tf.SymbolicTensor;
  if (options.bn ?? true) {
    h = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 }).apply(
      h,
    ) as tf.SymbolicTensor;
  }
  h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  h = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  if ((options.dropout ?? 0.3) > 0) {
    h = tf.layers.dropout({ rate: options.dropout ?? 0.3 }).apply(h) as tf.SymbolicTensor;
  }
  const out = tf.layers.dense({
    units: C,
    activation: "softmax",
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
  }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Class c = a bright horizontal band in third c of the patch, plus noise: separable. */
function bands(n: number, seed: number): SampleSource {
  const rng = new Rng(seed);
  const x = new Float32Array(n * H * W);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % C;
    y[i] = c;
    for (let r = 0; r < H; r++) {
      const on = Math.floor((r * C) / H) === c;
      for (let k = 0; k < W; k++) x[i * H * W + r * W + k] = (on ? 1 : -0.5) + 0.5 * rng.normal();
    }
  }
  return arraySource(x, y, [H, W, 1], C);
}

const quiet = { verbose: false } as const;

function base(extra: Partial<TrainConfig> = {}): TrainConfig {
  return { epochs: 2, batchSize: 8, seed: 7, ...quiet, ...extra };
}

Deno.test("train: a tiny CNN learns a separable task to > 90% validation accuracy", async () => {
  const model = tinyCnn(1);
  const result = await train(
    model,
    bands(96, 1),
    bands(48, 2),
    base({
      epochs: 4,
      optimizer: { kind: "adam", lr: 0.01 },
      top3: true,
    }),
  );
  const last = result.history.at(-1)!;
  assert(last.val_accuracy! > 0.9, `val_accuracy ${last.val_accuracy}`);
  assert(last.loss < result.history[0]!.loss, "training loss decreases");
  assertEquals(last.val_top3_accuracy, 1, "3 classes: top-3 is always right");
  assertEquals(result.monitor, "val_accuracy");
  assert(
    result.bestEpoch >= 1 && result.bestValue === Math.max(
          ...result.history.map((r) => r.val_accuracy!),
        ),
  );
  const ev = await evaluate(model, bands(48, 2), { batchSize: 7 });
  assertAlmostEquals(ev.accuracy, last.val_accuracy!, 1e-12);
  assertAlmostEquals(ev.loss, last.val_loss!, 1e-9);
});

Deno.test("train: BatchNorm moving statistics are updated by training-mode forwards", async () => {
  const model = tinyCnn(2);
  const stat = (): number[] =>
    model.weights.filter((w) => w.originalName.includes("moving_mean"))
      .flatMap((w) => Array.from(w.read().dataSync()));
  const before = stat();
  assertEquals(before, [0, 0, 0, 0]);
  await train(model, bands(16, 3), null, base({ epochs: 1 }));
  assert(stat().some((v) => v !== 0), "moving_mean changed");
});

Deno.test("train: same seed → identical weights; another seed → different (dropout + augmentation)", async () => {
  const run = async (seed: number): Promise<Float32Array[]> => {
    const model = tinyCnn(3);
    await train(
      model,
      bands(24, 4),
      null,
      base({
        seed,
        augment: specAugmenter([H, W, 1], { maxFreqWidth: 2, maxTimeWidth: 2 }),
      }),
    );
    return await getWeightArrays(model);
  };
  const a = await run(11);
  assertEquals(await run(11), a);
  assertNotEquals(await run(12), a);
});

Deno.test("train: Dropout gets a new seed per step (reproducible masks) and its own back after", async () => {
  const model = tinyCnn(4, { dropout: 0.5 });
  const drop = model.layers.find((l) => l.getClassName() === "Dropout") as unknown as {
    seed?: number;
  };
  const assigned: (number | undefined)[] = [];
  let value = drop.seed;
  Object.defineProperty(drop, "seed", {
    get: () => value,
    set: (v: number | undefined) => {
      assigned.push(v);
      value = v;
    },
  });
  await train(model, bands(32, 5), null, base({ epochs: 1 }));
  const stepSeeds = assigned.filter((v) => v !== undefined);
  assertEquals(stepSeeds.length, 4, "one seed per step (4 steps, 1 micro-batch each)");
  assertEquals(new Set(stepSeeds).size, 4);
  assertEquals(drop.seed, undefined);
});

Deno.test("train: ModelCheckpoint writes a loadable best model without per-step Dropout seeds", async () => {
  const dir = await Deno.makeTempDir();
  const model = tinyCnn(12, { dropout: 0.5 });
  const best = `${dir}/best`;
  const r = await train(
    model,
    bands(16, 14),
    bands(6, 15),
    base({
      epochs: 2,
      callbacks: [new ModelCheckpoint(best, { monitor: "val_loss" })],
    }),
  );
  const json = JSON.parse(await Deno.readTextFile(`${best}/model.json`));
  const layers = json.modelTopology.config.layers as {
    class_name: string;
    config: { seed?: number | null };
  }[];
  const drop = layers.find((l) => l.class_name === "Dropout")!;
  assertEquals(drop.config.seed ?? null, null);
  const loaded = await loadModelDir(best);
  const want = await evaluate(model, bands(6, 15));
  const got = await evaluate(loaded, bands(6, 15));
  if (r.bestEpoch === 2) assertEquals(got.probs, want.probs);
  assertAlmostEquals(got.loss, Math.min(...r.history.map((h) => h.val_loss!)), 1e-9);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: resuming after an interrupt gives the same weights as an uninterrupted run", async () => {
  const dir = await Deno.makeTempDir();
  const cfg = (extra: Partial<TrainConfig>): TrainConfig =>
    base({
      epochs: 4,
      augment: specAugmenter([H, W, 1], { maxFreqWidth: 2, maxTimeWidth: 2 }),
      callbacks: [
        new EarlyStopping({ monitor: "val_accuracy", patience: 10, restoreBestWeights: true }),
        new ReduceLROnPlateau({ monitor: "val_loss", factor: 0.5, patience: 1 }),
      ],
      ...extra,
    });
  const trainSrc = bands(40, 6);
  const valSrc = bands(12, 7);

  const whole = tinyCnn(5);
  const r0 = await train(whole, trainSrc, valSrc, cfg({}));
  const want = await getWeightArrays(whole);

  for (const stopAt of [{ epoch: 1, step: 2 }, { epoch: 1, step: 4 }]) {
    // Interrupt in the middle of epoch 2 (after step 3 of 5), or after its last step (saved
    // before validation), then resume in a fresh model object.
    const ckpt = `${dir}/ckpt-${stopAt.step}`;
    const ctrl = new AbortController();
    const first = tinyCnn(5);
    const r1 = await train(
      first,
      trainSrc,
      valSrc,
      cfg({
        checkpointDir: ckpt,
        signal: ctrl.signal,
        onBatchEnd: (b) => {
          if (b.epoch === stopAt.epoch && b.step === stopAt.step) ctrl.abort();
        },
      }),
    );
    assert(r1.interrupted);
    const { state: saved } = await readJson<
      { state: { epoch: number; step: number; order?: number[] } }
    >(join(ckpt, "trainer_state.json"));
    // Saved after the batch in flight: mid-epoch (step 3 of 5) or all 5 batches, no validation.
    assertEquals([saved.epoch, saved.step], [stopAt.epoch, stopAt.step + 1]);
    assertEquals(saved.order, epochOrder(40, 7, stopAt.epoch));
    const resumed = tinyCnn(99); // different initial weights: all must come from the checkpoint
    const r2 = await train(
      resumed,
      trainSrc,
      valSrc,
      cfg({
        checkpointDir: ckpt,
        resume: true,
        logCsv: `${dir}/log.csv`,
      }),
    );
    assert(!r2.interrupted);
    assertEquals(await getWeightArrays(resumed), want);
    assertEquals(
      r2.history.map((r) => [r.loss, r.val_loss, r.lr]),
      r0.history.map((r) => [
        r.loss,
        r.val_loss,
        r.lr,
      ]),
    );
  }
  const csv = (await Deno.readTextFile(`${dir}/log.csv`)).trim().split("\n");
  assertEquals(
    csv[0],
    "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,samples_per_s",
  );
  assertEquals(csv.length, 5);
  assertEquals(csv[4]!.split(",")[0], "4");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: the tensor count stays flat across steps and epochs", async () => {
  const model = tinyCnn(6);
  const counts: number[] = [];
  await train(
    model,
    bands(24, 8),
    bands(8, 9),
    base({
      epochs: 3,
      microBatch: 3,
      callbacks: [
        new EarlyStopping({ monitor: "val_loss", patience: 5, restoreBestWeights: true }),
      ],
      onEpochEnd: () => counts.push(tf.memory().numTensors),
    }),
  );
  assertEquals(counts.length, 3);
  assertEquals(counts[2], counts[0]);
});

Deno.test("train: micro-batches give the full-batch update when there is no BatchNorm", async () => {
  const run = async (microBatch?: number): Promise<Float32Array[]> => {
    const model = tinyCnn(7, { bn: false, dropout: 0 });
    await train(model, bands(16, 10), null, base({ epochs: 1, microBatch }));
    return await getWeightArrays(model);
  };
  const full = await run();
  const micro = await run(3);
  full.forEach((w, i) => w.forEach((v, j) => assertAlmostEquals(micro[i]![j]!, v, 1e-5)));
});

Deno.test("train: AdamW + cosine decay + clipnorm + label smoothing + balanced weights run and log", async () => {
  const x = bands(18, 11);
  const model = tinyCnn(8);
  const rows: number[] = [];
  const r = await train(
    model,
    x,
    null,
    base({
      epochs: 2,
      optimizer: { kind: "adamw", lr: 4e-3, weightDecay: 1e-5, clipnorm: 1 },
      lrSchedule: { kind: "cosine", decaySteps: 6 },
      labelSmoothing: 0.01,
      classWeights: "balanced",
      top3: true,
      onEpochEnd: (row) => rows.push(row.lr),
    }),
  );
  // 3 steps per epoch; the logged rate is the schedule at the next step.
  assertAlmostEquals(rows[0]!, 4e-3 * 0.5 * (1 + Math.cos(Math.PI * 3 / 6)), 1e-12);
  assertAlmostEquals(rows[1]!, 0, 1e-12);
  assertEquals(r.monitor, "accuracy");
  assert(Number.isFinite(r.history[1]!.loss));
  assertEquals(r.history[1]!.top3_accuracy, 1);
});

Deno.test("predictProbs: batched inference over arrays and sources gives rows that sum to 1", async () => {
  const model = tinyCnn(9);
  const src = bands(10, 12);
  const p = await predictProbs(model, src, { batchSize: 4 });
  const { x } = await src.read([...Array(10).keys()]);
  const q = await predictProbs(model, { x, sampleShape: [H, W, 1] }, { batchSize: 3 });
  assertEquals(p.length, 10 * C);
  assertEquals(q, p);
  for (let i = 0; i < 10; i++) {
    assertAlmostEquals(p[i * C]! + p[i * C + 1]! + p[i * C + 2]!, 1, 1e-5);
  }
});

Deno.test({
  name:
    "interruptOnSigint: the first SIGINT aborts the signal, the second waits, the third exits 130",
  ignore: Deno.build.os === "windows" ||
    Deno.permissions.querySync({ name: "run" }).state !== "granted",
  fn: async () => {
    // `deno test` handles SIGINT itself, so the behaviour is checked in a child process.
    const url = new URL("./interrupt.ts", import.meta.url).href;
    const code = `import { interruptOnSigint } from "${url}";
      const i = interruptOnSigint();
      i.signal.addEventListener("abort", () => console.log("aborted"));
      console.log("ready");
      setInterval(() => {}, 1000);`;
    const child = spawnDeno(["eval", "--quiet", code]);
    await child.waitFor("ready");
    child.kill();
    await child.waitFor("aborted");
    child.kill();
    await child.waitFor("still finishing");
    child.kill();
    const r = await child.done();
    assert(r.stderr.includes("interrupt: finishing the current batch and saving"), r.stderr);
    assertEquals(r.code, 130);
  },
});

Deno.test("train: Ctrl-C during validation saves the finished batches; the resumed run validates and matches", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trainSrc = bands(40, 6);
    const valSrc = bands(12, 7);
    const cfg = (extra: Partial<TrainConfig>): TrainConfig =>
      base({
        epochs: 3,
        evalBatchSize: 4,
        callbacks: [new ReduceLROnPlateau({ monitor: "val_loss", factor: 0.5, patience: 1 })],
        ...extra,
      });
    const whole = tinyCnn(5);
    const r0 = await train(whole, trainSrc, valSrc, cfg({}));
    // Abort from inside the second epoch's validation pass (its second batch read).
    const ctrl = new AbortController();
    let reads = 0;
    let epoch = 0;
    const spy: SampleSource = {
      ...valSrc,
      read: (idx) => {
        if (epoch === 1 && ++reads === 2) ctrl.abort();
        return valSrc.read(idx);
      },
    };
    const ckpt = join(dir, "ckpt");
    const r1 = await train(
      tinyCnn(5),
      trainSrc,
      spy,
      cfg({ checkpointDir: ckpt, signal: ctrl.signal, onEpochEnd: () => epoch++ }),
    );
    assert(r1.interrupted);
    assertEquals(r1.history.length, 1);
    const { state: saved } = await readJson<
      { state: { epoch: number; step: number; order: number[] } }
    >(join(ckpt, "trainer_state.json"));
    assertEquals([saved.epoch, saved.step], [1, 5]); // 40 samples / batch 8: all 5 steps done
    assertEquals(saved.order, epochOrder(40, 7, 1));
    const resumed = tinyCnn(99);
    const r2 = await train(resumed, trainSrc, valSrc, cfg({ checkpointDir: ckpt, resume: true }));
    assert(!r2.interrupted);
    assertEquals(await getWeightArrays(resumed), await getWeightArrays(whole));
    assertEquals(
      r2.history.map((r) => [r.loss, r.accuracy, r.val_loss, r.val_accuracy, r.lr]),
      r0.history.map((r) => [r.loss, r.accuracy, r.val_loss, r.val_accuracy, r.lr]),
    );
    whole.dispose();
    resumed.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: rejects bad settings with a message naming them", async () => {
  const model = tinyCnn(10);
  const src = bands(6, 13);
  const bad = async (extra: Partial<TrainConfig>, msg: string): Promise<void> => {
    await assertRejects(() => train(model, src, null, base(extra)), RangeError, msg);
  };
  await bad({ batchSize: 0 }, "batchSize");
  await bad({ epochs: 1.5 }, "epochs");
  await bad({ classWeights: [1, 2] }, "2 class weights for 3 classes");
});
