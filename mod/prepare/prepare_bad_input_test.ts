// A setup run over a folder mixing every odd and broken file of issue 18 with good ones: exit
// without error, every file in the manifest with its status, arrays and scaler finite.
import { join } from "node:path";
import { assert, assertEquals } from "../_assert.ts";
import { writeMixedGenreFolder } from "../datasets/_bad_audio.ts";
import { AUDIO_EXTENSIONS } from "../audio/audio.ts";
import { type DatasetConfig, GTZAN } from "../datasets/datasets.ts";
import { type FeatureConfig, GTZAN_FEATURES } from "../features/features.ts";
import { allFinite } from "../audio/finite.ts";
import { readNpy } from "../npy.ts";
import { prepareDataset } from "./prepare.ts";

/** GTZAN's recipe at toy size: 3 segments of 4096 samples, 16 mels × 17 frames. */
const SMALL: FeatureConfig = {
  ...GTZAN_FEATURES,
  segmentSamples: 4096,
  maxSegments: 3,
  nFft: 512,
  hop: 256,
  nMels: 16,
  frames: 17,
};
const SMALL_GTZAN: DatasetConfig = { ...GTZAN, features: SMALL };

Deno.test("prepare: a genre folder mixing NaN/Inf float WAVs, truncated WAVs, an MP3 and broken files with good ones", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_prepare_bad_" });
  try {
    const dataDir = join(root, "genres");
    const mixed = await writeMixedGenreFolder(dataDir, SMALL.segmentSamples, 3);
    const out = join(root, "out");
    const warnings: string[] = [];
    for (const workers of [0, 2]) {
      warnings.length = 0;
      const r = await prepareDataset(SMALL_GTZAN, {
        dataDir,
        out,
        workers,
        progress: false,
        warn: (m) => warnings.push(m),
      });
      const m = r.manifest;
      // Every audio-named file is in the manifest, with the status and reason expected.
      assertEquals(m.files.map((f) => f.path), mixed.files.map((f) => f.path));
      for (const [i, want] of mixed.files.entries()) {
        const got = m.files[i]!;
        const what = `${want.path}: ${JSON.stringify(got)}`;
        if (want.status === "ok") {
          assertEquals(got.status, "ok", what);
          assertEquals(got.examples, want.examples, what);
        } else {
          assertEquals(got.status, "skipped", what);
          assert(got.reason?.includes(want.reason!), what);
          assert(m.skipped.some((s) => s.path === want.path && s.reason === got.reason), what);
          assert(warnings.includes(`skipping ${want.path}: ${got.reason}`), what);
        }
        assertEquals(got.truncated, want.truncated, what);
        if (want.truncated) {
          assertEquals(got.seconds_read, got.seconds, what);
          assert(got.note?.startsWith("truncated at "), what);
        }
      }
      // The NaN/Inf files name the count; the cut file kept two of its three segments.
      const byPath = new Map(m.files.map((f) => [f.path, f]));
      assert(byPath.get("blues/blues.00050.wav")!.reason!.startsWith("2 of 12288 samples are"));
      const cut = byPath.get("rock/rock.00051.wav")!;
      assertEquals([cut.seconds, cut.examples], [
        Math.round(((2 * 4096 + 100) / 22050) * 1e6) / 1e6,
        2,
      ]);
      assertEquals(cut.note, "truncated at 0.38 s");
      assertEquals(byPath.get("rock/rock.00052.wav")!.note, "truncated at 0.093 s");
      assert(warnings.includes("rock/rock.00051.wav: truncated at 0.38 s; using what it holds"));
      // Files that are not audio by name are listed as skipped by the listing.
      for (const p of mixed.notAudio) {
        assert(
          m.skipped.some((s) =>
            s.path === p &&
            s.reason === `not an audio file (readable: ${AUDIO_EXTENSIONS.join(" ")})`
          ),
          p,
        );
      }
      assert(!m.files.some((f) => f.path.includes("._")), "AppleDouble forks are ignored");
      // The arrays and the scaler are finite, and the rows are what the ok files gave.
      for (const s of ["train", "val", "test"] as const) {
        const x = await readNpy(join(out, `X_${s}.npy`));
        const rows = m.files.filter((f) => f.split === s && f.status === "ok")
          .reduce((a, f) => a + f.examples, 0);
        assertEquals(x.shape, [rows, 16, 17, 1], s);
        assert(rows > 0, s);
        assert(allFinite(x.data as Float32Array), `X_${s} is finite`);
      }
      for (const f of ["scaler_mean.npy", "scaler_std.npy"]) {
        assert(allFinite((await readNpy(join(out, f))).data as Float64Array), f);
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
