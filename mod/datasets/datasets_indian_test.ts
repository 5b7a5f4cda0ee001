import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { fixtureMp3, put, wavClip } from "./_dataset_trees.ts";
import { corruptFrames, truncateMp3 } from "../audio/_mp3_damage.ts";
import { UserError } from "../cli.ts";
import { INDIAN, INDIAN_CLASSES, listIndian } from "./datasets_indian.ts";
import { readNpy } from "../npy.ts";
import { AUDIO_EXTENSIONS } from "../audio/audio.ts";
import { prepareDataset } from "../prepare/prepare.ts";

/** `<root>/genrenew/<class>/` with 2 clips per class (the carnatic ones as MP3), 4 s each. */
async function makeIndianTree(root: string): Promise<void> {
  const mp3 = await fixtureMp3(2);
  for (const [c, name] of INDIAN_CLASSES.entries()) {
    for (let k = 0; k < 2; k++) {
      const dir = join(root, "genrenew", name);
      if (name === "carnatic") await put(join(dir, `${name}${k}.mp3`), mp3);
      else await put(join(dir, `${name}${k}.wav`), wavClip(c, k, 4));
    }
  }
}

Deno.test("listIndian: genrenew/<class>/ mp3 + wav, from the root or genrenew; odd files reported", async () => {
  const root = await Deno.makeTempDir();
  try {
    await makeIndianTree(root);
    await put(join(root, "genrenew/sufi/cover.jpg"), "x");
    await put(join(root, "genrenew/.DS_Store"), "x");
    await put(join(root, "genrenew/sufi/._sufi0.wav"), "AppleDouble fork");
    const l = await listIndian(root);
    assertEquals(l.dataDir, join(root, "genrenew"));
    assertEquals(l.labels, [...INDIAN_CLASSES]);
    assertEquals(l.items.length, 10);
    assertEquals(l.items[2], { path: "carnatic/carnatic0.mp3", label: 1 });
    assertEquals(l.skipped, [{
      path: "sufi/cover.jpg",
      reason: `not an audio file (readable: ${AUDIO_EXTENSIONS.join(" ")})`,
    }]);
    assertEquals([l.layout, l.warnings], ["genrenew/<class>/<file>.{mp3,wav}", undefined]);
    assertEquals((await listIndian(join(root, "genrenew"))).items, l.items);

    // not the published five: a warning saying which, and the run goes on with what is there
    await Deno.remove(join(root, "genrenew/ghazal"), { recursive: true });
    await put(join(root, "genrenew/qawwali/q.wav"), wavClip(0, 0, 0.1));
    const odd = await listIndian(root);
    assertEquals(odd.labels, ["bollypop", "carnatic", "qawwali", "semiclassical", "sufi"]);
    assertEquals(odd.warnings?.length, 1);
    assert(odd.warnings![0]!.includes("missing ghazal; unexpected qawwali;"), odd.warnings![0]);

    await assertRejects(() => listIndian(join(root, "none")), UserError, "genrenew/<class>/");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("listIndian: extra top folder, capitalised class names, a class's audio one folder deeper", async () => {
  const root = await Deno.makeTempDir();
  try {
    const top = join(root, "Indian Music Genre Dataset", "genrenew");
    const folders = ["Bollypop", "CARNATIC", "Ghazal/Ghazal songs", "Semi-Classical", "sufi"];
    for (const [c, f] of folders.entries()) {
      for (let k = 0; k < 2; k++) await put(join(top, f, `clip ${k} (${c}).WAV`), wavClip(c, k, 1));
    }
    await put(
      join(root, "__MACOSX/Indian Music Genre Dataset/genrenew/sufi/._clip 0 (4).WAV"),
      "x",
    );
    const l = await listIndian(root);
    assertEquals(l.dataDir, top);
    assertEquals(l.labels, [...INDIAN_CLASSES]);
    assertEquals(l.warnings, undefined); // the published five, whatever their case
    assertEquals(l.skipped, []);
    assertEquals(l.items.length, 10);
    assertEquals(l.items.filter((i) => i.label === 2).map((i) => i.path), [
      "Ghazal/Ghazal songs/clip 0 (2).WAV",
      "Ghazal/Ghazal songs/clip 1 (2).WAV",
    ]);
    assertEquals(l.items.find((i) => i.path.startsWith("Semi-Classical/"))!.label, 3);
    assert(l.layout.includes("one folder below the class folder for Ghazal"), l.layout);
    // two folders that are one class are merged, with a warning
    await put(join(top, "Sufi/extra.wav"), wavClip(4, 9, 1));
    const merged = await listIndian(root);
    assertEquals(merged.labels, [...INDIAN_CLASSES]);
    assertEquals(merged.items.filter((i) => i.label === 4).length, 3);
    assert(merged.warnings![0]!.includes("Sufi, sufi are all sufi: merged"), merged.warnings![0]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Indian setup end to end: 128×64 segments, zero-padded, per-position scaler; corrupt file skipped", async () => {
  const root = await Deno.makeTempDir();
  try {
    await makeIndianTree(root);
    await put(join(root, "genrenew/sufi/sufi9.wav"), new TextEncoder().encode("RIFF not a wav"));
    const out = join(root, "out");
    const r = await prepareDataset(INDIAN, {
      dataDir: root,
      out,
      workers: 0,
      progress: false,
      warn: () => {},
    });
    // 11 listed files: keras two-step sizes ceil(0.2·11) = 3 test, ceil(0.25·8) = 2 val, 6 train;
    // the corrupt one is skipped from its part; every clip of 4 s gives 2 segments
    const m = r.manifest;
    const bad = m.files.find((f) => f.path === "sufi/sufi9.wav")!;
    assertEquals(bad.status, "skipped");
    const files = { train: 6, val: 2, test: 3 };
    files[bad.split!]--;
    for (const s of ["train", "val", "test"] as const) {
      assertEquals(r.counts[s], { files: files[s], examples: 2 * files[s] });
      assertEquals((await readNpy(join(out, `X_${s}.npy`))).shape, [2 * files[s], 128, 64, 1]);
    }
    assertEquals(m.split.kind, "keras-two-step");
    const scaler = m.scaler as { kind: string; stats_shape: number[] };
    assertEquals([scaler.kind, scaler.stats_shape], ["per-position", [128, 64]]);
    assertEquals(m.skipped.map((s) => s.path), ["sufi/sufi9.wav"]);
    const wav = m.files.find((f) => f.path === "bollypop/bollypop0.wav")!;
    assertEquals([wav.examples, wav.padded], [2, true]); // 4 s → 3 s + 1 s zero-padded
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Indian setup on a damaged copy: nested, capitalised, an MP3 with corrupt frames and a truncated one", async () => {
  const root = await Deno.makeTempDir();
  try {
    const top = join(root, "copy", "genrenew");
    const mp3 = await fixtureMp3(3); // 6.1 s: 3 segments of 3.0 s, the last zero-padded
    for (const [c, name] of ["Bollypop", "Carnatic", "Ghazal", "SemiClassical", "Sufi"].entries()) {
      for (let k = 0; k < 3; k++) await put(join(top, name, `${name} ${k}.mp3`), mp3);
      await put(join(top, name, `${name} #w.wav`), wavClip(c, 0, 4));
    }
    await put(join(top, "Sufi/Sufi 1.mp3"), corruptFrames(mp3, 40, 3));
    await put(join(top, "Carnatic/Carnatic 2.mp3"), truncateMp3(mp3, 100)); // 2.6 s
    await put(join(top, "Ghazal/Ghazal 2.mp3"), truncateMp3(mp3, 30, 10)); // 0.78 s
    await put(join(top, "Ghazal/._Ghazal 0.mp3"), "fork");
    const warnings: string[] = [];
    const r = await prepareDataset(INDIAN, {
      dataDir: root,
      out: join(root, "out"),
      workers: 1,
      progress: false,
      warn: (w) => warnings.push(w),
    });
    const m = r.manifest;
    assertEquals(m.labels, [...INDIAN_CLASSES]);
    assertEquals(m.files.length, 20); // 5 × (3 MP3 + 1 WAV); the fork is not a file of the set
    assertEquals(m.skipped, []); // damaged files are read, not skipped
    const byPath = new Map(m.files.map((f) => [f.path, f]));
    const corrupt = byPath.get("Sufi/Sufi 1.mp3")!;
    assert(corrupt.bad_frames! >= 3 && corrupt.bad_frames! <= 5, `${corrupt.bad_frames}`);
    assertEquals(corrupt.note, `decoded with ${corrupt.bad_frames} bad frames`);
    // 3 frames (0.08 s) fewer: still 3 segments, the last one zero-padded
    assertEquals([corrupt.status, corrupt.examples, corrupt.truncated], ["ok", 3, undefined]);
    const cut = byPath.get("Carnatic/Carnatic 2.mp3")!;
    assertEquals([cut.truncated, cut.examples, cut.bad_frames], [true, 1, undefined]);
    // 100 whole frames of 1152 samples at 44.1 kHz (the fixture's frames carry no LAME tag)
    assertEquals(cut.seconds_read, Math.round(((100 * 1152) / 44100) * 1e6) / 1e6);
    assertEquals(cut.note, `truncated at ${cut.seconds_read!.toFixed(1)} s`);
    // less than a segment left is still one zero-padded segment here (Indian pads the last one)
    const stub = byPath.get("Ghazal/Ghazal 2.mp3")!;
    assertEquals([stub.truncated, stub.examples, stub.padded], [true, 1, true]);
    for (const f of [corrupt, cut, stub]) {
      assert(warnings.includes(`${f.path}: ${f.note}; using what it holds`), warnings.join("\n"));
    }
    // every intact MP3 gives 3 segments, every WAV 2: the arrays hold exactly the files' examples
    const total = m.files.reduce((s, f) => s + f.examples, 0);
    assertEquals(total, 12 * 3 + 5 * 2 + 3 + 1 + 1);
    assertEquals(r.counts.train.examples + r.counts.val.examples + r.counts.test.examples, total);
    for (const s of ["train", "val", "test"] as const) {
      const y = await readNpy(join(root, "out", `y_${s}.npy`));
      assertEquals(y.shape, [r.counts[s].examples]);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
