import { join } from "node:path";
import { checkWellFormedXml } from "./_xml.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { fakeEmbedding, GENRES, writeReportsFixture } from "./_analysis_fixture.ts";
import { type AnalysisOptions, deepDive, runAnalysis, stat } from "./analysis.ts";
import { countSvgMarks } from "./plots.ts";
import { localReferences } from "./report_html.ts";

const quiet = (): void => {};

function embeddingOption(calls: { n: number }): AnalysisOptions["embedding"] {
  return () =>
    Promise.resolve({
      key: "fixture-embedding-v1",
      embed: () => {
        calls.n++;
        return Promise.resolve(fakeEmbedding(12));
      },
    });
}

async function checkIndex(dir: string): Promise<string> {
  const html = await Deno.readTextFile(join(dir, "index.html"));
  const refs = localReferences(html);
  assert(refs.length > 0);
  for (const ref of refs) {
    assert((await Deno.stat(join(dir, ref))).isFile, `index.html references missing ${ref}`);
  }
  assert(!/\s(?:src|href)="https?:/.test(html), "no network references");
  assert(!html.includes("<script"), "no scripts");
  return html;
}

Deno.test("runAnalysis on a full reports folder: every table, figure and a self-contained page", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mgc_analysis_" });
  try {
    await writeReportsFixture(dir);
    const calls = { n: 0 };
    const r = await runAnalysis({
      reportsDir: dir,
      embedding: embeddingOption(calls),
      tsneIterations: 300,
      log: quiet,
    });
    assertEquals(r.champion?.model, "UNet_Audio_Classifier");
    assertEquals(r.champion?.tag, "WITH_AUG");
    assertEquals(r.champion?.seeds, 2);
    assertEquals(r.missing.length, 3, r.missing.join("; ")); // only FMA, Indian, Tabla
    assertEquals(r.tables.sort(), [
      "classification_report_segment",
      "classification_report_track",
      "kfold_folds",
      "kfold_summary",
      "leaderboard",
      "run_metadata",
      "wp1_ablation",
      "wp2_efficiency",
    ]);
    for (const t of r.tables) {
      for (const ext of ["csv", "md"]) {
        const text = await Deno.readTextFile(join(dir, "tables", `${t}.${ext}`));
        assert(text.split("\n").length >= 3, `${t}.${ext} has rows`);
      }
    }
    const marks = Object.fromEntries(r.figures.map((f) => [f.name, f.marks]));
    for (const level of ["segment", "track"]) {
      for (const kind of ["counts", "normalized"]) {
        assertEquals(marks[`confusion_${level}_${kind}`], { cells: 100, counts: 100 });
      }
    }
    assertEquals(marks.tsne_champion, { points: 120 }); // 12 per genre ≤ 100 per class
    assertEquals(marks.model_comparison_gtzan, { bars: 12, errorbars: 12 });
    assertEquals(marks.wp1_ablation, { bars: 3, zero: 1, errorbars: 3 });
    assertEquals(marks.wp2_efficiency, { points: 6 });
    // 3 models × 2 panels × 2 splits × 2 seeds
    assertEquals(marks.learning_curves_WITH_AUG, { curves: 24 });
    assertEquals(marks.learning_curves_NO_AUG, { curves: 24 });
    for (const f of r.figures) {
      const svg = await Deno.readTextFile(join(dir, "figures", `${f.name}.svg`));
      checkWellFormedXml(svg);
      for (const [mark, n] of Object.entries(f.marks)) assertEquals(countSvgMarks(svg, mark), n);
      JSON.parse(await Deno.readTextFile(join(dir, "figures", `${f.name}.vl.json`)));
    }
    const html = await checkIndex(dir);
    assertEquals(html.match(/<svg /g)?.length, r.figures.length, "every figure inline");
    assert(html.includes("3f2a9c0d4e5b"), "manifest hash shown");
    assert(html.includes("How to read this"));
    // The track-level report agrees with the text report written beside it.
    const txt = await Deno.readTextFile(join(dir, "tables", "classification_report_track.txt"));
    assert(txt.includes("accuracy") && txt.includes("weighted avg"));
    assertEquals(calls.n, 1);

    // Second run: artefacts come from the cache, the embedding is not recomputed.
    const again = await runAnalysis({
      reportsDir: dir,
      embedding: embeddingOption(calls),
      tsneIterations: 300,
      log: quiet,
    });
    assertEquals(again.cacheHits.sort(), ["deepdive", "tsne"]);
    assertEquals(calls.n, 1);
    const svg1 = await Deno.readTextFile(join(dir, "figures", "tsne_champion.svg"));
    // FINAL_ANALYSIS_USE_CACHE=0 (useCache false) recomputes, with the same result (seeded).
    const fresh = await runAnalysis({
      reportsDir: dir,
      embedding: embeddingOption(calls),
      tsneIterations: 300,
      useCache: false,
      log: quiet,
    });
    assertEquals(fresh.cacheHits, []);
    assertEquals(calls.n, 2);
    assertEquals(await Deno.readTextFile(join(dir, "figures", "tsne_champion.svg")), svg1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runAnalysis works with a subset (one summary only) and says what is missing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mgc_analysis_" });
  try {
    const all = await writeReportsFixture(dir, { seeds: [42] });
    for (const f of all) {
      if (f !== "training_summary_WITH_AUG.csv") await Deno.remove(join(dir, f));
    }
    const lines: string[] = [];
    const r = await runAnalysis({ reportsDir: dir, log: (m) => lines.push(m) });
    assertEquals(r.tables.sort(), ["leaderboard", "wp2_efficiency"]);
    assertEquals(r.champion?.model, "UNet_Audio_Classifier");
    for (
      const expected of [
        "run.json",
        "training_summary_NO_AUG.csv",
        "WP1 ablation",
        "wp2_efficiency_metrics.csv",
        "predictions_UNet_Audio_Classifier_WITH_AUG",
        "t-SNE",
        "log_",
      ]
    ) {
      assert(r.missing.some((m) => m.includes(expected)), `missing list names ${expected}`);
      assert(lines.some((m) => m.startsWith("missing:") && m.includes(expected)), "on stderr too");
    }
    assertEquals(r.figures.map((f) => f.name).sort(), ["model_comparison_gtzan", "wp2_efficiency"]);
    const html = await checkIndex(dir);
    assert(html.includes("training_summary_NO_AUG.csv"), "page lists what is missing");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runAnalysis: an empty folder still gives a page; bad inputs name the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mgc_analysis_" });
  try {
    const r = await runAnalysis({ reportsDir: dir, log: quiet });
    assertEquals(r.champion, null);
    assertEquals(r.tables, []);
    await checkIndex(dir).catch(() => {}); // no local references at all is fine
    await Deno.writeTextFile(join(dir, "training_summary_WITH_AUG.csv"), "Model,Tag\nA,WITH_AUG\n");
    await assertRejects(
      () => runAnalysis({ reportsDir: dir, log: quiet }),
      Error,
      "training_summary_WITH_AUG.csv: missing column(s) Test_Accuracy",
    );
    await assertRejects(
      () => runAnalysis({ reportsDir: join(dir, "nope"), log: quiet }),
      Error,
      "reports folder not found",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deepDive: labels from p_ columns, track = mean probabilities then argmax", () => {
  const csv = [
    "track,file,segment,y_true,y_pred,p_a,p_b",
    "t1,t1.wav,0,a,b,0.4,0.6",
    "t1,t1.wav,1,a,a,0.9,0.1",
    "t2,t2.wav,0,b,a,0.55,0.45",
    "t2,t2.wav,1,b,b,0.2,0.8",
  ].map((line) => line.split(","));
  const d = deepDive(csv, "p.csv");
  assertEquals(d.labels, ["a", "b"]);
  assertEquals(d.confusion.segment, [[1, 1], [1, 1]]);
  assertEquals(d.confusion.track, [[1, 0], [0, 1]]);
  assertEquals(d.reports.track.accuracy, 1);
  let err = "";
  try {
    deepDive(
      csv.map((r, i) => (i === 4 ? ["t2", "t2.wav", "1", "x", "b", "0.2", "0.8"] : r)),
      "p.csv",
    );
  } catch (e) {
    err = (e as Error).message;
  }
  assertEquals(err, 'p.csv: line 5: label "x" is not one of the p_ columns');
});

Deno.test("stat: mean and sample std over seeds", () => {
  const s = stat([0.7, 0.8, null, 0.9]);
  assert(Math.abs(s.mean! - 0.8) < 1e-12 && Math.abs(s.std! - 0.1) < 1e-12);
  assertEquals(stat([0.5]).std, null);
  assertEquals(GENRES.length, 10);
});

Deno.test("runAnalysis labels demo results as synthetic, never as GTZAN", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mgc_analysis_demo_" });
  try {
    await writeReportsFixture(dir);
    await Deno.writeTextFile(
      join(dir, "run.json"),
      JSON.stringify({ data: { dataset: { name: "demo" } }, synthetic_data: true }),
    );
    const r = await runAnalysis({ reportsDir: dir, useCache: false, log: () => {} });
    const board = await Deno.readTextFile(join(dir, "tables", "leaderboard.csv"));
    assert(board.includes("Demo (synthetic)") && !board.includes("GTZAN,"), board);
    const html = await Deno.readTextFile(r.indexPath);
    assert(html.includes("Demo (synthetic) test accuracy"));
    assert(html.includes("prove the pipeline, not the science"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runAnalysis links each model of a browser page built beside the report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mgc_analysis_" });
  try {
    await writeReportsFixture(dir, { seeds: [42] });
    const without = await Deno.readTextFile(join(dir, "index.html")).catch(() => "");
    assert(!without.includes("web/index.html"));
    await runAnalysis({ reportsDir: dir, log: () => {} });
    assert(!(await Deno.readTextFile(join(dir, "index.html"))).includes("web/index.html"));
    await Deno.mkdir(join(dir, "web"));
    await Deno.writeTextFile(join(dir, "web", "index.html"), "<!doctype html>");
    await Deno.writeTextFile(
      join(dir, "web", "models.json"),
      JSON.stringify([
        { id: "UNet_best", name: "UNet_best", dataset: "gtzan", testAccuracy: 0.9 },
        { id: "VGG_best", name: "VGG_best", dataset: "gtzan", testAccuracy: null },
      ]),
    );
    await runAnalysis({ reportsDir: dir, log: () => {} });
    const html = await checkIndex(dir);
    assert(html.includes('href="web/index.html?model=UNet_best"'), "link to the first model");
    assert(html.includes('href="web/index.html?model=VGG_best"'), "link to the second model");
    assert(html.includes("Try the models in the browser"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
