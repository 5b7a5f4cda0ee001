/**
 * Hashing many files fast: each file is streamed through `node:crypto`'s `createHash` in 1 MiB
 * reads (MD5 and SHA-1 are not in WebCrypto; Deno implements `node:crypto` natively), and the
 * files are shared out over a pool of Deno Workers, one per core, so hashing a 1.2 GB dataset
 * takes seconds. A file that cannot be read is a result with the reason, not an error. The first
 * bytes of each file are checked against its extension's container (RIFF/WAVE, `.snd`, MPEG), so
 * a file that no decoder will open is reported without decoding anything.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";

/** A hash the verifier understands: the algorithms of the published lists, and SHA-256. */
export type HashAlgorithm = "md5" | "sha1" | "sha256";

/** One file's outcome. */
export interface HashedFile {
  /** Path relative to the root, `/`-separated. */
  path: string;
  /** Bytes read (0 when unreadable). */
  size: number;
  /** Lower-case hex digest, or null when the file could not be read. */
  hash: string | null;
  /** Why the file could not be read (then `hash` is null). */
  error?: string;
  /** Why the file's first bytes do not look like its format (`.wav`, `.au`, `.mp3`). */
  problem?: string;
}

/** Options of {@linkcode hashFiles}. */
export interface HashFilesOptions {
  /** The digest to compute. */
  algorithm: HashAlgorithm;
  /** Worker threads (default `navigator.hardwareConcurrency`; 0 = this thread). */
  workers?: number;
  /** Called once per file as it completes (any order): progress. */
  onFile?: (file: HashedFile) => void;
}

const CHUNK = 1 << 20;

/**
 * Why `head` (a file's first bytes) does not fit the container its extension names, or null
 * when it does or the extension is not one of `.wav`, `.au`, `.mp3`.
 *
 * @example
 * ```ts
 * import { headerProblem } from "./hash_files.ts";
 * headerProblem("a.wav", new TextEncoder().encode("RIFF\0\0\0\0WAVEfmt ")); // null
 * headerProblem("a.wav", new Uint8Array(12)); // "not a WAV file: no RIFF/WAVE header"
 * ```
 */
export function headerProblem(path: string, head: Uint8Array): string | null {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  const text = (from: number, to: number): string =>
    String.fromCharCode(...head.subarray(from, to));
  if (!["wav", "au", "mp3"].includes(ext)) return null;
  if (head.length === 0) return "empty file";
  if (ext === "wav") {
    const riff = ["RIFF", "RIFX", "RF64"].includes(text(0, 4)) && text(8, 12) === "WAVE";
    return riff ? null : "not a WAV file: no RIFF/WAVE header";
  }
  if (ext === "au") return text(0, 4) === ".snd" ? null : "not an AU file: no .snd header";
  const id3 = text(0, 3) === "ID3";
  const sync = head.length >= 2 && head[0] === 0xff && (head[1]! & 0xe0) === 0xe0;
  return id3 || sync ? null : "not an MP3 file: neither an ID3 tag nor an MPEG frame at the start";
}

/**
 * Streams one file through the hash; an unreadable file gives `hash: null` and the reason.
 *
 * @example
 * ```ts
 * import { hashFile } from "./hash_files.ts";
 * const f = await hashFile("deno.json", "sha256");
 * console.log(f.size > 0, f.hash?.length); // true 64
 * ```
 */
export async function hashFile(
  path: string,
  algorithm: HashAlgorithm,
  buffer: Uint8Array = new Uint8Array(CHUNK),
): Promise<Omit<HashedFile, "path">> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    return { size: 0, hash: null, error: readError(e) };
  }
  try {
    const h = createHash(algorithm);
    let size = 0;
    let head: Uint8Array | null = null;
    for (;;) {
      const n = await file.read(buffer);
      if (n === null) break;
      const chunk = buffer.subarray(0, n);
      if (head === null) head = chunk.slice(0, 16);
      h.update(chunk);
      size += n;
    }
    const problem = headerProblem(path, head ?? new Uint8Array(0));
    return { size, hash: h.digest("hex"), ...(problem ? { problem } : {}) };
  } catch (e) {
    return { size: 0, hash: null, error: readError(e) };
  } finally {
    file.close();
  }
}

function readError(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "cannot be opened (not found: a broken link?)";
  if (e instanceof Deno.errors.PermissionDenied) return "cannot be read (permission denied)";
  if (e instanceof Deno.errors.IsADirectory) return "is a folder, not a file";
  return `cannot be read (${(e as Error)?.message ?? String(e)})`;
}

/** A job posted to a hashing worker. */
export interface HashJob {
  index: number;
  path: string;
  algorithm: HashAlgorithm;
}

/** A worker's answer to a {@linkcode HashJob}. */
export type HashReply = { index: number } & Omit<HashedFile, "path">;

/**
 * Hashes `paths` (relative to `root`) with `options.algorithm` on a pool of workers; returns the
 * results in the order of `paths`. Throws only when a worker itself fails (a bug), never for a
 * file: unreadable files come back with `hash: null` and `error`.
 *
 * @example
 * ```ts
 * import { hashFiles } from "./hash_files.ts";
 * const [f] = await hashFiles(".", ["deno.json"], { algorithm: "md5", workers: 0 });
 * console.log(f!.path, f!.hash!.length); // deno.json 32
 * ```
 */
export async function hashFiles(
  root: string,
  paths: readonly string[],
  options: HashFilesOptions,
): Promise<HashedFile[]> {
  const out: HashedFile[] = new Array(paths.length);
  const workers = Math.min(options.workers ?? navigator.hardwareConcurrency, paths.length);
  const done = (index: number, r: Omit<HashedFile, "path">): void => {
    const f: HashedFile = { path: paths[index]!, ...r };
    out[index] = f;
    options.onFile?.(f);
  };
  if (workers <= 0) {
    const buffer = new Uint8Array(CHUNK);
    for (const [i, p] of paths.entries()) {
      done(i, await hashFile(join(root, p), options.algorithm, buffer));
    }
    return out;
  }
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let left = paths.length;
      const give = (w: Worker): void => {
        if (next >= paths.length) return;
        const index = next++;
        w.postMessage(
          {
            index,
            path: join(root, paths[index]!),
            algorithm: options.algorithm,
          } satisfies HashJob,
        );
      };
      for (let i = 0; i < workers; i++) {
        const w = new Worker(new URL("./_hash_worker.ts", import.meta.url), { type: "module" });
        w.onmessage = (e: MessageEvent<HashReply>) => {
          const { index, ...r } = e.data;
          done(index, r);
          if (--left === 0) resolve();
          else give(w);
        };
        w.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          reject(new Error(`hashing worker failed: ${e.message}`));
        };
        pool.push(w);
        // Two jobs in flight per worker, so that a worker never waits for the next message.
        give(w);
        give(w);
      }
    });
  } finally {
    for (const w of pool) w.terminate();
  }
  return out;
}
