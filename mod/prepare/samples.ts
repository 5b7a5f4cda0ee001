/**
 * Plain sample readers over prepared data: a {@linkcode SampleSource} gathers rows by index, from
 * memory or from disk, so that the whole dataset never becomes one tensor; {@linkcode batchRanges}
 * gives the batch boundaries of one pass. No tensors here: the engine turns these rows into them.
 *
 * @module
 */
import type { NpyReader } from "../npy.ts";

/**
 * Where the trainer reads samples from. `read` returns the rows at `indices`, in that order,
 * gathered into one contiguous buffer (`indices.length × prod(sampleShape)` floats).
 */
export interface SampleSource {
  /** Number of samples. */
  readonly length: number;
  /** Shape of one sample, e.g. `[128, 128, 1]`. */
  readonly sampleShape: number[];
  /** Number of classes (labels are `0 .. numClasses-1`). */
  readonly numClasses: number;
  /** Gathers the samples at `indices`. */
  read(indices: readonly number[]): Promise<{ x: Float32Array; y: Int32Array }>;
}

/** Number of floats in one sample of `shape`. */
export function sampleSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A {@linkcode SampleSource} over in-memory arrays (`x` row-major, one sample after the other).
 *
 * @example
 * ```ts
 * import { arraySource } from "./samples.ts";
 * const src = arraySource(new Float32Array(3 * 4), new Int32Array([0, 1, 0]), [2, 2, 1], 2);
 * const { x, y } = await src.read([2, 0]);
 * console.log(x.length, y); // 8 Int32Array [0, 0]
 * ```
 */
export function arraySource(
  x: Float32Array,
  y: Int32Array,
  sampleShape: number[],
  numClasses: number,
): SampleSource {
  const size = sampleSize(sampleShape);
  if (x.length !== y.length * size) {
    throw new RangeError(
      `arraySource: x has ${x.length} floats, expected ${y.length} samples × ${size}`,
    );
  }
  checkLabels(y, numClasses);
  return {
    length: y.length,
    sampleShape: [...sampleShape],
    numClasses,
    read(indices: readonly number[]): Promise<{ x: Float32Array; y: Int32Array }> {
      const outX = new Float32Array(indices.length * size);
      const outY = new Int32Array(indices.length);
      indices.forEach((idx, k) => {
        if (!Number.isInteger(idx) || idx < 0 || idx >= y.length) {
          throw new RangeError(`arraySource: index ${idx} out of range [0, ${y.length})`);
        }
        outX.set(x.subarray(idx * size, (idx + 1) * size), k * size);
        outY[k] = y[idx]!;
      });
      return Promise.resolve({ x: outX, y: outY });
    },
  };
}

/** A random-access row reader, as `NpyReader` in `npy.ts` provides for a float32 `.npy` file. */
export interface RowReader {
  /** Reads the rows at `indices`, gathered in that order. */
  readRows(indices: readonly number[]): Promise<Float32Array>;
}

/**
 * A {@linkcode SampleSource} whose samples are read from disk on demand (labels in memory: they
 * are small), so that datasets larger than memory can be trained on.
 *
 * @example
 * ```ts
 * import { rowReaderSource } from "./samples.ts";
 * const rows = { readRows: (i: readonly number[]) => Promise.resolve(new Float32Array(i.length * 4)) };
 * const src = rowReaderSource(rows, new Int32Array([0, 1]), [2, 2], 2);
 * ```
 */
export function rowReaderSource(
  reader: RowReader,
  y: Int32Array,
  sampleShape: number[],
  numClasses: number,
): SampleSource {
  checkLabels(y, numClasses);
  return {
    length: y.length,
    sampleShape: [...sampleShape],
    numClasses,
    async read(indices: readonly number[]): Promise<{ x: Float32Array; y: Int32Array }> {
      const x = await reader.readRows(indices);
      return { x, y: Int32Array.from(indices, (i) => y[i]!) };
    },
  };
}

/**
 * A {@linkcode SampleSource} over a float32 `.npy` file opened with `NpyReader` (rows read from
 * disk per batch; consecutive indices are read in one call), with labels `y` in memory.
 *
 * @example
 * ```ts
 * import { npySource } from "./samples.ts";
 * import { NpyReader, writeNpyAtomic } from "../npy.ts";
 * await writeNpyAtomic("/tmp/X_example.npy", new Float32Array(3 * 4), [3, 2, 2, 1]);
 * const src = npySource(await NpyReader.open("/tmp/X_example.npy"), new Int32Array([0, 1, 0]), 2);
 * console.log(src.sampleShape); // [2, 2, 1]
 * ```
 */
export function npySource(reader: NpyReader, y: Int32Array, numClasses: number): SampleSource {
  if (reader.dtype !== "<f4") {
    throw new TypeError(`${reader.path}: samples must be float32 (<f4), not ${reader.dtype}`);
  }
  if (reader.rows !== y.length) {
    throw new RangeError(`${reader.path}: ${reader.rows} rows but ${y.length} labels`);
  }
  const size = reader.rowSize;
  const rows: RowReader = {
    readRows(indices: readonly number[]): Promise<Float32Array> {
      const out = new Float32Array(indices.length * size);
      for (let k = 0; k < indices.length;) {
        const start = indices[k]!;
        let run = 1;
        while (k + run < indices.length && indices[k + run] === start + run) run++;
        reader.readRows(start, run, out.subarray(k * size, (k + run) * size));
        k += run;
      }
      return Promise.resolve(out);
    },
  };
  return rowReaderSource(rows, y, reader.shape.slice(1), numClasses);
}

/**
 * A view of `src` restricted to `indices` (e.g. a k-fold part or a quick-run subset).
 *
 * @example
 * ```ts
 * import { arraySource, subsetSource } from "./samples.ts";
 * const src = arraySource(new Float32Array(4), new Int32Array([0, 1, 0, 1]), [1], 2);
 * const odd = subsetSource(src, [1, 3]);
 * console.log(odd.length); // 2
 * ```
 */
export function subsetSource(src: SampleSource, indices: readonly number[]): SampleSource {
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= src.length) {
      throw new RangeError(`subsetSource: index ${i} out of range [0, ${src.length})`);
    }
  }
  const map = [...indices];
  return {
    length: map.length,
    sampleShape: src.sampleShape,
    numClasses: src.numClasses,
    read: (idx) => src.read(idx.map((i) => map[i]!)),
  };
}

/** Reads all labels of `src` (in batches, so disk sources do not load every sample at once). */
export async function readLabels(src: SampleSource, batchSize = 256): Promise<Int32Array> {
  const y = new Int32Array(src.length);
  for (const [a, b] of batchRanges(src.length, batchSize)) {
    const part = await src.read(range(a, b));
    y.set(part.y, a);
  }
  return y;
}

/**
 * `[start, end)` of each batch of `n` samples; the last batch is partial when `batchSize` does
 * not divide `n` (as in Keras).
 *
 * @example
 * ```ts
 * import { batchRanges } from "./samples.ts";
 * console.log(batchRanges(5, 2)); // [[0, 2], [2, 4], [4, 5]]
 * ```
 */
export function batchRanges(n: number, batchSize: number): [number, number][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  }
  const out: [number, number][] = [];
  for (let a = 0; a < n; a += batchSize) out.push([a, Math.min(n, a + batchSize)]);
  return out;
}

/** `[lo, lo+1, …, hi-1]`. */
export function range(lo: number, hi: number): number[] {
  return Array.from({ length: Math.max(0, hi - lo) }, (_, i) => lo + i);
}

function checkLabels(y: Int32Array, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  }
  for (let i = 0; i < y.length; i++) {
    if (y[i]! < 0 || y[i]! >= numClasses) {
      throw new RangeError(`label ${y[i]} at row ${i} outside [0, ${numClasses})`);
    }
  }
}
