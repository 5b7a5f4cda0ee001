/**
 * Finding and listing a folder-per-class tree (`<root>/<class>/<file>`), shared by the GTZAN, demo,
 * Indian and tabla loaders, as the published copies actually come:
 *
 * - **extra top folders**: the tree may sit one to three folders below the folder given
 *   (`Data/genres_original/<genre>/`, `Indian Music Genre Dataset/genrenew/<class>/`);
 *   {@linkcode findClassRoots} finds it;
 * - **a class folder's audio one level deeper** (`genrenew/sufi/sufi/*.mp3`, `sufi/Sufi songs/`):
 *   a class folder that holds no audio itself takes the audio of its sub-folders;
 * - **audio** is any file {@linkcode isAudioFile} accepts (one of `AUDIO_EXTENSIONS`, the formats
 *   `decodeAudio` reads, any case): the one list of readable formats, shared with `predict`;
 * - **hidden and system files** (`.DS_Store`, macOS AppleDouble `._x.wav` forks, `__MACOSX/`,
 *   `Thumbs.db`, `desktop.ini`) are ignored silently, never reported as bad audio.
 *
 * Kept apart from `datasets.ts` so that dataset modules can use it without an import cycle
 * through the `DATASETS` registry.
 *
 * @module
 */
import { join } from "node:path";
import { AUDIO_EXTENSIONS, isAudioFile } from "../audio/audio.ts";
import type { DatasetListing, ListingSkip } from "./config.ts";
import { compareCodePoints } from "../fs.ts";

/** True when `path` is a folder. */
export async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** The entries of a folder, sorted by name (code points). */
export async function readDirSorted(path: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(path)) out.push(e);
  return out.sort((a, b) => compareCodePoints(a.name, b.name));
}

const SYSTEM_NAMES = new Set(["__macosx", "thumbs.db", "desktop.ini", "$recycle.bin"]);

/**
 * True for names a loader ignores without a word: hidden files and folders (`.DS_Store`, macOS
 * AppleDouble `._x.wav`), `__MACOSX/` (zip archives made on macOS), `Thumbs.db`, `desktop.ini`.
 *
 * @example
 * ```ts
 * import { isHiddenName } from "./class_folders.ts";
 * isHiddenName("._blues.00000.wav"); // true
 * isHiddenName("blues.00000.wav"); // false
 * ```
 */
export function isHiddenName(name: string): boolean {
  return name.startsWith(".") || SYSTEM_NAMES.has(name.toLowerCase());
}

/** The visible entries of a folder, sorted (empty when it cannot be read). */
async function visible(path: string): Promise<Deno.DirEntry[]> {
  try {
    return (await readDirSorted(path)).filter((e) => !isHiddenName(e.name));
  } catch {
    return [];
  }
}

/** Whether a folder directly holds an audio file ({@linkcode isAudioFile}). */
async function holdsAudio(dir: string): Promise<boolean> {
  return (await visible(dir)).some((e) => !e.isDirectory && isAudioFile(e.name));
}

/** How many sub-folders of `dir` are classes: they hold audio, or exactly one folder that does. */
async function classCount(dir: string): Promise<number> {
  let n = 0;
  for (const e of await visible(dir)) {
    if (!e.isDirectory) continue;
    const sub = join(dir, e.name);
    if (await holdsAudio(sub)) n++;
    else {
      let inner = 0;
      for (const f of await visible(sub)) {
        if (f.isDirectory && await holdsAudio(join(sub, f.name))) inner++;
      }
      if (inner === 1) n++;
    }
  }
  return n;
}

/**
 * The folders at or below `start` (at most `maxDepth` levels down, default 3) that look like the
 * root of a class tree: sub-folders that hold audio ({@linkcode isAudioFile}; directly or one
 * level deeper). The shallowest level wins; on it, folders with two or more classes are preferred
 * to single-class ones. Returns them sorted (empty when none): more than one means several copies
 * (e.g. `genres/` with `.au` beside `genres_original/` with `.wav`), which the caller resolves.
 *
 * @example
 * ```ts
 * import { findClassRoots } from "./class_folders.ts";
 * const roots = await findClassRoots("data/gtzan");
 * ```
 */
export async function findClassRoots(
  start: string,
  options: { maxDepth?: number } = {},
): Promise<string[]> {
  if (!(await isDir(start))) return [];
  let level = [start];
  let single: string[] = [];
  for (let depth = 0; depth <= (options.maxDepth ?? 3) && level.length; depth++) {
    const many: string[] = [];
    const one: string[] = [];
    const next: string[] = [];
    for (const dir of level) {
      const n = await classCount(dir);
      if (n >= 2) many.push(dir);
      else if (n === 1) one.push(dir);
      for (const e of await visible(dir)) if (e.isDirectory) next.push(join(dir, e.name));
    }
    if (many.length) return many.sort(compareCodePoints);
    if (one.length && !single.length) single = one;
    level = next;
  }
  return single.sort(compareCodePoints);
}

/** What {@linkcode listClassFolders} returns: a listing without a layout, and how it was laid out. */
export type ClassFolderListing = Omit<DatasetListing, "layout"> & {
  /** Classes whose audio was found one level below the class folder. */
  nested: string[];
};

/**
 * Lists a folder-per-class tree: `<dataDir>/<class>/<file>`. Classes are the sorted names of the
 * sub-folders that hold at least one audio file ({@linkcode isAudioFile}: one of
 * `AUDIO_EXTENSIONS`, the formats `decodeAudio` reads, any case); a class folder that holds none takes the files of its sub-folders instead (`<class>/<sub>/<file>`,
 * reported in `nested`). Hidden and system files are ignored silently ({@linkcode isHiddenName});
 * other files are reported as skipped. Returns `null` when `dataDir` is not a folder or holds no
 * such file.
 *
 * @example
 * ```ts
 * import { listClassFolders } from "./class_folders.ts";
 * const listing = await listClassFolders("data/demo/genres");
 * ```
 */
export async function listClassFolders(
  dataDir: string,
): Promise<ClassFolderListing | null> {
  if (!(await isDir(dataDir))) return null;
  const exts = AUDIO_EXTENSIONS.join(" ");
  const skipped: ListingSkip[] = [];
  const classes: { name: string; files: string[] }[] = [];
  const nested: string[] = [];
  // Audio files directly in `dir` (relative to dataDir as `prefix<name>`); the rest reported.
  const filesIn = async (dir: string, prefix: string, sub: string[]): Promise<string[]> => {
    const files: string[] = [];
    for (const f of await visible(dir)) {
      const rel = `${prefix}${f.name}`;
      if (f.isDirectory) sub.push(f.name);
      else if (!f.isFile && !f.isSymlink) skipped.push({ path: rel, reason: "not a file" });
      else if (!isAudioFile(f.name)) {
        skipped.push({ path: rel, reason: `not an audio file (readable: ${exts})` });
      } else files.push(rel);
    }
    return files;
  };
  for (const entry of await visible(dataDir)) {
    if (!entry.isDirectory) {
      skipped.push({ path: entry.name, reason: "not inside a class folder" });
      continue;
    }
    const subs: string[] = [];
    const files = await filesIn(join(dataDir, entry.name), `${entry.name}/`, subs);
    if (files.length === 0 && subs.length) {
      for (const s of subs) {
        const deeper: string[] = [];
        files.push(...await filesIn(join(dataDir, entry.name, s), `${entry.name}/${s}/`, deeper));
        for (const d of deeper) {
          skipped.push({ path: `${entry.name}/${s}/${d}/`, reason: "a folder two levels down" });
        }
      }
      if (files.length) nested.push(entry.name);
    } else {
      for (const s of subs) {
        skipped.push({ path: `${entry.name}/${s}/`, reason: "a folder inside a class folder" });
      }
    }
    if (files.length === 0) {
      skipped.push({ path: `${entry.name}/`, reason: `holds no audio file (readable: ${exts})` });
    } else classes.push({ name: entry.name, files });
  }
  if (classes.length === 0) return null;
  const labels = classes.map((c) => c.name);
  const items = classes
    .flatMap((c, label) => c.files.map((path) => ({ path, label })))
    .sort((a, b) => compareCodePoints(a.path, b.path));
  skipped.sort((a, b) => compareCodePoints(a.path, b.path));
  return { dataDir, labels, items, skipped, nested };
}
