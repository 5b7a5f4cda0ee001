/**
 * The TensorFlow.js backend of the whole project: one shared `tf` namespace, the choice of backend
 * (tfjs-node-gpu, tfjs-node, wasm or cpu) and, for wasm, the kernels training needs that the stock
 * wasm backend lacks or runs slowly (see `_wasm_kernels.ts`).
 *
 * Import `tf` from here, never from `@tensorflow/tfjs` directly in new code, so that every module
 * shares the instance whose kernels were patched:
 *
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * const info = await initBackend({ quiet: true });
 * console.log(info.name, info.threads, tf.getBackend());
 * ```
 *
 * Backends, in the order `"auto"` tries them:
 * 0. `webgpu`: `@tensorflow/tfjs-backend-webgpu` on Deno's built-in `navigator.gpu` (Metal,
 *    Vulkan, Direct3D 12), when a real (non-fallback) adapter exists; a fallback (software)
 *    adapter such as Mesa's lavapipe only with `backend: "webgpu"`. See `_webgpu.ts`;
 * 1. `tensorflow`: the native engine installed by `deno task engine:native` into `.native/`
 *    (`@tensorflow/tfjs-node`, or `-gpu` first when a GPU is visible), loaded by `_native.ts`, with
 *    TensorFlow's fused BatchNormalization and PReLU kernels registered (`fused.ts`). Inside
 *    `deno test`, "auto" does not try it (tests ask for it by name), so the suite runs the same
 *    with or without it. Installed but failing to load, "auto" says why in one line and goes on;
 * 2. `wasm`: the XNNPACK build of `@tensorflow/tfjs-backend-wasm` with SIMD, its binaries read from
 *    the installed npm package, plus the kernels registered by {@linkcode registerWasmKernels}
 *    and the fused BatchNormalization kernels of `_wasm_fused.ts` (`fused.ts`); optionally multithreaded (see {@linkcode InitBackendOptions.threads});
 * 3. `cpu`: pure JavaScript, for tiny tests only (its conv gradients are naive loops).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as tfwasm from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import os, { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { registerWasmKernels } from "./_wasm_kernels.ts";
import { registerBroadcastGradients } from "./_gradients.ts";
import { initWebGpu, type WebGpuAdapterInfo } from "./_webgpu.ts";
import { webGpuFusedBatchNorm, webGpuPrelu } from "./_webgpu_fused.ts";
import {
  cpuName,
  loadNative,
  NativeUnavailable,
  nativeVariants,
  preloadTensorFlow,
} from "./_native.ts";
import { installFusedLayers, registerFusedBatchNorm, registerFusedPrelu } from "./fused.ts";
import { nativeFusedBatchNorm, nativePrelu, registerNativeConvKernels } from "./_native_fused.ts";
import { installCommand, type NativeVariant, readNativeManifest } from "./native.ts";
import { setHeapThreads } from "./_wasm_heap.ts";
import { registerWasmFusedKernels, wasmFusedBatchNorm } from "./_wasm_fused.ts";

export { tf };
export {
  probeWebGpu,
  tensorFootprint,
  throwIfWebGpuError,
  type WebGpuAdapterInfo,
  WebGpuDeviceError,
  webGpuMicroBatch,
  webGpuSetup,
} from "./_webgpu.ts";

/** Which backend {@linkcode initBackend} should use. */
export type BackendName = "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";

/** Every {@linkcode BackendName}, for flag parsing. */
export const BACKEND_NAMES: readonly BackendName[] = [
  "auto",
  "tensorflow",
  "webgpu",
  "wasm",
  "cpu",
];

/** What {@linkcode initBackend} set up. */
export interface BackendInfo {
  /** `tf.getBackend()`: "tensorflow", "wasm" or "cpu". */
  name: string;
  /** Threads the backend computes with (1 for cpu; wasm: the XNNPACK pool size). */
  threads: number;
  /** Whether the wasm build in use has SIMD (false for the other backends). */
  simd: boolean;
  /** The native package in use, if any. */
  native: "tfjs-node-gpu" | "tfjs-node" | null;
  /** Kernels replaced or added for this backend by this module. */
  kernelsPatched: string[];
  /**
   * What it computes on: "CPU: <model> (<n> logical cores)", for the native engine the GPU's
   * name when the GPU build runs on one, for webgpu the adapter's vendor, architecture,
   * description.
   */
  device: string;
  /** webgpu: the adapter as it describes itself (vendor, architecture, description, fallback). */
  adapter?: WebGpuAdapterInfo;
  /** webgpu: the device limits granted (maxStorageBufferBindingSize, maxBufferSize, …). */
  limits?: Record<string, number>;
  /** The native library, for the `tensorflow` backend. */
  library?: NativeLibraryInfo;
}

/** The native library behind the `tensorflow` backend, as recorded in every run. */
export interface NativeLibraryInfo {
  /** npm package and version, e.g. "@tensorflow/tfjs-node@4.22.0". */
  package: string;
  /** `TF_Version()` of the loaded TensorFlow C library, e.g. "2.21.0". */
  tensorflow: string;
  /** "cpu" or "gpu" build. */
  variant: NativeVariant;
  /** "pypi" (built here against the wheel) or "prebuilt" (the package's install script). */
  build: "pypi" | "prebuilt";
  /** The TensorFlow wheel and its sha256, for a PyPI build. */
  wheel?: string;
  sha256?: string;
}

/** Options of {@linkcode initBackend}. */
export interface InitBackendOptions {
  /** Backend to use (default "auto"). "tensorflow" fails when neither native package loads. */
  backend?: BackendName;
  /**
   * wasm threads. Default: 1 inside `deno test` and when `MGC_THREADS` is unset in a worker;
   * otherwise all logical cores (the threaded SIMD build; its pthread workers stay alive, so a
   * script must end with {@linkcode shutdownBackend} or `Deno.exit`). `MGC_THREADS=n` in the
   * environment overrides the default. Ignored by the other backends.
   */
  threads?: number;
  /** Print nothing (default false: one line on stderr naming backend and threads). */
  quiet?: boolean;
  /**
   * Native builds to try, in order (default: `["gpu", "cpu"]` when an NVIDIA GPU is visible, else
   * `["cpu"]`; `MGC_NATIVE_VARIANT=cpu|gpu` in the environment picks one).
   */
  nativeVariants?: NativeVariant[];
}

let current: BackendInfo | null = null;
let threadTempDir: string | null = null;

/**
 * Chooses, initialises and returns the backend. Idempotent: a second call with the same or no
 * options returns the first result; asking for another backend afterwards switches to it (wasm
 * threads are fixed by the first wasm initialisation).
 *
 * @example
 * ```ts
 * import { initBackend } from "./backend.ts";
 * const info = await initBackend({ backend: "wasm", threads: 1, quiet: true });
 * info.name; // "wasm"
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const wanted = options.backend ?? "auto";
  if (current !== null && (wanted === "auto" || backendOf(wanted) === current.name)) {
    return current;
  }
  let info: BackendInfo | null = null;
  const notes: string[] = [];
  silenceCpuBanner();
  installFusedLayers();
  registerBroadcastGradients(); // no JavaScript-filled tensors of ones in Mean/Sum gradients
  if (wanted === "auto" || wanted === "webgpu") {
    // Before the adapter request: see preloadTensorFlow.
    await preloadTensorFlow(options.nativeVariants);
    // auto: a real GPU only; a fallback (software) adapter when asked for by name.
    const gpu = await initWebGpu({ allowFallback: wanted === "webgpu" }, notes);
    if (gpu === null && wanted === "webgpu") {
      throw new Error(
        `backend "webgpu" unavailable: ${notes.join("; ")}. See README, "Training on a GPU".`,
      );
    }
    if (gpu !== null) {
      // BatchNormalization + activation as three WGSL passes forward and two backward; the
      // standalone PReLU gradient in two.
      registerFusedBatchNorm("webgpu", webGpuFusedBatchNorm);
      registerFusedPrelu("webgpu", webGpuPrelu);
      info = {
        name: "webgpu",
        threads: 1,
        simd: false,
        native: null,
        kernelsPatched: gpu.kernelsPatched,
        device: gpu.device,
        adapter: gpu.adapter,
        limits: gpu.limits,
      };
    }
  }
  if (info === null && (wanted === "tensorflow" || (wanted === "auto" && !inDenoTest()))) {
    try {
      info = await initNative(options.nativeVariants);
    } catch (e) {
      if (wanted === "tensorflow") {
        throw new Error(
          `backend "tensorflow" unavailable: ${(e as Error).message}. The native engine ` +
            `(@tensorflow/tfjs-node) installs with \`${installCommand("cpu")}\` ` +
            `(\`${installCommand("gpu")}\` for CUDA; see README, "Native TensorFlow engine")`,
        );
      }
      // Installed but not loading is worth one line; not installed at all is the normal case.
      if (!(e instanceof NativeUnavailable) || (await nativeInstalled())) {
        console.error(`backend: native TensorFlow skipped (${(e as Error).message}); trying wasm`);
      }
      notes.push(`tensorflow: ${(e as Error).message}`);
    }
  }
  if (info === null && (wanted === "auto" || wanted === "wasm")) {
    try {
      info = await initWasm(options.threads);
    } catch (e) {
      if (wanted === "wasm") throw e;
      notes.push(`wasm: ${(e as Error).message}`);
    }
  }
  if (info === null) {
    if (!(await tf.setBackend("cpu"))) throw new Error(`no backend: ${notes.join("; ")}`);
    info = {
      name: "cpu",
      threads: 1,
      simd: false,
      native: null,
      kernelsPatched: [],
      device: `CPU: ${cpuName()}`,
    };
  }
  current = info;
  applyTfFlags(Deno.env.get("MGC_TF_FLAGS"));
  if (!options.quiet) {
    const extra = info.library
      ? `${info.library.package}, TensorFlow ${info.library.tensorflow}, ${info.device}`
      : info.name === "webgpu"
      ? info.device
      : info.name === "wasm"
      ? (info.simd ? "SIMD" : "no SIMD")
      : "";
    console.error(
      `backend: ${info.name}${extra ? ` (${extra})` : ""}, threads: ${info.threads}` +
        (info.kernelsPatched.length ? `, ${info.kernelsPatched.length} kernels patched` : ""),
    );
  }
  return info;
}

/**
 * Sets tfjs environment flags from `MGC_TF_FLAGS` ("NAME=value,NAME=value", e.g.
 * `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64,WEBGPU_CPU_FORWARD=false`): for engine experiments and
 * benchmarks, without code changes. Values are parsed as booleans, numbers or strings; an unknown
 * flag is an error naming it.
 *
 * @example
 * ```ts
 * import { applyTfFlags, tf } from "./backend.ts";
 * applyTfFlags("DEBUG=false");
 * tf.env().getBool("DEBUG"); // false
 * ```
 */
export function applyTfFlags(spec: string | undefined): void {
  if (!spec) return;
  for (const part of spec.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const eq = part.indexOf("=");
    if (eq < 1) throw new Error(`MGC_TF_FLAGS: "${part}" is not NAME=value`);
    const name = part.slice(0, eq), raw = part.slice(eq + 1);
    const registry =
      (tf.env() as unknown as { flagRegistry: Record<string, unknown> }).flagRegistry;
    if (!(name in registry)) {
      throw new Error(`MGC_TF_FLAGS: unknown tfjs flag "${name}"`);
    }
    const value = raw === "true"
      ? true
      : raw === "false"
      ? false
      : /^-?[\d.]+(e-?\d+)?$/.test(raw)
      ? Number(raw)
      : raw;
    tf.env().set(name, value);
  }
}

/**
 * Ends what keeps the process alive after training on wasm threads: emscripten's pthread workers
 * cannot be joined, so with more than one wasm thread this removes the temporary worker files and
 * exits the process with `exitCode`. Call it last in a script; with one thread (or another
 * backend) it returns and the process ends normally.
 *
 * @example
 * ```ts
 * import { initBackend, shutdownBackend } from "./backend.ts";
 * await initBackend({ quiet: true, threads: 1 });
 * shutdownBackend();
 * ```
 */
export function shutdownBackend(exitCode = 0): void {
  const threaded = current?.name === "wasm" && current.threads > 1;
  removeThreadTempDir();
  if (threaded) {
    // The emscripten pthread workers cannot be joined from JavaScript: end the process.
    Deno.exit(exitCode);
  }
}

function removeThreadTempDir(): void {
  if (threadTempDir === null) return;
  try {
    rmSync(threadTempDir, { recursive: true, force: true });
  } catch { /* best effort */ }
  threadTempDir = null;
}

/** The backend info of the last {@linkcode initBackend}, or null before it. */
export function backendInfo(): BackendInfo | null {
  return current;
}

function backendOf(name: BackendName): string {
  return name === "tensorflow" ? "tensorflow" : name;
}

function silenceCpuBanner(): void {
  // The cpu backend prints an "install tfjs-node" banner on its first write under Node and Deno.
  const b = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
  if (b && "firstUse" in b) b.firstUse = false;
}

async function nativeInstalled(): Promise<boolean> {
  for (const v of ["cpu", "gpu"] as const) {
    try {
      if (await readNativeManifest(v)) return true;
    } catch {
      return true; // a manifest is there, even if unreadable
    }
  }
  return false;
}

/** Loads the native engine (GPU build first when a GPU is visible) and switches to it. */
async function initNative(wanted?: NativeVariant[]): Promise<BackendInfo> {
  const loaded = await loadNative(nativeVariants(wanted), () => {
    const b = tf.findBackend("tensorflow") as unknown as { binding?: { TF_Version?: string } };
    return b?.binding?.TF_Version;
  });
  if (!(await tf.setBackend("tensorflow"))) {
    throw new NativeUnavailable(`${loaded.manifest.npm.name} loaded but did not initialise`);
  }
  await tf.ready();
  registerFusedBatchNorm("tensorflow", nativeFusedBatchNorm);
  registerFusedPrelu("tensorflow", nativePrelu);
  registerNativeConvKernels();
  const m = loaded.manifest;
  return {
    name: "tensorflow",
    threads: cpus().length,
    simd: false,
    native: loaded.variant === "gpu" ? "tfjs-node-gpu" : "tfjs-node",
    kernelsPatched: ["FusedBatchNormV3", "FusedBatchNormGradV3", "Prelu", "FusedConv2D"],
    device: loaded.device,
    library: {
      package: `${m.npm.name}@${m.npm.version}`,
      tensorflow: loaded.tensorflowVersion,
      variant: loaded.variant,
      build: m.method,
      ...(m.tensorflow.wheel ? { wheel: m.tensorflow.wheel } : {}),
      ...(m.tensorflow.sha256 ? { sha256: m.tensorflow.sha256 } : {}),
    },
  };
}

/** Directory of the installed `@tensorflow/tfjs-backend-wasm` binaries, with a trailing slash. */
export function wasmBinaryDir(): string {
  const candidates: string[] = [];
  try {
    const req = createRequire(import.meta.url);
    candidates.push(dirname(req.resolve("@tensorflow/tfjs-backend-wasm")));
  } catch { /* fall through */ }
  if (import.meta.url.startsWith("file:")) {
    const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
    candidates.push(join(root, "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist"));
  }
  candidates.push(join(Deno.cwd(), "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist"));
  for (const dir of candidates) {
    try {
      Deno.statSync(join(dir, "tfjs-backend-wasm-simd.wasm"));
      return dir.endsWith("/") ? dir : dir + "/";
    } catch { /* next */ }
  }
  throw new Error(
    `tfjs-backend-wasm binaries not found (looked in ${
      candidates.join(", ")
    }); run \`deno install\``,
  );
}

function inDenoTest(): boolean {
  // `deno test` sets no variable; its runtime exposes Deno.test and runs main from a test module.
  try {
    return Deno.env.get("MGC_IN_TEST") === "1" ||
      (typeof Deno.mainModule === "string" &&
        /[._]test\.[mc]?[jt]sx?$/.test(Deno.mainModule));
  } catch {
    return false;
  }
}

function defaultThreads(): number {
  let env: string | undefined;
  try {
    env = Deno.env.get("MGC_THREADS");
  } catch { /* no env permission */ }
  if (env !== undefined && /^\d+$/.test(env) && Number(env) >= 1) return Number(env);
  if (inDenoTest()) return 1;
  return Math.max(1, cpus().length);
}

async function initWasm(threadsOption: number | undefined): Promise<BackendInfo> {
  const threads = Math.max(1, Math.floor(threadsOption ?? defaultThreads()));
  const kernelsPatched = registerWasmKernels();
  registerWasmFusedKernels();
  registerFusedBatchNorm("wasm", wasmFusedBatchNorm);
  kernelsPatched.push("MgcFusedBatchNorm", "MgcFusedBatchNormGrad");
  if (tf.findBackend("wasm") === null || tf.getBackend() !== "wasm") {
    const dir = wasmBinaryDir();
    tf.env().set("WASM_HAS_SIMD_SUPPORT", true);
    if (threads > 1) prepareThreads();
    else tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    tfwasm.setWasmPaths(dir);
    tfwasm.setThreadsCount(threads);
    // The C++ side caps the pool at half the logical cores (it assumes hyper-threads): during
    // initialisation, report twice as many so that `threads` is honoured.
    const realCpus = os.cpus;
    if (threads > 1) os.cpus = () => [...realCpus(), ...realCpus()];
    let ok = false;
    // Safeguard: should one of emscripten's eight pthread workers never report "loaded",
    // initialisation would wait forever; fail with a clear message instead.
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const init = tf.setBackend("wasm");
      if (threads > 1) {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ThreadedInitTimeout(INIT_TIMEOUT_MS)),
            INIT_TIMEOUT_MS,
          );
        });
        ok = await Promise.race([init, timeout]);
      } else {
        ok = await init;
      }
    } finally {
      clearTimeout(timer);
      os.cpus = realCpus;
      restoreBlob();
      // Every pthread worker has read its script once initialisation is over.
      if (ok) removeThreadTempDir();
    }
    if (!ok) throw new Error("the wasm backend failed to initialise");
    await tf.ready();
  }
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT") as boolean;
  // The kernels on the wasm heap split their work over as many threads as XNNPACK.
  setHeapThreads(tfwasm.getThreadsCount());
  return {
    name: "wasm",
    threads: tfwasm.getThreadsCount(),
    simd,
    native: null,
    kernelsPatched,
    device: `CPU: ${cpuName()}`,
  };
}

const INIT_TIMEOUT_MS = 30_000;

/** The threaded wasm backend did not start; the process must exit (its workers are stuck). */
export class ThreadedInitTimeout extends Error {
  /** @param ms how long initialisation waited */
  constructor(ms: number) {
    super(
      `wasm threads did not start within ${ms / 1000} s (a pthread worker hung); ` +
        "run again, or set MGC_THREADS=1 for the single-threaded backend",
    );
    this.name = "ThreadedInitTimeout";
  }
}

// --- wasm threads under Deno -------------------------------------------------------------------
// tfjs refuses threads when it thinks it runs in Node (true under Deno), and hands emscripten's
// pthread workers `blob:` URLs that `worker_threads` cannot load. We enable the flag and, while
// the backend initialises, turn those blobs into temporary files.

// Deno's worker global has a read-only `location`, which emscripten's worker overwrites; and the
// worker turns the main script it receives (a Blob) into a `blob:` URL it cannot read: it gets
// the temporary file we wrote instead.
function workerPreamble(mainScript: string): string {
  return 'try{Object.defineProperty(globalThis,"location",{value:{href:""},writable:true,' +
    "configurable:true})}catch{}\n" +
    `URL.createObjectURL=()=>${JSON.stringify(mainScript)};URL.revokeObjectURL=()=>{};\n`;
}

// The factory's source comes from tfjs's CommonJS bundle and uses its module-level requires.
const MAIN_SCRIPT_PREAMBLE = 'var require$$0=require("fs"),require$$1=require("path"),' +
  'require$$3=require("perf_hooks"),require$$4=require("os"),commonjsGlobal=globalThis;\n';

let OriginalBlob: typeof Blob | null = null;
let originalCreateObjectURL: ((obj: Blob) => string) | null = null;

function prepareThreads(): void {
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  threadTempDir = mkdtempSync(join(tmpdir(), "mgc-wasm-"));
  const dir = threadTempDir;
  const mainScript = join(dir, "main.cjs");
  const texts = new WeakMap<Blob, string>();
  const workerFiles = new Map<string, string>();
  OriginalBlob = globalThis.Blob;
  originalCreateObjectURL = URL.createObjectURL;
  const Base = OriginalBlob;
  class TextBlob extends Base {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (!parts || !parts.every((p) => typeof p === "string")) return;
      const text = parts.join("");
      texts.set(this, text);
      if (text.startsWith("var WasmBackendModuleThreadedSimd")) {
        writeFileSync(mainScript, MAIN_SCRIPT_PREAMBLE + text);
      }
    }
  }
  globalThis.Blob = TextBlob as typeof Blob;
  URL.createObjectURL = (obj: Blob): string => {
    const text = obj instanceof Base ? texts.get(obj) : undefined;
    if (text === undefined) return originalCreateObjectURL!(obj);
    // Called once per pthread worker: write the file once, as rewriting it while an earlier
    // worker still reads it let that worker start on an empty script and hang initialisation.
    let path = workerFiles.get(text);
    if (path === undefined) {
      path = join(dir, `worker${workerFiles.size}.cjs`);
      writeFileSync(path, workerPreamble(mainScript) + text);
      workerFiles.set(text, path);
    }
    return path;
  };
}

function restoreBlob(): void {
  if (OriginalBlob !== null) globalThis.Blob = OriginalBlob;
  if (originalCreateObjectURL !== null) URL.createObjectURL = originalCreateObjectURL;
  OriginalBlob = null;
  originalCreateObjectURL = null;
}
