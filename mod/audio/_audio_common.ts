/**
 * Pieces shared by the private decoders (`_wav.ts`, `_au.ts`, `_mp3.ts`) and the public entry
 * point `audio.ts`: the typed error and the shape a decoder returns.
 *
 * @module
 */

/**
 * A file that cannot be decoded: truncated, corrupt, empty, not audio, or in an encoding this
 * project does not read. The message is `${file}: ${reason}` (one line, meant for users).
 *
 * @example
 * ```ts
 * import { AudioDecodeError } from "./_audio_common.ts";
 * const e = new AudioDecodeError("a.wav", "no audio samples");
 * e.message; // "a.wav: no audio samples"
 * ```
 */
export class AudioDecodeError extends Error {
  override name = "AudioDecodeError";
  /** The file (path or label) that failed. */
  readonly file: string;
  /** Why it failed, without the file name. */
  readonly reason: string;

  /** Creates the error for `file` with a one-line `reason`. */
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(`${file}: ${reason}`, options);
    this.file = file;
    this.reason = reason;
  }
}

/** What a private decoder returns: the file's audio mixed to mono, at its own rate. */
export interface MonoAudio {
  /** Mean of the channels, float32 as librosa (`np.mean(y, axis=0)` on float32 data). */
  samples: Float32Array;
  /** Sample rate in the file (Hz). */
  sampleRate: number;
  /** Channel count in the file. */
  channels: number;
  /**
   * True when the file ends before the length its header (WAV/AU data size) or stream claims and
   * that cut what was decoded: the frames present were returned (fewer than asked for).
   */
  truncated?: boolean;
  /** Seconds actually decoded when `truncated` (set by the MP3 decoder). */
  secondsRead?: number;
  /** MP3 frames skipped as corrupt or missing (decoding went on after them). */
  badFrames?: number;
}
