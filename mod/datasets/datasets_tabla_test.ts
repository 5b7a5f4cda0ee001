import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../_assert.ts";
import { put, wavClip } from "./_dataset_trees.ts";
import { UserError } from "../cli.ts";
import { listTabla, TABLA, TABLA_TAALS } from "./datasets_tabla.ts";
import { readNpy } from "../npy.ts";
import { AUDIO_EXTENSIONS } from "../audio/audio.ts";
import { prepareDataset } from "../prepare/prepare.ts";

Deno.test("listTabla: file_name.csv labels wavfiles/; unknown label, missing, repeated, unlisted reported", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const f of ["dadra01.wav", "Ektal02.WAV", "trital03.wav", "x.wav", "y.wav", "stray.wav"]) {
      await put(join(root, "wavfiles", f), wavClip(0, 0, 0.05));
    }
    await put(join(root, "wavfiles/notes.txt"), "x");
    await put(
      join(root, "file_name.csv"),
      "fname,label\r\n" +
        "dadra01.wav,Dadra\r\n" +
        "ektal02.wav, ektal \r\n" + // case differs in name and label
        "wavfiles/trital03,TRITAL\r\n" + // a folder part, no extension
        "gone.wav,Rupak\r\n" + // missing file
        "x.wav,Qawwali\r\n" + // unknown taal
        "dadra01.wav,Dadra\r\n" + // listed again, same label
        "y.wav,Bhajani\r\n" +
        "y.wav,Jhaptal\r\n" + // listed again, another label: dropped
        ",Dadra\r\n",
    );
    const l = await listTabla(root);
    assertEquals(l.dataDir, root);
    assertEquals(l.labels, [...TABLA_TAALS]);
    assertEquals(l.items, [
      { path: "wavfiles/Ektal02.WAV", label: 4 },
      { path: "wavfiles/dadra01.wav", label: 2 },
      { path: "wavfiles/trital03.wav", label: 7 },
    ]);
    assertEquals(l.skipped, [
      { path: "file_name.csv (CSV record 10)", reason: "empty fname" },
      {
        path: "wavfiles/dadra01.wav",
        reason: "file_name.csv (CSV record 7): listed again (first in record 2)",
      },
      {
        path: "wavfiles/gone.wav",
        reason: "file_name.csv (CSV record 5): no such file in wavfiles/",
      },
      {
        path: "wavfiles/notes.txt",
        reason: `not an audio file (readable: ${AUDIO_EXTENSIONS.join(" ")})`,
      },
      { path: "wavfiles/stray.wav", reason: "not listed in file_name.csv" },
      {
        path: "wavfiles/x.wav",
        reason: 'file_name.csv (CSV record 6): unknown taal "Qawwali" (one of ' +
          "Addhatrital, Bhajani, Dadra, Deepchandi, Ektal, Jhaptal, Rupak, Trital)",
      },
      {
        path: "wavfiles/y.wav",
        reason: "file_name.csv (CSV record 9): listed again as Jhaptal (as Bhajani in record 8); " +
          "dropped",
      },
    ]);
    assertEquals((await listTabla(join(root, "wavfiles"))).items, l.items);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("listTabla: missing folder, missing or headerless CSV → UserError", async () => {
  const root = await Deno.makeTempDir();
  try {
    await assertRejects(() => listTabla(root), UserError, "wavfiles/*.wav");
    await put(join(root, "wavfiles/a.wav"), wavClip(0, 0, 0.05));
    await assertRejects(() => listTabla(root), UserError, "file_name.csv is missing");
    await put(join(root, "file_name.csv"), "name,taal\na.wav,Dadra\n");
    await assertRejects(() => listTabla(root), UserError, "fname and label");
    await put(join(root, "file_name.csv"), "fname,label\nb.wav,Dadra\n");
    await assertRejects(() => listTabla(root), UserError, "no usable tabla clip");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("tabla setup end to end: one 128×130 example per clip, per-mel scaler, 80/10/10", async () => {
  const root = await Deno.makeTempDir();
  try {
    const rows = ["fname,label"];
    const taals = ["Dadra", "Ektal", "Trital"];
    for (const [c, taal] of taals.entries()) {
      for (let k = 0; k < 10; k++) {
        const name = `${taal.toLowerCase()}${k}.wav`;
        // short clips are zero-padded to 3 s, long ones cropped
        await put(join(root, "wavfiles", name), wavClip(c, k, k % 2 ? 1.5 : 3.5));
        rows.push(`${name},${taal}`);
      }
    }
    await put(join(root, "wavfiles/bad.wav"), new Uint8Array(100));
    rows.push("bad.wav,Rupak", "ghost.wav,Dadra");
    await put(join(root, "file_name.csv"), rows.join("\n") + "\n");
    const out = join(root, "out");
    const r = await prepareDataset(TABLA, {
      dataDir: root,
      out,
      workers: 0,
      progress: false,
      warn: () => {},
    });
    // per taal: 10 → 8/1/1; the corrupt Rupak clip alone in its class goes to train, then skipped
    assertEquals(r.counts, {
      train: { files: 24, examples: 24 },
      val: { files: 3, examples: 3 },
      test: { files: 3, examples: 3 },
    });
    const X = await readNpy(join(out, "X_train.npy"));
    assertEquals(X.shape, [24, 128, 130, 1]);
    assertEquals((await readNpy(join(out, "X_test.npy"))).shape, [3, 128, 130, 1]);
    const m = r.manifest;
    assertEquals(m.skipped.map((s) => s.path), [
      "wavfiles/ghost.wav", // listing: no such file
      "wavfiles/bad.wav", // pipeline: not audio
    ]);
    assertEquals(m.files.find((f) => f.path === "wavfiles/dadra1.wav")!.padded, true);
    const scaler = m.scaler as { kind: string; stats_shape: number[] };
    assertEquals([scaler.kind, scaler.stats_shape], ["per-mel", [128]]);
    // per-mel standardisation: each mel band of the training set has mean 0 over clips and frames
    const x = X.data as Float32Array;
    for (const mel of [0, 40, 127]) {
      let s = 0;
      for (let n = 0; n < 24; n++) {
        for (let t = 0; t < 130; t++) s += x[(n * 128 + mel) * 130 + t]!;
      }
      assertAlmostEquals(s / (24 * 130), 0, 1e-4);
    }
    assert(m.labels.length === 8);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
