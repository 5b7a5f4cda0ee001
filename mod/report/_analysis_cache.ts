/**
 * Private artefact cache of the final analysis (`analysis.ts`): JSON files under
 * `<out>/.cache/`, keyed by the SHA-256 of their inputs ({@linkcode concat} builds the bytes to
 * hash); a damaged or stale entry is recomputed.
 *
 * @module
 */
import { join } from "node:path";
import { exists, readJson, writeJsonAtomic } from "../fs.ts";

/** Bumped when a cached artefact's shape or meaning changes; part of every cache key. */
export const CACHE_VERSION = "analysis-v1";

/**
 * The cached value of `name` under `out` when its stored key equals `key` (and `useCache`),
 * else `compute()`, stored for next time; `hit` says which.
 */
export async function cached<T>(
  out: string,
  name: string,
  key: string,
  useCache: boolean,
  compute: () => Promise<T>,
): Promise<{ value: T; hit: boolean }> {
  const path = join(out, ".cache", `${name}-${key.slice(0, 24)}.json`);
  if (useCache && (await exists(path))) {
    try {
      const c = await readJson<{ key: string; value: T }>(path);
      if (c.key === key) return { value: c.value, hit: true };
    } catch {
      // a damaged cache entry is recomputed
    }
  }
  const value = await compute();
  await writeJsonAtomic(path, { key, value });
  return { value, hit: false };
}

/** Strings (each NUL-terminated) and byte arrays, concatenated: the input of a cache key. */
export function concat(...parts: (string | Uint8Array)[]): Uint8Array {
  const enc = new TextEncoder();
  const bufs = parts.map((p) => (typeof p === "string" ? enc.encode(p + "\u0000") : p));
  const out = new Uint8Array(bufs.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of bufs) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}
