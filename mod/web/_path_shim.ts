/**
 * The few `node:path` functions the shared modules call, for the browser bundle (the build maps
 * `node:path` here). POSIX semantics; the page never touches a file system, these only join names.
 *
 * @module
 */

/** Joins segments with `/`, collapsing repeated slashes. */
export function join(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/").replace(/\/+/g, "/");
}

/** The folder part of `path` (`.` when there is none). */
export function dirname(path: string): string {
  const i = path.replace(/\/+$/, "").lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/** The last segment of `path`, without `ext` when it ends with it. */
export function basename(path: string, ext?: string): string {
  const b = path.replace(/\/+$/, "").split("/").pop() ?? "";
  return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b;
}

/** The extension of the last segment, with its dot (`""` when none). */
export function extname(path: string): string {
  const b = basename(path);
  const i = b.lastIndexOf(".");
  return i <= 0 ? "" : b.slice(i);
}

/** Always `/`. */
export const sep = "/";
