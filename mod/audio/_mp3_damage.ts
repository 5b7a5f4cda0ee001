/**
 * Test helpers: damage a real MP3 byte-wise the way published archives are damaged (a corrupt
 * stretch of frames, a file cut off inside a frame, a download that stopped and left zeros), so
 * that the tests of the decoder and of every dataset loader run on real MPEG frames. Private to
 * the tests.
 *
 * @module
 */
import { frameHeader } from "./_mp3_frames.ts";

/** Byte offsets of the frames of an undamaged MP3 (no ID3 tag), in order. */
export function frameStarts(mp3: Uint8Array): number[] {
  const starts: number[] = [];
  for (let at = 0; at < mp3.length;) {
    const h = frameHeader(mp3, at);
    if (!h || h.length === 0) throw new Error(`not a clean frame sequence at byte ${at}`);
    starts.push(at);
    at += h.length;
  }
  return starts;
}

/**
 * A copy of `mp3` with frames `first … first + count − 1` overwritten by pseudo-random bytes
 * (headers included), as a bad sector or a broken transfer leaves them.
 */
export function corruptFrames(mp3: Uint8Array, first: number, count: number): Uint8Array {
  const starts = frameStarts(mp3);
  if (first < 1 || first + count >= starts.length) throw new RangeError("frames out of range");
  const out = mp3.slice();
  for (let i = starts[first]!; i < starts[first + count]!; i++) out[i] = (i * 7919 + 13) & 255;
  return out;
}

/** The first `frames` whole frames of `mp3` plus `extra` bytes of the next one (a cut file). */
export function truncateMp3(mp3: Uint8Array, frames: number, extra = 100): Uint8Array {
  const starts = frameStarts(mp3);
  if (frames >= starts.length) throw new RangeError("nothing to cut");
  return mp3.slice(0, starts[frames]! + extra);
}
