/**
 * # Benchmarks
 *
 * `deno task bench [--json] [--only mel,decode,setup,verify,engine,predict] [--models a,b] [--quick]`
 *
 * Speed is proven here, never in timed tests. Each figure is printed as a JSON line
 * `{"name", "value", "unit", "target", ...context}` (stdout; `--json` prints only these) and in a
 * table on stderr with the target and the ratio to it. Context for the engine figures: the
 * backend, its threads, and the machine's fp32 peak for comparison (sgemm on 2 threads here
 * ≈ 255 GFLOP/s; override with `MGC_PEAK_GFLOPS`). The decode group also runs
 * `scripts/dev/bench_soxr.py` when the `python3` on the PATH has the `soxr` package (e.g. an
 * activated venv): soxr's own resampling throughput, and each `resample_s_per_s` figure's ratio to
 * it.
 *
 * @module
 */
import { BACKEND_NAMES, initBackend, shutdownBackend } from "../mod/engine/mod.ts";
import { choiceFlag, parseCli, runMain, UsageError } from "../mod/cli.ts";
import { log } from "../mod/progress.ts";

/** One benchmark line. */
interface Row {
  name: string;
  value: number;
  unit: string;
  [context: string]: unknown;
}

/** Targets from the issues: [comparison, value, what it is compared with]. */
const TARGETS: Record<string, [">=" | "<=", number, string]> = {
  mel_ms_per_clip: ["<=", 17, "2× faster than librosa's 34.8 ms here"],
  setup_clips_per_s: [">=", 100, "whole GTZAN setup, all cores"],
  "train_gflops:UNet_Audio_Classifier": [">=", 30, "2× the naive wasm path"],
  "latency_ms:UNet_Audio_Classifier": ["<=", 40, "batch 1"],
  predict_ms_30s: ["<=", 1000, "decode + features + UNet, 30 s clip"],
  // The resampler before soxr HQ's filter (Kaiser, pass band to 0.85): same signal and CPU clock.
  "resample_s_per_s:44100": [">=", 1450, "the previous resampler"],
  "resample_s_per_s:48000": [">=", 410, "the previous resampler"],
  "resample_s_per_s:16000": [">=", 910, "the previous resampler"],
  "resample_s_per_s:32000": [">=", 630, "the previous resampler"],
  "resample_s_per_s:96000": [">=", 224, "the previous resampler"],
  verify_md5_mb_per_s: [">=", 120, "data:verify: GTZAN's 1.3 GB in seconds (≤ 11 s)"],
};

const GROUPS = ["decode", "mel", "setup", "verify", "engine", "predict"] as const;

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage: "deno task bench [--json] [--only groups] [--models names] [--backend name] [--quick]",
    description: "Measure decoding, log-mel, setup, training/inference and predict speed.",
    flags: {
      json: { type: "boolean", help: "print only JSON lines on stdout" },
      only: { type: "string", default: GROUPS.join(","), help: "groups to run" },
      models: { type: "string", help: "engine: models (default all four)" },
      backend: {
        type: "string",
        default: "auto",
        help: `engine and predict: ${BACKEND_NAMES.join(" | ")}`,
      },
      quick: { type: "boolean", help: "fewer repetitions (noisier)" },
    },
  });
  const only = String(values.only).split(",").map((s) => s.trim());
  for (const g of only) {
    if (!(GROUPS as readonly string[]).includes(g)) {
      throw new UsageError(`--only: unknown group "${g}" (${GROUPS.join(", ")})`);
    }
  }
  const quick = values.quick === true;
  const backend = choiceFlag(values, "backend", BACKEND_NAMES);
  const peak = Number(Deno.env.get("MGC_PEAK_GFLOPS") ?? 255);
  const rows: Row[] = [];
  const emit = (r: Row): void => {
    const t = TARGETS[r.name];
    const row: Row = t ? { ...r, target: `${t[0]} ${t[1]} ${r.unit}` } : r;
    if (r.unit === "GFLOP/s") row.peak_fraction = Number((r.value / peak).toFixed(4));
    rows.push(row);
    console.log(JSON.stringify(row));
  };

  if (only.includes("decode")) {
    log("bench: decoding and resampling …");
    const { benchDecode } = await import("../mod/audio/audio_bench.ts");
    const decode = await benchDecode(quick ? { runs: 3, warmup: 1 } : {});
    const soxr = await soxrBench(quick); // the same resampling in Python's soxr, when available
    for (const r of decode) {
      const ref = soxr.find((s) => s.name === r.name.replace("resample_s_per_s", "$&_soxr"));
      emit(ref ? { ...r, vs_soxr: Number((r.value / ref.value).toFixed(3)) } : { ...r });
    }
    for (const r of soxr) emit(r);
  }
  if (only.includes("mel")) {
    log("bench: log-mel of one 30 s clip, one thread …");
    const { benchMel } = await import("../mod/features/mel_bench.ts");
    for (const r of await benchMel(quick ? { runs: 5, warmup: 2 } : {})) emit({ ...r });
  }
  if (only.includes("setup")) {
    log("bench: whole setup on generated 30 s clips, all cores …");
    const { benchSetup } = await import("../mod/prepare/prepare_bench.ts");
    for (const r of await benchSetup({ clips: quick ? 40 : 100 })) emit({ ...r });
  }
  if (only.includes("verify")) {
    log("bench: data:verify hashing (MD5) vs md5sum, GTZAN-sized files from the page cache …");
    const { benchVerify } = await import("../mod/datasets/verify_bench.ts");
    for (const r of await benchVerify({ files: quick ? 60 : 200 })) emit({ ...r });
  }
  if (only.includes("engine") || only.includes("predict")) {
    const info = await initBackend({ backend, quiet: true });
    log(`bench: backend ${info.name}${info.device ? ` on ${info.device}` : ""}`);
  }
  if (only.includes("engine")) {
    log("bench: training and batch-1 latency per model …");
    const { benchEngine } = await import("../mod/models/engine_bench.ts");
    const models = values.models ? String(values.models).split(",") : undefined;
    await benchEngine({
      ...(models ? { models } : {}),
      ...(quick ? { steps: 1, latencyRuns: 10 } : {}),
      backend: { backend, quiet: true },
      onResult: (r) => emit({ ...r, peak_gflops: peak }),
    });
    // The per-batch turn of the event loop that lets Ctrl-C in (paid once per training batch).
    const { benchYield } = await import("../mod/engine/interrupt_bench.ts");
    for (const r of await benchYield(quick ? { runs: 10 } : {})) emit({ ...r });
  }
  if (only.includes("predict")) {
    log("bench: predict one 30 s clip with the UNet …");
    try {
      const { benchPredict } = await import("../mod/predict/predict_bench.ts");
      for (const r of await benchPredict()) emit({ ...r });
    } catch (e) {
      log(`bench: predict skipped (${(e as Error).message})`);
    }
  }
  if (!values.json) {
    log("");
    log(table(rows));
  }
  shutdownBackend(); // ends the process when wasm threads are running
}

/**
 * soxr's throughput on the resampling figures (`scripts/dev/bench_soxr.py`), when Python with the
 * `soxr` package is at hand (`python3` on the PATH) and running it is allowed; else none.
 */
async function soxrBench(quick: boolean): Promise<Row[]> {
  const python = "python3";
  const script = new URL("./dev/bench_soxr.py", import.meta.url).pathname;
  try {
    const { success, stdout } = await new Deno.Command(python, {
      args: [script, ...(quick ? ["--quick"] : [])],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!success) throw new Error(`${python} has no soxr (pip install soxr)`);
    return new TextDecoder().decode(stdout).trim().split("\n").map((l) => JSON.parse(l) as Row);
  } catch (e) {
    log(`bench: soxr comparison skipped (${(e as Error).message})`);
    return [];
  }
}

function table(rows: Row[]): string {
  const lines = [["name", "value", "unit", "target", "ratio to target", "context"]];
  for (const r of rows) {
    const t = TARGETS[r.name];
    let ratio = "";
    if (t) {
      const x = t[0] === "<=" ? t[1] / r.value : r.value / t[1];
      ratio = `${x.toFixed(2)}× ${x >= 1 ? "(met)" : "(not met)"}`;
    }
    const ctx = Object.entries(r)
      .filter(([k]) => !["name", "value", "unit", "target"].includes(k))
      .map(([k, v]) =>
        `${k}=${
          typeof v === "number" ? +v.toFixed(4) : typeof v === "object" ? JSON.stringify(v) : v
        }`
      )
      .join(" ");
    lines.push([
      r.name,
      r.value.toFixed(r.value < 10 ? 2 : 1),
      r.unit,
      t ? `${t[0]} ${t[1]}` : "",
      ratio,
      ctx,
    ]);
  }
  const w = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => c.padEnd(w[i]!)).join("  ").trimEnd()).join("\n");
}

if (import.meta.main) await runMain(main);
