/**
 * The flags every dataset's setup script shares (`--data-dir`, `--seed`, `--out`, `--workers`),
 * declared once from the dataset config.
 *
 * @module
 */
import { type FlagSpec, intFlag, type ParsedCli } from "../cli.ts";
import { type DatasetConfig, defaultOut } from "../datasets/datasets.ts";

/**
 * The common setup flags for `config`, whose processed data goes to `<processedRoot>/<split>`.
 *
 * @example
 * ```ts
 * import { setupFlags } from "./setup_cli.ts";
 * import { TABLA } from "../datasets/datasets_tabla.ts";
 * const flags = setupFlags(TABLA, "random", "folder holding wavfiles/ and file_name.csv");
 * ```
 */
export function setupFlags(
  config: DatasetConfig,
  split: string,
  dataDirHelp: string,
): Record<string, FlagSpec> {
  return {
    "data-dir": { type: "string", default: config.defaultDataDir, help: dataDirHelp },
    seed: { type: "string", default: "42", help: "seed of the split" },
    out: { type: "string", help: `output folder (default ${defaultOut(config, split)})` },
    workers: {
      type: "string",
      default: String(navigator.hardwareConcurrency),
      help: "extraction workers (0 = main thread)",
    },
  };
}

/**
 * Reads {@linkcode setupFlags}' values as `prepareDataset` options.
 *
 * @example
 * ```ts
 * import { parseCli } from "../cli.ts";
 * import { readSetupFlags, setupFlags } from "./setup_cli.ts";
 * import { TABLA } from "../datasets/datasets_tabla.ts";
 * const { values } = parseCli([], { usage: "x", flags: setupFlags(TABLA, "random", "data") });
 * readSetupFlags(values, TABLA, "random").out; // "data/processed/tabla/random"
 * ```
 */
export function readSetupFlags(
  values: ParsedCli["values"],
  config: DatasetConfig,
  split: string,
): { dataDir: string; split: string; seed: number; out: string; workers: number } {
  return {
    dataDir: String(values["data-dir"]),
    split,
    seed: intFlag(values, "seed"),
    out: typeof values.out === "string" ? values.out : defaultOut(config, split),
    workers: intFlag(values, "workers", 0),
  };
}
