/**
 * WAV encoding: 16/24/32-bit integer PCM or 32-bit IEEE float, any number of channels.
 *
 * @module
 */

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Options for {@linkcode encodeWav}. */
export interface EncodeWavOptions {
  /** Bits per sample (default 16). With `float`, only 32. */
  bitDepth?: 16 | 24 | 32;
  /** Write IEEE float samples instead of integers (default false). */
  float?: boolean;
}

/**
 * Encodes samples in [−1, 1) as a RIFF/WAVE file. `samples` is one channel or an array of
 * equally long channels (interleaved on write). Integers are `round(x·2^(bits−1))` clamped to
 * the type's range: the exact inverse of the decoder's `x/2^(bits−1)` (as soundfile reads), so a
 * decoded 16-bit file re-encodes to the same bytes. Mono/stereo 16-bit files use the plain
 * 16-byte `fmt ` chunk; other layouts use WAVE_FORMAT_EXTENSIBLE, and float files carry a `fact`
 * chunk, as the WAVE specification asks.
 *
 * @example
 * ```ts
 * import { encodeWav } from "./wav_write.ts";
 * const bytes = encodeWav(new Float32Array([0, 0.5, -0.5]), 22050); // 50 bytes
 * ```
 */
export function encodeWav(
  samples: Float32Array | Float32Array[],
  sampleRate: number,
  options: EncodeWavOptions = {},
): Uint8Array {
  const chans = Array.isArray(samples) ? samples : [samples];
  const channels = chans.length;
  const float = options.float ?? false;
  const bits = options.bitDepth ?? (float ? 32 : 16);
  if (channels === 0 || channels > 65535) throw new RangeError("encodeWav: need 1..65535 channels");
  if (float && bits !== 32) throw new RangeError("encodeWav: float samples are 32-bit");
  if (![16, 24, 32].includes(bits)) throw new RangeError(`encodeWav: bad bitDepth ${bits}`);
  if (!Number.isSafeInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffffff) {
    throw new RangeError(`encodeWav: bad sample rate ${sampleRate}`);
  }
  const frames = chans[0]!.length;
  if (chans.some((c) => c.length !== frames)) {
    throw new RangeError("encodeWav: channels differ in length");
  }
  const bytesPer = bits / 8;
  const blockAlign = bytesPer * channels;
  const dataSize = frames * blockAlign;
  const extensible = channels > 2 || bits > 16;
  const fmtSize = extensible ? 40 : 16;
  const factSize = float ? 12 : 0;
  const total = 12 + 8 + fmtSize + factSize + 8 + dataSize + (dataSize & 1);
  if (total - 8 > 0xffffffff) throw new RangeError("encodeWav: more than 4 GiB of audio");
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const ascii = (at: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  const tag = float ? 3 : 1;
  ascii(0, "RIFF");
  dv.setUint32(4, total - 8, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  dv.setUint32(16, fmtSize, true);
  dv.setUint16(20, extensible ? 0xfffe : tag, true);
  dv.setUint16(22, channels, true);
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * blockAlign, true);
  dv.setUint16(32, blockAlign, true);
  dv.setUint16(34, bits, true);
  let at = 36;
  if (extensible) {
    dv.setUint16(36, 22, true); // cbSize
    dv.setUint16(38, bits, true); // valid bits
    dv.setUint32(40, 0, true); // channel mask: unspecified
    dv.setUint16(44, tag, true); // sub-format GUID: tag + the WAVE family's tail
    out.set([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71], 46);
    at = 60;
  }
  if (float) {
    ascii(at, "fact");
    dv.setUint32(at + 4, 4, true);
    dv.setUint32(at + 8, frames, true);
    at += 12;
  }
  ascii(at, "data");
  dv.setUint32(at + 4, dataSize, true);
  at += 8;
  const scale = 2 ** (bits - 1);
  const lo = -scale, hi = scale - 1;
  if (bits === 16 && !float && HOST_LITTLE_ENDIAN && at % 2 === 0) {
    // Fast path (every demo clip): write int16 through a typed view.
    const view = new Int16Array(out.buffer, at, frames * channels);
    for (let c = 0; c < channels; c++) {
      const ch = chans[c]!;
      for (let i = 0, j = c; i < frames; i++, j += channels) {
        const v = Math.round(ch[i]! * 32768);
        view[j] = v > hi ? hi : v < lo ? lo : v; // NaN → 0 through the Int16Array store
      }
    }
    return out;
  }
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++, at += bytesPer) {
      const x = chans[c]![i]!;
      if (float) {
        dv.setFloat32(at, x, true);
        continue;
      }
      const v = Number.isNaN(x) ? 0 : Math.max(lo, Math.min(hi, Math.round(x * scale)));
      if (bits === 16) dv.setInt16(at, v, true);
      else if (bits === 32) dv.setInt32(at, v, true);
      else {
        out[at] = v & 0xff;
        out[at + 1] = (v >> 8) & 0xff;
        out[at + 2] = (v >> 16) & 0xff;
      }
    }
  }
  return out;
}
