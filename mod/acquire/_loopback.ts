/**
 * Test helpers for the data:get tests: a loopback HTTP server on 127.0.0.1 (port 0) that records
 * every request, tiny generated archives, and temp folders. Private to the tests.
 *
 * @module
 */
import { type Zippable, zipSync } from "fflate";
import tar from "tar-stream";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";

/** A recorded request. */
export interface SeenRequest {
  /** Path and query. */
  path: string;
  /** Lower-cased headers. */
  headers: Record<string, string>;
}

/** A running loopback server. */
export interface Loopback {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Every request so far. */
  seen: SeenRequest[];
  /** Stops the server. */
  close(): Promise<void>;
}

/** Starts a loopback server with `handler`. */
export function serveLoopback(
  handler: (req: Request, seen: SeenRequest) => Response | Promise<Response>,
): Loopback {
  const seen: SeenRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen(): void {} }, (req) => {
    const u = new URL(req.url);
    const s = { path: u.pathname + u.search, headers: Object.fromEntries(req.headers) };
    seen.push(s);
    return handler(req, s);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

/** Serves static files by path, honouring `Range: bytes=N-` (206) unless `noRange`. */
export function staticHandler(
  files: Record<string, Uint8Array>,
  options: { noRange?: boolean } = {},
): (req: Request) => Response {
  return (req) => {
    const body = files[new URL(req.url).pathname];
    if (!body) return new Response("not found", { status: 404 });
    const m = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
    if (m && !options.noRange) {
      const from = Number(m[1]);
      if (from >= body.length) {
        return new Response(null, {
          status: 416,
          headers: { "content-range": `bytes */${body.length}` },
        });
      }
      return new Response(body.slice(from), {
        status: 206,
        headers: { "content-range": `bytes ${from}-${body.length - 1}/${body.length}` },
      });
    }
    return new Response(body.slice());
  };
}

/** A zip from `{ path: content }` (strings are UTF-8). */
export function makeZip(files: Record<string, string | Uint8Array>): Uint8Array {
  const z: Zippable = {};
  for (const [k, v] of Object.entries(files)) {
    z[k] = typeof v === "string" ? new TextEncoder().encode(v) : v;
  }
  return zipSync(z, { level: 6 });
}

/** One tar entry for {@linkcode makeTarGz}. */
export interface TarItem {
  /** Entry name. */
  name: string;
  /** File content (files only). */
  content?: string | Uint8Array;
  /** Entry type (default file). */
  type?: "file" | "directory" | "symlink" | "link";
  /** Link target. */
  linkname?: string;
}

/** A .tar.gz made with tar-stream's packer and gzip. */
export async function makeTarGz(items: TarItem[]): Promise<Uint8Array> {
  const pack = tar.pack();
  const chunks: Uint8Array[] = [];
  pack.on("data", (c) => chunks.push(c as Uint8Array));
  const ended = new Promise<void>((res) => pack.on("end", () => res()));
  for (const it of items) {
    const content = typeof it.content === "string"
      ? new TextEncoder().encode(it.content)
      : it.content;
    if (content) {
      pack.entry({ name: it.name, type: it.type ?? "file" }, content);
    } else {
      pack.entry({ name: it.name, type: it.type ?? "file", linkname: it.linkname });
    }
  }
  pack.finalize();
  await ended;
  const all = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return new Uint8Array(gzipSync(all));
}

/** Hex digest of bytes. */
export function hex(algo: "sha1" | "sha256", data: Uint8Array): string {
  return createHash(algo).update(data).digest("hex");
}

/** Bytes 0..n-1 of a fixed pattern. */
export function patternBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff;
  return b;
}
