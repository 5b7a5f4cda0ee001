/**
 * Benchmark of `deno task predict` on one song: `predict_ms_30s` is the wall time of
 * {@linkcode predictFile} for a 30 s, 22,050 Hz, 16-bit WAV with an (untrained)
 * `UNet_Audio_Classifier` bundle with GTZAN's features: read + decode + 10 log-mel segments +
 * scaling + inference, on the backend in use (all cores by default). Bundle loading is not timed
 * (once per run of the task). The median of `runs` timed runs after one warm-up run; the phases
 * (decode, features, inference) are timed separately as context, in wall and CPU time.
 *
 * On a shared machine the wall-clock figure grows with the load, so `predict_ms_30s_cpu_bound`
 * comes with it: the phases' CPU time with decode and features on one core and inference spread
 * over the backend's threads, i.e. what the same work takes when those cores are free.
 *
 * @module
 */
import { join } from "node:path";
import os from "node:os";
import process from "node:process";
import { makeBundle } from "./_predict_testutil.ts";
import { clip, wav16 } from "../datasets/_testutil.ts";
import { decodeAudioFile } from "../audio/audio.ts";
import { backendInfo, initBackend, shutdownBackend } from "../engine/backend.ts";
import { loadBundle } from "./bundle.ts";
import { GTZAN_FEATURES } from "../features/features.ts";
import { predictFile } from "./predict.ts";
import { predictionInput } from "./classify.ts";
import { Scaler } from "../features/scaler.ts";
import { predictProbs } from "../engine/evaluate.ts";
import { DEMO_GENRES } from "../datasets/demo_data.ts";

/** One benchmark figure (a `deno task bench --json` line). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  [context: string]: unknown;
}

const GENRES: string[] = [...DEMO_GENRES];

/**
 * Times prediction of one 30 s clip (see the module notes). Initialises the default backend
 * (every core) unless one is already set up. `clipSamples` (at 22,050 Hz) shortens the clip for
 * quick checks; the figures then describe that clip (`clip_s`), not 30 s.
 *
 * @example
 * ```ts ignore
 * import { benchPredict } from "./predict_bench.ts";
 * for (const r of await benchPredict()) console.log(JSON.stringify(r));
 * ```
 */
export async function benchPredict(
  options: { runs?: number; clipSamples?: number } = {},
): Promise<BenchResult[]> {
  const runs = Math.max(1, options.runs ?? 5);
  const clipSamples = options.clipSamples ?? 661794; // GTZAN's usual 30.01 s
  await initBackend({ quiet: true });
  const root = await Deno.makeTempDir({ prefix: "mgc_bench_predict_" });
  try {
    const f = GTZAN_FEATURES;
    const [mels, frames] = [f.nMels, f.frames];
    const n = mels * frames;
    const scaler = new Scaler(
      "per-position",
      [mels, frames],
      new Float64Array(n).fill(-40),
      new Float64Array(n).fill(20),
      1,
    );
    const bundleDir = join(root, "UNet_Audio_Classifier_best_BENCH");
    (await makeBundle(bundleDir, {
      model: "UNet_Audio_Classifier",
      features: f,
      labels: GENRES,
      scaler,
      dataset: "gtzan",
    })).dispose();
    const file = join(root, "song.wav");
    await Deno.writeFile(file, wav16(clip(3, 0, clipSamples, 22050), 22050));
    const bundle = await loadBundle(bundleDir);
    try {
      await predictFile(bundle, file); // warm-up: kernels, mel tables
      const total: number[] = [];
      const wall = { decode: [] as number[], features: [] as number[], inference: [] as number[] };
      const cpu = { decode: [] as number[], features: [] as number[], inference: [] as number[] };
      const timed = async <T>(phase: keyof typeof wall, fn: () => Promise<T> | T): Promise<T> => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await fn();
        wall[phase].push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu[phase].push((c.user + c.system) / 1000);
        return r;
      };
      let segments = 0;
      for (let r = 0; r < runs; r++) {
        const t = performance.now();
        const p = await predictFile(bundle, file);
        total.push(performance.now() - t);
        segments = p.segments.length;
        // The same work in phases.
        const audio = await timed(
          "decode",
          () => decodeAudioFile(file, { targetRate: f.sampleRate }),
        );
        const input = await timed(
          "features",
          () => predictionInput(audio.samples, bundle.preprocessing, bundle.scaler),
        );
        await timed("inference", () => predictProbs(bundle.model, input, { batchSize: 32 }));
      }
      const info = backendInfo();
      const threads = Math.max(1, Math.min(info?.threads ?? 1, navigator.hardwareConcurrency));
      const med = (o: typeof wall): Record<keyof typeof wall, number> => ({
        decode: round(median(o.decode)),
        features: round(median(o.features)),
        inference: round(median(o.inference)),
      });
      const cpuMs = med(cpu);
      const context = {
        model: "UNet_Audio_Classifier",
        clip_s: round(clipSamples / 22050),
        segments,
        runs,
        backend: info?.name ?? "unknown",
        threads: info?.threads ?? 1,
        load_avg_1m: Math.round(os.loadavg()[0]! * 100) / 100,
      };
      return [{
        name: "predict_ms_30s",
        value: round(median(total)),
        unit: "ms",
        ...context,
        min_ms: round(Math.min(...total)),
        phases_ms: med(wall),
        phases_cpu_ms: cpuMs,
      }, {
        name: "predict_ms_30s_cpu_bound",
        value: round(cpuMs.decode + cpuMs.features + cpuMs.inference / threads),
        unit: "ms",
        ...context,
      }];
    } finally {
      bundle.model.dispose();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

if (import.meta.main) {
  for (const r of await benchPredict()) console.log(JSON.stringify(r));
  shutdownBackend();
}
