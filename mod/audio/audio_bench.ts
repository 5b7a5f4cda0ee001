/**
 * Benchmarks of audio decoding and resampling (one thread, median of several runs after warm-up,
 * data held in memory):
 * - `wav_decode_ms_30s`: a 30 s, 22,050 Hz, 16-bit mono WAV → float32;
 * - `mp3_decode_ms_30s`: a 30 s, 44.1 kHz stereo 128 kbit/s MP3 stream → mono float32 (the 2 s
 *   LAME-encoded test fixture concatenated 15 times; no encoder is needed at run time);
 * - `resample_ms_30s_44k`: 30 s of mono 44.1 kHz → 22,050 Hz;
 * - `resample_s_per_s:<rate>`: resampling throughput from `<rate>` (44.1, 48, 16, 32 and 96 kHz)
 *   to 22,050 Hz, in seconds of audio per second of CPU time (the process's user + system time,
 *   median of the runs: single-threaded work, so a busy machine changes it little), on 30 s of a
 *   mono two-tone signal (the same signal and clock `scripts/dev/bench_soxr.py` gives soxr for
 *   `deno task bench`'s comparison).
 *
 * @module
 */
import process from "node:process";
import { decodeAudio, encodeWav, resample } from "./audio.ts";

/** One benchmark figure. */
export interface AudioBenchResult {
  /** Metric name. */
  name: string;
  /** Value. */
  value: number;
  /** Unit. */
  unit: string;
  /** Context (e.g. the fastest run). */
  [context: string]: unknown;
}

/** Input rates of the `resample_s_per_s` figures. */
export const RESAMPLE_BENCH_RATES: readonly number[] = [44100, 48000, 16000, 32000, 96000];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function time(fn: () => unknown, runs: number, warmup: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

/** Median and fastest CPU time (ms) of `fn`, single-threaded work. */
function cpuTime(fn: () => unknown, runs: number, warmup: number): [number, number] {
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = cpu();
    fn();
    ts.push(cpu() - t);
  }
  return [median(ts), Math.min(...ts)];
}

function tone(sr: number, seconds: number): Float32Array {
  const y = new Float32Array(sr * seconds);
  for (let i = 0; i < y.length; i++) {
    y[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / sr) +
      0.1 * Math.sin((2 * Math.PI * 3000 * i) / sr);
  }
  return y;
}

/**
 * Runs the audio benchmarks and returns their figures (milliseconds).
 *
 * @example
 * ```ts ignore
 * import { benchDecode } from "./audio_bench.ts";
 * for (const r of await benchDecode()) console.log(JSON.stringify(r));
 * ```
 */
export async function benchDecode(
  options: { runs?: number; warmup?: number } = {},
): Promise<AudioBenchResult[]> {
  const runs = options.runs ?? 9, warmup = options.warmup ?? 3;
  const wav = encodeWav(tone(22050, 30), 22050);
  const clip = await Deno.readFile(
    new URL("./testdata/audio/tone_1khz_44100_stereo.mp3", import.meta.url),
  );
  const mp3 = new Uint8Array(15 * clip.length);
  for (let i = 0; i < 15; i++) mp3.set(clip, i * clip.length);
  const x44 = tone(44100, 30);
  const rates: AudioBenchResult[] = [];
  for (const rate of RESAMPLE_BENCH_RATES) {
    const x = tone(rate, 30);
    const [ms, fastest] = cpuTime(() => resample(x, rate, 22050), runs, warmup);
    rates.push({
      name: `resample_s_per_s:${rate}`,
      value: Math.round(30000 / ms),
      unit: "s/s",
      clock: "cpu",
      fastest_s_per_s: Math.round(30000 / fastest),
    });
  }
  return [
    {
      name: "wav_decode_ms_30s",
      value: await time(() => decodeAudio(wav, "bench.wav"), runs, warmup),
      unit: "ms",
    },
    {
      name: "mp3_decode_ms_30s",
      value: await time(() => decodeAudio(mp3, "bench.mp3"), runs, warmup),
      unit: "ms",
    },
    {
      name: "resample_ms_30s_44k",
      value: await time(() => resample(x44, 44100, 22050), runs, warmup),
      unit: "ms",
    },
    ...rates,
  ];
}
