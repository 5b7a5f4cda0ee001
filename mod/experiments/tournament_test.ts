import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { initBackend } from "../engine/backend.ts";
import { arraySource } from "../prepare/samples.ts";
import { DEMO } from "../datasets/datasets.ts";
import { synthesizeDemoDataset } from "../datasets/demo_data.ts";
import { runExperiment, type RunResult, trackScores } from "./experiment.ts";
import { buildModel } from "../models/mod.ts";
import { prepareDataset } from "../prepare/prepare.ts";
import { loadProcessed } from "../prepare/processed.ts";
import { DEMO_TOURNAMENT } from "./recipes.ts";
import {
  ablationRows,
  efficiencyRows,
  meanStd,
  meanStdRows,
  runTournament,
  SUMMARY_COLUMNS,
} from "./tournament.ts";
import { train } from "../engine/train.ts";

await initBackend({ backend: "wasm", threads: 1, quiet: true });

function row(model: string, tag: string, seed: number, test: number, track = test): RunResult {
  return {
    Model: model,
    Tag: tag,
    Best_Val_Accuracy: test,
    Test_Accuracy: test,
    Epochs: 3,
    Params: model.length * 1000,
    Approx_FLOPs: 1e6,
    Latency_ms: seed,
    Test_Track_Accuracy: track,
    Seed: seed,
    Backend: "wasm",
    Train_Seconds: 1,
    Latency_p90_ms: seed + 1,
    Test_Top3_Accuracy: 1,
    Best_Epoch: 2,
    interrupted: false,
    bundle: "x",
  };
}

/** A tiny processed demo folder: `classes` × `clips` synthetic clips of `seconds`, 32×32 images. */
async function tinyDemo(
  root: string,
  classes: number,
  clips: number,
  seconds: number,
): Promise<string> {
  await synthesizeDemoDataset(join(root, "genres"), { classes, clipsPerClass: clips, seconds });
  const out = join(root, "processed");
  await prepareDataset(DEMO, {
    dataDir: join(root, "genres"),
    out,
    workers: 0,
    progress: false,
    warn: () => {},
  });
  return out;
}

Deno.test("meanStd: sample standard deviation (ddof 1), 0 for one value", () => {
  assertEquals(meanStd([]).mean, NaN);
  assertEquals(meanStd([0.5]), { mean: 0.5, std: 0 });
  const { mean, std } = meanStd([0.7, 0.8, 0.9]);
  assertAlmostEquals(mean, 0.8, 1e-12);
  assertAlmostEquals(std, 0.1, 1e-12);
});

Deno.test("multi-seed aggregation and the ablation's verdict against the seed spread", () => {
  const rows = [
    // Model A: WITH beats NO by 10 pp, spread 2 pp → the gain exceeds the spread.
    row("A", "WITH_AUG", 1, 0.80),
    row("A", "WITH_AUG", 2, 0.82),
    row("A", "NO_AUG", 1, 0.70),
    row("A", "NO_AUG", 2, 0.71),
    // Model B: +0.5 pp while one arm swings 11.7 pp between seeds → within the spread.
    row("B", "WITH_AUG", 1, 0.700),
    row("B", "WITH_AUG", 2, 0.817),
    row("B", "NO_AUG", 1, 0.753),
    row("B", "NO_AUG", 2, 0.754),
  ];
  const stats = meanStdRows(rows);
  assertEquals(stats.length, 4);
  const aw = stats.find((s) => s.Model === "A" && s.Tag === "WITH_AUG")!;
  assertEquals(aw.N_Seeds, 2);
  assertAlmostEquals(aw.Test_Accuracy_Mean, 0.81, 1e-9);
  assertAlmostEquals(aw.Test_Accuracy_Std, 0.0141, 1e-4);
  const ab = ablationRows(stats, rows);
  const a = ab.find((r) => r.Model === "A")!;
  const b = ab.find((r) => r.Model === "B")!;
  assertAlmostEquals(a.Gain_pp, 10.5, 1e-9);
  assertAlmostEquals(a.Spread_pp, 2, 1e-9);
  assertEquals(a.Gain_Exceeds_Spread, "yes");
  assertAlmostEquals(b.Gain_pp, 0.5, 1e-9);
  assertAlmostEquals(b.Spread_pp, 11.7, 1e-9);
  assertEquals(b.Gain_Exceeds_Spread, "no");
  // One seed: the verdict is unknown, never "yes".
  const one = ablationRows(meanStdRows(rows.filter((r) => r.Seed === 1)), rows);
  assert(one.every((r) => r.Gain_Exceeds_Spread === "n/a"));
  // Efficiency: one row per model, accuracy averaged over its runs, latency = median of medians.
  const eff = efficiencyRows(rows);
  assertEquals(eff.map((e) => e.Model), ["A", "B"]);
  assertAlmostEquals(eff[0]!.Test_Accuracy, (0.8 + 0.82 + 0.7 + 0.71) / 4, 1e-4);
  assertEquals(eff[0]!.Latency_ms, 1);
});

Deno.test("trackScores: a track's mean probability decides, not its segments' votes", () => {
  // Track 0 (true 0): segments vote 1, 1, 0 but the mean favours 0 → correct at track level.
  // Track 1 (true 1): both segments say 0 → wrong.
  const probs = new Float32Array([
    0.45,
    0.55,
    0.45,
    0.55,
    0.99,
    0.01,
    0.6,
    0.4,
    0.7,
    0.3,
  ]);
  const y = new Int32Array([0, 0, 0, 1, 1]);
  const track = new Int32Array([0, 0, 0, 1, 1]);
  assertAlmostEquals(trackScores(probs, { y, track }, 2), 0.5, 1e-12);
});

Deno.test("SpecAugment is applied to training batches only, every training sample once per epoch", async () => {
  const n = 12;
  const x = new Float32Array(n * 8 * 8).map((_, i) => Math.sin(i));
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);
  const model = buildModel("Efficient_VGG", { inputShape: [8, 8, 1], numClasses: 2, seed: 1 });
  const seen: number[] = [];
  await train(model, arraySource(x, y, [8, 8, 1], 2), arraySource(x, y, [8, 8, 1], 2), {
    epochs: 2,
    batchSize: 5,
    seed: 3,
    verbose: false,
    augment: (_x, count) => void seen.push(count),
  });
  model.dispose();
  // Batches of 5, 5, 2 per epoch; validation (12 samples per epoch) never reaches the hook.
  assertEquals(seen, [5, 5, 2, 5, 5, 2]);
});

Deno.test("tournament end to end on tiny demo data: files, columns, value ranges, two seeds", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_tournament_" });
  try {
    const data = await loadProcessed(await tinyDemo(root, 3, 5, 6));
    const reports = join(root, "reports");
    const result = await runTournament({
      data,
      recipe: DEMO_TOURNAMENT,
      models: ["Efficient_VGG"],
      tags: ["WITH_AUG", "NO_AUG"],
      seeds: [1, 2],
      modelsDir: join(root, "models"),
      reportsDir: reports,
      epochs: 1,
      latencyRuns: 2,
      verbose: false,
    });
    data.close();
    assertEquals(result.rows.length, 4);
    assertEquals(result.interrupted, false);
    for (const tag of ["WITH_AUG", "NO_AUG"]) {
      const text = await Deno.readTextFile(join(reports, `training_summary_${tag}.csv`));
      const records = parse(text, { columns: true }) as Record<string, string>[];
      assertEquals(Object.keys(records[0]!), [...SUMMARY_COLUMNS]);
      assertEquals(records.map((r) => r.Seed), ["1", "2"]);
      for (const r of records) {
        for (const c of ["Best_Val_Accuracy", "Test_Accuracy", "Test_Track_Accuracy"]) {
          const v = Number(r[c]);
          assert(v >= 0 && v <= 1, `${c} = ${r[c]}`);
        }
        assertEquals(r.Params, String(34712 - 7 * 129)); // 3 classes: 7 fewer outputs of Dense(128)
        assert(Number(r.Approx_FLOPs) > 0 && Number(r.Latency_ms) > 0, JSON.stringify(r));
        assertEquals(r.Epochs, "1");
      }
      for (const seed of [1, 2]) {
        const name = `Efficient_VGG_${tag}_seed${seed}`;
        const pred = parse(await Deno.readTextFile(join(reports, `predictions_${name}.csv`)), {
          columns: true,
        }) as Record<string, string>[];
        assertEquals(Object.keys(pred[0]!).slice(0, 5), [
          "track",
          "file",
          "segment",
          "y_true",
          "y_pred",
        ]);
        const p = Object.keys(pred[0]!).filter((k) => k.startsWith("p_"));
        assertEquals(p.length, 3);
        for (const r of pred) {
          assertAlmostEquals(p.reduce((s, k) => s + Number(r[k]), 0), 1, 1e-4);
        }
        const log = await Deno.readTextFile(join(reports, `log_${name}.csv`));
        assert(
          log.startsWith("epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,samples_per_s"),
        );
        const bundle = join(root, "models", `Efficient_VGG_best_${tag}_seed${seed}`);
        for (const f of ["model.json", "weights.bin", "preprocessing.json", "evaluation.json"]) {
          assert((await Deno.stat(join(bundle, f))).isFile, `${bundle}/${f}`);
        }
      }
    }
    const meanStdCsv = parse(
      await Deno.readTextFile(join(reports, "training_summary_mean_std.csv")),
      { columns: true },
    ) as Record<string, string>[];
    assertEquals(meanStdCsv.map((r) => [r.Model, r.Tag, r.N_Seeds]), [
      ["Efficient_VGG", "WITH_AUG", "2"],
      ["Efficient_VGG", "NO_AUG", "2"],
    ]);
    const ablation = await Deno.readTextFile(join(reports, "wp1_ablation_with_vs_without_aug.csv"));
    assert(ablation.startsWith("Model,WITH_AUG,NO_AUG,Gain_pp,WITH_AUG_Std,NO_AUG_Std,Spread_pp"));
    const eff = await Deno.readTextFile(join(reports, "wp2_efficiency_metrics.csv"));
    assert(eff.startsWith("Model,Params,Approx_FLOPs,Latency_ms,Latency_p90_ms,Backend"));
    const run = JSON.parse(await Deno.readTextFile(join(reports, "run.json")));
    assertEquals(run.seeds, [1, 2]);
    assertEquals(run.data.manifest_sha256.length, 64);
    // The setup's verification of its input, one line in run.json and in the result.
    const line = "data: not verified (no published list or verifier for the demo data)";
    assertEquals([run.data.verification.status, run.data.verification.line], [
      "not verified",
      line,
    ]);
    assertEquals(result.dataLine, line);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Efficient_VGG trained a few epochs on demo data scores well above chance", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_vgg_demo_" });
  try {
    const data = await loadProcessed(await tinyDemo(root, 4, 8, 9));
    const r = await runExperiment({
      data,
      model: "Efficient_VGG",
      tag: "NO_AUG",
      seed: 42,
      recipe: { ...DEMO_TOURNAMENT, batchSize: 8 },
      augment: false,
      modelsDir: join(root, "models"),
      reportsDir: join(root, "reports"),
      epochs: 12,
      latencyRuns: 0,
      verbose: false,
    });
    data.close();
    // 4 classes: chance is 0.25.
    assert(r.Test_Accuracy >= 0.6, `segment accuracy ${r.Test_Accuracy}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
