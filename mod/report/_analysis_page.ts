/**
 * Private output side of the final analysis (`analysis.ts`): writes the tables (CSV + Markdown)
 * and the figures (Vega-Lite spec + SVG), and builds `index.html` from them, one section per
 * part of the analysis, each with a "how to read this" note.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../fs.ts";
import { checkInterrupt } from "../interrupt.ts";
import { type AnalysisState, type Figure, OTHER_DATASETS } from "./_analysis_types.ts";
import type { AnalysisResult } from "./analysis_types.ts";
import { renderSvg } from "./plots.ts";
import { buildIndexHtml, type HtmlBlock, type HtmlSection } from "./report_html.ts";
import { type Table, tableToCsv, tableToMarkdown } from "./tables.ts";

/** The rendered figures by name: SVG and the item count of each named mark. */
export type Rendered = Map<string, { svg: string; marks: Record<string, number> }>;

/**
 * Writes `state.tables` under `tables/` and `state.figures` under `figures/` of `state.out`;
 * returns the rendered figures by name.
 */
export async function writeTablesAndFigures(state: AnalysisState): Promise<Rendered> {
  const { out, tables, figures, log } = state;
  for (const t of tables) {
    await writeFileAtomic(join(out, "tables", `${t.name}.csv`), tableToCsv(t));
    await writeFileAtomic(join(out, "tables", `${t.name}.md`), tableToMarkdown(t));
  }
  const rendered: Rendered = new Map();
  for (const f of figures) {
    await checkInterrupt(`interrupted: figures written up to the one before ${f.name}`);
    const r = await renderSvg(f.spec);
    await writeJsonAtomic(join(out, "figures", `${f.name}.vl.json`), f.spec);
    await writeFileAtomic(join(out, "figures", `${f.name}.svg`), r.svg);
    rendered.set(f.name, r);
  }
  log(`wrote ${tables.length} tables and ${figures.length} figures under ${out}`);
  return rendered;
}

/** What {@linkcode analysisPage} shows. */
export interface PageInputs {
  /** The reports folder, named in the subtitle. */
  dir: string;
  /** Tables written. */
  tables: Table[];
  /** Figures written. */
  figures: Figure[];
  /** The figures rendered, by name. */
  rendered: Rendered;
  /** What was missing, one line each. */
  missing: string[];
  /** The champion, or null. */
  champion: AnalysisResult["champion"];
  /** How the tournament's data is named ("GTZAN" or "Demo (synthetic)"). */
  main: string;
  /** run.json, or null when absent. */
  runJson: Record<string, unknown> | null;
  /** The deep-dive's text blocks. */
  deepBlocks: HtmlBlock[];
  /** Whether each run's data is the canonical dataset, and GTZAN's fault-filtered exclusions. */
  dataBlocks?: HtmlBlock[];
  /** run.json's data line (`data: canonical GTZAN (1000/1000 match)`), shown under the title. */
  dataLine?: string | null;
  /** The models of the browser page built beside the report (`web/models.json`), or null. */
  webModels?: WebModel[] | null;
}

/** A model of the browser page, as its `models.json` lists it. */
export interface WebModel {
  id: string;
  name: string;
  dataset: string;
  testAccuracy: number | null;
}

/** The HTML of `index.html`: missing inputs, results by section, then the run metadata. */
export function analysisPage(inputs: PageInputs): string {
  const { dir, tables, figures, rendered, missing, champion, main, runJson, deepBlocks } = inputs;
  const sections: HtmlSection[] = [];
  const metaBlocks: HtmlBlock[] = [];
  const tableBlock = (name: string): HtmlBlock[] => {
    const t = tables.find((x) => x.name === name);
    if (!t) return [];
    const links = [{ text: `${name}.csv`, href: `tables/${name}.csv` }, {
      text: `${name}.md`,
      href: `tables/${name}.md`,
    }];
    return [{ kind: "table", table: t, links }];
  };
  const figBlocks = (section: string): HtmlBlock[] =>
    figures.filter((f) => f.section === section).map((f) => ({
      kind: "figure",
      id: `fig-${f.name}`,
      svg: rendered.get(f.name)!.svg,
      caption: f.caption,
      links: [{ text: "SVG", href: `figures/${f.name}.svg` }, {
        text: "Vega-Lite spec",
        href: `figures/${f.name}.vl.json`,
      }],
    }));

  if (runJson) metaBlocks.push(...tableBlock("run_metadata"));
  else metaBlocks.push({ kind: "text", text: "run.json was not found: no run metadata." });
  sections.push({
    id: "missing",
    title: "Missing inputs",
    howToRead:
      "Inputs this page looked for and did not find. Sections that depend on them are absent or computed from what exists.",
    blocks: missing.length
      ? [{ kind: "list", items: missing, warn: true }]
      : [{ kind: "text", text: "Nothing missing: every expected input was found." }],
  });
  sections.push({
    id: "leaderboard",
    title: "Leaderboard",
    howToRead:
      "Every model × tag × dataset, by mean test accuracy over seeds (± sample standard deviation). Segment accuracy scores each 3-second segment; track accuracy averages a track's segment probabilities, then takes the argmax. The champion (★) is the best mean segment-level test accuracy on GTZAN; it is the model examined in the deep-dive.",
    blocks: [...tableBlock("leaderboard"), ...figBlocks("leaderboard")],
  });
  sections.push({
    id: "wp1",
    title: "WP1: SpecAugment ablation",
    howToRead:
      "Gain = test accuracy WITH_AUG − NO_AUG in percentage points. With several seeds, a gain only means something when it is larger than the seed-to-seed spread of the same model: bars in blue pass that test, orange ones do not, grey ones had a single seed.",
    blocks: [...tableBlock("wp1_ablation"), ...figBlocks("wp1")],
  });
  sections.push({
    id: "wp2",
    title: "WP2: efficiency",
    howToRead:
      "Parameters, approximate FLOPs per segment, median (and p90) inference latency per segment on the recorded backend, and test accuracy. Up and left in the scatter is better; larger points are slower.",
    blocks: [...tableBlock("wp2_efficiency"), ...figBlocks("wp2")],
  });
  sections.push({
    id: "deepdive",
    title: "Champion deep-dive",
    howToRead:
      "Classification reports (precision, recall, F1 and support per genre; the same definitions as scikit-learn, undefined ratios set to 0) at segment and track level; confusion matrices with true genres in rows and predictions in columns (row-normalised: the diagonal is each genre's recall, off-diagonal cells show where its errors go); and a t-SNE map of the pooled features: clusters that overlap are genres the network represents alike. t-SNE distances between clusters are not meaningful, only neighbourhoods are.",
    blocks: champion
      ? [
        ...deepBlocks,
        ...tableBlock("classification_report_segment"),
        ...tableBlock("classification_report_track"),
        ...figBlocks("deepdive"),
      ]
      : [{ kind: "text", text: "No GTZAN results: no champion." }],
  });
  sections.push({
    id: "curves",
    title: "Learning curves",
    howToRead:
      "Training (solid) and validation (dashed) loss and accuracy per epoch, one row per model, one line per seed. A validation curve that flattens or rises while the training curve keeps improving marks overfitting; early stopping restores the best validation epoch.",
    blocks: figBlocks("curves").length
      ? figBlocks("curves")
      : [{ kind: "text", text: "No epoch logs were found." }],
  });
  const otherBlocks = [
    ...OTHER_DATASETS.flatMap((ds) => tableBlock(`summary_${ds.toLowerCase()}`)),
    ...figBlocks("other"),
    ...tableBlock("kfold_summary"),
    ...tableBlock("kfold_folds"),
  ];
  sections.push({
    id: "other",
    title: "Other datasets and k-fold cross-validation",
    howToRead:
      "FMA, Indian-music and Tabla results (same columns as GTZAN) and the grouped k-fold cross-validation of the UNet on GTZAN: the fold-to-fold spread is the honest error bar for a single split's accuracy.",
    blocks: otherBlocks.length
      ? otherBlocks
      : [{ kind: "text", text: "No results for other datasets or k-fold runs were found." }],
  });

  if (inputs.webModels?.length) {
    sections.push({
      id: "browser",
      title: "Try the models in the browser",
      howToRead:
        "The page built by `deno task web` runs a model on your own audio in the browser (nothing is uploaded), with the same features as `deno task predict`.",
      blocks: [{
        kind: "table",
        table: {
          name: "web_models",
          title: "Models in the browser page",
          columns: [
            { key: "model", label: "Model" },
            { key: "dataset", label: "Dataset" },
            { key: "test_accuracy", label: "Test accuracy", format: "pct" },
          ],
          rows: inputs.webModels.map((m) => [m.name, m.dataset, m.testAccuracy]),
        },
        links: inputs.webModels.map((m) => ({
          text: `open ${m.name} in the browser page`,
          href: `web/index.html?model=${encodeURIComponent(m.id)}`,
        })),
      }],
    });
  }

  // Provenance last, the results first: the data (canonical or not), then the run metadata.
  sections.push({
    id: "data",
    title: "Data: is it the canonical dataset?",
    howToRead:
      "What each run's setup found when it hashed its input file by file against the dataset's published per-file list (deno task data:verify): canonical means byte for byte the published files; a copy that is not canonical was still used, and its manifest.json lists every file that differs, is missing, extra or unreadable. GTZAN runs also show the clips the fault-filtered split leaves out, with the source of that list.",
    blocks: inputs.dataBlocks ?? [{ kind: "text", text: "No data verification was read." }],
  });
  sections.push({
    id: "metadata",
    title: "Run metadata",
    howToRead:
      "Seeds, data split, backend, library versions and the SHA-256 of the processed-data manifest, as recorded by the experiments (run.json). Two reports with the same manifest hash were computed on the same data.",
    blocks: metaBlocks,
  });

  const html = buildIndexHtml({
    title: "Reproducible MGC: results",
    subtitle: `Generated from ${dir} by scripts/final_analysis.ts. ` +
      (champion
        ? `Champion: ${champion.model} (${champion.tag}), ${main} test accuracy ${
          (100 * champion.testAccuracy).toFixed(2)
        }%${champion.seeds > 1 ? ` (mean of ${champion.seeds} seeds)` : ""}.`
        : "No champion (no GTZAN results).") +
      (main === "GTZAN" ? "" : ` ${main}: these results prove the pipeline, not the science.`) +
      (inputs.dataLine ? ` ${inputs.dataLine}.` : ""),
    sections,
  });
  return html;
}
