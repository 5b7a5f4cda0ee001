/**
 * `deno task demo:data [--out DIR] [--seed N] [--classes N] [--clips N] [--seconds S]`
 *
 * Synthesises the SYNTHETIC demo dataset: genre-like clips in GTZAN's layout
 * (`<out>/<genre>/<genre>.<nnnnn>.wav`, 16-bit mono, 22,050 Hz), from a seed, so that the whole
 * pipeline can be run without GTZAN. The clips are not music; what a model learns from them says
 * nothing about music genre classification. See `mod/demo_data.ts` for how classes differ.
 *
 * Same flags → byte-identical files. Prints one summary line on stdout.
 *
 * @module
 */
import { intFlag, numberFlag, parseCli, runMain, UsageError } from "../mod/cli.ts";
import { DEMO_GENRES, synthesizeDemoDataset } from "../mod/datasets/mod.ts";
import { log, Progress } from "../mod/progress.ts";

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage: "deno task demo:data [--out DIR] [--seed N] [--classes N] [--clips N] [--seconds S]",
    description: "Synthesise the SYNTHETIC genre-like demo dataset in GTZAN's folder layout " +
      `(classes: ${DEMO_GENRES.join(", ")}).`,
    flags: {
      out: { type: "string", default: "data/demo/genres", help: "output folder" },
      seed: { type: "string", default: "42", help: "random seed" },
      classes: { type: "string", default: "10", help: "number of classes (1..10)" },
      clips: { type: "string", default: "20", help: "clips per class" },
      seconds: { type: "string", default: "30", help: "seconds per clip" },
    },
  });
  const out = String(values.out);
  const seed = intFlag(values, "seed");
  const classes = intFlag(values, "classes", 1);
  if (classes > DEMO_GENRES.length) {
    throw new UsageError(`--classes: at most ${DEMO_GENRES.length}, got ${classes}`);
  }
  const clipsPerClass = intFlag(values, "clips", 1);
  const seconds = numberFlag(values, "seconds");
  if (seconds <= 0 || seconds > 600) throw new UsageError(`--seconds: expected 0 < S <= 600`);

  log(`demo:data: SYNTHETIC genre-like clips (not music, not GTZAN) → ${out}`);
  const progress = new Progress("demo:data", classes * clipsPerClass, { unit: "clips" });
  const r = await synthesizeDemoDataset(out, {
    seed,
    classes,
    clipsPerClass,
    seconds,
    onFile: () => progress.tick(),
  });
  progress.done();
  console.log(
    `wrote ${r.files} synthetic clips (${(r.seconds / 60).toFixed(1)} min of audio) to ${out} ` +
      `(seed ${seed})`,
  );
}

if (import.meta.main) await runMain(main);
