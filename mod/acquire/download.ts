/**
 * Resumable HTTP download: bytes go to `<file>.part`; an interrupted download resumes with an HTTP
 * `Range` request; SHA-256 (always) and SHA-1 are computed while the bytes arrive; a published
 * checksum is verified before the file is renamed into place. A mismatch deletes nothing: the file
 * is moved aside to `<file>.bad` and the error says expected vs got.
 *
 * Redirects are followed by hand so that an `Authorization` header is never sent to another origin
 * (Kaggle answers with a redirect to a signed storage URL).
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { formatSeconds } from "../progress.ts";
import { pollInterrupt } from "../interrupt.ts";

/** A download failed in a way the user can act on; the message is one line. */
export class DownloadError extends Error {
  override name = "DownloadError";
  /** HTTP status, when the server answered. */
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** The downloaded bytes do not match the published checksum. */
export class ChecksumError extends Error {
  override name = "ChecksumError";
  /** Where the bad file was kept. */
  readonly keptAt: string;
  constructor(message: string, keptAt: string) {
    super(message);
    this.keptAt = keptAt;
  }
}

/** Options for {@linkcode downloadFile}. */
export interface DownloadOptions {
  /** Published SHA-1 (hex) to verify. */
  sha1?: string;
  /** Published SHA-256 (hex) to verify. */
  sha256?: string;
  /** Extra request headers (e.g. Authorization); dropped on a redirect to another origin. */
  headers?: Record<string, string>;
  /** `fetch` to use (tests). */
  fetchImpl?: typeof fetch;
  /** Progress and notices (default: stderr); `null` for silence. */
  log?: ((line: string) => void) | null;
  /** What to tell the user to do on 401/403 (e.g. how to fix Kaggle credentials). */
  authHint?: string;
  /** Label in progress lines (default: the file name). */
  label?: string;
}

/** What {@linkcode downloadFile} returns. */
export interface DownloadResult {
  /** Final path. */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the file (hex). */
  sha256: string;
  /** SHA-1 of the file (hex). */
  sha1: string;
  /** Bytes that were already on disk in `.part` and were not downloaded again. */
  resumedFrom: number;
}

const MAX_REDIRECTS = 5;

/**
 * Downloads `url` to `dest` via `dest.part`, resuming a partial `.part` with `Range`.
 *
 * @example
 * ```ts ignore
 * import { downloadFile } from "./download.ts";
 * const r = await downloadFile("https://example.org/a.zip", "data/a.zip", { sha1: "…" });
 * console.log(r.sha256);
 * ```
 */
export async function downloadFile(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const log = options.log === undefined ? stderrLine : options.log;
  const part = `${dest}.part`;
  const label = options.label ?? dest.split("/").pop()!;
  let have = await fileSize(part);
  const sha256 = createHash("sha256");
  const sha1 = createHash("sha1");

  let res = await request(url, have, options);
  let complete = false;
  if (have > 0 && res.status === 416) {
    // The .part may already hold the whole file (interrupted between last byte and rename).
    complete = parseTotal(res.headers.get("content-range")) === have;
    await res.body?.cancel();
    if (!complete) {
      log?.(`${label}: server refused to resume at byte ${have}; restarting from 0`);
      await Deno.truncate(part, 0);
      have = 0;
      res = await request(url, 0, options);
    }
  }
  if (complete) {
    await hashFile(part, [sha256, sha1]);
  } else {
    if (!res.ok) {
      await res.body?.cancel();
      throw httpError(url, res.status, res.statusText, part, have, options.authHint);
    }
    if (have > 0 && res.status === 200) {
      log?.(`${label}: server ignored the Range request (no resume support); restarting from 0`);
      have = 0;
    } else if (have > 0 && res.status === 206) {
      const start = parseStart(res.headers.get("content-range"));
      if (start !== have) {
        await res.body?.cancel();
        throw new DownloadError(
          `${url}: server resumed at byte ${start} instead of ${have}; ` +
            `delete ${part} and run again`,
          res.status,
        );
      }
      log?.(`${label}: resuming at ${formatBytes(have)}`);
      await hashFile(part, [sha256, sha1]);
    }
    const length = Number(res.headers.get("content-length") ?? NaN);
    const total = Number.isFinite(length) ? have + length : NaN;
    await receive(res, part, have, total, [sha256, sha1], { url, label, log });
  }

  const bytes = await fileSize(part);
  const got = { sha256: sha256.digest("hex"), sha1: sha1.digest("hex") };
  for (const algo of ["sha1", "sha256"] as const) {
    const expected = options[algo]?.toLowerCase();
    if (expected && expected !== got[algo]) {
      const bad = `${dest}.bad`;
      await Deno.rename(part, bad);
      throw new ChecksumError(
        `${url}: ${algo.toUpperCase()} mismatch: expected ${expected}, got ${got[algo]} ` +
          `(${formatBytes(bytes)}); the file is kept at ${bad}. Run again to download afresh; ` +
          `if it keeps failing, the published archive may have changed`,
        bad,
      );
    }
  }
  await Deno.rename(part, dest);
  return { path: dest, bytes, sha256: got.sha256, sha1: got.sha1, resumedFrom: have };
}

async function request(url: string, from: number, options: DownloadOptions): Promise<Response> {
  const fetchImpl = options.fetchImpl ?? fetch;
  let current = url;
  let headers: Record<string, string> = { ...options.headers };
  if (from > 0) headers["range"] = `bytes=${from}-`;
  for (let i = 0; i <= MAX_REDIRECTS; i++) {
    let res: Response;
    try {
      res = await fetchImpl(current, { headers, redirect: "manual" });
    } catch (e) {
      throw new DownloadError(
        `${url}: network failure (${(e as Error).message}); check the connection and run again` +
          (from > 0 ? ` (the partial download is kept and will resume)` : ""),
      );
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      const next = new URL(location, current);
      if (next.origin !== new URL(current).origin) {
        headers = Object.fromEntries(
          Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"),
        );
      }
      current = next.href;
      continue;
    }
    return res;
  }
  throw new DownloadError(`${url}: more than ${MAX_REDIRECTS} redirects; try again later`);
}

async function receive(
  res: Response,
  part: string,
  have: number,
  total: number,
  hashes: Hash[],
  ctx: { url: string; label: string; log: ((line: string) => void) | null },
): Promise<void> {
  const file = await Deno.open(part, {
    write: true,
    create: true,
    append: have > 0,
    truncate: have === 0,
  });
  const meter = new ByteMeter(ctx.label, total, have, ctx.log);
  let got = have;
  try {
    if (!res.body) return;
    const reader = res.body.getReader();
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw new DownloadError(
          `${ctx.url}: connection lost after ${formatBytes(got)} (${(e as Error).message}); ` +
            `run the same command again to resume from ${part}`,
        );
      }
      if (chunk.done) break;
      let off = 0;
      while (off < chunk.value.length) off += await file.write(chunk.value.subarray(off));
      for (const h of hashes) h.update(chunk.value);
      got += chunk.value.length;
      meter.update(got);
      await pollInterrupt(
        `interrupted: ${formatBytes(got)} of ${ctx.url} kept in ${part}; run the same command ` +
          "again to resume the download",
      );
    }
  } finally {
    file.close();
  }
  if (Number.isFinite(total) && got !== total) {
    throw new DownloadError(
      `${ctx.url}: connection closed after ${formatBytes(got)} of ${formatBytes(total)}; ` +
        `run the same command again to resume from ${part}`,
    );
  }
  meter.done(got);
}

function httpError(
  url: string,
  status: number,
  text: string,
  part: string,
  have: number,
  authHint?: string,
): DownloadError {
  const kept = have > 0 ? ` (partial download kept at ${part})` : "";
  let what: string;
  if (status === 401 || status === 403) {
    what = authHint ?? "the server refused access; check that the URL is public";
  } else if (status === 404) {
    what = "not found: the archive may have moved; try another --source or download it by hand";
  } else if (status >= 500) {
    what = "server error; try again later";
  } else {
    what = "unexpected answer; try again later";
  }
  return new DownloadError(
    `${url}: HTTP ${status}${text ? ` ${text}` : ""}: ${what}${kept}`,
    status,
  );
}

/** Streams a file through hashes (used to resume hashing of a `.part`). */
async function hashFile(path: string, hashes: Hash[]): Promise<void> {
  const f = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(1 << 20);
    while (true) {
      const n = await f.read(buf);
      if (n === null) break;
      for (const h of hashes) h.update(buf.subarray(0, n));
    }
  } finally {
    f.close();
  }
}

/**
 * Hex SHA-256 and SHA-1 of a file, streamed (constant memory).
 *
 * @example
 * ```ts ignore
 * import { hashFileHex } from "./download.ts";
 * const { sha256 } = await hashFileHex("data/fma/fma_small.zip");
 * ```
 */
export async function hashFileHex(path: string): Promise<{ sha256: string; sha1: string }> {
  const a = createHash("sha256");
  const b = createHash("sha1");
  await hashFile(path, [a, b]);
  return { sha256: a.digest("hex"), sha1: b.digest("hex") };
}

function parseStart(contentRange: string | null): number {
  const m = /^bytes (\d+)-/.exec(contentRange ?? "");
  return m ? Number(m[1]) : NaN;
}

function parseTotal(contentRange: string | null): number {
  const m = /\/(\d+)$/.exec(contentRange ?? "");
  return m ? Number(m[1]) : NaN;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

/**
 * Formats a byte count with binary units: `512 B`, `3.4 MiB`, `7.20 GiB`.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./download.ts";
 * formatBytes(7.2 * 2 ** 30); // "7.20 GiB"
 * ```
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return "?";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** Byte progress on stderr: done/total, rate, ETA; at most one line every 2 s (TTY: redrawn). */
class ByteMeter {
  #start = performance.now();
  #last = 0;
  #startBytes: number;
  constructor(
    readonly label: string,
    readonly total: number,
    startBytes: number,
    readonly log: ((line: string) => void) | null,
  ) {
    this.#startBytes = startBytes;
  }
  update(bytes: number): void {
    const now = performance.now();
    if (!this.log || now - this.#last < 2000) return;
    this.#last = now;
    this.log(this.#line(bytes, false));
  }
  done(bytes: number): void {
    this.log?.(this.#line(bytes, true));
  }
  #line(bytes: number, final: boolean): string {
    const s = Math.max((performance.now() - this.#start) / 1000, 1e-9);
    const rate = (bytes - this.#startBytes) / s;
    const of = Number.isFinite(this.total)
      ? ` / ${formatBytes(this.total)} (${((100 * bytes) / this.total).toFixed(0)}%)`
      : "";
    const eta = final
      ? `in ${formatSeconds(s)}`
      : Number.isFinite(this.total) && rate > 0
      ? `ETA ${formatSeconds((this.total - bytes) / rate)}`
      : "";
    return `${this.label}: ${formatBytes(bytes)}${of} ${formatBytes(rate)}/s ${eta}`.trimEnd();
  }
}

function stderrLine(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
}
