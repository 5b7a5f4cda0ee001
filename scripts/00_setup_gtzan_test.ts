import { put, wavClip } from "../mod/datasets/_dataset_trees.ts";
import { checkSetupInterrupt } from "../mod/engine/_interrupt_testutil.ts";
import { join } from "node:path";
import { assert, assertEquals } from "../mod/_assert.ts";
import { makeGenreTree } from "../mod/datasets/_testutil.ts";
import { writeMixedGenreFolder } from "../mod/datasets/_bad_audio.ts";
import { allFinite } from "../mod/audio/finite.ts";
import { readNpy } from "../mod/npy.ts";

const SCRIPT = new URL("./00_setup_gtzan.ts", import.meta.url).pathname;

async function run(
  args: string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = new URL("../deno.json", import.meta.url).pathname;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-RWE", "--allow-sys", `--config=${config}`, SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
    ...(cwd ? { cwd } : {}),
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

Deno.test("gtzan:setup script: summary on stdout, arrays written, exit codes", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_setup_script_" });
  try {
    // Kaggle layout, 3 s clips (one GTZAN segment each), plus the corrupt file Kaggle ships.
    const data = join(root, "gtzan", "genres_original");
    await makeGenreTree(data, {
      genres: ["blues", "jazz"],
      perGenre: 5,
      samples: 66150,
      format: "wav",
    });
    await Deno.writeFile(join(data, "jazz", "jazz.00054.wav"), new Uint8Array(100));
    const out = join(root, "out");
    const r = await run([
      "--data-dir",
      join(root, "gtzan", "genres"),
      "--out",
      out,
      "--workers",
      "2",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.includes("split random, seed 42"), r.stdout);
    assert(/train\s+6 files\s+6 segments/.test(r.stdout), r.stdout);
    assert(r.stdout.includes("jazz/jazz.00054.wav: "), r.stdout);
    assert(r.stderr.includes("warning: skipping jazz/jazz.00054.wav"), r.stderr);
    // Not the canonical copy (generated clips): the setup runs, and says so everywhere.
    const line = "data: GTZAN 0 of 1000 canonical, 11 differ, 989 missing (list in manifest)";
    assert(r.stdout.includes(`  ${line}\n`), r.stdout);
    assert(r.stderr.includes(`warning: ${line}; the setup goes on with this copy`), r.stderr);
    const { verification: v } = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
    assertEquals([v.status, v.line, v.counts.match, v.not_matching.length], [
      "not canonical",
      line,
      0,
      1000,
    ]);
    assertEquals(v.known_defects[0].path, "jazz/jazz.00054.wav");
    assertEquals(v.known_defects[0].problem, "not a WAV file: no RIFF/WAVE header");
    for (
      const f of ["X_train.npy", "y_val.npy", "track_test.npy", "scaler.json", "manifest.json"]
    ) {
      await Deno.stat(join(out, f));
    }

    const missing = await run(["--data-dir", join(root, "nowhere")]);
    assertEquals(missing.code, 1);
    assert(missing.stderr.startsWith("error: no GTZAN audio found in"), missing.stderr);
    assertEquals(missing.stderr.trim().split("\n").length, 1);

    const bad = await run(["--split", "nope"]);
    assertEquals(bad.code, 2);
    assert(bad.stderr.includes("--split"), bad.stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("gtzan:setup with only --data-dir on every published layout", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_gtzan_variants_" });
  const tree = (dir: string, format: "au" | "wav", firstIndex = 0) =>
    makeGenreTree(dir, {
      genres: ["blues", "jazz"],
      perGenre: 3,
      samples: 66150,
      format,
      firstIndex,
    });
  try {
    // Marsyas genres/ (.au); the Kaggle archive as unzipped (Data/genres_original/, with images,
    // CSVs and macOS forks); a copy mixing .au and .wav tracks
    await tree(join(root, "marsyas", "genres"), "au");
    const kaggle = join(root, "kaggle-zip");
    await tree(join(kaggle, "Data", "genres_original"), "wav");
    await Deno.mkdir(join(kaggle, "Data", "images_original", "blues"), { recursive: true });
    await Deno.writeTextFile(join(kaggle, "Data", "images_original", "blues", "b.png"), "png");
    await Deno.writeTextFile(
      join(kaggle, "Data", "genres_original", "jazz", "._jazz.00000.wav"),
      "x",
    );
    await Deno.mkdir(join(kaggle, "__MACOSX", "Data"), { recursive: true });
    await Deno.writeTextFile(join(kaggle, "__MACOSX", "Data", "._genres_original"), "x");
    const mixed = join(root, "mixed");
    await tree(mixed, "au");
    await tree(mixed, "wav", 3);
    const manifest = join(root, "data/processed/gtzan/random/manifest.json");
    for (const [dir, files] of [[join(root, "marsyas"), 6], [kaggle, 6], [mixed, 12]] as const) {
      const r = await run(["--data-dir", dir], root);
      assertEquals(r.code, 0, r.stderr);
      const m = JSON.parse(await Deno.readTextFile(manifest));
      assertEquals([m.files.length, m.skipped, m.labels], [files, [], ["blues", "jazz"]]);
    }
    // the same track as .au and .wav: one line naming both
    await Deno.copyFile(join(mixed, "jazz/jazz.00004.wav"), join(mixed, "jazz/jazz.00004.au"));
    const twice = await run(["--data-dir", mixed], root);
    assertEquals(twice.code, 1);
    assert(twice.stderr.includes("jazz/jazz.00004.au and jazz/jazz.00004.wav"), twice.stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("gtzan:setup over a folder mixing NaN/Inf, truncated, MP3 and broken files with good ones: exit 0, all in the manifest, finite arrays", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_setup_mixed_" });
  try {
    const data = join(root, "genres");
    const mixed = await writeMixedGenreFolder(data, 65488, 1); // GTZAN segments, 1 per clip
    const out = join(root, "out");
    const r = await run(["--data-dir", data, "--out", out, "--workers", "2"]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.includes("1 truncated files used for what they hold"), r.stdout);
    assert(r.stdout.includes("jazz/jazz.00055.flac: not an audio file"), r.stdout);
    const m = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
    assertEquals(
      m.files.map((f: { path: string; status: string }) => [f.path, f.status]),
      mixed.files.map((f) => [f.path, f.status]),
    );
    const mp3 = m.files.find((f: { path: string }) => f.path === "blues/blues.00052.mp3");
    assertEquals([mp3.status, mp3.examples, mp3.source_rate, mp3.channels], ["ok", 1, 44100, 2]);
    const cut = m.files.find((f: { path: string }) => f.path === "rock/rock.00051.wav");
    assertEquals([cut.truncated, cut.examples, cut.note], [true, 1, "truncated at 3.0 s"]);
    let rows = 0;
    for (const s of ["train", "val", "test"]) {
      const x = await readNpy(join(out, `X_${s}.npy`));
      rows += x.shape[0]!;
      assert(allFinite(x.data as Float32Array), `X_${s} is finite`);
    }
    assertEquals(rows, mixed.files.filter((f) => f.status === "ok").length);
    for (const f of ["scaler_mean.npy", "scaler_std.npy"]) {
      assert(allFinite((await readNpy(join(out, f))).data as Float64Array), f);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "gtzan:setup: Ctrl-C stops within a file, exits 130, publishes nothing and removes its temporary folder",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "mgc_setup_sigint_" });
    try {
      // 2 × 1500 clips of 3 s (one segment each; hard links to one file per genre): a few
      // seconds of extraction, so the SIGINT after the third file lands well before the end.
      const data = join(root, "gtzan", "genres_original");
      for (const [g, genre] of ["blues", "jazz"].entries()) {
        const first = join(data, genre, `${genre}.00000.wav`);
        await put(first, wavClip(g, 0, 3));
        for (let k = 1; k < 1500; k++) {
          await Deno.link(first, join(data, genre, `${genre}.${String(k).padStart(5, "0")}.wav`));
        }
      }
      // --workers 0: extraction on the main thread (a turn of the event loop between files).
      await checkSetupInterrupt(
        (out) => [
          ...["run", "-RWE", "--allow-sys", SCRIPT, "--data-dir", data, "--out", out],
          ...["--workers", "0"],
        ],
        root,
        { maxExitMs: 1500, overEarlier: false },
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
