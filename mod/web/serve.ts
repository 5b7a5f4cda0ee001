/**
 * A static file server for the built page, on the loopback interface only: what
 * `deno task web --serve` and the browser test use. Any plain static host serves the folder
 * equally well; `.wasm` must be served as `application/wasm` (this server does).
 *
 * @module
 */
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
  ".npy": "application/octet-stream",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wav": "audio/wav",
  ".mp3": "audio/mpeg",
};

/** A running server. */
export interface StaticServer {
  /** `http://127.0.0.1:<port>/`. */
  url: string;
  /** Paths requested so far, in order (for tests). */
  requests: string[];
  /** Stops the server. */
  shutdown(): Promise<void>;
}

/**
 * Serves `dir` on `127.0.0.1` (`port` 0 picks a free one). Paths outside `dir` are refused.
 *
 * @example
 * ```ts
 * import { serveStatic } from "./serve.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/index.html`, "<p>hi</p>");
 * const server = serveStatic(dir, { port: 0 });
 * const r = await fetch(server.url);
 * console.log(r.headers.get("content-type"), await r.text()); // text/html; charset=utf-8 <p>hi</p>
 * await server.shutdown();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function serveStatic(dir: string, options: { port?: number } = {}): StaticServer {
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 8000, onListen: () => {} },
    async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      requests.push(path);
      const rel = normalize(path).replace(/^\/+/, "");
      if (rel.startsWith("..")) return new Response("forbidden", { status: 403 });
      let file = join(dir, rel || "index.html");
      try {
        if ((await Deno.stat(file)).isDirectory) file = join(file, "index.html");
        const body = await Deno.readFile(file);
        const type = TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
        return new Response(body, {
          headers: { "content-type": type, "cache-control": "no-cache" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const port = server.addr.port;
  return { url: `http://127.0.0.1:${port}/`, requests, shutdown: () => server.shutdown() };
}
