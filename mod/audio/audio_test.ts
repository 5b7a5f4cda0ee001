import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../_assert.ts";
import {
  AudioDecodeError,
  decodeAudio,
  decodeAudioFile,
  encodeWav,
  sniffAudioFormat,
} from "./audio.ts";

// ---- byte builders -------------------------------------------------------------------------

function cat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const u16 = (v: number, le = true): number[] =>
  le ? [v & 255, v >> 8 & 255] : [v >> 8 & 255, v & 255];
const u32 = (v: number, le = true): number[] => {
  const b = [v & 255, v >>> 8 & 255, v >>> 16 & 255, v >>> 24 & 255];
  return le ? b : b.reverse();
};
function chunk(id: string, body: Uint8Array | number[], size = body.length): Uint8Array {
  return cat(ascii(id), u32(size), body, body.length & 1 ? [0] : []);
}
function fmtBody(
  tag: number,
  channels: number,
  rate: number,
  bits: number,
  block: number,
): number[] {
  return [
    ...u16(tag),
    ...u16(channels),
    ...u32(rate),
    ...u32(rate * block),
    ...u16(block),
    ...u16(bits),
  ];
}
function riff(...chunks: Uint8Array[]): Uint8Array {
  const body = cat(ascii("WAVE"), ...chunks);
  return cat(ascii("RIFF"), u32(body.length), body);
}
function wav(tag: number, channels: number, bits: number, data: number[], rate = 8000): Uint8Array {
  const block = channels * Math.ceil(bits / 8);
  return riff(chunk("fmt ", fmtBody(tag, channels, rate, bits, block)), chunk("data", data));
}
function au(
  encoding: number,
  channels: number,
  data: number[],
  opts: { header?: number; size?: number } = {},
): Uint8Array {
  const header = opts.header ?? 24;
  return cat(
    ascii(".snd"),
    u32(header, false),
    u32(opts.size ?? data.length, false),
    u32(encoding, false),
    u32(8000, false),
    u32(channels, false),
    new Uint8Array(header - 24),
    data,
  );
}
async function decodeOk(bytes: Uint8Array): Promise<number[]> {
  return Array.from((await decodeAudio(bytes, "t")).samples);
}
async function rejects(bytes: Uint8Array, includes: string): Promise<void> {
  const e = await assertRejects(() => decodeAudio(bytes, "bad.file"), AudioDecodeError, includes);
  assert(e.message.startsWith("bad.file: "), e.message);
  assertEquals((e as AudioDecodeError).file, "bad.file");
}

/** Amplitude of the `f` Hz component of `y` (projection on sin/cos over the middle half). */
function amplitudeAt(y: Float32Array, sr: number, f: number): number {
  const a = Math.floor(y.length / 4), b = y.length - a;
  let re = 0, im = 0;
  for (let i = a; i < b; i++) {
    re += y[i]! * Math.cos((2 * Math.PI * f * i) / sr);
    im += y[i]! * Math.sin((2 * Math.PI * f * i) / sr);
  }
  return (2 * Math.hypot(re, im)) / (b - a);
}

// ---- WAV -----------------------------------------------------------------------------------

Deno.test("WAV integer PCM scales as soundfile: int16 /32768, uint8 (x-128)/128, int24, int32", async () => {
  assertEquals(
    await decodeOk(wav(1, 1, 16, [...u16(0x8000), ...u16(0x7fff), ...u16(1), ...u16(0)])),
    [
      -1,
      Math.fround(32767 / 32768),
      Math.fround(1 / 32768),
      0,
    ],
  );
  assertEquals(await decodeOk(wav(1, 1, 8, [0, 128, 255, 64])), [
    -1,
    0,
    Math.fround(127 / 128),
    -0.5,
  ]);
  assertEquals(
    await decodeOk(wav(1, 1, 24, [0, 0, 0x80, 0xff, 0xff, 0x7f, 1, 0, 0, 0xff, 0xff, 0xff])),
    [
      -1,
      Math.fround(8388607 / 8388608),
      Math.fround(1 / 8388608),
      Math.fround(-1 / 8388608),
    ],
  );
  assertEquals(await decodeOk(wav(1, 1, 32, [...u32(0x80000000), ...u32(0x40000000)])), [-1, 0.5]);
});

Deno.test("WAV float 32/64 and G.711 µ-law/A-law", async () => {
  const f32 = new Uint8Array(new Float32Array([0.25, -0.75]).buffer);
  assertEquals(await decodeOk(wav(3, 1, 32, [...f32])), [0.25, -0.75]);
  const f64 = new Uint8Array(new Float64Array([0.1, -2]).buffer);
  assertEquals(await decodeOk(wav(3, 1, 64, [...f64])), [Math.fround(0.1), -2]);
  // G.711 µ-law: 0x00 → −32124, 0x80 → +32124, 0xff → 0 (int16), then /32768 as soundfile.
  assertEquals(await decodeOk(wav(7, 1, 8, [0x00, 0x80, 0xff])), [
    Math.fround(-32124 / 32768),
    Math.fround(32124 / 32768),
    0,
  ]);
  // A-law: 0xd5 → +8, 0x55 → −8, 0x2a → −32256.
  assertEquals(await decodeOk(wav(6, 1, 8, [0xd5, 0x55, 0x2a])), [
    Math.fround(8 / 32768),
    Math.fround(-8 / 32768),
    Math.fround(-32256 / 32768),
  ]);
});

Deno.test("WAV channels are averaged in float32 (as librosa's to_mono)", async () => {
  const st = await decodeAudio(
    wav(1, 2, 16, [...u16(16384), ...u16(0), ...u16(0x8000), ...u16(0x8000)]),
    "t",
  );
  assertEquals(Array.from(st.samples), [0.25, -1]);
  assertEquals(st.channels, 2);
  const three = await decodeAudio(wav(1, 3, 16, [...u16(16384), ...u16(16384), ...u16(0)]), "t");
  assertEquals(three.samples[0], Math.fround(Math.fround(0.5 + 0.5) / 3));
  assertEquals(three.channels, 3);
});

Deno.test("WAV: WAVE_FORMAT_EXTENSIBLE, odd-sized unknown chunks, fmt after data, RF64", async () => {
  const guid = (
    tag: number,
  ): number[] => [...u16(tag), 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];
  const ext = [...fmtBody(0xfffe, 1, 8000, 24, 3), ...u16(22), ...u16(24), ...u32(4), ...guid(1)];
  const list = chunk("LIST", [1, 2, 3]); // odd size: a pad byte follows
  const data = chunk("data", [0, 0, 0x40]);
  const y = await decodeAudio(riff(list, chunk("fmt ", ext), data), "t");
  assertEquals(Array.from(y.samples), [0.5]);
  assertEquals(y.format, "wav");
  // fmt after data and after an odd junk chunk
  const late = riff(
    chunk("junk", [9]),
    chunk("data", u16(0x4000)),
    chunk("fmt ", fmtBody(1, 1, 8000, 16, 2)),
  );
  assertEquals(await decodeOk(late), [0.5]);
  // RF64: data size 0xffffffff, real size in ds64
  const ds64 = chunk("ds64", [
    ...u32(0),
    ...u32(0),
    ...u32(4),
    ...u32(0),
    ...u32(2),
    ...u32(0),
    ...u32(0),
  ]);
  const body = cat(
    ascii("WAVE"),
    ds64,
    chunk("fmt ", fmtBody(1, 1, 8000, 16, 2)),
    ascii("data"),
    u32(0xffffffff),
    u16(0x4000),
    u16(0xc000),
  );
  const rf64 = cat(ascii("RF64"), u32(0xffffffff), body);
  assertEquals(await decodeOk(rf64), [0.5, -0.5]);
});

Deno.test("encodeWav round-trips through the decoder (16/24/32-bit, float, multichannel)", async () => {
  const x = new Float32Array([0, 0.5, -0.5, -1, 0.999969482421875, 1 / 32768]);
  const w16 = encodeWav(x, 22050);
  assertEquals(w16.length, 44 + 12);
  const d16 = await decodeAudio(w16, "t");
  assertEquals(Array.from(d16.samples), Array.from(x));
  assertEquals([d16.sampleRate, d16.sourceRate, d16.channels], [22050, 22050, 1]);
  assertEquals(Array.from(encodeWav(d16.samples, 22050)), Array.from(w16)); // byte-exact inverse
  for (const opts of [{ bitDepth: 24 as const }, { bitDepth: 32 as const }, { float: true }]) {
    assertEquals(
      Array.from((await decodeAudio(encodeWav(x, 8000, opts), "t")).samples),
      Array.from(x),
    );
  }
  const l = new Float32Array([0.5, 0.25]), r = new Float32Array([0, -0.25]);
  const st = await decodeAudio(encodeWav([l, r, r], 8000, { bitDepth: 24 }), "t");
  assertEquals(st.channels, 3);
  assertAlmostEquals(st.samples[0]!, 0.5 / 3, 1e-7);
  // clipping
  assertEquals(
    Array.from((await decodeAudio(encodeWav(new Float32Array([2, -2]), 8000), "t")).samples),
    [
      Math.fround(32767 / 32768),
      -1,
    ],
  );
});

// ---- AU ------------------------------------------------------------------------------------

Deno.test("AU: big-endian encodings 1-7 and 27, header size, data size 0xffffffff, little-endian dns.", async () => {
  assertEquals(await decodeOk(au(1, 1, [0x00, 0xff])), [Math.fround(-32124 / 32768), 0]);
  assertEquals(await decodeOk(au(2, 1, [0x80, 0x40])), [-1, 0.5]);
  assertEquals(await decodeOk(au(3, 1, [0x40, 0x00, 0x80, 0x00])), [0.5, -1]);
  assertEquals(await decodeOk(au(4, 1, [0x40, 0, 0, 0xff, 0xff, 0xff])), [
    0.5,
    Math.fround(-1 / 8388608),
  ]);
  assertEquals(await decodeOk(au(5, 1, [0xc0, 0, 0, 0])), [-0.5]);
  const f32 = new Uint8Array(4), f64 = new Uint8Array(8);
  new DataView(f32.buffer).setFloat32(0, 0.375, false);
  new DataView(f64.buffer).setFloat64(0, -0.125, false);
  assertEquals(await decodeOk(au(6, 1, [...f32])), [0.375]);
  assertEquals(await decodeOk(au(7, 1, [...f64])), [-0.125]);
  assertEquals(await decodeOk(au(27, 1, [0xd5])), [Math.fround(8 / 32768)]);
  // header with an annotation, unknown data size, stereo
  const st = await decodeAudio(
    au(3, 2, [0x40, 0, 0, 0, 0x20, 0, 0x20, 0], { header: 32, size: 0xffffffff }),
    "t",
  );
  assertEquals(Array.from(st.samples), [0.25, 0.25]);
  assertEquals([st.format, st.channels, st.sampleRate], ["au", 2, 8000]);
  const le = cat(ascii("dns."), u32(24), u32(2), u32(3), u32(8000), u32(1), u16(0x4000));
  assertEquals(await decodeOk(le), [0.5]);
});

// ---- MP3 -----------------------------------------------------------------------------------

const MP3_STEREO = new URL("./testdata/audio/tone_1khz_44100_stereo.mp3", import.meta.url);
const MP3_MONO = new URL("./testdata/audio/tone_440hz_22050_mono.mp3", import.meta.url);

Deno.test("MP3 (LAME, 44.1 kHz stereo): rate, length, 1 kHz tone at amplitude 0.5", async () => {
  const a = await decodeAudioFile(MP3_STEREO.pathname);
  assertEquals([a.format, a.sampleRate, a.sourceRate, a.channels], ["mp3", 44100, 44100, 2]);
  // 2.0 s encoded; gapless decoding removes the encoder delay/padding (allow one frame).
  assert(Math.abs(a.samples.length - 88200) <= 1152, `length ${a.samples.length}`);
  // LAME itself decodes this file to amplitude 0.475 (`lame --decode`): the encoder, not us.
  const at1k = amplitudeAt(a.samples, 44100, 1000);
  assertAlmostEquals(at1k, 0.475, 0.005);
  for (const f of [500, 900, 1100, 2000, 3000]) {
    assert(amplitudeAt(a.samples, 44100, f) < at1k / 100, `${f} Hz`);
  }
  // decoded to 22050 Hz, first 0.5 s only
  const b = await decodeAudioFile(MP3_STEREO.pathname, { targetRate: 22050, maxSeconds: 0.5 });
  assertEquals([b.sampleRate, b.sourceRate, b.samples.length], [22050, 44100, 11025]);
  assertAlmostEquals(amplitudeAt(b.samples, 22050, 1000), at1k, 0.005);
});

Deno.test("MP3 (MPEG-2, 22.05 kHz mono): channels from the frame header, 440 Hz", async () => {
  const a = await decodeAudioFile(MP3_MONO.pathname);
  assertEquals([a.sampleRate, a.channels], [22050, 1]);
  assert(
    a.samples.length >= 22050 && a.samples.length <= 22050 + 2 * 1152,
    `length ${a.samples.length}`,
  );
  assertAlmostEquals(amplitudeAt(a.samples, 22050, 440), 0.5, 0.03);
});

Deno.test("MP3 errors: no frame header, nothing decodable (corrupt frames: _mp3_test.ts)", async () => {
  const good = await Deno.readFile(MP3_STEREO);
  const id3Only = new Uint8Array(4000);
  id3Only.set([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 10]);
  await rejects(id3Only, "no MPEG audio frame header found");
  await rejects(good.slice(0, 300), "no audio samples");
});

// ---- shared behaviour ----------------------------------------------------------------------

Deno.test("format is sniffed from the bytes, not the name; maxSeconds and targetRate", async () => {
  const x = new Float32Array(16000).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  const w = encodeWav(x, 8000);
  assertEquals(sniffAudioFormat(w), "wav");
  assertEquals(sniffAudioFormat(await Deno.readFile(MP3_MONO)), "mp3");
  assertEquals(sniffAudioFormat(new Uint8Array(10)), undefined);
  const d = await decodeAudio(w, "song.mp3", { maxSeconds: 0.5, targetRate: 22050 });
  assertEquals([d.format, d.sourceRate, d.sampleRate, d.samples.length], [
    "wav",
    8000,
    22050,
    11025,
  ]);
  assertAlmostEquals(amplitudeAt(d.samples, 22050, 440), 0.5, 0.005);
  const cut = await decodeAudio(w, "t", { maxSeconds: 0.3337 });
  assertEquals(cut.samples.length, 2669); // floor(0.3337 * 8000), as librosa.load(duration=…)
  assertEquals((await decodeAudio(w, "t", { maxSeconds: 60 })).samples.length, 16000);
});

Deno.test("bad input gives AudioDecodeError naming the file and the reason", async () => {
  const fmt16 = chunk("fmt ", fmtBody(1, 1, 8000, 16, 2));
  // truncated headers
  await rejects(riff(fmt16).slice(0, 20), "truncated fmt chunk");
  await rejects(cat(ascii("RIFF"), u32(4), ascii("WAVE")), "truncated WAV header: no fmt chunk");
  await rejects(riff(fmt16), "no data chunk");
  await rejects(au(3, 1, [0, 0]).slice(0, 16), "truncated AU header (16 of 24 bytes)");
  await rejects(
    au(3, 1, [0, 0], { header: 24 }).slice(0, 24).map((b, i) => i === 7 ? 64 : b),
    "truncated AU header",
  );
  // data longer than the file, without one whole frame (truncated files: audio_defects_test.ts)
  const long = riff(fmt16, cat(ascii("data"), u32(1000), [1]));
  await rejects(long, "truncated: data chunk claims 1000 bytes but only 1 present");
  await rejects(au(3, 1, [0], { size: 100 }), "data chunk claims 100 bytes but only 1 present");
  // zero samples
  await rejects(riff(fmt16, chunk("data", [])), "no audio samples");
  await rejects(riff(fmt16, chunk("data", [7])), "no audio samples"); // less than one frame
  await rejects(au(3, 1, []), "no audio samples");
  // not audio
  await rejects(
    new TextEncoder().encode("<html><body>not found</body></html>"),
    "not a WAV, AU or MP3 file",
  );
  await rejects(new Uint8Array(0), "not a WAV, AU or MP3 file (empty file)");
  // unsupported encodings name the code
  await rejects(
    wav(2, 1, 4, [1, 2, 3, 4]),
    "unsupported WAV encoding: format tag 2 (0x0002, Microsoft ADPCM)",
  );
  await rejects(wav(0x55, 1, 0, [1, 2]), "format tag 85 (0x0055, MPEG Layer 3)");
  await rejects(au(24, 1, [1, 2]), "unsupported AU encoding 24 (G.722 ADPCM)");
  await rejects(au(99, 1, [1, 2]), "unsupported AU encoding 99");
  await rejects(
    wav(1, 1, 40, [1, 2, 3, 4, 5]),
    "unsupported WAV sample layout: format 1 (0x0001, PCM), 40 bits",
  );
  await rejects(wav(1, 0, 16, [1, 2]), "0 channels");
  // a missing file
  const e = await assertRejects(
    () => decodeAudioFile("/nonexistent/x.wav"),
    AudioDecodeError,
    "file not found",
  );
  assertEquals(e.message, "/nonexistent/x.wav: cannot read: file not found");
});

Deno.test("decodeAudioFile reads from disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const p = `${dir}/a.au`;
    await Deno.writeFile(p, au(3, 1, [0x40, 0]));
    const a = await decodeAudioFile(p);
    assertEquals([Array.from(a.samples), a.format], [[0.5], "au"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
