/**
 * Listing a folder-per-class tree (`<dataDir>/<class>/<file>`), shared by the GTZAN, demo and
 * Indian loaders. Kept apart from `datasets.ts` so that dataset modules can use it without an
 * import cycle through the `DATASETS` registry.
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

/**
 * Lists a folder-per-class tree: `<dataDir>/<class>/<file>`. Classes are the sorted names of the
 * sub-folders that hold at least one audio file (`isAudioFile`: one of `AUDIO_EXTENSIONS`, the
 * formats `decodeAudio` reads, any case); hidden files (`.DS_Store`, macOS `._x.wav` forks) are
 * ignored; other files are reported as skipped. Returns `null` when `dataDir` is not a folder or
 * holds no such file.
 *
 * @example
 * ```ts
 * import { listClassFolders } from "./class_folders.ts";
 * const listing = await listClassFolders("data/demo/genres");
 * ```
 */
export async function listClassFolders(
  dataDir: string,
): Promise<Omit<DatasetListing, "layout"> | null> {
  if (!(await isDir(dataDir))) return null;
  const exts = AUDIO_EXTENSIONS.join(" ");
  const skipped: ListingSkip[] = [];
  const classes: { name: string; files: string[] }[] = [];
  for (const entry of await readDirSorted(dataDir)) {
    if (entry.name.startsWith(".")) continue;
    if (!entry.isDirectory) {
      skipped.push({ path: entry.name, reason: "not inside a class folder" });
      continue;
    }
    const files: string[] = [];
    for (const f of await readDirSorted(join(dataDir, entry.name))) {
      if (f.name.startsWith(".")) continue;
      const rel = `${entry.name}/${f.name}`;
      if (!f.isFile && !f.isSymlink) skipped.push({ path: rel, reason: "not a file" });
      else if (!isAudioFile(f.name)) {
        skipped.push({ path: rel, reason: `not an audio file (readable: ${exts})` });
      } else files.push(rel);
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
  return { dataDir, labels, items, skipped };
}
