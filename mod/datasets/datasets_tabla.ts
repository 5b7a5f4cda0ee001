/**
 * The tabla taala dataset (Kaggle `pranav6670/tabla-taala-dataset`: 561 clips, 8 taals) as a
 * {@linkcode DatasetConfig}, with the original's parameters.
 *
 * Layout: `data/tabla/wavfiles/*.wav` and `data/tabla/file_name.csv` with the columns
 * `fname,label`. The taals are Addhatrital, Bhajani, Dadra, Deepchandi, Ektal, Jhaptal, Rupak
 * and Trital (labels matched case-insensitively; label order is this sorted list).
 *
 * Features (`TABLA_FEATURES`): one example per clip, its first 3.0 s (zero-padded when shorter),
 * n_fft 1024, hop 512: 128 × 130. Scaler: one mean and std per mel band over the training
 * examples and their frames (std floored at 1e-6). Split: stratified 80/10/10 with the seed.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { AUDIO_EXTENSIONS, isAudioFile } from "../audio/audio.ts";
import { csvRecords, CsvSyntaxError } from "../csv.ts";
import { UserError } from "../cli.ts";
import type { DatasetConfig, DatasetItem, DatasetListing, ListingSkip } from "./config.ts";
import { TABLA_FEATURES } from "../features/features.ts";
import { compareCodePoints } from "../fs.ts";

/** The 8 taals, in label order. */
export const TABLA_TAALS: readonly string[] = Object.freeze([
  "Addhatrital",
  "Bhajani",
  "Dadra",
  "Deepchandi",
  "Ektal",
  "Jhaptal",
  "Rupak",
  "Trital",
]);

const AUDIO = "wavfiles";
const LIST = "file_name.csv";

async function isDir(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isDirectory, () => false);
}

/** The dataset root for `dataDir`: itself, or its parent when given `…/wavfiles`. */
async function findRoot(dataDir: string): Promise<string> {
  const trimmed = dataDir.replace(/[\\/]+$/, "") || dataDir;
  const candidates = [trimmed];
  if (basename(trimmed) === AUDIO) candidates.push(dirname(trimmed));
  for (const root of candidates) {
    if (await isDir(join(root, AUDIO))) return root;
  }
  throw new UserError(
    `no tabla audio found in ${dataDir}. Put the dataset there as ${AUDIO}/*.wav with ` +
      `${LIST} (columns fname,label) beside it, or pass --data-dir. ` +
      "`deno task data:get tabla` downloads it.",
  );
}

/** `file_name.csv` rows: `[record number, fname, label]`. */
async function readList(path: string): Promise<[number, string, string][]> {
  const rows: [number, string, string][] = [];
  let cols: [number, number] | null = null;
  let record = 0;
  try {
    for await (const fields of csvRecords(path)) {
      record++;
      if (!cols) {
        const names = fields.map((f) => f.trim().toLowerCase());
        const f = names.indexOf("fname"), l = names.indexOf("label");
        if (f < 0 || l < 0) {
          throw new UserError(
            `${path}: the header must name the columns fname and label, got ` +
              `"${fields.join(",").slice(0, 80)}"`,
          );
        }
        cols = [f, l];
        continue;
      }
      rows.push([record, (fields[cols[0]] ?? "").trim(), (fields[cols[1]] ?? "").trim()]);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UserError(`${path} is missing: the tabla labels (fname,label) go beside ${AUDIO}/`);
    }
    if (e instanceof CsvSyntaxError) throw new UserError(`${path}: ${e.message}`);
    throw e;
  }
  if (!cols) {
    throw new UserError(`${path}: empty; expected a header fname,label and one row per clip`);
  }
  return rows;
}

/**
 * Lists the tabla clips: `<root>/wavfiles/*.wav` labelled by `<root>/file_name.csv`, where
 * `dataDir` is the root or its `wavfiles/` folder. A row's `fname` is the file name in
 * `wavfiles/` (any folder part dropped; `.wav` added when it has no extension; matched
 * case-insensitively when the exact name is absent; any readable audio format, `isAudioFile`).
 * Reported in `skipped`, never fatal: rows with an unknown label, a missing file, an empty name
 * or a repeated name, audio files no row names, and files that are not audio. A name listed with two
 * different labels is dropped. Throws a {@linkcode UserError} when the folder or the CSV is
 * missing or the CSV has no `fname`/`label` header.
 *
 * @example
 * ```ts ignore
 * import { listTabla } from "./datasets_tabla.ts";
 * const listing = await listTabla("data/tabla");
 * listing.labels.length; // 8
 * ```
 */
export async function listTabla(dataDir: string): Promise<DatasetListing> {
  const root = await findRoot(dataDir);
  const skipped: ListingSkip[] = [];
  const onDisk = new Map<string, string>(); // exact name → name, and lower-case name → name
  for await (const f of Deno.readDir(join(root, AUDIO))) {
    if (f.name.startsWith(".")) continue;
    if (f.isDirectory) skipped.push({ path: `${AUDIO}/${f.name}/`, reason: "a folder" });
    else if (!isAudioFile(f.name)) {
      skipped.push({
        path: `${AUDIO}/${f.name}`,
        reason: `not an audio file (readable: ${AUDIO_EXTENSIONS.join(" ")})`,
      });
    } else {
      onDisk.set(f.name, f.name);
      if (!onDisk.has(f.name.toLowerCase())) onDisk.set(f.name.toLowerCase(), f.name);
    }
  }
  const taalOf = new Map(TABLA_TAALS.map((t, i) => [t.toLowerCase(), i]));
  const chosen = new Map<string, { label: number; record: number }>();
  const conflicting = new Set<string>();
  const named = new Set<string>(); // files some row names, usable or not
  for (const [record, fname, label] of await readList(join(root, LIST))) {
    const where = `${LIST} (CSV record ${record})`;
    if (fname === "") {
      skipped.push({ path: where, reason: "empty fname" });
      continue;
    }
    const base = fname.split(/[\\/]/).pop()!; // "wavfiles/x.wav" names x.wav too
    const want = /\.[A-Za-z0-9]+$/.test(base) ? base : `${base}.wav`;
    const name = onDisk.get(want) ?? onDisk.get(want.toLowerCase());
    if (!name) {
      skipped.push({ path: `${AUDIO}/${want}`, reason: `${where}: no such file in ${AUDIO}/` });
      continue;
    }
    named.add(name);
    const lc = taalOf.get(label.toLowerCase());
    if (lc === undefined) {
      skipped.push({
        path: `${AUDIO}/${name}`,
        reason: `${where}: unknown taal "${label}" (one of ${TABLA_TAALS.join(", ")})`,
      });
      continue;
    }
    const before = chosen.get(name);
    if (before) {
      if (before.label !== lc) conflicting.add(name);
      skipped.push({
        path: `${AUDIO}/${name}`,
        reason: before.label === lc
          ? `${where}: listed again (first in record ${before.record})`
          : `${where}: listed again as ${TABLA_TAALS[lc]} (as ${TABLA_TAALS[before.label]} in ` +
            `record ${before.record}); dropped`,
      });
      continue;
    }
    chosen.set(name, { label: lc, record });
  }
  const items: DatasetItem[] = [];
  for (const [name, { label }] of chosen) {
    if (!conflicting.has(name)) items.push({ path: `${AUDIO}/${name}`, label });
  }
  for (const name of new Set(onDisk.values())) {
    if (!named.has(name)) {
      skipped.push({ path: `${AUDIO}/${name}`, reason: `not listed in ${LIST}` });
    }
  }
  items.sort((a, b) => compareCodePoints(a.path, b.path));
  skipped.sort((a, b) => compareCodePoints(a.path, b.path));
  if (items.length === 0) {
    throw new UserError(`no usable tabla clip in ${root}: ${LIST} names none of ${AUDIO}/*.wav`);
  }
  return {
    dataDir: root,
    layout: `${AUDIO}/*.wav + ${LIST} (fname,label)`,
    labels: [...TABLA_TAALS],
    items,
    skipped,
  };
}

/** Tabla taalas: 8 taals, one 3.0 s example per clip, 128 × 130 log-mel, per-mel scaler. */
export const TABLA: DatasetConfig = {
  name: "tabla",
  description: "Tabla taalas (Kaggle pranav6670): 8 taals, 561 WAV clips, one 3.0 s example each",
  defaultDataDir: "data/tabla",
  processedRoot: "data/processed/tabla",
  listFiles: listTabla,
  features: TABLA_FEATURES,
  scaler: "per-mel",
  splits: { random: { kind: "stratified", fractions: [0.8, 0.1, 0.1] } },
};
