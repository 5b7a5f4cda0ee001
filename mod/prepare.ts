/**
 * The generic setup pipeline: any {@linkcode DatasetConfig} → the processed data folder.
 *
 * 1. **List** the dataset's files (the config's loader) and sort them by path (code point order),
 *    before anything random. A file's index in this list is its track id.
 * 2. **Split** at file level with the chosen protocol and seed, so every example of a file lands in
 *    the file's part.
 * 3. **Extract** in parallel: a pool of Deno Workers reads, hashes, decodes and turns each file into
 *    log-mel examples and posts them back (buffer transferred). The main thread consumes results in
 *    file order, whatever order they finish in, so outputs are deterministic. At most
 *    `4 × workers` files are in flight or waiting, so raw audio is never held for all files.
 *    Examples of each part are kept unscaled: in memory when the dataset fits
 *    `memoryBudgetBytes`, else streamed to a temporary file. Training examples also feed a
 *    streaming float64 scaler fit as they arrive.
 * 4. **Scale** each part with the scaler fitted on the training part only, block by block, into
 *    `X_{train,val,test}.npy` (float32, `(N, mels, frames, 1)`), with `y_*.npy` and `track_*.npy`
 *    (int32), the scaler, `labels.json` and `manifest.json` (every input file → part, examples,
 *    skip reason, sha256; all parameters; versions). `run.json` holds what differs between runs
 *    (time, worker count); everything else is byte-identical for the same inputs and seed.
 * 5. **Publish atomically**: all of it is written into a temporary folder beside `out`, which is
 *    then renamed into place; a failed run removes its temporary folder and leaves `out` as it was.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "./cli.ts";
import {
  type DatasetConfig,
  type DatasetListing,
  defaultOut,
  type SplitProtocol,
} from "./datasets.ts";
import { featureShape } from "./features.ts";
import { compareCodePoints, exists, writeJsonAtomic } from "./fs.ts";
import { NpyWriter, writeNpyAtomic } from "./npy.ts";
import { log, Progress } from "./progress.ts";
import { type Scaler, ScalerFitter } from "./scaler.ts";
import {
  apportion,
  assignByLists,
  kerasTwoStepSplit,
  SPLIT_NAMES,
  type SplitName,
  stratifiedSplit,
} from "./split.ts";
import {
  type FromWorker,
  type PrepareFileResult,
  type PrepareJob,
  processFile,
  type ToWorker,
} from "./_prepare_worker.ts";

/** Options of {@linkcode prepareDataset}. */
export interface PrepareOptions {
  /** Data folder (default: the config's `defaultDataDir`). */
  dataDir?: string;
  /** Split protocol name (default: the config's first). */
  split?: string;
  /** Output folder (default: `<processedRoot>/<split>`). */
  out?: string;
  /** Seed for the split (default 42). */
  seed?: number;
  /** Worker threads (default `navigator.hardwareConcurrency`; 0 = extract in this thread). */
  workers?: number;
  /** Keep unscaled examples in memory up to this many bytes, else stream to disk (default 2 GiB). */
  memoryBudgetBytes?: number;
  /** Progress lines on stderr (default true). */
  progress?: boolean;
  /** Where warnings go (default: a line on stderr). */
  warn?: (message: string) => void;
  /** Recorded in the manifest (e.g. the script that ran). */
  createdBy?: string;
}

/** Counts for one part. */
export interface PartSummary {
  files: number;
  examples: number;
}

/** One input file in `manifest.json`. */
export interface ManifestFile {
  /** Index in the sorted file list = the track id in `track_*.npy`. */
  index: number;
  path: string;
  label: string;
  label_index: number;
  /** The file's part, or null when the split protocol leaves it out. */
  split: SplitName | null;
  /** "ok": examples written; "skipped": unusable (see reason); "excluded": not in any part. */
  status: "ok" | "skipped" | "excluded";
  examples: number;
  reason?: string;
  sha256: string | null;
  source_rate?: number;
  channels?: number;
  seconds?: number;
  padded?: boolean;
}

/** `manifest.json`. */
export interface Manifest {
  format: "mgc-processed/1";
  created_by: string;
  dataset: { name: string; description: string; data_dir: string; layout: string };
  labels: string[];
  split: Record<string, unknown>;
  features: unknown;
  scaler: unknown;
  arrays: Record<string, { shape: number[]; dtype: string }>;
  counts: Record<SplitName, PartSummary>;
  skipped: { path: string; reason: string }[];
  missing_from_disk: { key: string; split: SplitName }[];
  files: ManifestFile[];
  versions: Record<string, string>;
}

/** What {@linkcode prepareDataset} returns. */
export interface PrepareResult {
  out: string;
  manifest: Manifest;
  counts: Record<SplitName, PartSummary>;
  /** Where the unscaled examples were kept between the passes. */
  store: "memory" | "disk";
  /** Wall time of the whole run, seconds. */
  seconds: number;
  /** Wall time per phase (list + split, extract + fit, scale + write, publish), seconds. */
  phases: { list: number; extract: number; scale: number; publish: number };
}

/** Version of this project (from deno.json). */
async function projectVersion(): Promise<string> {
  try {
    const url = new URL("../deno.json", import.meta.url);
    return String(JSON.parse(await Deno.readTextFile(url)).version ?? "unknown");
  } catch {
    return "unknown";
  }
}

/** Assigns each listed file to a part (or null) with the protocol; returns a manifest record. */
async function assignParts(
  listing: DatasetListing,
  protocol: SplitProtocol,
  name: string,
  seed: number,
): Promise<{
  parts: (SplitName | null)[];
  record: Record<string, unknown>;
  missing: { key: string; split: SplitName }[];
}> {
  const labels = listing.items.map((i) => i.label);
  switch (protocol.kind) {
    case "stratified": {
      const parts = stratifiedSplit(labels, { fractions: protocol.fractions, seed });
      return {
        parts,
        missing: [],
        record: {
          protocol: name,
          kind: "stratified",
          fractions: protocol.fractions,
          seed,
          level: "file",
          rounding: "per class, largest remainder (ties to train, then val): 100 → 60/20/20, " +
            `7 → ${apportion(7, protocol.fractions).join("/")}`,
        },
      };
    }
    case "keras-two-step": {
      const parts = kerasTwoStepSplit(labels, { test: protocol.test, val: protocol.val, seed });
      return {
        parts,
        missing: [],
        record: {
          protocol: name,
          kind: "keras-two-step",
          test: protocol.test,
          val: protocol.val,
          seed,
          level: "file",
          note: "sizes as sklearn train_test_split(stratify=y); members differ (own PRNG)",
        },
      };
    }
    case "lists": {
      const lists = await protocol.load();
      const r = assignByLists(listing.items.map((i) => i.path), lists, protocol.key);
      return {
        parts: r.parts,
        missing: r.missing,
        record: {
          protocol: name,
          kind: "lists",
          source: protocol.source,
          listed: Object.fromEntries(SPLIT_NAMES.map((s) => [s, lists[s].length])),
          level: "file",
        },
      };
    }
    case "given": {
      const parts = listing.items.map((i) => i.split ?? null);
      return {
        parts,
        missing: [],
        record: { protocol: name, kind: "given", source: protocol.source, level: "file" },
      };
    }
  }
}

/** Unscaled examples of one part, in file order, between extraction and scaling. */
interface RowStore {
  append(rows: Float32Array): Promise<void>;
  /** Yields the rows back in blocks (each a whole number of examples); may mutate them. */
  blocks(rowSize: number): AsyncGenerator<Float32Array>;
  dispose(): Promise<void>;
}

class MemoryStore implements RowStore {
  #chunks: Float32Array[] = [];
  append(rows: Float32Array): Promise<void> {
    if (rows.length) this.#chunks.push(rows);
    return Promise.resolve();
  }
  async *blocks(): AsyncGenerator<Float32Array> {
    while (this.#chunks.length) yield this.#chunks.shift()!;
  }
  dispose(): Promise<void> {
    this.#chunks = [];
    return Promise.resolve();
  }
}

class DiskStore implements RowStore {
  #file: Deno.FsFile | null = null;
  #length = 0;
  constructor(readonly path: string) {}
  async append(rows: Float32Array): Promise<void> {
    this.#file ??= await Deno.open(this.path, { write: true, create: true, truncate: true });
    const bytes = new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
    for (let off = 0; off < bytes.length;) off += await this.#file.write(bytes.subarray(off));
    this.#length += rows.length;
  }
  async *blocks(rowSize: number): AsyncGenerator<Float32Array> {
    this.#file?.close();
    this.#file = null;
    if (this.#length === 0) return;
    const f = await Deno.open(this.path, { read: true });
    try {
      const perBlock = Math.max(1, Math.floor((8 << 20) / (rowSize * 4))) * rowSize;
      for (let done = 0; done < this.#length;) {
        const block = new Float32Array(Math.min(perBlock, this.#length - done));
        const bytes = new Uint8Array(block.buffer);
        for (let off = 0; off < bytes.length;) {
          const n = await f.read(bytes.subarray(off));
          if (n === null) throw new Error(`${this.path}: unexpected end of file`);
          off += n;
        }
        done += block.length;
        yield block;
      }
    } finally {
      f.close();
    }
  }
  async dispose(): Promise<void> {
    this.#file?.close();
    this.#file = null;
    await Deno.remove(this.path).catch(() => {});
  }
}

/**
 * Runs `jobs` on `workers` Deno Workers (or in this thread when 0) and hands the results to
 * `consume` strictly in job order. At most `window` jobs are dispatched beyond the next one to
 * consume, so memory stays bounded whatever the completion order.
 */
async function runOrdered(
  jobs: PrepareJob[],
  init: Extract<ToWorker, { type: "init" }>,
  workers: number,
  consume: (r: PrepareFileResult) => Promise<void>,
): Promise<void> {
  if (workers === 0) {
    for (const job of jobs) await consume(await processFile(job, init.features));
    return;
  }
  const window = workers * 4;
  const pending = new Map<number, PrepareFileResult>();
  const waiters = new Map<number, (r: PrepareFileResult) => void>();
  let fatal: Error | null = null;
  let failAll: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (failAll = reject));
  failed.catch(() => {});
  let dispatched = 0;
  let next = 0;
  const idle: Worker[] = [];
  const pool: Worker[] = [];
  const dispatch = (): void => {
    while (idle.length && dispatched < jobs.length && dispatched < next + window) {
      const w = idle.pop()!;
      w.postMessage({ type: "job", ...jobs[dispatched++]! } satisfies ToWorker);
    }
  };
  const fail = (e: Error): void => {
    fatal ??= e;
    failAll(fatal);
  };
  try {
    for (let i = 0; i < Math.min(workers, jobs.length); i++) {
      const w = new Worker(new URL("./_prepare_worker.ts", import.meta.url), { type: "module" });
      pool.push(w);
      w.onmessage = (e: MessageEvent<FromWorker>) => {
        const msg = e.data;
        if (msg.type === "fatal") {
          const err = new Error(msg.message);
          err.stack = `Error: ${msg.message}\n(in an extraction worker)\n${msg.stack}`;
          return fail(err);
        }
        const { type: _, ...r } = msg;
        const waiter = waiters.get(r.index);
        if (waiter) {
          waiters.delete(r.index);
          waiter(r);
        } else pending.set(r.index, r);
        idle.push(w);
        dispatch();
      };
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        fail(new Error(`extraction worker failed: ${e.message}`));
      };
      w.postMessage(init);
      idle.push(w);
    }
    dispatch();
    for (; next < jobs.length; next++) {
      let r = pending.get(next);
      if (r) pending.delete(next);
      else {
        const i = next;
        r = await Promise.race([
          new Promise<PrepareFileResult>((res) => waiters.set(i, res)),
          failed,
        ]);
      }
      await consume(r);
      dispatch();
    }
    if (fatal) throw fatal;
  } finally {
    for (const w of pool) w.terminate();
  }
}

/** Renames `tmp` over `out` (replacing a previous output folder). */
async function publish(tmp: string, out: string): Promise<void> {
  let old: string | null = null;
  if (await exists(out)) {
    if (!(await Deno.stat(out)).isDirectory) {
      throw new UserError(`${out}: exists and is not a folder`);
    }
    old = `${tmp}.old`;
    await Deno.rename(out, old);
  }
  try {
    await Deno.rename(tmp, out);
  } catch (e) {
    if (old) await Deno.rename(old, out);
    throw e;
  }
  if (old) await Deno.remove(old, { recursive: true });
}

/**
 * Runs the setup pipeline for `config` (see the module notes) and returns the manifest and counts.
 * Throws {@linkcode UserError} for a missing data folder, an unknown split protocol or a training
 * part with no examples.
 *
 * @example
 * ```ts ignore
 * import { prepareDataset } from "./prepare.ts";
 * import { GTZAN } from "./datasets.ts";
 * const r = await prepareDataset(GTZAN, { split: "random", seed: 42 });
 * console.log(r.counts.train.examples);
 * ```
 */
export async function prepareDataset(
  config: DatasetConfig,
  options: PrepareOptions = {},
): Promise<PrepareResult> {
  const t0 = performance.now();
  const warn = options.warn ?? ((m: string) => log(`warning: ${m}`));
  const splitName = options.split ?? Object.keys(config.splits)[0]!;
  const protocol = config.splits[splitName];
  if (!protocol) {
    throw new UserError(
      `${config.name}: unknown split "${splitName}" (one of ${
        Object.keys(config.splits).join(", ")
      })`,
    );
  }
  const seed = options.seed ?? 42;
  const out = options.out ?? defaultOut(config, splitName);
  const workers = options.workers ?? navigator.hardwareConcurrency;
  const listing = await config.listFiles(options.dataDir ?? config.defaultDataDir);
  const phases = { list: 0, extract: 0, scale: 0, publish: 0 };
  let mark = t0;
  const lap = (): number => {
    const now = performance.now();
    const s = (now - mark) / 1000;
    mark = now;
    return Math.round(s * 1000) / 1000;
  };
  const items = [...listing.items].sort((a, b) => compareCodePoints(a.path, b.path));
  listing.items = items;
  const { parts, record: splitRecord, missing } = await assignParts(
    listing,
    protocol,
    splitName,
    seed,
  );
  for (const m of missing) warn(`${m.key} is listed in ${m.split} but not in ${listing.dataDir}`);

  const [mels, frames] = featureShape(config.features);
  const rowSize = mels * frames;
  const fc = config.features;
  const perFileMax = fc.maxSegments !== "all"
    ? fc.maxSegments
    : Math.ceil(((fc.maxSeconds ?? 30) * fc.sampleRate) / fc.segmentSamples);
  const estimate = items.length * perFileMax * rowSize * 4;
  const store = estimate <= (options.memoryBudgetBytes ?? 2 ** 31) ? "memory" : "disk";

  phases.list = lap();
  await Deno.mkdir(dirname(resolve(out)), { recursive: true });
  const rand = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16);
  const tmp = join(dirname(resolve(out)), `.${basename(resolve(out))}.tmp-${Deno.pid}-${rand}`);
  await Deno.mkdir(tmp);
  // Ctrl-C during the run: remove the temporary folder, then exit as interrupted (130).
  const onInterrupt = (): void => {
    try {
      Deno.removeSync(tmp, { recursive: true });
    } catch { /* already gone */ }
    Deno.exit(130);
  };
  const signals = Deno.build.os === "windows" ? [] : ["SIGINT", "SIGTERM"] as const;
  for (const sig of signals) Deno.addSignalListener(sig, onInterrupt);
  const newStore = (s: SplitName): RowStore =>
    store === "memory" ? new MemoryStore() : new DiskStore(join(tmp, `.unscaled_${s}.f32`));
  const stores: Record<SplitName, RowStore> = {
    train: newStore("train"),
    val: newStore("val"),
    test: newStore("test"),
  };
  try {
    const fitter = new ScalerFitter(config.scaler, [mels, frames]);
    const y: Record<SplitName, number[]> = { train: [], val: [], test: [] };
    const track: Record<SplitName, number[]> = { train: [], val: [], test: [] };
    const files: ManifestFile[] = [];
    const skipped: { path: string; reason: string }[] = listing.skipped.map((s) => ({ ...s }));
    const progress = new Progress(`${config.name}: features`, items.length, {
      unit: "files",
      ...(options.progress === false ? { write: null } : {}),
    });
    const jobs = items.map((it, index): PrepareJob => ({
      index,
      path: join(listing.dataDir, it.path),
      extract: parts[index] !== null,
    }));
    await runOrdered(jobs, { type: "init", features: config.features }, workers, async (r) => {
      const it = items[r.index]!;
      const part = parts[r.index]!;
      const entry: ManifestFile = {
        index: r.index,
        path: it.path,
        label: listing.labels[it.label]!,
        label_index: it.label,
        split: part,
        status: "ok",
        examples: 0,
        sha256: r.sha256,
      };
      if (!r.ok) {
        entry.status = "skipped";
        entry.reason = r.reason;
        warn(`skipping ${it.path}: ${r.reason}`);
        skipped.push({ path: it.path, reason: r.reason });
      } else if (part === null) {
        entry.status = "excluded";
        entry.reason = `not in the ${splitName} split`;
      } else {
        Object.assign(entry, {
          source_rate: r.sourceRate,
          channels: r.channels,
          seconds: Math.round(r.seconds * 1e6) / 1e6,
          padded: r.padded,
        });
        if (r.examples === 0) {
          entry.status = "skipped";
          entry.reason = `too short for one example (${entry.seconds} s)`;
          warn(`skipping ${it.path}: ${entry.reason}`);
          skipped.push({ path: it.path, reason: entry.reason });
        } else {
          entry.examples = r.examples;
          if (part === "train") fitter.add(r.data);
          await stores[part].append(r.data);
          for (let k = 0; k < r.examples; k++) {
            y[part].push(it.label);
            track[part].push(r.index);
          }
        }
      }
      files.push(entry);
      progress.tick();
    });
    progress.done();
    phases.extract = lap();

    if (fitter.count === 0) {
      throw new UserError(`${config.name}: the training split has no examples; nothing to fit`);
    }
    const scaler: Scaler = fitter.finish();
    const arrays: Manifest["arrays"] = {};
    for (const s of SPLIT_NAMES) {
      const w = await NpyWriter.create(join(tmp, `X_${s}.npy`), "<f4", [mels, frames, 1]);
      try {
        for await (const block of stores[s].blocks(rowSize)) {
          await w.append(scaler.apply(block, block));
        }
        arrays[`X_${s}`] = { shape: await w.close(), dtype: "float32" };
      } catch (e) {
        await w.abort();
        throw e;
      }
      await stores[s].dispose();
      await writeNpyAtomic(join(tmp, `y_${s}.npy`), Int32Array.from(y[s]), [y[s].length]);
      await writeNpyAtomic(join(tmp, `track_${s}.npy`), Int32Array.from(track[s]), [
        track[s].length,
      ]);
      arrays[`y_${s}`] = { shape: [y[s].length], dtype: "int32" };
      arrays[`track_${s}`] = { shape: [track[s].length], dtype: "int32" };
    }
    phases.scale = lap();
    await scaler.save(tmp);
    await writeJsonAtomic(join(tmp, "labels.json"), listing.labels);
    const counts = Object.fromEntries(SPLIT_NAMES.map((s) => [s, {
      files: new Set(track[s]).size,
      examples: y[s].length,
    }])) as Record<SplitName, PartSummary>;
    const manifest: Manifest = {
      format: "mgc-processed/1",
      created_by: options.createdBy ?? "mod/prepare.ts",
      dataset: {
        name: config.name,
        description: config.description,
        data_dir: listing.dataDir,
        layout: listing.layout,
      },
      labels: listing.labels,
      split: splitRecord,
      features: config.features,
      scaler: { ...scaler.toJson(), fit_on: "train" },
      arrays,
      counts,
      skipped,
      missing_from_disk: missing,
      files,
      versions: {
        mgc: await projectVersion(),
        deno: Deno.version.deno,
        v8: Deno.version.v8,
        typescript: Deno.version.typescript,
      },
    };
    await writeJsonAtomic(join(tmp, "manifest.json"), manifest);
    phases.publish = lap(); // manifest and small files so far; the rename follows
    await writeJsonAtomic(join(tmp, "run.json"), {
      created_at: new Date().toISOString(),
      seconds: Math.round(performance.now() - t0) / 1000,
      phases,
      workers,
      store,
      note: "run details that differ between identical runs; every other file is deterministic",
    });
    await publish(tmp, out);
    phases.publish = Math.round((phases.publish + lap()) * 1000) / 1000;
    return { out, manifest, counts, store, seconds: (performance.now() - t0) / 1000, phases };
  } finally {
    for (const s of SPLIT_NAMES) await stores[s].dispose();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    for (const sig of signals) Deno.removeSignalListener(sig, onInterrupt);
  }
}
