/**
 * One file's share of the setup pipeline, run in a Deno Worker by `prepare.ts` (or in the calling
 * thread with `workers: 0`): read the bytes, hash them, decode, extract the log-mel examples and
 * post them back with the buffer transferred (no copy).
 *
 * A file that cannot be read or decoded, or whose samples or log-mels are not finite, is a result
 * (`ok: false` with the reason), not a crash: the pipeline skips it and lists it in the manifest.
 * Any other exception is a bug and is posted as `fatal`, which stops the run.
 *
 * @module
 */
import { decodeAudio } from "../audio/audio.ts";
import { extractFeatures, type FeatureConfig } from "../features/features.ts";
import { sha256Hex } from "../fs.ts";

/** A file to process. */
export interface PrepareJob {
  /** Index of the file in the sorted file list (= its track id). */
  index: number;
  /** Path to read. */
  path: string;
  /** Extract features (`false`: only hash, for files the split leaves out). */
  extract: boolean;
}

/** The outcome for one file. */
export type PrepareFileResult =
  | {
    index: number;
    ok: true;
    sha256: string;
    /** `[examples, mels, frames]` unscaled log-mel, C order (empty when `extract` was false). */
    data: Float32Array;
    examples: number;
    /** Whether the clip was zero-padded to fill its last example (configs that pad). */
    padded: boolean;
    sourceRate: number;
    channels: number;
    /** Duration decoded (at most the config's `maxSeconds`), seconds. */
    seconds: number;
    /** The file ended before its header or stream said (see `DecodedAudio`); `seconds` is what
     * it held. */
    truncated?: boolean;
    /** Seconds actually decoded when `truncated`. */
    secondsRead?: number;
    /** MP3 frames skipped as corrupt or missing. */
    badFrames?: number;
  }
  | { index: number; ok: false; sha256: string | null; reason: string };

/** Messages from the pipeline to a worker. */
export type ToWorker = { type: "init"; features: FeatureConfig } | ({ type: "job" } & PrepareJob);

/** Messages from a worker to the pipeline. */
export type FromWorker =
  | ({ type: "result" } & PrepareFileResult)
  | { type: "fatal"; index: number; message: string; stack: string };

/** Whether an error is the file's fault (skip it) rather than the program's (stop). */
function isFileError(e: unknown): boolean {
  const name = (e as Error)?.name;
  return name === "AudioDecodeError" || name === "NonFiniteError" ||
    e instanceof Deno.errors.NotFound ||
    e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.IsADirectory;
}

/**
 * Processes one file. Throws only on errors that are not the file's fault.
 *
 * @example
 * ```ts ignore
 * import { processFile } from "./_prepare_worker.ts";
 * import { GTZAN_FEATURES } from "../features/features.ts";
 * const r = await processFile({ index: 0, path: "a.wav", extract: true }, GTZAN_FEATURES);
 * ```
 */
export async function processFile(
  job: PrepareJob,
  features: FeatureConfig,
): Promise<PrepareFileResult> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(job.path);
  } catch (e) {
    if (!isFileError(e)) throw e;
    return {
      index: job.index,
      ok: false,
      sha256: null,
      reason: `cannot read: ${(e as Error).message}`,
    };
  }
  const sha256 = await sha256Hex(bytes);
  if (!job.extract) {
    return {
      index: job.index,
      ok: true,
      sha256,
      data: new Float32Array(0),
      examples: 0,
      padded: false,
      sourceRate: 0,
      channels: 0,
      seconds: 0,
    };
  }
  let audio;
  try {
    audio = await decodeAudio(bytes, job.path, {
      targetRate: features.sampleRate,
      maxSeconds: features.maxSeconds,
    });
  } catch (e) {
    if (!isFileError(e)) throw e;
    return {
      index: job.index,
      ok: false,
      sha256,
      reason: (e as { reason?: string }).reason ?? String((e as Error).message),
    };
  }
  let f;
  try {
    // Refuses non-finite samples and log-mel values (NonFiniteError): nothing NaN leaves here.
    f = extractFeatures(audio.samples, features, job.path);
  } catch (e) {
    if (!isFileError(e)) throw e;
    return { index: job.index, ok: false, sha256, reason: (e as { reason: string }).reason };
  }
  return {
    index: job.index,
    ok: true,
    sha256,
    data: f.data,
    examples: f.segments,
    padded: f.padded,
    sourceRate: audio.sourceRate,
    channels: audio.channels,
    seconds: audio.samples.length / audio.sampleRate,
    ...(audio.truncated ? { truncated: true, secondsRead: audio.secondsRead } : {}),
    ...(audio.badFrames ? { badFrames: audio.badFrames } : {}),
  };
}

// Worker bootstrap: only when this module is a worker's entry point.
if ("WorkerGlobalScope" in globalThis) {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
    postMessage: (msg: FromWorker, transfer?: Transferable[]) => void;
  };
  let features: FeatureConfig | null = null;
  scope.onmessage = async (e) => {
    const msg = e.data;
    if (msg.type === "init") {
      features = msg.features;
      return;
    }
    try {
      if (!features) throw new Error("worker used before init");
      const r = await processFile(msg, features);
      scope.postMessage({ type: "result", ...r }, r.ok ? [r.data.buffer as ArrayBuffer] : []);
    } catch (err) {
      scope.postMessage({
        type: "fatal",
        index: msg.index,
        message: `${msg.path}: ${err instanceof Error ? err.message : String(err)}`,
        stack: err instanceof Error ? err.stack ?? "" : "",
      });
    }
  };
}
