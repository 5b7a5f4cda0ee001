/**
 * Sun/NeXT AU (`.snd`) decoder, the format of the original GTZAN files: big-endian header
 * (magic `.snd`, header size, data size (0xffffffff = to end of file), encoding, sample rate,
 * channels), then interleaved samples. Encodings 1 (µ-law), 2/3/4/5 (linear 8/16/24/32-bit),
 * 6 (float), 7 (double) and 27 (A-law). The little-endian variant (magic `dns.`) is read too.
 * Data shorter than the header's data size (a file cut short) gives the whole frames present,
 * flagged `truncated`; float samples that are NaN or ±Infinity are refused.
 *
 * @module
 */
import { AudioDecodeError, type MonoAudio } from "./_audio_common.ts";
import { checkFloatSamples } from "./_float_check.ts";
import { PCM_BYTES, type PcmEncoding, pcmToMono } from "./_pcm.ts";

const ENCODINGS: Record<number, PcmEncoding> = {
  1: "ulaw",
  2: "s8",
  3: "s16",
  4: "s24",
  5: "s32",
  6: "f32",
  7: "f64",
  27: "alaw",
};

const UNSUPPORTED: Record<number, string> = {
  23: "G.721 ADPCM",
  24: "G.722 ADPCM",
  25: "G.723 3-bit ADPCM",
  26: "G.723 5-bit ADPCM",
};

/** True when `bytes` starts with the AU magic (`.snd`, or `dns.` little-endian). */
export function isAu(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const m = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  return m === ".snd" || m === "dns.";
}

/**
 * Decodes an AU file to mono float32, keeping only the first `floor(maxSeconds · rate)` frames.
 *
 * @example
 * ```ts ignore
 * import { decodeAu } from "./_au.ts";
 * const { samples } = decodeAu(await Deno.readFile("blues.00000.au"), "blues.00000.au");
 * ```
 */
export function decodeAu(bytes: Uint8Array, file: string, maxSeconds = Infinity): MonoAudio {
  const fail = (reason: string): never => {
    throw new AudioDecodeError(file, reason);
  };
  if (bytes.length < 24) fail(`truncated AU header (${bytes.length} of 24 bytes)`);
  const le = bytes[0] === 0x64; // "dns."
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = dv.getUint32(4, le);
  let dataSize = dv.getUint32(8, le);
  const code = dv.getUint32(12, le);
  const sampleRate = dv.getUint32(16, le);
  const channels = dv.getUint32(20, le);
  if (headerSize < 24) fail(`bad AU header size ${headerSize} (< 24)`);
  if (headerSize > bytes.length) {
    fail(`truncated AU header: header size ${headerSize} but file has ${bytes.length} bytes`);
  }
  const encoding = ENCODINGS[code];
  if (!encoding) {
    const name = UNSUPPORTED[code] ? ` (${UNSUPPORTED[code]})` : "";
    fail(`unsupported AU encoding ${code}${name}`);
  }
  if (channels === 0) fail("AU header says 0 channels");
  if (sampleRate === 0) fail("AU header says sample rate 0");
  const present = bytes.length - headerSize;
  if (dataSize === 0xffffffff) dataSize = present;
  const frameBytes = PCM_BYTES[encoding!] * channels;
  // A file cut short (an interrupted copy or download): decode the frames that are there.
  const wanted = Math.min(Math.floor(dataSize / frameBytes), Math.floor(maxSeconds * sampleRate));
  const frames = Math.min(Math.floor(Math.min(dataSize, present) / frameBytes), wanted);
  if (frames <= 0) {
    fail(
      dataSize > present
        ? `truncated: data chunk claims ${dataSize} bytes but only ${present} present ` +
          `(less than one ${frameBytes}-byte frame)`
        : "no audio samples (empty data)",
    );
  }
  const layout = { channels, sampleRate, encoding: encoding!, littleEndian: le };
  checkFloatSamples(bytes, headerSize, frames, layout, file, "AU");
  return {
    samples: pcmToMono(bytes, headerSize, frames, channels, encoding!, le),
    sampleRate,
    channels,
    ...(frames < wanted ? { truncated: true } : {}),
  };
}
