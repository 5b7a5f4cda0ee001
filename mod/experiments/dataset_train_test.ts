import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { writeProcessedFixture } from "../prepare/_processed_fixture.ts";
import { initBackend } from "../engine/backend.ts";
import { saveModelDir } from "../engine/checkpoint.ts";
import {
  FMA_PIPELINE,
  INDIAN_PIPELINE,
  resolveTransferSource,
  summaryColumns,
  TABLA_PIPELINE,
  trainDataset,
} from "./dataset_train.ts";
import { readJson } from "../fs.ts";
import { buildModel } from "../models/mod.ts";
import { loadProcessed } from "../prepare/processed.ts";
import { SUMMARY_COLUMNS } from "./tournament.ts";
import { transferWeights } from "./transfer.ts";

await initBackend({ backend: "wasm", threads: 1, quiet: true });

function csv(text: string): Record<string, string>[] {
  return parse(text, { columns: true }) as Record<string, string>[];
}

Deno.test("summary columns: the tournament's first, then top-3, best epoch and transfer", () => {
  assertEquals(summaryColumns(FMA_PIPELINE), [...SUMMARY_COLUMNS, "Best_Epoch"]);
  assertEquals(summaryColumns(TABLA_PIPELINE).slice(SUMMARY_COLUMNS.length), [
    "Test_Top3_Accuracy",
    "Best_Epoch",
    "Transfer_From",
    "Layers_Copied",
    "Layers_Not_Copied",
  ]);
  assertEquals(summaryColumns(INDIAN_PIPELINE).includes("Test_Top3_Accuracy"), false);
});

Deno.test("transfer source: WITH_AUG, else NO_AUG, else a clear error", async () => {
  const models = await Deno.makeTempDir({ prefix: "mgc-transfer-src-" });
  try {
    await assertRejects(() => resolveTransferSource(models), Error, "--no-transfer");
    await assertRejects(
      () => resolveTransferSource(models, join(models, "x")),
      Error,
      "not a model",
    );
    const noAug = join(models, "UNet_Audio_Classifier_best_NO_AUG");
    await Deno.mkdir(noAug);
    await Deno.writeTextFile(join(noAug, "model.json"), "{}");
    await Deno.writeFile(join(noAug, "weights.bin"), new Uint8Array());
    assertEquals(await resolveTransferSource(models), noAug);
    const withAug = join(models, "UNet_Audio_Classifier_best_WITH_AUG");
    await Deno.mkdir(withAug);
    await Deno.writeTextFile(join(withAug, "model.json"), "{}");
    assertEquals(await resolveTransferSource(models), noAug); // no weights.bin: not a bundle
    await Deno.writeFile(join(withAug, "weights.bin"), new Uint8Array());
    assertEquals(await resolveTransferSource(models), withAug);
  } finally {
    await Deno.remove(models, { recursive: true });
  }
});

Deno.test("FMA pipeline: Lean UNet with SpecAugment, one epoch, summary with track accuracy", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc-fma-train-" });
  try {
    const dir = join(root, "fma");
    await writeProcessedFixture(dir, {
      dataset: "fma",
      labels: ["Electronic", "Folk", "Rock"],
      tracks: { train: 3, val: 1, test: 1 },
      segments: 2,
      shape: [8, 8],
    });
    const data = await loadProcessed(dir);
    const reports = join(root, "reports");
    const r = await trainDataset(FMA_PIPELINE, {
      data,
      seeds: [42],
      transferFrom: null,
      modelsDir: join(root, "models"),
      reportsDir: reports,
      epochs: 1,
      latencyRuns: 0,
      verbose: false,
    });
    assertEquals(r.interrupted, false);
    const rows = csv(await Deno.readTextFile(join(reports, "training_summary_FMA.csv")));
    assertEquals(Object.keys(rows[0]!), summaryColumns(FMA_PIPELINE));
    assertEquals([rows[0]!.Model, rows[0]!.Tag, rows[0]!.Epochs], ["Lean_UNet", "FMA", "1"]);
    const track = Number(rows[0]!.Test_Track_Accuracy);
    assert(track >= 0 && track <= 1, String(track));
    const run = await readJson<{ recipe: { name: string }; transfer: unknown }>(
      join(reports, "run_FMA.json"),
    );
    assertEquals([run.recipe.name, run.transfer], ["fma", null]);
    const pre = await readJson<{ dataset: string; resampler: unknown }>(
      join(root, "models", "Lean_UNet_best_FMA", "preprocessing.json"),
    );
    assertEquals(pre.dataset, "fma");
    assertEquals(pre.resampler, null); // the fixture's manifest predates the resampler record
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Indian pipeline: GTZAN UNet transferred by name into a 128×64-like input", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc-indian-train-" });
  try {
    // A "GTZAN" UNet: 4 classes, square input; the target has 3 classes and half the frames.
    const source = buildModel("UNet_Audio_Classifier", { inputShape: [16, 16, 1], numClasses: 4 });
    const from = join(root, "models", "UNet_Audio_Classifier_best_WITH_AUG");
    await saveModelDir(source, from);
    source.dispose();
    const dir = join(root, "indian");
    await writeProcessedFixture(dir, {
      dataset: "indian",
      labels: ["bollypop", "carnatic", "sufi"],
      tracks: { train: 2, val: 1, test: 1 },
      segments: 2,
      shape: [16, 8],
    });
    const reports = join(root, "reports");
    const r = await trainDataset(INDIAN_PIPELINE, {
      data: await loadProcessed(dir),
      seeds: [42],
      transferFrom: await resolveTransferSource(join(root, "models")),
      modelsDir: join(root, "models"),
      reportsDir: reports,
      epochs: 1,
      latencyRuns: 0,
      verbose: false,
    });
    const t = r.rows[0]!.transfer!;
    assertEquals(t.from, from);
    assertEquals(t.copied.length, 24); // every conv, BN and PReLU layer
    assertEquals(t.skipped.map((s) => s.name), ["classifier"]);
    const rows = csv(await Deno.readTextFile(join(reports, "training_summary_INDIAN.csv")));
    assertEquals(Object.keys(rows[0]!), summaryColumns(INDIAN_PIPELINE));
    assertEquals(
      [rows[0]!.Model, rows[0]!.Tag, rows[0]!.Layers_Copied, rows[0]!.Layers_Not_Copied],
      ["UNet_Audio_Classifier", "INDIAN", "24", "classifier"],
    );
    const run = await readJson<{ transfer: { runs: { not_copied: { name: string }[] }[] } }>(
      join(reports, "run_INDIAN.json"),
    );
    assertEquals(run.transfer.runs[0]!.not_copied[0]!.name, "classifier");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("at the real input sizes, every GTZAN UNet conv and BatchNorm fits Indian and tabla", () => {
  const gtzan = buildModel("UNet_Audio_Classifier", { numClasses: 10 });
  for (const [shape, classes] of [[[128, 64, 1], 5], [[128, 130, 1], 8]] as const) {
    const target = buildModel("UNet_Audio_Classifier", {
      inputShape: [...shape],
      numClasses: classes,
      dropout: 0.6,
    });
    const { copied, skipped } = transferWeights(gtzan, target, { log: () => {} });
    assertEquals(copied.filter((n) => n.includes("_conv")).length, 8);
    assertEquals(copied.filter((n) => n.includes("_bn")).length, 8);
    assertEquals(skipped.map((s) => s.name), ["classifier"]);
    target.dispose();
  }
  gtzan.dispose();
});
