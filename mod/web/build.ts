/**
 * Builds the browser page: a self-contained static folder that classifies a visitor's own audio
 * with a trained bundle, offline, from any static host. The page's scripts are bundled from the
 * project's own TypeScript (`deno bundle`), so the page computes features with exactly the CLI's
 * code; the TensorFlow.js wasm binaries and the bundles are copied in; nothing is fetched from
 * elsewhere.
 *
 * ```
 * <out>/index.html   the page            <out>/models.json  the models, with their facts
 * <out>/page.js      main thread          <out>/models/<id>/ each bundle's files
 * <out>/worker.js    feature worker       <out>/tfjs/        tfjs-backend-wasm binaries
 * ```
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { exists, readJson } from "../fs.ts";
import { wasmBinaryDir } from "../engine/backend.ts";
import type { BundleEvaluation, Preprocessing } from "../predict/bundle_format.ts";
import { pageHtml } from "./_html.ts";

/** One model of the page (`models.json`). */
export interface WebModelEntry {
  /** Folder name under `models/` in the page. */
  id: string;
  /** Display name (the bundle folder's name). */
  name: string;
  /** Dataset the model was trained on (`gtzan`, `demo`, …). */
  dataset: string;
  /** Split protocol of its training data. */
  split: string;
  /** Segment-level test accuracy (`evaluation.json`), or null. */
  testAccuracy: number | null;
  /** Track-level test accuracy, or null. */
  testTrackAccuracy: number | null;
  /** When the bundle was written (ISO date of its `weights.bin`). */
  trained: string;
}

/** Options of {@linkcode buildWebApp}. */
export interface BuildWebOptions {
  /** Bundle folders to include (the first is the page's default). */
  models: readonly string[];
  /** Output folder (replaced atomically). */
  out: string;
  /** Page title. */
  title?: string;
  /** Minify the scripts (default true). */
  minify?: boolean;
}

/** What {@linkcode buildWebApp} wrote. */
export interface BuildWebResult {
  out: string;
  models: WebModelEntry[];
  /** Bytes per top-level file or folder. */
  sizes: Record<string, number>;
}

/** The files of a bundle the page needs. */
const BUNDLE_FILES = [
  "model.json",
  "weights.bin",
  "preprocessing.json",
  "labels.json",
  "scaler.json",
];

const WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm"];

/** The project root (holds `deno.json` and `node_modules`). */
function projectRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/**
 * Builds the page into `options.out`. Errors name the bundle folder that is incomplete.
 *
 * @example
 * ```ts ignore
 * import { buildWebApp } from "./build.ts";
 * const r = await buildWebApp({
 *   models: ["models/demo/UNet_Audio_Classifier_best_WITH_AUG"],
 *   out: "reports/web",
 * });
 * console.log(r.models[0]!.name);
 * ```
 *
 * (Not run by `deno test --doc`: it needs a trained bundle; `mod/web/web_test.ts` builds one.)
 */
export async function buildWebApp(options: BuildWebOptions): Promise<BuildWebResult> {
  if (options.models.length === 0) throw new Error("web: no model bundle given");
  const out = resolve(options.out);
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${Deno.pid}`);
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(join(tmp, "models"), { recursive: true });
  try {
    const entries: WebModelEntry[] = [];
    for (const dir of options.models) entries.push(await copyBundle(dir, tmp, entries));
    await Deno.mkdir(join(tmp, "tfjs"));
    const wasmDir = wasmBinaryDir();
    for (const f of WASM_FILES) await Deno.copyFile(join(wasmDir, f), join(tmp, "tfjs", f));
    await bundleScripts(tmp, options.minify ?? true);
    await Deno.writeTextFile(join(tmp, "models.json"), JSON.stringify(entries, null, 2) + "\n");
    await Deno.writeTextFile(
      join(tmp, "index.html"),
      pageHtml({
        title: options.title ?? "Reproducible MGC: music genre in your browser",
        built: new Date().toISOString().slice(0, 10),
      }),
    );
    const sizes: Record<string, number> = {};
    for await (const e of Deno.readDir(tmp)) sizes[e.name] = await sizeOf(join(tmp, e.name));
    const old = join(dirname(out), `.${basename(out)}.old-${Deno.pid}`);
    const hadOld = await exists(out);
    if (hadOld) await Deno.rename(out, old);
    await Deno.rename(tmp, out);
    if (hadOld) await Deno.remove(old, { recursive: true });
    return { out, models: entries, sizes };
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

async function copyBundle(
  dir: string,
  tmp: string,
  taken: readonly WebModelEntry[],
): Promise<WebModelEntry> {
  const missing: string[] = [];
  for (const f of BUNDLE_FILES) if (!(await exists(join(dir, f)))) missing.push(f);
  if (missing.length) {
    throw new Error(`${dir}: not a complete model bundle (missing ${missing.join(", ")})`);
  }
  const pre = await readJson<Preprocessing>(join(dir, "preprocessing.json"));
  const scaler = await readJson<{ mean_file: string; std_file: string }>(join(dir, "scaler.json"));
  const name = basename(resolve(dir));
  let id = name.replace(/[^A-Za-z0-9_.-]/g, "_");
  while (taken.some((t) => t.id === id)) id += "_";
  const target = join(tmp, "models", id);
  await Deno.mkdir(target);
  const files = [...BUNDLE_FILES, scaler.mean_file, scaler.std_file];
  const evalPath = join(dir, "evaluation.json");
  const evaluation = (await exists(evalPath)) ? await readJson<BundleEvaluation>(evalPath) : null;
  if (evaluation) files.push("evaluation.json");
  for (const f of files) await Deno.copyFile(join(dir, f), join(target, f));
  const mtime = (await Deno.stat(join(dir, "weights.bin"))).mtime;
  return {
    id,
    name,
    dataset: pre.dataset,
    split: pre.split,
    testAccuracy: evaluation?.test_accuracy ?? null,
    testTrackAccuracy: evaluation?.test_track_accuracy ?? null,
    trained: mtime ? mtime.toISOString().slice(0, 10) : "unknown",
  };
}

/**
 * Bundles `_page.ts` and `_worker.ts` for the browser with `deno bundle`, with `node:path` mapped
 * to a small shim (the shared modules import it for file names only).
 */
async function bundleScripts(tmp: string, minify: boolean): Promise<void> {
  const root = projectRoot();
  const config = await readJson<{ imports: Record<string, string> }>(join(root, "deno.json"));
  const webConfig = join(root, `.tmp-web-${Deno.pid}.json`);
  await Deno.writeTextFile(
    webConfig,
    JSON.stringify({
      imports: { ...config.imports, "node:path": "./mod/web/_path_shim.ts" },
      nodeModulesDir: "auto",
      lock: false,
    }),
  );
  try {
    for (const [entry, file] of [["_page.ts", "page.js"], ["_worker.ts", "worker.js"]]) {
      const args = [
        "bundle",
        "--quiet",
        "--config",
        webConfig,
        "--platform",
        "browser",
        ...(minify ? ["--minify"] : []),
        "-o",
        join(tmp, file),
        join(root, "mod", "web", entry),
      ];
      const r = await new Deno.Command(Deno.execPath(), { args, cwd: root, stderr: "piped" })
        .output();
      if (!r.success) {
        throw new Error(`web: deno bundle ${entry} failed:\n${new TextDecoder().decode(r.stderr)}`);
      }
    }
  } finally {
    await Deno.remove(webConfig).catch(() => {});
  }
}

async function sizeOf(path: string): Promise<number> {
  const st = await Deno.stat(path);
  if (!st.isDirectory) return st.size;
  let total = 0;
  for await (const e of Deno.readDir(path)) total += await sizeOf(join(path, e.name));
  return total;
}
