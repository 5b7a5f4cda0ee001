/**
 * # Benchmarks
 *
 * `deno task bench [--json] [--only mel,decode,setup,engine,predict] [--models a,b] [--quick]`
 *
 * Speed is proven here, never in timed tests. Each figure is printed as a JSON line
 * `{"name", "value", "unit", "target", ...context}` (stdout; `--json` prints only these) and in a
 * table on stderr with the target and the ratio to it. Context for the engine figures: the
 * backend, its threads, and the machine's fp32 peak for comparison (sgemm on 2 threads here
 * ≈ 255 GFLOP/s; override with `MGC_PEAK_GFLOPS`).
 *
 * @module
 */
import { shutdownBackend } from "../mod/engine/mod.ts";
import { parseCli, runMain, UsageError } from "../mod/cli.ts";
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
};

const GROUPS = ["decode", "mel", "setup", "engine", "predict"] as const;

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage: "deno task bench [--json] [--only groups] [--models names] [--quick]",
    description: "Measure decoding, log-mel, setup, training/inference and predict speed.",
    flags: {
      json: { type: "boolean", help: "print only JSON lines on stdout" },
      only: { type: "string", default: GROUPS.join(","), help: "groups to run" },
      models: { type: "string", help: "engine: models (default all four)" },
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
    for (const r of await benchDecode(quick ? { runs: 3, warmup: 1 } : {})) emit({ ...r });
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
  if (only.includes("engine")) {
    log("bench: training and batch-1 latency per model …");
    const { benchEngine } = await import("../mod/models/engine_bench.ts");
    const models = values.models ? String(values.models).split(",") : undefined;
    await benchEngine({
      ...(models ? { models } : {}),
      ...(quick ? { steps: 1, latencyRuns: 10 } : {}),
      onResult: (r) => emit({ ...r, peak_gflops: peak }),
    });
    // The per-batch turn of the event loop that lets Ctrl-C in (paid once per training batch).
    const { benchYield } = await import("../mod/interrupt_bench.ts");
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
