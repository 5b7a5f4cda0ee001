// Defects real collections hold (issue 18): non-finite float samples, files cut short, and the one
// list of readable extensions. Every input is generated here.
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  AUDIO_EXTENSIONS,
  AudioDecodeError,
  decodeAudio,
  decodeAudioFile,
  encodeWav,
  isAudioFile,
} from "./audio.ts";

/** A RIFF/WAVE file of IEEE float samples (tag 3), 32- or 64-bit, interleaved `channels`. */
function floatWav(values: number[], bits: 32 | 64, channels = 1, rate = 8000): Uint8Array {
  const size = bits / 8;
  const data = new Uint8Array(values.length * size);
  const dv = new DataView(data.buffer);
  values.forEach((v, i) =>
    bits === 32 ? dv.setFloat32(i * 4, v, true) : dv.setFloat64(i * 8, v, true)
  );
  const out = new Uint8Array(44 + data.length);
  const h = new DataView(out.buffer);
  const tag = (at: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  tag(0, "RIFF");
  h.setUint32(4, 36 + data.length, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  h.setUint32(16, 16, true);
  h.setUint16(20, 3, true);
  h.setUint16(22, channels, true);
  h.setUint32(24, rate, true);
  h.setUint32(28, rate * size * channels, true);
  h.setUint16(32, size * channels, true);
  h.setUint16(34, bits, true);
  tag(36, "data");
  h.setUint32(40, data.length, true);
  out.set(data, 44);
  return out;
}

/** A big-endian AU file of float (6) or double (7) samples. */
function floatAu(values: number[], bits: 32 | 64): Uint8Array {
  const size = bits / 8;
  const out = new Uint8Array(24 + values.length * size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x2e736e64);
  dv.setUint32(4, 24);
  dv.setUint32(8, values.length * size);
  dv.setUint32(12, bits === 32 ? 6 : 7);
  dv.setUint32(16, 8000);
  dv.setUint32(20, 1);
  values.forEach((v, i) =>
    bits === 32 ? dv.setFloat32(24 + 4 * i, v) : dv.setFloat64(24 + 8 * i, v)
  );
  return out;
}

async function refused(bytes: Uint8Array, file: string, ...parts: string[]): Promise<string> {
  const e = await assertRejects(() => decodeAudio(bytes, file), AudioDecodeError);
  assert(e.message.startsWith(`${file}: `), e.message);
  for (const p of parts) assert(e.message.includes(p), `"${p}" not in: ${e.message}`);
  assertEquals(e.message.split("\n").length, 1);
  return e.message;
}

const quiet = (n: number): number[] => Array.from({ length: n }, (_, i) => 0.1 * Math.sin(i));

Deno.test("float WAV/AU with NaN, +Inf or −Inf samples (32- and 64-bit) is refused with the count", async () => {
  for (const bits of [32, 64] as const) {
    const nan = quiet(800);
    nan[400] = NaN;
    nan[401] = NaN;
    await refused(
      floatWav(nan, bits),
      `nan${bits}.wav`,
      "2 of 800 samples are not finite (2 NaN; the first at 0.050 s)",
      `${bits}-bit float WAV data`,
    );
    const pos = quiet(800);
    pos[0] = Infinity;
    await refused(
      floatWav(pos, bits),
      `pinf${bits}.wav`,
      "1 of 800 samples is not finite (1 +Inf;",
    );
    const neg = quiet(800);
    neg[799] = -Infinity;
    await refused(
      floatWav(neg, bits),
      `ninf${bits}.wav`,
      "1 of 800 samples is not finite (1 −Inf;",
    );
    // Stereo: counted per stored sample, before mixing (a NaN in one channel poisons the mix).
    const st = quiet(1600);
    st[3] = NaN;
    st[1000] = Infinity;
    st[1001] = -Infinity;
    await refused(
      floatWav(st, bits, 2),
      `stereo${bits}.wav`,
      "3 of 1600 samples are not finite (1 NaN, 1 +Inf, 1 −Inf; the first at 0.000 s)",
    );
    const au = quiet(100);
    au[50] = NaN;
    await refused(floatAu(au, bits), `nan${bits}.au`, "1 of 100 samples", `${bits}-bit float AU`);
  }
  // Only what is decoded counts: the first 0.05 s of a file whose NaN comes later is fine.
  const late = quiet(800);
  late[700] = NaN;
  const head = await decodeAudio(floatWav(late, 32), "late.wav", { maxSeconds: 0.05 });
  assertEquals(head.samples.length, 400);
  // The same files without the bad samples decode.
  assertEquals((await decodeAudio(floatWav(quiet(800), 64), "ok.wav")).samples.length, 800);
});

Deno.test("float64 samples beyond the float32 range are refused after conversion, not passed on as Inf", async () => {
  const big = quiet(800);
  big[10] = 1e300; // finite in the file, Infinity as float32
  await refused(
    floatWav(big, 64),
    "huge.wav",
    "1 of 800 decoded samples is not finite (1 +Inf; the first at index 10)",
    "after conversion to float32",
  );
  // Two channels near the float32 maximum overflow when mixed.
  const sum = quiet(200);
  sum[0] = 3e38;
  sum[1] = 3e38;
  await refused(floatWav(sum, 32, 2), "mix.wav", "decoded samples", "1 +Inf");
  // Resampled output is checked too.
  const ok = await decodeAudio(floatWav(quiet(800), 32), "ok.wav", { targetRate: 4000 });
  assertEquals(ok.samples.length, 400);
});

Deno.test("WAV/AU cut mid-data give the frames present, flagged truncated with the seconds read", async () => {
  const rate = 8000;
  const x = new Float32Array(3 * rate).map((_, i) => 0.5 * Math.sin(i / 7));
  const full = encodeWav(x, rate); // 16-bit mono: 44-byte header, 2 bytes a frame
  const whole = await decodeAudio(full, "full.wav");
  assertEquals([whole.truncated, whole.secondsRead], [undefined, undefined]);
  // Cut at 1.0 s plus half a frame: one second decoded, the half frame dropped.
  const cut = full.slice(0, 44 + 2 * rate + 1);
  const a = await decodeAudio(cut, "cut.wav", { targetRate: 4000 });
  assertEquals([a.truncated, a.secondsRead, a.samples.length], [true, 1, 4000]);
  // The frames present are the file's own: identical to the first second of the whole file.
  const b = await decodeAudio(cut, "cut.wav");
  assertEquals(Array.from(b.samples), Array.from(whole.samples.subarray(0, rate)));
  // Stereo 24-bit extensible, cut mid-frame.
  const st = encodeWav([x, x], rate, { bitDepth: 24 });
  const header = st.length - 3 * rate * 6;
  const c = await decodeAudio(st.slice(0, header + 6 * 4000 + 5), "st.wav");
  assertEquals([c.truncated, c.secondsRead, c.channels], [true, 0.5, 2]);
  // Not truncated where it matters: maxSeconds stops before the cut.
  const d = await decodeAudio(cut, "cut.wav", { maxSeconds: 0.5 });
  assertEquals([d.truncated, d.samples.length], [undefined, 4000]);
  // AU, the original GTZAN container: the header's data size says 3 s, 1.5 s are there.
  const au = new Uint8Array(24 + 2 * 3 * rate);
  const dv = new DataView(au.buffer);
  dv.setUint32(0, 0x2e736e64);
  dv.setUint32(4, 24);
  dv.setUint32(8, 2 * 3 * rate);
  dv.setUint32(12, 3);
  dv.setUint32(16, rate);
  dv.setUint32(20, 1);
  const e = await decodeAudio(au.slice(0, 24 + 3 * rate), "cut.au");
  assertEquals([e.truncated, e.secondsRead, e.format], [true, 1.5, "au"]);
  // Less than one frame left: nothing to decode, said so.
  await refused(full.slice(0, 45), "stub.wav", "truncated: data chunk claims 48000 bytes");
});

Deno.test("AUDIO_EXTENSIONS: every listed extension names a container decodeAudio reads, any case", async () => {
  assertEquals(AUDIO_EXTENSIONS.every((e) => e === e.toLowerCase() && e.startsWith(".")), true);
  const wav = encodeWav(new Float32Array(800).fill(0.25), 8000);
  const au = new Uint8Array(24 + 2);
  new DataView(au.buffer).setUint32(0, 0x2e736e64);
  new DataView(au.buffer).setUint32(4, 24);
  new DataView(au.buffer).setUint32(8, 2);
  new DataView(au.buffer).setUint32(12, 3);
  new DataView(au.buffer).setUint32(16, 8000);
  new DataView(au.buffer).setUint32(20, 1);
  const mp3 = await Deno.readFile(
    new URL("./testdata/audio/tone_440hz_22050_mono.mp3", import.meta.url),
  );
  const bytesFor: Record<string, [Uint8Array, string]> = {
    ".wav": [wav, "wav"],
    ".wave": [wav, "wav"],
    ".bwf": [wav, "wav"],
    ".rf64": [wav, "wav"],
    ".au": [au, "au"],
    ".snd": [au, "au"],
    ".mp3": [mp3, "mp3"],
  };
  assertEquals([...AUDIO_EXTENSIONS].sort(), Object.keys(bytesFor).sort());
  const dir = await Deno.makeTempDir();
  try {
    for (const ext of AUDIO_EXTENSIONS) {
      const [bytes, format] = bytesFor[ext]!;
      const name = `clip${ext.toUpperCase()}`;
      assert(isAudioFile(name) && isAudioFile(`a/b/clip${ext}`), name);
      await Deno.writeFile(join(dir, name), bytes);
      assertEquals((await decodeAudioFile(join(dir, name))).format, format, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  for (const name of ["a.flac", "a.ogg", "a.m4a", "notes.txt", "cover.jpg", "wav", "a.wav.part"]) {
    assertEquals(isAudioFile(name), false, name);
  }
});
