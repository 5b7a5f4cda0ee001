/**
 * The optional Keras side of `deno task bench --only engine`: finds a Python with TensorFlow and
 * Keras 3 (`MGC_KERAS_PYTHON`, else `.native/keras/bin/python` from `deno task engine:native
 * --keras`, else `python3`), and runs `scripts/keras_bench.py` on the same model topologies,
 * batch, steps and threads.
 *
 * @module
 */
import { join } from "node:path";
import { buildModel, type ModelName } from "../mod/models/mod.ts";
import { nativeRoot } from "../mod/engine/mod.ts";

/** A Python that imports TensorFlow and Keras 3, with their versions. */
export interface KerasPython {
  python: string;
  keras: string;
  tensorflow: string;
}

/** One figure from keras_bench.py (the bench's line format). */
export interface KerasRow {
  name: string;
  value: number;
  unit: string;
  [context: string]: unknown;
}

/** The first Python with TensorFlow and Keras 3, or null (with the reason). */
export async function findKerasPython(
  explicit?: string,
): Promise<KerasPython | { missing: string }> {
  const candidates = explicit ? [explicit] : [
    Deno.env.get("MGC_KERAS_PYTHON"),
    join(nativeRoot(), "keras", "bin", "python"),
    "python3",
  ].filter((p): p is string => !!p);
  const tried: string[] = [];
  for (const python of candidates) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-c", "import tensorflow as tf, keras; print(keras.__version__, tf.__version__)"],
        env: { TF_CPP_MIN_LOG_LEVEL: "3" },
        stdout: "piped",
        stderr: "null",
      }).output();
      const [keras, tensorflow] = new TextDecoder().decode(out.stdout).trim().split(/\s+/);
      if (out.code === 0 && keras?.startsWith("3.")) {
        return { python, keras, tensorflow: tensorflow ?? "?" };
      }
      tried.push(`${python}: ${out.code === 0 ? `Keras ${keras}, not 3` : "no tensorflow/keras"}`);
    } catch (e) {
      tried.push(
        `${python}: ${e instanceof Deno.errors.NotFound ? "not found" : (e as Error).message}`,
      );
    }
  }
  return { missing: tried.join("; ") };
}

/**
 * Runs keras_bench.py for `models` with the bench's settings; returns its rows (training
 * samples/s and batch-1 latency per model).
 */
export async function runKerasBench(
  py: KerasPython,
  options: {
    models: ModelName[];
    batch: number;
    steps: number;
    threads: number;
    latencyRuns: number;
  },
): Promise<KerasRow[]> {
  const dir = await Deno.makeTempDir({ prefix: "mgc-keras-" });
  try {
    for (const name of options.models) {
      const model = buildModel(name, { seed: 42 });
      await Deno.writeTextFile(
        join(dir, `${name}.json`),
        JSON.stringify(model.toJSON(null, false)),
      );
      model.dispose();
    }
    const script = join(import.meta.dirname ?? "scripts", "keras_bench.py");
    const out = await new Deno.Command(py.python, {
      args: [
        script,
        "--models-dir",
        dir,
        "--models",
        options.models.join(","),
        "--batch",
        String(options.batch),
        "--steps",
        String(options.steps),
        "--warmup",
        "1",
        "--threads",
        String(options.threads),
        "--latency-runs",
        String(options.latencyRuns),
      ],
      env: { TF_CPP_MIN_LOG_LEVEL: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (out.code !== 0) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
      throw new Error(`keras_bench.py exited ${out.code}: ${err}`);
    }
    return text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
