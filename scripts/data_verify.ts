/**
 * `deno task data:verify <gtzan|fma|indian|tabla> [--data-dir DIR] [--json]`: is this local copy
 * the canonical dataset?
 *
 * Hashes every file of the copy (streamed, on every core) and compares it with the dataset's
 * published per-file list: GTZAN with mirdata's MD5 of the 1,000 WAV clips (bundled in
 * `mod/datasets/data/gtzan_md5/`; `.au` and MP3 copies are recognised and said to be not
 * comparable byte for byte), FMA-small with the `checksums` file of `fma_small.zip`. Prints the
 * verdict line, the files that differ, are missing, extra or unreadable, and the dataset's
 * known-defective files with the reason. The Indian genres and the tabla taalas have no published
 * list: the copy's own index (path, size, SHA-256) is written so that two users can compare it
 * (`--against` checks a copy against another user's index).
 *
 * Exit 0: canonical (or the same as `--against`; or, with no list, every file readable);
 * 1: not canonical, with the list; 2: bad flags. Logic: `mod/datasets/verify.ts`.
 *
 * @module
 */
import { choiceFlag, intFlag, parseCli, runMain, UsageError, UserError } from "../mod/cli.ts";
import {
  DATASETS,
  indexCsv,
  parseIndexCsv,
  verificationReport,
  VERIFY_SPECS,
  verifyCopy,
} from "../mod/datasets/mod.ts";
import { writeFileAtomic } from "../mod/fs.ts";
import { log, Progress } from "../mod/progress.ts";

const NAMES = ["gtzan", "fma", "indian", "tabla"] as const;

/** Runs the command line; returns the exit code (0 canonical, 1 not). */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseCli(args, {
    usage: "deno task data:verify <gtzan|fma|indian|tabla> [--data-dir DIR] [--json]",
    description: "Hashes every file of a local copy of a dataset and compares it with the\n" +
      "dataset's published per-file list: matching, differing, missing, extra, unreadable and\n" +
      "known-defective files. Exit 0 when the copy is canonical, 1 otherwise.",
    positionals: true,
    flags: {
      "data-dir": {
        type: "string",
        help: "the copy (default: the setup's, e.g. data/gtzan/genres, else genres_original)",
      },
      json: { type: "boolean", help: "print the whole result as one JSON object" },
      workers: {
        type: "string",
        default: String(navigator.hardwareConcurrency),
        help: "hashing workers (0 = main thread)",
      },
      "index-out": {
        type: "string",
        help: "write the copy's own index (path,size,digest) here " +
          "(default with no published list: data/verify/<dataset>_index.csv)",
      },
      against: {
        type: "string",
        help: "compare with another copy's index (a file --index-out wrote) instead",
      },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError(`expected one dataset name (${NAMES.join(", ")})`);
  }
  const name = choiceFlag({ dataset: positionals[0] }, "dataset", NAMES);
  const spec = VERIFY_SPECS[name]!;
  const dataDir = String(values["data-dir"] ?? DATASETS[name]!.defaultDataDir);
  const workers = intFlag(values, "workers", 0);
  let reference;
  if (typeof values.against === "string") {
    const text = await Deno.readTextFile(values.against).catch((e) => {
      throw new UserError(`--against ${values.against}: cannot read (${(e as Error).message})`);
    });
    try {
      reference = parseIndexCsv(text, values.against);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  }
  let progress: Progress | null = null;
  let bytes = 0;
  const r = await verifyCopy(spec, dataDir, {
    workers,
    ...(reference ? { reference } : {}),
    onStart: (n) => progress = new Progress(`${name}: hashing`, n, { unit: "files" }),
    onFile: (f) => {
      bytes += f.size;
      progress?.tick(1, `${(bytes / 1e6 / Math.max(progress.elapsed, 1e-9)).toFixed(0)} MB/s`);
    },
  });
  (progress as Progress | null)?.done();
  const indexOut = typeof values["index-out"] === "string"
    ? values["index-out"]
    : r.reference === null
    ? `data/verify/${name}_index.csv`
    : null;
  if (indexOut) {
    await writeFileAtomic(indexOut, indexCsv(r.files, r.algorithm));
    log(`wrote the copy's index (${r.index.files} files, sha256 ${r.index.sha256}) to ${indexOut}`);
  }
  if (values.json) console.log(JSON.stringify(r));
  else console.log(verificationReport(r).join("\n"));
  return r.ok ? 0 : 1;
}

if (import.meta.main) {
  await runMain(async () => {
    const code = await main(Deno.args);
    if (code !== 0) Deno.exit(code);
  });
}
