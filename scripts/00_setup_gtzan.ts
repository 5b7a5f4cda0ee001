/**
 * `deno task gtzan:setup`: GTZAN audio → leak-free, standardised log-mel arrays.
 *
 * The recipe, top to bottom (all of it is `mod/prepare.ts` run on the `GTZAN` config of
 * `mod/datasets.ts`):
 *
 * 1. List `<data-dir>/<genre>/<genre>.<nnnnn>.{au,wav}` (the original archive or Kaggle's
 *    `genres_original/`); genres are the sorted folder names (blues = 0 … rock = 9); files are
 *    sorted by path before anything random.
 * 2. Split whole files: `random` = stratified 60/20/20 per genre with `--seed`;
 *    `fault-filtered` = the published artist-aware lists (443/197/290 tracks).
 * 3. Decode each clip to mono 22,050 Hz and cut 10 contiguous segments of 65,488 samples from
 *    sample 0 (a short clip gives fewer, recorded in the manifest); 128×128 log-mel per segment,
 *    computed like librosa. Both cores, in workers.
 * 4. Fit one mean and std per (mel, frame) position on the training segments only; scale every
 *    split with it.
 * 5. Write `X_*.npy`, `y_*.npy`, `track_*.npy`, the scaler, `labels.json` and `manifest.json`
 *    into `--out` atomically.
 *
 * Corrupt clips (Kaggle's `jazz.00054.wav`) are skipped with a warning and listed in the manifest.
 *
 * @module
 */
import { choiceFlag, intFlag, parseCli, runMain } from "../mod/cli.ts";
import { defaultOut, GTZAN, SPLIT_NAMES } from "../mod/datasets/mod.ts";
import { prepareDataset } from "../mod/prepare/mod.ts";

const SPLITS = Object.keys(GTZAN.splits) as ("random" | "fault-filtered")[];

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage: "deno task gtzan:setup [--data-dir DIR] [--split random|fault-filtered] [--seed N] " +
      "[--out DIR] [--workers N]",
    description: "Decode GTZAN, cut 10 × 2.97 s segments per clip, compute 128×128 log-mels, " +
      "split whole files into train/val/test, fit the scaler on train only and write the arrays.",
    flags: {
      "data-dir": {
        type: "string",
        default: GTZAN.defaultDataDir,
        help: "GTZAN genre folders (<genre>/<genre>.<nnnnn>.au or Kaggle genres_original .wav); " +
          "data/gtzan/genres_original is used when the default is missing",
      },
      split: { type: "string", default: "random", help: `split protocol: ${SPLITS.join(" | ")}` },
      seed: { type: "string", default: "42", help: "seed of the random split" },
      out: { type: "string", help: "output folder (default data/processed/gtzan/<split>)" },
      workers: {
        type: "string",
        default: String(navigator.hardwareConcurrency),
        help: "extraction workers (0 = main thread)",
      },
    },
  });
  const split = choiceFlag(values, "split", SPLITS);
  const seed = intFlag(values, "seed");
  const workers = intFlag(values, "workers", 0);
  const out = (values.out as string | undefined) ?? defaultOut(GTZAN, split);

  const r = await prepareDataset(GTZAN, {
    dataDir: values["data-dir"] as string,
    split,
    seed,
    out,
    workers,
    createdBy: "scripts/00_setup_gtzan.ts",
  });

  const m = r.manifest;
  console.log(
    `GTZAN (${m.dataset.layout}) from ${m.dataset.data_dir}, split ${split}, seed ${seed}`,
  );
  if (m.verification) console.log(`  ${m.verification.line}`);
  for (const s of SPLIT_NAMES) {
    console.log(
      `  ${s.padEnd(5)} ${String(r.counts[s].files).padStart(4)} files ` +
        `${String(r.counts[s].examples).padStart(6)} segments`,
    );
  }
  const short = m.files.filter((f) =>
    f.status === "ok" && f.examples < (GTZAN.features.maxSegments as number)
  );
  if (short.length) console.log(`  ${short.length} short clips gave fewer than 10 segments`);
  const truncated = m.files.filter((f) => f.status === "ok" && f.truncated).length;
  if (truncated) console.log(`  ${truncated} truncated files used for what they hold`);
  const excluded = m.files.filter((f) => f.status === "excluded").length;
  if (excluded) console.log(`  ${excluded} files not in the ${split} lists`);
  if (m.missing_from_disk.length) {
    console.log(`  ${m.missing_from_disk.length} listed files not found on disk`);
  }
  console.log(`  skipped ${m.skipped.length}${m.skipped.length ? ":" : ""}`);
  for (const s of m.skipped) console.log(`    ${s.path}: ${s.reason}`);
  console.log(`wrote ${r.out} in ${r.seconds.toFixed(1)} s`);
}

if (import.meta.main) await runMain(main);
