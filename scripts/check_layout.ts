/**
 * `deno task check:layout [--root DIR] [--json]`
 *
 * Checks the shape of the library from `deno info --json` over every module of `mod/` and
 * `scripts/` (tests included), and exits 1 naming each problem:
 *
 * 1. **No import cycle** among the project's own modules, type-only imports included.
 * 2. **Dependencies point one way**: a module imports its own package or a package of a lower
 *    layer ({@linkcode LAYERS}); `mod/mod.ts` and `scripts/` may import everything, and so may
 *    tests (`*_test.ts`: nothing imports them, so they cannot turn an arrow around).
 * 3. **Scripts use public surfaces**: a script imports a package's `mod.ts`, a root helper, a
 *    benchmark module (`*_bench.ts`) or another script; a dynamic `import()` (a heavy part loaded
 *    only when needed, e.g. TensorFlow.js for the analysis's t-SNE) may name one public file of a
 *    package; never a private `_x.ts`.
 * 4. **Files fit in one's head**: no source file over {@linkcode MAX_LINES} lines (tests, generated
 *    `_bytes.ts` modules and data aside), every package has a `mod.ts`, and the root of `mod/`
 *    holds at most {@linkcode MAX_ROOT_FILES} source files.
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseCli, runMain } from "../mod/cli.ts";

/**
 * The layer of each package: a module may import its own package and any package of a lower
 * layer. Packages on the same layer do not import each other.
 */
export const LAYERS: Readonly<Record<string, number>> = Object.freeze({
  root: 0, // mod/*.ts: CLI errors and flags, fs, progress, rng, npy, csv, assertions
  audio: 1, // decoding, resampling, WAV writing
  acquire: 1, // downloads, archives, Kaggle
  features: 2, // FFT, log-mel, scalers, SpecAugment
  datasets: 3, // dataset configs and listings, splits, the demo generator
  prepare: 4, // the setup pipeline, .npy outputs, processed-data readers, sample sources
  engine: 5, // backends, kernels, batches, losses, optimisers, callbacks, training loop
  models: 6, // the architectures and their engine benchmark
  predict: 7, // bundles and prediction
  report: 8, // metrics, tables, plots, t-SNE, the analysis and HTML report
  experiments: 9, // recipes, tournament, k-fold, transfer, dataset trainings
  web: 9, // the static browser page (its build, its scripts, a local server)
  top: 10, // mod/mod.ts and scripts/
});

/** Longest allowed source file (lines). */
export const MAX_LINES = 700;

/** Most source files at the root of `mod/`, `mod.ts` included (and the helpers every package uses). */
export const MAX_ROOT_FILES = 8;

/** One problem found by {@linkcode checkLayout}. */
export interface LayoutProblem {
  /** `cycle`, `layer`, `script-import`, `too-long`, `no-mod` or `root` (too many root files). */
  kind: "cycle" | "layer" | "script-import" | "too-long" | "no-mod" | "root";
  /** What is wrong, with the files named relative to the root. */
  message: string;
}

/** What {@linkcode checkLayout} found. */
export interface LayoutReport {
  /** Modules of the project in the graph. */
  modules: number;
  /** Import edges among them. */
  edges: number;
  /** Every problem (empty when the layout holds). */
  problems: LayoutProblem[];
}

/** The package of a repository-relative path: `audio`, …, `root` (`mod/*.ts`) or `top`. */
export function packageOf(path: string): string {
  if (path === "mod/mod.ts" || path.startsWith("scripts/")) return "top";
  const parts = path.split("/");
  if (parts[0] !== "mod") return "outside";
  return parts.length === 2 ? "root" : parts[1]!;
}

async function listTs(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory && e.name !== "testdata" && e.name !== "node_modules") await walk(p);
      else if (e.isFile && p.endsWith(".ts")) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

interface InfoModule {
  specifier: string;
  dependencies?: {
    code?: { specifier?: string };
    type?: { specifier?: string };
    isDynamic?: boolean;
  }[];
}

/** The import graph among the project's modules (repository-relative paths). */
async function importGraph(
  root: string,
  files: string[],
): Promise<{ graph: Map<string, Set<string>>; dynamic: Set<string> }> {
  const tmp = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const lines = files.map((f) => `import type {} from ${JSON.stringify(pathToFileURL(f).href)};`);
    await Deno.writeTextFile(tmp, lines.join("\n") + "\n");
    const config = join(root, "deno.json");
    const args = ["info", "--json", ...(await exists(config) ? ["--config", config] : []), tmp];
    const out = await new Deno.Command(Deno.execPath(), { args, cwd: root, stderr: "piped" })
      .output();
    if (!out.success) {
      throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr).slice(0, 500)}`);
    }
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    const graph = new Map<string, Set<string>>();
    const dynamic = new Set<string>(); // "from -> to" of dynamic imports
    const rel = (spec: string): string | null => {
      if (!spec.startsWith("file:")) return null;
      const p = relative(root, fileURLToPath(spec));
      return p.startsWith("..") ? null : p;
    };
    for (const m of info.modules) {
      const from = rel(m.specifier);
      if (from === null) continue;
      const deps = new Set<string>();
      for (const d of m.dependencies ?? []) {
        for (const s of [d.code?.specifier, d.type?.specifier]) {
          const to = s ? rel(s) : null;
          if (to !== null) deps.add(to);
          if (to !== null && d.isDynamic) dynamic.add(`${from} -> ${to}`);
        }
      }
      graph.set(from, deps);
    }
    return { graph, dynamic };
  } finally {
    await Deno.remove(tmp);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Every elementary cycle's representative: one cycle per strongly connected component. */
export function findCycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const sccs: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || graph.get(v)?.has(v)) sccs.push(c);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  // A readable cycle through each component: walk from its first module back to it.
  return sccs.map((c) => {
    const members = new Set(c);
    const start = [...c].sort()[0]!;
    const prev = new Map<string, string>([[start, ""]]);
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of [...(graph.get(v) ?? [])].sort()) {
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u);
          return [...path, start];
        }
        if (members.has(w) && !prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...c, c[0]!];
  });
}

/** Checks the layout of the repository at `root`; see the module documentation for the rules. */
export async function checkLayout(root: string): Promise<LayoutReport> {
  root = resolve(root);
  const files = [
    ...(await exists(join(root, "mod")) ? await listTs(join(root, "mod")) : []),
    ...(await exists(join(root, "scripts")) ? await listTs(join(root, "scripts")) : []),
  ];
  const { graph, dynamic } = await importGraph(root, files);
  const problems: LayoutProblem[] = [];
  for (const c of findCycles(graph)) {
    problems.push({ kind: "cycle", message: `import cycle: ${c.join(" -> ")}` });
  }
  let edges = 0;
  for (const [from, deps] of graph) {
    const pf = packageOf(from);
    for (const to of deps) {
      edges++;
      const pt = packageOf(to);
      // Tests are leaves (nothing imports them): an integration test may drive a higher layer.
      if (pf === pt || pf === "top" || from.endsWith("_test.ts")) continue;
      const lf = LAYERS[pf], lt = LAYERS[pt];
      if (lf === undefined || lt === undefined || lt >= lf) {
        problems.push({
          kind: "layer",
          message: `${from} (${pf}) imports ${to} (${pt}): ${pf} may import only ${
            Object.keys(LAYERS).filter((k) => (LAYERS[k] ?? 99) < (lf ?? -1)).join(", ") || "root"
          }`,
        });
      }
    }
    if (from.startsWith("scripts/") && !from.endsWith("_test.ts")) {
      for (const to of deps) {
        const ok = to.startsWith("scripts/") || /^mod\/[^_/][^/]*\.ts$/.test(to) ||
          /^mod\/[^/]+\/mod\.ts$/.test(to) || to.endsWith("_bench.ts") ||
          (dynamic.has(`${from} -> ${to}`) && /^mod\/[^/]+\/[^_/][^/]*\.ts$/.test(to));
        if (!ok) {
          problems.push({
            kind: "script-import",
            message: `${from} imports ${to}: scripts import a package's mod.ts, not its files`,
          });
        }
      }
    }
  }
  for (const f of files) {
    const r = relative(root, f);
    if (r.endsWith("_test.ts") || r.endsWith("_bytes.ts")) continue;
    const lines = (await Deno.readTextFile(f)).split("\n").length - 1;
    if (lines > MAX_LINES) {
      problems.push({ kind: "too-long", message: `${r}: ${lines} lines (at most ${MAX_LINES})` });
    }
  }
  const rootFiles = files.map((f) => relative(root, f))
    .filter((r) => (packageOf(r) === "root" || r === "mod/mod.ts") && !r.endsWith("_test.ts"));
  if (rootFiles.length > MAX_ROOT_FILES) {
    problems.push({
      kind: "root",
      message:
        `mod/ holds ${rootFiles.length} source files at its root (at most ${MAX_ROOT_FILES}): ${
          rootFiles.map((r) => r.slice(4)).join(", ")
        }; move concepts into packages`,
    });
  }
  const packages = new Set(files.map((f) => relative(root, f)).map(packageOf));
  for (const p of packages) {
    if (p === "root" || p === "top" || p === "outside") continue;
    if (!(await exists(join(root, "mod", p, "mod.ts")))) {
      problems.push({ kind: "no-mod", message: `mod/${p}/ has no mod.ts (its public surface)` });
    }
  }
  return { modules: graph.size, edges, problems };
}

if (import.meta.main) {
  await runMain(async () => {
    const { values: flags } = parseCli(Deno.args, {
      usage: "deno task check:layout [--root DIR] [--json]",
      description: "Fail on import cycles, imports against the layers, long files.",
      flags: {
        root: {
          type: "string",
          default: dirname(dirname(fileURLToPath(import.meta.url))),
          help: "repository root",
        },
        json: { type: "boolean", help: "print the report as JSON" },
      },
    });
    const report = await checkLayout(flags.root as string);
    if (flags.json) console.log(JSON.stringify(report, null, 2));
    else {
      for (const p of report.problems) console.log(`${p.kind}: ${p.message}`);
      console.log(
        `layout: ${report.modules} modules, ${report.edges} imports, ${report.problems.length} problem(s)`,
      );
    }
    if (report.problems.length > 0) Deno.exit(1);
  });
}
