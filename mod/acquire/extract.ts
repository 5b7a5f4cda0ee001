/**
 * Safe, streaming archive extraction: zip (read from its central directory with random access,
 * zip64 included; DEFLATE through `fflate`'s streaming `Inflate`, CRC-32 checked) and tar.gz
 * (`tar-stream` fed by `node:zlib` gunzip). Memory stays bounded whatever the archive size
 * (FMA-small is 7.2 GiB).
 *
 * Every entry name is checked before anything is written: absolute paths, drive letters, `..`
 * segments, NUL bytes, and symlinks or hard links whose target leaves the archive are refused with
 * an {@linkcode UnsafeArchiveError} naming the entry. Links that stay inside are not created (the
 * datasets have none); they are counted in the result. Entries can be re-rooted with a layout map
 * (see {@linkcode LayoutMap}); entries no mapping covers are skipped.
 *
 * @module
 */
import { dirname, resolve, sep } from "node:path";
import { createReadStream } from "node:fs";
import { crc32, createGunzip } from "node:zlib";
import { Inflate } from "fflate";
import tar from "tar-stream";
import type { ArchiveKind, LayoutMap } from "./sources.ts";
import { pollInterrupt } from "../interrupt.ts";

/** An archive entry that would land outside the target folder, or is otherwise unsafe. */
export class UnsafeArchiveError extends Error {
  override name = "UnsafeArchiveError";
  /** The offending entry name, as stored in the archive. */
  readonly entry: string;
  constructor(archive: string, entry: string, reason: string) {
    super(
      `${archive}: refused entry "${entry}": ${reason}; nothing was written outside the target`,
    );
    this.entry = entry;
  }
}

/** The archive is damaged or uses a feature this reader does not support. */
export class ArchiveFormatError extends Error {
  override name = "ArchiveFormatError";
}

/** Options for {@linkcode extractArchive}. */
export interface ExtractOptions {
  /** Re-rooting of entries; without it every entry is extracted at its own path. */
  layout?: readonly LayoutMap[];
  /** Progress notices (default: none). */
  log?: ((line: string) => void) | null;
}

/** What {@linkcode extractArchive} returns. */
export interface ExtractResult {
  /** Regular files written. */
  files: number;
  /** Bytes written. */
  bytes: number;
  /** Entries not covered by the layout map (not written). */
  skipped: number;
  /** Symlinks / hard links inside the archive that were not created. */
  links: string[];
}

/**
 * Normalises an archive entry name to a safe relative `/`-separated path, or throws
 * {@linkcode UnsafeArchiveError}. Backslashes count as separators (Windows-made zips).
 *
 * @example
 * ```ts
 * import { safeEntryPath } from "./extract.ts";
 * safeEntryPath("./genres/blues/blues.00000.au"); // "genres/blues/blues.00000.au"
 * ```
 */
export function safeEntryPath(name: string, archive = "archive"): string {
  if (name.includes("\0")) throw new UnsafeArchiveError(archive, name, "NUL byte in the name");
  const p = name.replaceAll("\\", "/");
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) {
    throw new UnsafeArchiveError(archive, name, "absolute path");
  }
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.includes("..")) {
    throw new UnsafeArchiveError(archive, name, "'..' path segment (path traversal)");
  }
  return parts.join("/");
}

/**
 * Maps a safe entry path through a layout: the first matching `from` wins; `null` when no mapping
 * covers it. Without a layout the path maps to itself.
 *
 * @example
 * ```ts
 * import { mapEntry } from "./extract.ts";
 * mapEntry("Data/genres_original/pop/pop.00001.wav", [
 *   { from: "Data/genres_original/", to: "genres_original/" },
 * ]); // "genres_original/pop/pop.00001.wav"
 * ```
 */
export function mapEntry(path: string, layout?: readonly LayoutMap[]): string | null {
  if (!layout) return path;
  for (const { from, to } of layout) {
    if (from.endsWith("/")) {
      if (path.startsWith(from) && path.length > from.length) {
        return to + path.slice(from.length);
      }
    } else if (path === from) return to;
  }
  return null;
}

/**
 * Extracts `archive` into `destDir` (created if missing).
 *
 * @example
 * ```ts ignore
 * import { extractArchive } from "./extract.ts";
 * await extractArchive("data/fma/fma_small.zip", "data/fma", "zip", {
 *   layout: [{ from: "fma_small/", to: "fma_small/" }],
 * });
 * ```
 */
export async function extractArchive(
  archive: string,
  destDir: string,
  kind: ArchiveKind,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  await Deno.mkdir(destDir, { recursive: true });
  const out = new Writer(archive, destDir);
  if (kind === "zip") await extractZip(archive, out, options);
  else await extractTarGz(archive, out, options);
  return out.result;
}

/** Writes files below a root, refusing any path that resolves (really) outside it. */
class Writer {
  readonly result: ExtractResult = { files: 0, bytes: 0, skipped: 0, links: [] };
  readonly #root: string;
  readonly #archive: string;
  #realRoot?: string;
  readonly #checked = new Set<string>();
  constructor(archive: string, root: string) {
    this.#archive = archive;
    this.#root = resolve(root);
  }

  /** Checks a link target (relative to the link's folder, archive-root based). */
  checkLink(entry: string, path: string, target: string, hard: boolean): void {
    if (target.startsWith("/") || target.includes("\0") || /^[A-Za-z]:/.test(target)) {
      throw new UnsafeArchiveError(this.#archive, entry, `link to absolute path "${target}"`);
    }
    const base = hard ? "" : dirname(path) === "." ? "" : dirname(path);
    const depth = [...base.split("/").filter(Boolean), ...target.replaceAll("\\", "/").split("/")]
      .reduce((d, s) => {
        if (d < 0) return d;
        if (s === "..") return d - 1;
        return s === "" || s === "." ? d : d + 1;
      }, 0);
    if (depth < 0) {
      throw new UnsafeArchiveError(this.#archive, entry, `link pointing outside ("${target}")`);
    }
    this.result.links.push(path);
  }

  /** Absolute target for a mapped path, with its parent folder created and checked. */
  async target(entry: string, mapped: string): Promise<string> {
    const full = resolve(this.#root, mapped);
    if (!full.startsWith(this.#root + sep)) {
      throw new UnsafeArchiveError(this.#archive, entry, "maps outside the target folder");
    }
    await this.dir(entry, dirname(full));
    return full;
  }

  async dir(entry: string, full: string): Promise<void> {
    if (this.#checked.has(full)) return;
    await Deno.mkdir(full, { recursive: true });
    this.#realRoot ??= await Deno.realPath(this.#root);
    const real = await Deno.realPath(full);
    if (real !== this.#realRoot && !real.startsWith(this.#realRoot + sep)) {
      throw new UnsafeArchiveError(this.#archive, entry, "a folder on its path is a symlink out");
    }
    this.#checked.add(full);
  }

  async open(full: string): Promise<Deno.FsFile> {
    // Never write through an existing symlink at the file's own path.
    try {
      if ((await Deno.lstat(full)).isSymlink) await Deno.remove(full);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return await Deno.open(full, { write: true, create: true, truncate: true });
  }
}

// ---------------------------------------------------------------------------------------------
// zip

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  csize: number;
  usize: number;
  offset: number;
  symlink: boolean;
  dir: boolean;
}

const CHUNK = 1 << 20;

async function extractZip(archive: string, out: Writer, options: ExtractOptions): Promise<void> {
  const f = await Deno.open(archive, { read: true });
  try {
    const size = (await f.stat()).size;
    const entries = await readCentralDirectory(f, size, archive);
    // Refuse a hostile archive before writing anything.
    const paths = entries.map((e) => safeEntryPath(e.name, archive));
    for (const [i, e] of entries.entries()) {
      if (e.flags & 1) throw new UnsafeArchiveError(archive, e.name, "encrypted entry");
      if (e.symlink) {
        const target = new TextDecoder().decode(await entryBytes(f, e, archive, 4096));
        out.checkLink(e.name, paths[i]!, target, false);
      }
    }
    let done = 0;
    for (const [i, e] of entries.entries()) {
      const mapped = e.symlink ? null : mapEntry(paths[i]!, options.layout);
      if (mapped === null || paths[i] === "") {
        if (!e.symlink) out.result.skipped++;
        continue;
      }
      if (e.dir) {
        await out.dir(e.name, await out.target(e.name, mapped));
        continue;
      }
      const full = await out.target(e.name, mapped);
      const file = await out.open(full);
      try {
        await copyEntry(f, e, archive, file);
      } finally {
        file.close();
      }
      out.result.files++;
      out.result.bytes += e.usize;
      if (++done % 1000 === 0) options.log?.(`${archive}: ${done} files extracted`);
      await pollInterrupt(`interrupted: extracting ${archive} stopped after ${done} files`);
    }
  } finally {
    f.close();
  }
}

async function readAt(
  f: Deno.FsFile,
  pos: number,
  len: number,
  archive: string,
): Promise<Uint8Array> {
  await f.seek(pos, Deno.SeekMode.Start);
  const buf = new Uint8Array(len);
  let off = 0;
  while (off < len) {
    const n = await f.read(buf.subarray(off));
    if (n === null) throw new ArchiveFormatError(`${archive}: truncated (read past the end)`);
    off += n;
  }
  return buf;
}

async function readCentralDirectory(
  f: Deno.FsFile,
  size: number,
  archive: string,
): Promise<ZipEntry[]> {
  const tailLen = Math.min(size, 22 + 0xffff + 20);
  const tail = await readAt(f, size - tailLen, tailLen, archive);
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ArchiveFormatError(`${archive}: not a zip file (no end record)`);
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tv.getUint32(loc, true) !== 0x07064b50) {
      throw new ArchiveFormatError(`${archive}: zip64 end locator missing`);
    }
    const z64 = await readAt(f, Number(tv.getBigUint64(loc + 8, true)), 56, archive);
    const zv = new DataView(z64.buffer);
    if (zv.getUint32(0, true) !== 0x06064b50) {
      throw new ArchiveFormatError(`${archive}: zip64 end record missing`);
    }
    count = Number(zv.getBigUint64(32, true));
    cdSize = Number(zv.getBigUint64(40, true));
    cdOffset = Number(zv.getBigUint64(48, true));
  }
  if (cdOffset + cdSize > size) throw new ArchiveFormatError(`${archive}: truncated zip`);
  const cd = await readAt(f, cdOffset, cdSize, archive);
  const v = new DataView(cd.buffer);
  const entries: ZipEntry[] = [];
  const utf8 = new TextDecoder();
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdSize || v.getUint32(p, true) !== 0x02014b50) {
      throw new ArchiveFormatError(`${archive}: damaged central directory at entry ${k}`);
    }
    const madeBy = v.getUint16(p + 4, true) >> 8;
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    let csize = v.getUint32(p + 20, true);
    let usize = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const attr = v.getUint32(p + 38, true);
    let offset = v.getUint32(p + 42, true);
    const name = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = v.getUint16(x, true);
      const len = v.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        const u64 = () => {
          const n = Number(v.getBigUint64(q, true));
          q += 8;
          return n;
        };
        if (usize === 0xffffffff) usize = u64();
        if (csize === 0xffffffff) csize = u64();
        if (offset === 0xffffffff) offset = u64();
      }
      x += 4 + len;
    }
    const unixMode = madeBy === 3 ? attr >>> 16 : 0;
    entries.push({
      name,
      method,
      flags,
      crc,
      csize,
      usize,
      offset,
      symlink: (unixMode & 0o170000) === 0o120000,
      dir: name.endsWith("/") || name.endsWith("\\"),
    });
    p = xEnd + commentLen;
  }
  return entries;
}

/** Offset of an entry's data (after its local header). */
async function dataStart(f: Deno.FsFile, e: ZipEntry, archive: string): Promise<number> {
  const h = await readAt(f, e.offset, 30, archive);
  const hv = new DataView(h.buffer);
  if (hv.getUint32(0, true) !== 0x04034b50) {
    throw new ArchiveFormatError(`${archive}: entry "${e.name}": bad local header`);
  }
  return e.offset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
}

/** Streams an entry's uncompressed bytes to `sink`, checking size and CRC-32. */
async function inflateEntry(
  f: Deno.FsFile,
  e: ZipEntry,
  archive: string,
  sink: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  if (e.method !== 0 && e.method !== 8) {
    throw new ArchiveFormatError(
      `${archive}: entry "${e.name}": unsupported compression method ${e.method}`,
    );
  }
  let pos = await dataStart(f, e, archive);
  const end = pos + e.csize;
  let crc = 0;
  let written = 0;
  const pending: Uint8Array[] = [];
  const inflater = e.method === 8 ? new Inflate((chunk) => pending.push(chunk)) : null;
  const flush = async () => {
    for (const c of pending) {
      written += c.length;
      if (written > e.usize) {
        throw new ArchiveFormatError(
          `${archive}: entry "${e.name}" inflates beyond its declared ${e.usize} bytes`,
        );
      }
      crc = crc32(c, crc);
      await sink(c);
    }
    pending.length = 0;
  };
  if (e.csize === 0 && inflater) inflater.push(new Uint8Array(0), true);
  while (pos < end) {
    const n = Math.min(CHUNK, end - pos);
    const buf = await readAt(f, pos, n, archive);
    pos += n;
    if (inflater) inflater.push(buf, pos >= end);
    else pending.push(buf);
    await flush();
  }
  await flush();
  if (written !== e.usize || (crc >>> 0) !== e.crc) {
    throw new ArchiveFormatError(
      `${archive}: entry "${e.name}" is damaged (size ${written}/${e.usize}, CRC mismatch: ` +
        `${(crc >>> 0) !== e.crc})`,
    );
  }
}

async function copyEntry(
  f: Deno.FsFile,
  e: ZipEntry,
  archive: string,
  file: Deno.FsFile,
): Promise<void> {
  await inflateEntry(f, e, archive, async (c) => {
    let off = 0;
    while (off < c.length) off += await file.write(c.subarray(off));
  });
}

async function entryBytes(
  f: Deno.FsFile,
  e: ZipEntry,
  archive: string,
  max: number,
): Promise<Uint8Array> {
  if (e.usize > max) throw new UnsafeArchiveError(archive, e.name, "symlink target too long");
  const parts: Uint8Array[] = [];
  await inflateEntry(f, e, archive, (c) => {
    parts.push(c);
    return Promise.resolve();
  });
  const outBuf = new Uint8Array(parts.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of parts) {
    outBuf.set(c, o);
    o += c.length;
  }
  return outBuf;
}

// ---------------------------------------------------------------------------------------------
// tar.gz

async function extractTarGz(archive: string, out: Writer, options: ExtractOptions): Promise<void> {
  const src = createReadStream(archive);
  const gunzip = createGunzip();
  const extract = tar.extract();
  const fail = (e: Error) =>
    extract.destroy(new ArchiveFormatError(`${archive}: not a valid tar.gz (${e.message})`));
  src.on("error", fail);
  gunzip.on("error", fail);
  src.pipe(gunzip).pipe(extract as unknown as NodeJS.WritableStream);
  let done = 0;
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const path = safeEntryPath(h.name, archive);
      if (h.type === "symlink" || h.type === "link") {
        out.checkLink(h.name, path, h.linkname ?? "", h.type === "link");
        entry.resume();
        continue;
      }
      if (h.type !== "file" && h.type !== "contiguous-file" && h.type !== "directory") {
        throw new UnsafeArchiveError(archive, h.name, `unsupported entry type ${h.type}`);
      }
      const mapped = path === "" ? null : mapEntry(path, options.layout);
      if (mapped === null) {
        out.result.skipped++;
        entry.resume();
        continue;
      }
      if (h.type === "directory") {
        await out.dir(h.name, await out.target(h.name, mapped));
        entry.resume();
        continue;
      }
      const file = await out.open(await out.target(h.name, mapped));
      try {
        for await (const chunk of entry as AsyncIterable<Uint8Array>) {
          let off = 0;
          while (off < chunk.length) off += await file.write(chunk.subarray(off));
          out.result.bytes += chunk.length;
        }
      } finally {
        file.close();
      }
      out.result.files++;
      if (++done % 1000 === 0) options.log?.(`${archive}: ${done} files extracted`);
      await pollInterrupt(`interrupted: extracting ${archive} stopped after ${done} files`);
    }
  } catch (e) {
    src.destroy();
    gunzip.destroy();
    throw e;
  }
}
