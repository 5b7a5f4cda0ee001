/**
 * `deno task web [--model <bundle> …] [--out reports/web] [--serve] [--port 8000]`
 *
 * The classifier in the browser, as a recipe:
 *
 * 1. pick the bundle(s): `--model` (repeatable; the first is the page's default), else the best
 *    GTZAN bundle under `--models-dir`, else the demo's (as `deno task predict` does);
 * 2. bundle the page's TypeScript (`mod/web/_page.ts`, `mod/web/_worker.ts`: the CLI's own feature
 *    code) for the browser, copy the TensorFlow.js wasm binaries and the bundles into `--out`;
 * 3. with `--serve`, serve the folder on 127.0.0.1 and print the URL (Ctrl-C stops).
 *
 * The folder is static and self-contained: any static host serves it, offline too.
 *
 * @module
 */
import { findBestBundle } from "../mod/predict/mod.ts";
import { buildWebApp, serveStatic } from "../mod/web/mod.ts";
import { intFlag, parseCli, runMain, UserError } from "../mod/cli.ts";
import { log } from "../mod/progress.ts";

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, {
    usage: "deno task web [--model <bundle> …] [--out reports/web] [--serve] [--port 8000]",
    description: "Build the static browser page that classifies a visitor's own audio.",
    flags: {
      model: { type: "string", multiple: true, help: "bundle folder (repeatable)" },
      "models-dir": { type: "string", default: "models", help: "where to look for bundles" },
      out: { type: "string", default: "reports/web", help: "output folder (replaced)" },
      serve: { type: "boolean", help: "serve the folder on 127.0.0.1 afterwards" },
      port: { type: "string", default: "8000", help: "port for --serve (0: any free port)" },
    },
  });
  let models = (values.model as string[] | undefined) ?? [];
  if (models.length === 0) {
    const best = await findBestBundle(String(values["models-dir"]));
    if (!best) {
      throw new UserError(
        `no model bundle under ${values["models-dir"]}: train one (e.g. \`deno task demo\`) ` +
          "or pass --model <bundle folder>",
      );
    }
    models = [best];
  }
  const port = intFlag(values, "port", 0);
  log(`web: building the page with ${models.join(", ")} …`);
  let built;
  try {
    built = await buildWebApp({ models, out: String(values.out) });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
  console.log(`${built.out}/index.html`);
  log(
    `web: ${Object.entries(built.sizes).map(([k, v]) => `${k} ${mb(v)}`).join(", ")}`,
  );
  if (values.serve) {
    const server = serveStatic(built.out, { port });
    console.log(`serving ${built.out} at ${server.url} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      Deno.addSignalListener("SIGINT", () => resolve());
    });
    await server.shutdown();
  }
}

if (import.meta.main) await runMain(main);
