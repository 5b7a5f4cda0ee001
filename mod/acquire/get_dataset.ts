/**
 * `getDataset`: fetch one dataset into `data/<dataset>/` in the layout its setup task reads —
 * download (resumable, verified) each archive of the chosen source, extract it safely into a
 * staging folder, move the mapped folders into place, and record `SOURCE.json`. Idempotent: a
 * dataset whose `SOURCE.json` matches the source and whose layout exists is not fetched again.
 *
 * @module
 */
import { join } from "node:path";
import { exists, readJson, writeJsonAtomic } from "../fs.ts";
import { whileSaving } from "../interrupt.ts";
import { downloadFile, formatBytes, hashFileHex } from "./download.ts";
import { extractArchive } from "./extract.ts";
import {
  kaggleAuthHint,
  type KaggleCredentials,
  kaggleDownloadUrl,
  loadKaggleCredentials,
} from "./kaggle.ts";
import {
  type ArchiveSpec,
  type DatasetName,
  type DatasetSource,
  resolveSource,
  SOURCES,
} from "./sources.ts";

/** One archive as recorded in `SOURCE.json`. */
export interface ArchiveRecord {
  /** Archive file name. */
  name: string;
  /** Where it was downloaded from (never a signed redirect URL, never credentials). */
  url: string;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 computed here. */
  sha256: string;
  /** SHA-1 computed here. */
  sha1: string;
  /** Which published checksum was verified (`"none"` when the publisher gives none). */
  verified: "sha1" | "sha256" | "none";
  /** Files extracted from it. */
  files: number;
}

/** The content of `data/<dataset>/SOURCE.json`. */
export interface SourceRecord {
  /** Dataset name. */
  dataset: DatasetName;
  /** Source id. */
  source: string;
  /** Home page. */
  homepage: string;
  /** Licence / terms. */
  licence: string;
  /** ISO date-time of retrieval. */
  retrieved: string;
  /** Archives, in order. */
  archives: ArchiveRecord[];
  /** Paths (under the dataset folder) that make up the layout. */
  layout: string[];
}

/** Options for {@linkcode getDataset}. */
export interface GetDatasetOptions {
  /** Data root (the project's `data/`). */
  dataRoot: string;
  /** Download and extract again even when present. */
  force?: boolean;
  /** Source id (default: the dataset's first source). */
  source?: string;
  /** Replace the folder of public URLs (tests: `http://127.0.0.1:PORT`); archive names kept. */
  baseUrlOverride?: string;
  /** Kaggle API base (default `https://www.kaggle.com/api/v1`). */
  kaggleBaseUrl?: string;
  /** `fetch` to use (tests). */
  fetchImpl?: typeof fetch;
  /** Kaggle credentials (default: {@linkcode loadKaggleCredentials}). */
  kaggleCredentials?: KaggleCredentials;
  /** Keep the downloaded archives after extraction (default: deleted once extracted). */
  keepArchives?: boolean;
  /** Progress and notices (default: stderr); `null` for silence. */
  log?: ((line: string) => void) | null;
  /** Use this source description instead of the table's (tests with generated checksums). */
  sourceSpec?: DatasetSource;
}

/** What {@linkcode getDataset} returns. */
export interface GetDatasetResult {
  /** False when the dataset was already present and verified. */
  downloaded: boolean;
  /** The dataset folder (`<dataRoot>/<dataset>`). */
  path: string;
  /** SHA-256 of the last archive (for FMA: `fma_small.zip`). */
  sha256: string;
  /** All archives. */
  archives: ArchiveRecord[];
}

/**
 * Fetches `name` into `<dataRoot>/<dataset>/`.
 *
 * @example
 * ```ts ignore
 * import { getDataset } from "./get_dataset.ts";
 * const r = await getDataset("fma", { dataRoot: "data" });
 * console.log(r.downloaded, r.path);
 * ```
 */
export async function getDataset(
  name: DatasetName,
  options: GetDatasetOptions,
): Promise<GetDatasetResult> {
  const log = options.log === undefined ? stderrLine : options.log;
  const source = options.sourceSpec ?? resolveSource(name, options.source);
  const dir = join(options.dataRoot, SOURCES[name].dir);
  const recordPath = join(dir, "SOURCE.json");

  if (!options.force) {
    const present = await presentRecord(dir, name, source);
    if (present) {
      log?.(
        `${name}: already present in ${dir} (SOURCE.json, ${present.retrieved}); --force to redo`,
      );
      return {
        downloaded: false,
        path: dir,
        sha256: present.archives.at(-1)!.sha256,
        archives: present.archives,
      };
    }
  }

  await Deno.mkdir(dir, { recursive: true });
  let creds = options.kaggleCredentials;
  const records: ArchiveRecord[] = [];
  for (const spec of source.archives) {
    let headers: Record<string, string> = {};
    let authHint: string | undefined;
    if (spec.kaggle) {
      creds ??= await loadKaggleCredentials();
      headers = { authorization: creds.authorization() };
      authHint = kaggleAuthHint(spec.kaggle);
    }
    const url = archiveUrl(spec, options);
    const archivePath = join(dir, spec.name);
    let got: { bytes: number; sha256: string; sha1: string };
    if (!options.force && await reusable(archivePath, spec)) {
      log?.(`${spec.name}: using the archive already downloaded in ${dir}`);
      const h = await hashFileHex(archivePath);
      got = { ...h, bytes: (await Deno.stat(archivePath)).size };
    } else {
      if (options.force) await Deno.remove(`${archivePath}.part`).catch(() => {});
      log?.(`${spec.name}: downloading ${url}${spec.approxSize ? ` (${spec.approxSize})` : ""}`);
      got = await downloadFile(url, archivePath, {
        sha1: spec.sha1,
        sha256: spec.sha256,
        headers,
        authHint,
        fetchImpl: options.fetchImpl,
        log,
      });
    }
    log?.(`${spec.name}: extracting into ${dir}`);
    const files = await extractInPlace(archivePath, dir, spec, log);
    records.push({
      name: spec.name,
      url,
      bytes: got.bytes,
      sha256: got.sha256,
      sha1: got.sha1,
      verified: spec.sha1 ? "sha1" : spec.sha256 ? "sha256" : "none",
      files,
    });
    log?.(`${spec.name}: ${files} files, ${formatBytes(got.bytes)}, sha256 ${got.sha256}`);
  }

  const missing = await missingLayout(dir, source);
  if (missing.length > 0) {
    throw new Error(
      `${name}: the archive did not contain the expected layout (missing ${missing.join(", ")} ` +
        `in ${dir}); the published archive may have changed: please report it`,
    );
  }
  const record: SourceRecord = {
    dataset: name,
    source: source.id,
    homepage: source.homepage,
    licence: source.licence,
    retrieved: new Date().toISOString(),
    archives: records,
    layout: source.expect,
  };
  await writeJsonAtomic(recordPath, record);
  if (!options.keepArchives) {
    for (const spec of source.archives) await Deno.remove(join(dir, spec.name)).catch(() => {});
  }
  return { downloaded: true, path: dir, sha256: records.at(-1)!.sha256, archives: records };
}

/** The URL an archive is fetched from, with the test overrides applied. */
export function archiveUrl(
  spec: ArchiveSpec,
  options: Pick<GetDatasetOptions, "baseUrlOverride" | "kaggleBaseUrl">,
): string {
  if (spec.kaggle) return kaggleDownloadUrl(spec.kaggle, options.kaggleBaseUrl);
  if (options.baseUrlOverride) return `${options.baseUrlOverride.replace(/\/+$/, "")}/${spec.name}`;
  return spec.url!;
}

/** The SOURCE.json of a dataset that is present and complete for `source`, else null. */
async function presentRecord(
  dir: string,
  name: DatasetName,
  source: DatasetSource,
): Promise<SourceRecord | null> {
  const path = join(dir, "SOURCE.json");
  if (!await exists(path)) return null;
  const rec = await readJson<SourceRecord>(path).catch(() => null);
  if (
    !rec || rec.dataset !== name || rec.source !== source.id ||
    rec.archives?.length !== source.archives.length
  ) return null;
  return (await missingLayout(dir, source)).length === 0 ? rec : null;
}

async function missingLayout(dir: string, source: DatasetSource): Promise<string[]> {
  const missing: string[] = [];
  for (const p of source.expect) {
    const full = join(dir, p);
    try {
      const st = await Deno.stat(full);
      if (p.endsWith("/")) {
        let any = false;
        for await (const _ of Deno.readDir(full)) {
          any = true;
          break;
        }
        if (!st.isDirectory || !any) missing.push(p);
      } else if (!st.isFile) missing.push(p);
    } catch {
      missing.push(p);
    }
  }
  return missing;
}

/** A complete archive already on disk is reused when its published checksum (if any) matches. */
async function reusable(path: string, spec: ArchiveSpec): Promise<boolean> {
  if (!await exists(path)) return false;
  if (!spec.sha1 && !spec.sha256) return true;
  const h = await hashFileHex(path);
  return (!spec.sha1 || h.sha1 === spec.sha1) && (!spec.sha256 || h.sha256 === spec.sha256);
}

/**
 * Extracts into `<dir>/.staging-<archive>/`, then moves each mapped top-level path into `dir`
 * (replacing an older copy), so a failed extraction never leaves a half layout in place.
 */
async function extractInPlace(
  archivePath: string,
  dir: string,
  spec: ArchiveSpec,
  log: ((line: string) => void) | null,
): Promise<number> {
  const staging = join(dir, `.staging-${spec.name}`);
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  try {
    const res = await extractArchive(archivePath, staging, spec.kind, {
      layout: spec.layout,
      log,
    });
    if (res.links.length > 0) {
      log?.(`${spec.name}: ${res.links.length} links inside the archive were not created`);
    }
    const tops = new Set(spec.layout.map((m) => m.to.split("/")[0]!));
    // Ctrl-C waits for the moves: never an old folder removed and the new one not in place.
    await whileSaving(dir, async () => {
      for (const top of tops) {
        const from = join(staging, top);
        if (!await exists(from)) continue;
        const to = join(dir, top);
        await Deno.remove(to, { recursive: true }).catch(() => {});
        await Deno.rename(from, to);
      }
    });
    return res.files;
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

function stderrLine(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
}
