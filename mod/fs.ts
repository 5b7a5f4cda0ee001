/**
 * File helpers: atomic writes (temp file + rename, so that a failed run never leaves a half-written
 * output), JSON, sha256 and sorted directory walks.
 *
 * @module
 */
import { dirname, join } from "node:path";

/**
 * Writes `data` to `path` atomically: a temporary sibling file is written, synced and renamed over
 * `path`. Parent folders are created.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./fs.ts";
 * await writeFileAtomic("/tmp/out.bin", new Uint8Array([1, 2, 3]));
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  try {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let off = 0;
      while (off < bytes.length) off += await f.write(bytes.subarray(off));
      await f.sync();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Writes `value` as pretty JSON (2 spaces, trailing newline) atomically.
 *
 * @example
 * ```ts
 * import { writeJsonAtomic } from "./fs.ts";
 * await writeJsonAtomic("/tmp/out.json", { a: 1 });
 * ```
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Reads and parses a JSON file; the error names the file.
 *
 * @example
 * ```ts
 * import { readJson } from "./fs.ts";
 * const cfg = await readJson<{ a: number }>("deno.json").catch(() => null);
 * ```
 */
export async function readJson<T = unknown>(path: string): Promise<T> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** A unique temporary path next to `path` (same folder, so rename is atomic). */
export function tempSibling(path: string): string {
  const rand = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16);
  return join(dirname(path), `.tmp-${Deno.pid}-${rand}-${path.split("/").pop()}`);
}

/**
 * Hex SHA-256 of bytes.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./fs.ts";
 * const h = await sha256Hex(new TextEncoder().encode("abc"));
 * ```
 */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Lists files under `root` recursively (relative paths, `/`-separated, sorted by code point so
 * the order is the same on every machine). Symlinks are not followed.
 *
 * @example
 * ```ts
 * import { listFilesSorted } from "./fs.ts";
 * const files = await listFilesSorted("mod");
 * ```
 */
export async function listFilesSorted(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    for await (const e of Deno.readDir(rel ? join(root, rel) : root)) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(p);
      else if (e.isFile) out.push(p);
    }
  }
  await walk("");
  return out.sort(compareCodePoints);
}

/** Code-point string comparison (locale independent), for sorting file lists. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `path` exists (file or folder). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
