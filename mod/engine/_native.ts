/**
 * Loads the native TensorFlow engine installed by `deno task engine:native` (see `native.ts`):
 * `@tensorflow/tfjs-node(-gpu)` from `.native/<variant>/node_modules`, through `createRequire`,
 * so that Deno's own `node_modules` (`nodeModulesDir: "auto"`) stays untouched. Private to
 * `backend.ts` (and `_webgpu.ts`, which calls {@linkcode preloadTensorFlow}).
 *
 * The installer removes the package's own copy of `@tensorflow/tfjs`: its `require` then resolves
 * upwards to the project's `node_modules/@tensorflow/tfjs` (the same 4.22.0 the project imports),
 * so the `tensorflow` backend registers with the engine every module uses.
 *
 * TensorFlow's C library carries its own copy of LLVM, whose static initialisers crash (SIGSEGV in
 * `DebugInfoMetadata.cpp`'s) when another LLVM is already in the process: Mesa's Vulkan drivers
 * (lavapipe, the software WebGPU adapter) bring `libLLVM-15.so.1` with the first WebGPU adapter
 * request. Loaded the other way round, both work. So {@linkcode preloadTensorFlow} loads the
 * installed engine's library before any adapter is requested, and {@linkcode loadNative} refuses,
 * with the reason, where it finds an LLVM already loaded without it.
 *
 * @module
 */
import { createRequire } from "node:module";
import util from "node:util";
import os from "node:os";
import { join } from "node:path";
import {
  installCommand,
  nativeDir,
  type NativeManifest,
  type NativeVariant,
  readNativeEnv,
  readNativeManifest,
} from "./native.ts";

/** What a successful {@linkcode loadNative} found. */
export interface NativeLoaded {
  variant: NativeVariant;
  manifest: NativeManifest;
  /** `TF_Version()` of the loaded C library. */
  tensorflowVersion: string;
  /** "CPU: <model>" or "GPU: <name>" (the first visible NVIDIA GPU). */
  device: string;
}

/** The native engine is not installed, or does not load; the message says why and what to run. */
export class NativeUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NativeUnavailable";
  }
}

let loaded: NativeLoaded | null = null;
let preloaded: string | null = null;
let preloadTried = false;

/**
 * The variants to try, in order, when the caller names none: `MGC_NATIVE_VARIANT` ("cpu" or
 * "gpu") when set, else the GPU build first when an NVIDIA GPU is visible.
 */
export function nativeVariants(wanted?: NativeVariant[]): NativeVariant[] {
  if (wanted) return wanted;
  let env: string | undefined;
  try {
    env = Deno.env.get("MGC_NATIVE_VARIANT");
  } catch { /* no env permission */ }
  return env === "cpu" || env === "gpu"
    ? [env]
    : visibleGpus().length > 0
    ? ["gpu", "cpu"]
    : ["cpu"];
}

/** The TensorFlow C library the installed package's binding links (`deps/lib`). */
function tensorflowLibrary(variant: NativeVariant, manifest: NativeManifest): string {
  return join(
    nativeDir(variant),
    "node_modules",
    manifest.npm.name,
    "deps",
    "lib",
    "libtensorflow.so.2",
  );
}

/**
 * Loads the TensorFlow C library of the first installed variant of `variants` (not the tfjs
 * binding: no backend registers) into the process for good, so that a later
 * {@linkcode loadNative} works after a WebGPU adapter request has loaded Mesa's LLVM (see the
 * module doc). Call it before requesting an adapter; it costs about 0.2 s when the native engine
 * is installed, and nothing otherwise (nor without FFI permission, with which the engine could
 * not load anyway, nor off Linux). Returns the library loaded, or null. Failures are left to
 * {@linkcode loadNative} to report.
 */
export async function preloadTensorFlow(variants?: NativeVariant[]): Promise<string | null> {
  if (loaded !== null || preloadTried) return preloaded;
  preloadTried = true;
  try {
    if (Deno.build.os !== "linux") return null;
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  } catch {
    return null;
  }
  for (const variant of nativeVariants(variants)) {
    let manifest: NativeManifest | null;
    try {
      manifest = await readNativeManifest(variant);
    } catch {
      continue;
    }
    if (manifest === null) continue;
    try {
      const env = await readNativeEnv(variant);
      env.LD_LIBRARY_PATH?.split(":").filter(Boolean).forEach(preloadLibraries);
      const lib = tensorflowLibrary(variant, manifest);
      if (dlopenForever(lib)) preloaded = lib;
    } catch { /* loadNative says why */ }
    return preloaded;
  }
  return null;
}

/**
 * `dlopen(path, RTLD_NOW | RTLD_NODELETE)` through libc: the library stays loaded for the life of
 * the process. A `Deno.dlopen` handle is closed with the runtime that opened it (at the end of a
 * test file, say), and TensorFlow does not survive `dlclose`: loaded again it crashed in the same
 * LLVM initialiser, and the process aborted at exit ("double free or corruption").
 */
function dlopenForever(path: string): boolean {
  const libc = Deno.dlopen("libc.so.6", {
    dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
  });
  try {
    const RTLD_NOW = 2, RTLD_NODELETE = 0x1000;
    const name = new TextEncoder().encode(path + "\0");
    return libc.symbols.dlopen(name, RTLD_NOW | RTLD_NODELETE) !== null;
  } finally {
    libc.close();
  }
}

/** This process's memory map (/proc/self/maps), or "" (not Linux, or no read permission). */
function memoryMap(): string {
  try {
    return Deno.readTextFileSync("/proc/self/maps");
  } catch {
    return "";
  }
}

/**
 * The LLVM library that makes loading `lib` crash: one mapped into this process while `lib` is
 * not (see the module doc); null when there is none, or `lib` is missing or already loaded.
 */
function foreignLlvm(lib: string): string | null {
  let real: string;
  try {
    real = Deno.realPathSync(lib);
  } catch {
    return null;
  }
  const maps = memoryMap();
  if (maps.includes(real)) return null;
  const m = /\S*\/libLLVM[^\s/]*\.so[^\s/]*/.exec(maps);
  return m ? m[0] : null;
}

/**
 * The TensorFlow C library of the loaded native engine (for `_tf_graph.ts`, which opens its C
 * API), or null when none is loaded.
 */
export function nativeLibraryPath(): string | null {
  return loaded === null ? null : tensorflowLibrary(loaded.variant, loaded.manifest);
}

/** Names of visible NVIDIA GPUs (from the driver's /proc entries), empty when none. */
export function visibleGpus(): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync("/proc/driver/nvidia/gpus")) {
      try {
        const info = Deno.readTextFileSync(`/proc/driver/nvidia/gpus/${e.name}/information`);
        const m = /^Model:\s*(.+)$/m.exec(info);
        out.push(m ? m[1]!.trim() : `NVIDIA GPU ${e.name}`);
      } catch {
        out.push(`NVIDIA GPU ${e.name}`);
      }
    }
  } catch { /* no driver, or no read permission */ }
  return out;
}

/** The CPU's model name and logical cores. */
export function cpuName(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.trim() || "unknown CPU";
  return `${model} (${cpus.length} logical cores)`;
}

/**
 * Loads the native engine and makes `tensorflow` the active backend. `variants` are tried in
 * order (the GPU build first when a GPU is visible, by the caller's choice); the first that
 * loads wins. `tfVersion` reads `TF_Version()` from the registered backend once loaded. Throws
 * {@linkcode NativeUnavailable} naming, per variant, why it did not load.
 * Once one variant has loaded, later calls return it (the binding cannot be unloaded).
 */
export async function loadNative(
  variants: NativeVariant[],
  tfVersion: () => string | undefined,
): Promise<NativeLoaded> {
  if (loaded !== null) return loaded;
  const why: string[] = [];
  for (const variant of variants) {
    let manifest: NativeManifest | null;
    try {
      manifest = await readNativeManifest(variant);
    } catch (e) {
      why.push(`${variant}: ${(e as Error).message}`);
      continue;
    }
    if (manifest === null) {
      why.push(`${variant} build not installed (run \`${installCommand(variant)}\`)`);
      continue;
    }
    try {
      const env = await readNativeEnv(variant);
      loaded = requireNative(variant, manifest, env, tfVersion);
      return loaded;
    } catch (e) {
      why.push(
        `${manifest.npm.name} did not load: ${firstLine((e as Error).message)} ` +
          `(reinstall: \`${installCommand(variant)}\`)`,
      );
    }
  }
  throw new NativeUnavailable(why.join("; "));
}

function requireNative(
  variant: NativeVariant,
  manifest: NativeManifest,
  env: Record<string, string>,
  tfVersion: () => string | undefined,
): NativeLoaded {
  const dir = nativeDir(variant);
  const llvm = foreignLlvm(tensorflowLibrary(variant, manifest));
  if (llvm !== null) {
    throw new Error(
      `${llvm} is already loaded (by Mesa's Vulkan driver, for a WebGPU adapter?) and ` +
        `TensorFlow's own LLVM would crash the process (initBackend and probeWebGpu load ` +
        `TensorFlow first; a direct navigator.gpu.requestAdapter() does not)`,
    );
  }
  // TensorFlow's start-up INFO lines (oneDNN, CPU features) are noise on every run; warnings and
  // errors still print. The user's own setting wins.
  setDefaultEnv("TF_CPP_MIN_LOG_LEVEL", "1");
  // The GPU build's env file: library folders are preloaded (LD_LIBRARY_PATH is read by the
  // dynamic loader at process start only), the other variables set unless already set.
  for (const [k, v] of Object.entries(env)) {
    if (k === "LD_LIBRARY_PATH") v.split(":").filter(Boolean).forEach(preloadLibraries);
    else setDefaultEnv(k, v);
  }
  // tfjs-node 4.22 calls util.isNullOrUndefined, removed from Node's `util` (Deno follows Node).
  const u = util as unknown as Record<string, unknown>;
  if (typeof u.isNullOrUndefined !== "function") {
    u.isNullOrUndefined = (x: unknown): boolean => x === null || x === undefined;
  }
  const require = createRequire(join(dir, "package.json"));
  // The binding's CommonJS copy of tfjs registers its platform, the cpu backend and every kernel
  // again in the engine the project's ES module copy made (tfjs keeps one engine per process):
  // harmless, but ≈ 340 "already registered" warnings on every run. Only those are dropped.
  const warn = console.warn;
  console.warn = (...args: unknown[]): void => {
    const first = typeof args[0] === "string" ? args[0] : "";
    if (/already (been set|registered)|Reusing existing backend factory/.test(first)) return;
    warn(...args);
  };
  try {
    require(manifest.npm.name);
  } finally {
    console.warn = warn;
  }
  const tensorflowVersion = tfVersion() ?? manifest.tensorflow.version;
  const gpus = variant === "gpu" ? visibleGpus() : [];
  const device = gpus.length > 0 ? `GPU: ${gpus.join(", ")}` : `CPU: ${cpuName()}`;
  return { variant, manifest, tensorflowVersion, device };
}

function setDefaultEnv(key: string, value: string): void {
  try {
    if (Deno.env.get(key) === undefined) Deno.env.set(key, value);
  } catch { /* no env permission: keep the process's */ }
}

/**
 * Loads every shared library in `dir` so that TensorFlow's own `dlopen` of the CUDA runtime finds
 * them by name (the process's LD_LIBRARY_PATH is fixed at start-up). Libraries whose dependencies
 * are not loaded yet are retried until no more load.
 */
function preloadLibraries(dir: string): void {
  let pending: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) if (/\.so(\.\d+)*$/.test(e.name)) pending.push(e.name);
  } catch {
    return;
  }
  pending.sort();
  for (let progress = true; progress && pending.length > 0;) {
    progress = false;
    const left: string[] = [];
    for (const name of pending) {
      try {
        Deno.dlopen(join(dir, name), {});
        progress = true;
      } catch {
        left.push(name);
      }
    }
    pending = left;
  }
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.slice(0, 240);
}
