/**
 * The flags every training script shares (data and output folders, epochs, seeds, backend,
 * resume, quick runs) and the set-up they need: backend initialisation and a Ctrl-C handler that
 * lets the current batch finish, saves the checkpoint, prints the command that resumes and exits
 * 130.
 *
 * @module
 */
import {
  BACKEND_NAMES,
  type BackendInfo,
  type BackendName,
  initBackend,
  shutdownBackend,
} from "../engine/backend.ts";
import { choiceFlag, type FlagSpec, intFlag, type ParsedCli, UsageError } from "../cli.ts";
import { log } from "../progress.ts";
import { interruptExitCode, interruptSignal } from "../interrupt.ts";

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
  backend: {
    type: "string",
    default: "auto",
    help: "auto | tensorflow | webgpu | wasm | cpu (auto: a real GPU through WebGPU, then " +
      "tfjs-node, then wasm; webgpu also takes a software adapter)",
  },
  threads: { type: "string", help: "wasm threads (default: all cores)" },
  "micro-batch": {
    type: "string",
    default: "auto",
    help: "largest forward/backward micro-batch (gradients accumulate to the full batch); " +
      "auto: the whole batch (on WebGPU when it fits the adapter's limits); a smaller one " +
      "runs layer by layer with whole-batch BatchNormalization statistics",
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
  /** Explicit `--micro-batch`; undefined for `auto` (see {@linkcode runOptionsFromFlags}). */
  microBatch?: number;
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
    backend: choiceFlag(values, "backend", BACKEND_NAMES),
    ...(values.threads !== undefined ? { threads: intFlag(values, "threads", 1) } : {}),
    ...(values["micro-batch"] === undefined || values["micro-batch"] === "auto"
      ? {}
      : { microBatch: intFlag(values, "micro-batch", 1) }),
    latencyRuns: intFlag(values, "latency-runs", 0),
    resume: values.resume === true,
    quick: values.quick === true,
  };
}

/**
 * Initialises the backend and installs the Ctrl-C handler (`../interrupt.ts`) whose signal aborts
 * at the first press: the trainer finishes its batch and saves a checkpoint; the script then
 * exits 130 and `--resume` continues. A second Ctrl-C waits for the save; a third one outside a
 * save quits at once.
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
  const signal = interruptSignal({
    message: "interrupt: finishing the batch in flight, then saving the training state " +
      "(Ctrl-C again waits for the save; a third time quits without saving)",
  });
  return { backend, signal };
}

/** The run options every training task derives from {@linkcode TrainFlags}. */
export interface FlagRunOptions {
  modelsDir: string;
  reportsDir: string;
  epochs?: number;
  patience?: number;
  /** Undefined: the trainer's choice (the whole batch; on WebGPU bounded by its limits). */
  microBatch?: number;
  resume: boolean;
  signal: AbortSignal;
  latencyRuns: number;
}

/**
 * The shared run options from the flags: `--epochs` (else `quickEpochs` with `--quick`, else the
 * recipe's), `--patience`, micro-batch (without `--micro-batch` or with `auto`: whole batches,
 * bounded on WebGPU by the adapter's limits),
 * resume, the Ctrl-C signal, and latency runs (at most 20 with `--quick`).
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
    ...autoMicroBatch(flags.microBatch),
    resume: flags.resume,
    signal,
    latencyRuns: flags.quick ? Math.min(flags.latencyRuns, 20) : flags.latencyRuns,
  };
}

/**
 * `--micro-batch auto` leaves it to the trainer: the whole batch (with fused BatchNormalization a
 * batch of 48 fits the 4 GB wasm heap for every model; the cpu backend has no such cap; on WebGPU
 * bounded by the adapter's limits). An explicit smaller micro-batch runs layer-major
 * (`_layer_major.ts`), slower, with the same result.
 */
function autoMicroBatch(explicit: number | undefined): { microBatch?: number } {
  return explicit !== undefined ? { microBatch: explicit } : {};
}

/**
 * The command that continues an interrupted task: `deno task <task> <args> --resume` (`--resume`
 * added unless present; arguments quoted for a POSIX shell where needed).
 *
 * @example
 * ```ts
 * import { resumeCommand } from "./train_cli.ts";
 * resumeCommand("gtzan:kfold", ["--protocol", "seed-leaky"]);
 * // "deno task gtzan:kfold --protocol seed-leaky --resume"
 * ```
 */
export function resumeCommand(task: string, args: readonly string[]): string {
  const all = args.includes("--resume") ? [...args] : [...args, "--resume"];
  const quote = (a: string): string =>
    /^[A-Za-z0-9_\-.,:/=@%+]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
  return ["deno", "task", task, ...all.map(quote)].join(" ");
}

/**
 * Ends a training task: prints the data's verification line (stderr) and the files written
 * (stdout), then shuts the backend down; when the run was interrupted, prints the command that
 * resumes it (`task` and `args`: see
 * {@linkcode resumeCommand}) and exits 130 (143 after SIGTERM), else returns (exit 0).
 *
 * @example
 * ```ts
 * import { finishTraining } from "./train_cli.ts";
 * finishTraining({ files: ["reports/run.json"], interrupted: false });
 * ```
 */
export function finishTraining(
  result: { files: readonly string[]; interrupted: boolean; dataLine?: string },
  resume: { task: string; args: readonly string[] } = { task: "<task>", args: [] },
): void {
  if (result.dataLine) log(result.dataLine);
  for (const f of result.files) console.log(f);
  if (result.interrupted) {
    log(`interrupted: to continue, run: ${resumeCommand(resume.task, resume.args)}`);
    const code = interruptExitCode();
    shutdownBackend(code);
    Deno.exit(code);
  }
  shutdownBackend();
}
