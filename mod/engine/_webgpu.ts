/**
 * The WebGPU backend (Metal, Vulkan, Direct3D 12 through Deno's built-in `navigator.gpu`, no
 * install and no permission): adapter discovery, lazy loading of
 * `@tensorflow/tfjs-backend-webgpu`, a loud failure instead of silent zeros when a tensor exceeds
 * the device's limits, and micro-batch sizing from those limits. Private to the engine:
 * `backend.ts` re-exports what callers need.
 *
 * What this module handles (measured under Deno 2.9 with tfjs-backend-webgpu 4.22):
 * - Importing the package registers the backend at the highest priority, so that an op run before
 *   `setBackend` resolves would throw: it is imported only when WebGPU is chosen, and its own
 *   registration is replaced by one that uses the adapter and device opened here.
 * - A tensor larger than the device's `maxStorageBufferBindingSize` computes as zeros; the only
 *   sign is an `uncapturederror` event on the device. Every such event is recorded and
 *   {@linkcode throwIfWebGpuError} (called by the trainer, evaluation and prediction after each
 *   read-back) turns it into a {@linkcode WebGpuDeviceError}.
 * - `dataSync()`/`arraySync()` throw for data that lives on the GPU: the engine reads back with
 *   `data()`/`array()` only.
 * - No adapter: {@linkcode initWebGpu} returns null with a note; a fallback (software) adapter
 *   such as Mesa's lavapipe is used only when asked for.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseFilterGradientTuning, registerWebGpuKernels } from "./_webgpu_kernels.ts";
import { preloadTensorFlow } from "./_native.ts";

/** What the adapter says about itself (the WebGPU `GPUAdapterInfo`, plus the fallback flag). */
export interface WebGpuAdapterInfo {
  /** Vendor name or PCI id as text (e.g. "apple", "nvidia", "65541" for Mesa). */
  vendor: string;
  /** GPU family (e.g. "metal-3", "ampere"); often empty. */
  architecture: string;
  /** Device id as text; often empty or "0". */
  device: string;
  /** Human description (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"); often empty on browsers. */
  description: string;
  /** True for a software adapter (e.g. lavapipe, WARP, SwiftShader). */
  isFallbackAdapter: boolean;
}

/** The device limits that matter for training, as the device granted them. */
export const WEBGPU_LIMIT_NAMES = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeWorkgroupsPerDimension",
  "maxComputeWorkgroupSizeX",
  "maxComputeInvocationsPerWorkgroup",
] as const;

/** What {@linkcode initWebGpu} opened. */
export interface WebGpuSetup {
  adapter: WebGpuAdapterInfo;
  /** {@linkcode WEBGPU_LIMIT_NAMES} as granted to the device, in bytes or counts. */
  limits: Record<string, number>;
  /** One line naming the adapter, e.g. "65541 llvmpipe (LLVM 15.0.6, 256 bits) (fallback)". */
  device: string;
  /** Kernels replaced for this backend (see `_webgpu_kernels.ts`). */
  kernelsPatched: string[];
}

/** An error the WebGPU device reported (validation, out of memory, device lost). */
export class WebGpuDeviceError extends Error {
  /** @param message what went wrong and what to do */
  constructor(message: string) {
    super(message);
    this.name = "WebGpuDeviceError";
  }
}

interface AdapterLike {
  features?: { has(name: string): boolean };
  info?: Partial<WebGpuAdapterInfo>;
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
  requestDevice(descriptor?: unknown): Promise<DeviceLike>;
}

interface DeviceLike {
  limits: Record<string, number>;
  addEventListener(type: string, listener: (e: Event) => void): void;
  lost?: Promise<{ reason?: string; message?: string }>;
  destroy?(): void;
}

let setup: WebGpuSetup | null = null;
let device: DeviceLike | null = null;
const pendingErrors: string[] = [];

/** Reads the adapter info in both the current (`adapter.info`) and older spellings. */
function adapterInfo(adapter: AdapterLike): WebGpuAdapterInfo {
  const info = adapter.info ?? {};
  return {
    vendor: String(info.vendor ?? ""),
    architecture: String(info.architecture ?? ""),
    device: String(info.device ?? ""),
    description: String(info.description ?? ""),
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false),
  };
}

/** One line naming an adapter. */
export function describeAdapter(a: WebGpuAdapterInfo): string {
  const parts = [a.vendor, a.architecture, a.description].map((s) => s.trim()).filter(Boolean);
  return (parts.join(" ") || "unnamed adapter") + (a.isFallbackAdapter ? " (fallback)" : "");
}

/**
 * Asks `navigator.gpu` for the high-performance adapter; null when WebGPU is missing or no
 * adapter exists (e.g. no GPU and no software Vulkan driver). When the native engine is
 * installed, loads TensorFlow's library first (an adapter request can load an LLVM that
 * TensorFlow's then crashes on: `preloadTensorFlow` in `_native.ts`).
 *
 * @example
 * ```ts
 * import { probeWebGpu } from "./_webgpu.ts";
 * const found = await probeWebGpu();
 * console.log(found === null ? "no WebGPU adapter" : found.info.description);
 * ```
 */
export async function probeWebGpu(): Promise<
  { info: WebGpuAdapterInfo; limits: Record<string, number>; adapter: unknown } | null
> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(o?: unknown): Promise<unknown> } })
    ?.gpu;
  if (gpu === undefined) return null;
  // An adapter request may load Mesa's LLVM, after which TensorFlow's cannot load: see
  // preloadTensorFlow.
  await preloadTensorFlow();
  quietHeadlessVulkan();
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" }) as AdapterLike;
  } catch {
    return null;
  }
  if (adapter === null || adapter === undefined) return null;
  const limits: Record<string, number> = {};
  for (const k of WEBGPU_LIMIT_NAMES) limits[k] = Number(adapter.limits[k]);
  return { info: adapterInfo(adapter), limits, adapter };
}

/**
 * On a headless Linux session (no `XDG_RUNTIME_DIR`), Mesa's Vulkan drivers print "error:
 * XDG_RUNTIME_DIR is invalid or not set" on every adapter request, harmless but alarming in a
 * newcomer's first `deno task demo`. Points it at a private folder (mode 0700, as the variable
 * requires) for this process only; a set variable is left alone, and without permission to read or
 * set the environment nothing changes.
 */
function quietHeadlessVulkan(): void {
  try {
    if (Deno.build.os !== "linux" || Deno.env.get("XDG_RUNTIME_DIR")) return;
    const uid = Deno.uid() ?? "user";
    const dir = `${Deno.env.get("TMPDIR") || "/tmp"}/mgc-runtime-${uid}`;
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    Deno.chmodSync(dir, 0o700);
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  } catch { /* no permission, or a folder we cannot make: the message stays */ }
}

/**
 * Opens the WebGPU device and makes `webgpu` the tfjs backend. Returns null (with a reason in
 * `notes`) when there is no adapter, or when the adapter is a fallback one and `allowFallback` is
 * false. Idempotent: a second call reuses the device.
 *
 * @example
 * ```ts
 * import { initWebGpu } from "./_webgpu.ts";
 * const notes: string[] = [];
 * const gpu = await initWebGpu({ allowFallback: true }, notes);
 * console.log(gpu?.device ?? notes.join("; "));
 * ```
 */
export async function initWebGpu(
  options: { allowFallback: boolean },
  notes: string[],
): Promise<WebGpuSetup | null> {
  if (setup !== null && device !== null) {
    if (setup.adapter.isFallbackAdapter && !options.allowFallback) {
      notes.push(`webgpu: only a fallback adapter (${setup.device})`);
      return null;
    }
    if (!(await tf.setBackend("webgpu"))) {
      notes.push("webgpu: the backend did not initialise");
      return null;
    }
    return setup;
  }
  const found = await probeWebGpu();
  if (found === null) {
    notes.push(
      "webgpu: no adapter (navigator.gpu found no GPU; on Linux without one, Mesa's lavapipe " +
        "gives a software adapter: apt-get install mesa-vulkan-drivers libvulkan1)",
    );
    return null;
  }
  if (found.info.isFallbackAdapter && !options.allowFallback) {
    notes.push(`webgpu: only a fallback adapter (${describeAdapter(found.info)})`);
    return null;
  }
  const adapter = found.adapter as AdapterLike;
  const requiredLimits: Record<string, number> = {};
  for (const k of WEBGPU_LIMIT_NAMES) {
    if (Number.isFinite(found.limits[k])) requiredLimits[k] = found.limits[k]!;
  }
  let dev: DeviceLike;
  try {
    // As tfjs's own registration: timestamp queries when available (used only by tf.profile).
    const requiredFeatures = adapter.features?.has("timestamp-query") ? ["timestamp-query"] : [];
    dev = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch (e) {
    notes.push(`webgpu: requestDevice failed: ${(e as Error).message}`);
    return null;
  }
  dev.addEventListener("uncapturederror", (e: Event) => {
    const err = (e as Event & { error?: { message?: string } }).error;
    pendingErrors.push(String(err?.message ?? "unknown WebGPU error").split("\n")[0]!);
  });
  dev.lost?.then((info) => {
    if (device === dev) {
      pendingErrors.push(`device lost: ${info?.message || info?.reason || "no reason given"}`);
    }
  });
  // Loaded only now: importing the package registers "webgpu" at the highest priority.
  const pkg = await import("@tensorflow/tfjs-backend-webgpu");
  const Backend =
    (pkg as unknown as { WebGPUBackend: new (d: unknown, i?: unknown) => tf.KernelBackend })
      .WebGPUBackend;
  if (tf.findBackendFactory("webgpu") !== null) tf.removeBackend("webgpu");
  const kernelsPatched = registerWebGpuKernels(
    found.limits.maxStorageBufferBindingSize,
    parseFilterGradientTuning(Deno.env.get("MGC_WEBGPU_DW")),
  );
  tf.registerBackend("webgpu", () => new Backend(dev, (adapter as { info?: unknown }).info), 3);
  let ok = false;
  try {
    ok = await tf.setBackend("webgpu");
  } catch (e) {
    notes.push(`webgpu: ${(e as Error).message}`);
  }
  if (!ok) {
    tf.removeBackend("webgpu");
    dev.destroy?.();
    if (notes.length === 0) notes.push("webgpu: the backend did not initialise");
    return null;
  }
  const limits: Record<string, number> = {};
  for (const k of WEBGPU_LIMIT_NAMES) limits[k] = Number(dev.limits[k] ?? found.limits[k]);
  device = dev;
  setup = { adapter: found.info, limits, device: describeAdapter(found.info), kernelsPatched };
  return setup;
}

/** The WebGPU device's adapter and limits once {@linkcode initWebGpu} succeeded, else null. */
export function webGpuSetup(): WebGpuSetup | null {
  return setup;
}

/** Errors the device reported since the last {@linkcode throwIfWebGpuError} (and clears them). */
export function takeWebGpuErrors(): string[] {
  return pendingErrors.splice(0);
}

/**
 * Throws a {@linkcode WebGpuDeviceError} when the device reported an error since the last call:
 * results computed since then may be zeros. `what` names the work (e.g. "training step 3"). A
 * no-op on other backends. Call after awaiting a read-back, when the device has run the work.
 *
 * @example
 * ```ts
 * import { throwIfWebGpuError } from "./_webgpu.ts";
 * throwIfWebGpuError("evaluation"); // nothing to report
 * ```
 */
export function throwIfWebGpuError(what: string): void {
  if (pendingErrors.length === 0) return;
  const errors = takeWebGpuErrors();
  const limit = setup?.limits.maxStorageBufferBindingSize;
  const binding = errors.some((e) => /binding.?size|max_.*binding|exceeds/i.test(e));
  throw new WebGpuDeviceError(
    `WebGPU reported ${errors.length} error(s) during ${what}; its results are not valid ` +
      `(a tensor over the device's limits computes as zeros): ${errors[0]}` +
      (binding && limit !== undefined
        ? `. This adapter binds at most ${mib(limit)} per tensor: lower --micro-batch ` +
          "(or leave it at auto, which sizes micro-batches from this limit)"
        : ""),
  );
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes % 2 ** 20 === 0 ? 0 : 1)} MiB`;
}

// --- micro-batches from the device limits ------------------------------------------------------

/** Per-sample and fixed tensor sizes of a model, for {@linkcode webGpuMicroBatch}. */
export interface TensorFootprint {
  /** Bytes of the largest activation (layer input or output) of one sample. */
  perSampleBytes: number;
  /** Name of the layer with that activation. */
  layer: string;
  /** Bytes of the largest weight tensor (independent of the batch). */
  weightBytes: number;
}

/**
 * The largest per-sample activation and the largest weight of `model`, in float32 bytes: what a
 * single tensor of a forward/backward pass at batch `n` holds is about `n · perSampleBytes` (the
 * tfjs WebGPU kernels of these models keep activations, their gradients and convolution
 * intermediates at most that large).
 *
 * @example
 * ```ts
 * import { initBackend, tf } from "./backend.ts";
 * import { tensorFootprint } from "./_webgpu.ts";
 * await initBackend({ backend: "cpu", quiet: true });
 * const m = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [8] })] });
 * console.log(tensorFootprint(m).perSampleBytes); // 32
 * m.dispose();
 * ```
 */
export function tensorFootprint(model: tf.LayersModel): TensorFootprint {
  let perSample = 0;
  let layer = "";
  const visit = (shape: unknown, name: string): void => {
    const shapes = Array.isArray(shape) && Array.isArray(shape[0]) ? shape : [shape];
    for (const s of shapes as (number | null)[][]) {
      if (!Array.isArray(s)) continue;
      const n = s.slice(1).reduce((p: number, d) => p * (d ?? 1), 1) * 4;
      if (n > perSample) {
        perSample = n;
        layer = name;
      }
    }
  };
  // Every layer's input is another layer's output (the InputLayer's included).
  for (const l of model.layers) visit(l.outputShape, l.name);
  const weightBytes = Math.max(
    0,
    ...model.weights.map((w) => w.shape.reduce((p: number, d) => p * (d ?? 1), 1) * 4),
  );
  return { perSampleBytes: perSample, layer, weightBytes };
}

/**
 * The micro-batch for `model` at `batchSize` on the WebGPU device: `requested` when given and it
 * fits the device's `maxStorageBufferBindingSize`, else the whole batch when it fits, else the
 * batch split into the fewest equal micro-batches that fit (batch 96 with room for 64 samples: two
 * of 48). A `requested` micro-batch that cannot fit throws a
 * {@linkcode WebGpuDeviceError} naming the limit (training on it would compute zeros).
 *
 * @example
 * ```ts
 * import { webGpuMicroBatch } from "./_webgpu.ts";
 * const fp = { perSampleBytes: 2 * 2 ** 20, layer: "conv", weightBytes: 1024 };
 * console.log(webGpuMicroBatch(fp, 48, 128 * 2 ** 20)); // 48
 * console.log(webGpuMicroBatch(fp, 96, 128 * 2 ** 20)); // 48
 * ```
 */
export function webGpuMicroBatch(
  footprint: TensorFootprint,
  batchSize: number,
  maxBindingBytes: number,
  requested?: number,
): number {
  if (footprint.weightBytes > maxBindingBytes) {
    throw new WebGpuDeviceError(
      `a weight of this model takes ${mib(footprint.weightBytes)}, over the ${
        mib(maxBindingBytes)
      } this WebGPU adapter binds per tensor: train it on another backend (--backend wasm)`,
    );
  }
  const fit = Math.floor(maxBindingBytes / Math.max(1, footprint.perSampleBytes));
  if (fit < 1) {
    throw new WebGpuDeviceError(
      `one sample's activation at layer ${footprint.layer} takes ${
        mib(footprint.perSampleBytes)
      }, over the ${mib(maxBindingBytes)} this WebGPU adapter binds per tensor`,
    );
  }
  if (requested !== undefined) {
    const mb = Math.min(requested, batchSize);
    if (mb > fit) {
      throw new WebGpuDeviceError(
        `micro-batch ${mb} needs a ${
          mib(mb * footprint.perSampleBytes)
        } tensor (layer ${footprint.layer}), over the ${
          mib(maxBindingBytes)
        } this WebGPU adapter binds per tensor ` +
          `(maxStorageBufferBindingSize): it would train on zeros. Use --micro-batch ${fit} or ` +
          "less, or leave it at auto",
      );
    }
    return mb;
  }
  if (batchSize <= fit) return batchSize;
  return Math.ceil(batchSize / Math.ceil(batchSize / fit));
}
