import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../mod/_assert.ts";
import { UsageError } from "../mod/cli.ts";
import { makeGenreTree } from "../mod/datasets/_testutil.ts";
import { main } from "./data_verify.ts";
import { runScript } from "./_setup_testutil.ts";

Deno.test("data_verify: bad dataset names and flags are usage errors (exit 2)", async () => {
  await assertRejects(() => main([]), UsageError, "expected one dataset name");
  await assertRejects(() => main(["gtzan", "fma"]), UsageError, "expected one dataset name");
  await assertRejects(() => main(["demo"]), UsageError, "gtzan, fma, indian, tabla");
  await assertRejects(() => main(["gtzan", "--workers", "-1"]), UsageError, "--workers");
  const r = await runScript("data_verify.ts", ["gtzan", "--bogus"]);
  assertEquals(r.code, 2, r.stderr);
});

Deno.test("data_verify gtzan: a copy that is not canonical exits 1 with the list and the known defect", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_data_verify_" });
  try {
    const data = join(root, "gtzan", "genres_original");
    await makeGenreTree(data, { genres: ["blues"], perGenre: 2, samples: 2205, format: "wav" });
    await Deno.mkdir(join(data, "jazz"));
    await Deno.writeFile(join(data, "jazz", "jazz.00054.wav"), new Uint8Array(100));
    const r = await runScript("data_verify.ts", ["gtzan", "--data-dir", join(root, "gtzan")]);
    assertEquals(r.code, 1, r.stderr);
    const want = [
      "data: GTZAN 0 of 1000 canonical, 3 differ, 997 missing (list below)",
      `  copy: ${data} (3 files, `,
      "  list: mirdata GTZAN-genre index 1.0",
      "differ (3):\n  blues/blues.00000.wav: expected b462fa6a82a35d00940fe251f11447e5, got ",
      "missing (997):\n  blues/blues.00002.wav: expected ",
      "… and 977 more (--json lists all)",
      "cannot be decoded (first bytes) (1):\n  jazz/jazz.00054.wav: not a WAV file",
      "known defective (1):\n  jazz/jazz.00054.wav: unreadable in common copies",
    ];
    for (const s of want) assert(r.stdout.includes(s), `stdout has "${s}":\n${r.stdout}`);
    assert(r.stderr.includes("gtzan: hashing: 3/3 (100%)"), r.stderr);
    const json = await runScript("data_verify.ts", ["gtzan", "--data-dir", data, "--json"]);
    assertEquals(json.code, 1);
    const v = JSON.parse(json.stdout);
    assertEquals([v.status, v.counts.differ, v.counts.missing, v.files.length], [
      "not canonical",
      3,
      997,
      1000,
    ]);
    const none = await runScript("data_verify.ts", ["gtzan", "--data-dir", join(root, "x")]);
    assertEquals(none.code, 1);
    assert(none.stderr.startsWith("error: no GTZAN audio found in"), none.stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("data_verify tabla: no canonical list, the copy's index is written; --against another copy's index compares", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc_data_verify_" });
  try {
    for (const copy of ["mine", "theirs"]) {
      await makeGenreTree(join(root, copy), {
        genres: ["wavfiles"],
        perGenre: 3,
        samples: 2205,
        format: "wav",
      });
      await Deno.writeTextFile(join(root, copy, "file_name.csv"), "fname,label\n");
    }
    const index = join(root, "theirs_index.csv");
    const theirs = await runScript("data_verify.ts", [
      "tabla",
      "--data-dir",
      join(root, "theirs"),
      "--index-out",
      index,
    ]);
    assertEquals(theirs.code, 0, theirs.stderr);
    assert(theirs.stdout.includes("data: Tabla taalas: no canonical list exists"), theirs.stdout);
    const csv = (await Deno.readTextFile(index)).trim().split("\n");
    assertEquals(csv[0], "path,size,sha256");
    assertEquals(csv.slice(1).map((l) => l.split(",")[0]), [
      "file_name.csv",
      "wavfiles/wavfiles.00000.wav",
      "wavfiles/wavfiles.00001.wav",
      "wavfiles/wavfiles.00002.wav",
    ]);
    const same = await runScript("data_verify.ts", [
      "tabla",
      "--data-dir",
      join(root, "mine"),
      "--against",
      index,
    ]);
    assertEquals(same.code, 0, same.stdout);
    assert(same.stdout.includes(`data: Tabla taalas same as ${index} (4/4 match)`), same.stdout);
    await Deno.writeTextFile(join(root, "mine", "file_name.csv"), "fname,label\nx.wav,dadra\n");
    const off = await runScript("data_verify.ts", [
      "tabla",
      "--data-dir",
      join(root, "mine"),
      "--against",
      index,
    ]);
    assertEquals(off.code, 1, off.stdout);
    assert(off.stdout.includes(`3 of 4 as in ${index}, 1 differ (list below)`), off.stdout);
    assert(off.stdout.includes("differ (1):\n  file_name.csv: expected "), off.stdout);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
