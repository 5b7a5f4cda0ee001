/**
 * The classifier in the browser: {@linkcode buildWebApp} writes a static page that runs a trained
 * bundle on a visitor's own audio (nothing uploaded, no third-party requests), computing features
 * with the CLI's own code in a Web Worker; {@linkcode serveStatic} serves it on localhost. Imports
 * predict, report (the timeline figure), engine (the tfjs wasm binaries) and everything below.
 *
 * @example
 * ```ts
 * import { serveStatic } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/index.html`, "ok");
 * const server = serveStatic(dir, { port: 0 });
 * console.log((await fetch(server.url)).status); // 200
 * await server.shutdown();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./build.ts";
export * from "./serve.ts";
