/**
 * How a verification is told: the one line every setup, training summary and report carries
 * (`data: canonical GTZAN (1000/1000 match)`, `data: GTZAN 993 of 1000 canonical, 7 differ (list
 * in manifest)`), the record a setup writes into `manifest.json` under `verification` (or "not
 * verified" with the command that does it), and the text `deno task data:verify` prints.
 *
 * @module
 */
import { type FileCheck, verifyCopy, type VerifyResult } from "./verify.ts";
import { VERIFY_SPECS } from "./verify_specs.ts";

/** `manifest.json`'s `verification`: a {@linkcode VerifyResult} without timings or matches. */
export interface VerificationRecord {
  /** A {@linkcode VerifyResult}'s status, or "not verified". */
  status: VerifyResult["status"] | "not verified";
  /** The one-line summary. */
  line: string;
  dataset: string;
  /** The command that verifies the copy (null when there is none, e.g. the demo data). */
  how: string | null;
  /** Why it was not verified. */
  reason?: string;
  title?: string;
  root?: string;
  reference?: VerifyResult["reference"];
  no_list?: string;
  counts?: VerifyResult["counts"];
  /** Every file that is not a match (all of them when there is no list: none). */
  not_matching?: FileCheck[];
  known_defects?: VerifyResult["defects"];
  /** The copy's own index digest: the same for two identical copies. */
  index?: VerifyResult["index"];
}

/** The command that verifies `dataset` in `dataDir`. */
export function verifyCommand(dataset: string, dataDir: string): string {
  const q = /^[\w./-]+$/.test(dataDir) ? dataDir : `'${dataDir.replaceAll("'", "'\\''")}'`;
  return `deno task data:verify ${dataset} --data-dir ${q}`;
}

/**
 * The one-line summary of a verification (a result or a manifest record); `where` says where the
 * list of non-matching files is (`list in manifest`, `list below`).
 *
 * @example
 * ```ts
 * import { verificationLine } from "./verification.ts";
 * const counts = { listed: 1000, match: 993, differ: 7, missing: 0, extra: 0, not_comparable: 0, unreadable: 0 };
 * verificationLine({ status: "not canonical", title: "GTZAN", counts });
 * // "data: GTZAN 993 of 1000 canonical, 7 differ (list in manifest)"
 * ```
 */
export function verificationLine(
  v: {
    status: VerificationRecord["status"];
    title?: string;
    counts?: Partial<VerifyResult["counts"]>;
    reference?: VerifyResult["reference"];
    index?: VerifyResult["index"];
    files?: FileCheck[];
    not_matching?: FileCheck[];
    how?: string | null;
    reason?: string;
  },
  where = "list in manifest",
): string {
  const c = v.counts ?? {};
  const title = v.title ?? "the data";
  const kinds = ["differ", "missing", "extra", "unreadable", "not_comparable"] as const;
  const list = (skip?: string): string =>
    kinds.filter((k) => k !== skip && (c[k] ?? 0) > 0)
      .map((k) => `${c[k]} ${k === "not_comparable" ? "not comparable" : k}`).join(", ");
  const problems = list();
  switch (v.status) {
    case "canonical":
      return `data: canonical ${title} (${c.match}/${c.listed} match)`;
    case "not canonical":
      return `data: ${title} ${c.match} of ${c.listed} canonical, ${problems} (${where})`;
    case "not comparable": {
      const why = [...(v.not_matching ?? v.files ?? [])]
        .find((f) => f.status === "not_comparable")?.reason?.replace(/ \(stands for .*$/, "");
      const rest = list("not_comparable");
      return `data: ${title}: ${c.not_comparable} of ${c.listed} files not comparable byte for ` +
        `byte with the canonical list${why ? ` (${why.replace(/:.*$/, "")})` : ""}` +
        (rest ? `; ${rest}` : "");
    }
    case "no canonical list":
      return `data: ${title}: no canonical list exists; copy index sha256 ` +
        `${v.index?.sha256.slice(0, 16) ?? "?"}… (${v.index?.files ?? c.files} files)` +
        (c.unreadable ? `, ${c.unreadable} unreadable (${where})` : "");
    case "same as peer":
      return `data: ${title} same as ${v.reference?.source} (${c.match}/${c.listed} match)`;
    case "differs from peer":
      return `data: ${title} ${c.match} of ${c.listed} as in ${v.reference?.source}, ` +
        `${problems} (${where})`;
    case "not verified":
      return `data: not verified` + (v.reason ? ` (${v.reason})` : "") +
        (v.how ? `; run \`${v.how}\`` : "");
  }
}

/**
 * The manifest record of a verification: everything but timings and the list of matches.
 *
 * Not run by `deno test --doc`: it needs a copy of GTZAN in `data/gtzan/genres_original`.
 *
 * @example
 * ```ts ignore
 * import { verificationRecord } from "./verification.ts";
 * import { verifyCopy } from "./verify.ts";
 * import { GTZAN_VERIFY } from "./verify_specs.ts";
 * const rec = verificationRecord(await verifyCopy(GTZAN_VERIFY, "data/gtzan/genres_original"));
 * ```
 */
export function verificationRecord(r: VerifyResult, dataDir = r.root): VerificationRecord {
  return {
    status: r.status,
    line: verificationLine(r),
    dataset: r.dataset,
    how: verifyCommand(r.dataset, dataDir),
    title: r.title,
    root: r.root,
    reference: r.reference,
    ...(r.noList ? { no_list: r.noList } : {}),
    counts: r.counts,
    not_matching: r.files.filter((f) => f.status !== "match" && f.status !== "indexed"),
    known_defects: r.defects,
    index: r.index,
  };
}

/**
 * A "not verified" record: why, and the command that verifies (null when there is none).
 *
 * @example
 * ```ts
 * import { notVerified } from "./verification.ts";
 * notVerified("gtzan", "verification was not run", "deno task data:verify gtzan").line;
 * // "data: not verified (verification was not run); run `deno task data:verify gtzan`"
 * ```
 */
export function notVerified(
  dataset: string,
  reason: string,
  how: string | null,
): VerificationRecord {
  const rec = { status: "not verified" as const, dataset, how, reason };
  return { ...rec, line: verificationLine(rec) };
}

/**
 * What a setup records for its input: the verification of `dataDir` when `dataset` has a spec
 * (`gtzan`, `fma`, `indian`, `tabla`), else "not verified". Never throws: a failure becomes "not
 * verified" with the reason. `warn` hears the line when the copy is not canonical.
 *
 * @example
 * ```ts
 * import { verifyForSetup } from "./verification.ts";
 * const rec = await verifyForSetup("demo", "data/demo/genres");
 * console.log(rec.status); // "not verified"
 * ```
 */
export async function verifyForSetup(
  dataset: string,
  dataDir: string,
  options: { workers?: number; warn?: (message: string) => void } = {},
): Promise<VerificationRecord> {
  const spec = VERIFY_SPECS[dataset];
  if (!spec) {
    return notVerified(dataset, `no published list or verifier for the ${dataset} data`, null);
  }
  try {
    const r = await verifyCopy(spec, dataDir, { workers: options.workers ?? 1 });
    const rec = verificationRecord(r, dataDir);
    if (!r.ok || r.status === "not comparable") {
      options.warn?.(`${rec.line}; the setup goes on with this copy`);
    }
    return rec;
  } catch (e) {
    return notVerified(dataset, (e as Error).message, verifyCommand(dataset, dataDir));
  }
}

/**
 * The verification a processed folder's manifest records, as its one line and status (an
 * older manifest without one: "not verified"): for training summaries and reports.
 *
 * @example
 * ```ts
 * import { manifestVerification } from "./verification.ts";
 * manifestVerification({ dataset: { name: "tabla", data_dir: "data/tabla" } }).status; // "not verified"
 * ```
 */
export function manifestVerification(
  manifest: { verification?: VerificationRecord; dataset: { name: string; data_dir: string } },
): Pick<VerificationRecord, "status" | "line" | "counts"> {
  const v = manifest.verification ??
    notVerified(
      manifest.dataset.name,
      "the setup that wrote this folder did not record one",
      VERIFY_SPECS[manifest.dataset.name]
        ? verifyCommand(manifest.dataset.name, manifest.dataset.data_dir)
        : null,
    );
  return { status: v.status, line: v.line, ...(v.counts ? { counts: v.counts } : {}) };
}

/**
 * The text `data:verify` prints: the verdict line, the list used, counts and throughput, then
 * every file that is not a match (at most `max` per kind, the rest counted), the known defects
 * and what was ignored.
 *
 * Not run by `deno test --doc`: it needs a copy of the Indian dataset in `data/indian`.
 *
 * @example
 * ```ts ignore
 * import { verificationReport } from "./verification.ts";
 * import { verifyCopy } from "./verify.ts";
 * import { INDIAN_VERIFY } from "./verify_specs.ts";
 * console.log(verificationReport(await verifyCopy(INDIAN_VERIFY, "data/indian")).join("\n"));
 * ```
 */
export function verificationReport(r: VerifyResult, max = 20): string[] {
  const c = r.counts;
  const lines = [verificationLine(r, "list below")];
  lines.push(`  copy: ${r.root} (${c.files} files, ${(c.bytes / 1e6).toFixed(1)} MB)`);
  lines.push(
    r.reference
      ? `  list: ${r.reference.source} (${r.reference.entries} files, ${r.algorithm})`
      : `  list: none: ${r.noList}`,
  );
  if (r.reference) {
    lines.push(
      `  match ${c.match}, differ ${c.differ}, missing ${c.missing}, extra ${c.extra}, ` +
        `not comparable ${c.not_comparable}, unreadable ${c.unreadable}`,
    );
  }
  lines.push(
    `  copy index (path,size,${r.algorithm}): sha256 ${r.index.sha256}`,
    `  hashed in ${r.seconds.toFixed(2)} s (${r.mbPerSecond.toFixed(0)} MB/s)`,
  );
  type Group = [string, (f: FileCheck) => boolean, (f: FileCheck) => string | undefined];
  const groups: Group[] = [
    ["differ", (f) => f.status === "differ", (f) => `expected ${f.expected}, got ${f.hash}`],
    ["missing", (f) => f.status === "missing", (f) => `expected ${f.expected}`],
    ["extra (not in the list)", (f) => f.status === "extra", () => undefined],
    ["not comparable byte for byte", (f) => f.status === "not_comparable", (f) => f.reason],
    ["unreadable", (f) => f.status === "unreadable", (f) => f.reason],
    ["cannot be decoded (first bytes)", (f) => f.problem !== undefined, (f) => f.problem],
  ];
  for (const [name, test, detail] of groups) {
    const hit = r.files.filter(test);
    if (!hit.length) continue;
    lines.push(`${name} (${hit.length}):`);
    for (const f of hit.slice(0, max)) {
      const d = detail(f);
      lines.push(`  ${f.path}${d ? `: ${d}` : ""}`);
    }
    if (hit.length > max) lines.push(`  … and ${hit.length - max} more (--json lists all)`);
  }
  if (r.defects.length) {
    lines.push(`known defective (${r.defects.length}):`);
    for (const d of r.defects) {
      const here = d.state === "missing" ? "not in this copy" : `here: ${d.state}`;
      lines.push(
        `  ${d.path}: ${d.reason} [${here}${d.problem ? `; ${d.problem}` : ""}] (${d.source})`,
      );
    }
  }
  if (r.ignored.length) {
    lines.push(
      `ignored ${r.ignored.length} files that are not part of the copy: ` +
        r.ignored.slice(0, 5).join(", ") + (r.ignored.length > 5 ? ", …" : ""),
    );
  }
  return lines;
}
