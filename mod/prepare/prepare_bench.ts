/**
 * Benchmark of the whole setup pipeline: `setup_clips_per_s` is GTZAN-parameter clips (30 s,
 * 22,050 Hz, 16-bit `.au`) through list → split → decode + 10 log-mels per clip in workers →
 * scaler → atomic write, per second of wall time, on every core. The clips are generated in a
 * temporary folder first (not timed). On a shared machine the wall-clock figure drops with the
 * load, so the CPU time per clip and the rate it implies on `workers` free cores come with it.
 *
 * @module
 */
import { join } from "node:path";
import process from "node:process";
import { makeGenreTree } from "../datasets/_testutil.ts";
import { GTZAN } from "../datasets/datasets.ts";
import { prepareDataset } from "./prepare.ts";

/** One benchmark figure (a `deno task bench --json` line). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  [context: string]: unknown;
}

/**
 * Runs the GTZAN setup on `clips` generated 30 s clips (default 100, in 10 genres) with `workers`
 * workers (default: every core) and returns `setup_clips_per_s` (wall clock, phase times as
 * context) and `setup_clips_per_s_cpu_bound` (`workers` / CPU time per clip).
 *
 * @example
 * ```ts ignore
 * import { benchSetup } from "./prepare_bench.ts";
 * for (const r of await benchSetup({ clips: 40 })) console.log(JSON.stringify(r));
 * ```
 */
export async function benchSetup(
  options: { clips?: number; workers?: number } = {},
): Promise<BenchResult[]> {
  const clips = options.clips ?? 100;
  const workers = options.workers ?? navigator.hardwareConcurrency;
  const genres = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop"]
    .concat(["reggae", "rock"]).slice(0, Math.max(1, Math.min(10, clips)));
  const root = await Deno.makeTempDir({ prefix: "mgc_bench_setup_" });
  try {
    const dataDir = join(root, "genres");
    await makeGenreTree(dataDir, {
      genres,
      perGenre: Math.ceil(clips / genres.length),
      samples: 661794, // GTZAN's usual clip length (30.01 s)
      format: "au",
    });
    const cpu0 = process.cpuUsage();
    const r = await prepareDataset(GTZAN, {
      dataDir,
      out: join(root, "out"),
      workers,
      progress: false,
      warn: () => {},
    });
    const cpu = process.cpuUsage(cpu0);
    const n = r.manifest.files.length;
    const cpuMsPerClip = (cpu.user + cpu.system) / 1000 / n;
    return [{
      name: "setup_clips_per_s",
      value: Math.round((n / r.seconds) * 10) / 10,
      unit: "clips/s",
      clips: n,
      workers,
      store: r.store,
      seconds: Math.round(r.seconds * 1000) / 1000,
      phases_s: r.phases,
      cpu_ms_per_clip: Math.round(cpuMsPerClip * 10) / 10,
      load_avg_1m: loadAverage(),
    }, {
      // What the same CPU work gives when `workers` cores are free: the figure to compare with
      // the target when the machine is shared (see load_avg_1m).
      name: "setup_clips_per_s_cpu_bound",
      value: Math.round((workers * 1000 / cpuMsPerClip) * 10) / 10,
      unit: "clips/s",
      clips: n,
      workers,
    }];
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function loadAverage(): number | null {
  try {
    return Deno.loadavg()[0] ?? null;
  } catch {
    return null;
  }
}

if (import.meta.main) {
  const clips = Deno.args[0] ? Number(Deno.args[0]) : undefined;
  for (const r of await benchSetup({ ...(clips ? { clips } : {}) })) console.log(JSON.stringify(r));
}
