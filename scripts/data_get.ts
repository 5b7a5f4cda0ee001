/**
 * `deno task data:get <gtzan|fma|indian|tabla>`: download one dataset into the layout its setup
 * task reads by default (`data/gtzan/genres_original/`, `data/fma/fma_small/` +
 * `data/fma/fma_metadata/`, `data/indian/genrenew/`, `data/tabla/wavfiles/` +
 * `data/tabla/file_name.csv`), verified, resumable, and safe to run twice.
 *
 * Sources, checksums and licences: `mod/sources.ts`. Kaggle sources use your own API token
 * (`KAGGLE_API_TOKEN`, `~/.kaggle/access_token`, or the legacy `~/.kaggle/kaggle.json` or
 * `KAGGLE_USERNAME`/`KAGGLE_KEY`).
 *
 * @module
 */
import { choiceFlag, parseCli, runMain, UsageError, UserError } from "../mod/cli.ts";
import { interruptSignal } from "../mod/interrupt.ts";
import {
  ArchiveFormatError,
  ChecksumError,
  DATASET_NAMES,
  type DatasetName,
  DownloadError,
  getDataset,
  type GetDatasetOptions,
  KaggleCredentialsError,
  resolveSource,
  SOURCES,
  UnsafeArchiveError,
} from "../mod/acquire/mod.ts";

const sourceList = DATASET_NAMES.map((n) =>
  `  ${n.padEnd(7)} ${
    SOURCES[n].sources.map((s, i) =>
      `${s.id}${i === 0 ? " (default)" : ""}${s.archives.some((a) => a.kaggle) ? " [Kaggle]" : ""}`
    ).join(", ")
  }`
).join("\n");

/**
 * Runs the command line. `overrides` replace options of `getDataset` (tests: a loopback URL and
 * a source with generated checksums). Ctrl-C stops the download (the `.part` is kept and resumes)
 * or the extraction (the staging folder is removed) within one chunk or file, and exits 130.
 */
export async function main(
  args: string[],
  overrides: Partial<GetDatasetOptions> = {},
): Promise<void> {
  const { values, positionals } = parseCli(args, {
    usage: "deno task data:get <gtzan|fma|indian|tabla> [--data-root data] [--source ID] [--force]",
    description:
      "Downloads a dataset (resuming a partial download), verifies it, extracts it safely into\n" +
      "the layout its setup task reads, and records data/<dataset>/SOURCE.json.\n\nsources:\n" +
      sourceList,
    positionals: true,
    flags: {
      "data-root": { type: "string", default: "data", help: "folder that holds the datasets" },
      source: { type: "string", help: "where to download from (see the list above)" },
      force: { type: "boolean", help: "download and extract again even when present" },
      "keep-archives": { type: "boolean", help: "keep the downloaded archives after extraction" },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError(`expected one dataset name (${DATASET_NAMES.join(", ")})`);
  }
  const name = choiceFlag({ dataset: positionals[0] }, "dataset", DATASET_NAMES) as DatasetName;
  const source = values.source as string | undefined;
  try {
    resolveSource(name, source);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  interruptSignal({
    message: "interrupt: stopping after the chunk or file in flight (a partial download is kept " +
      "and resumes next time; Ctrl-C again waits, a third time quits at once)",
  });
  try {
    const r = await getDataset(name, {
      dataRoot: String(values["data-root"]),
      force: values.force === true,
      source,
      keepArchives: values["keep-archives"] === true,
      ...overrides,
    });
    console.log(JSON.stringify({ dataset: name, ...r, archives: undefined }));
  } catch (e) {
    if (
      e instanceof DownloadError || e instanceof ChecksumError ||
      e instanceof UnsafeArchiveError || e instanceof ArchiveFormatError ||
      e instanceof KaggleCredentialsError
    ) throw new UserError(e.message);
    throw e;
  }
}

if (import.meta.main) await runMain(() => main(Deno.args));
