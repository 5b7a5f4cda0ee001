import { assertEquals } from "../_assert.ts";
import type { ManifestFile, PrepareResult } from "./prepare.ts";
import { setupSummary } from "./setup_summary.ts";

Deno.test("setupSummary: parts, short and padded files, skipped list cut after maxSkipped", () => {
  const file = (i: number, examples: number, padded: boolean): ManifestFile => ({
    index: i,
    path: `a/${i}.wav`,
    label: "a",
    label_index: 0,
    split: "train",
    status: "ok",
    examples,
    sha256: null,
    padded,
  });
  const r = {
    out: "data/processed/x/random",
    seconds: 1.2,
    store: "memory",
    counts: {
      train: { files: 2, examples: 13 },
      val: { files: 0, examples: 0 },
      test: { files: 0, examples: 0 },
    },
    manifest: {
      dataset: { name: "x", description: "", data_dir: "data/x", layout: "<class>/<file>" },
      split: { protocol: "random", seed: 7 },
      arrays: { X_train: { shape: [13, 128, 64, 1], dtype: "float32" } },
      files: [file(0, 10, false), file(1, 3, true)],
      skipped: [1, 2, 3].map((i) => ({ path: `b/${i}.wav`, reason: "not audio" })),
    },
  } as unknown as PrepareResult;
  assertEquals(setupSummary(r, { title: "X", unit: "segments", perFile: 10, maxSkipped: 2 }), [
    "X (<class>/<file>) from data/x, split random, seed 7",
    "  train     2 files     13 segments of 128×64",
    "  val       0 files      0 segments",
    "  test      0 files      0 segments",
    "  1 short files gave fewer than 10 segments",
    "  1 files zero-padded to fill their last example",
    "  skipped 3:",
    "    b/1.wav: not audio",
    "    b/2.wav: not audio",
    "    … and 1 more (manifest.json lists all)",
    "wrote data/processed/x/random in 1.2 s",
  ]);
});

Deno.test("setupSummary: the input's verification line follows the first line", () => {
  const line =
    "data: Tabla taalas: no canonical list exists; copy index sha256 0123456789abcdef… (2 files)";
  const r = {
    out: "o",
    seconds: 0.5,
    counts: {
      train: { files: 1, examples: 1 },
      val: { files: 0, examples: 0 },
      test: { files: 0, examples: 0 },
    },
    manifest: {
      dataset: { name: "tabla", description: "", data_dir: "d", layout: "l" },
      split: { protocol: "random", seed: 1 },
      arrays: {},
      files: [],
      skipped: [],
      verification: { status: "no canonical list", line, dataset: "tabla", how: null },
    },
  } as unknown as PrepareResult;
  const lines = setupSummary(r, { title: "Tabla", unit: "clips" });
  assertEquals(lines.slice(0, 2), ["Tabla (l) from d, split random, seed 1", `  ${line}`]);
});
