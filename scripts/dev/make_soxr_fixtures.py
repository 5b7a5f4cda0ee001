#!/usr/bin/env python3
"""Reference outputs of soxr "HQ" (librosa's default resampler) for mod/audio/resample_test.ts.

Dev-only: the project's tests and tasks never run Python. To regenerate:

    python3 -m venv /tmp/soxr-venv && /tmp/soxr-venv/bin/pip install soxr==1.1.0 numpy
    /tmp/soxr-venv/bin/python scripts/dev/make_soxr_fixtures.py

For each input rate in RATES, two 0.2 s signals are resampled to 22,050 Hz with
`soxr.resample(x, rate, 22050, quality="HQ")` (what `librosa.load(path, sr=22050)` calls, before
librosa pads or trims to ceil(n * 22050 / rate) samples), and the float32 outputs are written as
`mod/audio/testdata/soxr/<rate>.npy`, shape [2, n_out] (row 0: sweep, row 1: noise). The inputs
are not stored: resample_test.ts rebuilds them from the formulas below, bit for bit (the noise is
integer arithmetic; the sweep is float64 `sin` then float32, where libm and V8 agree to the last
float32 bit but for rare 1-ulp cases), and checks them against the checksums in `meta.json`.

- sweep: x[i] = float32(0.5 * sin(pi * (rate / 2) * t**2 / T)), t = i / rate, T = n / rate:
  a linear chirp from 0 Hz to the input's Nyquist frequency (so its second part, above 11,025 Hz,
  must be rejected);
- noise: s = (1664525 * s + 1013904223) mod 2**32 from s = rate, then
  x[i] = (s >> 8) / 2**24 - 0.5 (uniform white noise, exact in float32).
"""
import json
import os
import sys

import numpy as np
import soxr

RATES = [44100, 48000, 16000, 32000, 96000]
TARGET = 22050
SECONDS = 0.2
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "mod", "audio", "testdata", "soxr")


def sweep(rate: int) -> np.ndarray:
    n = round(SECONDS * rate)
    t = np.arange(n, dtype=np.float64) / rate
    T = n / rate
    return (0.5 * np.sin(np.pi * (rate / 2) * t * t / T)).astype(np.float32)


def noise(rate: int) -> np.ndarray:
    n = round(SECONDS * rate)
    out = np.empty(n, dtype=np.float32)
    s = rate
    for i in range(n):
        s = (1664525 * s + 1013904223) % 2**32
        out[i] = (s >> 8) / 2**24 - 0.5
    return out


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    meta = {
        "generator": "scripts/dev/make_soxr_fixtures.py",
        "soxr_python": soxr.__version__,
        "libsoxr": "0.1.3 (bundled by python-soxr)",
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "quality": "HQ",
        "target_rate": TARGET,
        "seconds": SECONDS,
        "rows": ["sweep", "noise"],
        "rates": {},
    }
    for rate in RATES:
        rows, sums = [], []
        n_out = -(-round(SECONDS * rate) * TARGET // rate)  # ceil, as librosa pads/trims to
        for x in (sweep(rate), noise(rate)):
            y = soxr.resample(x, rate, TARGET, quality="HQ").astype(np.float32)
            y = np.pad(y, (0, max(0, n_out - len(y))))[:n_out]
            rows.append(y)
            sums.append([float(np.sum(x, dtype=np.float64)), float(np.sum(np.float64(x) ** 2))])
        np.save(os.path.join(OUT, f"{rate}.npy"), np.stack(rows))
        meta["rates"][str(rate)] = {"input_samples": round(SECONDS * rate), "output_samples": n_out,
                                     "input_sum_sumsq": sums}
        print(f"{rate} -> {TARGET}: {n_out} samples")
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
