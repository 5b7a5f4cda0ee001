import { join } from "node:path";
import { assert, assertEquals } from "../mod/_assert.ts";
import { fixtureMp3, type FmaRow, makeFmaTree, put } from "../mod/datasets/_dataset_trees.ts";
import { corruptFrames, truncateMp3 } from "../mod/audio/_mp3_damage.ts";
import { readNpy } from "../mod/npy.ts";
import { runScript } from "./_setup_testutil.ts";

Deno.test("fma:setup script: official and seed protocols, --pad-frames 129, exit codes", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_fma_setup_" });
  try {
    const splits = ["training", "training", "validation", "test"];
    const rows: FmaRow[] = [];
    for (const [g, genre] of ["Folk", "Rock"].entries()) {
      for (let k = 0; k < 4; k++) {
        rows.push({ trackId: 100 * g + k + 2, subset: "small", split: splits[k]!, genre });
      }
    }
    const data = join(root, "fma");
    await makeFmaTree(data, rows, rows.map((r) => r.trackId).filter((id) => id !== 105));
    await put(join(data, "fma_small/000/000003.mp3"), new Uint8Array(64)); // corrupt

    const out = join(root, "official");
    const r = await runScript("03_setup_fma.ts", [
      "--data-dir",
      data,
      "--out",
      out,
      "--pad-frames",
      "129",
      "--workers",
      "1",
    ]);
    assertEquals(r.code, 0, r.stderr);
    assert(/train\s+3 files\s+3 segments of 128×129/.test(r.stdout), r.stdout);
    assert(r.stdout.includes("fma_small/000/000003.mp3: "), r.stdout);
    assert(r.stdout.includes("fma_small/000/000105.mp3: a small-subset track"), r.stdout);
    assertEquals((await readNpy(join(out, "X_train.npy"))).shape, [3, 128, 129, 1]);

    const seed = await runScript("03_setup_fma.ts", [
      "--data-dir",
      join(data, "fma_small"),
      "--protocol",
      "seed",
      "--out",
      join(root, "seed"),
      "--workers",
      "0",
    ]);
    assertEquals(seed.code, 0, seed.stderr);
    assert(seed.stdout.includes("split seed, seed 42"), seed.stdout);
    const manifest = JSON.parse(await Deno.readTextFile(join(root, "seed", "manifest.json")));
    assertEquals(manifest.split.kind, "keras-two-step");
    assertEquals(manifest.files.length, 7); // fewer than 40 per genre: all usable tracks

    const missing = await runScript("03_setup_fma.ts", ["--data-dir", join(root, "none")]);
    assertEquals(missing.code, 1);
    assert(missing.stderr.startsWith("error: no FMA-small found in"), missing.stderr);
    assertEquals((await runScript("03_setup_fma.ts", ["--pad-frames", "130"])).code, 2);
    assertEquals((await runScript("03_setup_fma.ts", ["--protocol", "x"])).code, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fma:setup with only --data-dir: damaged MP3s noted, the artist check printed and recorded", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_fma_variants_" });
  try {
    const rows: FmaRow[] = [];
    const splits = ["training", "training", "validation", "test"];
    for (const [g, genre] of ["Folk", "Rock"].entries()) {
      for (let k = 0; k < 4; k++) {
        rows.push({
          trackId: 10 * g + k + 2,
          subset: "small",
          split: splits[k]!,
          genre,
          artistId: 10 * g + k,
        });
      }
    }
    const data = join(root, "fma");
    await makeFmaTree(data, rows, rows.map((r) => r.trackId));
    const mp3 = await fixtureMp3(2);
    await put(join(data, "fma_small/000/000003.mp3"), corruptFrames(mp3, 20, 1));
    await put(join(data, "fma_small/000/000012.mp3"), truncateMp3(mp3, 120));
    const r = await runScript("03_setup_fma.ts", ["--data-dir", data], { cwd: root });
    assertEquals(r.code, 0, r.stderr);
    assert(
      r.stdout.includes("artists across parts: held: no artist has files in two parts"),
      r.stdout,
    );
    assert(/000003\.mp3: decoded with \d bad frames?/.test(r.stdout), r.stdout);
    assert(r.stdout.includes("000012.mp3: truncated at 3.1 s"), r.stdout);
    const m = JSON.parse(
      await Deno.readTextFile(join(root, "data/processed/fma/official/manifest.json")),
    );
    assertEquals([m.files.length, m.skipped.length, m.grouping.disjoint], [8, 0, true]);
    assertEquals(m.files[0].group, "artist:0");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
