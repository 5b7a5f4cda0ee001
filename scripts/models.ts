/**
 * `deno task models [--json] [--models a,b] [--classes N] [--latency]`
 *
 * Prints, for each architecture, a Keras-like summary (layers, output shapes, parameters,
 * FLOPs per layer) and the totals; with `--latency`, the batch-1 latency (median and p90 over
 * 100 timed runs after 10 warm-up runs) and the throughput at batch 48, on the backend named.
 * `--json` prints one JSON object per model instead, one per line.
 *
 * @module
 */
import {
  BACKEND_NAMES,
  initBackend,
  type LatencyResult,
  measureLatency,
  modelFlops,
  shutdownBackend,
} from "../mod/engine/mod.ts";
import { choiceFlag, intFlag, parseCli, runMain, UsageError } from "../mod/cli.ts";
import { buildModel, isModelName, MODEL_NAMES, type ModelName } from "../mod/models/mod.ts";
import { log } from "../mod/progress.ts";
import { modelSummary, paramCounts } from "../mod/models/mod.ts";

const BACKENDS = BACKEND_NAMES;

function parseModels(raw: string): ModelName[] {
  const names = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const n of names) {
    if (!isModelName(n)) {
      throw new UsageError(`--models: unknown model "${n}"; expected ${MODEL_NAMES.join(", ")}`);
    }
  }
  if (names.length === 0) throw new UsageError("--models: no model named");
  return names as ModelName[];
}

function parseInput(raw: string): [number, number, number] {
  const m = /^(\d+)x(\d+)(?:x(\d+))?$/.exec(raw);
  if (!m) throw new UsageError(`--input: expected HxW or HxWxC, got "${raw}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 1)];
}

function latencyLine(label: string, r: LatencyResult): string {
  return `${label}: median ${r.medianMs.toFixed(2)} ms, p90 ${r.p90Ms.toFixed(2)} ms, ` +
    `${r.throughputPerS.toFixed(1)} examples/s (batch ${r.batch}, ${r.runs} runs, ${r.backend}` +
    `${r.graph ? " graph" : ""})`;
}

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage: "deno task models [--json] [--models a,b] [--classes N] [--latency]",
    description:
      "Summaries, parameter counts, FLOPs and (optionally) latency of the architectures.",
    flags: {
      json: { type: "boolean", help: "one JSON object per model and line, instead of text" },
      models: { type: "string", default: MODEL_NAMES.join(","), help: "comma-separated models" },
      classes: { type: "string", default: "10", help: "number of classes" },
      input: { type: "string", default: "128x128x1", help: "input shape HxW[xC]" },
      seed: { type: "string", default: "42", help: "initialisation seed" },
      latency: { type: "boolean", help: "also time inference (batch 1 and throughput batch)" },
      warmup: { type: "string", default: "10", help: "untimed runs before timing" },
      runs: { type: "string", default: "100", help: "timed runs at batch 1" },
      "throughput-batch": { type: "string", default: "48", help: "batch for throughput" },
      "throughput-runs": { type: "string", default: "10", help: "timed runs at that batch" },
      backend: { type: "string", default: "auto", help: `one of ${BACKENDS.join(", ")}` },
      threads: { type: "string", help: "wasm threads (default: the backend's choice)" },
    },
  });
  const models = parseModels(String(values.models));
  const numClasses = intFlag(values, "classes", 2);
  const inputShape = parseInput(String(values.input));
  const seed = intFlag(values, "seed");
  const json = values.json === true;
  const timing = values.latency === true;
  const warmup = intFlag(values, "warmup", 0);
  const runs = intFlag(values, "runs", 1);
  const tBatch = intFlag(values, "throughput-batch", 1);
  const tRuns = intFlag(values, "throughput-runs", 1);
  const backend = choiceFlag(values, "backend", BACKENDS);

  const threads = values.threads === undefined ? undefined : intFlag(values, "threads", 1);
  const info = await initBackend({ backend, quiet: json, ...(threads ? { threads } : {}) });
  const rows = [[
    "Model",
    "Trainable",
    "Non-trainable",
    "FLOPs (G)",
    ...(timing ? ["Latency ms (b1)"] : []),
  ]];
  try {
    for (const name of models) {
      const model = buildModel(name, { numClasses, inputShape, seed });
      const flops = modelFlops(model);
      let latency: LatencyResult | undefined;
      let throughput: LatencyResult | undefined;
      if (timing) {
        if (!json) {
          log(`${name}: timing on ${info.name}${info.device ? ` (${info.device})` : ""} ...`);
        }
        latency = await measureLatency(model, { warmup, runs, batch: 1 });
        throughput = await measureLatency(model, {
          warmup: Math.min(warmup, 2),
          runs: tRuns,
          batch: tBatch,
        });
      }
      if (json) {
        console.log(JSON.stringify({
          model: name,
          inputShape,
          numClasses,
          seed,
          params: paramCounts(model),
          flops: flops.total,
          flopsG: flops.total / 1e9,
          convDenseFlops: flops.convDense,
          layers: model.layers.map((l, i) => ({
            name: l.name,
            className: l.getClassName(),
            outputShape: l.outputShape,
            params: l.countParams(),
            flops: flops.perLayer[i]!.flops,
          })),
          backend: info.name,
          threads: info.threads,
          ...(info.device ? { device: info.device } : {}),
          ...(latency ? { latency, throughput } : {}),
        }));
      } else {
        console.log(modelSummary(model, flops));
        const p = paramCounts(model);
        rows.push([
          name,
          p.trainable.toLocaleString("en-US"),
          p.nonTrainable.toLocaleString("en-US"),
          (flops.total / 1e9).toFixed(4),
          ...(latency ? [latency.medianMs.toFixed(2)] : []),
        ]);
        if (latency && throughput) {
          console.log(latencyLine("Latency", latency));
          console.log(latencyLine("Throughput", throughput));
          console.log(`Backend: ${info.name}, threads ${info.threads}`);
        }
        console.log();
      }
      model.dispose();
    }
    if (!json && rows.length > 1) {
      console.log(
        `All models, input ${inputShape.join("×")}, ${numClasses} classes ` +
          `(forward FLOPs per example; conventions in mod/flops.ts):`,
      );
      console.log(table(rows));
    }
  } finally {
    shutdownBackend();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => "| " + r.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |")
    .toSpliced(1, 0, "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|")
    .join("\n");
}

if (import.meta.main) await runMain(main);
