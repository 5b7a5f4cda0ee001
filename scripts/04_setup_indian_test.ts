import { checkSetupInterrupt } from "../mod/engine/_interrupt_testutil.ts";
import { join } from "node:path";
import { assert, assertEquals } from "../mod/_assert.ts";
import { fixtureMp3, put, wavClip } from "../mod/datasets/_dataset_trees.ts";
import { corruptFrames, truncateMp3 } from "../mod/audio/_mp3_damage.ts";
import { INDIAN_CLASSES } from "../mod/datasets/datasets_indian.ts";
import { readNpy } from "../mod/npy.ts";
import { runScript } from "./_setup_testutil.ts";

Deno.test("indian:setup script: 128×64 segments written, corrupt file listed, exit codes", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_indian_setup_" });
  try {
    for (const [c, name] of INDIAN_CLASSES.entries()) {
      for (let k = 0; k < 2; k++) {
        await put(join(root, "genrenew", name, `${name}${k}.wav`), wavClip(c, k, 3));
      }
    }
    await put(join(root, "genrenew/ghazal/broken.mp3"), new Uint8Array(10));
    const out = join(root, "out");
    const r = await runScript("04_setup_indian.ts", ["--data-dir", root, "--out", out]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.includes("split random, seed 42"), r.stdout);
    assert(r.stdout.includes("ghazal/broken.mp3: "), r.stdout);
    const X = await readNpy(join(out, "X_train.npy"));
    assertEquals(X.shape.slice(1), [128, 64, 1]);
    const missing = await runScript("04_setup_indian.ts", ["--data-dir", join(root, "none")]);
    assertEquals(missing.code, 1);
    assert(missing.stderr.startsWith("error: no Indian music genre audio"), missing.stderr);
    assertEquals((await runScript("04_setup_indian.ts", ["--seed", "x"])).code, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("indian:setup with only --data-dir on every published layout (nested, capitalised, damaged MP3s)", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_indian_variants_" });
  try {
    const mp3 = await fixtureMp3(2); // 4.07 s: 2 segments of 3.0 s
    const standard = join(root, "kaggle");
    const nested = join(root, "copy");
    for (const [c, name] of INDIAN_CLASSES.entries()) {
      await put(join(standard, "genrenew", name, `${name}0.wav`), wavClip(c, 0, 3));
      await put(join(standard, "genrenew", name, `${name}1.mp3`), mp3);
      const folder = name[0]!.toUpperCase() + name.slice(1);
      await put(
        join(nested, "Indian Music Genre Dataset", "genrenew", folder, folder, "a.mp3"),
        mp3,
      );
      await put(
        join(nested, "Indian Music Genre Dataset", "genrenew", folder, folder, "b.wav"),
        wavClip(c, 1, 3),
      );
    }
    await put(
      join(nested, "Indian Music Genre Dataset/genrenew/Sufi/Sufi/c.mp3"),
      corruptFrames(mp3, 30, 2),
    );
    await put(
      join(nested, "Indian Music Genre Dataset/genrenew/Ghazal/Ghazal/d.mp3"),
      truncateMp3(mp3, 90),
    );
    await put(join(nested, "Indian Music Genre Dataset/genrenew/Ghazal/Ghazal/._d.mp3"), "fork");
    const manifest = join(root, "data/processed/indian/random/manifest.json");
    for (const [dir, files] of [[standard, 10], [nested, 12]] as const) {
      const r = await runScript("04_setup_indian.ts", ["--data-dir", dir], { cwd: root });
      assertEquals(r.code, 0, r.stderr);
      const m = JSON.parse(await Deno.readTextFile(manifest));
      assertEquals([m.labels, m.files.length, m.skipped], [[...INDIAN_CLASSES], files, []]);
      if (dir === nested) {
        assert(r.stdout.includes("2 damaged files read as far as possible:"), r.stdout);
        assert(/Sufi\/Sufi\/c\.mp3: decoded with \d bad frames/.test(r.stdout), r.stdout);
        assert(r.stdout.includes("Ghazal/Ghazal/d.mp3: truncated at 2.4 s"), r.stdout);
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "indian:setup: Ctrl-C with extraction workers exits 130, publishes nothing, keeps an earlier output",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "mgc_indian_sigint_" });
    try {
      // 5 classes × 8 MP3s of 30 s (hard links to one file): ≈ 0.1 s of decoding each.
      const mp3 = await fixtureMp3(15);
      for (const name of INDIAN_CLASSES) {
        const first = join(root, "genrenew", name, `${name}0.mp3`);
        await put(first, mp3);
        for (let k = 1; k < 8; k++) {
          await Deno.link(first, join(root, "genrenew", name, `${name}${k}.mp3`));
        }
      }
      const script = new URL("./04_setup_indian.ts", import.meta.url).pathname;
      await checkSetupInterrupt(
        (out) => [
          ...["run", "-RWE", "--allow-sys", script, "--data-dir", root, "--out", out],
          ...["--workers", "1"],
        ],
        join(root, "outputs"),
        { maxExitMs: 3000, overEarlier: true },
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
