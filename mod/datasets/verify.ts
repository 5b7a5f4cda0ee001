/**
 * Is this the canonical dataset? A local copy is hashed file by file ({@linkcode hashFiles}: both
 * cores, streamed) and compared with the dataset's published per-file list: each listed file
 * matches, differs or is missing; a file the list does not name is extra, or, when it stands for a
 * listed file in another container (GTZAN's original `.au` for the listed `.wav`), not comparable
 * byte for byte. Files that cannot be read, or whose first bytes do not fit their format, are
 * named with the reason, and so are the dataset's known-defective files.
 *
 * Where no per-file list is published (the Indian genres, the tabla taalas, or an FMA copy without
 * its `checksums` file) the copy's own index (path, size, SHA-256) is the result: two users compare
 * its digest, or one checks a copy against the other's index (`reference` of kind `peer`).
 *
 * The datasets' lists and layouts are data in `verify_specs.ts`; this module is the mechanism,
 * the one-line summary (`data: canonical GTZAN (1000/1000 match)`) and the record that every
 * setup writes into its `manifest.json` under `verification`.
 *
 * @module
 */
import { join } from "node:path";
import { compareCodePoints, sha256Hex } from "../fs.ts";
import { type HashAlgorithm, type HashedFile, hashFiles } from "./hash_files.ts";

/** A per-file list to compare a copy with. */
export interface Reference {
  /** `published`: the dataset's own list; `peer`: another copy's index (`--against`). */
  kind: "published" | "peer";
  /** Where the list comes from (a citation, or the index file's path). */
  source: string;
  /** The digest the list gives. */
  algorithm: HashAlgorithm;
  /** Path relative to the copy's root (`/`-separated) → lower-case hex digest. */
  entries: ReadonlyMap<string, string>;
}

/** A file the dataset is known to ship broken, with the reason and where that is documented. */
export interface KnownDefect {
  /** Path as the list names it (relative to the root). */
  path: string;
  reason: string;
  source: string;
}

/** How one dataset's copy is found, what is hashed and what it is compared with (data). */
export interface VerifySpec {
  /** The dataset's name on the command line (`gtzan`). */
  dataset: string;
  /** As printed (`GTZAN`). */
  title: string;
  /** The folder that is hashed, found from the folder the user gives (throws a UserError). */
  resolveRoot: (dataDir: string) => Promise<string>;
  /** Extensions of the audio files, lower case with the dot. */
  audio: readonly string[];
  /** Only paths for which this holds belong to the copy (default: all); others are ignored. */
  scope?: (path: string) => boolean;
  /** Non-audio files that belong to the copy (labels), indexed and compared too. */
  alsoIndexed?: readonly string[];
  /** The published list for the copy at `root`, or why there is none (one sentence). */
  reference: (root: string) => Promise<Reference | string>;
  /**
   * For a file the list does not name: the listed path it stands for in another container and
   * why it cannot be compared (GTZAN: `x.au` → `x.wav`), or null.
   */
  counterpart?: (path: string) => { key: string; reason: string } | null;
  /** Files known to be defective in common copies. */
  knownDefects: readonly KnownDefect[];
}

/** What happened to one file. `indexed`: hashed, and there is no list to compare with. */
export type FileStatus =
  | "match"
  | "differ"
  | "missing"
  | "extra"
  | "not_comparable"
  | "unreadable"
  | "indexed";

/** One file of the copy (or of the list, when missing). */
export interface FileCheck {
  path: string;
  status: FileStatus;
  /** Bytes (absent when missing or unreadable). */
  size?: number;
  /** The copy's digest. */
  hash?: string;
  /** The list's digest (match, differ, missing). */
  expected?: string;
  /** Why (unreadable, not comparable: which listed file it stands for). */
  reason?: string;
  /** Why the first bytes do not fit the file's format: no decoder will open it. */
  problem?: string;
}

/** Counts over a copy. */
export interface VerifyCounts {
  /** Entries of the list (0 without one). */
  listed: number;
  /** Files of the copy hashed (audio and `alsoIndexed`). */
  files: number;
  /** Bytes hashed. */
  bytes: number;
  match: number;
  differ: number;
  missing: number;
  extra: number;
  not_comparable: number;
  unreadable: number;
  /** Files read whose first bytes do not fit their format (any status). */
  undecodable: number;
  /** Files under the root that are not part of the copy (hidden files, non-audio). */
  ignored: number;
}

/** The verdict. */
export type VerifyStatus =
  | "canonical"
  | "not canonical"
  | "not comparable"
  | "no canonical list"
  | "same as peer"
  | "differs from peer";

/** A known defect and what this copy holds for it. */
export interface DefectCheck extends KnownDefect {
  /** The listed file's status in this copy (`missing` when absent). */
  state: FileStatus;
  /** The first-bytes problem found here, if any. */
  problem?: string;
}

/** Everything {@linkcode verifyCopy} found. */
export interface VerifyResult {
  dataset: string;
  title: string;
  /** The folder hashed. */
  root: string;
  status: VerifyStatus;
  /** Exit 0: canonical, same as the peer index, or no list and every file readable. */
  ok: boolean;
  algorithm: HashAlgorithm;
  /** The list compared with, or null (then `noList` says why). */
  reference: { kind: Reference["kind"]; source: string; entries: number } | null;
  noList?: string;
  counts: VerifyCounts;
  /** Every file (the copy's, then the missing ones), by path. */
  files: FileCheck[];
  /** Files under the root that are not part of the copy. */
  ignored: string[];
  defects: DefectCheck[];
  /** The copy's own index: its CSV columns, file count and SHA-256 of its text. */
  index: { columns: string; files: number; sha256: string };
  /** Hashing wall time, seconds, and throughput, MB/s (10^6 bytes). */
  seconds: number;
  mbPerSecond: number;
}

/** Options of {@linkcode verifyCopy}. */
export interface VerifyOptions {
  /** Hashing workers (default: every core; 0 = this thread). */
  workers?: number;
  /** Compare with this list instead of the spec's (tests, `--against`). */
  reference?: Reference;
  /** Called once per file hashed (progress). */
  onFile?: (file: HashedFile, total: number) => void;
  /** Called once the files to hash are known. */
  onStart?: (files: number) => void;
}

/** Walks `root`: the copy's files (hidden files skipped, links followed) and ignored ones. */
async function walk(
  spec: VerifySpec,
  root: string,
): Promise<{ files: string[]; ignored: string[] }> {
  const files: string[] = [];
  const ignored: string[] = [];
  const also = new Set(spec.alsoIndexed ?? []);
  const visit = async (rel: string, depth: number): Promise<void> => {
    for await (const e of Deno.readDir(rel ? join(root, rel) : root)) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.name.startsWith(".")) {
        ignored.push(p);
        continue;
      }
      let isDir = e.isDirectory;
      if (e.isSymlink) {
        isDir = await Deno.stat(join(root, p)).then((s) => s.isDirectory, () => false);
      }
      if (isDir) {
        if (depth < 16) await visit(p, depth + 1);
        continue;
      }
      const ext = p.slice(p.lastIndexOf(".")).toLowerCase();
      const inScope = spec.scope?.(p) ?? true;
      if (inScope && (also.has(p) || (spec.audio.includes(ext) && p.includes(".")))) files.push(p);
      else ignored.push(p);
    }
  };
  await visit("", 0);
  return { files: files.sort(compareCodePoints), ignored: ignored.sort(compareCodePoints) };
}

/**
 * A copy's own index: `path,size,<algorithm>` and one line per file, by path (code points), paths
 * quoted when needed, size and digest empty for an unreadable file; files `missing` from the copy
 * are left out. Its SHA-256 is the copy's digest: two copies with the same digest are identical.
 *
 * @example
 * ```ts
 * import { indexCsv } from "./verify.ts";
 * indexCsv([{ path: "b.wav", size: 2, hash: "ff" }, { path: "a,1.wav", size: 1, hash: "00" }], "sha256");
 * // 'path,size,sha256\n"a,1.wav",1,00\nb.wav,2,ff\n'
 * ```
 */
export function indexCsv(
  files: readonly { path: string; size?: number; hash?: string | null; status?: FileStatus }[],
  algorithm: HashAlgorithm,
): string {
  const q = (s: string): string => /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  const rows = files.filter((f) => f.status !== "missing")
    .sort((a, b) => compareCodePoints(a.path, b.path))
    .map((f) => f.hash ? `${q(f.path)},${f.size},${f.hash}` : `${q(f.path)},,`);
  return [`path,size,${algorithm}`, ...rows].join("\n") + "\n";
}

/**
 * Compares hashed files with a list (or indexes them when `reference` is a reason string):
 * the per-file statuses, counts, known defects and verdict of a {@linkcode VerifyResult} (its
 * `root`, `index`, `seconds` and `mbPerSecond` are left for {@linkcode verifyCopy}).
 *
 * @example
 * ```ts
 * import { compareCopy } from "./verify.ts";
 * const spec = { dataset: "x", title: "X", audio: [".wav"], knownDefects: [] };
 * const reference = {
 *   kind: "published" as const, source: "test", algorithm: "md5" as const,
 *   entries: new Map([["a.wav", "aa"], ["b.wav", "bb"]]),
 * };
 * const r = compareCopy(spec, [{ path: "a.wav", size: 3, hash: "aa" }], reference);
 * console.log(r.status, r.counts.match, r.counts.missing); // "not canonical" 1 1
 * ```
 */
export function compareCopy(
  spec: Pick<VerifySpec, "dataset" | "title" | "counterpart" | "knownDefects">,
  hashed: readonly HashedFile[],
  reference: Reference | string,
): Omit<VerifyResult, "root" | "index" | "seconds" | "mbPerSecond" | "ignored"> {
  const ref = typeof reference === "string" ? null : reference;
  const files: FileCheck[] = [];
  const covered = new Set<string>();
  const byKey = new Map<string, FileCheck>();
  for (const f of hashed) {
    const c: FileCheck = { path: f.path, status: "indexed" };
    if (f.hash !== null) Object.assign(c, { size: f.size, hash: f.hash });
    if (f.problem) c.problem = f.problem;
    const expected = ref?.entries.get(f.path);
    const other = ref && expected === undefined ? spec.counterpart?.(f.path) : null;
    if (ref && expected !== undefined) {
      covered.add(f.path);
      c.expected = expected;
      c.status = f.hash === null ? "unreadable" : f.hash === expected ? "match" : "differ";
      byKey.set(f.path, c);
    } else if (other && ref!.entries.has(other.key)) {
      covered.add(other.key);
      c.status = f.hash === null ? "unreadable" : "not_comparable";
      c.reason = `${other.reason} (stands for ${other.key})`;
      if (!byKey.has(other.key)) byKey.set(other.key, c);
    } else if (ref) c.status = f.hash === null ? "unreadable" : "extra";
    else if (f.hash === null) c.status = "unreadable";
    if (f.error) c.reason = f.error;
    files.push(c);
  }
  for (const [path, expected] of ref?.entries ?? []) {
    if (!covered.has(path)) files.push({ path, status: "missing", expected });
  }
  files.sort((a, b) => compareCodePoints(a.path, b.path));
  const n = (s: FileStatus): number => files.filter((f) => f.status === s).length;
  const counts: VerifyCounts = {
    listed: ref?.entries.size ?? 0,
    files: hashed.length,
    bytes: hashed.reduce((s, f) => s + f.size, 0),
    match: n("match"),
    differ: n("differ"),
    missing: n("missing"),
    extra: n("extra"),
    not_comparable: n("not_comparable"),
    unreadable: n("unreadable"),
    undecodable: files.filter((f) => f.problem).length,
    ignored: 0,
  };
  const all = ref !== null && counts.match === counts.listed && counts.match === hashed.length;
  const status: VerifyStatus = ref === null
    ? "no canonical list"
    : ref.kind === "peer"
    ? all ? "same as peer" : "differs from peer"
    : all
    ? "canonical"
    : counts.not_comparable > 0 && counts.match + counts.differ === 0
    ? "not comparable"
    : "not canonical";
  const defects = spec.knownDefects.map((d): DefectCheck => {
    const c = byKey.get(d.path);
    return { ...d, state: c?.status ?? "missing", ...(c?.problem ? { problem: c.problem } : {}) };
  });
  return {
    dataset: spec.dataset,
    title: spec.title,
    status,
    ok: status === "canonical" || status === "same as peer" ||
      (status === "no canonical list" && counts.unreadable === 0),
    algorithm: ref?.algorithm ?? "sha256",
    reference: ref ? { kind: ref.kind, source: ref.source, entries: ref.entries.size } : null,
    ...(typeof reference === "string" ? { noList: reference } : {}),
    counts,
    files,
    defects,
  };
}

/**
 * Verifies the copy of `spec`'s dataset in `dataDir`: finds its root, hashes every file of the
 * copy on `options.workers` workers, and compares with the published list (or indexes the copy
 * when there is none). Throws a UserError when the data folder holds no copy.
 *
 * Not run by `deno test --doc`: it needs a copy of GTZAN in `data/gtzan/genres_original`.
 *
 * @example
 * ```ts ignore
 * import { verifyCopy } from "./verify.ts";
 * import { GTZAN_VERIFY } from "./verify_specs.ts";
 * import { verificationLine } from "./verification.ts";
 * const r = await verifyCopy(GTZAN_VERIFY, "data/gtzan/genres_original");
 * console.log(verificationLine(r)); // data: canonical GTZAN (1000/1000 match)
 * ```
 */
export async function verifyCopy(
  spec: VerifySpec,
  dataDir: string,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const root = await spec.resolveRoot(dataDir);
  const reference = options.reference ?? await spec.reference(root);
  const { files, ignored } = await walk(spec, root);
  options.onStart?.(files.length);
  const algorithm = typeof reference === "string" ? "sha256" : reference.algorithm;
  const t0 = performance.now();
  const hashed = await hashFiles(root, files, {
    algorithm,
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.onFile ? { onFile: (f: HashedFile) => options.onFile!(f, files.length) } : {}),
  });
  const seconds = (performance.now() - t0) / 1000;
  const r = compareCopy(spec, hashed, reference);
  r.counts.ignored = ignored.length;
  const csv = indexCsv(hashed, algorithm);
  return {
    ...r,
    root,
    ignored,
    index: {
      columns: `path,size,${algorithm}`,
      files: hashed.length,
      sha256: await sha256Hex(new TextEncoder().encode(csv)),
    },
    seconds,
    mbPerSecond: r.counts.bytes / 1e6 / Math.max(seconds, 1e-9),
  };
}
