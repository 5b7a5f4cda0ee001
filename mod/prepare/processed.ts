/**
 * Reading a processed-data folder (what the `*:setup` tasks write) as training sources:
 * `X_{train,val,test}.npy`, `y_*.npy`, `track_*.npy`, the scaler, `labels.json` and
 * `manifest.json`. Small arrays are read into memory; arrays larger than `memoryLimitBytes` are read
 * row by row from disk (FMA-small's 80,000 segments are ≈5 GB), so the process stays small.
 *
 * @module
 */
import { join } from "node:path";
import { arraySource, rowReaderSource, type SampleSource, subsetSource } from "./samples.ts";
import { UserError } from "../cli.ts";
import { exists, readJson, sha256Hex } from "../fs.ts";
import { NpyReader, readNpy } from "../npy.ts";
import type { Manifest } from "./prepare.ts";
import { Scaler } from "../features/scaler.ts";
import { SPLIT_NAMES, type SplitName } from "../datasets/split.ts";

/** One part (train, val or test) of a processed folder. */
export interface ProcessedPart {
  /** The samples, in file order. */
  source: SampleSource;
  /** Class index per sample. */
  y: Int32Array;
  /** Track (file) index per sample: the index into {@linkcode ProcessedData.files}. */
  track: Int32Array;
  /** The samples in memory, when they were read whole (else null: read from disk). */
  x: Float32Array | null;
}

/** A processed-data folder, opened. */
export interface ProcessedData {
  dir: string;
  labels: string[];
  manifest: Manifest;
  /** sha256 of `manifest.json`'s bytes (recorded in reports and bundles). */
  manifestSha256: string;
  scaler: Scaler;
  /** One sample's shape, `[mels, frames, 1]`. */
  sampleShape: [number, number, number];
  /** Input file path per track index (from the manifest). */
  files: string[];
  parts: Record<SplitName, ProcessedPart>;
  /** Closes the on-disk readers. */
  close(): void;
}

/**
 * Opens a processed folder. Errors name the folder and say which task writes it.
 *
 * @example
 * ```ts
 * import { loadProcessed } from "./processed.ts";
 * const data = await loadProcessed("data/processed/gtzan/random").catch(() => null);
 * data?.close();
 * ```
 */
export async function loadProcessed(
  dir: string,
  options: { memoryLimitBytes?: number } = {},
): Promise<ProcessedData> {
  const need = ["manifest.json", "labels.json", "scaler.json"];
  for (const p of SPLIT_NAMES) need.push(`X_${p}.npy`, `y_${p}.npy`, `track_${p}.npy`);
  const missing: string[] = [];
  for (const f of need) if (!(await exists(join(dir, f)))) missing.push(f);
  if (missing.length === need.length) {
    throw new UserError(
      `${dir}: no processed data here; run the dataset's setup task first ` +
        "(e.g. `deno task gtzan:setup`, or `deno task demo`)",
    );
  }
  if (missing.length) {
    throw new UserError(`${dir}: incomplete processed data (missing ${missing.join(", ")})`);
  }
  const manifestBytes = await Deno.readFile(join(dir, "manifest.json"));
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as Manifest;
  const labels = await readJson<string[]>(join(dir, "labels.json"));
  const scaler = await Scaler.load(dir);
  const files: string[] = [];
  for (const f of manifest.files) files[f.index] = f.path;
  const limit = options.memoryLimitBytes ?? 3 * 1024 ** 3;
  const readers: NpyReader[] = [];
  const parts = {} as Record<SplitName, ProcessedPart>;
  let sampleShape: [number, number, number] | null = null;
  for (const p of SPLIT_NAMES) {
    const y = await readInt32(join(dir, `y_${p}.npy`));
    const track = await readInt32(join(dir, `track_${p}.npy`));
    const reader = await NpyReader.open(join(dir, `X_${p}.npy`));
    const shape = reader.shape.slice(1);
    if (reader.dtype !== "<f4" || shape.length !== 3 || shape[2] !== 1) {
      reader.close();
      throw new UserError(`${dir}/X_${p}.npy: expected float32 (N, mels, frames, 1)`);
    }
    if (reader.rows !== y.length || track.length !== y.length) {
      reader.close();
      throw new UserError(
        `${dir}: X_${p} has ${reader.rows} rows, y_${p} ${y.length}, track_${p} ${track.length}`,
      );
    }
    sampleShape ??= shape as [number, number, number];
    const bytes = reader.rows * reader.rowSize * 4;
    let part: ProcessedPart;
    if (bytes <= limit) {
      reader.close();
      const x = (await readNpy(join(dir, `X_${p}.npy`))).data as Float32Array;
      part = { source: arraySource(x, y, [...sampleShape], labels.length), y, track, x };
    } else {
      readers.push(reader);
      const rowSize = reader.rowSize;
      const rowReader = {
        readRows(indices: readonly number[]): Promise<Float32Array> {
          const out = new Float32Array(indices.length * rowSize);
          indices.forEach((idx, k) => {
            out.set(reader.readRows(idx, 1) as Float32Array, k * rowSize);
          });
          return Promise.resolve(out);
        },
      };
      part = {
        source: rowReaderSource(rowReader, y, [...sampleShape], labels.length),
        y,
        track,
        x: null,
      };
    }
    parts[p] = part;
  }
  return {
    dir,
    labels,
    manifest,
    manifestSha256: await sha256Hex(manifestBytes),
    scaler,
    sampleShape: sampleShape!,
    files,
    parts,
    close: () => readers.forEach((r) => r.close()),
  };
}

async function readInt32(path: string): Promise<Int32Array> {
  const a = await readNpy(path);
  if (!(a.data instanceof Int32Array) || a.shape.length !== 1) {
    throw new UserError(`${path}: expected a 1-D int32 array`);
  }
  return a.data;
}

/** Options of {@linkcode subsetProcessed}. */
export interface SubsetOptions {
  /** Keep at most this many segments of each track (the first ones). */
  segmentsPerTrack?: number;
  /** Keep at most this many tracks per class in each part (the first ones in file order). */
  tracksPerClass?: number;
}

/**
 * A smaller view of the same data for quick runs (`--quick`, the demo, tests): whole tracks are
 * kept or dropped, so no track is split across parts and track-level scores stay meaningful.
 *
 * @example
 * ```ts
 * import { loadProcessed, subsetProcessed } from "./processed.ts";
 * const data = await loadProcessed("data/processed/demo/random").catch(() => null);
 * const small = data && subsetProcessed(data, { segmentsPerTrack: 2, tracksPerClass: 4 });
 * ```
 */
export function subsetProcessed(data: ProcessedData, options: SubsetOptions): ProcessedData {
  const parts = {} as Record<SplitName, ProcessedPart>;
  for (const p of SPLIT_NAMES) {
    const part = data.parts[p];
    const keep: number[] = [];
    const segs = new Map<number, number>();
    const tracksOfClass = new Map<number, Set<number>>();
    for (let i = 0; i < part.y.length; i++) {
      const t = part.track[i]!;
      const c = part.y[i]!;
      const set = tracksOfClass.get(c) ?? new Set<number>();
      if (!set.has(t)) {
        if (options.tracksPerClass !== undefined && set.size >= options.tracksPerClass) continue;
        set.add(t);
        tracksOfClass.set(c, set);
      }
      const n = segs.get(t) ?? 0;
      if (options.segmentsPerTrack !== undefined && n >= options.segmentsPerTrack) continue;
      segs.set(t, n + 1);
      keep.push(i);
    }
    parts[p] = {
      source: subsetSource(part.source, keep),
      y: Int32Array.from(keep, (i) => part.y[i]!),
      track: Int32Array.from(keep, (i) => part.track[i]!),
      x: null,
    };
  }
  return { ...data, parts };
}
