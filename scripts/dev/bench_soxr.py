#!/usr/bin/env python3
"""soxr "HQ" resampling throughput, for `deno task bench` (dev-only, optional).

Prints one JSON line per input rate, {"name": "resample_s_per_s_soxr:<rate>", "value", "unit"}:
seconds of audio resampled to 22,050 Hz per second of CPU time (time.process_time; soxr resamples
one channel on one thread), median of several runs after warm-up, on the same 30 s mono two-tone float32 signal as mod/audio/audio_bench.ts
(0.3·sin(2π·440·t) + 0.1·sin(2π·3000·t)). `deno task bench` runs it when the `python3` on the
PATH has the `soxr` package (`pip install soxr`, e.g. in an activated venv).
"""
import json
import sys
import time

import numpy as np
import soxr

RATES = [44100, 48000, 16000, 32000, 96000]


def main() -> None:
    quick = "--quick" in sys.argv
    runs, warmup = (3, 1) if quick else (15, 3)
    for rate in RATES:
        t = np.arange(30 * rate, dtype=np.float64) / rate
        x = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 3000 * t)).astype(np.float32)
        for _ in range(warmup):
            soxr.resample(x, rate, 22050, quality="HQ")
        ts = []
        for _ in range(runs):
            t0 = time.process_time()
            soxr.resample(x, rate, 22050, quality="HQ")
            ts.append(time.process_time() - t0)
        ts.sort()
        print(json.dumps({"name": f"resample_s_per_s_soxr:{rate}", "value": round(30 / ts[len(ts) // 2]),
                          "unit": "s/s", "clock": "cpu", "fastest_s_per_s": round(30 / ts[0]),
                          "soxr": soxr.__version__}), flush=True)


if __name__ == "__main__":
    main()
