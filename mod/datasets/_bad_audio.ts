/**
 * Test helpers: the odd and broken audio files real collections hold, generated (issue 18):
 * IEEE-float WAVs (32/64-bit, where NaN and ±Infinity can be stored), files cut mid-data, and
 * non-audio bytes under audio names. Private to the tests.
 *
 * @module
 */
import { encodeWav } from "../audio/wav_write.ts";
import { fixtureMp3 } from "./_dataset_trees.ts";
import { au16, clip, wav16 } from "./_testutil.ts";

/** A RIFF/WAVE file of IEEE float samples (format tag 3), 32- or 64-bit, mono. */
export function floatWav(
  samples: ArrayLike<number>,
  sampleRate: number,
  bits: 32 | 64,
): Uint8Array {
  const size = bits / 8;
  const out = new Uint8Array(44 + samples.length * size);
  const v = new DataView(out.buffer);
  const tag = (o: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i);
  };
  tag(0, "RIFF");
  v.setUint32(4, 36 + samples.length * size, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 3, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * size, true);
  v.setUint16(32, size, true);
  v.setUint16(34, bits, true);
  tag(36, "data");
  v.setUint32(40, samples.length * size, true);
  for (let i = 0; i < samples.length; i++) {
    if (bits === 32) v.setFloat32(44 + 4 * i, samples[i]!, true);
    else v.setFloat64(44 + 8 * i, samples[i]!, true);
  }
  return out;
}

/** `samples` with `value` written at each of `at` (a copy). */
export function poke(samples: Float32Array, value: number, ...at: number[]): Float64Array {
  const out = Float64Array.from(samples);
  for (const i of at) out[i] = value;
  return out;
}

/** A tiny PNG signature and header: a picture saved under an audio name. */
export const PNG_BYTES: Uint8Array = new Uint8Array([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
  0,
  0,
  0,
  13,
  0x49,
  0x48,
  0x44,
  0x52,
  0,
  0,
  0,
  1,
  0,
  0,
  0,
  1,
  8,
  6,
  0,
  0,
  0,
]);

/** What a setup run must record for one file of {@linkcode writeMixedGenreFolder}. */
export interface ExpectedFile {
  path: string;
  status: "ok" | "skipped";
  /** Text the manifest's `reason` (skipped) must contain. */
  reason?: string;
  /** The manifest marks it truncated. */
  truncated?: boolean;
  /** Examples it gives when ok. */
  examples?: number;
}

/** What {@linkcode writeMixedGenreFolder} wrote. */
export interface MixedFolder {
  /** Every audio-named file, sorted by path, with what the manifest must say. */
  files: ExpectedFile[];
  /** Files the listing must report as skipped (not audio by name). */
  notAudio: string[];
}

/**
 * A GTZAN-layout folder (`blues`, `jazz`, `rock`) mixing good clips with every odd and broken file
 * issue 18 names: float32/float64 WAVs holding NaN, +Inf and −Inf; a float WAV so loud its
 * log-mel overflows; WAVs cut mid-data (leaving up to two segments, and less than one); an MP3
 * (the project's CC0 fixture's frames, 4 s at 44.1 kHz stereo); a good odd one (stereo 44.1 kHz
 * float32); an empty file, a header without data, text and a PNG under audio names;
 * a `.flac` and a cover image (not readable: listing skips) and a macOS `._` fork (ignored).
 * `segment` is the dataset's segment length in samples at 22,050 Hz, `perClip` the segments a
 * good clip holds (at most the config's `maxSegments`).
 */
export async function writeMixedGenreFolder(
  dir: string,
  segment: number,
  perClip: number,
): Promise<MixedFolder> {
  const sr = 22050;
  const n = perClip * segment;
  const files: ExpectedFile[] = [];
  const put = async (path: string, bytes: Uint8Array, e: Omit<ExpectedFile, "path">) => {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(full, bytes);
    files.push({ path, ...e });
  };
  const genres = ["blues", "jazz", "rock"];
  for (const [g, genre] of genres.entries()) {
    for (let k = 0; k < 5; k++) {
      const name = `${genre}/${genre}.${String(k).padStart(5, "0")}`;
      const x = clip(g, k, n, sr);
      if (k % 2) await put(`${name}.au`, au16(x, sr), { status: "ok", examples: perClip });
      else await put(`${name}.wav`, wav16(x, sr), { status: "ok", examples: perClip });
    }
  }
  const x = (g: number, k: number): Float32Array => clip(g, 50 + k, n, sr);
  const notFinite = "not finite";
  await put("blues/blues.00050.wav", floatWav(poke(x(0, 0), NaN, 10, 11), sr, 32), {
    status: "skipped",
    reason: "2 NaN",
  });
  await put("blues/blues.00051.wav", floatWav(poke(x(0, 1), Infinity, Math.floor(n / 2)), sr, 32), {
    status: "skipped",
    reason: "1 +Inf",
  });
  await put("jazz/jazz.00050.wav", floatWav(poke(x(1, 0), -Infinity, n - 1), sr, 64), {
    status: "skipped",
    reason: "1 −Inf",
  });
  await put("jazz/jazz.00051.wav", floatWav(poke(x(1, 1), NaN, 0), sr, 64), {
    status: "skipped",
    reason: notFinite,
  });
  await put("rock/rock.00050.wav", floatWav(x(2, 0).map((v) => v * 1e25), sr, 32), {
    status: "skipped",
    reason: "log-mel of segment 0",
  });
  // Claims 3 segments and a bit; holds min(perClip, 2) segments and 100 samples, then less than one.
  const whole = wav16(clip(2, 51, 3 * segment + 500, sr), sr);
  const kept = Math.min(perClip, 2);
  await put("rock/rock.00051.wav", whole.slice(0, 44 + 2 * (kept * segment + 100)), {
    status: "ok",
    truncated: true,
    examples: kept,
  });
  await put("rock/rock.00052.wav", whole.slice(0, 44 + 2 * Math.floor(segment / 2)), {
    status: "skipped",
    truncated: true,
    reason: "truncated at",
  });
  await put("blues/blues.00052.mp3", await fixtureMp3(2), {
    status: "ok",
    examples: Math.min(perClip, Math.floor((4 * sr) / segment)),
  });
  const st = clip(0, 53, Math.ceil((n * 44100) / sr) + 10, 44100);
  await put(
    "blues/blues.00053.wav",
    encodeWav([st, st.map((v) => -0.5 * v)], 44100, { float: true }),
    {
      status: "ok",
      examples: perClip,
    },
  );
  await put("jazz/jazz.00052.wav", new Uint8Array(0), { status: "skipped", reason: "empty file" });
  await put("jazz/jazz.00053.wav", wav16(new Float32Array(0), sr), {
    status: "skipped",
    reason: "no audio samples",
  });
  await put("jazz/jazz.00054.wav", whole.slice(0, 44), {
    status: "skipped",
    reason: "truncated: data chunk claims",
  });
  await put("rock/rock.00053.wav", new TextEncoder().encode("<html>404</html>"), {
    status: "skipped",
    reason: "not a WAV, AU or MP3 file",
  });
  await put("rock/rock.00054.au", PNG_BYTES, { status: "skipped", reason: "unrecognised header" });
  await Deno.writeFile(`${dir}/blues/cover.png`, PNG_BYTES);
  await Deno.writeFile(`${dir}/jazz/jazz.00055.flac`, new TextEncoder().encode("fLaC"));
  await Deno.writeFile(`${dir}/jazz/._jazz.00000.wav`, new Uint8Array(82));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, notAudio: ["blues/cover.png", "jazz/jazz.00055.flac"] };
}
