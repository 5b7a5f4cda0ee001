/**
 * MPEG audio (Layer I/II/III, i.e. MP3) decoding with the npm `mpg123-decoder` package (libmpg123
 * compiled to wasm, MIT). The decoder always returns two channels; the file's own channel count is
 * read from the first frame header. The decoder module (its wasm included) is loaded on the first
 * MP3 decoded, so programs and workers that never meet one do not pay for it.
 *
 * Damaged files are read the way ffmpeg and the mpg123 player read them: a corrupt or missing
 * frame is skipped and decoding goes on after it (libmpg123 resyncs on the next frame header),
 * and a truncated file gives the audio it holds. What was lost is measured, not guessed: the frame
 * walk of `_mp3_frames.ts` says how many audio frames the bytes held, the decoder how many it
 * produced, and the difference is `badFrames` (a frame partly lost counts as one);
 * `truncated` says the file ends inside a frame. A file that is not MPEG audio at all, or from
 * which not one frame decodes, is an {@linkcode AudioDecodeError}.
 *
 * Gapless: the decoder runs without its own gapless trimming and the trimming is applied here,
 * with libmpg123's rule (a LAME tag with a frame count F: drop the first encoder delay + 529
 * samples, and the samples from F · samples-per-frame − padding + 529 to F · samples-per-frame,
 * which ends the stream unless more frames follow than the tag announced), so files decode sample
 * for sample as with libmpg123's gapless mode, while the untrimmed sample count stays available
 * for the accounting.
 *
 * @module
 */
import { AudioDecodeError, type MonoAudio } from "./_audio_common.ts";
import { frameHeader, id3Length, scanFrames } from "./_mp3_frames.ts";

/** The `mpg123-decoder` module, imported on first use. */
let decoderModule: Promise<typeof import("mpg123-decoder")> | undefined;

/** Bytes fed to the decoder at a time when only the first frames are wanted. */
const CHUNK = 1 << 16;

/** libmpg123's decoder delay for Layer III (`GAPLESS_DELAY`). */
const DECODER_DELAY = 529;

/** True when `bytes` starts with an ID3v2 tag or an MPEG audio frame header. */
export function isMp3(bytes: Uint8Array): boolean {
  return id3Length(bytes, 0) > 0 || frameHeader(bytes, 0) !== undefined;
}

/**
 * Runs `fn` with `console.error` muted: the decoder prints a line per corrupt frame, and what was
 * lost is reported once, as `badFrames`, instead. `fn` is synchronous, so no other code runs while
 * the console is muted.
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
 * `floor(maxSeconds · rate)` samples per channel are out. Sets `badFrames` when frames could not
 * be decoded and `truncated` / `secondsRead` when the file ends inside a frame before
 * `maxSeconds`.
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
  const scan = scanFrames(bytes);
  if (!scan) throw new AudioDecodeError(file, "no MPEG audio frame header found");
  const { first, tag } = scan;
  const maxFrames = Math.floor(maxSeconds * first.rate);
  const gapless = first.layer === 3 && tag?.frames !== undefined && tag.frames > 0 &&
    tag.delay !== undefined;
  // Samples kept, in the decoder's untrimmed numbering: [skip, stop) and [resume, ∞).
  const skip = gapless ? tag!.delay! + DECODER_DELAY : 0;
  const stop = gapless ? tag!.frames! * first.samples - tag!.padding! + DECODER_DELAY : Infinity;
  const resume = gapless ? Math.max(stop, tag!.frames! * first.samples) : Infinity;
  const kept = (t: number): number =>
    Math.max(0, Math.min(t, stop) - skip) + Math.max(0, t - resume);
  const { MPEGDecoder } = await (decoderModule ??= import("mpg123-decoder"));
  const decoder = new MPEGDecoder({ enableGapless: false });
  const left: Float32Array[] = [];
  const right: Float32Array[] = [];
  let total = 0;
  let fed = 0;
  let errors = 0;
  let sampleRate = 0;
  try {
    await decoder.ready;
    const step = Number.isFinite(maxFrames) ? CHUNK : bytes.length;
    while (fed < bytes.length && kept(total) < maxFrames) {
      const r = quietly(() => decoder.decode(bytes.subarray(fed, fed + step)));
      fed = Math.min(bytes.length, fed + step);
      errors += r.errors.length;
      if (r.samplesDecoded > 0) {
        sampleRate = r.sampleRate;
        left.push(r.channelData[0]!);
        right.push(r.channelData[1] ?? r.channelData[0]!);
        total += r.samplesDecoded;
      }
    }
  } catch (e) {
    throw new AudioDecodeError(file, `MP3 decoder failed: ${(e as Error)?.message ?? e}`, {
      cause: e,
    });
  } finally {
    try {
      decoder.free();
    } catch { /* never initialised */ }
  }
  if (total === 0 || sampleRate === 0 || kept(total) === 0) {
    throw new AudioDecodeError(file, "no audio samples (no MP3 frame could be decoded)");
  }
  // Frames the bytes fed held, against frames the decoder gave (no lag: a whole frame decodes).
  let expected = 0;
  for (const run of scan.runs) {
    if (run.end > fed) break;
    expected += run.frames;
  }
  const lost = scan.measured
    ? Math.max(0, Math.ceil((expected * first.samples - total) / first.samples - 1e-9))
    : errors;
  const n = Math.min(kept(total), maxFrames);
  const out = new Float32Array(n);
  const mono = first.channels === 1;
  let t = 0; // untrimmed position of the current block's first sample
  let at = 0; // samples written
  for (let k = 0; k < left.length && at < n; k++) {
    const l = left[k]!, r = right[k]!;
    for (const [from, to] of [[skip, stop], [resume, Infinity]] as const) {
      const a = Math.max(0, from - t);
      const b = Math.min(l.length, to - t, a + n - at);
      if (a >= b) continue;
      if (mono) out.set(l.subarray(a, b), at);
      else for (let i = a; i < b; i++) out[at + i - a] = Math.fround(l[i]! + r[i]!) / 2;
      at += b - a;
    }
    t += l.length;
  }
  const result: MonoAudio = { samples: out, sampleRate, channels: first.channels };
  if (lost > 0) result.badFrames = lost;
  if (scan.truncated && fed === bytes.length && n < maxFrames) {
    result.truncated = true;
    result.secondsRead = n / sampleRate;
  }
  return result;
}
