import { checkWellFormedXml } from "./_xml.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  ablationSpec,
  CATEGORICAL_10,
  confusionSpec,
  countSvgMarks,
  efficiencySpec,
  learningCurvesSpec,
  modelComparisonSpec,
  renderSvg,
  timelineSpec,
  tsneSpec,
  type VlSpec,
} from "./plots.ts";
import { DEMO_GENRES } from "../datasets/demo_data.ts";

const GENRES: readonly string[] = DEMO_GENRES;

/** Renders, checks the SVG is well-formed XML and that both counts (scenegraph, SVG text) agree. */
async function render(spec: VlSpec): Promise<{ svg: string; marks: Record<string, number> }> {
  const r = await renderSvg(JSON.parse(JSON.stringify(spec))); // specs must survive a JSON round trip
  checkWellFormedXml(r.svg);
  for (const [name, n] of Object.entries(r.marks)) {
    assertEquals(countSvgMarks(r.svg, name), n, name);
  }
  return r;
}

Deno.test("confusion heatmap: 100 cells and 100 values for 10 classes, raw and normalised", async () => {
  const m = GENRES.map((_, i) => GENRES.map((_, j) => (i === j ? 9 : (i * j) % 2)));
  const raw = await render(confusionSpec(m, GENRES, { title: "Segments" }));
  assertEquals(raw.marks, { cells: 100, counts: 100 });
  assert(raw.svg.includes(">9</text>") && raw.svg.includes("True genre"));
  const norm = await render(
    confusionSpec(m.map((r) => r.map((v) => v / 10)), GENRES, { normalized: true }),
  );
  assertEquals(norm.marks.cells, 100);
  assert(norm.svg.includes(">90</text>"), "normalised values are shown in %");
  assertThrows(() => confusionSpec([[1]], ["a", "b"]), RangeError);
});

Deno.test("model comparison: error bars only with several seeds", async () => {
  const rows = ["A", "B"].flatMap((model) =>
    ["WITH_AUG", "NO_AUG"].flatMap((tag) =>
      ["segment", "track"].map((level) => ({ model, tag, level, mean: 0.7, std: 0.02, n: 3 }))
    )
  );
  assertEquals((await render(modelComparisonSpec(rows))).marks, { bars: 8, errorbars: 8 });
  const one = await render(modelComparisonSpec(rows.map((r) => ({ ...r, std: null, n: 1 }))));
  assertEquals(one.marks, { bars: 8 });
});

Deno.test("ablation, efficiency, t-SNE and learning-curve figures draw every datum", async () => {
  const ab = await render(ablationSpec([
    { model: "A", gainPp: 1.2, spreadPp: 3, exceeds: false },
    { model: "B", gainPp: -0.4, spreadPp: null, exceeds: null },
  ]));
  assertEquals(ab.marks, { bars: 2, zero: 1, errorbars: 1 });

  const pts = [
    { model: "A", tag: "WITH_AUG", params: 1.2e6, accuracy: 0.8, latencyMs: 2 },
    { model: "B", tag: "NO_AUG", params: 3.4e6, accuracy: 0.7, latencyMs: 5 },
  ];
  const ef = efficiencySpec(pts);
  assertEquals((ef.encoding as { x: { scale: unknown } }).x.scale, { type: "log" });
  assertEquals((await render(ef)).marks, { points: 2 });
  const ef0 = efficiencySpec([{ ...pts[0]!, params: 0, latencyMs: null }]);
  assertEquals((ef0.encoding as { x: { scale: unknown } }).x.scale, { zero: true });
  assert(!("size" in (ef0.encoding as object)), "no size channel without latencies");
  assertEquals((await render(ef0)).marks, { points: 1 });

  const ts = await render(
    tsneSpec(GENRES.flatMap((label, i) => [0, 1].map((k) => ({ x: i, y: k, label })))),
  );
  assertEquals(ts.marks, { points: 20 });
  for (const colour of CATEGORICAL_10) {
    assert(ts.svg.includes(colour) || ts.svg.toLowerCase().includes(colour.toLowerCase()));
  }

  const curves = ["A · WITH_AUG", "B · NO_AUG"].flatMap((run) =>
    ["42", "43"].flatMap((seed) =>
      [1, 2, 3].flatMap((epoch) =>
        ["loss", "accuracy"].flatMap((metric) =>
          ["train", "validation"].map((split) => ({
            run,
            seed,
            epoch,
            metric,
            split,
            value: 1 / epoch,
          }))
        )
      )
    )
  );
  // 2 runs × 2 panels × (2 splits × 2 seeds) lines
  assertEquals((await render(learningCurvesSpec(curves))).marks, { curves: 16 });
});

Deno.test("the XML check used above rejects malformed documents", () => {
  assertEquals(checkWellFormedXml('<svg a="1"><g><path d="x"/></g></svg>').get("path"), 1);
  for (
    const bad of [
      "<svg><g></svg>",
      '<svg a="1" a="2"/>',
      "<svg>&nbsp;</svg>",
      "<a/><b/>",
      "<svg a=1/>",
    ]
  ) {
    assertThrows(() => checkWellFormedXml(bad), Error, "not well-formed");
  }
});

Deno.test("timeline: one stacked rectangle per (segment, label ≥ 1 %), stacks sum to 1", async () => {
  const labels = ["blues", "jazz", "rock"];
  const segments = [
    { start_s: 0, end_s: 2.97, probabilities: [0.7, 0.295, 0.005] },
    { start_s: 2.97, end_s: 5.94, probabilities: [0.1, 0.895, 0.005] },
    { start_s: 5.94, end_s: 7, probabilities: [0.5, 0.5, 0] },
  ];
  const spec = timelineSpec({ labels, segments });
  const values = (spec.data as { values: { label: string; y0: number; y1: number }[] }).values;
  assertEquals(values.length, 6, "rock is below 1 % everywhere: left out");
  assertEquals([...new Set(values.map((v) => v.label))], ["jazz", "blues"], "most probable first");
  for (let s = 0; s < 3; s++) {
    assert(Math.abs(values[2 * s + 1]!.y1 - (1 - segments[s]!.probabilities[2]!)) < 1e-9);
  }
  const r = await render(spec);
  assertEquals(r.marks.timeline, 6);
  assert(r.svg.includes("time (s)"));
});
