import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import {
  encodeNpy,
  NpyError,
  npyHeader,
  NpyReader,
  NpyWriter,
  parseNpy,
  readNpy,
  writeNpyAtomic,
} from "./npy.ts";
import { listFilesSorted } from "./fs.ts";

const FIXTURES = new URL("./features/testdata/librosa/", import.meta.url).pathname;

function latin1(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

Deno.test("npyHeader: the exact bytes numpy.save writes for float32 (2, 3)", () => {
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  // NumPy >= 1.23 adds 21 - len("2") spare spaces, then pads with spaces + "\n" to 64 bytes.
  const text = dict + " ".repeat(128 - 10 - dict.length - 1) + "\n";
  const expected = new Uint8Array([0x93, ...latin1("NUMPY"), 1, 0, 118, 0, ...latin1(text)]);
  assertEquals(npyHeader("<f4", [2, 3]), expected);
  assert(
    latin1("{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }").every((b, i) =>
      npyHeader("<i4", [5])[10 + i] === b
    ),
  );
  assertEquals(npyHeader("<f4", [12345678, 128, 128, 1]).length % 64, 0);
});

Deno.test("encodeNpy reproduces every numpy-written fixture byte for byte", async () => {
  const files = (await listFilesSorted(FIXTURES)).filter((f) => f.endsWith(".npy"));
  assertEquals(files.length, 27);
  for (const f of files) {
    const bytes = await Deno.readFile(FIXTURES + f);
    const a = parseNpy(bytes, f);
    assertEquals(a.dtype, "<f4", f);
    assert(a.shape.length === 1 || a.shape.length === 2, f);
    assertEquals(encodeNpy(a.data, a.shape), bytes, f);
  }
  const mel = await readNpy(FIXTURES + "sine440.mel_db.npy");
  assertEquals(mel.shape, [128, 128]);
});

Deno.test("encode/parse round-trips every dtype and shape", () => {
  const cases = [
    [new Float32Array([1.5, -2, 3e-8, Infinity]), [2, 2]],
    [new Int32Array([-1, 2, 2147483647]), [3]],
    [new Float64Array([Math.PI, -0]), [1, 2, 1]],
    [new Uint8Array([0, 255, 7]), [3, 1]],
    [new BigInt64Array([-5n, 1n << 40n]), [2]],
    [new Float32Array([42]), []],
    [new Float32Array(0), [0, 128, 128, 1]],
  ] as const;
  for (const [data, shape] of cases) {
    const a = parseNpy(encodeNpy(data, shape));
    assertEquals(a.shape, [...shape]);
    assertEquals(a.data, data);
  }
  assertThrows(() => encodeNpy(new Float32Array(5), [2, 3]), RangeError, "6 elements");
});

Deno.test("parseNpy: version 2.0 and 3.0 headers and unaligned data", () => {
  const dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n";
  for (const major of [2, 3]) {
    const head = new Uint8Array([0x93, ...latin1("NUMPY"), major, 0, dict.length, 0, 0, 0]);
    const bytes = new Uint8Array([...head, ...latin1(dict), 1, 0, 0, 0, 2, 0, 0, 0]);
    assertEquals(parseNpy(bytes).data, new Int32Array([1, 2]));
  }
});

Deno.test("parseNpy: errors name the file and the reason", () => {
  const good = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  const withDict = (dict: string): Uint8Array => {
    const bytes = good.slice();
    const d = dict.padEnd(117, " ") + "\n";
    bytes.set(latin1(d), 10);
    return bytes;
  };
  assertThrows(() => parseNpy(latin1("PK\x03\x04 not npy at all"), "a.npy"), NpyError, "a.npy");
  assertThrows(() => parseNpy(latin1("PK\x03\x04 not npy at all"), "a.npy"), NpyError, "magic");
  assertThrows(() => parseNpy(good.subarray(0, 8), "t.npy"), NpyError, "truncated header");
  assertThrows(() => parseNpy(good.subarray(0, 60), "t.npy"), NpyError, "truncated header");
  assertThrows(() => parseNpy(good.subarray(0, good.length - 1), "t.npy"), NpyError, "truncated");
  assertThrows(
    () => parseNpy(withDict("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }")),
    NpyError,
    "big-endian",
  );
  assertThrows(
    () => parseNpy(withDict("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }")),
    NpyError,
    "fortran_order",
  );
  assertThrows(
    () => parseNpy(withDict("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }")),
    NpyError,
    "<c8",
  );
  assertThrows(() => parseNpy(withDict("{'descr': '<f4'}")), NpyError, "malformed header");
  const v9 = good.slice();
  v9[6] = 9;
  assertThrows(() => parseNpy(v9, "v.npy"), NpyError, "version 9");
});

Deno.test("writeNpyAtomic + readNpy; readNpy names a missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeNpyAtomic(`${dir}/sub/y.npy`, new Int32Array([3, 1, 4]), [3]);
    const a = await readNpy(`${dir}/sub/y.npy`);
    assertEquals(a, { data: new Int32Array([3, 1, 4]), shape: [3], dtype: "<i4" });
    await assertRejects(() => readNpy(`${dir}/missing.npy`), NpyError, "missing.npy");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("NpyWriter: several appends, header patched, atomic rename, abort", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/X.npy`;
    const w = await NpyWriter.create(path, "<f4", [2, 3, 1]);
    const all = Float32Array.from({ length: 7 * 6 }, (_, i) => i * 0.5);
    await w.append(all.subarray(0, 6));
    await w.append(all.subarray(6, 30));
    await w.append(all.subarray(30, 30)); // zero rows
    await w.append(all.subarray(30));
    assertEquals(w.rows, 7);
    assertEquals(await Deno.stat(path).catch(() => null), null); // not visible before close
    await assertRejects(() => w.append(new Float32Array(5)), RangeError, "whole rows");
    await assertRejects(() => w.append(new Int32Array(6)), TypeError, "<i4");
    assertEquals(await w.close(), [7, 2, 3, 1]);
    const bytes = await Deno.readFile(path);
    assertEquals(bytes, encodeNpy(all, [7, 2, 3, 1])); // identical to a one-shot numpy-style write
    assertEquals((await Array.fromAsync(Deno.readDir(dir))).length, 1); // temp file renamed

    const w2 = await NpyWriter.create(`${dir}/Y.npy`, "<i4", [1]);
    await w2.append(new Int32Array([1, 2]));
    await w2.abort();
    assertEquals((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["X.npy"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("NpyReader: row ranges, buffer reuse, bounds, truncated file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = Float32Array.from({ length: 5 * 4 }, (_, i) => i);
    await writeNpyAtomic(`${dir}/X.npy`, data, [5, 2, 2]);
    const r = await NpyReader.open(`${dir}/X.npy`);
    assertEquals([r.shape, r.dtype, r.rows, r.rowSize], [[5, 2, 2], "<f4", 5, 4]);
    assertEquals(r.readRows(0, 5), data);
    assertEquals(r.readRows(3, 2), data.subarray(12, 20));
    assertEquals(r.readRows(2, 0), new Float32Array(0));
    const out = new Float32Array(8);
    assertEquals(r.readRows(1, 2, out), data.subarray(4, 12));
    assertEquals(out, data.subarray(4, 12));
    assertThrows(() => r.readRows(4, 2), RangeError, "beyond");
    r.close();

    await writeNpyAtomic(`${dir}/y.npy`, new Int32Array([9, 8, 7]), [3]);
    const ry = await NpyReader.open(`${dir}/y.npy`);
    assertEquals(ry.readRows<Int32Array>(1, 2), new Int32Array([8, 7]));
    ry.close();

    const bytes = await Deno.readFile(`${dir}/X.npy`);
    await Deno.writeFile(`${dir}/cut.npy`, bytes.subarray(0, bytes.length - 4));
    await assertRejects(() => NpyReader.open(`${dir}/cut.npy`), NpyError, "truncated");
    await Deno.writeFile(`${dir}/tiny.npy`, bytes.subarray(0, 5));
    await assertRejects(() => NpyReader.open(`${dir}/tiny.npy`), NpyError, "tiny.npy");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
