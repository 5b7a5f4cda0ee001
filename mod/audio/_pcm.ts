/**
 * Interleaved PCM bytes → mono float32, for WAV and AU. Integers scale as libsndfile/soundfile do
 * when reading float32: int16 x/32768, int24 x/8388608, int32 x/2147483648, unsigned 8-bit
 * (x−128)/128, signed 8-bit x/128, G.711 µ-law/A-law decoded to int16 then /32768. Channels are
 * averaged with float32 arithmetic (sum in order, then divide), as numpy's float32 mean does.
 *
 * @module
 */

/** Sample encodings understood by {@linkcode pcmToMono}. */
export type PcmEncoding =
  | "u8"
  | "s8"
  | "s16"
  | "s24"
  | "s32"
  | "f32"
  | "f64"
  | "ulaw"
  | "alaw";

/** Bytes per sample for each encoding. */
export const PCM_BYTES: Readonly<Record<PcmEncoding, number>> = {
  u8: 1,
  s8: 1,
  s16: 2,
  s24: 3,
  s32: 4,
  f32: 4,
  f64: 8,
  ulaw: 1,
  alaw: 1,
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** G.711 µ-law byte → int16 (ITU-T G.711, the table libsndfile uses). */
function ulawToInt16(u: number): number {
  u = ~u & 0xff;
  const exponent = (u >> 4) & 7;
  const magnitude = (((u & 0x0f) << 3) + 0x84 << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

/** G.711 A-law byte → int16. */
function alawToInt16(a: number): number {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else {
    t += 0x108;
    if (seg > 1) t <<= seg - 1;
  }
  return a & 0x80 ? t : -t;
}

function table(decode: (b: number) => number): Float32Array {
  const t = new Float32Array(256);
  for (let b = 0; b < 256; b++) t[b] = decode(b) / 32768;
  return t;
}

let ulawTable: Float32Array | undefined;
let alawTable: Float32Array | undefined;

/**
 * Decodes `frames` interleaved frames of `channels` samples starting at `bytes[offset]` into
 * mono float32.
 *
 * @example
 * ```ts
 * import { pcmToMono } from "./_pcm.ts";
 * const y = pcmToMono(new Uint8Array([0, 64, 0, 192]), 0, 1, 2, "s16", true); // [0]
 * ```
 */
export function pcmToMono(
  bytes: Uint8Array,
  offset: number,
  frames: number,
  channels: number,
  encoding: PcmEncoding,
  littleEndian: boolean,
): Float32Array {
  const n = frames * channels;
  const out = new Float32Array(frames);
  // Fast path: int16 in host order, aligned, mono or stereo (the common WAV cases).
  if (encoding === "s16" && littleEndian === HOST_LITTLE_ENDIAN && channels <= 2) {
    const start = bytes.byteOffset + offset;
    const view = start % 2 === 0
      ? new Int16Array(bytes.buffer, start, n)
      : new Int16Array(bytes.slice(offset, offset + 2 * n).buffer);
    if (channels === 1) {
      for (let i = 0; i < frames; i++) out[i] = view[i]! / 32768;
    } else {
      // (a + b) is exact in float32, so this equals float32 (a/32768 + b/32768) / 2.
      for (let i = 0, j = 0; i < frames; i++, j += 2) out[i] = (view[j]! + view[j + 1]!) / 65536;
    }
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, n * PCM_BYTES[encoding]);
  const read = sampleReader(dv, bytes, offset, encoding, littleEndian);
  if (channels === 1) {
    for (let i = 0; i < frames; i++) out[i] = read(i);
    return out;
  }
  const f = Math.fround;
  for (let i = 0, j = 0; i < frames; i++) {
    let acc = f(read(j++));
    for (let c = 1; c < channels; c++) acc = f(acc + f(read(j++)));
    out[i] = acc / channels;
  }
  return out;
}

function sampleReader(
  dv: DataView,
  bytes: Uint8Array,
  offset: number,
  encoding: PcmEncoding,
  le: boolean,
): (i: number) => number {
  switch (encoding) {
    case "u8":
      return (i) => (bytes[offset + i]! - 128) / 128;
    case "s8":
      return (i) => dv.getInt8(i) / 128;
    case "s16":
      return (i) => dv.getInt16(2 * i, le) / 32768;
    case "s24":
      return le
        ? (i) => {
          const p = offset + 3 * i;
          return ((bytes[p]! << 8 | bytes[p + 1]! << 16 | bytes[p + 2]! << 24) >> 8) / 8388608;
        }
        : (i) => {
          const p = offset + 3 * i;
          return ((bytes[p]! << 24 | bytes[p + 1]! << 16 | bytes[p + 2]! << 8) >> 8) / 8388608;
        };
    case "s32":
      return (i) => dv.getInt32(4 * i, le) / 2147483648;
    case "f32":
      return (i) => dv.getFloat32(4 * i, le);
    case "f64":
      return (i) => dv.getFloat64(8 * i, le);
    case "ulaw": {
      const t = ulawTable ??= table(ulawToInt16);
      return (i) => t[bytes[offset + i]!]!;
    }
    case "alaw": {
      const t = alawTable ??= table(alawToInt16);
      return (i) => t[bytes[offset + i]!]!;
    }
  }
}
