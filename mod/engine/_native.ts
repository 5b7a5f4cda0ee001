/**
 * Loads the native TensorFlow engine installed by `deno task engine:native` (see `native.ts`):
 * `@tensorflow/tfjs-node(-gpu)` from `.native/<variant>/node_modules`, through `createRequire`,
 * so that Deno's own `node_modules` (`nodeModulesDir: "auto"`) stays untouched. Private to
 * `backend.ts`.
 *
 * The installer removes the package's own copy of `@tensorflow/tfjs`: its `require` then resolves
 * upwards to the project's `node_modules/@tensorflow/tfjs` (the same 4.22.0 the project imports),
 * so the `tensorflow` backend registers with the engine every module uses.
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
  require(manifest.npm.name);
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
