/**
 * # Benchmarks
 *
 * `deno task bench [--json] [--only mel,decode,setup,engine,predict] [--models a,b] [--quick]
 * [--batch n] [--profile]`
 *
 * Speed is proven here, never in timed tests. Each figure is printed as a JSON line
 * `{"name", "value", "unit", "target", ...context}` (stdout; `--json` prints only these) and in a
 * table on stderr with the target and the ratio to it. Context for the engine figures: the
 * backend, its threads, the machine's fp32 peak for comparison (sgemm on 2 threads here
 * ≈ 255 GFLOP/s; override with `MGC_PEAK_GFLOPS`), and for training throughput and batch-1
 * latency the Keras figure on this machine class with the ratio to it (`keras`, `keras_ratio`,
 * > 1 when faster than Keras). `--batch` sets the engine's training batch (default 48);
 * `--profile` prints instead the time per kernel of one training step (forward, backward,
 * update) of UNet and ResSE (or `--models`): CPU time with one thread (`MGC_THREADS=1`), steady
 * on a loaded machine, wall time otherwise.
 *
 * @module
 */
import { shutdownBackend } from "../mod/engine/mod.ts";
import { intFlag, parseCli, runMain, UsageError } from "../mod/cli.ts";
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
  // Issue 15: ratios to Keras 3 / TensorFlow-CPU on the same 2 cores (KERAS below).
  "train_samples_per_s:UNet_Audio_Classifier": [">=", 0.45 * 25.8, "0.45× Keras, batch 48"],
  "train_samples_per_s:ResSE_AudioCNN": [">=", 0.4 * 28.6, "0.4× Keras, batch 48"],
  "train_samples_per_s:Efficient_VGG": [">=", 0.3 * 252, "0.3× Keras, batch 48"],
  "latency_ms:UNet_Audio_Classifier": ["<=", 1.5 * 12.4, "1.5× Keras, batch 1"],
  "latency_ms:ResSE_AudioCNN": ["<=", 1.5 * 11.1, "1.5× Keras, batch 1"],
  predict_ms_30s: ["<=", 1000, "decode + features + UNet, 30 s clip"],
};

/**
 * Keras 3 / TensorFlow-CPU 2.21 (oneDNN) on this machine class (2 cores, batch 48, Adam, random
 * 128×128×1 inputs; batch-1 latency), measured 2026-12-04 (`/work/shared/engine_findings.md`):
 * engine rows print their ratio to these.
 */
const KERAS: Record<string, number> = {
  "train_samples_per_s:UNet_Audio_Classifier": 25.8,
  "train_samples_per_s:ResSE_AudioCNN": 28.6,
  "train_samples_per_s:Efficient_VGG": 252,
  "latency_ms:UNet_Audio_Classifier": 12.4,
  "latency_ms:ResSE_AudioCNN": 11.1,
  "latency_ms:Efficient_VGG": 1.8,
};

const GROUPS = ["decode", "mel", "setup", "engine", "predict"] as const;

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage:
      "deno task bench [--json] [--only groups] [--models names] [--quick] [--batch n] [--profile]",
    description: "Measure decoding, log-mel, setup, training/inference and predict speed.",
    flags: {
      json: { type: "boolean", help: "print only JSON lines on stdout" },
      only: { type: "string", default: GROUPS.join(","), help: "groups to run" },
      models: { type: "string", help: "engine: models (default all four)" },
      quick: { type: "boolean", help: "fewer repetitions (noisier)" },
      batch: { type: "string", help: "engine: training batch (default 16)" },
      profile: {
        type: "boolean",
        help: "engine: print the time per kernel of one training step (default UNet and ResSE)",
      },
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
    const keras = KERAS[r.name];
    if (keras !== undefined) {
      row.keras = keras;
      // Throughput: ours / Keras; latency: Keras / ours (both > 1 when faster than Keras).
      row.keras_ratio = Number((r.unit === "ms" ? keras / r.value : r.value / keras).toFixed(3));
    }
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
  const batch = values.batch === undefined ? undefined : intFlag(values, "batch", 1);
  if (only.includes("engine") && values.profile) {
    const { formatProfile, profileTrainStep } = await import("../mod/models/profile_bench.ts");
    const { backendInfo, initBackend } = await import("../mod/engine/mod.ts");
    await initBackend({ quiet: true });
    const models = values.models
      ? String(values.models).split(",")
      : ["UNet_Audio_Classifier", "ResSE_AudioCNN"];
    // Kernel times as CPU time with one thread (steady on a shared machine), wall time otherwise.
    const clock = backendInfo()?.threads === 1 ? "cpu" : "wall";
    for (const model of models) {
      log(`bench: profiling one training step of ${model} …`);
      const p = await profileTrainStep({ model, batch: batch ?? 16, clock });
      if (!values.json) console.log(formatProfile(p) + "\n");
      emit({ name: `step_kernel_ms:${model}`, value: p.kernelMs, unit: "ms", batch: p.batch });
    }
  } else if (only.includes("engine")) {
    log("bench: training and batch-1 latency per model …");
    const { benchEngine } = await import("../mod/models/engine_bench.ts");
    const models = values.models ? String(values.models).split(",") : undefined;
    await benchEngine({
      ...(models ? { models } : {}),
      ...(quick ? { steps: 1, latencyRuns: 10 } : {}),
      ...(batch ? { batch } : {}),
      onResult: (r) => emit({ ...r, peak_gflops: peak }),
    });
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
