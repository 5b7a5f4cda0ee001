import { MPEGDecoder } from "mpg123-decoder";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../_assert.ts";
import { AudioDecodeError, decodeAudio } from "./audio.ts";
import { corruptFrames, frameStarts, truncateMp3 } from "./_mp3_damage.ts";
import { frameHeader, scanFrames } from "./_mp3_frames.ts";

const STEREO = new URL("./testdata/audio/tone_1khz_44100_stereo.mp3", import.meta.url);
const MONO = new URL("./testdata/audio/tone_440hz_22050_mono.mp3", import.meta.url);

/** Amplitude of the `f` Hz component over the middle half of `y`. */
function amplitudeAt(y: Float32Array, sr: number, f: number): number {
  const a = Math.floor(y.length / 4), b = y.length - a;
  let re = 0, im = 0;
  for (let i = a; i < b; i++) {
    re += y[i]! * Math.cos((2 * Math.PI * f * i) / sr);
    im += y[i]! * Math.sin((2 * Math.PI * f * i) / sr);
  }
  return (2 * Math.hypot(re, im)) / (b - a);
}

/** libmpg123's own gapless decode, mixed to mono as decodeAudio does. */
async function mpg123Gapless(bytes: Uint8Array, channels: number): Promise<Float32Array> {
  const d = new MPEGDecoder();
  await d.ready;
  try {
    const r = d.decode(bytes);
    const [l, rt] = [r.channelData[0]!, r.channelData[1]!];
    return channels === 1
      ? l.slice(0, r.samplesDecoded)
      : Float32Array.from({ length: r.samplesDecoded }, (_, i) => Math.fround(l[i]! + rt[i]!) / 2);
  } finally {
    d.free();
  }
}

Deno.test("scanFrames: frames, the LAME tag and its frame count, on the fixtures", async () => {
  const stereo = await Deno.readFile(STEREO);
  const s = scanFrames(stereo)!;
  assertEquals([s.start, s.first.rate, s.first.layer, s.first.samples], [0, 44100, 3, 1152]);
  const audioFrames = s.runs.filter((r) => r.frames === 1).length;
  assertEquals(s.runs.length, frameStarts(stereo).length); // the tag frame + the audio frames
  assertEquals(s.tag?.frames, audioFrames); // LAME's frame count matches the walk
  // LAME 3.100 writes 576 samples of encoder delay (README of testdata/audio)
  assertEquals(s.tag?.delay, 576);
  assertEquals([s.junkFrames, s.truncated, s.measured], [0, false, true]);
  const mono = scanFrames(await Deno.readFile(MONO))!;
  assertEquals([mono.first.rate, mono.first.samples, mono.first.channels], [22050, 576, 1]);
  assertEquals(mono.tag, undefined); // a 104-byte frame has no room for a Xing tag
  assertEquals(scanFrames(new TextEncoder().encode("not audio at all")), undefined);
  assertEquals(frameHeader(stereo, 1), undefined);
});

Deno.test("intact MP3s decode sample for sample as libmpg123's gapless mode; no defect fields", async () => {
  const stereo = await Deno.readFile(STEREO);
  // two files joined (more frames than the first one's tag announces: libmpg123 keeps going)
  const joined = new Uint8Array(stereo.length * 2);
  joined.set(stereo);
  joined.set(stereo, stereo.length);
  for (
    const [bytes, channels] of [[stereo, 2], [await Deno.readFile(MONO), 1], [joined, 2]] as const
  ) {
    const a = await decodeAudio(bytes, "x.mp3");
    assertEquals(Array.from(a.samples), Array.from(await mpg123Gapless(bytes, channels)));
    assertEquals([a.badFrames, a.truncated, a.secondsRead], [undefined, undefined, undefined]);
  }
  // tags before and after the audio are not damage
  const bytes = await Deno.readFile(STEREO);
  const id3 = new Uint8Array(10 + 300);
  id3.set([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 2, 44]); // ID3v2.3, size 300 (syncsafe 2·128 + 44)
  const v1 = new Uint8Array(128);
  v1.set([0x54, 0x41, 0x47]); // "TAG"
  const tagged = new Uint8Array(id3.length + bytes.length + v1.length);
  tagged.set(id3);
  tagged.set(bytes, id3.length);
  tagged.set(v1, id3.length + bytes.length);
  const t = await decodeAudio(tagged, "tagged.mp3");
  assertEquals(t.samples.length, (await decodeAudio(bytes, "x.mp3")).samples.length);
  assertEquals([t.badFrames, t.truncated], [undefined, undefined]);
});

Deno.test("a corrupt stretch of frames is skipped and counted; decoding goes on after it", async () => {
  const good = await Deno.readFile(STEREO);
  const clean = await decodeAudio(good, "good.mp3");
  for (const [first, count] of [[10, 1], [20, 3], [5, 40]] as const) {
    const bad = corruptFrames(good, first, count);
    const a = await decodeAudio(bad, "bad.mp3");
    // every destroyed frame is counted; Layer III's bit reservoir may cost the next one or two
    assert(a.badFrames! >= count && a.badFrames! <= count + 2, `${count}: ${a.badFrames}`);
    // the count is what the output lacks, in frames (a frame partly lost counts as one)
    const lost = clean.samples.length - a.samples.length;
    assert(lost > (a.badFrames! - 1) * 1152 && lost <= a.badFrames! * 1152, `lost ${lost}`);
    assertEquals(a.truncated, undefined);
    // audio after the damage is the tone again
    const tail = a.samples.subarray(a.samples.length - 22050);
    assertAlmostEquals(amplitudeAt(tail, 44100, 1000), 0.475, 0.01);
  }
  // only the bytes read count: 8 × the fixture's audio frames (18 s, 262 kB; read 64 kB at a
  // time), a corrupt stretch past the first 0.5 s read is not reported, one inside it is
  const starts = frameStarts(good);
  const frames = good.subarray(starts[1]!);
  const long = new Uint8Array(frames.length * 8);
  for (let k = 0; k < 8; k++) long.set(frames, k * frames.length);
  const late = await decodeAudio(corruptFrames(long, 500, 2), "late.mp3", { maxSeconds: 0.5 });
  assertEquals([late.samples.length, late.badFrames], [22050, undefined]);
  const early = await decodeAudio(corruptFrames(long, 3, 2), "early.mp3", { maxSeconds: 0.5 });
  assertEquals([early.samples.length, early.badFrames], [22050, 2]);
});

Deno.test("a truncated MP3 gives what it holds, with truncated and secondsRead", async () => {
  const good = await Deno.readFile(STEREO);
  const cut = truncateMp3(good, 40, 150); // the tag frame + 39 audio frames, then 150 bytes
  const a = await decodeAudio(cut, "cut.mp3", { targetRate: 22050 });
  assertEquals([a.truncated, a.badFrames], [true, undefined]);
  // 39 whole audio frames minus the encoder + decoder delay trimmed at the start
  assertEquals(a.sourceRate, 44100);
  assertEquals(a.secondsRead, (39 * 1152 - (576 + 529)) / 44100);
  assertAlmostEquals(a.samples.length / a.sampleRate, a.secondsRead!, 1 / 22050);
  // asked for less than it holds: not truncated as far as the caller is concerned
  const short = await decodeAudio(cut, "cut.mp3", { maxSeconds: 0.5 });
  assertEquals([short.samples.length, short.truncated], [22050, undefined]);
  // a download that stopped: the rest of the file is zeros
  const zeros = good.slice();
  zeros.fill(0, frameStarts(good)[60]!);
  const z = await decodeAudio(zeros, "zeros.mp3");
  assertEquals([z.truncated, z.badFrames], [true, undefined]);
  assertEquals(z.samples.length, 59 * 1152 - (576 + 529));
  // a few zero bytes of padding after the last frame are not truncation
  const padded = new Uint8Array(good.length + 64);
  padded.set(good);
  assertEquals((await decodeAudio(padded, "padded.mp3")).truncated, undefined);
});

Deno.test("not MP3 at all, or nothing decodable: AudioDecodeError naming the file", async () => {
  const good = await Deno.readFile(STEREO);
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...good.slice(8)]);
  await assertRejects(
    () => decodeAudio(png, "cover.mp3"),
    AudioDecodeError,
    "cover.mp3: not a WAV, AU or MP3 file (unrecognised header)",
  );
  const id3Garbage = new Uint8Array(5000).map((_, i) => (i * 31 + 7) & 0x7f);
  id3Garbage.set([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 10]);
  await assertRejects(
    () => decodeAudio(id3Garbage, "x.mp3"),
    AudioDecodeError,
    "x.mp3: no MPEG audio frame header found",
  );
  await assertRejects(
    () => decodeAudio(good.slice(0, 300), "tag-only.mp3"),
    AudioDecodeError,
    "tag-only.mp3: no audio samples",
  );
});
