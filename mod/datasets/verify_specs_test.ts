import { join } from "node:path";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { loadFaultFilteredLists } from "./split.ts";
import {
  faultFilteredExclusions,
  GTZAN_VERIFY,
  loadGtzanIndex,
  parseChecksums,
  parseGtzanIndex,
  parseIndexCsv,
} from "./verify_specs.ts";
import {
  manifestVerification,
  verificationLine,
  verifyCommand,
  verifyForSetup,
} from "./verification.ts";

Deno.test("loadGtzanIndex: the bundled list has the 1000 clips, 100 per genre, one path each", async () => {
  const rows = await loadGtzanIndex();
  assertEquals(rows.length, 1000);
  assertEquals(new Set(rows.map((r) => r.path)).size, 1000);
  const genres = new Map<string, number>();
  for (const r of rows) genres.set(r.genre, (genres.get(r.genre) ?? 0) + 1);
  assertEquals([...genres.values()], Array(10).fill(100));
  assertEquals(rows[0], {
    trackId: "blues.00000",
    genre: "blues",
    path: "blues/blues.00000.wav",
    md5: "b462fa6a82a35d00940fe251f11447e5",
  });
  assert(rows.every((r) => r.path === `${r.genre}/${r.trackId}.wav`));
  const ref = await GTZAN_VERIFY.reference("anywhere");
  assert(typeof ref !== "string" && ref.entries.size === 1000 && ref.algorithm === "md5");
});

Deno.test("parseGtzanIndex, parseChecksums, parseIndexCsv: bad lines are errors naming the line", () => {
  assertThrows(() => parseGtzanIndex("id,md5\n"), Error, "expected the header");
  assertThrows(
    () => parseGtzanIndex("track_id,genre,path,md5\nblues.00000,blues,blues/x.wav,xyz\n"),
    Error,
    "line 2",
  );
  const sha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
  const r = parseChecksums(`${sha1} *./000/000002.mp3\r\n\n${sha1}  000/000005.mp3\n`, "c");
  assertEquals([r.algorithm, [...r.entries.keys()]], ["sha1", [
    "000/000002.mp3",
    "000/000005.mp3",
  ]]);
  assertThrows(() => parseChecksums(`${sha1}\n`, "checksums"), Error, "checksums: line 1");
  assertThrows(
    () => parseChecksums(`${sha1}  a.mp3\n900150983cd24fb0d6963f7d28e17f72  b.mp3\n`, "c"),
    Error,
    "line 2",
  );
  assertThrows(() => parseChecksums("\n", "c"), Error, "no checksum lines");
  assertThrows(() => parseIndexCsv("path,md4\n", "x.csv"), Error, "x.csv: expected the header");
  assertThrows(() => parseIndexCsv("path,size,md5\na.wav,1\n", "x.csv"), Error, "line 2");
});

Deno.test("faultFilteredExclusions: the 70 clips the published lists leave out, 14 of them exact replicas", async () => {
  const ex = await faultFilteredExclusions();
  const lists = await loadFaultFilteredLists();
  const kept = new Set([...lists.train, ...lists.val, ...lists.test]);
  assertEquals(kept.size, 930);
  assertEquals(ex.length, 70);
  assert(ex.every((e) => !kept.has(e.track)));
  const replicas = ex.filter((e) => e.reason.startsWith("exact replica"));
  assertEquals(replicas.length, 14);
  // Each replica named is a clip the lists keep: one member of each identical pair stays.
  for (const e of replicas) {
    const twin = /exact replica of (\S+)/.exec(e.reason)![1]!;
    assert(kept.has(twin), `${e.track}'s twin ${twin} is kept`);
  }
  assertEquals(
    ex.find((e) => e.track === "metal.00058")!.reason.slice(0, 31),
    "exact replica of rock.00016 (sa",
  );
  assert(!ex.some((e) => e.track === "jazz.00054"), "jazz.00054 is in the lists");
});

Deno.test("verificationLine: every verdict reads as one line", () => {
  const counts = {
    listed: 1000,
    files: 1000,
    match: 993,
    differ: 7,
    missing: 0,
    extra: 0,
    not_comparable: 0,
    unreadable: 0,
  };
  assertEquals(
    verificationLine({ status: "canonical", title: "GTZAN", counts: { ...counts, match: 1000 } }),
    "data: canonical GTZAN (1000/1000 match)",
  );
  assertEquals(
    verificationLine({ status: "not canonical", title: "GTZAN", counts }),
    "data: GTZAN 993 of 1000 canonical, 7 differ (list in manifest)",
  );
  assertEquals(
    verificationLine({ status: "not verified", reason: "no verifier", how: null }),
    "data: not verified (no verifier)",
  );
  const line = verificationLine({
    status: "no canonical list",
    title: "Tabla taalas",
    index: { columns: "path,size,sha256", files: 562, sha256: "ab".repeat(32) },
  });
  assertEquals(
    line,
    `data: Tabla taalas: no canonical list exists; copy index sha256 ${
      "ab".repeat(8)
    }… (562 files)`,
  );
  assertEquals(
    verifyCommand("gtzan", "my data/x"),
    "deno task data:verify gtzan --data-dir 'my data/x'",
  );
});

Deno.test("verifyForSetup: records the verification, or 'not verified' with the reason and the command; never throws", async () => {
  const demo = await verifyForSetup("demo", "data/demo/genres");
  assertEquals([demo.status, demo.how], ["not verified", null]);
  const dir = await Deno.makeTempDir();
  try {
    const missing = await verifyForSetup("gtzan", join(dir, "none"));
    assertEquals(missing.status, "not verified");
    assert(missing.reason!.startsWith("no GTZAN audio found"), missing.reason);
    assertEquals(missing.how, verifyCommand("gtzan", join(dir, "none")));
    await Deno.mkdir(join(dir, "wavfiles"));
    await Deno.writeFile(join(dir, "wavfiles", "a.wav"), new Uint8Array(8));
    const warned: string[] = [];
    const tabla = await verifyForSetup("tabla", dir, { warn: (m) => warned.push(m) });
    assertEquals([tabla.status, tabla.counts!.files, tabla.counts!.undecodable], [
      "no canonical list",
      1,
      1,
    ]);
    assertEquals(warned, []);
    const gtz = join(dir, "g");
    await Deno.mkdir(join(gtz, "blues"), { recursive: true });
    await Deno.writeFile(join(gtz, "blues", "blues.00000.wav"), new Uint8Array(8));
    const g = await verifyForSetup("gtzan", gtz, { warn: (m) => warned.push(m) });
    assertEquals([g.status, g.counts!.differ, g.counts!.missing], ["not canonical", 1, 999]);
    assertEquals(warned, [`${g.line}; the setup goes on with this copy`]);
    assertEquals(
      manifestVerification({ verification: g, dataset: { name: "gtzan", data_dir: gtz } }).line,
      g.line,
    );
    const old = manifestVerification({ dataset: { name: "gtzan", data_dir: "data/gtzan/genres" } });
    assertEquals(
      old.line,
      "data: not verified (the setup that wrote this folder did not record one); " +
        "run `deno task data:verify gtzan --data-dir data/gtzan/genres`",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
