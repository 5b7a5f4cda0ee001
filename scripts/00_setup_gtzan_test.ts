import { join } from "node:path";
import { assert, assertEquals } from "../mod/_assert.ts";
import { makeGenreTree } from "../mod/datasets/_testutil.ts";
import { put, wavClip } from "../mod/datasets/_dataset_trees.ts";
import { checkSetupInterrupt } from "../mod/_interrupt_testutil.ts";

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
