import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals } from "../_assert.ts";
import { hashFile, hashFiles, headerProblem } from "./hash_files.ts";

const enc = new TextEncoder();

Deno.test("hashFile: MD5, SHA-1 and SHA-256 of 'abc' are the FIPS/RFC test vectors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "abc.txt"), "abc");
    const want = {
      md5: "900150983cd24fb0d6963f7d28e17f72",
      sha1: "a9993e364706816aba3e25717850c26c9cd0d89d",
      sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    } as const;
    for (const [algo, hex] of Object.entries(want)) {
      const r = await hashFile(join(dir, "abc.txt"), algo as keyof typeof want);
      assertEquals([r.size, r.hash], [3, hex], algo);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A file of `n` pseudo-random bytes (deterministic). */
function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

Deno.test("hashFiles: streamed digests across 1 MiB reads equal one-shot digests, in order, with and without workers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Sizes around the 1 MiB read: empty, small, exactly one read, one byte over, several reads.
    const sizes = [0, 5, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12345];
    const paths = sizes.map((_, i) => `f${i}.bin`);
    for (const [i, n] of sizes.entries()) await Deno.writeFile(join(dir, paths[i]!), bytes(n, i));
    const want = sizes.map((n, i) => createHash("md5").update(bytes(n, i)).digest("hex"));
    const seen: string[] = [];
    for (const workers of [0, 1, 2]) {
      const got = await hashFiles(dir, paths, {
        algorithm: "md5",
        workers,
        onFile: (f) => seen.push(f.path),
      });
      assertEquals(got.map((f) => f.path), paths, `order, ${workers} workers`);
      assertEquals(got.map((f) => f.hash), want, `digests, ${workers} workers`);
      assertEquals(got.map((f) => f.size), sizes);
    }
    assertEquals(seen.length, 3 * paths.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const md5sum = await new Deno.Command("md5sum", { args: ["--version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "hashFiles: MD5 equals coreutils md5sum on the same files",
  ignore: !md5sum,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const paths = ["a.wav", "b.wav", "c.wav"];
      for (const [i, p] of paths.entries()) {
        await Deno.writeFile(join(dir, p), bytes(700000 * (i + 1), 9 + i));
      }
      const out = await new Deno.Command("md5sum", { args: paths, cwd: dir, stdout: "piped" })
        .output();
      const ref = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
        l.split(/\s+/)[0]
      );
      const got = await hashFiles(dir, paths, { algorithm: "md5", workers: 2 });
      assertEquals(got.map((f) => f.hash), ref);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("hashFiles: an unreadable file is a result with the reason, not an error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.symlink(join(dir, "nowhere.wav"), join(dir, "broken.wav"));
    await Deno.mkdir(join(dir, "folder.wav"));
    for (const workers of [0, 2]) {
      const [broken, folder] = await hashFiles(dir, ["broken.wav", "folder.wav"], {
        algorithm: "sha256",
        workers,
      });
      assertEquals([broken!.hash, broken!.size], [null, 0]);
      assert(broken!.error!.includes("broken link"), broken!.error);
      assertEquals(folder!.hash, null);
      assert(/folder|directory/i.test(folder!.error ?? ""), folder!.error);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("headerProblem: WAV, AU and MP3 first bytes; other extensions unchecked", () => {
  const wav = enc.encode("RIFF\x24\0\0\0WAVEfmt ");
  assertEquals(headerProblem("x/a.WAV", wav), null);
  assertEquals(
    headerProblem("a.wav", enc.encode("RIFF\0\0\0\0AVI ")),
    "not a WAV file: no RIFF/WAVE header",
  );
  assertEquals(headerProblem("a.wav", new Uint8Array(0)), "empty file");
  assertEquals(headerProblem("a.au", enc.encode(".snd\0\0\0\x18")), null);
  assertEquals(headerProblem("a.au", wav), "not an AU file: no .snd header");
  assertEquals(headerProblem("a.mp3", enc.encode("ID3\x04\0")), null);
  assertEquals(headerProblem("a.mp3", new Uint8Array([0xff, 0xfb, 0x90, 0x64])), null);
  assert(headerProblem("a.mp3", enc.encode("<html>"))!.startsWith("not an MP3 file"));
  assertEquals(headerProblem("file_name.csv", enc.encode("fname,label")), null);
});
