import { join } from "node:path";
import { assert, assertEquals } from "../mod/_assert.ts";
import { writeProcessedFixture } from "../mod/prepare/_processed_fixture.ts";
import {
  firstEpochSeconds,
  historyRows,
  spawnDeno,
  trainerState,
} from "../mod/engine/_interrupt_testutil.ts";

const SCRIPT = new URL("./01_train_tournament.ts", import.meta.url).pathname;
const DEMO = new URL("./demo.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

async function run(script: string, ...args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-RWE", "--allow-sys", "--allow-ffi", "--config", CONFIG, script, ...args],
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("gtzan:train: --help, bad flags (exit 2) and missing data (exit 1, one line)", async () => {
  assertEquals((await run(SCRIPT, "--help")).code, 0);
  const aug = await run(SCRIPT, "--aug", "sometimes");
  assertEquals(aug.code, 2);
  assert(aug.stderr.includes("--aug"), aug.stderr);
  assertEquals((await run(SCRIPT, "--models", "AlexNet")).code, 2);
  assertEquals((await run(SCRIPT, "--split", "artist")).code, 2);
  const dir = await Deno.makeTempDir({ prefix: "mgc_train_script_" });
  try {
    const missing = await run(SCRIPT, "--data", join(dir, "nothing"));
    assertEquals(missing.code, 1);
    assert(missing.stderr.includes("gtzan:setup"), missing.stderr);
    assertEquals(missing.stderr.trim().split("\n").length, 1, missing.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("demo: --help and bad flags", async () => {
  assertEquals((await run(DEMO, "--help")).code, 0);
  assertEquals((await run(DEMO, "--models", "AlexNet")).code, 2);
  assertEquals((await run(DEMO, "--epochs", "zero")).code, 2);
});

Deno.test({
  name:
    "gtzan:train: Ctrl-C mid-epoch saves within a batch, exits 130; --resume ends where an uninterrupted run ends",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "mgc_train_sigint_" });
    try {
      // 1200 training segments of 32×32: 25 batches of 48 per epoch, a batch ≈ 0.1–0.3 s.
      const data = join(root, "gtzan");
      await writeProcessedFixture(data, {
        dataset: "gtzan",
        labels: ["blues", "rock"],
        tracks: { train: 60, val: 3, test: 2 },
        segments: 10,
        shape: [32, 32],
      });
      const args = (name: string): string[] => [
        ...["--data", data, "--reports", join(root, name, "reports")],
        ...["--models-dir", join(root, name, "models"), "--models", "Efficient_VGG"],
        ...["--aug", "without", "--epochs", "2", "--backend", "wasm", "--threads", "1"],
        ...["--latency-runs", "0"],
      ];
      const RUN = "gtzan-random-seed42";
      const files = (name: string) => ({
        log: join(root, name, "reports", RUN, "log_Efficient_VGG_NO_AUG.csv"),
        ckpt: join(root, name, "models", RUN, ".resume", "Efficient_VGG_NO_AUG"),
        bundle: join(root, name, "models", RUN, "Efficient_VGG_best_NO_AUG"),
      });

      // The uninterrupted run.
      const whole = await spawnDeno(runArgs(SCRIPT, args("whole"))).done();
      assertEquals(whole.code, 0, whole.stderr);
      const epochMs = 1000 * firstEpochSeconds(await Deno.readTextFile(files("whole").log));

      // Ctrl-C after the third batch of epoch 1: the batch in flight finishes, the state is saved.
      const child = spawnDeno(runArgs(SCRIPT, args("cut")), { MGC_PROGRESS_MS: "0" });
      await child.waitFor(/epoch 1\/2: .*batch 3\/25/);
      child.kill();
      const cut = await child.done();
      assertEquals(cut.code, 130, cut.stderr);
      assert(cut.exitMs < epochMs / 2, `exit ${cut.exitMs} ms after SIGINT, epoch ${epochMs} ms`);
      const f = files("cut");
      const state = await trainerState(f.ckpt);
      assertEquals(state.epoch, 0);
      assert(state.step >= 3 && state.step < 25, `saved at step ${state.step}`);
      assertEquals(state.order?.length, 1200);
      assert(
        cut.stderr.includes(`state saved in ${f.ckpt} at epoch 1, step ${state.step} of 25`),
        cut.stderr,
      );
      const resume = /to continue, run: (deno task gtzan:train .*)/.exec(cut.stderr)?.[1];
      assertEquals(resume, `deno task gtzan:train ${args("cut").join(" ")} --resume`);

      // --resume: the same weights and the same per-epoch history as the uninterrupted run.
      const resumed = await spawnDeno(runArgs(SCRIPT, [...args("cut"), "--resume"])).done();
      assertEquals(resumed.code, 0, resumed.stderr);
      assert(resumed.stderr.includes("resuming"), resumed.stderr);
      const w = files("whole");
      for (const dir of [w.ckpt, w.bundle]) {
        const other = dir.replace(join(root, "whole"), join(root, "cut"));
        assertEquals(
          await Deno.readFile(join(other, "weights.bin")),
          await Deno.readFile(join(dir, "weights.bin")),
          `${other}/weights.bin`,
        );
      }
      assertEquals(
        historyRows(await Deno.readTextFile(f.log)),
        historyRows(await Deno.readTextFile(w.log)),
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

/** `deno run` arguments of a training script, with the project's config. */
function runArgs(script: string, args: string[]): string[] {
  return ["run", "-RWE", "--allow-sys", "--allow-ffi", "--config", CONFIG, script, ...args];
}
