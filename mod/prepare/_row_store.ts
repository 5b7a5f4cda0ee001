/**
 * Where the setup pipeline keeps the unscaled training examples between extraction and scaling:
 * in memory, or in a temporary file when they do not fit the memory budget (`prepare.ts`).
 *
 * @module
 */

/** Unscaled examples of one part, in file order, between extraction and scaling. */
export interface RowStore {
  append(rows: Float32Array): Promise<void>;
  /** Yields the rows back in blocks (each a whole number of examples); may mutate them. */
  blocks(rowSize: number): AsyncGenerator<Float32Array>;
  dispose(): Promise<void>;
}

/** Rows kept in memory (the chunks as they came). */
export class MemoryStore implements RowStore {
  #chunks: Float32Array[] = [];
  append(rows: Float32Array): Promise<void> {
    if (rows.length) this.#chunks.push(rows);
    return Promise.resolve();
  }
  async *blocks(): AsyncGenerator<Float32Array> {
    while (this.#chunks.length) yield this.#chunks.shift()!;
  }
  dispose(): Promise<void> {
    this.#chunks = [];
    return Promise.resolve();
  }
}

/** Rows appended to a temporary float32 file and read back in blocks of about 8 MiB. */
export class DiskStore implements RowStore {
  #file: Deno.FsFile | null = null;
  #length = 0;
  constructor(readonly path: string) {}
  async append(rows: Float32Array): Promise<void> {
    this.#file ??= await Deno.open(this.path, { write: true, create: true, truncate: true });
    const bytes = new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
    for (let off = 0; off < bytes.length;) off += await this.#file.write(bytes.subarray(off));
    this.#length += rows.length;
  }
  async *blocks(rowSize: number): AsyncGenerator<Float32Array> {
    this.#file?.close();
    this.#file = null;
    if (this.#length === 0) return;
    const f = await Deno.open(this.path, { read: true });
    try {
      const perBlock = Math.max(1, Math.floor((8 << 20) / (rowSize * 4))) * rowSize;
      for (let done = 0; done < this.#length;) {
        const block = new Float32Array(Math.min(perBlock, this.#length - done));
        const bytes = new Uint8Array(block.buffer);
        for (let off = 0; off < bytes.length;) {
          const n = await f.read(bytes.subarray(off));
          if (n === null) throw new Error(`${this.path}: unexpected end of file`);
          off += n;
        }
        done += block.length;
        yield block;
      }
    } finally {
      f.close();
    }
  }
  async dispose(): Promise<void> {
    this.#file?.close();
    this.#file = null;
    await Deno.remove(this.path).catch(() => {});
  }
}
