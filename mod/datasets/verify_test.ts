import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { UserError } from "../cli.ts";
import { au16, clip, wav16 } from "./_testutil.ts";
import { indexCsv, type Reference, verifyCopy } from "./verify.ts";
import {
  FMA_VERIFY,
  GTZAN_VERIFY,
  INDIAN_VERIFY,
  parseIndexCsv,
  TABLA_VERIFY,
} from "./verify_specs.ts";
import { verificationLine, verificationRecord, verificationReport } from "./verification.ts";

const md5 = (b: Uint8Array): string => createHash("md5").update(b).digest("hex");
const wav = (label: number, i: number): Uint8Array => wav16(clip(label, i, 2205, 22050), 22050);

async function put(root: string, rel: string, bytes: Uint8Array | string): Promise<void> {
  const p = join(root, rel);
  await Deno.mkdir(join(p, ".."), { recursive: true });
  if (typeof bytes === "string") await Deno.writeTextFile(p, bytes);
  else await Deno.writeFile(p, bytes);
}

/**
 * A small GTZAN-like index of 6 clips (blues 0-2, jazz 53-54, rock 0) and the WAV bytes it was
 * made from.
 */
function smallIndex(): { reference: Reference; clips: Map<string, Uint8Array> } {
  const clips = new Map<string, Uint8Array>();
  for (const i of [0, 1, 2]) clips.set(`blues/blues.0000${i}.wav`, wav(0, i));
  for (const i of [53, 54]) clips.set(`jazz/jazz.000${i}.wav`, wav(5, i));
  clips.set("rock/rock.00000.wav", wav(9, 0));
  const entries = new Map([...clips].map(([p, b]) => [p, md5(b)]));
  return {
    reference: { kind: "published", source: "test index", algorithm: "md5", entries },
    clips,
  };
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mgc_verify_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("verifyCopy GTZAN: a copy equal to the index is canonical, on 0 or 2 workers", async () => {
  await withTemp(async (dir) => {
    const { reference, clips } = smallIndex();
    for (const [p, b] of clips) await put(dir, p, b);
    await put(dir, ".DS_Store", "x");
    await put(dir, "input.mf", "blues/blues.00000.au\tblues\n");
    for (const workers of [0, 2]) {
      const r = await verifyCopy(GTZAN_VERIFY, dir, { reference, workers });
      assertEquals([r.status, r.ok], ["canonical", true]);
      assertEquals(r.counts.match, 6);
      assertEquals(r.ignored, [".DS_Store", "input.mf"]);
      assertEquals(verificationLine(r), "data: canonical GTZAN (6/6 match)");
      assertEquals(r.defects[0]!.state, "match"); // jazz.00054 is present and matches here
      assertEquals(r.counts.bytes, [...clips.values()].reduce((s, b) => s + b.length, 0));
    }
  });
});

Deno.test("verifyCopy GTZAN: match, mismatch, missing, extra, unreadable and undecodable files, each named", async () => {
  await withTemp(async (dir) => {
    const { reference, clips } = smallIndex();
    for (const [p, b] of clips) {
      if (p === "blues/blues.00002.wav") continue; // missing
      const bytes = p === "blues/blues.00001.wav" ? b.slice() : b;
      if (p === "blues/blues.00001.wav") bytes[100] ^= 1; // one bit flipped: differs
      await put(dir, p, bytes);
    }
    // jazz.00054 as in the common copies: bytes that no decoder opens.
    await Deno.remove(join(dir, "jazz/jazz.00054.wav"));
    await put(dir, "jazz/jazz.00054.wav", new Uint8Array(4096));
    await put(dir, "blues/blues.00099.wav", wav(0, 99)); // extra
    await Deno.remove(join(dir, "rock/rock.00000.wav"));
    await Deno.symlink(join(dir, "gone.wav"), join(dir, "rock/rock.00000.wav")); // unreadable
    const r = await verifyCopy(GTZAN_VERIFY, dir, { reference, workers: 2 });
    assertEquals([r.status, r.ok], ["not canonical", false]);
    const by = Object.fromEntries(r.files.map((f) => [f.path, f.status]));
    assertEquals(by, {
      "blues/blues.00000.wav": "match",
      "blues/blues.00001.wav": "differ",
      "blues/blues.00002.wav": "missing",
      "blues/blues.00099.wav": "extra",
      "jazz/jazz.00053.wav": "match",
      "jazz/jazz.00054.wav": "differ",
      "rock/rock.00000.wav": "unreadable",
    });
    const c = r.counts;
    assertEquals(
      [c.listed, c.match, c.differ, c.missing, c.extra, c.unreadable, c.undecodable],
      [6, 2, 2, 1, 1, 1, 1],
    );
    const differ = r.files.find((f) => f.path === "blues/blues.00001.wav")!;
    assertEquals(differ.expected, reference.entries.get("blues/blues.00001.wav"));
    assert(differ.hash !== differ.expected);
    assert(r.files.find((f) => f.status === "unreadable")!.reason!.includes("broken link"));
    assertEquals(r.defects, [{
      ...GTZAN_VERIFY.knownDefects[0]!,
      state: "differ",
      problem: "not a WAV file: no RIFF/WAVE header",
    }]);
    assertEquals(
      verificationLine(r),
      "data: GTZAN 2 of 6 canonical, 2 differ, 1 missing, 1 extra, 1 unreadable (list in manifest)",
    );
    const text = verificationReport(r).join("\n");
    for (
      const s of [
        "differ (2):",
        "blues/blues.00001.wav: expected ",
        "missing (1):\n  blues/blues.00002.wav",
        "extra (not in the list) (1):\n  blues/blues.00099.wav",
        "unreadable (1):\n  rock/rock.00000.wav: cannot be opened",
        "cannot be decoded (first bytes) (1):\n  jazz/jazz.00054.wav: not a WAV file",
        "known defective (1):\n  jazz/jazz.00054.wav: unreadable in common copies",
        "[here: differ; not a WAV file: no RIFF/WAVE header]",
      ]
    ) assert(text.includes(s), `report shows "${s}":\n${text}`);
    // The manifest record keeps every file that is not a match, and no timings.
    const rec = verificationRecord(r, dir);
    assertEquals(rec.not_matching!.map((f) => f.status).sort(), [
      "differ",
      "differ",
      "extra",
      "missing",
      "unreadable",
    ]);
    assert(!("seconds" in rec) && rec.how!.startsWith("deno task data:verify gtzan --data-dir "));
  });
});

Deno.test("verifyCopy GTZAN: an .au copy is recognised as not comparable byte for byte, not as differing", async () => {
  await withTemp(async (dir) => {
    const { reference, clips } = smallIndex();
    for (const p of clips.keys()) {
      if (p.startsWith("rock/")) continue;
      await put(dir, p.replace(/\.wav$/, ".au"), au16(clip(0, 1, 2205, 22050), 22050));
    }
    const r = await verifyCopy(GTZAN_VERIFY, dir, { reference, workers: 0 });
    assertEquals([r.status, r.ok], ["not comparable", false]);
    assertEquals([r.counts.not_comparable, r.counts.differ, r.counts.missing], [5, 0, 1]);
    const au = r.files.find((f) => f.path === "blues/blues.00000.au")!;
    assertEquals(au.status, "not_comparable");
    assert(au.reason!.startsWith("original .au container: not comparable byte for byte"));
    assert(au.reason!.endsWith("(stands for blues/blues.00000.wav)"));
    assertEquals(r.defects[0]!.state, "not_comparable");
    assertEquals(
      verificationLine(r),
      "data: GTZAN: 5 of 6 files not comparable byte for byte with the canonical list " +
        "(original .au container); 1 missing",
    );
  });
});

Deno.test("verifyCopy GTZAN: the bundled index is used by default and the data folder is found like gtzan:setup finds it", async () => {
  await withTemp(async (dir) => {
    await put(dir, "genres_original/blues/blues.00100.wav", wav(0, 0));
    const r = await verifyCopy(GTZAN_VERIFY, join(dir, "genres"), { workers: 0 });
    assertEquals(r.root, join(dir, "genres_original"));
    assertEquals(r.reference?.entries, 1000);
    assert(r.reference!.source.includes("mirdata"));
    assertEquals([r.counts.extra, r.counts.missing, r.status], [1, 1000, "not canonical"]);
    await assertRejects(
      () => verifyCopy(GTZAN_VERIFY, join(dir, "nothing")),
      UserError,
      "no GTZAN audio",
    );
  });
});

Deno.test("verifyCopy FMA: checks fma_small/checksums (SHA-1) when present, else indexes the copy", async () => {
  await withTemp(async (dir) => {
    const mp3 = (n: number): Uint8Array => new Uint8Array([0xff, 0xfb, 0x90, 0x64, n, n, n]);
    const sha1 = (b: Uint8Array): string => createHash("sha1").update(b).digest("hex");
    await put(dir, "fma_small/000/000002.mp3", mp3(2));
    await put(dir, "fma_small/099/099134.mp3", mp3(3));
    await put(dir, "fma_small/README.txt", "FMA");
    await put(
      dir,
      "fma_small/checksums",
      `${sha1(mp3(2))}  000/000002.mp3\n${sha1(mp3(3))}  099/099134.mp3\n`,
    );
    const r = await verifyCopy(FMA_VERIFY, dir, { workers: 0 });
    assertEquals([r.status, r.algorithm, r.counts.match], ["canonical", "sha1", 2]);
    assertEquals(r.ignored, ["README.txt", "checksums"]);
    assertEquals(r.defects.map((d) => d.state), ["match", "missing", "missing"]);
    await Deno.remove(join(dir, "fma_small/checksums"));
    const none = await verifyCopy(FMA_VERIFY, join(dir, "fma_small"), { workers: 0 });
    assertEquals([none.status, none.ok, none.algorithm], ["no canonical list", true, "sha256"]);
    assert(none.noList!.includes("no checksums file"), none.noList);
  });
});

Deno.test("verifyCopy Indian/tabla: no canonical list; the copy's index digest is the same for identical copies and changes with one byte", async () => {
  await withTemp(async (dir) => {
    for (const copy of ["a", "b"]) {
      await put(dir, `${copy}/wavfiles/dadra01.wav`, wav(2, 1));
      await put(dir, `${copy}/wavfiles/trital02.wav`, wav(7, 2));
      await put(
        dir,
        `${copy}/file_name.csv`,
        "fname,label\ndadra01.wav,dadra\ntrital02.wav,trital\n",
      );
      await put(dir, `${copy}/SOURCE.json`, `{"downloaded": "${copy}"}`); // differs, not data
      await put(dir, `${copy}/tablaDataset/dadra/x.wav`, wav(2, 9)); // outside the copy
    }
    const a = await verifyCopy(TABLA_VERIFY, join(dir, "a"), { workers: 0 });
    const b = await verifyCopy(TABLA_VERIFY, join(dir, "b/wavfiles"), { workers: 2 });
    assertEquals([a.status, a.ok, a.reference], ["no canonical list", true, null]);
    assertEquals(a.files.map((f) => [f.path, f.status]), [
      ["file_name.csv", "indexed"],
      ["wavfiles/dadra01.wav", "indexed"],
      ["wavfiles/trital02.wav", "indexed"],
    ]);
    assertEquals(a.ignored, ["SOURCE.json", "tablaDataset/dadra/x.wav"]);
    assertEquals(a.index.sha256, b.index.sha256);
    assert(
      verificationLine(a).startsWith(
        "data: Tabla taalas: no canonical list exists; copy index sha256 ",
      ),
    );
    // The other user's index, checked against this copy: the same, then one byte off.
    const peer = parseIndexCsv(indexCsv(a.files, a.algorithm), "a_index.csv");
    const same = await verifyCopy(TABLA_VERIFY, join(dir, "b"), { reference: peer, workers: 0 });
    assertEquals([same.status, same.ok], ["same as peer", true]);
    const csv = await Deno.readTextFile(join(dir, "b/file_name.csv"));
    await Deno.writeTextFile(join(dir, "b/file_name.csv"), csv.replace("trital\n", "Trital\n"));
    const off = await verifyCopy(TABLA_VERIFY, join(dir, "b"), { reference: peer, workers: 0 });
    assertEquals([off.status, off.ok, off.counts.differ], ["differs from peer", false, 1]);
    const changed = await verifyCopy(TABLA_VERIFY, join(dir, "b"), { workers: 0 });
    assert(changed.index.sha256 !== a.index.sha256);
    // Indian: genrenew/<class>/ found from the dataset folder.
    await put(dir, "indian/genrenew/sufi/s1.mp3", new Uint8Array([0x49, 0x44, 0x33, 4]));
    const ind = await verifyCopy(INDIAN_VERIFY, join(dir, "indian"), { workers: 0 });
    assertEquals([ind.root, ind.status, ind.counts.files], [
      join(dir, "indian", "genrenew"),
      "no canonical list",
      1,
    ]);
  });
});
