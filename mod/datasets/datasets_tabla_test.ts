import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../_assert.ts";
import { put, wavClip } from "./_dataset_trees.ts";
import { UserError } from "../cli.ts";
import { listTabla, taalIndex, TABLA, TABLA_TAALS, tablaConfig } from "./datasets_tabla.ts";
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
    await assertRejects(
      () => listTabla(root),
      UserError,
      "but no file_name.csv, train.csv, test.csv",
    );
    await put(join(root, "file_name.csv"), "path,genre\na.wav,Dadra\n");
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

/** The published CSV's quirks: capitalised labels, Zaptal, odd names, a missing and an unlisted file. */
const ODD_ROWS = [
  "fname,label",
  "Addhatrital01.wav,Addhatrital",
  "Trital 02.wav,Trital",
  '"Dadra #3.wav",DADRA',
  "Ektal03 (1).wav, ektal ",
  "Jhaptal05.wav,Zaptal",
  "rupak (copy).wav,Rupak",
  "Bhaj\u0101ni 07,Bhajani", // NFC, no extension; the file on disk is NFD (as macOS writes it)
  "Bhajani09.wav,Bhajani", // no such file
  "Deepchandi01.wav,Kaharwa", // not a taal
].join("\r\n") + "\r\n";
const ODD_FILES = [
  "Addhatrital01.wav",
  "Trital 02.wav",
  "Dadra #3.wav",
  "Ektal03 (1).wav",
  "Jhaptal05.wav",
  "Rupak (copy).WAV",
  "Bhaja\u0304ni 07.wav",
  "Deepchandi01.wav",
  "unlisted (2).wav",
];

async function makeOddFlat(root: string, csvName: string): Promise<void> {
  for (const [k, f] of ODD_FILES.entries()) {
    await put(join(root, "wavfiles", f), wavClip(k % 3, k, 0.5));
  }
  await put(join(root, "wavfiles", "._Trital 02.wav"), "AppleDouble fork");
  await put(join(root, csvName), ODD_ROWS);
}

Deno.test("taalIndex: any case and spacing, a taal ending, the aliases (Zaptal → Jhaptal)", () => {
  assertEquals(
    ["addhatrital", "BHAJANI", "Dadra ", "Deep-Chandi", "Ek Taal", "Zaptal", "Rupak", "Teentaal"]
      .map(taalIndex),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  assertEquals([taalIndex("Jhaptaal"), taalIndex("Tintal"), taalIndex("Kaharwa")], [
    5,
    7,
    undefined,
  ]);
});

Deno.test("listTabla: the CSV as published (capitalised, Zaptal, odd names, missing and unlisted files) under every name", async () => {
  const expectedItems = [
    { path: "wavfiles/Addhatrital01.wav", label: 0 },
    { path: "wavfiles/Bhaja\u0304ni 07.wav", label: 1 },
    { path: "wavfiles/Dadra #3.wav", label: 2 },
    { path: "wavfiles/Ektal03 (1).wav", label: 4 },
    { path: "wavfiles/Jhaptal05.wav", label: 5 },
    { path: "wavfiles/Rupak (copy).WAV", label: 6 },
    { path: "wavfiles/Trital 02.wav", label: 7 },
  ];
  for (const csv of ["file_name.csv", "test.csv", "train.csv", "labels (v2) #final.csv"]) {
    const root = await Deno.makeTempDir();
    try {
      await makeOddFlat(root, csv);
      const odd = csv.startsWith("labels");
      if (odd) await assertRejects(() => listTabla(root), UserError, "--list FILE");
      const l = await listTabla(root, odd ? { list: csv } : {});
      assertEquals(l.items, expectedItems, csv);
      assertEquals(l.layout, `wavfiles/*.wav + ${csv} (fname,label)`);
      assertEquals(l.skipped, [
        {
          path: "wavfiles/Bhajani09.wav",
          reason: `${csv} (CSV record 9): no such file in wavfiles/`,
        },
        {
          path: "wavfiles/Deepchandi01.wav",
          reason: `${csv} (CSV record 10): unknown taal "Kaharwa" (one of ${
            TABLA_TAALS.join(", ")
          })`,
        },
        { path: "wavfiles/unlisted (2).wav", reason: `not listed in ${csv}` },
      ]);
      // the audio folder itself works as --data-dir too
      const again = await listTabla(join(root, "wavfiles"), odd ? { list: join(root, csv) } : {});
      assertEquals(again.items, expectedItems);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }
});

Deno.test("listTabla: train.csv + test.csv together; one folder per taal (any case, aliases) without a CSV", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const f of ["a.wav", "b.wav", "c.wav"]) {
      await put(join(root, "wavfiles", f), wavClip(0, 0, 0.2));
    }
    await put(join(root, "train.csv"), "fname,label\na.wav,Dadra\nc.wav,Rupak\n");
    await put(join(root, "test.csv"), "fname,label\nb.wav,Ektal\nc.wav,Rupak\na.wav,Trital\n");
    const both = await listTabla(root);
    // c.wav is in both with one label: merged silently; a.wav has two labels: dropped, said why
    assertEquals(both.items, [{ path: "wavfiles/b.wav", label: 4 }, {
      path: "wavfiles/c.wav",
      label: 6,
    }]);
    assertEquals(both.skipped, [{
      path: "wavfiles/a.wav",
      reason:
        "test.csv (CSV record 4): listed again as Trital (as Dadra in train.csv (CSV record 2)); " +
        "dropped",
    }]);

    const per = join(root, "archive");
    const folders = ["addhatrital", "BHAJANI", "zaptal", "Teentaal", "kaharwa"];
    for (const [c, f] of folders.entries()) {
      for (let k = 0; k < 2; k++) {
        await put(join(per, "tablaDataset", f, `${f}${k}.wav`), wavClip(c, k, 0.2));
      }
    }
    await put(join(per, "tablaDataset", ".DS_Store"), "x");
    const l = await listTabla(per);
    assertEquals(l.dataDir, join(per, "tablaDataset"));
    assertEquals(l.layout, "<taal>/<file>.wav (one folder per taal)");
    assertEquals(l.labels, [...TABLA_TAALS]);
    assertEquals(
      l.items.map((i) => [i.path, i.label]),
      [
        ["BHAJANI/BHAJANI0.wav", 1],
        ["BHAJANI/BHAJANI1.wav", 1],
        ["Teentaal/Teentaal0.wav", 7],
        ["Teentaal/Teentaal1.wav", 7],
        ["addhatrital/addhatrital0.wav", 0],
        ["addhatrital/addhatrital1.wav", 0],
        ["zaptal/zaptal0.wav", 5],
        ["zaptal/zaptal1.wav", 5],
      ],
    );
    assertEquals(l.skipped.map((s) => s.path), ["kaharwa/kaharwa0.wav", "kaharwa/kaharwa1.wav"]);
    assert(l.skipped[0]!.reason.startsWith('folder "kaharwa" is not a taal'));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("tabla setup on the published CSV's quirks: arrays hold the listed clips, the manifest says why the rest are out", async () => {
  const root = await Deno.makeTempDir();
  try {
    await makeOddFlat(root, "test.csv");
    // 3 more clips per listed taal so that every taal reaches all three parts
    const rows = [];
    for (const [c, t] of ["Addhatrital", "Dadra", "Trital"].entries()) {
      for (let k = 0; k < 9; k++) {
        await put(join(root, "wavfiles", `${t} extra ${k}.wav`), wavClip(c, k, 0.5));
        rows.push(`${t} extra ${k}.wav,${t.toUpperCase()}`);
      }
    }
    await Deno.writeTextFile(join(root, "test.csv"), rows.join("\n") + "\n", { append: true });
    const out = join(root, "out");
    const r = await prepareDataset(tablaConfig(), {
      dataDir: root,
      out,
      workers: 0,
      progress: false,
      warn: () => {},
    });
    const m = r.manifest;
    assertEquals(m.files.length, 7 + 27); // the listed, known-taal clips that exist
    assertEquals(m.skipped.map((s) => s.path), [
      "wavfiles/Bhajani09.wav",
      "wavfiles/Deepchandi01.wav",
      "wavfiles/unlisted (2).wav",
    ]);
    assertEquals(m.skipped.map((s) => s.reason.split(": ").pop()!.split(" (")[0]), [
      "no such file in wavfiles/",
      'unknown taal "Kaharwa"',
      "not listed in test.csv",
    ]);
    // 10 clips of Addhatrital, Dadra and Trital → 8/1/1 each; the 4 single clips go to train
    assertEquals(r.counts, {
      train: { files: 28, examples: 28 },
      val: { files: 3, examples: 3 },
      test: { files: 3, examples: 3 },
    });
    assertEquals((await readNpy(join(out, "X_train.npy"))).shape, [28, 128, 130, 1]);
    const zap = m.files.find((f) => f.path === "wavfiles/Jhaptal05.wav")!;
    assertEquals([zap.label, zap.status], ["Jhaptal", "ok"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
