/**
 * Private data section of the final analysis (`analysis.ts`): for every run record in the
 * reports folder (`run.json`, `run_<DATASET>.json`, `run_kfold.json`), whether its data is the
 * canonical dataset, as the one line its setup's manifest recorded (`data: canonical GTZAN
 * (1000/1000 match)`); and, for GTZAN, next to it, the clips the fault-filtered split leaves out
 * (replicas, mislabellings, distortions) with their source.
 *
 * @module
 */
import { join } from "node:path";
import { compareCodePoints } from "../fs.ts";
import { FAULT_FILTERED_SOURCE, faultFilteredExclusions } from "../datasets/verify_specs.ts";
import { readJsonOptional } from "./_analysis_summary.ts";
import type { HtmlBlock } from "./report_html.ts";
import type { Table } from "./tables.ts";

/** One run record's data, as the page shows it. */
export interface DataRun {
  /** `run.json`, `run_FMA.json`, … */
  file: string;
  /** The processed data's dataset name (`gtzan`, `demo`, `fma`, …). */
  dataset: string;
  /** Its split protocol (`random`, `fault-filtered`, …). */
  split: string;
  /** The verification status and line from the setup's manifest. */
  status: string;
  line: string;
}

/** Statuses that need no warning. */
const GOOD = new Set(["canonical", "same as peer", "no canonical list"]);

/**
 * The data of every run record in `dir` (`files`: its file names), `run.json` first. A record
 * written before verification existed reads "not verified".
 */
export async function readDataRuns(dir: string, files: readonly string[]): Promise<DataRun[]> {
  const names = files.filter((f) => /^run(_[A-Za-z0-9-]+)?\.json$/.test(f))
    .sort((a, b) => a === "run.json" ? -1 : b === "run.json" ? 1 : compareCodePoints(a, b));
  const out: DataRun[] = [];
  for (const file of names) {
    const json = await readJsonOptional(join(dir, file)).catch(() => null);
    const data = json?.data as {
      dataset?: { name?: string };
      split?: { protocol?: string };
      verification?: { status?: string; line?: string };
    } | undefined;
    if (!data) continue;
    out.push({
      file,
      dataset: data.dataset?.name ?? "?",
      split: data.split?.protocol ?? "?",
      status: data.verification?.status ?? "not verified",
      line: data.verification?.line ??
        "data: not verified (this run record predates data verification; run `deno task " +
          "data:verify <dataset>`)",
    });
  }
  return out;
}

/** The GTZAN fault-filtered exclusions as a table (not written to a file). */
async function exclusionsTable(): Promise<Table> {
  const ex = await faultFilteredExclusions();
  return {
    name: "gtzan_fault_filtered_exclusions",
    title: `GTZAN clips the fault-filtered split leaves out (${ex.length} of 1000)`,
    columns: [
      { key: "Track", label: "Clip" },
      { key: "Genre", label: "Genre" },
      { key: "Reason", label: "Why (as far as the published data tells)" },
    ],
    rows: ex.map((e) => [e.track, e.track.split(".")[0]!, e.reason]),
    note: `Source: ${FAULT_FILTERED_SOURCE}. The lists keep 930 clips (443 train, 197 ` +
      "validation, 290 test) and name no reason per clip; exact replicas are recognised by their " +
      "identical MD5 in the canonical index (mod/datasets/data/gtzan_md5/). jazz.00054 stays in " +
      "the lists, though it is unreadable in the common Kaggle copy.",
  };
}

/**
 * The page blocks of the data section: one line per run record (warning style when a copy is
 * not canonical or not verified), then, when a run used GTZAN, its fault-filtered exclusions.
 */
export async function dataBlocks(runs: readonly DataRun[]): Promise<HtmlBlock[]> {
  if (!runs.length) {
    return [{
      kind: "text",
      text: "No run record (run.json, run_*.json): nothing to say about the data.",
    }];
  }
  const blocks: HtmlBlock[] = [{
    kind: "list",
    items: runs.map((r) => `${r.file} (${r.dataset}, split ${r.split}): ${r.line}`),
    warn: runs.some((r) => !GOOD.has(r.status)),
  }];
  const gtzan = runs.filter((r) => r.dataset === "gtzan");
  if (gtzan.length) {
    const used = gtzan.filter((r) => r.split === "fault-filtered").map((r) => r.file);
    blocks.push({
      kind: "text",
      text: (used.length
        ? `${used.join(", ")} used the fault-filtered split, which leaves out the clips below.`
        : "These GTZAN runs used every clip; the fault-filtered split (gtzan:setup --split " +
          "fault-filtered) would leave out the clips below.") +
        ` Source: ${FAULT_FILTERED_SOURCE}.`,
    });
    blocks.push({ kind: "table", table: await exclusionsTable() });
  }
  return blocks;
}
