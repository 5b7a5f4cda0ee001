/**
 * The tabla taala dataset (Kaggle `pranav6670/tabla-taala-dataset`: 561 clips, 8 taals) as a
 * {@linkcode DatasetConfig}, with the original's parameters, read in every layout it circulates in
 * ({@linkcode listTabla}):
 *
 * - **one flat audio folder + a CSV** `fname,label` (the dataset's repository: `wavfiles/*.wav`
 *   and `file_name.csv`; other copies name the CSV `train.csv` or `test.csv`, or any name given
 *   with `--list`);
 * - **one folder per taal** (`<root>/<taal>/<taal>NN.wav`, the archive's `tablaDataset/`).
 *
 * The taals are Addhatrital, Bhajani, Dadra, Deepchandi, Ektal, Jhaptal, Rupak and Trital
 * (label order is this sorted list). Labels and folder names are matched ignoring case, spaces,
 * hyphens and underscores, with a "taal" ending read as "tal" and the aliases of
 * {@linkcode TABLA_ALIASES} (`Zaptal` → Jhaptal, as an older revision of the CSV spells it).
 *
 * Features (`TABLA_FEATURES`): one example per clip, its first 3.0 s (zero-padded when shorter),
 * n_fft 1024, hop 512: 128 × 130. Scaler: one mean and std per mel band over the training
 * examples and their frames (std floored at 1e-6). Split: stratified 80/10/10 with the seed.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { AUDIO_EXTENSIONS, isAudioFile } from "../audio/audio.ts";
import { csvRecords, CsvSyntaxError } from "./csv.ts";
import { UserError } from "../cli.ts";
import type { DatasetConfig, DatasetItem, DatasetListing, ListingSkip } from "./config.ts";
import { TABLA_FEATURES } from "../features/features.ts";
import { compareCodePoints } from "../fs.ts";
import { findClassRoots, isDir, isHiddenName, listClassFolders } from "./class_folders.ts";

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

/**
 * Other spellings of the taals met in copies of the dataset and in the literature, by their
 * folded form (lower case, letters only, "taal" → "tal"): `Zaptal` (an older revision of the
 * CSV) and `Jhaptaal` → Jhaptal; `Teental`, `Tintal`, `Teentaal` → Trital; `Dipchandi` →
 * Deepchandi; `Addhateental`, `Addha Trital` → Addhatrital; `Ektaal` → Ektal; `Rupaktaal` →
 * Rupak.
 */
export const TABLA_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  zaptal: "Jhaptal",
  teental: "Trital",
  tintal: "Trital",
  dipchandi: "Deepchandi",
  addhateental: "Addhatrital",
  addhatintal: "Addhatrital",
  rupaktal: "Rupak",
});

/** The CSV names copies of the dataset use, in the order they are looked for. */
export const TABLA_LIST_NAMES: readonly string[] = Object.freeze([
  "file_name.csv",
  "train.csv",
  "test.csv",
]);

/** A taal name folded for matching: lower case, letters only, a "taal" ending as "tal". */
function fold(name: string): string {
  return name.normalize("NFKC").toLowerCase().replace(/[^\p{L}]+/gu, "").replace(/taal$/, "tal");
}

const TAAL_INDEX = new Map<string, number>([
  ...TABLA_TAALS.map((t, i) => [fold(t), i] as [string, number]),
  ...Object.entries(TABLA_ALIASES).map(([a, t]) => [a, TABLA_TAALS.indexOf(t)] as [string, number]),
]);

/**
 * The label index of a taal name as a copy of the dataset writes it (any case, separators,
 * aliases), or undefined.
 *
 * @example
 * ```ts
 * import { taalIndex } from "./datasets_tabla.ts";
 * taalIndex("Zaptal"); // 5 (Jhaptal)
 * taalIndex(" TRITAL "); // 7
 * taalIndex("Kaharwa"); // undefined
 * ```
 */
export function taalIndex(name: string): number | undefined {
  return TAAL_INDEX.get(fold(name));
}

/** Options of {@linkcode listTabla} and {@linkcode tablaConfig}. */
export interface TablaOptions {
  /**
   * The CSV (`fname,label`) to use, when it has another name than {@linkcode TABLA_LIST_NAMES}
   * (the `--list` flag): a path, relative to the working folder or else to the data folder.
   */
  list?: string;
}

/** A name as compared: Unicode NFC (macOS writes NFD file names), lower case. */
const nameKey = (name: string): string => name.normalize("NFC").toLowerCase();

/** A file name (`path.basename` does not split at `\`). */
const lastPart = (p: string): string => p.split(/[\\/]/).pop()!;

/** The visible entries of a folder (none when it cannot be read). */
async function entries(dir: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (!isHiddenName(e.name)) out.push(e);
  } catch { /* not a folder */ }
  return out.sort((a, b) => compareCodePoints(a.name, b.name));
}

/** One CSV row: where it is (for messages), the file name and the label as written. */
interface Row {
  where: string;
  csv: string;
  record: number;
  fname: string;
  label: string;
}

const FILE_COLUMNS = ["fname", "filename", "file_name", "file", "name"];
const LABEL_COLUMNS = ["label", "taal", "tala", "class"];

/** The rows of one `fname,label` CSV; `shown` names it in messages. */
async function readList(path: string, shown: string): Promise<Row[]> {
  const rows: Row[] = [];
  let cols: [number, number] | null = null;
  let record = 0;
  try {
    for await (const fields of csvRecords(path)) {
      record++;
      if (!cols) {
        const names = fields.map((f) => f.trim().toLowerCase());
        const f = names.findIndex((n) => FILE_COLUMNS.includes(n));
        const l = names.findIndex((n) => LABEL_COLUMNS.includes(n));
        if (f < 0 || l < 0) {
          throw new UserError(
            `${path}: the header must name the columns fname and label, got ` +
              `"${fields.join(",").slice(0, 80)}"`,
          );
        }
        cols = [f, l];
        continue;
      }
      rows.push({
        where: `${shown} (CSV record ${record})`,
        csv: shown,
        record,
        fname: (fields[cols[0]] ?? "").trim(),
        label: (fields[cols[1]] ?? "").trim(),
      });
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new UserError(`${path}: file not found`);
    if (e instanceof CsvSyntaxError) throw new UserError(`${path}: ${e.message}`);
    throw e;
  }
  if (!cols) {
    throw new UserError(`${path}: empty; expected a header fname,label and one row per clip`);
  }
  return rows;
}

/** Where the CSVs are: `--list`, or the first folder of `candidates` holding a known name. */
async function findLists(
  dataDir: string,
  list: string | undefined,
): Promise<{ root: string; lists: { path: string; shown: string }[] } | null> {
  if (list !== undefined) {
    for (const path of [list, join(dataDir, list)]) {
      if (await Deno.stat(path).then((s) => s.isFile, () => false)) {
        // Paths are relative to the CSV's folder when --data-dir is it or lies below it.
        const home = resolve(dirname(path));
        const inside = !relative(home, resolve(dataDir)).startsWith("..");
        return { root: inside ? dirname(path) : dataDir, lists: [{ path, shown: basename(path) }] };
      }
    }
    throw new UserError(`--list ${list}: no such file (looked in . and ${dataDir})`);
  }
  const top = await entries(dataDir);
  const candidates = [
    dataDir,
    ...top.filter((e) => e.isDirectory).map((e) => join(dataDir, e.name)),
  ];
  // Given the audio folder itself (`…/wavfiles`): its parent holds the CSV.
  if (top.some((e) => !e.isDirectory && isAudioFile(e.name))) {
    candidates.splice(1, 0, dirname(dataDir));
  }
  for (const dir of candidates) {
    const names = new Set((await entries(dir)).filter((e) => !e.isDirectory).map((e) => e.name));
    const lists = TABLA_LIST_NAMES.filter((n) => names.has(n));
    if (lists.length) {
      return { root: dir, lists: lists.map((n) => ({ path: join(dir, n), shown: n })) };
    }
  }
  return null;
}

/**
 * The flat layout: the CSV rows matched to the audio files of one folder (the one, among the
 * root and its sub-folders, where most rows find their file; `wavfiles/` on ties).
 */
async function listFlat(
  root: string,
  lists: { path: string; shown: string }[],
  dataDir: string,
): Promise<DatasetListing> {
  const rows: Row[] = [];
  for (const l of lists) rows.push(...await readList(l.path, l.shown));
  const wanted = new Set(rows.map((r) => nameKey(lastPart(r.fname))));
  const folders = [
    root,
    ...(await entries(root)).filter((e) => e.isDirectory).map((e) => join(root, e.name)),
  ];
  if (!folders.some((f) => resolve(f) === resolve(dataDir))) folders.push(dataDir);
  let best = { dir: root, hits: -1, files: [] as string[] };
  for (const dir of folders) {
    const files = (await entries(dir)).filter((e) => !e.isDirectory).map((e) => e.name);
    const hits = files.filter((f) =>
      wanted.has(nameKey(f)) || wanted.has(nameKey(f.replace(/\.wav$/i, "")))
    ).length;
    if (hits > best.hits || (hits === best.hits && basename(dir) === "wavfiles")) {
      best = { dir, hits, files };
    }
  }
  const rel = relative(root, best.dir).replaceAll("\\", "/");
  const prefix = rel ? `${rel}/` : "";
  const skipped: ListingSkip[] = [];
  const onDisk = new Map<string, string>(); // exact name and NFC lower-case name → name on disk
  for (const f of best.files) {
    if (!isAudioFile(f)) {
      skipped.push({
        path: `${prefix}${f}`,
        reason: `not an audio file (readable: ${AUDIO_EXTENSIONS.join(" ")})`,
      });
      continue;
    }
    onDisk.set(f, f);
    if (!onDisk.has(nameKey(f))) onDisk.set(nameKey(f), f);
  }
  for (const e of await entries(best.dir)) {
    if (e.isDirectory && best.dir !== root) {
      skipped.push({ path: `${prefix}${e.name}/`, reason: "a folder" });
    }
  }
  const find = (base: string): string | undefined =>
    onDisk.get(base) ?? onDisk.get(nameKey(base)) ?? onDisk.get(`${base}.wav`) ??
      onDisk.get(nameKey(`${base}.wav`));
  const chosen = new Map<string, { label: number; row: Row }>();
  const conflicting = new Set<string>();
  const named = new Set<string>();
  const csvNames = lists.map((l) => l.shown).join(", ");
  for (const row of rows) {
    if (row.fname === "") {
      skipped.push({ path: row.where, reason: "empty fname" });
      continue;
    }
    const base = lastPart(row.fname).normalize("NFC");
    const name = find(base);
    if (!name) {
      const want = isAudioFile(base) ? base : `${base}.wav`;
      skipped.push({
        path: `${prefix}${want}`,
        reason: `${row.where}: no such file in ${prefix || "./"}`,
      });
      continue;
    }
    named.add(name);
    const label = taalIndex(row.label);
    if (label === undefined) {
      skipped.push({
        path: `${prefix}${name}`,
        reason: `${row.where}: unknown taal "${row.label}" (one of ${TABLA_TAALS.join(", ")})`,
      });
      continue;
    }
    const before = chosen.get(name);
    if (before) {
      if (before.label !== label) conflicting.add(name);
      // The same row in two CSVs (copies of one list) is not news; anything else is.
      if (before.label === label && before.row.csv !== row.csv) continue;
      skipped.push({
        path: `${prefix}${name}`,
        reason: before.label === label
          ? `${row.where}: listed again (first in record ${before.row.record})`
          : `${row.where}: listed again as ${TABLA_TAALS[label]} (as ` +
            `${TABLA_TAALS[before.label]} in ` +
            `${before.row.csv === row.csv ? `record ${before.row.record}` : before.row.where}); ` +
            "dropped",
      });
      continue;
    }
    chosen.set(name, { label, row });
  }
  const items: DatasetItem[] = [];
  for (const [name, { label }] of chosen) {
    if (!conflicting.has(name)) items.push({ path: `${prefix}${name}`, label });
  }
  for (const name of new Set(onDisk.values())) {
    if (!named.has(name)) {
      skipped.push({ path: `${prefix}${name}`, reason: `not listed in ${csvNames}` });
    }
  }
  items.sort((a, b) => compareCodePoints(a.path, b.path));
  skipped.sort((a, b) => compareCodePoints(a.path, b.path));
  if (items.length === 0) {
    throw new UserError(
      `no usable tabla clip in ${root}: ${csvNames} names none of the audio files in ` +
        `${best.dir} with a known taal`,
    );
  }
  return {
    dataDir: root,
    layout: `${prefix}*.wav + ${csvNames} (fname,label)`,
    labels: [...TABLA_TAALS],
    items,
    skipped,
  };
}

/** The per-taal layout: `<root>/<taal>/<file>.wav`, folder names matched as labels are. */
async function listPerTaal(dataDir: string): Promise<DatasetListing | null> {
  let best: { root: string; matched: number } | null = null;
  for (const root of await findClassRoots(dataDir)) {
    const found = (await listClassFolders(root))!;
    const matched = found.labels.filter((l) => taalIndex(l) !== undefined).length;
    if (matched > 0 && (!best || matched > best.matched)) best = { root, matched };
  }
  if (!best) return null;
  const found = (await listClassFolders(best.root))!;
  const skipped = [...found.skipped];
  const items: DatasetItem[] = [];
  for (const it of found.items) {
    const folder = found.labels[it.label]!;
    const label = taalIndex(folder);
    if (label === undefined) {
      skipped.push({
        path: it.path,
        reason: `folder "${folder}" is not a taal (one of ${TABLA_TAALS.join(", ")})`,
      });
    } else items.push({ path: it.path, label });
  }
  skipped.sort((a, b) => compareCodePoints(a.path, b.path));
  return {
    dataDir: best.root,
    layout: "<taal>/<file>.wav (one folder per taal)",
    labels: [...TABLA_TAALS],
    items,
    skipped,
  };
}

/**
 * Lists the tabla clips from `dataDir` in either layout (see the module notes).
 *
 * **CSV + flat folder** (used whenever a CSV is found): `options.list`, else `file_name.csv`,
 * `train.csv` and `test.csv` (all that are present) in `dataDir`, in one of its sub-folders, or
 * beside it when `dataDir` is the audio folder itself. The audio is the files of the folder (the
 * CSV's own or one of its sub-folders) where most rows find their file, in any readable format
 * (`isAudioFile`; other files are reported). A row's `fname` is
 * matched to a file name as written, then ignoring case and Unicode normalisation, with `.wav`
 * added when missing; any folder part is dropped. Spaces, `#`, parentheses and copy suffixes
 * (` (1)`) are ordinary characters. Reported in `skipped`, never fatal: a row whose file is
 * missing, an unknown label, an empty name, a repeated row (the same row in two of the CSVs is
 * merged silently), an audio file no row names; a file listed with two different labels is
 * dropped.
 *
 * **One folder per taal** (no CSV): `<root>/<taal>/<file>` (any readable format), the tree found up to three
 * folders down; files in a folder that is not a taal are reported.
 *
 * Throws a {@linkcode UserError} when neither layout is there or a CSV has no `fname`/`label`
 * header.
 *
 * @example
 * ```ts ignore
 * import { listTabla } from "./datasets_tabla.ts";
 * const listing = await listTabla("data/tabla");
 * listing.labels.length; // 8
 * ```
 */
export async function listTabla(
  dataDir: string,
  options: TablaOptions = {},
): Promise<DatasetListing> {
  const found = await findLists(dataDir, options.list);
  if (found) return await listFlat(found.root, found.lists, dataDir);
  if (await isDir(dataDir)) {
    const perTaal = await listPerTaal(dataDir);
    if (perTaal) return perTaal;
    for (const dir of [dataDir, ...(await entries(dataDir)).map((e) => join(dataDir, e.name))]) {
      const n = (await entries(dir)).filter((e) => !e.isDirectory && isAudioFile(e.name)).length;
      if (n > 0) {
        throw new UserError(
          `${dir} holds ${n} audio files but no ${TABLA_LIST_NAMES.join(", ")} to label ` +
            "them was found beside it: put the CSV (columns fname,label) there, or name it " +
            "with --list FILE",
        );
      }
    }
  }
  throw new UserError(
    `no tabla audio found in ${dataDir}. Put the dataset there as wavfiles/*.wav with ` +
      `file_name.csv (columns fname,label; train.csv or test.csv also work, or name the CSV ` +
      "with --list), or as one folder per taal (<taal>/*.wav); or pass --data-dir. " +
      "`deno task data:get tabla` downloads it.",
  );
}

/**
 * The tabla config; `list` names the CSV when it is not one of {@linkcode TABLA_LIST_NAMES}.
 *
 * @example
 * ```ts
 * import { tablaConfig } from "./datasets_tabla.ts";
 * tablaConfig({ list: "labels (final).csv" }).name; // "tabla"
 * ```
 */
export function tablaConfig(options: TablaOptions = {}): DatasetConfig {
  return {
    name: "tabla",
    description: "Tabla taalas (Kaggle pranav6670): 8 taals, 561 WAV clips, one 3.0 s example each",
    defaultDataDir: "data/tabla",
    processedRoot: "data/processed/tabla",
    listFiles: (dataDir) => listTabla(dataDir, options),
    features: TABLA_FEATURES,
    scaler: "per-mel",
    splits: { random: { kind: "stratified", fractions: [0.8, 0.1, 0.1] } },
  };
}

/** Tabla taalas: 8 taals, one 3.0 s example per clip, 128 × 130 log-mel, per-mel scaler. */
export const TABLA: DatasetConfig = tablaConfig();
