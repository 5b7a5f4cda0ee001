/**
 * RIFF/WAVE (and RF64/BW64) decoder: PCM 8/16/24/32-bit, IEEE float 32/64, G.711 µ-law/A-law,
 * WAVE_FORMAT_EXTENSIBLE (the sub-format GUID decides), any channel count (mixed to mono).
 * Chunks are word-aligned (an odd-sized chunk is followed by a pad byte); unknown chunks are
 * skipped; `fmt ` may come before or after `data`. A data chunk shorter than its header claims
 * (a file cut short) gives the whole frames present, flagged `truncated`. Float samples that are
 * NaN or ±Infinity are refused (an {@linkcode AudioDecodeError} with their count).
 *
 * @module
 */
import { AudioDecodeError, type MonoAudio } from "./_audio_common.ts";
import { checkFloatSamples } from "./_float_check.ts";
import { PCM_BYTES, type PcmEncoding, pcmToMono } from "./_pcm.ts";

/** Names of format tags people meet, for error messages. */
const FORMAT_NAMES: Record<number, string> = {
  0x0001: "PCM",
  0x0002: "Microsoft ADPCM",
  0x0003: "IEEE float",
  0x0006: "A-law",
  0x0007: "µ-law",
  0x0011: "IMA ADPCM",
  0x0031: "GSM 6.10",
  0x0050: "MPEG",
  0x0055: "MPEG Layer 3",
  0x0161: "WMA",
  0xfffe: "extensible",
};

/** The 14 bytes after the format tag in every KSDATAFORMAT_SUBTYPE_* GUID of the WAVE family. */
const GUID_TAIL = [
  0x00,
  0x00,
  0x00,
  0x00,
  0x10,
  0x00,
  0x80,
  0x00,
  0x00,
  0xaa,
  0x00,
  0x38,
  0x9b,
  0x71,
];

function ascii(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

function formatName(tag: number): string {
  const hex = "0x" + tag.toString(16).padStart(4, "0");
  return FORMAT_NAMES[tag] ? `${tag} (${hex}, ${FORMAT_NAMES[tag]})` : `${tag} (${hex})`;
}

/** True when `bytes` starts like a RIFF/RF64/BW64 WAVE file. */
export function isWav(bytes: Uint8Array): boolean {
  if (bytes.length < 12) return false;
  const id = ascii(bytes, 0);
  return (id === "RIFF" || id === "RF64" || id === "BW64") && ascii(bytes, 8) === "WAVE";
}

/**
 * Decodes a WAVE file to mono float32, keeping only the first `floor(maxSeconds · rate)`
 * frames (the rest is not converted).
 *
 * @example
 * ```ts ignore
 * import { decodeWav } from "./_wav.ts";
 * const { samples, sampleRate } = decodeWav(await Deno.readFile("a.wav"), "a.wav");
 * ```
 */
export function decodeWav(bytes: Uint8Array, file: string, maxSeconds = Infinity): MonoAudio {
  const fail = (reason: string): never => {
    throw new AudioDecodeError(file, reason);
  };
  if (bytes.length < 12) fail(`truncated WAV header (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rf64 = ascii(bytes, 0) !== "RIFF";
  let ds64Data = -1;
  let fmt: { at: number; size: number } | undefined;
  let data: { at: number; size: number; claimed: number } | undefined;
  let off = 12;
  while (off + 8 <= bytes.length && !(fmt && data)) {
    const id = ascii(bytes, off);
    let size = dv.getUint32(off + 4, true);
    const body = off + 8;
    if (id === "ds64" && rf64) {
      if (size < 24 || body + 24 > bytes.length) fail("truncated ds64 chunk");
      ds64Data = Number(dv.getBigUint64(body + 8, true));
    }
    if (id === "data") {
      const present = bytes.length - body;
      if (size === 0xffffffff) size = rf64 && ds64Data >= 0 ? ds64Data : present;
      // A file cut short (an interrupted copy or download): decode the frames that are there.
      data = { at: body, size: Math.min(size, present), claimed: size };
    } else if (id === "fmt ") {
      if (size < 16 || body + size > bytes.length) {
        fail(`truncated fmt chunk (${Math.min(size, bytes.length - body)} bytes)`);
      }
      fmt = { at: body, size };
    }
    off = body + size + (size & 1);
  }
  if (!fmt) fail("truncated WAV header: no fmt chunk");
  if (!data) fail("no data chunk");
  const f = fmt!, d = data!;

  let tag = dv.getUint16(f.at, true);
  const channels = dv.getUint16(f.at + 2, true);
  const sampleRate = dv.getUint32(f.at + 4, true);
  const blockAlign = dv.getUint16(f.at + 12, true);
  const bits = dv.getUint16(f.at + 14, true);
  if (tag === 0xfffe) {
    if (f.size < 40) fail(`WAVE_FORMAT_EXTENSIBLE fmt chunk too short (${f.size} bytes)`);
    tag = dv.getUint16(f.at + 24, true);
    for (let i = 0; i < 14; i++) {
      if (bytes[f.at + 26 + i] !== GUID_TAIL[i]) fail("unsupported WAV sub-format GUID");
    }
  }
  if (channels === 0) fail("fmt chunk says 0 channels");
  if (sampleRate === 0) fail("fmt chunk says sample rate 0");
  const containerBytes = blockAlign % channels === 0 ? blockAlign / channels : 0;
  let encoding: PcmEncoding | undefined;
  if (tag === 1) {
    encoding = ({ 1: "u8", 2: "s16", 3: "s24", 4: "s32" } as const)[containerBytes];
  } else if (tag === 3) {
    encoding = ({ 4: "f32", 8: "f64" } as const)[containerBytes];
  } else if (tag === 6 || tag === 7) {
    encoding = containerBytes === 1 ? (tag === 6 ? "alaw" : "ulaw") : undefined;
  } else {
    fail(`unsupported WAV encoding: format tag ${formatName(tag)}`);
  }
  if (!encoding || bits > 8 * containerBytes || bits === 0) {
    fail(
      `unsupported WAV sample layout: format ${formatName(tag)}, ${bits} bits, ` +
        `block align ${blockAlign} for ${channels} channel(s)`,
    );
  }
  const wanted = Math.min(Math.floor(d.claimed / blockAlign), Math.floor(maxSeconds * sampleRate));
  const frames = Math.min(Math.floor(d.size / blockAlign), wanted);
  if (frames <= 0) {
    fail(
      d.claimed > d.size
        ? `truncated: data chunk claims ${d.claimed} bytes but only ${d.size} present ` +
          `(less than one ${blockAlign}-byte frame)`
        : "no audio samples (empty data chunk)",
    );
  }
  if (PCM_BYTES[encoding!] !== containerBytes) fail("inconsistent sample size");
  const layout = { channels, sampleRate, encoding: encoding!, littleEndian: true };
  checkFloatSamples(bytes, d.at, frames, layout, file, "WAV");
  return {
    samples: pcmToMono(bytes, d.at, frames, channels, encoding!, true),
    sampleRate,
    channels,
    ...(frames < wanted ? { truncated: true } : {}),
  };
}
