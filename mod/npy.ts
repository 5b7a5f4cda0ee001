/**
 * NumPy `.npy` files: encode, parse, atomic write, a streaming writer for arrays larger than memory
 * and a random-access row reader.
 *
 * Headers are byte-identical to what `numpy.save` writes (NumPy ≥ 1.23): format 1.0, the dict
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (N, 128, 128, 1), }`, the spare spaces NumPy
 * reserves so the leading dimension can grow to 21 digits in place, then space padding and `\n` so
 * that the data starts at a multiple of 64 bytes. Because the header length does not depend on the
 * leading dimension, {@linkcode NpyWriter} can patch it in place once the row count is known.
 *
 * Only little-endian, C-order arrays are supported (what `numpy.save` writes on every common
 * platform); anything else is rejected with an {@linkcode NpyError} naming the file and the reason.
 *
 * @module
 */
import { tempSibling, writeFileAtomic } from "./fs.ts";
import { dirname } from "node:path";

/** The dtypes this module reads and writes. */
export type NpyDtype = "<f4" | "<i4" | "<f8" | "|u1" | "<i8";

/** The typed array for each {@linkcode NpyDtype}. */
export type NpyData = Float32Array | Int32Array | Float64Array | Uint8Array | BigInt64Array;

/** A parsed `.npy` array. */
export interface NpyArray {
  /** Elements in C order. */
  data: NpyData;
  /** Shape (`[]` for a 0-d array). */
  shape: number[];
  /** Element type. */
  dtype: NpyDtype;
}

/** A malformed or unsupported `.npy` file; the message names the file and the reason. */
export class NpyError extends Error {
  override name = "NpyError";
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** NumPy's `GROWTH_AXIS_MAX_DIGITS`: spare header room so the leading dim can grow in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;

const ITEMSIZE: Record<NpyDtype, number> = { "<f4": 4, "<i4": 4, "<f8": 8, "|u1": 1, "<i8": 8 };

/** The dtype of a typed array. */
export function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float32Array) return "<f4";
  if (data instanceof Int32Array) return "<i4";
  if (data instanceof Float64Array) return "<f8";
  if (data instanceof Uint8Array) return "|u1";
  if (data instanceof BigInt64Array) return "<i8";
  throw new TypeError("unsupported typed array for .npy");
}

function pyShape(shape: readonly number[]): string {
  if (shape.length === 0) return "()";
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

function checkShape(shape: readonly number[], length?: number): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid .npy shape [${shape}]`);
  }
  if (length !== undefined) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== length) {
      throw new RangeError(`shape [${shape}] holds ${n} elements, data has ${length}`);
    }
  }
}

/**
 * The header (magic, version 1.0, length, dict, padding) `numpy.save` writes for an array of
 * `dtype` and `shape`.
 *
 * @example
 * ```ts
 * import { npyHeader } from "./npy.ts";
 * const h = npyHeader("<f4", [2, 3]);
 * console.log(h.length % 64); // 0
 * ```
 */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  checkShape(shape);
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${pyShape(shape)}, }`;
  if (shape.length > 0) dict += " ".repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  const hlen = dict.length + 1; // + "\n"
  const padlen = ALIGN - ((MAGIC.length + 2 + 2 + hlen) % ALIGN);
  const total = MAGIC.length + 4 + hlen + padlen;
  if (hlen + padlen > 0xffff) throw new RangeError(`.npy header too long for version 1.0`);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, hlen + padlen, true);
  const text = dict + " ".repeat(padlen) + "\n";
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}

/**
 * Encodes `data` with `shape` as a `.npy` file (format 1.0, C order, little-endian).
 *
 * @example
 * ```ts
 * import { encodeNpy } from "./npy.ts";
 * const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * ```
 */
export function encodeNpy(data: NpyData, shape: readonly number[]): Uint8Array {
  checkShape(shape, data.length);
  const header = npyHeader(dtypeOf(data), shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

interface ParsedHeader {
  dtype: NpyDtype;
  shape: number[];
  dataOffset: number;
}

function parseHeader(bytes: Uint8Array, file: string): ParsedHeader {
  const fail = (why: string): never => {
    throw new NpyError(`${file}: not a readable .npy file (${why})`);
  };
  if (bytes.length < 10) fail("truncated header");
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) fail("bad magic");
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail("truncated header");
    hlen = view.getUint32(8, true);
    start = 12;
  } else {
    return fail(`unsupported format version ${major}.${bytes[7]}`);
  }
  if (start + hlen > bytes.length) fail("truncated header");
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(start, start + hlen),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(`malformed header ${JSON.stringify(text.trim())}`);
  }
  if (fortran === "True") fail("fortran_order=True is not supported");
  let dtype: NpyDtype;
  switch (descr) {
    case "<f4":
    case "<i4":
    case "<f8":
    case "<i8":
    case "|u1":
      dtype = descr;
      break;
    case "<u1":
      dtype = "|u1";
      break;
    default:
      if (descr!.startsWith(">")) fail(`big-endian dtype ${descr} is not supported`);
      return fail(`dtype ${descr} is not supported (expected <f4, <i4, <f8, <i8 or |u1)`);
  }
  const shape = shapeText!.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    const n = Number(s.replace(/L$/, ""));
    if (!Number.isSafeInteger(n) || n < 0) fail(`bad shape (${shapeText})`);
    return n;
  });
  return { dtype, shape, dataOffset: start + hlen };
}

function typedView(dtype: NpyDtype, buf: ArrayBuffer, offset: number, length: number): NpyData {
  switch (dtype) {
    case "<f4":
      return new Float32Array(buf, offset, length);
    case "<i4":
      return new Int32Array(buf, offset, length);
    case "<f8":
      return new Float64Array(buf, offset, length);
    case "<i8":
      return new BigInt64Array(buf, offset, length);
    case "|u1":
      return new Uint8Array(buf, offset, length);
  }
}

/**
 * Parses a `.npy` file (format 1.0, 2.0 or 3.0; little-endian, C order). Errors name `file` and
 * the reason.
 *
 * @example
 * ```ts
 * import { encodeNpy, parseNpy } from "./npy.ts";
 * const a = parseNpy(encodeNpy(new Int32Array([7, 8]), [2]));
 * console.log(a.shape, a.dtype); // [2] "<i4"
 * ```
 */
export function parseNpy(bytes: Uint8Array, file = "<bytes>"): NpyArray {
  const { dtype, shape, dataOffset } = parseHeader(bytes, file);
  const n = shape.reduce((a, b) => a * b, 1);
  const nbytes = n * ITEMSIZE[dtype];
  if (bytes.length - dataOffset < nbytes) {
    throw new NpyError(
      `${file}: not a readable .npy file (truncated data: shape (${shape}) needs ${nbytes} bytes, ` +
        `file has ${bytes.length - dataOffset})`,
    );
  }
  // Copy into a fresh, aligned buffer: the data offset need not be a multiple of the item size.
  const copy = bytes.slice(dataOffset, dataOffset + nbytes);
  return { data: typedView(dtype, copy.buffer, 0, n), shape, dtype };
}

/**
 * Reads and parses a `.npy` file.
 *
 * @example
 * ```ts
 * import { readNpy, writeNpyAtomic } from "./npy.ts";
 * const tmp = await Deno.makeTempDir();
 * await writeNpyAtomic(`${tmp}/hann.npy`, new Float32Array(2048), [2048]);
 * const a = await readNpy(`${tmp}/hann.npy`);
 * console.log(a.shape, a.dtype); // [ 2048 ] "<f4"
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new NpyError(`${path}: cannot read (${(e as Error).message})`);
  }
  return parseNpy(bytes, path);
}

/**
 * Writes `data` as a `.npy` file atomically (temp file + rename).
 *
 * @example
 * ```ts
 * import { writeNpyAtomic } from "./npy.ts";
 * await writeNpyAtomic("/tmp/y.npy", new Int32Array([0, 1, 2]), [3]);
 * ```
 */
export async function writeNpyAtomic(
  path: string,
  data: NpyData,
  shape: readonly number[],
): Promise<void> {
  await writeFileAtomic(path, encodeNpy(data, shape));
}

async function writeAll(f: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await f.write(bytes.subarray(off));
}

/**
 * Streams rows of an array too large for memory to a `.npy` file. Rows are appended to a temporary
 * sibling file after a header whose length does not depend on the row count; {@linkcode close}
 * patches the header with the final leading dimension, syncs and renames the file into place, so a
 * failed run never leaves a half-written array. {@linkcode abort} removes the temporary file.
 *
 * @example
 * ```ts
 * import { NpyWriter } from "./npy.ts";
 * const w = await NpyWriter.create("/tmp/X.npy", "<f4", [2, 2]);
 * await w.append(new Float32Array(8)); // two rows of 2×2
 * await w.close(); // shape (2, 2, 2)
 * ```
 */
export class NpyWriter {
  #file: Deno.FsFile | null;
  #rows = 0;

  private constructor(
    readonly path: string,
    readonly dtype: NpyDtype,
    readonly innerShape: readonly number[],
    readonly tmpPath: string,
    file: Deno.FsFile,
    readonly rowSize: number,
  ) {
    this.#file = file;
  }

  /** Opens a writer for rows of `innerShape` elements of `dtype`. Parent folders are created. */
  static async create(
    path: string,
    dtype: NpyDtype,
    innerShape: readonly number[],
  ): Promise<NpyWriter> {
    checkShape(innerShape);
    if (innerShape.some((d) => d === 0)) throw new RangeError("NpyWriter rows must not be empty");
    await Deno.mkdir(dirname(path), { recursive: true });
    const tmp = tempSibling(path);
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    const w = new NpyWriter(
      path,
      dtype,
      innerShape,
      tmp,
      f,
      innerShape.reduce((a, b) => a * b, 1),
    );
    try {
      await writeAll(f, npyHeader(dtype, [0, ...innerShape]));
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w;
  }

  /** Rows appended so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Appends whole rows (`chunk.length` must be a multiple of the row size). */
  async append(chunk: NpyData): Promise<void> {
    const f = this.#file;
    if (!f) throw new Error(`${this.path}: NpyWriter is closed`);
    if (dtypeOf(chunk) !== this.dtype) {
      throw new TypeError(`${this.path}: appending ${dtypeOf(chunk)} to a ${this.dtype} array`);
    }
    if (chunk.length % this.rowSize !== 0) {
      throw new RangeError(
        `${this.path}: chunk of ${chunk.length} elements is not whole rows of ${this.rowSize}`,
      );
    }
    await writeAll(f, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#rows += chunk.length / this.rowSize;
  }

  /** Writes the final header, syncs and renames the file into place. Returns the final shape. */
  async close(): Promise<number[]> {
    const f = this.#file;
    if (!f) throw new Error(`${this.path}: NpyWriter is closed`);
    const shape = [this.#rows, ...this.innerShape];
    try {
      await f.seek(0, Deno.SeekMode.Start);
      await writeAll(f, npyHeader(this.dtype, shape));
      await f.sync();
      f.close();
      this.#file = null;
      await Deno.rename(this.tmpPath, this.path);
    } catch (e) {
      await this.abort();
      throw e;
    }
    return shape;
  }

  /** Discards the temporary file (safe to call twice or after a failed close). */
  async abort(): Promise<void> {
    if (this.#file) {
      try {
        this.#file.close();
      } catch { /* already closed */ }
      this.#file = null;
    }
    await Deno.remove(this.tmpPath).catch(() => {});
  }
}

/**
 * Random access to the rows (leading-dimension slices) of a `.npy` file without loading it, for
 * training batches read from disk.
 *
 * @example
 * ```ts
 * import { NpyReader, writeNpyAtomic } from "./npy.ts";
 * await writeNpyAtomic("/tmp/r.npy", new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
 * const r = await NpyReader.open("/tmp/r.npy");
 * console.log(r.readRows(1, 2)); // Float32Array [3, 4, 5, 6]
 * r.close();
 * ```
 */
export class NpyReader {
  #file: Deno.FsFile | null;

  private constructor(
    readonly path: string,
    readonly dtype: NpyDtype,
    readonly shape: readonly number[],
    readonly dataOffset: number,
    file: Deno.FsFile,
  ) {
    this.#file = file;
  }

  /** Opens `path` and parses its header; the data is not read. */
  static async open(path: string): Promise<NpyReader> {
    let f: Deno.FsFile;
    try {
      f = await Deno.open(path, { read: true });
    } catch (e) {
      throw new NpyError(`${path}: cannot read (${(e as Error).message})`);
    }
    try {
      const head = new Uint8Array(12);
      const n0 = await readFull(f, head);
      const major = head[6];
      const hlen = n0 < 12
        ? 0
        : major === 1
        ? head[8]! | (head[9]! << 8)
        : new DataView(head.buffer).getUint32(8, true);
      const total = (major === 1 ? 10 : 12) + hlen;
      const headerBytes = new Uint8Array(Math.max(total, 12));
      await f.seek(0, Deno.SeekMode.Start);
      const n = await readFull(f, headerBytes);
      const { dtype, shape, dataOffset } = parseHeader(headerBytes.subarray(0, n), path);
      if (shape.length === 0) throw new NpyError(`${path}: a 0-d array has no rows`);
      const need = dataOffset + shape.reduce((a, b) => a * b, 1) * ITEMSIZE[dtype];
      const size = (await f.stat()).size;
      if (size < need) {
        throw new NpyError(
          `${path}: not a readable .npy file (truncated data: needs ${need} bytes, has ${size})`,
        );
      }
      return new NpyReader(path, dtype, shape, dataOffset, f);
    } catch (e) {
      f.close();
      throw e;
    }
  }

  /** Number of rows (the leading dimension). */
  get rows(): number {
    return this.shape[0]!;
  }

  /** Elements per row. */
  get rowSize(): number {
    return this.shape.slice(1).reduce((a, b) => a * b, 1);
  }

  /**
   * Reads `count` rows starting at row `start` (C order, `count × rowSize` elements). Pass `out`
   * (of the file's dtype) to reuse a buffer.
   */
  readRows<T extends NpyData = Float32Array | Int32Array>(
    start: number,
    count: number,
    out?: T,
  ): T {
    const f = this.#file;
    if (!f) throw new Error(`${this.path}: NpyReader is closed`);
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0) {
      throw new RangeError(`${this.path}: bad row range ${start}+${count}`);
    }
    if (start + count > this.rows) {
      throw new RangeError(`${this.path}: rows ${start}..${start + count} beyond ${this.rows}`);
    }
    const n = count * this.rowSize;
    const item = ITEMSIZE[this.dtype];
    let target: NpyData;
    if (out) {
      if (dtypeOf(out) !== this.dtype || out.length < n) {
        throw new RangeError(`${this.path}: out buffer must be ${this.dtype} of >= ${n} elements`);
      }
      target = out.length === n ? out : (out.subarray(0, n) as NpyData);
    } else {
      target = typedView(this.dtype, new ArrayBuffer(n * item), 0, n);
    }
    const bytes = new Uint8Array(target.buffer, target.byteOffset, n * item);
    f.seekSync(this.dataOffset + start * this.rowSize * item, Deno.SeekMode.Start);
    let off = 0;
    while (off < bytes.length) {
      const r = f.readSync(bytes.subarray(off));
      if (r === null || r === 0) throw new NpyError(`${this.path}: unexpected end of file`);
      off += r;
    }
    return target as T;
  }

  /** Closes the file. */
  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}

async function readFull(f: Deno.FsFile, buf: Uint8Array): Promise<number> {
  let off = 0;
  while (off < buf.length) {
    const r = await f.read(buf.subarray(off));
    if (r === null || r === 0) break;
    off += r;
  }
  return off;
}
