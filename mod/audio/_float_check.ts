/**
 * Non-finite samples in float WAV/AU data (IEEE float 32/64: the only encodings that can hold NaN
 * or ±Infinity): counted on the stored samples, every channel, before mixing to mono, so the
 * count in the error is what the file holds. librosa refuses such audio ("Audio buffer is not
 * finite everywhere"); so does the project, since one NaN sample makes every log-mel value of its
 * segment NaN.
 *
 * @module
 */
import { describeNonFinite, type NonFiniteCounts } from "./finite.ts";
import { AudioDecodeError } from "./_audio_common.ts";
import type { PcmEncoding } from "./_pcm.ts";

/**
 * Throws an {@linkcode AudioDecodeError} naming `file` and the counts when any sample of the
 * `frames` interleaved float frames at `bytes[offset]` is NaN or ±Infinity. Integer encodings are
 * always finite: no-op.
 *
 * @example
 * ```ts
 * import { checkFloatSamples } from "./_float_check.ts";
 * const b = new Uint8Array(new Float32Array([0, 0.5]).buffer);
 * const layout = { channels: 1, sampleRate: 8000, encoding: "f32", littleEndian: true } as const;
 * checkFloatSamples(b, 0, 2, layout, "a.wav", "WAV"); // fine: both finite
 * ```
 */
export function checkFloatSamples(
  bytes: Uint8Array,
  offset: number,
  frames: number,
  layout: { channels: number; sampleRate: number; encoding: PcmEncoding; littleEndian: boolean },
  file: string,
  container: string,
): void {
  const { channels, sampleRate, encoding, littleEndian } = layout;
  if (encoding !== "f32" && encoding !== "f64") return;
  const n = frames * channels;
  const size = encoding === "f32" ? 4 : 8;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, n * size);
  const c: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0, total: 0, first: -1 };
  for (let i = 0; i < n; i++) {
    const x = size === 4 ? dv.getFloat32(4 * i, littleEndian) : dv.getFloat64(8 * i, littleEndian);
    if (x - x === 0) continue;
    if (c.first < 0) c.first = i;
    if (x !== x) c.nan++;
    else if (x > 0) c.posInf++;
    else c.negInf++;
  }
  c.total = c.nan + c.posInf + c.negInf;
  if (c.total === 0) return;
  const bits = encoding === "f32" ? 32 : 64;
  throw new AudioDecodeError(
    file,
    `${
      describeNonFinite(c, n, "samples", (i) =>
        `${(Math.floor(i / channels) / sampleRate).toFixed(3)} s`)
    } in ${bits}-bit float ${container} data; audio samples must be finite`,
  );
}
