import { join } from "node:path";
import { crc32 } from "node:zlib";
import { zipSync } from "fflate";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import {
  ArchiveFormatError,
  extractArchive,
  mapEntry,
  safeEntryPath,
  UnsafeArchiveError,
} from "./extract.ts";
import { listFilesSorted } from "../fs.ts";
import { makeTarGz, makeZip, patternBytes } from "./_loopback.ts";

/** A temp folder holding `archive` and an empty `out/` target; `dir` is what "outside" means. */
async function setup(name: string, bytes: Uint8Array): Promise<{ dir: string; archive: string }> {
  const dir = await Deno.makeTempDir();
  const archive = join(dir, name);
  await Deno.writeFile(archive, bytes);
  return { dir, archive };
}

Deno.test("safeEntryPath: normalises, refuses absolute paths, drive letters, '..' and NUL", () => {
  assertEquals(safeEntryPath("./a//b/./c.wav"), "a/b/c.wav");
  assertEquals(safeEntryPath("a\\b.wav"), "a/b.wav");
  assertThrows(() => safeEntryPath("/etc/passwd"), UnsafeArchiveError, "absolute path");
  assertThrows(() => safeEntryPath("C:/x"), UnsafeArchiveError, "absolute path");
  assertThrows(() => safeEntryPath("a/../../x"), UnsafeArchiveError, "'..'");
  assertThrows(() => safeEntryPath("..\\x"), UnsafeArchiveError, "'..'");
  assertThrows(() => safeEntryPath("a\0b"), UnsafeArchiveError, "NUL");
});

Deno.test("mapEntry: folder and file mappings, first match wins, unmapped is null", () => {
  const layout = [
    { from: "wavfiles/", to: "wavfiles/" },
    { from: "file_name.csv", to: "file_name.csv" },
  ];
  assertEquals(mapEntry("wavfiles/a.wav", layout), "wavfiles/a.wav");
  assertEquals(mapEntry("file_name.csv", layout), "file_name.csv");
  assertEquals(mapEntry("tablaDataset/trital/a.wav", layout), null);
  assertEquals(mapEntry("wavfiles", layout), null);
  assertEquals(mapEntry("x/y", undefined), "x/y");
});

Deno.test("extractArchive zip: Kaggle GTZAN layout is re-rooted, the rest skipped", async () => {
  const wav = patternBytes(5000);
  const { dir, archive } = await setup(
    "g.zip",
    makeZip({
      "Data/genres_original/blues/blues.00000.wav": wav,
      "Data/genres_original/rock/rock.00001.wav": wav,
      "Data/images_original/blues/blues00000.png": "png",
      "Data/features_30_sec.csv": "a,b\n",
    }),
  );
  try {
    const out = join(dir, "out");
    const r = await extractArchive(archive, out, "zip", {
      layout: [{ from: "Data/genres_original/", to: "genres_original/" }],
    });
    assertEquals(await listFilesSorted(out), [
      "genres_original/blues/blues.00000.wav",
      "genres_original/rock/rock.00001.wav",
    ]);
    assertEquals(await Deno.readFile(join(out, "genres_original/rock/rock.00001.wav")), wav);
    assertEquals(r.files, 2);
    assertEquals(r.bytes, 10000);
    assertEquals(r.skipped, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (
  const [label, evil] of [
    ["a '../' entry", "../evil.txt"],
    ["a nested '../..' entry", "genres/../../evil.txt"],
    ["an absolute path", "/tmp/mgc-evil-absolute.txt"],
  ] as const
) {
  Deno.test(`extractArchive zip: ${label} is refused, naming the entry, nothing written`, async () => {
    const { dir, archive } = await setup(
      "bad.zip",
      makeZip({ "genres/blues/ok.au": "fine", [evil]: "pwned" }),
    );
    try {
      const out = join(dir, "out");
      const err = await assertRejects(
        () => extractArchive(archive, out, "zip"),
        UnsafeArchiveError,
      );
      assert(err.message.includes(`"${evil}"`), err.message);
      // Checked before anything is written: not even the safe entry landed.
      assertEquals(await listFilesSorted(dir), ["bad.zip"]);
      assert(!await exists(join(dir, "evil.txt")));
      assert(!await exists("/tmp/mgc-evil-absolute.txt"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("extractArchive zip: a symlink entry pointing outside is refused", async () => {
  const link = new TextEncoder().encode("../../etc");
  const zip = zipSync({
    "genres/ok.au": new TextEncoder().encode("ok"),
    "genres/escape": [link, { os: 3, attrs: (0o120777 << 16) >>> 0 }],
  });
  const { dir, archive } = await setup("link.zip", zip);
  try {
    const err = await assertRejects(
      () => extractArchive(archive, join(dir, "out"), "zip"),
      UnsafeArchiveError,
    );
    assert(err.message.includes(`"genres/escape"`) && err.message.includes("outside"));
    assertEquals(await listFilesSorted(dir), ["link.zip"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractArchive zip: a damaged entry (CRC mismatch) is an ArchiveFormatError", async () => {
  const zip = zipSync({ "a.txt": [patternBytes(1000), { level: 0 }] });
  // Flip one byte of the stored data (after the 30-byte local header and the 5-byte name).
  zip[30 + 5 + 10]! ^= 0xff;
  const { dir, archive } = await setup("crc.zip", zip);
  try {
    await assertRejects(
      () => extractArchive(archive, join(dir, "out"), "zip"),
      ArchiveFormatError,
      "damaged",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractArchive zip: zip64 records (as in the 7.2 GiB fma_small.zip) are read", async () => {
  const files = {
    "fma_small/000/000002.mp3": patternBytes(3000),
    "fma_small/155/155066.mp3": patternBytes(777),
  };
  const { dir, archive } = await setup("z64.zip", makeZip64(files));
  try {
    const out = join(dir, "out");
    const r = await extractArchive(archive, out, "zip", {
      layout: [{ from: "fma_small/", to: "fma_small/" }],
    });
    assertEquals(r.files, 2);
    assertEquals(await listFilesSorted(out), Object.keys(files));
    assertEquals(await Deno.readFile(join(out, "fma_small/155/155066.mp3")), patternBytes(777));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractArchive tar.gz: Marsyas layout extracted, streaming", async () => {
  const au = patternBytes(4096);
  const { dir, archive } = await setup(
    "genres.tar.gz",
    await makeTarGz([
      { name: "genres/", type: "directory" },
      { name: "genres/blues/", type: "directory" },
      { name: "genres/blues/blues.00000.au", content: au },
      { name: "genres/pop/pop.00007.au", content: au },
      { name: "genres/input.mf", content: "list" },
      { name: "README", content: "x" },
    ]),
  );
  try {
    const out = join(dir, "out");
    const r = await extractArchive(archive, out, "tar.gz", {
      layout: [{ from: "genres/", to: "genres/" }],
    });
    assertEquals(await listFilesSorted(out), [
      "genres/blues/blues.00000.au",
      "genres/input.mf",
      "genres/pop/pop.00007.au",
    ]);
    assertEquals(await Deno.readFile(join(out, "genres/pop/pop.00007.au")), au);
    assertEquals(r.files, 3);
    assertEquals(r.skipped, 2); // "genres/" itself and README
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractArchive tar.gz: a symlink pointing outside is refused, naming the entry", async () => {
  const { dir, archive } = await setup(
    "bad.tar.gz",
    await makeTarGz([
      { name: "genres/blues/a.au", content: "a" },
      { name: "genres/blues/evil", type: "symlink", linkname: "../../../etc/passwd" },
      { name: "genres/blues/evil/b.au", content: "b" },
    ]),
  );
  try {
    const out = join(dir, "out");
    const err = await assertRejects(
      () => extractArchive(archive, out, "tar.gz"),
      UnsafeArchiveError,
    );
    assert(err.message.includes(`"genres/blues/evil"`), err.message);
    assert(!await exists(join(dir, "etc")));
    // Entries before the bad one stay inside the target; nothing lands outside it.
    assertEquals(await listFilesSorted(dir), ["bad.tar.gz", "out/genres/blues/a.au"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractArchive tar.gz: '..' entries and links inside are handled", async () => {
  const { dir, archive } = await setup(
    "t.tar.gz",
    await makeTarGz([
      { name: "a/b.au", content: "b" },
      { name: "a/same", type: "symlink", linkname: "b.au" },
      { name: "a/../../escape.txt", content: "x" },
    ]),
  );
  try {
    const err = await assertRejects(
      () => extractArchive(archive, join(dir, "out"), "tar.gz"),
      UnsafeArchiveError,
    );
    assert(err.message.includes(`"a/../../escape.txt"`), err.message);
    assert(!await exists(join(dir, "escape.txt")));
    assert(!await exists(join(dir, "out/a/same")), "inside links are not created");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractArchive: not an archive gives ArchiveFormatError", async () => {
  const { dir, archive } = await setup("x.zip", new TextEncoder().encode("<html>login</html>"));
  try {
    await assertRejects(() => extractArchive(archive, join(dir, "o"), "zip"), ArchiveFormatError);
    await assertRejects(
      () => extractArchive(archive, join(dir, "o"), "tar.gz"),
      ArchiveFormatError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** A stored-only zip written with zip64 size/offset fields and zip64 end records. */
function makeZip64(files: Record<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const enc = new TextEncoder();
  for (const [name, data] of Object.entries(files)) {
    const n = enc.encode(name);
    const crc = crc32(data) >>> 0;
    const local = new DataView(new ArrayBuffer(30 + n.length + 20));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 45, true);
    local.setUint16(6, 0x0800, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, 0xffffffff, true);
    local.setUint32(22, 0xffffffff, true);
    local.setUint16(26, n.length, true);
    local.setUint16(28, 20, true);
    new Uint8Array(local.buffer).set(n, 30);
    local.setUint16(30 + n.length, 1, true);
    local.setUint16(32 + n.length, 16, true);
    local.setBigUint64(34 + n.length, BigInt(data.length), true);
    local.setBigUint64(42 + n.length, BigInt(data.length), true);
    const cen = new DataView(new ArrayBuffer(46 + n.length + 28));
    cen.setUint32(0, 0x02014b50, true);
    cen.setUint16(4, (3 << 8) | 45, true);
    cen.setUint16(6, 45, true);
    cen.setUint16(8, 0x0800, true);
    cen.setUint32(16, crc, true);
    cen.setUint32(20, 0xffffffff, true);
    cen.setUint32(24, 0xffffffff, true);
    cen.setUint16(28, n.length, true);
    cen.setUint16(30, 28, true);
    cen.setUint32(38, (0o100644 << 16) >>> 0, true);
    cen.setUint32(42, 0xffffffff, true);
    new Uint8Array(cen.buffer).set(n, 46);
    cen.setUint16(46 + n.length, 1, true);
    cen.setUint16(48 + n.length, 24, true);
    cen.setBigUint64(50 + n.length, BigInt(data.length), true);
    cen.setBigUint64(58 + n.length, BigInt(data.length), true);
    cen.setBigUint64(66 + n.length, BigInt(offset), true);
    parts.push(new Uint8Array(local.buffer), data);
    central.push(new Uint8Array(cen.buffer));
    offset += local.byteLength + data.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const count = Object.keys(files).length;
  const end = new DataView(new ArrayBuffer(56 + 20 + 22));
  end.setUint32(0, 0x06064b50, true);
  end.setBigUint64(4, 44n, true);
  end.setUint16(12, 45, true);
  end.setUint16(14, 45, true);
  end.setBigUint64(24, BigInt(count), true);
  end.setBigUint64(32, BigInt(count), true);
  end.setBigUint64(40, BigInt(cdSize), true);
  end.setBigUint64(48, BigInt(offset), true);
  end.setUint32(56, 0x07064b50, true);
  end.setBigUint64(64, BigInt(offset + cdSize), true);
  end.setUint32(72, 1, true);
  end.setUint32(76, 0x06054b50, true);
  end.setUint16(84, 0xffff, true);
  end.setUint16(86, 0xffff, true);
  end.setUint32(88, 0xffffffff, true);
  end.setUint32(92, 0xffffffff, true);
  const all = [...parts, ...central, new Uint8Array(end.buffer)];
  const out = new Uint8Array(all.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of all) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
