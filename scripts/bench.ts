/**
 * # Benchmarks
 *
 * `deno task bench [--json] [--only mel,decode,setup,verify,engine,predict] [--models a,b] [--quick]
 *  [--backend NAME] [--backends tensorflow,wasm] [--keras auto|off|PYTHON] [--batch n] [--profile]`
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
 * The engine group runs per backend (`--backends`; default `--backend` when one is named, else
 * every one that loads here: a real WebGPU adapter, the native engine when installed, then wasm), model by model, and, when a Python with TensorFlow and
 * Keras 3 is found (`--keras auto`), Keras on the same model, batch, steps and threads just before
 * (`scripts/keras_bench.py`), followed by `vs_keras_train:<model>:<backend>` (our samples/s ÷
 * Keras's) and `vs_keras_latency:<model>:<backend>` (our batch-1 ms ÷ Keras's). Rows of training
 * throughput and batch-1 latency also carry the Keras figure measured on this machine class and
 * the ratio to it (`keras`, `keras_ratio`, > 1 when faster than Keras). `--batch` sets the
 * engine's training batch (default 48); `--profile` prints instead the time per kernel of one
 * training step (forward, backward, update) of UNet and ResSE (or `--models`): CPU time with one
 * thread (`MGC_THREADS=1`), steady on a loaded machine, wall time otherwise.
 *
 * @module
 */
import {
  BACKEND_NAMES,
  type BackendName,
  initBackend,
  probeWebGpu,
  shutdownBackend,
} from "../mod/engine/mod.ts";
import { choiceFlag, intFlag, parseCli, runMain, UsageError } from "../mod/cli.ts";
import { log } from "../mod/progress.ts";
import { isModelName, MODEL_NAMES, type ModelName } from "../mod/models/mod.ts";
import { findKerasPython, type KerasRow, runKerasBench } from "./_keras.ts";

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
  "vs_keras_train:UNet_Audio_Classifier:tensorflow": [">=", 0.8, "× Keras samples/s, batch 48"],
  "vs_keras_train:ResSE_AudioCNN:tensorflow": [">=", 0.8, "× Keras samples/s, batch 48"],
  "vs_keras_latency:UNet_Audio_Classifier:tensorflow": ["<=", 1.2, "× Keras batch-1 ms"],
  "vs_keras_latency:ResSE_AudioCNN:tensorflow": ["<=", 1.2, "× Keras batch-1 ms"],
  predict_ms_30s: ["<=", 1000, "decode + features + UNet, 30 s clip"],
  // The resampler before soxr HQ's filter (Kaiser, pass band to 0.85): same signal and CPU clock.
  "resample_s_per_s:44100": [">=", 1450, "the previous resampler"],
  "resample_s_per_s:48000": [">=", 410, "the previous resampler"],
  "resample_s_per_s:16000": [">=", 910, "the previous resampler"],
  "resample_s_per_s:32000": [">=", 630, "the previous resampler"],
  "resample_s_per_s:96000": [">=", 224, "the previous resampler"],
  verify_md5_mb_per_s: [">=", 120, "data:verify: GTZAN's 1.3 GB in seconds (≤ 11 s)"],
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

const GROUPS = ["decode", "mel", "setup", "verify", "engine", "predict"] as const;

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage:
      "deno task bench [--json] [--only groups] [--models names] [--backend name] [--quick] [--profile]",
    description: "Measure decoding, log-mel, setup, training/inference and predict speed.",
    flags: {
      json: { type: "boolean", help: "print only JSON lines on stdout" },
      only: { type: "string", default: GROUPS.join(","), help: "groups to run" },
      models: { type: "string", help: "engine: models (default all four)" },
      backend: {
        type: "string",
        default: "auto",
        help: `predict, and engine when --backends is auto: ${BACKEND_NAMES.join(" | ")}`,
      },
      quick: { type: "boolean", help: "fewer repetitions (noisier)" },
      backends: {
        type: "string",
        default: "auto",
        help: "engine: comma-separated backends (auto: tensorflow when installed, then wasm)",
      },
      keras: {
        type: "string",
        default: "auto",
        help: "engine: Keras side by side: auto (when found), off, or a python path",
      },
      batch: { type: "string", default: "48", help: "engine: training batch" },
      steps: { type: "string", help: "engine: timed training steps (default 3, --quick 1)" },
      profile: {
        type: "boolean",
        help: "engine: print the time per kernel of one training step (default UNet and ResSE)",
      },
      clock: {
        type: "string",
        help: "--profile: kernel times as wall | cpu | gpu (default: gpu on WebGPU, cpu with one " +
          "wasm thread, else wall); cpu on WebGPU is the JavaScript cost of issuing each kernel",
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
  const backend = choiceFlag(values, "backend", BACKEND_NAMES);
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
  if (only.includes("engine") && values.profile) {
    const { formatProfile, profileTrainStep } = await import("../mod/models/profile_bench.ts");
    const { backendInfo } = await import("../mod/engine/mod.ts");
    const models = values.models
      ? String(values.models).split(",")
      : ["UNet_Audio_Classifier", "ResSE_AudioCNN"];
    // Kernel times: the GPU's own timestamps on WebGPU; CPU time with one thread (steady on a
    // shared machine); wall time otherwise.
    const clock = values.clock !== undefined
      ? choiceFlag(values, "clock", ["wall", "cpu", "gpu"] as const)
      : backendInfo()?.name === "webgpu"
      ? "gpu"
      : backendInfo()?.threads === 1
      ? "cpu"
      : "wall";
    for (const model of models) {
      log(`bench: profiling one training step of ${model} …`);
      const p = await profileTrainStep({ model, batch: intFlag(values, "batch", 1), clock });
      if (!values.json) console.log(formatProfile(p) + "\n");
      emit({
        name: `step_kernel_ms:${model}`,
        value: p.kernelMs,
        unit: "ms",
        batch: p.batch,
        clock: p.clock,
        step_ms: Math.round(p.stepMs * 10) / 10,
        kernel_calls: p.calls,
      });
    }
  } else if (only.includes("engine")) {
    await engineGroup(values, backend, quick, (r) => emit({ ...r, peak_gflops: peak }));
    // The per-batch turn of the event loop that lets Ctrl-C in (paid once per training batch).
    const { benchYield } = await import("../mod/engine/interrupt_bench.ts");
    for (const r of await benchYield(quick ? { runs: 10 } : {})) emit({ ...r });
  }
  if (only.includes("predict")) {
    log("bench: predict one 30 s clip with the UNet …");
    await initBackend({ backend, quiet: true });
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

async function engineGroup(
  values: Record<string, unknown>,
  backend: BackendName,
  quick: boolean,
  emit: (r: Row) => void,
): Promise<void> {
  const { benchEngine } = await import("../mod/models/engine_bench.ts");
  const models = (values.models ? String(values.models).split(",") : [...MODEL_NAMES]).map((m) =>
    m.trim()
  );
  for (const m of models) if (!isModelName(m)) throw new UsageError(`--models: unknown "${m}"`);
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`--batch: "${values.batch}"`);
  const steps = values.steps !== undefined ? Number(values.steps) : quick ? 1 : 3;
  if (!Number.isInteger(steps) || steps < 1) throw new UsageError(`--steps: "${values.steps}"`);
  const latencyRuns = quick ? 10 : 100;
  const backends: BackendName[] = [];
  const wanted = values.backends === "auto" && backend !== "auto"
    ? [backend]
    : String(values.backends).split(",").map((b) => b.trim());
  for (const b of wanted) {
    if (!(BACKEND_NAMES as readonly string[]).includes(b)) {
      throw new UsageError(`--backends: unknown "${b}"`);
    }
  }
  if (wanted.includes("auto")) {
    if ((await probeWebGpu())?.info.isFallbackAdapter === false) backends.push("webgpu");
    try {
      await initBackend({ backend: "tensorflow", quiet: true });
      backends.push("tensorflow");
    } catch (e) {
      log(`bench: native engine not measured (${(e as Error).message.split(". ")[0]})`);
    }
    backends.push("wasm");
  } else backends.push(...(wanted as BackendName[]));
  const threads = navigator.hardwareConcurrency || 1;
  await initBackend({ backend: backends[0]!, quiet: true }); // builds the topologies for Keras
  let keras: Awaited<ReturnType<typeof findKerasPython>> | null = null;
  if (values.keras !== "off") {
    keras = await findKerasPython(values.keras === "auto" ? undefined : String(values.keras));
    if ("missing" in keras) {
      log(
        `bench: Keras side by side skipped (no Python with TensorFlow + Keras 3: ${keras.missing})`,
      );
      keras = null;
    } else log(`bench: Keras ${keras.keras} / TensorFlow ${keras.tensorflow} via ${keras.python}`);
  }
  for (const model of models as ModelName[]) {
    log(`bench: ${model}: training (batch ${batch}, ${steps} steps) and batch-1 latency …`);
    let ref: KerasRow[] = [];
    if (keras) {
      try {
        ref = await runKerasBench(keras, { models: [model], batch, steps, threads, latencyRuns });
        for (const r of ref) emit(r);
      } catch (e) {
        log(`bench: Keras on ${model} failed: ${(e as Error).message}`);
      }
    }
    for (const backend of backends) {
      const rows = await benchEngine({
        models: [model],
        batch,
        steps,
        latencyRuns,
        backend: { backend, quiet: true },
      });
      for (const r of rows) emit({ ...r });
      for (const [kind, figure] of [["train", "train_samples_per_s"], ["latency", "latency_ms"]]) {
        const ours = rows.find((r) => r.name === `${figure}:${model}`);
        const theirs = ref.find((r) => r.name === `${figure}:${model}`);
        if (!ours || !theirs) continue;
        emit({
          name: `vs_keras_${kind}:${model}:${backend}`,
          value: ours.value / theirs.value,
          unit: "×",
          backend,
          ours: ours.value,
          keras: theirs.value,
        });
      }
    }
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
