/**
 * `deno task fma:setup`: FMA-small MP3s → leak-free, standardised log-mel arrays.
 *
 * The recipe (all of it is `mod/prepare.ts` run on the FMA config of `mod/datasets_fma.ts`):
 *
 * 1. Read `<data-dir>/fma_metadata/tracks.csv` (streamed; pandas' two-level header) and list the
 *    small-subset tracks whose `<data-dir>/fma_small/<nnn>/<track_id>.mp3` exists; labels are
 *    (`track`, `genre_top`), 8 genres. Missing MP3s, stray files and bad rows are reported.
 * 2. Split whole tracks: `--protocol official` = FMA's own artist-aware (`set`, `split`), all
 *    8,000 tracks; `--protocol seed` = the original's 40 tracks per genre (seeded draw), 80/20
 *    then 75/25 (192/64/64).
 * 3. Decode each MP3 (first 30 s, mono, 44.1 → 22.05 kHz, band-limited resampler) and cut 10
 *    segments of 2.97 s; 128×128 log-mel per segment (`--pad-frames 129` adds the original's
 *    extra 0 dB column). Corrupt or too-short MP3s are skipped and listed. All cores, in workers.
 * 4. Fit one mean and std per (mel, frame) position on the training segments only.
 * 5. Write `X_*.npy`, `y_*.npy`, `track_*.npy`, the scaler, `labels.json` and `manifest.json`
 *    into `--out` atomically. The official protocol is 80,000 segments (≈5 GB): they are
 *    streamed through a temporary file beside `--out`, never held in memory.
 *
 * @module
 */
import { choiceFlag, intFlag, parseCli, runMain } from "../mod/cli.ts";
import { defaultOut, fmaConfig } from "../mod/datasets/mod.ts";
import { prepareDataset, setupSummary } from "../mod/prepare/mod.ts";

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage:
      "deno task fma:setup [--data-dir DIR] [--protocol official|seed] [--pad-frames 128|129] " +
      "[--seed N] [--out DIR] [--workers N]",
    description: "Decode FMA-small, cut 10 × 2.97 s segments per track, compute log-mels, split " +
      "whole tracks into train/val/test, fit the scaler on train only and write the arrays.",
    flags: {
      "data-dir": {
        type: "string",
        default: "data/fma",
        help: "folder holding fma_small/<nnn>/<track_id>.mp3 and fma_metadata/tracks.csv " +
          "(or fma_small/ itself)",
      },
      protocol: {
        type: "string",
        default: "official",
        help: "official (FMA's artist-aware split, 8000 tracks) | seed (40 per genre, 192/64/64)",
      },
      "pad-frames": {
        type: "string",
        default: "128",
        help: "frames per segment: 128, or 129 for the original's extra 0 dB column",
      },
      seed: { type: "string", default: "42", help: "seed of the seed protocol's draw and split" },
      out: {
        type: "string",
        help: "output folder (default data/processed/fma/<protocol>, fma_pad129/ with 129)",
      },
      workers: {
        type: "string",
        default: String(navigator.hardwareConcurrency),
        help: "extraction workers (0 = main thread)",
      },
    },
  });
  const protocol = choiceFlag(values, "protocol", ["official", "seed"] as const);
  const padFrames = Number(choiceFlag(values, "pad-frames", ["128", "129"] as const)) as 128 | 129;
  const seed = intFlag(values, "seed");
  const workers = intFlag(values, "workers", 0);
  const config = fmaConfig({ protocol, seed, padFrames });
  const out = (values.out as string | undefined) ?? defaultOut(config, protocol);

  const r = await prepareDataset(config, {
    dataDir: values["data-dir"] as string,
    split: protocol,
    seed,
    out,
    workers,
    createdBy: "scripts/03_setup_fma.ts",
  });
  console.log(setupSummary(r, { title: "FMA-small", unit: "segments", perFile: 10 }).join("\n"));
}

if (import.meta.main) await runMain(main);
