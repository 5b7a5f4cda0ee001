import { join } from "node:path";
import { assert, assertEquals } from "../mod/_assert.ts";
import { put, wavClip } from "../mod/datasets/_dataset_trees.ts";
import { readNpy } from "../mod/npy.ts";
import { runScript } from "./_setup_testutil.ts";

Deno.test("tabla:setup script: 128×130 clips, per-mel scaler, bad rows listed, exit codes", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_tabla_setup_" });
  try {
    const rows = ["fname,label"];
    for (const [c, taal] of ["Dadra", "Rupak"].entries()) {
      for (let k = 0; k < 10; k++) {
        await put(join(root, "wavfiles", `${taal}${k}.wav`), wavClip(c, k, 1));
        rows.push(`${taal}${k}.wav,${taal}`);
      }
    }
    rows.push("Dadra0.wav,Kaharwa");
    await put(join(root, "file_name.csv"), rows.join("\n"));
    const out = join(root, "out");
    const r = await runScript("05_setup_tabla.ts", [
      "--data-dir",
      join(root, "wavfiles"),
      "--out",
      out,
    ]);
    assertEquals(r.code, 0, r.stderr);
    assert(/train\s+16 files\s+16 clips of 128×130/.test(r.stdout), r.stdout);
    assert(r.stdout.includes("20 files zero-padded"), r.stdout);
    assert(
      r.stdout.includes(
        'wavfiles/Dadra0.wav: file_name.csv (CSV record 22): unknown taal "Kaharwa"',
      ),
      r.stdout,
    );
    assertEquals((await readNpy(join(out, "X_val.npy"))).shape, [2, 128, 130, 1]);
    assertEquals((await readNpy(join(out, "scaler_mean.npy"))).shape, [128]);
    const missing = await runScript("05_setup_tabla.ts", ["--data-dir", join(root, "none")]);
    assertEquals(missing.code, 1);
    assert(missing.stderr.startsWith("error: no tabla audio found"), missing.stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("tabla:setup with only --data-dir (and --list for an oddly named CSV) on every published layout", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_tabla_variants_" });
  try {
    const taals = ["Dadra", "Jhaptal", "Trital"];
    const rows = ["fname,label"];
    const flat = join(root, "flat");
    const perTaal = join(root, "archive", "tablaDataset");
    for (const [c, taal] of taals.entries()) {
      for (let k = 0; k < 4; k++) {
        const name = `${taal} #${k} (1).wav`;
        await put(join(flat, "wavfiles", name), wavClip(c, k, 1));
        await put(
          join(perTaal, taal.toLowerCase(), `${taal.toLowerCase()}${k}.wav`),
          wavClip(c, k, 1),
        );
        rows.push(`"${name}",${taal === "Jhaptal" ? "Zaptal" : taal.toUpperCase()}`);
      }
    }
    rows.push("Gone.wav,Dadra");
    await put(join(flat, "wavfiles", "Stray.wav"), wavClip(0, 9, 1));
    const manifest = join(root, "data/processed/tabla/random/manifest.json");
    // one audio tree; the CSV is written under each name in turn
    for (const name of ["file_name.csv", "test.csv", "train.csv", "taal labels (2021).csv"]) {
      await put(join(flat, name), rows.join("\n") + "\n");
      const extra = name.startsWith("taal") ? ["--list", name] : []; // relative to --data-dir
      const r = await runScript("05_setup_tabla.ts", ["--data-dir", flat, ...extra], { cwd: root });
      assertEquals(r.code, 0, `${name}: ${r.stderr}`);
      const m = JSON.parse(await Deno.readTextFile(manifest));
      assertEquals(m.files.length, 12, name);
      assertEquals(m.dataset.layout, `wavfiles/*.wav + ${name} (fname,label)`);
      assertEquals(
        m.skipped.map((s: { path: string }) => s.path),
        ["wavfiles/Gone.wav", "wavfiles/Stray.wav"],
      );
      assert(r.stdout.includes(`wavfiles/Stray.wav: not listed in ${name}`), r.stdout);
      await Deno.remove(join(flat, name));
    }
    const r = await runScript("05_setup_tabla.ts", ["--data-dir", join(root, "archive")], {
      cwd: root,
    });
    assertEquals(r.code, 0, r.stderr);
    const m = JSON.parse(await Deno.readTextFile(manifest));
    assertEquals([m.dataset.layout, m.files.length], [
      "<taal>/<file>.wav (one folder per taal)",
      12,
    ]);
    assertEquals(new Set(m.files.map((f: { label: string }) => f.label)), new Set(taals));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
