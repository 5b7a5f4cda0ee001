/**
 * Audio decoding for every dataset of the project: WAV (RIFF/RF64), AU/SND (the original GTZAN
 * files) and MP3 (FMA, Indian genres), to mono float32 as librosa loads it (`librosa.load(path,
 * sr=None, mono=True)`: soundfile's integer scaling, mean of the channels), optionally cut to the
 * first seconds and resampled with the band-limited resampler of {@linkcode resample}.
 *
 * The format is sniffed from the first bytes, never from the file name. Every problem with a
 * file (truncated, corrupt, empty, not audio, unsupported encoding) is an
 * {@linkcode AudioDecodeError} whose message names the file and the reason. MP3 is read as
 * ffmpeg/libmpg123 read it: corrupt frames are skipped (counted in `badFrames`) and a truncated
 * stream gives what it holds (`truncated`, `secondsRead`); it fails only when no frame decodes.
 *
 * @module
 */
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
  /** The file ended before its header (WAV/AU data size) or stream said; what was there was
   * decoded. */
  truncated?: boolean;
  /** Seconds actually decoded when `truncated` (== the duration of `samples`). */
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
  const sampleRate = targetRate ?? mono.sampleRate;
  if (sampleRate !== mono.sampleRate) samples = resample(samples, mono.sampleRate, sampleRate);
  const out: DecodedAudio = {
    samples,
    sampleRate,
    sourceRate: mono.sampleRate,
    channels: mono.channels,
    format,
  };
  if (mono.truncated) [out.truncated, out.secondsRead] = [true, mono.secondsRead];
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
