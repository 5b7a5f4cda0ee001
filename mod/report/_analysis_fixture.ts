/**
 * A small, hand-made reports folder in the tournament's format (issue 5 §2), for the analysis
 * tests and for looking at the page: 3 models × 2 tags × 2 seeds on GTZAN with 10 genres, WP1/WP2
 * files, the champion's predictions, epoch logs, run metadata and a k-fold summary. Values are
 * drawn from a seeded {@linkcode Rng}. Private to the tests and scripts/screenshot.ts.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../fs.ts";
import { Rng } from "../rng.ts";
import type { Embedding } from "./analysis_types.ts";
import { type Cell, csvText } from "./tables.ts";
import { DEMO_GENRES } from "../datasets/demo_data.ts";

/** GTZAN's ten genres, labels.json order. */
export const GENRES: readonly string[] = DEMO_GENRES;

/** The models of the fixture, smallest first. */
export const MODELS: readonly string[] = [
  "Efficient_VGG",
  "ResSE_AudioCNN",
  "UNet_Audio_Classifier",
];

const TEST_ACC: Record<string, [number, number]> = {
  // model: [WITH_AUG, NO_AUG] segment test accuracy around which the seeds vary
  Efficient_VGG: [0.71, 0.69],
  ResSE_AudioCNN: [0.76, 0.78],
  UNet_Audio_Classifier: [0.83, 0.79],
};
const PARAMS: Record<string, number> = {
  Efficient_VGG: 612_394,
  ResSE_AudioCNN: 1_283_722,
  UNet_Audio_Classifier: 3_914_506,
};

/** What to leave out of the fixture. */
export interface FixtureOptions {
  /** File names not to write. */
  omit?: string[];
  /** Seeds (default [42, 43]). */
  seeds?: number[];
}

/**
 * Writes the fixture into `dir` and returns the file names written.
 *
 * @example
 * ```ts
 * import { writeReportsFixture } from "./_analysis_fixture.ts";
 * const dir = await Deno.makeTempDir();
 * await writeReportsFixture(dir);
 * ```
 */
export async function writeReportsFixture(
  dir: string,
  options: FixtureOptions = {},
): Promise<string[]> {
  const rng = new Rng(2024);
  const seeds = options.seeds ?? [42, 43];
  const files = new Map<string, string>();
  const csv = (rows: unknown[][]): string => csvText(rows as Cell[][]);
  const header = [
    "Model",
    "Tag",
    "Best_Val_Accuracy",
    "Test_Accuracy",
    "Epochs",
    "Params",
    "Approx_FLOPs",
    "Latency_ms",
    "Test_Track_Accuracy",
    "Seed",
    "Backend",
    "Train_Seconds",
  ];
  const acc: Record<string, number[]> = {};
  for (const [t, tag] of ["WITH_AUG", "NO_AUG"].entries()) {
    const rows: unknown[][] = [header];
    for (const m of MODELS) {
      for (const s of seeds) {
        const a = round(TEST_ACC[m]![t]! + 0.02 * (rng.next() - 0.5), 4);
        (acc[`${m} ${tag}`] ??= []).push(a);
        rows.push([
          m,
          tag,
          round(a + 0.01, 4),
          a,
          20 + rng.int(0, 20),
          PARAMS[m],
          PARAMS[m]! * 180,
          round(2 + PARAMS[m]! / 4e5 + rng.next(), 3),
          round(Math.min(1, a + 0.06), 4),
          s,
          "wasm",
          round(600 + 100 * rng.next(), 1),
        ]);
      }
    }
    files.set(`training_summary_${tag}.csv`, csv(rows));
  }
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const std = (v: number[]): number =>
    Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / Math.max(v.length - 1, 1));
  const range = (v: number[]): number => Math.max(...v) - Math.min(...v);
  const wp1: unknown[][] = [[
    "Model",
    "WITH_AUG",
    "NO_AUG",
    "Gain_pp",
    "WITH_AUG_Std",
    "NO_AUG_Std",
    "Spread_pp",
    "Gain_Exceeds_Spread",
  ]];
  for (const m of MODELS) {
    const w = acc[`${m} WITH_AUG`]!;
    const n = acc[`${m} NO_AUG`]!;
    const gain = 100 * (mean(w) - mean(n));
    const spread = 100 * Math.max(range(w), range(n));
    wp1.push([
      m,
      mean(w),
      mean(n),
      round(gain, 4),
      std(w),
      std(n),
      round(spread, 4),
      Math.abs(gain) > spread ? "yes" : "no", // as mod/tournament.ts writes it
    ]);
  }
  files.set("wp1_ablation_with_vs_without_aug.csv", csv(wp1));
  files.set(
    "wp2_efficiency_metrics.csv",
    csv([
      [
        "Model",
        "Params",
        "Approx_FLOPs",
        "Latency_ms",
        "Latency_p90_ms",
        "Backend",
        "Test_Accuracy",
        "Test_Track_Accuracy",
      ],
      ...MODELS.map((m) => [
        m,
        PARAMS[m],
        PARAMS[m]! * 180,
        round(2 + PARAMS[m]! / 4e5, 3),
        round(2.5 + PARAMS[m]! / 3.5e5, 3),
        "wasm",
        mean(acc[`${m} WITH_AUG`]!),
        Math.min(1, mean(acc[`${m} WITH_AUG`]!) + 0.06),
      ]),
    ]),
  );

  // Champion's predictions: 3 tracks per genre × 4 segments; mostly right, with confusions
  // between neighbouring genres, and "rock" never predicted.
  const k = GENRES.length;
  const pred: unknown[][] = [[
    "track",
    "file",
    "segment",
    "y_true",
    "y_pred",
    ...GENRES.map((g) => `p_${g}`),
  ]];
  for (let g = 0; g < k; g++) {
    for (let t = 0; t < 3; t++) {
      const track = `${GENRES[g]}.${String(t).padStart(5, "0")}`;
      for (let s = 0; s < 4; s++) {
        const p = new Array<number>(k).fill(0).map(() => 0.02 + 0.05 * rng.next());
        const wrong = rng.next() < 0.3 || g === k - 1;
        const top = wrong ? (g + 1) % (k - 1) : g;
        p[top]! += 0.6;
        const sum = p.reduce((a, b) => a + b, 0);
        const probs = p.map((v) => round(v / sum, 6));
        let arg = 0;
        probs.forEach((v, i) => (v > probs[arg]! ? (arg = i) : 0));
        pred.push([track, `${track}.wav`, s, GENRES[g], GENRES[arg], ...probs]);
      }
    }
  }
  const champion = "UNet_Audio_Classifier_WITH_AUG";
  for (const s of seeds) files.set(`predictions_${champion}_seed${s}.csv`, csv(pred));

  // Epoch logs.
  for (const m of MODELS) {
    for (const tag of ["WITH_AUG", "NO_AUG"]) {
      for (const s of seeds) {
        const rows: unknown[][] = [[
          "epoch",
          "loss",
          "accuracy",
          "val_loss",
          "val_accuracy",
          "lr",
          "seconds",
          "samples_per_s",
        ]];
        for (let e = 0; e < 12; e++) {
          const loss = 2.3 * Math.exp(-e / 4) + 0.2 + 0.05 * rng.next();
          const vloss = 2.3 * Math.exp(-e / 5) + 0.45 + 0.01 * e + 0.08 * rng.next();
          rows.push([
            e,
            round(loss, 4),
            round(1 - loss / 2.6, 4),
            round(vloss, 4),
            round(1 - vloss / 2.8, 4),
            0.001,
            61.2,
            20.4,
          ]);
        }
        files.set(`log_${m}_${tag}_seed${s}.csv`, csv(rows));
      }
    }
  }
  files.set(
    "kfold_cv_unet_gtzan.csv",
    csv([["Model", "Folds", "Val_Accuracy_Mean", "Val_Accuracy_Std"], [
      "UNet_Audio_Classifier",
      5,
      0.7912,
      0.0311,
    ]]),
  );
  files.set(
    "kfold_cv_unet_gtzan_folds.csv",
    csv([
      ["Fold", "Val_Accuracy", "Val_Track_Accuracy"],
      ...[0.81, 0.77, 0.75, 0.82, 0.80].map((a, i) => [i + 1, a, a + 0.05]),
    ]),
  );
  const omit = new Set(options.omit ?? []);
  const written: string[] = [];
  for (const [name, text] of files) {
    if (omit.has(name)) continue;
    await writeFileAtomic(join(dir, name), text);
    written.push(name);
  }
  if (!omit.has("run.json")) {
    await writeJsonAtomic(join(dir, "run.json"), {
      seeds,
      split: "fault-filtered",
      backend: "wasm",
      versions: { deno: "2.9.6", tfjs: "4.22.0" },
      data: { manifest_sha256: "3f2a9c0d4e5b6a7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7" },
    });
    written.push("run.json");
  }
  return written.sort();
}

/**
 * Pooled-feature stand-in: `perGenre` points per genre in 16-d, one Gaussian blob per genre.
 *
 * @example
 * ```ts
 * import { fakeEmbedding } from "./_analysis_fixture.ts";
 * const e = fakeEmbedding(5);
 * ```
 */
export function fakeEmbedding(perGenre: number): Embedding {
  const rng = new Rng(7);
  const dim = 16;
  const n = perGenre * GENRES.length;
  const features = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const g = i % GENRES.length;
    labels[i] = g;
    for (let d = 0; d < dim; d++) {
      features[i * dim + d] = rng.normal() + (d === g ? 8 : 0) + (d === g + 6 ? 3 : 0);
    }
  }
  return { features, dim, labels, labelNames: [...GENRES] };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
