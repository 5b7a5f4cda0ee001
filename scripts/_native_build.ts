/**
 * The steps of `deno task engine:native` (see `engine_native.ts`): prerequisites, the pinned
 * TensorFlow wheel fetched with pip into `.native/cache/`, its C library and headers extracted,
 * the npm install of tfjs-node from the committed lockfile, and the node-gyp build of the binding
 * against that library.
 *
 * Nothing here touches the system: pip only downloads (`pip download --dest`), npm installs into
 * `.native/<variant>/`, and the build writes inside that folder.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { dirname, join, relative } from "node:path";
import { exists } from "../mod/fs.ts";
import { UserError } from "../mod/cli.ts";
import { log } from "../mod/progress.ts";

/** Result of running a command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` (inherits the environment); never throws for a non-zero exit. */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; echo?: boolean } = {},
): Promise<RunResult> {
  try {
    const p = new Deno.Command(cmd, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdout: options.echo ? "inherit" : "piped",
      stderr: options.echo ? "inherit" : "piped",
    });
    const out = await p.output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: options.echo ? "" : dec.decode(out.stdout),
      stderr: options.echo ? "" : dec.decode(out.stderr),
    };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { code: 127, stdout: "", stderr: `${cmd}: not found` };
    }
    throw e;
  }
}

/** Runs a command and throws a {@linkcode UserError} with its last output lines when it fails. */
export async function mustRun(
  what: string,
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split("\n").slice(-15).join("\n");
    throw new UserError(`${what} failed (${cmd} ${args.join(" ")}, exit ${r.code}):\n${tail}`);
  }
  return r;
}

/** One prerequisite and how to get it. */
export interface Prerequisite {
  /** What it is, e.g. "g++ (C++ compiler)". */
  name: string;
  /** Found, with its version or path. */
  found: string | null;
  /** Distro packages that provide it. */
  install: string;
}

/** Where Node.js keeps its headers: `<prefix>/include/node`, prefix from the node binary. */
export async function nodePrefix(): Promise<string | null> {
  const r = await run("node", ["-p", "process.execPath"]);
  if (r.code !== 0) return null;
  return dirname(dirname(r.stdout.trim()));
}

/**
 * Checks what building the binding needs: g++, make, Node.js with npm, Node's headers
 * (`node_api.h`), Python 3 with pip. Returns every prerequisite, found or not.
 */
export async function checkPrerequisites(): Promise<Prerequisite[]> {
  const version = async (cmd: string, args: string[]): Promise<string | null> => {
    const r = await run(cmd, args);
    return r.code === 0 ? (r.stdout || r.stderr).trim().split("\n")[0]! : null;
  };
  const prefix = await nodePrefix();
  const header = prefix ? join(prefix, "include", "node", "node_api.h") : null;
  return [
    {
      name: "g++ (C++ compiler)",
      found: await version("g++", ["--version"]),
      install: "Debian/Ubuntu: g++ (or build-essential); Fedora: gcc-c++",
    },
    {
      name: "make",
      found: await version("make", ["--version"]),
      install: "Debian/Ubuntu/Fedora: make",
    },
    {
      name: "Node.js (runs npm and node-gyp)",
      found: await version("node", ["--version"]),
      install: "Debian/Ubuntu: nodejs; Fedora: nodejs",
    },
    {
      name: "npm",
      found: await version("npm", ["--version"]),
      install: "Debian/Ubuntu: npm; Fedora: npm",
    },
    {
      name: "Node.js headers (node_api.h)",
      found: header && await exists(header) ? header : null,
      install:
        "Debian/Ubuntu: libnode-dev (NodeSource's nodejs includes them); Fedora: nodejs-devel",
    },
    {
      name: "Python 3",
      found: await version("python3", ["--version"]),
      install: "Debian/Ubuntu: python3; Fedora: python3",
    },
    {
      name: "pip (python3 -m pip)",
      found: await version("python3", ["-m", "pip", "--version"]),
      install: "Debian/Ubuntu: python3-pip; Fedora: python3-pip",
    },
  ];
}

/** sha256 of a file, streamed (wheels are hundreds of MB). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("data", (c) => h.update(c))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}

/** pip download flags that pick the pinned manylinux wheel whatever Python runs pip. */
export function pipPlatformArgs(pythonVersion: string, platform: string): string[] {
  return [
    "--only-binary=:all:",
    "--python-version",
    pythonVersion,
    "--platform",
    platform,
    "--no-cache-dir",
    "--disable-pip-version-check",
  ];
}

/**
 * Makes sure `dir/wheel` is there with `sha256` (when given): reuses a cached file, else runs
 * `pip download --no-deps` for `requirement`. Returns the file's sha256.
 */
export async function fetchWheel(options: {
  dir: string;
  wheel: string;
  requirement: string;
  sha256?: string;
  pythonVersion: string;
  platform: string;
}): Promise<{ path: string; sha256: string; cached: boolean }> {
  const { dir, wheel, requirement } = options;
  const path = join(dir, wheel);
  await Deno.mkdir(dir, { recursive: true });
  let cached = await exists(path);
  if (cached) {
    const sum = await sha256File(path);
    if (!options.sha256 || sum === options.sha256) return { path, sha256: sum, cached };
    log(`${wheel}: cached file has sha256 ${sum}, expected ${options.sha256}: fetching again`);
    await Deno.remove(path);
    cached = false;
  }
  log(`pip download ${requirement} → ${relative(Deno.cwd(), dir) || dir}/ (large: be patient)`);
  await mustRun("pip download", "python3", [
    "-m",
    "pip",
    "download",
    "--no-deps",
    ...pipPlatformArgs(options.pythonVersion, options.platform),
    "--dest",
    dir,
    requirement,
  ]);
  if (!(await exists(path))) {
    throw new UserError(`pip download ${requirement} did not produce ${path}`);
  }
  const sum = await sha256File(path);
  if (options.sha256 && sum !== options.sha256) {
    await Deno.remove(path);
    throw new UserError(
      `${wheel}: sha256 ${sum} does not match the pinned ${options.sha256}; removed`,
    );
  }
  return { path, sha256: sum, cached };
}

/**
 * Extracts members of a wheel (a zip) whose names match one of `prefixes` into `dest`, with
 * Python's zipfile (Python is a prerequisite anyway; `unzip` may be missing).
 */
export async function extractFromWheel(
  wheel: string,
  dest: string,
  prefixes: string[],
  strip = "",
): Promise<number> {
  const code = [
    "import sys, zipfile, os, shutil",
    "whl, dest, strip = sys.argv[1], sys.argv[2], sys.argv[3]",
    "prefixes = sys.argv[4:]",
    "n = 0",
    "with zipfile.ZipFile(whl) as z:",
    "    for info in z.infolist():",
    "        name = info.filename",
    "        if name.endswith('/') or not any(name.startswith(p) for p in prefixes): continue",
    "        rel = name[len(strip):] if strip and name.startswith(strip) else name",
    "        out = os.path.join(dest, rel)",
    "        os.makedirs(os.path.dirname(out), exist_ok=True)",
    "        with z.open(info) as src, open(out, 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 20)",
    "        if name.endswith('.so') or '.so.' in name: os.chmod(out, 0o755)",
    "        n += 1",
    "print(n)",
  ].join("\n");
  const r = await mustRun("extracting " + wheel, "python3", [
    "-c",
    code,
    wheel,
    dest,
    strip,
    ...prefixes,
  ]);
  return Number(r.stdout.trim());
}

/** The `Requires-Dist` lines of a wheel's METADATA for `extra` (e.g. "and-cuda"). */
export async function wheelExtraRequirements(wheel: string, extra: string): Promise<string[]> {
  const code = [
    "import sys, zipfile",
    "with zipfile.ZipFile(sys.argv[1]) as z:",
    "    meta = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))",
    "    print(z.read(meta).decode())",
  ].join("\n");
  const r = await mustRun("reading wheel metadata", "python3", ["-c", code, wheel]);
  const out: string[] = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^Requires-Dist:\s*([^;]+);\s*extra\s*==\s*["']([^"']+)["']/.exec(line.trim());
    if (m && m[2] === extra) out.push(m[1]!.replace(/\s+/g, ""));
  }
  return out;
}

/** Symlinks `link` → `target` (relative), replacing what was there. */
export async function symlinkRelative(target: string, link: string): Promise<void> {
  await Deno.remove(link, { recursive: true }).catch(() => {});
  await Deno.mkdir(dirname(link), { recursive: true });
  await Deno.symlink(relative(dirname(link), target), link);
}

/**
 * Points the package's `deps/` at the extracted TensorFlow: `deps/include` → the wheel's headers;
 * `deps/lib/libtensorflow.so(.2)` and `libtensorflow_cc.so.2` → the wheel's `libtensorflow_cc.so.2`
 * (it holds the C API), `libtensorflow_framework.so(.2)` → `libtensorflow_framework.so.2`. The
 * binding's RUNPATH is `$ORIGIN/../../deps/lib`, so it finds them with no environment.
 */
export async function linkDeps(pkgDir: string, tfDir: string): Promise<void> {
  const deps = join(pkgDir, "deps");
  await symlinkRelative(join(tfDir, "include"), join(deps, "include"));
  const cc = join(tfDir, "libtensorflow_cc.so.2");
  const fw = join(tfDir, "libtensorflow_framework.so.2");
  for (const name of ["libtensorflow.so", "libtensorflow.so.2", "libtensorflow_cc.so.2"]) {
    await symlinkRelative(cc, join(deps, "lib", name));
  }
  for (const name of ["libtensorflow_framework.so", "libtensorflow_framework.so.2"]) {
    await symlinkRelative(fw, join(deps, "lib", name));
  }
}

/**
 * Removes the package's own `@tensorflow/tfjs*` copies (all but the binding packages) so that its
 * `require("@tensorflow/tfjs")` resolves up to the project's `node_modules` (one engine for all).
 */
export async function dropDuplicateTfjs(nodeModules: string, keep: string[]): Promise<string[]> {
  const dir = join(nodeModules, "@tensorflow");
  const removed: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const name = `@tensorflow/${e.name}`;
    if (keep.includes(name)) continue;
    await Deno.remove(join(dir, e.name), { recursive: true });
    removed.push(name);
  }
  return removed;
}
