import { join } from "node:path";
import { assert, assertEquals } from "../mod/_assert.ts";
import { makeBundle, TINY_FEATURES } from "../mod/predict/_predict_testutil.ts";
import { clip, wav16 } from "../mod/datasets/_testutil.ts";
import { floatWav, poke } from "../mod/datasets/_bad_audio.ts";
import { initBackend } from "../mod/engine/backend.ts";

await initBackend({ backend: "cpu", quiet: true });

const SCRIPT = new URL("./predict.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const SEG = TINY_FEATURES.segmentSamples;

async function run(
  cwd: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-RWE", "--allow-sys", "--allow-ffi", "--config", CONFIG, SCRIPT, ...args],
    cwd,
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A temp folder with `models/` (a demo and a GTZAN bundle) and `music/` (2 WAVs, 1 corrupt). */
async function fixture(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "mgc_predict_script_" });
  (await makeBundle(join(root, "models", "demo_b"), { dataset: "demo", testAccuracy: 0.9 }))
    .dispose();
  (await makeBundle(join(root, "models", "gtzan_b"), { dataset: "gtzan", testAccuracy: 0.7 }))
    .dispose();
  await Deno.mkdir(join(root, "music", "live"), { recursive: true });
  await Deno.writeFile(join(root, "music", "one.wav"), wav16(clip(0, 1, 3 * SEG, 22050), 22050));
  await Deno.writeFile(
    join(root, "music", "live", "two.wav"),
    wav16(clip(2, 2, 2 * (2 * SEG + 100), 44100), 44100), // 2 segments at 22,050 Hz
  );
  await Deno.writeFile(join(root, "music", "bad.au"), new Uint8Array([0x2e, 0x73, 0x6e, 0x64]));
  return root;
}

Deno.test("deno task predict: one file, text and --json, default model = best GTZAN bundle", async () => {
  const root = await fixture();
  try {
    const text = await run(root, "music/one.wav", "--backend", "cpu");
    assertEquals(text.code, 0, text.stderr);
    assert(text.stdout.startsWith("music/one.wav\n"), text.stdout);
    assert(text.stdout.includes("3 segments"), text.stdout);
    assert(text.stdout.includes("timeline"), text.stdout);
    assert(text.stderr.includes(`model: ${join("models", "gtzan_b")} (gtzan`), text.stderr);

    const js = await run(root, "music/one.wav", "--json", "--top", "1", "--backend", "cpu");
    assertEquals(js.code, 0, js.stderr);
    const lines = js.stdout.trim().split("\n");
    assertEquals(lines.length, 1);
    const p = JSON.parse(lines[0]!);
    assertEquals(p.model, join("models", "gtzan_b"));
    assertEquals(p.file, "music/one.wav");
    assertEquals(p.top.length, 1);
    assertEquals(p.segments.length, 3);
    assertEquals(p.padded, false);
    assert(Math.abs(p.probabilities.reduce((a: number, v: number) => a + v, 0) - 1) < 1e-6);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task predict: folder with a corrupt file → CSV, JSON Lines, skipped list", async () => {
  const root = await fixture();
  try {
    const r = await run(
      root,
      "music",
      "--model",
      "models/demo_b",
      "--json",
      "--out",
      "out/p.csv",
      "--backend",
      "cpu",
    );
    assertEquals(r.code, 0, r.stderr);
    const docs = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(docs.map((d) => d.file), ["music/live/two.wav", "music/one.wav"]);
    assertEquals(docs[0].segments.length, 2);
    assertEquals(docs[0].source_rate, 44100);
    const csv = (await Deno.readTextFile(join(root, "out", "p.csv"))).trim().split("\n");
    assertEquals(csv[0], "file,top_label,top_probability,p_blues,p_jazz,p_rock");
    assertEquals(csv.slice(1).map((l) => l.split(",")[0]), docs.map((d) => d.file));
    assert(r.stderr.includes("skipped 1 file(s):"), r.stderr);
    assert(r.stderr.includes("music/bad.au: "), r.stderr);
    assert(r.stderr.includes("CSV: out/p.csv"), r.stderr);
    assert(r.stderr.includes("predict: 3/3"), r.stderr);

    // Text mode: one line per file, default CSV path.
    const t = await run(root, "music", "--model", "models/demo_b", "--backend", "cpu");
    assertEquals(t.code, 0, t.stderr);
    assertEquals(t.stdout.trim().split("\n").length, 3);
    assert(t.stderr.includes(`CSV: ${join("reports", "predict_music.csv")}`), t.stderr);
    assert(await Deno.stat(join(root, "reports", "predict_music.csv")));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task predict: exit 1 with one line for user errors, 2 for bad flags", async () => {
  const root = await fixture();
  try {
    await Deno.mkdir(join(root, "junk"));
    await Deno.writeTextFile(join(root, "junk", "x.mp3"), "no audio");
    const none = await run(root, "junk", "--model", "models/demo_b", "--backend", "cpu");
    assertEquals(none.code, 1);
    assert(none.stderr.includes("none of the 1 file(s) in junk could be classified"));
    assert(none.stderr.includes("junk/x.mp3: not a WAV, AU or MP3 file"), none.stderr);

    const missing = await run(root, "nope.wav", "--backend", "cpu");
    assertEquals(missing.code, 1);
    assertEquals(missing.stderr.trim(), "error: nope.wav: no such file or folder");

    const corrupt = await run(root, "music/bad.au", "--backend", "cpu");
    assertEquals(corrupt.code, 1);
    assert(corrupt.stderr.trim().split("\n").at(-1)!.startsWith("error: music/bad.au: "));

    const noModel = await run(root, "music", "--models-dir", "nothing_here", "--backend", "cpu");
    assertEquals(noModel.code, 1);
    assert(noModel.stderr.includes("no trained model found under nothing_here/"));
    assert(noModel.stderr.includes("`deno task demo`"), noModel.stderr);

    await Deno.remove(join(root, "models", "demo_b", "scaler.json"));
    const bad = await run(root, "music", "--model", "models/demo_b", "--backend", "cpu");
    assertEquals(bad.code, 1);
    assert(
      bad.stderr.includes(
        "error: models/demo_b: not a complete model bundle (missing scaler.json)",
      ),
      bad.stderr,
    );

    const usage = await run(root, "--backend", "cpu");
    assertEquals(usage.code, 2);
    const top = await run(root, "music", "--top", "0");
    assertEquals(top.code, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task predict: a float WAV with NaN samples exits 1 with one line; in a folder it is skipped", async () => {
  const root = await fixture();
  try {
    const x = clip(1, 4, 2 * SEG, 22050);
    await Deno.writeFile(join(root, "music", "nan.wav"), floatWav(poke(x, NaN, 3, 4), 22050, 32));
    await Deno.writeFile(
      join(root, "music", "inf.wav"),
      floatWav(poke(x, -Infinity, 9), 22050, 64),
    );
    await Deno.writeTextFile(join(root, "music", "cover.jpg"), "not audio");
    const one = await run(root, "music/nan.wav", "--backend", "cpu");
    assertEquals([one.code, one.stdout], [1, ""]);
    const errors = one.stderr.trim().split("\n").filter((l) => l.startsWith("error"));
    assertEquals(errors, [
      `error: music/nan.wav: 2 of ${2 * SEG} samples are not finite (2 NaN; the first at ` +
      "0.000 s) in 32-bit float WAV data; audio samples must be finite",
    ]);
    const folder = await run(
      root,
      "music",
      "--model",
      "models/demo_b",
      "--json",
      "--backend",
      "cpu",
    );
    assertEquals(folder.code, 0, folder.stderr);
    const classified = folder.stdout.trim().split("\n").map((l) => JSON.parse(l).file);
    assertEquals(classified, ["music/live/two.wav", "music/one.wav"]);
    assert(!folder.stdout.includes("null"), folder.stdout); // NaN would print as null
    assert(folder.stderr.includes("skipped 4 file(s):"), folder.stderr);
    assert(folder.stderr.includes("music/nan.wav: 2 of"), folder.stderr);
    assert(folder.stderr.includes("music/inf.wav: 1 of"), folder.stderr);
    assert(folder.stderr.includes("music/cover.jpg: not an audio file"), folder.stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
