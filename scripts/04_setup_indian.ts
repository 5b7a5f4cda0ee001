/**
 * `deno task indian:setup`: the Indian music genre clips → standardised 128×64 log-mel arrays.
 *
 * The recipe (all of it is `mod/prepare.ts` run on the `INDIAN` config of
 * `mod/datasets_indian.ts`):
 *
 * 1. List `<data-dir>/genrenew/<class>/<file>.{mp3,wav}` (bollypop, carnatic, ghazal,
 *    semiclassical, sufi = 0 … 4); files sorted by path before anything random.
 * 2. Split whole files as the original did: stratified 80/20, then 75/25 of the rest
 *    (60/20/20), seeded by `--seed`.
 * 3. Decode each clip (first 30 s, mono, 22,050 Hz) and cut 10 segments of 3.0 s, the last
 *    zero-padded; log-mel with hop 256, cropped to 128 frames, every second frame kept: 128×64.
 * 4. Fit one mean and std per (mel, frame) position on the training segments only.
 * 5. Write `X_*.npy`, `y_*.npy`, `track_*.npy`, the scaler, `labels.json` and `manifest.json`
 *    into `--out` atomically. Corrupt files are skipped and listed.
 *
 * @module
 */
import { parseCli, runMain } from "../mod/cli.ts";
import { INDIAN } from "../mod/datasets/mod.ts";
import { prepareDataset, readSetupFlags, setupFlags, setupSummary } from "../mod/prepare/mod.ts";

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage: "deno task indian:setup [--data-dir DIR] [--seed N] [--out DIR] [--workers N]",
    description: "Decode the Indian music genre clips, cut 10 × 3.0 s segments, compute 128×64 " +
      "log-mels, split whole files 60/20/20, fit the scaler on train only and write the arrays.",
    flags: setupFlags(
      INDIAN,
      "random",
      "folder holding genrenew/<class>/<file>.{mp3,wav} (or genrenew/ itself)",
    ),
  });
  const r = await prepareDataset(INDIAN, {
    ...readSetupFlags(values, INDIAN, "random"),
    createdBy: "scripts/04_setup_indian.ts",
  });
  console.log(
    setupSummary(r, { title: "Indian music genres", unit: "segments", perFile: 10 }).join("\n"),
  );
}

if (import.meta.main) await runMain(main);
