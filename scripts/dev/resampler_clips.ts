/**
 * `deno run -RW scripts/dev/resampler_clips.ts [--out DIR] [--rates 44100,48000] [--seed N]
 * [--clips N] [--seconds S]`
 *
 * Dev-only: writes music-like test audio at other rates than 22,050 Hz for
 * `scripts/dev/compare_resampled_mels.py` (the resampler against librosa's default path). Each
 * clip is the project's SYNTHETIC demo synthesiser (`synthesizeClip`, genre-like: drums, bass,
 * chords, FM, distortion, noise bursts) rendered directly at the rate, so it has content up to that
 * rate's Nyquist frequency (what a real 44.1 kHz recording has, and what the resampler must
 * reject); stereo: left = clip k, right = 0.7·clip k + 0.3·clip k+1 (another genre). Files:
 * `<out>/<rate>/<genre>.<rate>.wav`, 16-bit PCM.
 *
 * @module
 */
import { intFlag, numberFlag, parseCli, runMain, UsageError } from "../../mod/cli.ts";
import { encodeWav } from "../../mod/audio/mod.ts";
import { DEMO_GENRES, synthesizeClip } from "../../mod/datasets/mod.ts";
import { log } from "../../mod/progress.ts";

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage: "deno run -RW scripts/dev/resampler_clips.ts [--out DIR] [--rates R,R] [--seed N] " +
      "[--clips N] [--seconds S]",
    description: "Music-like stereo WAV clips (the demo synthesiser) at 44.1/48 kHz, for " +
      "comparing resampled log-mels with librosa's.",
    flags: {
      out: { type: "string", default: "data/resampler_clips", help: "output folder" },
      rates: { type: "string", default: "44100,48000", help: "sample rates (Hz)" },
      seed: { type: "string", default: "42", help: "random seed" },
      clips: { type: "string", default: "10", help: "clips per rate (one genre each, ≤ 10)" },
      seconds: { type: "string", default: "30", help: "seconds per clip" },
    },
  });
  const out = String(values.out);
  const seed = intFlag(values, "seed");
  const clips = intFlag(values, "clips", 1);
  if (clips > DEMO_GENRES.length) throw new UsageError(`--clips: at most ${DEMO_GENRES.length}`);
  const seconds = numberFlag(values, "seconds");
  if (!(seconds > 0 && seconds <= 600)) throw new UsageError("--seconds: expected 0 < S <= 600");
  const rates = String(values.rates).split(",").map((r) => Number(r));
  for (const r of rates) {
    if (!Number.isInteger(r) || r < 8000) throw new UsageError(`--rates: bad rate ${r}`);
  }
  for (const rate of rates) {
    await Deno.mkdir(`${out}/${rate}`, { recursive: true });
    for (let k = 0; k < clips; k++) {
      const g = DEMO_GENRES[k]!, h = DEMO_GENRES[(k + 1) % DEMO_GENRES.length]!;
      const a = synthesizeClip(g, { seed, index: 0, seconds, sampleRate: rate });
      const b = synthesizeClip(h, { seed, index: 1, seconds, sampleRate: rate });
      const right = a.map((v, i) => 0.7 * v + 0.3 * b[i]!);
      await Deno.writeFile(`${out}/${rate}/${g}.${rate}.wav`, encodeWav([a, right], rate));
      log(`${out}/${rate}/${g}.${rate}.wav`);
    }
  }
  console.log(`wrote ${clips * rates.length} stereo clips to ${out} (seed ${seed})`);
}

if (import.meta.main) await runMain(main);
