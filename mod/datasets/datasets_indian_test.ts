import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { fixtureMp3, put, wavClip } from "./_dataset_trees.ts";
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
    const l = await listIndian(root);
    assertEquals(l.dataDir, join(root, "genrenew"));
    assertEquals(l.labels, [...INDIAN_CLASSES]);
    assertEquals(l.items.length, 10);
    assertEquals(l.items[2], { path: "carnatic/carnatic0.mp3", label: 1 });
    assertEquals(l.skipped, [{
      path: "sufi/cover.jpg",
      reason: `not an audio file (readable: ${AUDIO_EXTENSIONS.join(" ")})`,
    }]);
    assertEquals(l.layout, "genrenew/<class>/<file>.{mp3,wav}");
    assertEquals((await listIndian(join(root, "genrenew"))).items, l.items);

    await Deno.remove(join(root, "genrenew/ghazal"), { recursive: true });
    await put(join(root, "genrenew/qawwali/q.wav"), wavClip(0, 0, 0.1));
    const odd = await listIndian(root);
    assert(odd.layout.includes("missing ghazal unexpected qawwali"), odd.layout);

    await assertRejects(() => listIndian(join(root, "none")), UserError, "genrenew/<class>/");
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
