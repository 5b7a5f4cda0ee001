#!/usr/bin/env python3
"""The resampler against librosa's default path: log-mels of 44.1/48 kHz WAV and MP3 files.

Dev-only (the project never needs Python). Needs librosa (0.11: `librosa.load(path, sr=22050)`
resamples with soxr "HQ"), soxr and lameenc:

    python3 -m venv /tmp/mel-venv && /tmp/mel-venv/bin/pip install librosa soxr lameenc
    deno run -RW scripts/dev/resampler_clips.ts --out /tmp/clips      # 44.1 and 48 kHz WAVs
    /tmp/mel-venv/bin/python scripts/dev/compare_resampled_mels.py /tmp/clips [--old DIR]

Every `<rate>/*.wav` under the folder is also encoded to MP3 (LAME via lameenc, 256 kbit/s joint
stereo) beside it. For each WAV and MP3, `deno task mel FILE --segments all` (this checkout; with
`--old DIR`, also the checkout in DIR, e.g. the commit before the resampler changed) gives the
log-mels, [segments, 128, 128], and librosa gives the reference the same way: `librosa.load(path,
sr=22050)`, segments of 65,488 samples, `power_to_db(melspectrogram(y=seg, sr=22050), ref=np.max)`.
Prints a Markdown table of |ours − librosa| in dB per mel band (mean over every frame of every
segment of every file; also the largest single value), by rate and format, and the overall means.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import wave

import librosa
import numpy as np

SR, SEG, N_MELS = 22050, 65488, 128


def encode_mp3(wav_path: str) -> str:
    import lameenc
    mp3 = wav_path[:-4] + ".mp3"
    if os.path.exists(mp3):
        return mp3
    with wave.open(wav_path) as w:
        rate, ch, pcm = w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())
    enc = lameenc.Encoder()
    enc.set_bit_rate(256)
    enc.set_in_sample_rate(rate)
    enc.set_channels(ch)
    enc.set_quality(2)
    with open(mp3, "wb") as f:
        f.write(enc.encode(pcm) + enc.flush())
    return mp3


def librosa_mels(path: str) -> np.ndarray:
    y, _ = librosa.load(path, sr=SR)
    segs = [y[i * SEG:(i + 1) * SEG] for i in range(len(y) // SEG)]
    return np.stack([librosa.power_to_db(librosa.feature.melspectrogram(y=s, sr=SR), ref=np.max)
                     for s in segs]).astype(np.float32)


def deno_mels(tree: str, path: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "mel.npy")
        subprocess.run(["deno", "task", "-q", "mel", os.path.abspath(path), "--out", out,
                        "--segments", "all"], cwd=tree, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        return np.load(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("clips", help="folder written by scripts/dev/resampler_clips.ts")
    ap.add_argument("--old", help="another checkout to compare too (e.g. before the change)")
    ap.add_argument("--json", help="also write the per-band figures here")
    args = ap.parse_args()
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    trees = {"new": here, **({"old": args.old} if args.old else {})}
    groups: dict = {}  # (tree, rate, fmt) -> list of |diff| arrays [n, 128, 128]
    for wav in sorted(glob.glob(os.path.join(args.clips, "*", "*.wav"))):
        rate = os.path.basename(os.path.dirname(wav))
        for path in (wav, encode_mp3(wav)):
            fmt = path[-3:]
            ref = librosa_mels(path)
            for name, tree in trees.items():
                ours = deno_mels(tree, path)
                n = min(len(ours), len(ref))
                groups.setdefault((name, rate, fmt), []).append(np.abs(ours[:n] - ref[:n]))
            print(f"{path}: {len(ref)} segments", file=sys.stderr)
    freqs = librosa.mel_frequencies(N_MELS + 2, fmax=SR / 2)[1:-1]
    cols = sorted(groups)
    stats = {c: np.concatenate(groups[c]) for c in cols}
    mean = {c: stats[c].mean(axis=(0, 2)) for c in cols}
    peak = {c: stats[c].max(axis=(0, 2)) for c in cols}
    head = [f"{t} {r} {f}" for (t, r, f) in cols]
    print("| band | centre Hz | " + " | ".join(f"{h} mean (max)" for h in head) + " |")
    print("|---:|---:|" + "---:|" * len(cols))
    for b in range(N_MELS):
        cells = [f"{mean[c][b]:.4f} ({peak[c][b]:.2f})" for c in cols]
        print(f"| {b} | {freqs[b]:.0f} | " + " | ".join(cells) + " |")
    print("| **all** | | " + " | ".join(f"**{stats[c].mean():.4f}** ({stats[c].max():.2f})"
                                       for c in cols) + " |")
    lo = freqs <= 10000
    for c in cols:
        print(f"{' '.join(c)}: overall mean {stats[c].mean():.4f} dB; worst band mean "
              f"<= 10 kHz {mean[c][lo].max():.4f} dB, above {mean[c][~lo].max():.4f} dB",
              file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"librosa": librosa.__version__, "freqs": freqs.tolist(),
                       "columns": [" ".join(c) for c in cols],
                       "mean": [mean[c].tolist() for c in cols],
                       "max": [peak[c].tolist() for c in cols],
                       "overall": [float(stats[c].mean()) for c in cols]}, f)


if __name__ == "__main__":
    main()
