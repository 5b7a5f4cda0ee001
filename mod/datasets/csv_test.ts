import { assertEquals, assertRejects } from "../_assert.ts";
import { csvRecords, csvRecordsFromChunks, CsvSyntaxError } from "./csv.ts";
import { Rng } from "../rng.ts";

/** RFC 4180 writer (what pandas and Python's csv module write): quote when needed, `""` escapes. */
function stringify(table: string[][], eol = "\n"): string {
  const field = (s: string): string => /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  return table.map((r) => r.map(field).join(",") + eol).join("");
}

async function* split(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    yield bytes.subarray(prev, c);
    prev = c;
  }
}

async function collect(it: AsyncIterable<string[]>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const r of it) out.push(r);
  return out;
}

/** Random fields full of the characters that matter: quotes, commas, CR, LF, non-ASCII. */
function randomTable(rng: Rng, rows: number): string[][] {
  const alphabet = ['"', ",", "\n", "\r", "\r\n", "a", "b", " ", "é", "日本", "😀", "x,y", '""'];
  return Array.from({ length: rows }, () =>
    Array.from({ length: 1 + rng.int(0, 5) }, () => {
      let s = "";
      for (let k = rng.int(0, 6); k > 0; k--) s += alphabet[rng.int(0, alphabet.length - 1)];
      return s;
    }));
}

Deno.test("csvRecordsFromChunks: round-trips tricky tables for any chunking", async () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 40; trial++) {
    const table = randomTable(rng, 1 + rng.int(0, 12)).filter((r) => !(r.length === 1 && !r[0]));
    const eol = ["\n", "\r\n"][trial % 2]!;
    let text = stringify(table, eol);
    if (trial % 3 === 0) text += eol; // a blank line at the end
    if (trial % 5 === 0) text = text.slice(0, -eol.length); // no final line break
    const bytes = new TextEncoder().encode(text);
    const ref = table;
    const cuts = Array.from({ length: rng.int(0, 8) }, () => rng.int(0, bytes.length))
      .sort((a, b) => a - b);
    assertEquals(
      await collect(csvRecordsFromChunks(split(bytes, cuts))),
      ref,
      JSON.stringify(text),
    );
    // every single-byte chunking of a short table
    if (bytes.length < 60) {
      const all = Array.from({ length: bytes.length }, (_, i) => i);
      assertEquals(await collect(csvRecordsFromChunks(split(bytes, all))), ref);
    }
  }
});

Deno.test("csvRecordsFromChunks: pandas-style two-level header, BOM, no final newline", async () => {
  const text = '\ufeff,album,set\n,title,subset\ntrack_id,,\n2,"AWOL, ""live""\nA",small';
  const rows = await collect(csvRecordsFromChunks(split(new TextEncoder().encode(text), [3, 17])));
  assertEquals(rows, [
    ["", "album", "set"],
    ["", "title", "subset"],
    ["track_id", "", ""],
    ["2", 'AWOL, "live"\nA', "small"],
  ]);
});

Deno.test("csvRecords: reads a file in small chunks; malformed input is a CsvSyntaxError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const table = [
      ["id", "text"],
      ...Array.from({ length: 500 }, (_, i) => [`${i}`, `a,"${i}"\nb`]),
    ];
    await Deno.writeTextFile(`${dir}/t.csv`, stringify(table));
    assertEquals(await collect(csvRecords(`${dir}/t.csv`, { chunkBytes: 37 })), table);
    await Deno.writeTextFile(`${dir}/open.csv`, 'a,b\n1,"never closed\n');
    await assertRejects(() => collect(csvRecords(`${dir}/open.csv`)), CsvSyntaxError, "record 2");
    await Deno.writeTextFile(`${dir}/after.csv`, 'a,"b"c\n');
    await assertRejects(() => collect(csvRecords(`${dir}/after.csv`)), CsvSyntaxError, "record 1");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
