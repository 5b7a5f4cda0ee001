/**
 * Where the native TensorFlow engine lives and what it was built from.
 *
 * `deno task engine:native` installs `@tensorflow/tfjs-node` (or, with `--gpu`,
 * `@tensorflow/tfjs-node-gpu`) into a project-local folder, `.native/<variant>/` (git-ignored; its
 * own `npm install`, separate from Deno's `node_modules`), builds its N-API binding against the
 * TensorFlow C library inside a pinned PyPI wheel, and writes `.native/<variant>/manifest.json`
 * ({@linkcode NativeManifest}). `mod/engine/backend.ts` loads it from there. This module holds the
 * pins and reads the manifests; it never loads the binding.
 *
 * ```ts
 * import { NATIVE_PINS, nativeDir, readNativeManifest } from "./native.ts";
 * console.log(NATIVE_PINS.tfjsNode, nativeDir("cpu"));
 * const m = await readNativeManifest("cpu"); // null until `deno task engine:native` ran
 * ```
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The two native builds: TensorFlow's CPU kernels, or its CUDA build. */
export type NativeVariant = "cpu" | "gpu";

/** What one variant is built from. */
export interface NativePin {
  /** npm package of the binding. */
  npm: string;
  /** pip requirement fetched into the cache (its dependencies too for the GPU build). */
  pip: string;
  /** File name of the TensorFlow wheel. */
  wheel: string;
  /**
   * sha256 of that wheel (checked after every download; a mismatch stops the install). The GPU
   * build's CUDA runtime wheels are resolved by pip within the ranges the tensorflow wheel
   * declares for its `and-cuda` extra; each file's sha256 is recorded in the manifest.
   */
  sha256: string;
}

/**
 * Pinned versions of the native engine. The wheel's Python tag does not matter (only its C
 * library is used): pip is asked for this exact file with `--python-version 3.11 --platform
 * manylinux_2_27_x86_64`, whatever Python runs pip.
 */
export const NATIVE_PINS: {
  readonly tfjsNode: string;
  readonly tensorflow: string;
  readonly nodeGyp: string;
  readonly pythonVersion: string;
  readonly platform: string;
  readonly cpu: NativePin;
  readonly gpu: NativePin;
} = Object.freeze({
  tfjsNode: "4.22.0",
  tensorflow: "2.21.0",
  nodeGyp: "10.3.1",
  pythonVersion: "3.11",
  platform: "manylinux_2_27_x86_64",
  cpu: Object.freeze({
    npm: "@tensorflow/tfjs-node",
    pip: "tensorflow-cpu==2.21.0",
    wheel: "tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl",
    sha256: "2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c",
  }),
  gpu: Object.freeze({
    npm: "@tensorflow/tfjs-node-gpu",
    pip: "tensorflow[and-cuda]==2.21.0",
    wheel: "tensorflow-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl",
    sha256: "9056fbc9ba04235810b71ae6cbd958a196e8804fb53bbcffbf3e23b56155f124",
  }),
});

/** What `deno task engine:native` built, as written to `.native/<variant>/manifest.json`. */
export interface NativeManifest {
  /** Manifest format version (1). */
  format: 1;
  variant: NativeVariant;
  /** "pypi": binding built here against the wheel's C library; "prebuilt": the npm install script. */
  method: "pypi" | "prebuilt";
  /** npm package and version. */
  npm: { name: string; version: string };
  /** TensorFlow the binding links against. */
  tensorflow: { version: string; wheel?: string; sha256?: string };
  /** Every other wheel fetched (GPU build: the CUDA runtime wheels), file name → sha256. */
  wheels?: Record<string, string>;
  /** Toolchain used: g++, node headers, python. */
  toolchain?: Record<string, string>;
  /** ISO time of the build. */
  built: string;
}

/**
 * The folder holding the native installs: `MGC_NATIVE_DIR` when set, else `.native/` at the
 * repository root (next to `deno.json`).
 *
 * @example
 * ```ts
 * import { nativeRoot } from "./native.ts";
 * nativeRoot().endsWith(".native"); // true unless MGC_NATIVE_DIR is set
 * ```
 */
export function nativeRoot(): string {
  let env: string | undefined;
  try {
    env = Deno.env.get("MGC_NATIVE_DIR");
  } catch { /* no env permission */ }
  if (env) return resolve(env);
  const here = import.meta.url.startsWith("file:")
    ? dirname(fileURLToPath(import.meta.url))
    : join(Deno.cwd(), "mod", "engine");
  return join(here, "..", "..", ".native");
}

/**
 * The folder of one variant (`.native/cpu` or `.native/gpu`).
 *
 * @example
 * ```ts
 * import { nativeDir } from "./native.ts";
 * nativeDir("gpu").endsWith("gpu"); // true
 * ```
 */
export function nativeDir(variant: NativeVariant): string {
  return join(nativeRoot(), variant);
}

/**
 * The manifest of an installed variant, or null when it is not installed (no manifest file).
 * A manifest that cannot be parsed throws, naming the file.
 *
 * @example
 * ```ts
 * import { readNativeManifest } from "./native.ts";
 * const m = await readNativeManifest("cpu");
 * console.log(m ? `tfjs-node ${m.npm.version}, TensorFlow ${m.tensorflow.version}` : "not installed");
 * ```
 */
export async function readNativeManifest(variant: NativeVariant): Promise<NativeManifest | null> {
  const path = join(nativeDir(variant), "manifest.json");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  let m: NativeManifest;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not JSON (${(e as Error).message}); run \`deno task engine:native\``);
  }
  if (m?.format !== 1 || m.variant !== variant || typeof m.npm?.name !== "string") {
    throw new Error(`${path}: not a native engine manifest; run \`deno task engine:native\``);
  }
  return m;
}

/**
 * The variant's env file (`.native/gpu/native.env`, written by the GPU build): `KEY=value` lines,
 * `#` comments. Returns {} when there is none.
 *
 * @example
 * ```ts
 * import { readNativeEnv } from "./native.ts";
 * const env = await readNativeEnv("gpu");
 * console.log(env.LD_LIBRARY_PATH ?? "(no CUDA library path)");
 * ```
 */
export async function readNativeEnv(variant: NativeVariant): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(nativeDir(variant), "native.env"));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.trim();
  }
  return env;
}

/** The command that installs a variant, for messages. */
export function installCommand(variant: NativeVariant): string {
  return variant === "gpu" ? "deno task engine:native --gpu" : "deno task engine:native";
}
