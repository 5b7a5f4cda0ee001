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
