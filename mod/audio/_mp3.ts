/**
 * MPEG audio (Layer I/II/III, i.e. MP3) decoding with the npm `mpg123-decoder` package (libmpg123
 * compiled to wasm, MIT, gapless: the LAME encoder delay and padding are removed when the file
 * carries a LAME/Xing tag). The decoder always returns two channels; the file's own channel
 * count is read from the first frame header. The decoder module (its wasm included) is loaded on
 * the first MP3 decoded, so programs and workers that never meet one do not pay for it.
 *
 * @module
 */
import { AudioDecodeError, type MonoAudio } from "./_audio_common.ts";

/** The `mpg123-decoder` module, imported on first use. */
let decoderModule: Promise<typeof import("mpg123-decoder")> | undefined;

/** Bytes fed to the decoder at a time when only the first frames are wanted. */
const CHUNK = 1 << 16;

/** Byte length of an ID3v2 tag at `at` (0 when there is none). */
function id3Length(b: Uint8Array, at: number): number {
  if (b.length < at + 10 || b[at] !== 0x49 || b[at + 1] !== 0x44 || b[at + 2] !== 0x33) return 0;
  const size = (b[at + 6]! & 0x7f) << 21 | (b[at + 7]! & 0x7f) << 14 | (b[at + 8]! & 0x7f) << 7 |
    (b[at + 9]! & 0x7f);
  return 10 + size + (b[at + 5]! & 0x10 ? 10 : 0);
}

/** Sample rates by [version bits][rate bits] (MPEG 2.5, reserved, MPEG 2, MPEG 1). */
const RATES = [[11025, 12000, 8000], [0, 0, 0], [22050, 24000, 16000], [44100, 48000, 32000]];

/** What a frame header says, or undefined when no valid header starts at `at`. */
function frameHeader(b: Uint8Array, at: number): { channels: number; rate: number } | undefined {
  if (at + 4 > b.length || b[at] !== 0xff || (b[at + 1]! & 0xe0) !== 0xe0) return undefined;
  const version = (b[at + 1]! >> 3) & 3;
  const layer = (b[at + 1]! >> 1) & 3;
  const bitrate = b[at + 2]! >> 4;
  const rate = (b[at + 2]! >> 2) & 3;
  if (version === 1 || layer === 0 || bitrate === 15 || rate === 3) return undefined;
  return { channels: b[at + 3]! >> 6 === 3 ? 1 : 2, rate: RATES[version]![rate]! };
}

/** True when `bytes` starts with an ID3v2 tag or an MPEG audio frame header. */
export function isMp3(bytes: Uint8Array): boolean {
  return id3Length(bytes, 0) > 0 || frameHeader(bytes, 0) !== undefined;
}

/** The first frame header after any ID3v2 tags (searching a little past padding). */
function firstFrame(b: Uint8Array): { channels: number; rate: number } | undefined {
  let at = 0;
  for (let len = id3Length(b, at); len > 0; len = id3Length(b, at)) at += len;
  const end = Math.min(b.length - 4, at + CHUNK);
  for (let i = at; i <= end; i++) {
    const h = frameHeader(b, i);
    if (h) return h;
  }
  return undefined;
}

/**
 * Runs `fn` with `console.error` muted: the decoder prints a line per corrupt frame, and those
 * errors are reported once, as an {@linkcode AudioDecodeError}, instead. `fn` is synchronous, so
 * no other code runs while the console is muted.
 */
function quietly<T>(fn: () => T): T {
  const original = console.error;
  console.error = () => {};
  try {
    return fn();
  } finally {
    console.error = original;
  }
}

/**
 * Decodes an MP3 to mono float32 (mean of the channels); decoding stops once the first
 * `floor(maxSeconds · rate)` samples per channel are out.
 *
 * @example
 * ```ts ignore
 * import { decodeMp3 } from "./_mp3.ts";
 * const { samples, sampleRate } = await decodeMp3(await Deno.readFile("000002.mp3"), "000002.mp3");
 * ```
 */
export async function decodeMp3(
  bytes: Uint8Array,
  file: string,
  maxSeconds = Infinity,
): Promise<MonoAudio> {
  const first = firstFrame(bytes);
  if (!first) throw new AudioDecodeError(file, "no MPEG audio frame header found");
  const channels = first.channels;
  const maxFrames = Math.floor(maxSeconds * first.rate);
  const { MPEGDecoder } = await (decoderModule ??= import("mpg123-decoder"));
  const decoder = new MPEGDecoder();
  const left: Float32Array[] = [];
  const right: Float32Array[] = [];
  let total = 0;
  let sampleRate = 0;
  try {
    await decoder.ready;
    const step = Number.isFinite(maxFrames) ? CHUNK : bytes.length;
    for (let off = 0; off < bytes.length && total < maxFrames; off += step) {
      const r = quietly(() => decoder.decode(bytes.subarray(off, off + step)));
      if (r.errors.length > 0) {
        const where = Number.isFinite(maxFrames) ? ` in bytes ${off}..${off + step}` : "";
        throw new AudioDecodeError(
          file,
          `MP3 decoding failed${where} (${r.errors.length} corrupt frame(s)): ${
            r.errors[0]!.message
          }`,
        );
      }
      if (r.samplesDecoded > 0) {
        sampleRate = r.sampleRate;
        left.push(r.channelData[0]!);
        right.push(r.channelData[1] ?? r.channelData[0]!);
        total += r.samplesDecoded;
      }
    }
  } catch (e) {
    if (e instanceof AudioDecodeError) throw e;
    throw new AudioDecodeError(file, `MP3 decoder failed: ${(e as Error)?.message ?? e}`, {
      cause: e,
    });
  } finally {
    try {
      decoder.free();
    } catch { /* never initialised */ }
  }
  if (total === 0 || sampleRate === 0) {
    throw new AudioDecodeError(file, "no audio samples (no MP3 frame could be decoded)");
  }
  const n = Math.min(total, maxFrames);
  const out = new Float32Array(n);
  let at = 0;
  for (let k = 0; k < left.length && at < n; k++) {
    const l = left[k]!, r = right[k]!;
    const m = Math.min(l.length, n - at);
    if (channels === 1) out.set(l.subarray(0, m), at);
    else for (let i = 0; i < m; i++) out[at + i] = Math.fround(l[i]! + r[i]!) / 2;
    at += m;
  }
  return { samples: out, sampleRate, channels };
}
