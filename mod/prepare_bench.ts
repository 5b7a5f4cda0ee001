/**
 * Benchmark of the whole setup pipeline: `setup_clips_per_s` is GTZAN-parameter clips (30 s,
 * 22,050 Hz, 16-bit `.au`) through list → split → decode + 10 log-mels per clip in workers →
 * scaler → atomic write, per second of wall time, on every core. The clips are generated in a
 * temporary folder first (not timed).
 *
 * @module
 */
import { join } from "node:path";
import { makeGenreTree } from "./_prepare_testutil.ts";
import { GTZAN } from "./datasets.ts";
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
 * workers (default: every core) and returns `setup_clips_per_s` with the phase times as context.
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
    .concat(["reggae", "rock"]);
  const root = await Deno.makeTempDir({ prefix: "mgc_bench_setup_" });
  try {
    const dataDir = join(root, "genres");
    await makeGenreTree(dataDir, {
      genres,
      perGenre: Math.ceil(clips / genres.length),
      samples: 661794, // GTZAN's usual clip length (30.01 s)
      format: "au",
    });
    const r = await prepareDataset(GTZAN, {
      dataDir,
      out: join(root, "out"),
      workers,
      progress: false,
      warn: () => {},
    });
    const n = r.manifest.files.length;
    return [{
      name: "setup_clips_per_s",
      value: Math.round((n / r.seconds) * 10) / 10,
      unit: "clips/s",
      clips: n,
      workers,
      store: r.store,
      seconds: Math.round(r.seconds * 1000) / 1000,
      phases_s: r.phases,
    }];
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) {
  const clips = Deno.args[0] ? Number(Deno.args[0]) : undefined;
  for (const r of await benchSetup({ ...(clips ? { clips } : {}) })) console.log(JSON.stringify(r));
}
