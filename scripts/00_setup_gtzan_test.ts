import { join } from "node:path";
import { assert, assertEquals } from "../mod/_assert.ts";
import { makeGenreTree } from "../mod/datasets/_testutil.ts";
import { writeMixedGenreFolder } from "../mod/datasets/_bad_audio.ts";
import { allFinite } from "../mod/finite.ts";
import { readNpy } from "../mod/npy.ts";

const SCRIPT = new URL("./00_setup_gtzan.ts", import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-RWE", "--allow-sys", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
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
