/**
 * The flags every training script shares (data and output folders, epochs, seeds, backend,
 * resume, quick runs) and the set-up they need: backend initialisation and a Ctrl-C handler that
 * lets the current batch finish, saves the checkpoint and exits 130.
 *
 * @module
 */
import {
  type BackendInfo,
  type BackendName,
  initBackend,
  shutdownBackend,
} from "../engine/backend.ts";
import { choiceFlag, type FlagSpec, intFlag, type ParsedCli, UsageError } from "../cli.ts";
import { log } from "../progress.ts";

/**
 * Flags of every training script (`--data` is given by each script with its own default).
 *
 * @example
 * ```ts
 * import { TRAIN_FLAGS } from "./train_cli.ts";
 * Object.keys(TRAIN_FLAGS).includes("epochs"); // true
 * ```
 */
export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  reports: { type: "string", default: "reports", help: "folder for CSVs, logs and predictions" },
  "models-dir": { type: "string", default: "models", help: "folder for model bundles" },
  epochs: { type: "string", help: "maximum epochs (default: the recipe's)" },
  patience: { type: "string", help: "early-stopping patience (default: the recipe's)" },
  seed: { type: "string", default: "42", help: "seed of init, shuffle, dropout, augmentation" },
  seeds: { type: "string", help: "comma-separated seeds: repeat the whole run per seed" },
  backend: { type: "string", default: "auto", help: "auto | tensorflow | wasm | cpu" },
  threads: { type: "string", help: "wasm threads (default: all cores)" },
  "micro-batch": {
    type: "string",
    default: "48",
    help: "largest forward/backward micro-batch (default 48: whole batches of every recipe; " +
      "smaller ones accumulate gradients to the full batch)",
  },
  "latency-runs": { type: "string", default: "100", help: "timed batch-1 runs (0: skip latency)" },
  resume: { type: "boolean", help: "continue interrupted runs; reuse finished ones" },
  quick: {
    type: "boolean",
    help: "a few epochs on a small subset: checks the pipeline, not the science",
  },
};

/** Parsed common training flags. */
export interface TrainFlags {
  reportsDir: string;
  modelsDir: string;
  epochs?: number;
  patience?: number;
  seeds: number[];
  backend: BackendName;
  threads?: number;
  microBatch: number;
  latencyRuns: number;
  resume: boolean;
  quick: boolean;
}

/**
 * Reads {@linkcode TRAIN_FLAGS} from parsed values; bad values throw {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { parseCli } from "../cli.ts";
 * import { readTrainFlags, TRAIN_FLAGS } from "./train_cli.ts";
 * const { values } = parseCli(["--seeds", "1,2"], { usage: "x", flags: TRAIN_FLAGS });
 * readTrainFlags(values).seeds; // [1, 2]
 * ```
 */
export function readTrainFlags(values: ParsedCli["values"]): TrainFlags {
  const seeds = values.seeds !== undefined
    ? String(values.seeds).split(",").map((s) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n)) throw new UsageError(`--seeds: "${s}" is not an integer`);
      return n;
    })
    : [intFlag(values, "seed")];
  return {
    reportsDir: String(values.reports),
    modelsDir: String(values["models-dir"]),
    ...(values.epochs !== undefined ? { epochs: intFlag(values, "epochs", 1) } : {}),
    ...(values.patience !== undefined ? { patience: intFlag(values, "patience", 0) } : {}),
    seeds,
    backend: choiceFlag(values, "backend", ["auto", "tensorflow", "wasm", "cpu"] as const),
    ...(values.threads !== undefined ? { threads: intFlag(values, "threads", 1) } : {}),
    microBatch: intFlag(values, "micro-batch", 1),
    latencyRuns: intFlag(values, "latency-runs", 0),
    resume: values.resume === true,
    quick: values.quick === true,
  };
}

/**
 * Initialises the backend and installs a SIGINT handler that aborts the returned signal: the
 * trainer finishes its batch and saves a checkpoint; the script then exits 130 and `--resume`
 * continues. A second Ctrl-C exits at once.
 *
 * @example
 * ```ts
 * import { startTraining } from "./train_cli.ts";
 * const { signal } = await startTraining({ backend: "cpu" });
 * ```
 */
export async function startTraining(
  flags: Pick<TrainFlags, "backend" | "threads">,
): Promise<{ backend: BackendInfo; signal: AbortSignal }> {
  const backend = await initBackend({
    backend: flags.backend,
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
  });
  const controller = new AbortController();
  try {
    Deno.addSignalListener("SIGINT", () => {
      if (controller.signal.aborted) Deno.exit(130);
      log("interrupt: finishing the batch and saving a checkpoint (Ctrl-C again to quit now)");
      controller.abort();
    });
  } catch {
    // Signals are not available on every platform; Ctrl-C then ends the process as usual.
  }
  return { backend, signal: controller.signal };
}

/** The run options every training task derives from {@linkcode TrainFlags}. */
export interface FlagRunOptions {
  modelsDir: string;
  reportsDir: string;
  epochs?: number;
  patience?: number;
  microBatch: number;
  resume: boolean;
  signal: AbortSignal;
  latencyRuns: number;
}

/**
 * The shared run options from the flags: `--epochs` (else `quickEpochs` with `--quick`, else the
 * recipe's), `--patience`, micro-batch, resume, the Ctrl-C signal, and latency runs (at most 20
 * with `--quick`).
 *
 * @example
 * ```ts
 * import { parseCli } from "../cli.ts";
 * import { readTrainFlags, runOptionsFromFlags, TRAIN_FLAGS } from "./train_cli.ts";
 * const { values } = parseCli(["--quick"], { usage: "x", flags: TRAIN_FLAGS });
 * runOptionsFromFlags(readTrainFlags(values), new AbortController().signal, 3).epochs; // 3
 * ```
 */
export function runOptionsFromFlags(
  flags: TrainFlags,
  signal: AbortSignal,
  quickEpochs: number,
): FlagRunOptions {
  return {
    modelsDir: flags.modelsDir,
    reportsDir: flags.reportsDir,
    ...(flags.epochs !== undefined
      ? { epochs: flags.epochs }
      : flags.quick
      ? { epochs: quickEpochs }
      : {}),
    ...(flags.patience !== undefined ? { patience: flags.patience } : {}),
    microBatch: flags.microBatch,
    resume: flags.resume,
    signal,
    latencyRuns: flags.quick ? Math.min(flags.latencyRuns, 20) : flags.latencyRuns,
  };
}

/**
 * Ends a training task: prints the files written (stdout), then shuts the backend down and exits
 * 130 when the run was interrupted (resumable with `--resume`), 0 otherwise.
 *
 * @example
 * ```ts
 * import { finishTraining } from "./train_cli.ts";
 * finishTraining({ files: ["reports/run.json"], interrupted: false });
 * ```
 */
export function finishTraining(result: { files: readonly string[]; interrupted: boolean }): void {
  for (const f of result.files) console.log(f);
  if (result.interrupted) {
    log("interrupted: run again with --resume to continue");
    shutdownBackend(130);
    Deno.exit(130);
  }
  shutdownBackend();
}
