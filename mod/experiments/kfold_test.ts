import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { writeProcessedFixture } from "../prepare/_processed_fixture.ts";
import { initBackend } from "../engine/backend.ts";
import { readJson } from "../fs.ts";
import { planFolds, poolParts, runKFold, stratifiedKFold } from "./kfold.ts";
import {
  describe,
  FOLD_COLUMNS,
  formatKFold,
  kfoldSummary,
  LEAKY_NOTE,
  SUMMARY_COLUMNS_KFOLD,
} from "./kfold_tables.ts";
import { readNpy } from "../npy.ts";
import { loadProcessed } from "../prepare/processed.ts";
import { KFOLD_RECIPE } from "./recipes.ts";

await initBackend({ backend: "wasm", threads: 1, quiet: true });

function csv(text: string): Record<string, string>[] {
  return parse(text, { columns: true }) as Record<string, string>[];
}

function classCounts(labels: number[], idx: number[], classes: number): number[] {
  const c = new Array<number>(classes).fill(0);
  for (const i of idx) c[labels[i]!]!++;
  return c;
}

Deno.test("stratifiedKFold: sklearn's per-class allocation; every sample held out once", () => {
  // 7, 5 and 3 samples of classes 0, 1, 2 (interleaved): y_sorted[f::5] gives per fold
  // [2,1,0], [2,1,0], [1,1,1], [1,1,1], [1,1,1].
  const labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0, 1, 0, 0];
  const folds = stratifiedKFold(labels, 5, { seed: 7 });
  assertEquals(
    folds.map((f) => classCounts(labels, f.test, 3)),
    [[2, 1, 0], [2, 1, 0], [1, 1, 1], [1, 1, 1], [1, 1, 1]],
  );
  const seen = folds.flatMap((f) => f.test).sort((a, b) => a - b);
  assertEquals(seen, labels.map((_, i) => i));
  for (const f of folds) assertEquals(f.train.length + f.test.length, labels.length);
  assertEquals(stratifiedKFold(labels, 5, { seed: 7 }), folds);
  assert(JSON.stringify(stratifiedKFold(labels, 5, { seed: 8 })) !== JSON.stringify(folds));
  assertThrows(() => stratifiedKFold([0, 1], 3), RangeError, "cannot make 3 folds");
});

Deno.test("grouped folds: no track in two folds, inner validation of whole tracks", () => {
  // 30 tracks of 3 classes, 4 segments each.
  const track = Int32Array.from({ length: 120 }, (_, i) => Math.floor(i / 4));
  const y = Int32Array.from(track, (t) => t % 3);
  const plans = planFolds({ y, track }, { protocol: "grouped", k: 5, seed: 3, innerVal: 0.25 });
  const heldBy = new Map<number, number>();
  for (const p of plans) {
    const tr = new Set(p.train.map((i) => track[i]!));
    const va = new Set(p.val.map((i) => track[i]!));
    const te = new Set(p.test.map((i) => track[i]!));
    for (const t of te) {
      assert(!tr.has(t) && !va.has(t), `fold ${p.fold}: track ${t} on two sides`);
      assert(!heldBy.has(t), `track ${t} held out by folds ${heldBy.get(t)} and ${p.fold}`);
      heldBy.set(t, p.fold);
    }
    for (const t of va) assert(!tr.has(t), `fold ${p.fold}: track ${t} in train and inner val`);
    assertEquals(p.train.length + p.val.length + p.test.length, 120);
    assertEquals(classCounts([...y], p.test, 3), [8, 8, 8]); // 6 tracks: 2 per genre
    assertEquals(classCounts([...y], p.val, 3), [8, 8, 8]); // a quarter of 8 tracks per genre
  }
  assertEquals(heldBy.size, 30);
  // innerVal 0: the held-out fold chooses the epoch (the same array object).
  const plain = planFolds({ y, track }, { protocol: "grouped", k: 5, innerVal: 0 });
  assert(plain.every((p) => p.val === p.test));
});

Deno.test("seed-leaky folds split tracks across train and validation", () => {
  const track = Int32Array.from({ length: 100 }, (_, i) => Math.floor(i / 10));
  const y = Int32Array.from(track, (t) => t % 2);
  const plans = planFolds({ y, track }, { protocol: "seed-leaky", k: 5, seed: 42 });
  for (const p of plans) {
    assert(p.val === p.test);
    const tr = new Set(p.train.map((i) => track[i]!));
    assert(p.test.some((i) => tr.has(track[i]!)), `fold ${p.fold} shares no track`);
  }
});

Deno.test("describe and the summary: ddof 0 and ddof 1, leaky note", () => {
  const d = describe([0.7, 0.8, 0.9]);
  assertAlmostEquals(d.mean, 0.8, 1e-12);
  assertAlmostEquals(d.std0, Math.sqrt(0.02 / 3), 1e-12);
  assertAlmostEquals(d.std1, 0.1, 1e-12);
  const s = kfoldSummary([], "Lean_UNet", "seed-leaky");
  assertEquals(s.map((r) => [r.Level, r.Note]), [["segment", LEAKY_NOTE], ["track", LEAKY_NOTE]]);
  assert(formatKFold([], s).every((l) => l.includes(LEAKY_NOTE)));
});

Deno.test("grouped k-fold end to end: per-fold scaler fitted on the fold's unscaled training rows", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc-kfold-" });
  try {
    const dir = join(root, "gtzan");
    const raw = await writeProcessedFixture(dir, {
      dataset: "gtzan",
      labels: ["blues", "jazz", "rock"],
      tracks: { train: 4, val: 2, test: 1 },
      segments: 2,
      shape: [8, 8],
    });
    const data = await loadProcessed(dir);
    const reports = join(root, "reports");
    const models = join(root, "models");
    const r = await runKFold({
      data,
      recipe: KFOLD_RECIPE,
      protocol: "grouped",
      k: 3,
      seed: 42,
      innerVal: 0.25,
      modelsDir: models,
      reportsDir: reports,
      epochs: 1,
      verbose: false,
    });
    assertEquals(r.rows.length, 3);
    const folds = csv(await Deno.readTextFile(join(reports, "kfold_cv_unet_gtzan_folds.csv")));
    assertEquals(Object.keys(folds[0]!), [...FOLD_COLUMNS]);
    assertEquals(folds.map((f) => f.Tracks_In_Both), ["0", "0", "0"]);
    assertEquals(folds.reduce((a, f) => a + Number(f.Val_Tracks), 0), 18);
    const summary = csv(await Deno.readTextFile(join(reports, "kfold_cv_unet_gtzan.csv")));
    assertEquals(Object.keys(summary[0]!), [...SUMMARY_COLUMNS_KFOLD]);
    assertEquals(summary.map((s) => s.Level), ["segment", "track"]);

    // The same plan again, on the unscaled pool the fixture generated.
    const unscaled = new Float32Array([...raw.train.x, ...raw.val.x]);
    const pool = await poolParts(data);
    assertEquals([...pool.track], [...raw.train.track, ...raw.val.track]);
    const plans = planFolds(pool, { protocol: "grouped", k: 3, seed: 42, innerVal: 0.25 });
    const D = 64;
    for (const p of plans) {
      const bundle = join(models, `Lean_UNet_best_KFOLD_GROUPED_fold${p.fold}`);
      const mean = (await readNpy(join(bundle, "scaler_mean.npy"))).data as Float64Array;
      for (const j of [0, 9, 37, 63]) {
        const want = p.train.reduce((a, i) => a + unscaled[i * D + j]!, 0) / p.train.length;
        // Round trip through the stored float32 scaled values: a few ulps of ~60 dB.
        assertAlmostEquals(mean[j]!, want, 1e-4, `fold ${p.fold} position ${j}`);
      }
      const other = (await readNpy(join(dir, "scaler_mean.npy"))).data as Float64Array;
      assert(Math.abs(other[0]! - mean[0]!) > 1e-6, "fold scaler equals the split's");
    }
    const run = await readJson<{ folds: { held_out_tracks: number[] }[] }>(
      join(reports, "run_kfold.json"),
    );
    const held = run.folds.flatMap((f) => f.held_out_tracks);
    assertEquals(new Set(held).size, held.length);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("grouped folds: more inner-validation folds than training tracks is an error", () => {
  const track = Int32Array.from({ length: 10 }, (_, i) => i);
  const y = Int32Array.from(track, (t) => t % 2);
  assertThrows(
    () => planFolds({ y, track }, { protocol: "grouped", k: 2, innerVal: 0.01 }),
    RangeError,
    "needs 100 or more training tracks",
  );
});
