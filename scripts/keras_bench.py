#!/usr/bin/env python3
"""Side-by-side reference for `deno task bench --only engine --keras`: the same models, batch,
steps and threads in Keras 3 on TensorFlow (CPU), printing one JSON line per figure, in the bench's
line format, on stdout.

The models are not re-written in Python: the bench writes each tfjs model's topology
(`model.toJSON()`, Keras's own functional-model config) to `<models-dir>/<name>.json`, and this
script rebuilds it with `keras.Model.from_config` (same layers, same parameter counts, printed).

Optional, dev-only: it runs only when a Python with TensorFlow and Keras 3 is present
(`deno task engine:native --keras` makes one in `.native/keras/`; or set `MGC_KERAS_PYTHON`).
Nothing in the project needs it.

Usage: keras_bench.py --models-dir DIR --models a,b --batch 48 --steps 3 --threads 2
                      [--latency-runs 100] [--warmup 2]
"""
import argparse
import json
import os
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models-dir", required=True)
    p.add_argument("--models", required=True, help="comma-separated model names")
    p.add_argument("--batch", type=int, default=48)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--latency-runs", type=int, default=100)
    p.add_argument("--warmup", type=int, default=2, help="untimed training steps first")
    a = p.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    try:
        import numpy as np
        import tensorflow as tf
        import keras
    except ImportError as e:
        print(f"keras_bench: needs tensorflow and keras ({e})", file=sys.stderr)
        return 3
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    context = {
        "backend": "keras",
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "threads": a.threads,
        "batch": a.batch,
    }

    def emit(name: str, value: float, unit: str, **extra) -> None:
        print(json.dumps({"name": name, "value": value, "unit": unit, **context, **extra}),
              flush=True)

    rng = np.random.default_rng(1)
    for name in a.models.split(","):
        with open(os.path.join(a.models_dir, f"{name}.json")) as f:
            cfg = json.load(f)
        model = keras.Model.from_config(cfg["config"])
        shape = tuple(model.input_shape[1:])
        classes = model.output_shape[-1]
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
        x = rng.standard_normal((a.batch, *shape)).astype("float32")
        y = np.eye(classes, dtype="float32")[np.arange(a.batch) % classes]
        for _ in range(a.warmup):
            model.train_on_batch(x, y)
        t0 = time.perf_counter()
        for _ in range(a.steps):
            model.train_on_batch(x, y)
        sps = a.batch * a.steps / (time.perf_counter() - t0)
        emit(f"train_samples_per_s:{name}", sps, "samples/s", params=model.count_params())

        x1 = rng.standard_normal((1, *shape)).astype("float32")
        for _ in range(10):
            model.predict_on_batch(x1)
        times = []
        for _ in range(max(1, a.latency_runs)):
            t0 = time.perf_counter()
            model.predict_on_batch(x1)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        emit(f"latency_ms:{name}", times[len(times) // 2], "ms")
        del model
        keras.backend.clear_session()
    return 0


if __name__ == "__main__":
    sys.exit(main())
