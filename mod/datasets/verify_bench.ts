/**
 * Benchmark of `data:verify`'s hashing: throughput (MB/s, 10^6 bytes) of {@linkcode hashFiles}
 * over GTZAN-sized files (1,323,632 bytes, a 30 s clip as 16-bit WAV), against coreutils'
 * `md5sum` on the same files: one `md5sum` process (one core), and one per worker run side by
 * side (the fair comparison on every core). The files are generated in a temporary folder and
 * read once before timing, so every figure is measured from the page cache: this is the hashing
 * cost, not the disk's. The tasks run in rounds, one after the other, and each figure is its best
 * round; for `hashFiles`, CPU time comes with it (MB per CPU-second), which the machine's load
 * changes less than the wall time.
 *
 * @module
 */
import { join } from "node:path";
import process from "node:process";
import { type HashAlgorithm, hashFiles } from "./hash_files.ts";

/** One benchmark figure (a `deno task bench --json` line). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  [context: string]: unknown;
}

/** A GTZAN clip as WAV: 661,794 16-bit samples and the 44-byte header. */
const CLIP_BYTES = 1_323_632;

/** Deterministic pseudo-random bytes (xorshift32), fast enough for hundreds of MB. */
function fill(out: Uint8Array, seed: number): void {
  const words = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
}

/** CPU seconds this process (every thread, the workers included) has used so far. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** A measured task: its best wall time and its mean CPU time per run (this process's). */
interface Timing {
  wall: number;
  cpu: number;
}

/**
 * Runs every task once per round, round after round (so a change of machine load hits them
 * alike), and keeps each task's fastest wall time and its mean CPU time. (A subprocess's CPU time
 * is not this process's: `md5sum` gets wall time only.)
 */
async function interleaved(
  rounds: number,
  tasks: Record<string, () => Promise<unknown>>,
): Promise<Record<string, Timing>> {
  const out: Record<string, Timing> = {};
  for (let i = 0; i < rounds; i++) {
    for (const [name, run] of Object.entries(tasks)) {
      const c0 = cpuSeconds();
      const w0 = performance.now();
      await run();
      const wall = (performance.now() - w0) / 1000;
      const cpu = (cpuSeconds() - c0) / rounds;
      out[name] = {
        wall: Math.min(out[name]?.wall ?? Infinity, wall),
        cpu: (out[name]?.cpu ?? 0) + cpu,
      };
    }
  }
  return out;
}

/** Runs `md5sum` on `paths` (relative to `cwd`) in `procs` processes side by side; null if absent. */
async function md5sum(cwd: string, paths: string[], procs: number): Promise<string[] | null> {
  const share = Math.ceil(paths.length / procs);
  try {
    const outs = await Promise.all(
      Array.from({ length: procs }, (_, i) =>
        new Deno.Command("md5sum", {
          args: paths.slice(i * share, (i + 1) * share),
          cwd,
          stdout: "piped",
          stderr: "null",
        }).output()),
    );
    if (!outs.every((o) => o.success)) return null;
    return outs.flatMap((o) =>
      new TextDecoder().decode(o.stdout).trim().split("\n").map((l) => l.slice(0, 32))
    );
  } catch {
    return null; // not installed, or --allow-run does not name it
  }
}

/**
 * Generates `files` GTZAN-sized files (default 200, ≈ 265 MB) and measures hashing throughput:
 * `verify_md5_mb_per_s` (every core), `verify_md5_mb_per_s_1_worker`, `verify_sha1_mb_per_s`,
 * `verify_sha256_mb_per_s`, and when `md5sum` can run, `md5sum_mb_per_s` (one process) and
 * `md5sum_mb_per_s_parallel` (one per worker), with the ratios. The digests are checked equal to
 * `md5sum`'s before any figure is reported.
 *
 * Not run by `deno test --doc`: it writes and hashes ≈ 50 MB for a few seconds (speed is measured
 * in `deno task bench`, never in tests).
 *
 * @example
 * ```ts ignore
 * import { benchVerify } from "./verify_bench.ts";
 * for (const r of await benchVerify({ files: 40 })) console.log(JSON.stringify(r));
 * ```
 */
export async function benchVerify(
  options: { files?: number; workers?: number; runs?: number } = {},
): Promise<BenchResult[]> {
  const n = options.files ?? 200;
  const workers = options.workers ?? navigator.hardwareConcurrency;
  const runs = options.runs ?? 3;
  const root = await Deno.makeTempDir({ prefix: "mgc_bench_verify_" });
  try {
    const paths = Array.from({ length: n }, (_, i) => `g/clip.${String(i).padStart(5, "0")}.wav`);
    await Deno.mkdir(join(root, "g"));
    const buf = new Uint8Array(CLIP_BYTES);
    for (const [i, p] of paths.entries()) {
      fill(buf, i + 1);
      await Deno.writeFile(join(root, p), buf);
    }
    const mb = (n * CLIP_BYTES) / 1e6;
    const ours = (algorithm: HashAlgorithm, w: number) => () =>
      hashFiles(root, paths, { algorithm, workers: w });
    const warm = await hashFiles(root, paths, { algorithm: "md5", workers }); // page cache, compile
    const ref = await md5sum(root, paths, 1);
    if (ref && ref.join() !== warm.map((f) => f.hash).join()) {
      throw new Error("bench: hashFiles' MD5 differs from md5sum's");
    }
    const tasks: Record<string, () => Promise<unknown>> = {
      md5: ours("md5", workers),
      md5_1: ours("md5", 1),
      sha1: ours("sha1", workers),
      sha256: ours("sha256", workers),
    };
    if (ref) {
      tasks.md5sum = () => md5sum(root, paths, 1);
      tasks.md5sum_par = () => md5sum(root, paths, workers);
    }
    const t = await interleaved(runs, tasks);
    const rate = (s: number | null | undefined): number | null =>
      s ? Math.round((mb / s) * 10) / 10 : null;
    const ratio = (x: number | null, y: number | null): number | null =>
      x === null || y === null ? null : Math.round((x / y) * 100) / 100;
    const load = ((): number | null => {
      try {
        return Deno.loadavg()[0] ?? null;
      } catch {
        return null;
      }
    })();
    const context = { files: n, mb: Math.round(mb), workers, load_avg_1m: load };
    const one = rate(t.md5sum?.wall), par = rate(t.md5sum_par?.wall);
    const md5All = rate(t.md5!.wall)!, md5One = rate(t.md5_1!.wall)!;
    const rows: BenchResult[] = [{
      name: "verify_md5_mb_per_s",
      value: md5All,
      unit: "MB/s",
      ...context,
      // MB per CPU-second: what one free core gives, whatever the load.
      cpu_mb_per_s: rate(t.md5!.cpu),
      ratio_to_md5sum: ratio(md5All, one),
      ratio_to_md5sum_parallel: ratio(md5All, par),
      gtzan_seconds: Math.round((1000 * CLIP_BYTES / 1e6 / md5All) * 100) / 100,
    }, {
      name: "verify_md5_mb_per_s_1_worker",
      value: md5One,
      unit: "MB/s",
      ...context,
      workers: 1,
      ratio_to_md5sum: ratio(md5One, one),
    }];
    if (one !== null && par !== null) {
      rows.push({
        name: "md5sum_mb_per_s",
        value: one,
        unit: "MB/s",
        ...context,
        workers: 1,
      });
      rows.push({
        name: "md5sum_mb_per_s_parallel",
        value: par,
        unit: "MB/s",
        ...context,
        processes: workers,
      });
    }
    for (const a of ["sha1", "sha256"] as const) {
      rows.push({
        name: `verify_${a}_mb_per_s`,
        value: rate(t[a]!.wall)!,
        unit: "MB/s",
        ...context,
        cpu_mb_per_s: rate(t[a]!.cpu),
      });
    }
    return rows;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) {
  const files = Deno.args[0] ? Number(Deno.args[0]) : undefined;
  for (const r of await benchVerify({ ...(files ? { files } : {}) })) {
    console.log(JSON.stringify(r));
  }
}
