/**
 * Test helper: a child `deno` process whose output is read as it comes, so a test can wait for a
 * line, send it SIGINT, and time how long it takes to exit (`deno test` handles SIGINT itself,
 * so Ctrl-C behaviour is always checked in a child). Private to the tests.
 *
 * @module
 */
import { assert, assertEquals } from "../_assert.ts";

/** What {@linkcode spawnDeno} returns. */
export interface ChildRun {
  /** Resolves when `pattern` has appeared on stdout or stderr (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` (default SIGINT) and remembers when, for {@linkcode ChildRun.done}. */
  kill(signal?: Deno.Signal): void;
  /** Everything written so far. */
  output(): { stdout: string; stderr: string };
  /** Waits for the exit: the code, the output, and the milliseconds from the first kill. */
  done(): Promise<{ code: number; stdout: string; stderr: string; exitMs: number }>;
}

/** Starts `deno <args>` with `env` added (NO_COLOR set), reading stdout and stderr. */
export function spawnDeno(args: string[], env: Record<string, string> = {}): ChildRun {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const text = { stdout: "", stderr: "" };
  let wake: (() => void)[] = [];
  const pump = async (name: "stdout" | "stderr"): Promise<void> => {
    for await (const chunk of child[name].pipeThrough(new TextDecoderStream())) {
      text[name] += chunk;
      const w = wake;
      wake = [];
      for (const f of w) f();
    }
  };
  const pumps = Promise.all([pump("stdout"), pump("stderr")]).finally(() => {
    for (const f of wake) f();
    wake = [];
  });
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let killedAt: number | null = null;
  return {
    async waitFor(pattern, timeoutMs = 120_000): Promise<void> {
      const t0 = performance.now();
      const seen = (): boolean => {
        const all = text.stdout + text.stderr;
        return typeof pattern === "string" ? all.includes(pattern) : pattern.test(all);
      };
      while (!seen()) {
        if (exited) {
          await pumps;
          if (seen()) return;
          throw new Error(`child exited before ${pattern}:\n${text.stdout}\n${text.stderr}`);
        }
        if (performance.now() - t0 > timeoutMs) {
          throw new Error(`timed out waiting for ${pattern}:\n${text.stdout}\n${text.stderr}`);
        }
        await new Promise<void>((r) => {
          const id = setTimeout(r, 200);
          wake.push(() => {
            clearTimeout(id);
            r();
          });
        });
      }
    },
    kill(signal: Deno.Signal = "SIGINT"): void {
      killedAt ??= performance.now();
      child.kill(signal);
    },
    output: () => ({ ...text }),
    async done(): Promise<{ code: number; stdout: string; stderr: string; exitMs: number }> {
      const s = await status;
      const exitMs = killedAt === null ? NaN : performance.now() - killedAt;
      await pumps;
      return { code: s.code, stdout: text.stdout, stderr: text.stderr, exitMs };
    },
  };
}

/** A log CSV's rows without the timing columns (`seconds`, `samples_per_s`), for comparisons. */
export function historyRows(csv: string): string[][] {
  const [head, ...rows] = csv.trim().split("\n").map((l) => l.split(","));
  const keep = head!.map((h, i) => (h === "seconds" || h === "samples_per_s" ? -1 : i))
    .filter((i) => i >= 0);
  return [head!, ...rows].map((r) => keep.map((i) => r[i]!));
}

/** The `state` of a training checkpoint's `trainer_state.json`. */
export async function trainerState(
  dir: string,
): Promise<{ epoch: number; step: number; order?: number[]; history: unknown[] }> {
  const file = JSON.parse(await Deno.readTextFile(`${dir}/trainer_state.json`));
  return file.state;
}

/** Seconds of epoch 1 in a log CSV (its `seconds` column). */
export function firstEpochSeconds(csv: string): number {
  const [head, first] = csv.trim().split("\n").map((l) => l.split(","));
  return Number(first![head!.indexOf("seconds")]);
}

/** What {@linkcode checkInterruptAndResume} runs and checks. */
export interface InterruptCase {
  /** `deno` arguments of a run whose outputs go under `<root>/<name>/`. */
  denoArgs: (name: string) => string[];
  /** `<root>` of the runs. */
  root: string;
  /** Progress line to wait for before the SIGINT (e.g. `/epoch 1\/2: .*batch 3\/9/`). */
  after: RegExp;
  /** The checkpoint folder and the epoch log of run `name`. */
  ckpt: (name: string) => string;
  log: (name: string) => string;
  /** The bundle folder of run `name` (best weights), compared when `compare`. */
  bundle: (name: string) => string;
  /** Batches per epoch. */
  steps: number;
  /** The task name in the printed resume command (`deno task <task> … --resume`). */
  task: string;
  /** Also run uninterrupted and require the same weights and history (default true). */
  compare?: boolean;
}

/**
 * Interrupts a training script with SIGINT after `c.after`, checks exit 130 within half an epoch,
 * a mid-epoch checkpoint (0 < step < steps) and the printed resume command, then resumes it
 * (exit 0); with `compare`, the resumed run's final weights, best bundle and per-epoch history
 * must equal an uninterrupted run's.
 */
export async function checkInterruptAndResume(c: InterruptCase): Promise<void> {
  const compare = c.compare ?? true;
  if (compare) {
    const whole = await spawnDeno(c.denoArgs("whole")).done();
    assertEquals(whole.code, 0, whole.stderr);
  }
  const child = spawnDeno(c.denoArgs("cut"), { MGC_PROGRESS_MS: "0" });
  await child.waitFor(c.after);
  child.kill();
  const cut = await child.done();
  assertEquals(cut.code, 130, cut.stderr);
  const state = await trainerState(c.ckpt("cut"));
  assertEquals(state.epoch, 0);
  assert(state.step > 0 && state.step < c.steps, `saved at step ${state.step} of ${c.steps}`);
  assert(cut.stderr.includes(`state saved in ${c.ckpt("cut")} at epoch 1`), cut.stderr);
  assert(cut.stderr.includes(`to continue, run: deno task ${c.task} `), cut.stderr);
  assert(cut.stderr.includes(" --resume"), cut.stderr);

  const resumed = await spawnDeno([...c.denoArgs("cut"), "--resume"]).done();
  assertEquals(resumed.code, 0, resumed.stderr);
  const log = await Deno.readTextFile(c.log("cut"));
  // The resumed epoch 1 counts the seconds before the interruption too: a whole epoch.
  const epochMs = 1000 * firstEpochSeconds(log);
  assert(cut.exitMs < epochMs / 2, `exit ${cut.exitMs} ms after SIGINT, epoch ${epochMs} ms`);
  if (!compare) return;
  assertEquals(historyRows(log), historyRows(await Deno.readTextFile(c.log("whole"))));
  for (const dir of [c.ckpt, c.bundle]) {
    assertEquals(
      await Deno.readFile(`${dir("cut")}/weights.bin`),
      await Deno.readFile(`${dir("whole")}/weights.bin`),
      `${dir("cut")}/weights.bin`,
    );
  }
}

/**
 * Checks Ctrl-C during a setup task (`denoArgs(out)` runs it into `out`) after its third file:
 * interrupted into a new folder, it exits 130 within `maxExitMs` and leaves neither the folder
 * nor its temporary sibling. With `overEarlier`: run to the end, it writes the folder; interrupted
 * again over that folder, it exits 130 within half the time a whole run takes and leaves the
 * earlier folder as it was.
 */
export async function checkSetupInterrupt(
  denoArgs: (out: string) => string[],
  root: string,
  options: { maxExitMs: number; overEarlier: boolean },
): Promise<void> {
  const { basename, dirname, join } = await import("node:path");
  const siblings = async (out: string): Promise<string[]> => {
    const names: string[] = [];
    for await (const e of Deno.readDir(dirname(out))) {
      if (e.name.startsWith(`.${basename(out)}.tmp-`)) names.push(e.name);
    }
    return names;
  };
  const interrupt = async (out: string): Promise<{ code: number; exitMs: number }> => {
    const child = spawnDeno(denoArgs(out), { MGC_PROGRESS_MS: "0" });
    await child.waitFor(/features: 3\//);
    child.kill();
    const r = await child.done();
    assertEquals(r.code, 130, r.stderr);
    assert(r.stderr.includes(`nothing was published to ${out}`), r.stderr);
    assertEquals(await siblings(out), [], "temporary folder removed");
    return r;
  };

  const fresh = join(root, "fresh");
  const first = await interrupt(fresh);
  assert(!(await exists(fresh)), `${fresh} was not created`);
  assert(first.exitMs < options.maxExitMs, `exit ${first.exitMs} ms after SIGINT`);
  if (!options.overEarlier) return;

  const out = join(root, "out");
  const t0 = performance.now();
  const whole = await spawnDeno(denoArgs(out)).done();
  const wholeMs = performance.now() - t0;
  assertEquals(whole.code, 0, whole.stderr);
  const manifest = await Deno.readFile(join(out, "manifest.json"));
  const again = await interrupt(out);
  assert(again.exitMs < wholeMs / 2, `exit ${again.exitMs} ms after SIGINT, a run ${wholeMs} ms`);
  assertEquals(await Deno.readFile(join(out, "manifest.json")), manifest, "earlier output kept");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
