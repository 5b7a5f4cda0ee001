import { assert, assertEquals } from "../mod/_assert.ts";
import { encodeWav } from "../mod/audio/audio.ts";
import { extractFeatures, GTZAN_FEATURES } from "../mod/features/features.ts";
import { readNpy } from "../mod/npy.ts";

const SCRIPT = new URL("./mel.ts", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-RWE", "--allow-sys", SCRIPT, ...args],
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function tone(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(2 * Math.PI * 330 * i / 22050));
}

Deno.test("deno task mel: WAV → [segments, 128, 128] float32 equal to extractFeatures", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const y = tone(3 * 65488 + 100);
    await Deno.writeFile(`${dir}/a.wav`, encodeWav(y, 22050, { float: true }));
    const r = await run(`${dir}/a.wav`, "--out", `${dir}/a.npy`);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim().split("\n").length, 1);
    assert(r.stdout.includes("[3, 128, 128]"), r.stdout);
    const a = await readNpy(`${dir}/a.npy`);
    assertEquals([a.dtype, a.shape], ["<f4", [3, 128, 128]]);
    assertEquals(a.data, extractFeatures(y, GTZAN_FEATURES).data);

    const r2 = await run(
      `${dir}/a.wav`,
      "--out",
      `${dir}/b.npy`,
      "--segments",
      "2",
      "--n-fft",
      "1024",
      "--hop",
      "256",
      "--n-mels",
      "64",
    );
    assertEquals(r2.code, 0, r2.stderr);
    assertEquals((await readNpy(`${dir}/b.npy`)).shape, [2, 64, 256]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task mel: short clip (error, or --pad), bad file, bad flags", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/s.wav`, encodeWav(tone(22050), 22050));
    const short = await run(`${dir}/s.wav`, "--out", `${dir}/s.npy`);
    assertEquals(short.code, 1);
    assert(short.stderr.includes("--pad"), short.stderr);
    const padded = await run(`${dir}/s.wav`, "--out", `${dir}/s.npy`, "--pad");
    assertEquals(padded.code, 0, padded.stderr);
    assertEquals((await readNpy(`${dir}/s.npy`)).shape, [1, 128, 128]);

    await Deno.writeFile(`${dir}/bad.wav`, new TextEncoder().encode("not audio at all"));
    const bad = await run(`${dir}/bad.wav`, "--out", `${dir}/x.npy`);
    assertEquals(bad.code, 1);
    assert(bad.stderr.includes("bad.wav") && !bad.stderr.includes("    at "), bad.stderr);
    assertEquals((await run(`${dir}/s.wav`)).code, 2); // no --out
    assertEquals((await run(`${dir}/s.wav`, "--out", `${dir}/x.npy`, "--n-fft", "1000")).code, 2);
    assertEquals((await run(`${dir}/s.wav`, "--out", `${dir}/x.npy`, "--segments", "0")).code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
