/**
 * `deno task mel <audio> --out <file.npy> [--segments N|all] [--n-fft N] [--hop N] [--n-mels N]
 * [--segment-samples N] [--pad]`
 *
 * Writes one audio file's unscaled log-mel segments (dB, `power_to_db(ref=max)` per segment) as a
 * float32 `.npy` of shape `[segments, n_mels, frames]`, frames = 1 + segment_samples // hop
 * (GTZAN defaults: `[10, 128, 128]`). The audio is decoded to mono and resampled to 22,050 Hz.
 * A user tool, and the way to compare this pipeline with librosa:
 *
 * ```python
 * import librosa, numpy as np
 * y, _ = librosa.load("clip.wav", sr=22050)
 * seg = y[:65488]
 * ref = librosa.power_to_db(librosa.feature.melspectrogram(y=seg, sr=22050), ref=np.max)
 * print(np.abs(np.load("clip.npy")[0] - ref).max())
 * ```
 *
 * Prints one summary line on stdout.
 *
 * @module
 */
import { decodeAudioFile } from "../mod/audio/mod.ts";
import { intFlag, parseCli, runMain, UsageError, UserError } from "../mod/cli.ts";
import { extractFeatures, type FeatureConfig, GTZAN_FEATURES } from "../mod/features/mod.ts";
import { writeNpyAtomic } from "../mod/npy.ts";

async function main(): Promise<void> {
  const { values, positionals } = parseCli(Deno.args, {
    usage: "deno task mel <audio> --out <file.npy> [--segments N|all] [--n-fft N] [--hop N] " +
      "[--n-mels N] [--segment-samples N] [--pad]",
    description: "One audio file (WAV, AU, MP3) → float32 [segments, n_mels, frames] log-mel " +
      "(dB, ref=max per segment, top_db 80, not standardised) at 22,050 Hz.",
    positionals: true,
    flags: {
      out: { type: "string", help: "output .npy file (required)" },
      segments: { type: "string", default: "10", help: "segments to keep: a number or 'all'" },
      "n-fft": { type: "string", default: "2048", help: "FFT size (power of two)" },
      hop: { type: "string", default: "512", help: "hop length (samples)" },
      "n-mels": { type: "string", default: "128", help: "mel bands" },
      "segment-samples": {
        type: "string",
        default: "65488",
        help: "samples per segment (65488 = 2.97 s)",
      },
      pad: { type: "boolean", help: "zero-pad a partial last segment instead of dropping it" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("expected exactly one audio file");
  const input = positionals[0]!;
  const out = values.out;
  if (typeof out !== "string" || out === "") throw new UsageError("--out <file.npy> is required");
  const segments = values.segments === "all" ? "all" : intFlag(values, "segments", 1);
  const nFft = intFlag(values, "n-fft", 8);
  if ((nFft & (nFft - 1)) !== 0) throw new UsageError(`--n-fft: not a power of two: ${nFft}`);
  const hop = intFlag(values, "hop", 1);
  const segmentSamples = intFlag(values, "segment-samples", 1);
  const cfg: FeatureConfig = {
    ...GTZAN_FEATURES,
    maxSegments: segments,
    padShortSegments: values.pad === true,
    nFft,
    hop,
    nMels: intFlag(values, "n-mels", 1),
    segmentSamples,
    frames: 1 + Math.floor(segmentSamples / hop),
  };

  const audio = await decodeAudioFile(input, { targetRate: cfg.sampleRate });
  const seconds = audio.samples.length / cfg.sampleRate;
  const f = extractFeatures(audio.samples, cfg);
  if (f.segments === 0) {
    throw new UserError(
      `${input}: ${seconds.toFixed(2)} s is shorter than one segment of ${segmentSamples} ` +
        `samples (${(segmentSamples / cfg.sampleRate).toFixed(2)} s); use --pad to zero-pad it`,
    );
  }
  await writeNpyAtomic(out, f.data, f.shape);
  let lo = Infinity, hi = -Infinity;
  for (const v of f.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  console.log(
    `${out}: float32 [${f.shape.join(", ")}] log-mel (dB ${lo.toFixed(1)}..${hi.toFixed(1)}) ` +
      `from ${input} (${audio.format}, ${audio.channels} ch, ${audio.sourceRate} Hz, ` +
      `${seconds.toFixed(2)} s${f.padded ? ", last segment zero-padded" : ""})`,
  );
}

if (import.meta.main) await runMain(main);
