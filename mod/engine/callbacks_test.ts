import { initBackend, tf } from "./backend.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  type Callback,
  EarlyStopping,
  metricDirection,
  ModelCheckpoint,
  ReduceLROnPlateau,
  type TrainingContext,
} from "./callbacks.ts";
import { loadModelDir } from "./checkpoint.ts";

await initBackend({ backend: "cpu", quiet: true });

/** A fake training whose "weights" are the epoch number, driven by a scripted metric. */
class Script {
  epoch = -1;
  restored: number | null = null;
  ctx: TrainingContext;
  lrs: number[] = [];
  constructor(lr = 1e-3, model: tf.LayersModel = null as unknown as tf.LayersModel) {
    this.ctx = {
      model,
      learningRate: lr,
      stopTraining: false,
      getWeights: () => Promise.resolve([Float32Array.of(this.epoch)]),
      setWeights: (w) => (this.restored = w[0]![0]!),
    };
  }
  /** Runs epochs with `values` of `monitor` until a callback stops; returns epochs run. */
  async run(cbs: Callback[], monitor: string, values: number[], begin = true): Promise<number> {
    if (begin) { for (const cb of cbs) await cb.onTrainBegin?.(this.ctx); }
    for (const v of values) {
      this.epoch++;
      for (const cb of cbs) await cb.onEpochEnd?.(this.epoch, { [monitor]: v }, this.ctx);
      this.lrs.push(this.ctx.learningRate);
      if (this.ctx.stopTraining) break;
    }
    for (const cb of cbs) await cb.onTrainEnd?.(this.ctx);
    return this.epoch + 1;
  }
}

Deno.test("EarlyStopping patience 2 on val_accuracy [.5 .6 .55 .58 .59]: stops after epoch 4, restores epoch 2", async () => {
  // Keras counts: wait=1 after .55, wait=2 after .58 → 2 >= patience → stop (0-based epoch 3).
  const es = new EarlyStopping({ monitor: "val_accuracy", patience: 2, restoreBestWeights: true });
  const s = new Script();
  const ran = await s.run([es], "val_accuracy", [0.5, 0.6, 0.55, 0.58, 0.59]);
  assertEquals(ran, 4);
  assertEquals(es.stoppedEpoch, 3);
  assertEquals(es.bestEpoch, 1);
  assertEquals(es.best, 0.6);
  assertEquals(s.restored, 1);
});

Deno.test("EarlyStopping: the Keras docstring example (constant loss, patience 3) runs 4 epochs", async () => {
  const es = new EarlyStopping({ monitor: "loss", patience: 3 });
  const s = new Script();
  assertEquals(await s.run([es], "loss", new Array(10).fill(0.25)), 4);
  assertEquals(s.restored, null, "no restore without restoreBestWeights");
});

Deno.test("EarlyStopping restores the best weights at the end even without stopping (Keras 3)", async () => {
  const es = new EarlyStopping({ monitor: "val_loss", patience: 10, restoreBestWeights: true });
  const s = new Script();
  assertEquals(await s.run([es], "val_loss", [1, 0.5, 0.7, 0.6]), 4);
  assertEquals(es.stoppedEpoch, 0);
  assertEquals(s.restored, 1);
});

Deno.test("EarlyStopping minDelta and baseline", async () => {
  // Improvements smaller than minDelta do not reset the wait.
  const es = new EarlyStopping({ monitor: "val_loss", patience: 2, minDelta: 0.1 });
  assertEquals(await new Script().run([es], "val_loss", [1, 0.95, 0.92, 0.5]), 3);
  // Below the baseline the wait is not reset, so a plateau under it stops after `patience` epochs.
  const eb = new EarlyStopping({ monitor: "val_accuracy", patience: 2, baseline: 0.9 });
  assertEquals(await new Script().run([eb], "val_accuracy", [0.5, 0.4, 0.3, 0.2]), 2);
  assertEquals(eb.best, 0.5);
  // Keras returns before the patience check on every improvement, so values that keep improving
  // under the baseline never stop training (Keras 3 code, not its docstring).
  const ek = new EarlyStopping({ monitor: "val_accuracy", patience: 2, baseline: 0.9 });
  assertEquals(await new Script().run([ek], "val_accuracy", [0.5, 0.6, 0.7, 0.8]), 4);
});

Deno.test("EarlyStopping state round-trips: a resumed callback decides as an uninterrupted one", async () => {
  const values = [0.5, 0.6, 0.55, 0.58, 0.59, 0.7];
  const opts = { monitor: "val_accuracy", patience: 3, restoreBestWeights: true };
  const whole = new Script();
  const ranWhole = await whole.run([new EarlyStopping(opts)], "val_accuracy", values);

  const first = new EarlyStopping(opts);
  const s = new Script();
  for (const v of values.slice(0, 3)) {
    s.epoch++;
    await first.onEpochEnd(s.epoch, { val_accuracy: v }, s.ctx);
  }
  const state = JSON.parse(JSON.stringify(first.getState().json));
  const second = new EarlyStopping(opts);
  second.onTrainBegin();
  second.setState({ json: state, arrays: first.getState().arrays });
  const ranResumed = await s.run([second], "val_accuracy", values.slice(3), false);
  assertEquals(ranResumed, ranWhole);
  assertEquals(s.restored, whole.restored);
});

Deno.test("ReduceLROnPlateau: absolute minDelta 1e-4, patience, float32 rates, minLr and cooldown", async () => {
  const rlr = new ReduceLROnPlateau({ monitor: "val_loss", factor: 0.5, patience: 2 });
  const s = new Script(1e-3);
  // 0.89995 is not < 0.9 - 1e-4: no improvement.
  await s.run([rlr], "val_loss", [1.0, 0.9, 0.89995, 0.9, 0.95, 0.8, 0.81, 0.82]);
  const lr1 = Math.fround(1e-3 * 0.5);
  const lr2 = Math.fround(lr1 * 0.5);
  assertEquals(s.lrs, [1e-3, 1e-3, 1e-3, lr1, lr1, lr1, lr1, lr2]);

  const floor = new ReduceLROnPlateau({
    monitor: "val_loss",
    factor: 0.1,
    patience: 1,
    minLr: 5e-5,
  });
  const f = new Script(1e-3);
  await f.run([floor], "val_loss", [1, 1, 1, 1]);
  assertEquals(f.lrs, [1e-3, Math.fround(1e-4), Math.fround(5e-5), Math.fround(5e-5)]);

  const cool = new ReduceLROnPlateau({
    monitor: "val_loss",
    factor: 0.5,
    patience: 1,
    cooldown: 2,
  });
  const c = new Script(1);
  await c.run([cool], "val_loss", [1, 1, 1, 1, 1, 1]);
  // Reduce at epoch 1 (counter := 2); epoch 2 decrements to 1 and is still in cooldown; epoch 3
  // decrements to 0, counts again and reduces (Keras decrements before testing).
  assertEquals(c.lrs, [1, 0.5, 0.5, 0.25, 0.25, 0.125]);

  const acc = new ReduceLROnPlateau({ monitor: "val_accuracy", patience: 1 });
  assertEquals(acc.direction, "max");
  assertThrows(() => new ReduceLROnPlateau({ factor: 1 }), RangeError);
});

Deno.test("ModelCheckpoint saves a loadable model only on strict improvements", async () => {
  const dir = await Deno.makeTempDir();
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: "ones" })],
  });
  const saves: number[] = [];
  const mc = new ModelCheckpoint(`${dir}/best`, {
    monitor: "val_accuracy",
    extraFiles: { "preprocessing.json": "{}\n" },
    onSave: (e) => saves.push(e),
  });
  await new Script(1e-3, model).run([mc], "val_accuracy", [0.5, 0.7, 0.6, 0.7, 0.8]);
  assertEquals(saves, [0, 1, 4]);
  assertEquals(mc.bestEpoch, 4);
  const loaded = await loadModelDir(`${dir}/best`);
  assertEquals(await loaded.getWeights()[0]!.data(), await model.getWeights()[0]!.data());
  assert((await Deno.stat(`${dir}/best/preprocessing.json`)).isFile);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("metricDirection infers min for losses, max for accuracies, refuses others", () => {
  assertEquals(metricDirection("val_loss"), "min");
  assertEquals(metricDirection("val_accuracy"), "max");
  assertEquals(metricDirection("top3_accuracy"), "max");
  assertThrows(() => metricDirection("val_f1"), RangeError, "mode");
});
