/**
 * Audio decoding for every dataset of the project: WAV (RIFF/RF64), AU/SND (the original GTZAN
 * files) and MP3 (FMA, Indian genres), to mono float32 as librosa loads it (`librosa.load(path,
 * sr=None, mono=True)`: soundfile's integer scaling, mean of the channels), optionally cut to the
 * first seconds and resampled with the band-limited resampler of {@linkcode resample}.
 *
 * The format is sniffed from the first bytes, never from the file name. Every problem with a
 * file (corrupt, empty, not audio, unsupported encoding, NaN or ±Infinity samples) is an
 * {@linkcode AudioDecodeError} whose message names the file and the reason. A WAV or AU file cut
 * short (data shorter than its header claims) gives the frames it holds, flagged `truncated`.
 * MP3 is read as ffmpeg/libmpg123 read it: corrupt frames are skipped (counted in `badFrames`)
 * and a truncated stream gives what it holds (`truncated`, `secondsRead`); it fails only when no
 * frame decodes. Decoded samples are always finite.
 *
 * {@linkcode AUDIO_EXTENSIONS} is the one list of file extensions the project reads as audio:
 * every dataset loader and `predict` list files with {@linkcode isAudioFile}.
 *
 * @module
 */
import { countNonFinite, describeNonFinite } from "./finite.ts";
import { AudioDecodeError, type MonoAudio } from "./_audio_common.ts";
import { decodeAu, isAu } from "./_au.ts";
import { decodeMp3, isMp3 } from "./_mp3.ts";
import { decodeWav, isWav } from "./_wav.ts";
import { resample } from "./resample.ts";

export { AudioDecodeError } from "./_audio_common.ts";
export { resample } from "./resample.ts";
export { encodeWav, type EncodeWavOptions } from "./wav_write.ts";

/** Container formats {@linkcode decodeAudio} reads. */
export type AudioFormat = "wav" | "au" | "mp3";

/**
 * File extensions (lower case, with the dot) of the containers {@linkcode decodeAudio} reads:
 * WAV (`.wav`, `.wave`, and `.bwf`/`.rf64`, the Broadcast and 64-bit variants), AU/SND (`.au`,
 * `.snd`) and MP3 (`.mp3`). Every dataset loader and `predict` list files by this list (see
 * {@linkcode isAudioFile}); anything else in a data folder is reported as skipped. The decoder
 * itself sniffs the bytes, so a listed name holding something else is still rejected, with the
 * reason.
 */
export const AUDIO_EXTENSIONS: readonly string[] = Object.freeze([
  ".wav",
  ".wave",
  ".bwf",
  ".rf64",
  ".au",
  ".snd",
  ".mp3",
]);

/**
 * True when the file name (or path) ends with one of {@linkcode AUDIO_EXTENSIONS}, in any case.
 *
 * @example
 * ```ts
 * import { isAudioFile } from "./audio.ts";
 * isAudioFile("blues/blues.00000.AU"); // true
 * isAudioFile("track.mp3"); // true
 * isAudioFile("cover.jpg"); // false
 * ```
 */
export function isAudioFile(name: string): boolean {
  const lower = name.toLowerCase();
  return AUDIO_EXTENSIONS.some((e) => lower.endsWith(e));
}

/** Decoded audio: mono float32 at `sampleRate`. */
export interface DecodedAudio {
  /** Mono samples: the mean of the file's channels (as librosa), resampled if asked. */
  samples: Float32Array;
  /** Rate of `samples` (Hz): `targetRate` when given, else the file's. */
  sampleRate: number;
  /** The file's own sample rate (Hz). */
  sourceRate: number;
  /** Channel count in the file. */
  channels: number;
  /** The container that was decoded. */
  format: AudioFormat;
  /**
   * True when the file ended before the length its header (a WAV/AU data chunk) or stream (MP3)
   * claims and that cut what was decoded: the frames present were decoded.
   */
  truncated?: boolean;
  /** With `truncated`: the seconds actually decoded (the decoded duration). */
  secondsRead?: number;
  /** MP3 frames skipped as corrupt or missing; decoding went on after them. */
  badFrames?: number;
}

/** Options for {@linkcode decodeAudio}. */
export interface DecodeOptions {
  /** Resample to this rate (Hz, positive integer). Default: keep the file's rate. */
  targetRate?: number;
  /**
   * Keep only the first `maxSeconds` seconds: `floor(maxSeconds · sourceRate)` samples at the
   * file's rate, as `librosa.load(duration=…)`, before resampling. The rest is not decoded.
   */
  maxSeconds?: number;
}

/**
 * The container format of `bytes` from its magic bytes (`RIFF`/`RF64`/`BW64` + `WAVE`, `.snd`,
 * an ID3v2 tag or an MPEG audio frame header), or `undefined`.
 *
 * @example
 * ```ts
 * import { sniffAudioFormat } from "./audio.ts";
 * sniffAudioFormat(new TextEncoder().encode(".snd")); // "au"
 * ```
 */
export function sniffAudioFormat(bytes: Uint8Array): AudioFormat | undefined {
  if (isWav(bytes)) return "wav";
  if (isAu(bytes)) return "au";
  if (isMp3(bytes)) return "mp3";
  return undefined;
}

/**
 * Decodes a WAV, AU or MP3 file held in memory to mono float32. `file` names the source in
 * errors.
 *
 * @example
 * ```ts
 * import { decodeAudio, encodeWav } from "./audio.ts";
 * const wav = encodeWav(new Float32Array(44100), 44100);
 * const { samples, sampleRate } = await decodeAudio(wav, "silence.wav", { targetRate: 22050 });
 * // samples.length === 22050, sampleRate === 22050
 * ```
 */
export async function decodeAudio(
  bytes: Uint8Array,
  file: string,
  options: DecodeOptions = {},
): Promise<DecodedAudio> {
  const { targetRate, maxSeconds } = options;
  if (targetRate !== undefined && (!Number.isSafeInteger(targetRate) || targetRate <= 0)) {
    throw new RangeError(`decodeAudio: targetRate must be a positive integer, got ${targetRate}`);
  }
  if (maxSeconds !== undefined && !(maxSeconds > 0)) {
    throw new RangeError(`decodeAudio: maxSeconds must be > 0, got ${maxSeconds}`);
  }
  const format = sniffAudioFormat(bytes);
  if (!format) {
    const what = bytes.length === 0 ? "empty file" : "unrecognised header";
    throw new AudioDecodeError(file, `not a WAV, AU or MP3 file (${what})`);
  }
  let mono: MonoAudio;
  try {
    mono = format === "wav"
      ? decodeWav(bytes, file, maxSeconds)
      : format === "au"
      ? decodeAu(bytes, file, maxSeconds)
      : await decodeMp3(bytes, file, maxSeconds);
  } catch (e) {
    if (e instanceof AudioDecodeError) throw e;
    throw new AudioDecodeError(file, `cannot decode: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  let samples = mono.samples;
  if (maxSeconds !== undefined) {
    const keep = Math.floor(maxSeconds * mono.sampleRate);
    if (samples.length > keep) samples = samples.slice(0, keep);
  }
  const secondsRead = samples.length / mono.sampleRate;
  const sampleRate = targetRate ?? mono.sampleRate;
  if (sampleRate !== mono.sampleRate) samples = resample(samples, mono.sampleRate, sampleRate);
  // Float data is checked for NaN/±Inf as stored (the decoders); what can still appear here is
  // overflow: float64 samples beyond the float32 range, or sums of huge values when mixing or
  // resampling.
  const bad = countNonFinite(samples);
  if (bad.total > 0) {
    throw new AudioDecodeError(
      file,
      `${describeNonFinite(bad, samples.length, "decoded samples")} after conversion to ` +
        "float32 (sample values too large); audio samples must be finite",
    );
  }
  const out: DecodedAudio = {
    samples,
    sampleRate,
    sourceRate: mono.sampleRate,
    channels: mono.channels,
    format,
  };
  if (mono.truncated) {
    out.truncated = true;
    out.secondsRead = secondsRead;
  }
  if (mono.badFrames) out.badFrames = mono.badFrames;
  return out;
}

/**
 * Reads and decodes an audio file (see {@linkcode decodeAudio}). A file that cannot be read is
 * an {@linkcode AudioDecodeError} too.
 *
 * @example
 * ```ts ignore
 * import { decodeAudioFile } from "./audio.ts";
 * const { samples } = await decodeAudioFile("data/gtzan/genres/blues/blues.00000.au", {
 *   targetRate: 22050,
 * });
 * ```
 */
export async function decodeAudioFile(
  path: string,
  options: DecodeOptions = {},
): Promise<DecodedAudio> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound ? "file not found" : (e as Error).message;
    throw new AudioDecodeError(path, `cannot read: ${reason}`, { cause: e });
  }
  return decodeAudio(bytes, path, options);
}
