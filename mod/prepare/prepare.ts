/**
 * The generic setup pipeline: any {@linkcode DatasetConfig} → the processed data folder.
 *
 * 1. **List** the dataset's files (the config's loader) and sort them by path (code point order),
 *    before anything random. A file's index in this list is its track id.
 * 2. **Split** at file level with the chosen protocol and seed, so every example of a file lands in
 *    the file's part.
 * 3. **Extract** in parallel: a pool of Deno Workers (started before the listing, so their start-up
 *    overlaps it) reads, hashes, decodes and turns each file into log-mel examples and posts them
 *    back (buffer transferred). The training files are processed first, then val, then test, each
 *    in file order; the main thread consumes results in that order, whatever order they finish
 *    in, so outputs are deterministic. At most `4 × workers` files are in flight or waiting, so
 *    raw audio is never held for all files. Training examples feed a streaming float64 scaler fit
 *    and are kept unscaled (in memory when they fit `memoryBudgetBytes`, else in a temporary
 *    file).
 * 4. **Scale** with the scaler fitted on the training part only. It is final once the last
 *    training file is in: from then on val and test examples are scaled and appended to
 *    `X_{val,test}.npy` as they arrive, while the kept training examples are scaled into
 *    `X_train.npy` alongside (float32, `(N, mels, frames, 1)`), so scaling and writing overlap
 *    extraction. Also written: `y_*.npy` and `track_*.npy` (int32, file order within each part),
 *    the scaler, `labels.json` and `manifest.json` (every input file → part, examples, skip
 *    reason, sha256; all parameters; versions; in file order, as are the skip warnings).
 *    `run.json` holds what differs between runs (time, worker count); everything else is
 *    byte-identical for the same inputs and seed.
 * 5. **Publish atomically**: all of it is written into a temporary folder beside `out`, which is
 *    then renamed into place; a failed run removes its temporary folder and leaves `out` as it was.
 *
 * Nothing non-finite reaches the arrays: the decoders refuse NaN/±Inf samples, the feature
 * extractor non-finite log-mels (such a file is skipped, with the reason), and the scaler fit and
 * scaling refuse them too, naming the file. A file cut short is used for what it holds (manifest:
 * `truncated`, `seconds_read`, `note`) and skipped only when that is less than one example.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../cli.ts";
import {
  type DatasetConfig,
  type DatasetListing,
  defaultOut,
  type SplitProtocol,
} from "../datasets/datasets.ts";
import { type FeatureConfig, featureShape } from "../features/features.ts";
import { type VerificationRecord, verifyForSetup } from "../datasets/verification.ts";
import { compareCodePoints, exists, writeJsonAtomic } from "../fs.ts";
import { NpyWriter, writeNpyAtomic } from "../npy.ts";
import { log, Progress } from "../progress.ts";
import { throwIfInterrupted, turnEvery, whileSaving } from "../interrupt.ts";
import { guardTemporaryFolder } from "./_stop.ts";
import { type Scaler, ScalerFitter } from "../features/scaler.ts";
import { RESAMPLER, type ResamplerInfo } from "../audio/resample.ts";
import {
  apportion,
  assignByLists,
  kerasTwoStepSplit,
  SPLIT_NAMES,
  type SplitName,
  stratifiedSplit,
} from "../datasets/split.ts";
import { DiskStore, MemoryStore, type RowStore } from "./_row_store.ts";
import {
  type FromWorker,
  type PrepareFileResult,
  type PrepareJob,
  processFile,
  type ToWorker,
} from "./_prepare_worker.ts";
import { decodeNote, groupingCheck, type GroupingRecord } from "./_file_notes.ts";

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
  /** Keep unscaled training examples in memory up to this many bytes, else on disk (2 GiB). */
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
  /** The dataset's grouping key (FMA: `artist:<id>`), when it has one. */
  group?: string;
  /** The file ended before its header or stream said (WAV/AU data, MP3 frame cut short): what
   * it held was used. */
  truncated?: true;
  /** With `truncated`: the seconds actually decoded. */
  seconds_read?: number;
  /** MP3 frames skipped as corrupt or missing. */
  bad_frames?: number;
  /** How a damaged file was read, in words ("decoded with 3 bad frames", "truncated at 10.0 s"). */
  note?: string;
}

/** `manifest.json`. */
export interface Manifest {
  format: "mgc-processed/1";
  created_by: string;
  dataset: {
    name: string;
    description: string;
    data_dir: string;
    layout: string;
    warnings?: string[];
  };
  labels: string[];
  split: Record<string, unknown>;
  features: unknown;
  resampler?: ResamplerInfo; // every file not at features.sampleRate (absent: older setups)
  scaler: unknown;
  arrays: Record<string, { shape: number[]; dtype: string }>;
  counts: Record<SplitName, PartSummary>;
  skipped: { path: string; reason: string }[];
  missing_from_disk: { key: string; split: SplitName }[];
  /** Whether the split keeps each group (FMA: artist) in one part; when the listing has groups. */
  grouping?: GroupingRecord;
  files: ManifestFile[];
  versions: Record<string, string>;
  verification?: VerificationRecord; // is the input the canonical dataset? (`data:verify`)
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
  /**
   * Wall time per phase, seconds: list + split, extract (+ fit, and the scaling and writing that
   * overlap it), scale (what is left of scaling and writing after the last file), publish.
   */
  phases: { list: number; extract: number; scale: number; publish: number };
}

/** `x` rounded to 6 decimals (seconds in the manifest). */
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Version of this project (from deno.json). */
async function projectVersion(): Promise<string> {
  try {
    const url = new URL("../../deno.json", import.meta.url);
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

/**
 * The extraction workers. They are started before the file list is read, so their start-up
 * (module loading, compiling) overlaps listing and splitting.
 */
class WorkerPool {
  readonly workers: Worker[] = [];
  /** Set when a worker fails before {@linkcode runOrdered} takes over its error reporting. */
  error: Error | null = null;
  onError: (e: Error) => void = (e) => (this.error ??= e);

  constructor(size: number, init: Extract<ToWorker, { type: "init" }>) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL("./_prepare_worker.ts", import.meta.url), { type: "module" });
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.onError(new Error(`extraction worker failed: ${e.message}`));
      };
      w.postMessage(init);
      this.workers.push(w);
    }
  }

  terminate(): void {
    for (const w of this.workers) w.terminate();
  }
}

/**
 * Runs `jobs` on the pool's workers (or in this thread when there is no pool) and hands the
 * results to `consume` strictly in job order. At most `4 × workers` jobs are dispatched beyond the
 * next one to consume, so memory stays bounded whatever the completion order.
 */
async function runOrdered(
  jobs: PrepareJob[],
  features: FeatureConfig,
  pool: WorkerPool | null,
  consume: (r: PrepareFileResult) => Promise<void>,
): Promise<void> {
  if (!pool) {
    for (const job of jobs) {
      await turnEvery(200); // extraction on this thread: a Ctrl-C gets in between files
      await consume(await processFile(job, features));
    }
    return;
  }
  if (pool.error) throw pool.error;
  const window = pool.workers.length * 4;
  const pending = new Map<number, PrepareFileResult>();
  const waiters = new Map<number, (r: PrepareFileResult) => void>();
  let fatal: Error | null = null;
  let failAll: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (failAll = reject));
  failed.catch(() => {});
  let dispatched = 0;
  let next = 0;
  const idle: Worker[] = [...pool.workers];
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
  pool.onError = fail;
  for (const w of pool.workers) {
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
  }
  dispatch();
  for (; next < jobs.length; next++) {
    const i = jobs[next]!.index;
    let r = pending.get(i);
    if (r) pending.delete(i);
    else {
      r = await Promise.race([
        new Promise<PrepareFileResult>((res) => waiters.set(i, res)),
        failed,
      ]);
    }
    await consume(r);
    dispatch();
  }
  if (fatal) throw fatal;
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
 * import { GTZAN } from "../datasets/datasets.ts";
 * const r = await prepareDataset(GTZAN, { split: "random", seed: 42 });
 * console.log(r.counts.train.examples);
 * ```
 */
export async function prepareDataset(
  config: DatasetConfig,
  options: PrepareOptions = {},
): Promise<PrepareResult> {
  const t0 = performance.now();
  const splitName = options.split ?? Object.keys(config.splits)[0]!;
  const protocol = config.splits[splitName];
  if (!protocol) {
    throw new UserError(
      `${config.name}: unknown split "${splitName}" (one of ${
        Object.keys(config.splits).join(", ")
      })`,
    );
  }
  const workers = options.workers ?? navigator.hardwareConcurrency;
  const pool = workers > 0
    ? new WorkerPool(workers, { type: "init", features: config.features })
    : null;
  try {
    return await prepareWith(config, options, { t0, splitName, protocol, workers, pool });
  } finally {
    pool?.terminate();
  }
}

/** {@linkcode prepareDataset} once the options are checked and the workers are starting. */
async function prepareWith(
  config: DatasetConfig,
  options: PrepareOptions,
  run: {
    t0: number;
    splitName: string;
    protocol: SplitProtocol;
    workers: number;
    pool: WorkerPool | null;
  },
): Promise<PrepareResult> {
  const { t0, splitName, protocol, workers, pool } = run;
  const warn = options.warn ?? ((m: string) => log(`warning: ${m}`));
  const seed = options.seed ?? 42;
  const out = options.out ?? defaultOut(config, splitName);
  const listing = await config.listFiles(options.dataDir ?? config.defaultDataDir);
  const verifying = verifyForSetup(config.name, listing.dataDir, { warn }); // beside extraction
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
  for (const w of listing.warnings ?? []) warn(w);

  const [mels, frames] = featureShape(config.features);
  const rowSize = mels * frames;
  const fc = config.features;
  const perFileMax = fc.maxSegments !== "all"
    ? fc.maxSegments
    : Math.ceil(((fc.maxSeconds ?? 30) * fc.sampleRate) / fc.segmentSamples);
  // Only training examples wait unscaled (for the scaler); the others are scaled as they come.
  const trainFiles = parts.filter((p) => p === "train").length;
  const estimate = trainFiles * perFileMax * rowSize * 4;
  const store = estimate <= (options.memoryBudgetBytes ?? 2 ** 31) ? "memory" : "disk";

  phases.list = lap();
  await Deno.mkdir(dirname(resolve(out)), { recursive: true });
  const rand = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16);
  const tmp = join(dirname(resolve(out)), `.${basename(resolve(out))}.tmp-${Deno.pid}-${rand}`);
  await Deno.mkdir(tmp);
  // Ctrl-C: stop after the file in flight; the finally removes tmp, nothing is published.
  const guard = guardTemporaryFolder(out, tmp);
  const stopped = guard.stopped;
  const trainStore: RowStore = store === "memory"
    ? new MemoryStore()
    : new DiskStore(join(tmp, ".unscaled_train.f32"));
  const writers = Object.fromEntries(
    SPLIT_NAMES.map((
      s,
    ) => [s, NpyWriter.create(join(tmp, `X_${s}.npy`), "<f4", [mels, frames, 1])]),
  ) as Record<SplitName, Promise<NpyWriter>>;
  for (const w of Object.values(writers)) w.catch(() => {});
  // Work that overlaps extraction: scaling the training part, closing finished arrays, small
  // files. Failures are kept and rethrown once extraction is over.
  const background: Promise<void>[] = [];
  let backgroundError: unknown = null;
  const inBackground = (task: Promise<void>): void => {
    background.push(task.catch((e) => void (backgroundError ??= e)));
  };
  try {
    const fitter = new ScalerFitter(config.scaler, [mels, frames]);
    const y: Record<SplitName, number[]> = { train: [], val: [], test: [] };
    const track: Record<SplitName, number[]> = { train: [], val: [], test: [] };
    const shapes: Partial<Record<SplitName, number[]>> = {};
    const files: ManifestFile[] = new Array(items.length);
    const fileSkips: ({ path: string; reason: string } | undefined)[] = new Array(items.length);
    const progress = new Progress(`${config.name}: features`, items.length, {
      unit: "files",
      ...(options.progress === false ? { write: null } : {}),
    });
    // Processing order: the training files first (in file order), so the scaler is final as soon
    // as possible; then val and test, which are scaled and written as they arrive while the
    // training part is scaled and written alongside; files outside the split (only hashed) last.
    // Outputs do not depend on it: every part keeps file order, the manifest is by file index.
    const rank = (p: SplitName | null): number => p === null ? 3 : SPLIT_NAMES.indexOf(p);
    const jobs = items
      .map((it, index): PrepareJob => ({
        index,
        path: join(listing.dataDir, it.path),
        extract: parts[index] !== null,
      }))
      .sort((a, b) => rank(parts[a.index]!) - rank(parts[b.index]!) || a.index - b.index);
    const left: Record<SplitName, number> = { train: 0, val: 0, test: 0 };
    for (const p of parts) if (p !== null) left[p]++;
    // Warnings go out in file order, as soon as every earlier file is done.
    const warnings: (string | undefined)[] = new Array(items.length);
    const done = new Uint8Array(items.length);
    let warned = 0;

    const finishPart = async (s: SplitName): Promise<void> => {
      shapes[s] = await (await writers[s]).close();
      await writeNpyAtomic(join(tmp, `y_${s}.npy`), Int32Array.from(y[s]), [y[s].length]);
      await writeNpyAtomic(join(tmp, `track_${s}.npy`), Int32Array.from(track[s]), [
        track[s].length,
      ]);
    };
    let scaler: Scaler | null = null;
    const trainDone = (): Scaler => {
      if (fitter.count === 0) {
        throw new UserError(`${config.name}: the training split has no examples; nothing to fit`);
      }
      const sc = fitter.finish();
      inBackground(sc.save(tmp));
      inBackground((async () => {
        const w = await writers.train;
        for await (const block of trainStore.blocks(rowSize)) {
          await w.append(sc.apply(block, block, "X_train"));
        }
        await trainStore.dispose();
        await finishPart("train");
      })());
      for (const s of ["val", "test"] as const) if (left[s] === 0) inBackground(finishPart(s));
      return sc;
    };
    if (left.train === 0) scaler = trainDone();

    await runOrdered(jobs, config.features, pool, async (r) => {
      throwIfInterrupted(stopped);
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
        ...(it.group !== undefined ? { group: it.group } : {}),
      };
      if (!r.ok) {
        entry.status = "skipped";
        entry.reason = r.reason;
        warnings[r.index] = `skipping ${it.path}: ${r.reason}`;
        fileSkips[r.index] = { path: it.path, reason: r.reason };
      } else if (part === null) {
        entry.status = "excluded";
        entry.reason = `not in the ${splitName} split`;
      } else {
        Object.assign(entry, {
          source_rate: r.sourceRate,
          channels: r.channels,
          seconds: round6(r.seconds),
          padded: r.padded,
        });
        if (r.truncated) [entry.truncated, entry.seconds_read] = [true, round6(r.secondsRead!)];
        if (r.badFrames) entry.bad_frames = r.badFrames;
        const note = decodeNote(r);
        if (note) {
          [entry.note, warnings[r.index]] = [note, `${it.path}: ${note}; using what it holds`];
        }
        if (r.examples === 0) {
          entry.status = "skipped";
          entry.reason = `${note ? `${note}: ` : ""}too short for one example (${entry.seconds} s)`;
          warnings[r.index] = `skipping ${it.path}: ${entry.reason}`;
          fileSkips[r.index] = { path: it.path, reason: entry.reason };
        } else {
          entry.examples = r.examples;
          if (part === "train") {
            fitter.add(r.data, it.path); // refuses non-finite values, naming the file
            await trainStore.append(r.data);
          } else {
            await (await writers[part]).append(scaler!.apply(r.data, r.data, it.path));
          }
          for (let k = 0; k < r.examples; k++) {
            y[part].push(it.label);
            track[part].push(r.index);
          }
        }
      }
      files[r.index] = entry;
      done[r.index] = 1;
      for (; warned < items.length && done[warned]; warned++) {
        if (warnings[warned]) warn(warnings[warned]!);
      }
      progress.tick();
      if (part !== null && --left[part] === 0) {
        if (part === "train") scaler = trainDone();
        else inBackground(finishPart(part));
      }
    });
    progress.done();
    phases.extract = lap();
    await Promise.all(background);
    if (backgroundError) throw backgroundError;
    if (!scaler) throw new Error("unreachable: the scaler was never fitted");
    const arrays: Manifest["arrays"] = {};
    for (const s of SPLIT_NAMES) {
      arrays[`X_${s}`] = { shape: shapes[s]!, dtype: "float32" };
      arrays[`y_${s}`] = { shape: [y[s].length], dtype: "int32" };
      arrays[`track_${s}`] = { shape: [track[s].length], dtype: "int32" };
    }
    phases.scale = lap();
    await writeJsonAtomic(join(tmp, "labels.json"), listing.labels);
    const counts = Object.fromEntries(SPLIT_NAMES.map((s) => [s, {
      files: new Set(track[s]).size,
      examples: y[s].length,
    }])) as Record<SplitName, PartSummary>;
    const skipped = [
      ...listing.skipped.map((s) => ({ ...s })),
      ...fileSkips.filter((s) => s !== undefined),
    ];
    const written = files.filter((f) => f.status === "ok" && f.examples > 0);
    const manifest: Manifest = {
      format: "mgc-processed/1",
      created_by: options.createdBy ?? "mod/prepare.ts",
      dataset: {
        name: config.name,
        description: config.description,
        data_dir: listing.dataDir,
        layout: listing.layout,
        ...(listing.warnings?.length ? { warnings: listing.warnings } : {}),
      },
      labels: listing.labels,
      split: splitRecord,
      features: config.features,
      resampler: RESAMPLER,
      scaler: { ...(scaler as Scaler).toJson(), fit_on: "train" },
      arrays,
      counts,
      skipped,
      missing_from_disk: missing,
      ...(listing.grouping
        ? {
          grouping: groupingCheck(
            listing.grouping,
            written.map((f) => ({ group: f.group, part: f.split! })),
          ),
        }
        : {}),
      files,
      versions: {
        mgc: await projectVersion(),
        deno: Deno.version.deno,
        v8: Deno.version.v8,
        typescript: Deno.version.typescript,
      },
      verification: await verifying,
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
    throwIfInterrupted(stopped);
    await whileSaving(out, () => publish(tmp, out));
    phases.publish = Math.round((phases.publish + lap()) * 1000) / 1000;
    return { out, manifest, counts, store, seconds: (performance.now() - t0) / 1000, phases };
  } finally {
    await Promise.all(background);
    await trainStore.dispose();
    for (const w of Object.values(writers)) await (await w.catch(() => null))?.abort();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    guard.dispose();
  }
}
