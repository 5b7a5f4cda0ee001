import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import {
  arraySource,
  batchRanges,
  npySource,
  readLabels,
  rowReaderSource,
  subsetSource,
} from "./samples.ts";
import { NpyReader, writeNpyAtomic } from "../npy.ts";

const x = Float32Array.from({ length: 5 * 4 }, (_, i) => i); // 5 samples of [2, 2]
const y = new Int32Array([0, 1, 2, 1, 0]);

Deno.test("arraySource gathers rows in the requested order", async () => {
  const src = arraySource(x, y, [2, 2], 3);
  assertEquals(src.length, 5);
  const b = await src.read([3, 0, 3]);
  assertEquals(Array.from(b.x), [12, 13, 14, 15, 0, 1, 2, 3, 12, 13, 14, 15]);
  assertEquals(Array.from(b.y), [1, 0, 1]);
  await assertRejects(() => src.read([5]), RangeError, "out of range");
});

Deno.test("arraySource rejects a size mismatch and out-of-range labels", () => {
  assertThrows(() => arraySource(x, y, [2, 3], 3), RangeError, "expected 5 samples");
  assertThrows(() => arraySource(x, y, [2, 2], 2), RangeError, "label 2 at row 2");
});

Deno.test("subsetSource and rowReaderSource map indices to the underlying rows", async () => {
  const sub = subsetSource(arraySource(x, y, [2, 2], 3), [4, 1]);
  assertEquals(sub.length, 2);
  const b = await sub.read([1]);
  assertEquals(Array.from(b.x), [4, 5, 6, 7]);
  assertEquals(Array.from(await readLabels(sub)), [0, 1]);
  const requested: number[][] = [];
  const disk = rowReaderSource(
    {
      readRows: (idx) => {
        requested.push([...idx]);
        return Promise.resolve(new Float32Array(idx.length * 4).fill(7));
      },
    },
    y,
    [2, 2],
    3,
  );
  const d = await disk.read([2, 4]);
  assertEquals(requested, [[2, 4]]);
  assertEquals(Array.from(d.y), [2, 0]);
  assertThrows(() => subsetSource(sub, [2]), RangeError);
});

Deno.test("batchRanges keeps the last partial batch", () => {
  assertEquals(batchRanges(7, 3), [[0, 3], [3, 6], [6, 7]]);
  assertEquals(batchRanges(6, 3), [[0, 3], [3, 6]]);
  assertEquals(batchRanges(0, 3), []);
  assertThrows(() => batchRanges(4, 0), RangeError);
  assert(batchRanges(1, 48).length === 1);
});

Deno.test("npySource reads gathered rows from a float32 .npy file on disk", async () => {
  const dir = await Deno.makeTempDir();
  await writeNpyAtomic(`${dir}/X.npy`, x, [5, 2, 2, 1]);
  const reader = await NpyReader.open(`${dir}/X.npy`);
  try {
    const src = npySource(reader, y, 3);
    assertEquals(src.sampleShape, [2, 2, 1]);
    const mem = arraySource(x, y, [2, 2, 1], 3);
    for (const idx of [[4, 0, 1, 2], [3], [0, 1, 2, 3, 4], [2, 2]]) {
      assertEquals(await src.read(idx), await mem.read(idx));
    }
    assertThrows(() => npySource(reader, new Int32Array(4), 3), RangeError, "5 rows but 4");
  } finally {
    reader.close();
    await Deno.remove(dir, { recursive: true });
  }
});
