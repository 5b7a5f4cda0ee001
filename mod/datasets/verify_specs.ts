/**
 * What "canonical" means for each dataset, as data for `verify.ts`:
 *
 * - **GTZAN**: byte for byte the 1,000 WAV clips of mirdata's GTZAN-genre index 1.0 (MD5 per file,
 *   `data/gtzan_md5/`, BSD-3-Clause), which the Kaggle `genres_original/` copy ships. The original
 *   `.au` archive (and MP3 re-encodes) hold the same music in another container: not comparable
 *   byte for byte. Known defect: `jazz.00054`, unreadable in the common Kaggle copy.
 * - **FMA-small**: byte for byte the MP3s listed in the `checksums` file (SHA-1 per track) that
 *   the authors put in `fma_small.zip`. Known defects: three tracks with no audio.
 * - **Indian music genres**, **tabla taalas**: no per-file checksums are published; the copy's
 *   own index (path, size, SHA-256) is what two users compare.
 *
 * Also: the GTZAN fault-filtered split's exclusions with what is known about each
 * ({@linkcode faultFilteredExclusions}).
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { UserError } from "../cli.ts";
import { isDir, listClassFolders } from "./class_folders.ts";
import { listGtzan } from "./datasets.ts";
import { listIndian } from "./datasets_indian.ts";
import { loadFaultFilteredLists } from "./split.ts";
import type { HashAlgorithm } from "./hash_files.ts";
import type { KnownDefect, Reference, VerifySpec } from "./verify.ts";

/** Where the fault-filtered lists and their citation are (relative to the repository). */
export const FAULT_FILTERED_SOURCE =
  "Kereliuk, Sturm & Larsen 2015, fault-filtered GTZAN (coreyker/dnn-mgr bdad579); " +
  "mod/datasets/data/gtzan_fault_filtered/README.md";

const GTZAN_INDEX_SOURCE = "mirdata GTZAN-genre index 1.0 (MD5 of the 1,000 WAV clips; " +
  "BSD-3-Clause), mod/datasets/data/gtzan_md5/gtzan_md5.csv";

/** One row of the GTZAN index. */
export interface GtzanIndexRow {
  /** `blues.00000`. */
  trackId: string;
  genre: string;
  /** `blues/blues.00000.wav`. */
  path: string;
  md5: string;
}

/**
 * Parses the GTZAN index CSV (`track_id,genre,path,md5`); the error names the line.
 *
 * @example
 * ```ts
 * import { parseGtzanIndex } from "./verify_specs.ts";
 * const rows = parseGtzanIndex(
 *   "track_id,genre,path,md5\nblues.00000,blues,blues/blues.00000.wav,b462fa6a82a35d00940fe251f11447e5\n",
 * );
 * console.log(rows[0]!.path); // blues/blues.00000.wav
 * ```
 */
export function parseGtzanIndex(text: string, name = "gtzan_md5.csv"): GtzanIndexRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines[0]?.trim() !== "track_id,genre,path,md5") {
    throw new Error(`${name}: expected the header track_id,genre,path,md5`);
  }
  return lines.slice(1).map((line, i) => {
    const [trackId, genre, path, md5, ...rest] = line.trim().split(",");
    if (rest.length || !trackId || !genre || !path || !/^[0-9a-f]{32}$/i.test(md5 ?? "")) {
      throw new Error(`${name}: line ${i + 2} is not track_id,genre,path,<32 hex digits>`);
    }
    return { trackId, genre, path, md5: md5!.toLowerCase() };
  });
}

/**
 * The bundled GTZAN index (1,000 rows).
 *
 * @example
 * ```ts
 * import { loadGtzanIndex } from "./verify_specs.ts";
 * const rows = await loadGtzanIndex();
 * console.log(rows.length); // 1000
 * ```
 */
export async function loadGtzanIndex(): Promise<GtzanIndexRow[]> {
  const url = new URL("./data/gtzan_md5/gtzan_md5.csv", import.meta.url);
  return parseGtzanIndex(await Deno.readTextFile(url));
}

const ALGORITHMS: Record<number, HashAlgorithm> = { 32: "md5", 40: "sha1", 64: "sha256" };

/**
 * Parses a `md5sum`/`sha1sum`/`sha256sum` listing (`<hex>  <path>` or `<hex> *<path>`, the form
 * of FMA's `checksums` files); the algorithm follows from the digest length. The error names the
 * line.
 *
 * @example
 * ```ts
 * import { parseChecksums } from "./verify_specs.ts";
 * const r = parseChecksums("ffb6a8e4c7e2f3d1b2a39c4e5f60718293a4b5c6  000/000002.mp3\n", "checksums");
 * console.log(r.algorithm, [...r.entries.keys()]); // "sha1" ["000/000002.mp3"]
 * ```
 */
export function parseChecksums(text: string, source: string): Reference {
  const entries = new Map<string, string>();
  let algorithm: HashAlgorithm | null = null;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trimEnd();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([0-9a-fA-F]+) [ *](.+)$/.exec(line);
    const algo = m ? ALGORITHMS[m[1]!.length] : undefined;
    if (!m || !algo || (algorithm !== null && algo !== algorithm)) {
      throw new Error(`${source}: line ${i + 1} is not "<md5|sha1|sha256 hex>  <path>"`);
    }
    algorithm = algo;
    entries.set(m[2]!.replace(/^\.\//, ""), m[1]!.toLowerCase());
  }
  if (!algorithm) throw new Error(`${source}: no checksum lines`);
  return { kind: "published", source, algorithm, entries };
}

/**
 * Parses a copy's own index (`path,size,<md5|sha1|sha256>`, as `data:verify` writes it) into a
 * `peer` reference, so that one copy can be checked against another's index.
 *
 * @example
 * ```ts
 * import { parseIndexCsv } from "./verify_specs.ts";
 * const r = parseIndexCsv('path,size,sha256\n"a,1.wav",1,00ff\nb.wav,,\n', "theirs.csv");
 * console.log(r.kind, r.entries.get("a,1.wav"), r.entries.size); // "peer" "00ff" 2
 * ```
 */
export function parseIndexCsv(text: string, source: string): Reference {
  const lines = text.split(/\r?\n/).filter((l) => l !== "");
  const algo = /^path,size,(md5|sha1|sha256)$/.exec(lines[0] ?? "")?.[1] as HashAlgorithm;
  if (!algo) throw new Error(`${source}: expected the header path,size,<md5|sha1|sha256>`);
  const entries = new Map<string, string>();
  for (const [i, line] of lines.slice(1).entries()) {
    const m = /^(?:"((?:[^"]|"")*)"|([^",]*)),(\d*),([0-9a-f]*)$/.exec(line);
    if (!m) throw new Error(`${source}: line ${i + 2} is not path,size,digest`);
    entries.set(m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]!, m[4]!);
  }
  return { kind: "peer", source, algorithm: algo, entries };
}

/** GTZAN's known defects. */
export const GTZAN_DEFECTS: readonly KnownDefect[] = Object.freeze([{
  path: "jazz/jazz.00054.wav",
  reason: "unreadable in common copies (the Kaggle genres_original WAV does not decode); " +
    "MARBLE and JukeMIR drop it from the fault-filtered training list",
  source: "mod/datasets/data/gtzan_fault_filtered/README.md",
}]);

/**
 * The GTZAN genre folder under `dataDir`, as `gtzan:setup` finds it (its listing: any published
 * layout, up to three folders down, `.mp3` copies too).
 */
async function gtzanRoot(dataDir: string): Promise<string> {
  return (await listGtzan(dataDir)).dataDir;
}

/** GTZAN: the mirdata WAV list; `.au` and `.mp3` copies are recognised, not compared. */
export const GTZAN_VERIFY: VerifySpec = {
  dataset: "gtzan",
  title: "GTZAN",
  resolveRoot: gtzanRoot,
  audio: [".wav", ".au", ".mp3"],
  reference: async () => {
    const entries = new Map((await loadGtzanIndex()).map((r) => [r.path, r.md5]));
    return { kind: "published", source: GTZAN_INDEX_SOURCE, algorithm: "md5", entries };
  },
  counterpart: (path) => {
    const m = /^(.*)\.(au|mp3)$/i.exec(path);
    if (!m) return null;
    const what = m[2]!.toLowerCase() === "au" ? "original .au container" : "MP3 re-encode";
    return {
      key: `${m[1]}.wav`,
      reason: `${what}: not comparable byte for byte (the canonical list covers the WAV files)`,
    };
  },
  knownDefects: GTZAN_DEFECTS,
};

/** FMA-small's known defects (mdeff/fma issues #41, #44 and the FMA wiki). */
export const FMA_DEFECTS: readonly KnownDefect[] = Object.freeze(
  ["099/099134.mp3", "108/108925.mp3", "133/133297.mp3"].map((path) => ({
    path,
    reason: "no audio: the 30 s clip was cut beyond the end of the song (wrong duration in the " +
      "FMA metadata)",
    source: "mdeff/fma issues #41 and #44; the FMA wiki's known issues",
  })),
);

/** The `fma_small/` folder under `dataDir` (or `dataDir` itself). */
async function fmaRoot(dataDir: string): Promise<string> {
  const base = dataDir.replace(/[\\/]+$/, "") || dataDir;
  for (const dir of [join(base, "fma_small"), ...(basename(base) === "fma_small" ? [base] : [])]) {
    if (await isDir(dir)) return dir;
  }
  throw new UserError(
    `no FMA-small found in ${dataDir}: expected ${join(base, "fma_small")}/<000-155>/` +
      "<track_id>.mp3 (fma_small.zip; `deno task data:get fma` downloads it), or pass --data-dir",
  );
}

/** FMA-small: the `checksums` file of `fma_small.zip` (SHA-1), when the copy has it. */
export const FMA_VERIFY: VerifySpec = {
  dataset: "fma",
  title: "FMA-small",
  resolveRoot: fmaRoot,
  audio: [".mp3"],
  reference: async (root) => {
    const path = join(root, "checksums");
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch {
      return `no checksums file in ${root} (fma_small.zip carries one: extract it with the ` +
        "audio): nothing published to compare with";
    }
    const r = parseChecksums(text, path);
    r.source = `${path} (the per-track ${r.algorithm.toUpperCase()} list in fma_small.zip)`;
    return r;
  },
  knownDefects: FMA_DEFECTS,
};

/**
 * The Indian class folders' root: `<dataDir>/genrenew` (the published layout), else where
 * `indian:setup` finds them (its listing: an extra top folder, `dataDir` itself, …).
 */
async function indianRoot(dataDir: string): Promise<string> {
  const genrenew = join(dataDir, "genrenew");
  if (await listClassFolders(genrenew)) return genrenew;
  return (await listIndian(dataDir)).dataDir;
}

/** The Indian music genres: no published list; the copy's own index. */
export const INDIAN_VERIFY: VerifySpec = {
  dataset: "indian",
  title: "Indian music genres",
  resolveRoot: indianRoot,
  audio: [".mp3", ".wav"],
  reference: () =>
    Promise.resolve(
      "no per-file checksums are published for the Indian music genre dataset " +
        "(Kaggle winchester19/indian-music-genre-dataset): no canonical list exists",
    ),
  knownDefects: [],
};

/** The tabla root: `dataDir` or the parent of `…/wavfiles`. */
async function tablaRoot(dataDir: string): Promise<string> {
  const base = dataDir.replace(/[\\/]+$/, "") || dataDir;
  for (const root of [base, ...(basename(base) === "wavfiles" ? [dirname(base)] : [])]) {
    if (await isDir(join(root, "wavfiles"))) return root;
  }
  throw new UserError(
    `no tabla audio found in ${dataDir}: expected wavfiles/*.wav and file_name.csv, or pass ` +
      "--data-dir",
  );
}

/** The tabla taalas: `wavfiles/` and `file_name.csv` (the labels); no published list. */
export const TABLA_VERIFY: VerifySpec = {
  dataset: "tabla",
  title: "Tabla taalas",
  resolveRoot: tablaRoot,
  audio: [".wav"],
  scope: (path) => path.startsWith("wavfiles/") || path === "file_name.csv",
  alsoIndexed: ["file_name.csv"],
  reference: () =>
    Promise.resolve(
      "no per-file checksums are published for the tabla taala dataset " +
        "(Kaggle pranav6670/tabla-taala-dataset): no canonical list exists",
    ),
  knownDefects: [],
};

/** The verifiable datasets by name (the setup's `config.name`). */
export const VERIFY_SPECS: Readonly<Record<string, VerifySpec>> = Object.freeze({
  gtzan: GTZAN_VERIFY,
  fma: FMA_VERIFY,
  indian: INDIAN_VERIFY,
  tabla: TABLA_VERIFY,
});

/** A clip the fault-filtered split leaves out, with what is known about why. */
export interface FaultExclusion {
  /** `classical.00042`. */
  track: string;
  reason: string;
}

/**
 * The 70 GTZAN clips that the fault-filtered lists leave out (the 1,000 of the index minus the
 * 930 listed), by track id. The published lists give no per-file reason; where the index shows
 * that a clip is a byte-identical replica of another, that is said, else the paper's categories
 * (replica, mislabelling, distortion). Cite {@linkcode FAULT_FILTERED_SOURCE}.
 *
 * @example
 * ```ts
 * import { faultFilteredExclusions } from "./verify_specs.ts";
 * const ex = await faultFilteredExclusions();
 * console.log(ex.length, ex.find((e) => e.track === "metal.00040")?.reason);
 * // 70 "exact replica of metal.00061 (same MD5 in the index)"
 * ```
 */
export async function faultFilteredExclusions(): Promise<FaultExclusion[]> {
  const index = await loadGtzanIndex();
  const lists = await loadFaultFilteredLists();
  const kept = new Set([...lists.train, ...lists.val, ...lists.test]);
  const byMd5 = new Map<string, string[]>();
  for (const r of index) byMd5.set(r.md5, [...(byMd5.get(r.md5) ?? []), r.trackId]);
  return index.filter((r) => !kept.has(r.trackId)).map((r) => {
    const twins = byMd5.get(r.md5)!.filter((t) => t !== r.trackId);
    return {
      track: r.trackId,
      reason: twins.length
        ? `exact replica of ${twins.join(", ")} (same MD5 in the index)`
        : "replica, mislabelling or distortion (the lists give no per-file reason)",
    };
  });
}
