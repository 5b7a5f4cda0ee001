import { join } from "node:path";
import { assert, assertEquals } from "../_assert.ts";
import { dataBlocks, readDataRuns } from "./_analysis_data.ts";
import { runAnalysis } from "./analysis.ts";

const CANONICAL = "data: canonical GTZAN (1000/1000 match)";
const TABLA = "data: Tabla taalas: no canonical list exists; copy index sha256 0123456789abcdef… " +
  "(562 files)";

async function reportsFolder(dir: string): Promise<void> {
  const run = (name: string, split: string, verification?: object): string =>
    JSON.stringify({
      data: {
        dataset: { name },
        split: { protocol: split },
        ...(verification ? { verification } : {}),
      },
    });
  await Deno.writeTextFile(
    join(dir, "run.json"),
    run("gtzan", "fault-filtered", { status: "canonical", line: CANONICAL }),
  );
  await Deno.writeTextFile(
    join(dir, "run_TABLA.json"),
    run("tabla", "random", { status: "no canonical list", line: TABLA }),
  );
  await Deno.writeTextFile(join(dir, "run_FMA.json"), run("fma", "official")); // before verification
  await Deno.writeTextFile(join(dir, "runs.json"), "{}"); // not a run record
}

Deno.test("readDataRuns/dataBlocks: each run's data line, a warning when one is not verified, GTZAN's fault-filtered exclusions with the source", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mgc_analysis_data_" });
  try {
    await reportsFolder(dir);
    const runs = await readDataRuns(dir, [
      "runs.json",
      "run_TABLA.json",
      "run_FMA.json",
      "run.json",
    ]);
    assertEquals(runs.map((r) => [r.file, r.dataset, r.split, r.status]), [
      ["run.json", "gtzan", "fault-filtered", "canonical"],
      ["run_FMA.json", "fma", "official", "not verified"],
      ["run_TABLA.json", "tabla", "random", "no canonical list"],
    ]);
    const blocks = await dataBlocks(runs);
    const list = blocks[0] as { kind: "list"; items: string[]; warn?: boolean };
    assertEquals(list.items[0], `run.json (gtzan, split fault-filtered): ${CANONICAL}`);
    assert(list.items[1]!.startsWith("run_FMA.json (fma, split official): data: not verified"));
    assertEquals(list.warn, true);
    const text = blocks[1] as { kind: "text"; text: string };
    assert(text.text.startsWith("run.json used the fault-filtered split"), text.text);
    assert(text.text.includes("mod/datasets/data/gtzan_fault_filtered/README.md"));
    const table = (blocks[2] as { kind: "table"; table: { rows: unknown[][] } }).table;
    assertEquals(table.rows.length, 70);
    assertEquals(table.rows[0]!.slice(0, 2), ["classical.00042", "classical"]);
    // Only canonical / no-list copies: no warning; no GTZAN run: no exclusions.
    const quiet = await dataBlocks(runs.filter((r) => r.dataset === "tabla"));
    assertEquals([quiet.length, (quiet[0] as { warn?: boolean }).warn], [1, false]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runAnalysis: index.html carries run.json's data line under the title and the data section", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mgc_analysis_data_" });
  try {
    await reportsFolder(dir);
    await runAnalysis({ reportsDir: dir, log: () => {} });
    const html = await Deno.readTextFile(join(dir, "index.html"));
    const subtitle = /<p class="subtitle">([^<]*)<\/p>/.exec(html)?.[1] ?? "";
    assert(subtitle.includes(`${CANONICAL}.`), subtitle);
    assert(html.includes("Data: is it the canonical dataset?"));
    assert(html.includes("metal.00058") && html.includes("exact replica of rock.00016"));
    assert(html.indexOf('id="data"') < html.indexOf('id="metadata"'));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
