/**
 * The MPEG audio frame structure of an MP3 file, read without decoding: ID3v2 tags, frame headers
 * (version, layer, rate, length, samples per frame), the Xing/Info + LAME tag that carries the
 * encoder delay and padding, and a walk over the frames that finds what a decoder will meet: runs
 * of bytes that are not frames (corrupt or lost frames, which libmpg123 skips by resyncing) and a
 * last frame cut short (a truncated file). `_mp3.ts` uses the walk to say how many frames of a
 * file could not be decoded and whether it was truncated.
 *
 * Frame lengths and samples per frame are ISO/IEC 11172-3 and 13818-3 (MPEG-2.5 as MPEG-2); the
 * tag rules follow libmpg123's `check_lame_tag` (Layer III only, the tag at the side-information
 * offset, all-zero side information before it).
 *
 * @module
 */

/** Sample rates by [version bits][rate bits] (MPEG 2.5, reserved, MPEG 2, MPEG 1). */
const RATES = [[11025, 12000, 8000], [0, 0, 0], [22050, 24000, 16000], [44100, 48000, 32000]];

/** Bit rates (kbit/s) by table, then the bitrate bits: MPEG-1 L1/L2/L3, MPEG-2 L1 and L2/L3. */
const KBPS = {
  v1l1: [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  v1l2: [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  v1l3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2l1: [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  v2l23: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};

/** What one MPEG audio frame header says. */
export interface FrameHeader {
  /** Version bits: 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5. */
  version: number;
  /** Layer 1, 2 or 3. */
  layer: number;
  /** Sample rate, Hz. */
  rate: number;
  /** 1 (mono) or 2. */
  channels: number;
  /** Frame length in bytes, header included; 0 for a free-format frame (length not stated). */
  length: number;
  /** Samples per channel the frame decodes to. */
  samples: number;
}

/** Byte length of an ID3v2 tag at `at` (0 when there is none). */
export function id3Length(b: Uint8Array, at: number): number {
  if (b.length < at + 10 || b[at] !== 0x49 || b[at + 1] !== 0x44 || b[at + 2] !== 0x33) return 0;
  const size = (b[at + 6]! & 0x7f) << 21 | (b[at + 7]! & 0x7f) << 14 | (b[at + 8]! & 0x7f) << 7 |
    (b[at + 9]! & 0x7f);
  return 10 + size + (b[at + 5]! & 0x10 ? 10 : 0);
}

/** The frame header at `at`, or undefined when no valid header starts there. */
export function frameHeader(b: Uint8Array, at: number): FrameHeader | undefined {
  if (at + 4 > b.length || b[at] !== 0xff || (b[at + 1]! & 0xe0) !== 0xe0) return undefined;
  const version = (b[at + 1]! >> 3) & 3;
  const layerBits = (b[at + 1]! >> 1) & 3;
  const bitrate = b[at + 2]! >> 4;
  const rateBits = (b[at + 2]! >> 2) & 3;
  if (version === 1 || layerBits === 0 || bitrate === 15 || rateBits === 3) return undefined;
  const layer = 4 - layerBits;
  const rate = RATES[version]![rateBits]!;
  const mpeg1 = version === 3;
  const table = mpeg1
    ? (layer === 1 ? KBPS.v1l1 : layer === 2 ? KBPS.v1l2 : KBPS.v1l3)
    : (layer === 1 ? KBPS.v2l1 : KBPS.v2l23);
  const bps = table[bitrate]! * 1000;
  const pad = (b[at + 2]! >> 1) & 1;
  const length = bps === 0
    ? 0
    : layer === 1
    ? (Math.floor((12 * bps) / rate) + pad) * 4
    : Math.floor(((layer === 3 && !mpeg1 ? 72 : 144) * bps) / rate) + pad;
  const samples = layer === 1 ? 384 : layer === 3 && !mpeg1 ? 576 : 1152;
  return { version, layer, rate, channels: b[at + 3]! >> 6 === 3 ? 1 : 2, length, samples };
}

/** Whether two headers belong to one stream (libmpg123's `head_compatible`). */
function compatible(a: FrameHeader, b: FrameHeader): boolean {
  return a.version === b.version && a.layer === b.layer && a.rate === b.rate &&
    (a.channels === 1) === (b.channels === 1);
}

/** The Xing/Info tag of a first frame: frame count and LAME encoder delay and padding. */
export interface InfoTag {
  /** Frames of audio after the tag frame, when the tag says. */
  frames?: number;
  /** Encoder delay and padding (samples), when a LAME-style extension is present. */
  delay?: number;
  padding?: number;
}

/**
 * The Xing/Info tag in the frame at `at` (Layer III only), or undefined when the frame is audio.
 * A tag frame decodes to no samples.
 */
export function infoTag(b: Uint8Array, at: number, h: FrameHeader): InfoTag | undefined {
  if (h.layer !== 3 || h.length === 0) return undefined;
  const side = h.version === 3 ? (h.channels === 2 ? 32 : 17) : (h.channels === 2 ? 17 : 9);
  const body = at + 4;
  const end = at + h.length;
  let p = body + side;
  if (p + 8 > Math.min(end, b.length)) return undefined;
  for (let i = body + 2; i < p; i++) if (b[i] !== 0) return undefined;
  const id = String.fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!);
  if (id !== "Xing" && id !== "Info") return undefined;
  const u32 = (o: number): number =>
    ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
  const flags = u32(p + 4);
  p += 8;
  const tag: InfoTag = {};
  const has = (n: number): boolean => p + n <= Math.min(end, b.length);
  if (flags & 1) {
    if (!has(4)) return tag;
    tag.frames = u32(p);
    p += 4;
  }
  for (const [bit, n] of [[2, 4], [4, 100], [8, 4]] as const) {
    if (flags & bit) {
      if (!has(n)) return tag;
      p += n;
    }
  }
  if (has(24) && b[p] !== 0) {
    tag.delay = (b[p + 21]! << 4) | (b[p + 22]! >> 4);
    tag.padding = ((b[p + 22]! & 0x0f) << 8) | b[p + 23]!;
  }
  return tag;
}

/** What {@linkcode scanFrames} found. */
export interface FrameScan {
  /** The first frame's header (the stream's format). */
  first: FrameHeader;
  /** Byte offset of the first frame. */
  start: number;
  /** The Xing/Info tag when the first frame is one. */
  tag?: InfoTag;
  /**
   * The stream in order, as runs: `end` is the byte offset where a run ends and `frames` the audio
   * frames it held (a whole frame: 1; bytes that are not frames: their length in average frames,
   * at least 1; the tag frame and a cut-off last frame: 0).
   */
  runs: { end: number; frames: number }[];
  /** Audio frames lost to bytes that are not frames (sum over those runs). */
  junkFrames: number;
  /** The file ends inside a frame, or zeros longer than a frame fill its end. */
  truncated: boolean;
  /** False when frame lengths are unknown (free-format bit rate): `runs` is then empty. */
  measured: boolean;
}

/** Whether a valid, compatible header at `q` is confirmed by another one right after it. */
function confirmed(b: Uint8Array, q: number, first: FrameHeader | undefined): FrameHeader | null {
  const h = frameHeader(b, q);
  if (!h || h.length === 0 || (first && !compatible(first, h))) return null;
  const next = q + h.length;
  if (next >= b.length) return h; // the last frame, whole or cut short
  const n = frameHeader(b, next);
  return n && compatible(h, n) ? h : null;
}

/** What the bytes from `at` to the end are: a trailing tag (ID3v1, APEv2, Lyrics3), zeros, or
 * neither (null). */
function trailer(b: Uint8Array, at: number): "tag" | "zeros" | null {
  const s = String.fromCharCode(...b.subarray(at, at + 11));
  if (s.startsWith("TAG") || s.startsWith("APETAGEX") || s.startsWith("LYRICSBEGIN")) return "tag";
  for (let i = at; i < b.length; i++) if (b[i] !== 0) return null;
  return "zeros";
}

/**
 * Walks the frames of an MP3 held in memory. Returns undefined when no frame header is found
 * (after any ID3v2 tags, searching the first 64 KiB).
 *
 * @example
 * ```ts
 * import { scanFrames } from "./_mp3_frames.ts";
 * scanFrames(new Uint8Array(100)); // undefined: no frame header
 * ```
 */
export function scanFrames(b: Uint8Array): FrameScan | undefined {
  let at = 0;
  for (let len = id3Length(b, at); len > 0; len = id3Length(b, at)) at += len;
  // The first frame: a header confirmed by the next one, as decoders sync; else any header.
  const limit = Math.min(b.length - 4, at + (1 << 16));
  let start = -1;
  let first: FrameHeader | undefined;
  for (let i = at; i <= limit && start < 0; i++) {
    const h = confirmed(b, i, undefined);
    if (h) [start, first] = [i, h];
  }
  if (start < 0) {
    for (let i = at; i <= limit && start < 0; i++) {
      const h = frameHeader(b, i);
      if (h) [start, first] = [i, h];
    }
  }
  if (!first) return undefined;
  const scan: FrameScan = {
    first,
    start,
    runs: [],
    junkFrames: 0,
    truncated: false,
    measured: first.length > 0,
  };
  if (!scan.measured) return scan;
  const tag = infoTag(b, start, first);
  if (tag) scan.tag = tag;
  let bytes = 0; // audio frame bytes so far, for the average frame length
  let count = 0;
  at = start;
  while (at < b.length) {
    const h = frameHeader(b, at);
    if (h && h.length > 0 && compatible(first, h)) {
      if (at + h.length > b.length) {
        scan.truncated = true;
        scan.runs.push({ end: b.length, frames: 0 });
        break;
      }
      const audio = !(at === start && tag);
      scan.runs.push({ end: at + h.length, frames: audio ? 1 : 0 });
      if (audio) [bytes, count] = [bytes + h.length, count + 1];
      at += h.length;
      continue;
    }
    const id3 = id3Length(b, at);
    if (id3 > 0) { // a tag between frames (concatenated files) is not lost audio
      at = Math.min(b.length, at + id3);
      scan.runs.push({ end: at, frames: 0 });
      continue;
    }
    const average = count > 0 ? bytes / count : first.length;
    const end = trailer(b, at);
    // Zeros to the end: padding when shorter than a frame, else the file stops before its data
    // did (a download that never finished writes zeros past the point it reached).
    if (end === "zeros" && b.length - at >= average) scan.truncated = true;
    if (end) break;
    let q = at + 1;
    while (q < b.length && !confirmed(b, q, first)) q++;
    const frames = Math.max(1, Math.round((q - at) / average));
    scan.runs.push({ end: q, frames });
    scan.junkFrames += frames;
    at = q;
  }
  return scan;
}
