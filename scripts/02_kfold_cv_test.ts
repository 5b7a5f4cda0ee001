import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertEquals } from "../mod/_assert.ts";
import { writeProcessedFixture } from "../mod/prepare/_processed_fixture.ts";
import { listFilesSorted, readJson } from "../mod/fs.ts";
import { LEAKY_NOTE } from "../mod/experiments/kfold_tables.ts";
import { runScript } from "./_setup_testutil.ts";
import {
  firstEpochSeconds,
  historyRows,
  spawnDeno,
  trainerState,
} from "../mod/engine/_interrupt_testutil.ts";

const ENGINE = ["--backend", "wasm", "--threads", "1", "--epochs", "1"];
const ANALYSIS = new URL("./final_analysis.ts", import.meta.url).pathname;

const LEAKY_RUN = "kfold-seed-leaky-gtzan-random-k2-seed42";
const GROUPED_RUN = "kfold-grouped-gtzan-random-k2-seed42";

/** Every file under `dir` with its bytes, by relative path. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of await listFilesSorted(dir)) {
    out.set(f, new TextDecoder().decode(await Deno.readFile(join(dir, f))));
  }
  return out;
}

Deno.test("gtzan:kfold: both protocols into one reports folder: both intact, both in the analysis", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc-kfold-script-" });
  try {
    const data = join(root, "gtzan");
    await writeProcessedFixture(data, {
      dataset: "gtzan",
      labels: ["blues", "rock"],
      tracks: { train: 3, val: 1, test: 1 },
      segments: 3,
      shape: [8, 8],
    });
    const reports = join(root, "reports");
    const common = [
      ...["--folds", "2", "--data", data, "--reports", reports],
      ...["--models-dir", join(root, "models"), ...ENGINE],
    ];

    // 1. The original's leaky protocol: every output says so.
    const leaky = await runScript("02_kfold_cv.ts", ["--protocol", "seed-leaky", ...common]);
    assertEquals(leaky.code, 0, leaky.stderr);
    const lines = leaky.stdout.trim().split("\n").filter((l) => !l.startsWith(root));
    assertEquals(lines.length, 1 + 2 + 2); // title, 2 folds, 2 levels
    for (const l of lines) assert(l.includes(LEAKY_NOTE), l);
    const leakyDir = join(reports, LEAKY_RUN);
    const folds = parse(await Deno.readTextFile(join(leakyDir, "kfold_cv_unet_gtzan_folds.csv")), {
      columns: true,
    }) as Record<string, string>[];
    assertEquals(folds.map((f) => [f.Protocol, f.Note, f.Selection]), [
      ["seed-leaky", LEAKY_NOTE, "held-out"],
      ["seed-leaky", LEAKY_NOTE, "held-out"],
    ]);
    assert(folds.some((f) => Number(f.Tracks_In_Both) > 0));
    const summary = await Deno.readTextFile(join(leakyDir, "kfold_cv_unet_gtzan.csv"));
    assertEquals(summary.split(LEAKY_NOTE).length - 1, 2);
    const run = await readJson<{ note: string; protocol: string }>(
      join(leakyDir, "run_kfold.json"),
    );
    assertEquals([run.protocol, run.note], ["seed-leaky", LEAKY_NOTE]);
    const leakyFiles = await snapshot(leakyDir);

    // 2. The grouped protocol into the same reports folder: its own folder, the leaky one intact.
    const grouped = await runScript("02_kfold_cv.ts", [
      ...["--protocol", "grouped", "--inner-val", "0.25", ...common],
    ]);
    assertEquals(grouped.code, 0, grouped.stderr);
    assertEquals(await snapshot(leakyDir), leakyFiles);
    const groupedDir = join(reports, GROUPED_RUN);
    const g = await readJson<KFoldRunJson>(join(groupedDir, "run_kfold.json"));
    assertEquals(g.protocol, "grouped");
    // Fold membership by file path: the pool, and per fold training, inner-validation and
    // held-out tracks, disjoint (grouped), the held-out ones covering the pool once.
    const pool = g.pool.tracks.map((t) => t.file);
    assertEquals(pool.length, 8);
    assert(pool.every((f) => /^(blues|rock)\/(train|val)_\d\.wav$/.test(f)), pool.join());
    assert(g.pool.rule.includes("every segment of the train and val parts"), g.pool.rule);
    assertEquals(g.folds.flatMap((f) => f.held_out_tracks).sort(), [...pool].sort());
    for (const f of g.folds) {
      const sets = [f.train_tracks, f.inner_val_tracks, f.held_out_tracks];
      assertEquals(new Set(sets.flat()).size, sets.flat().length, `fold ${f.fold} disjoint`);
      assertEquals(sets.flat().sort(), [...pool].sort(), `fold ${f.fold} covers the pool`);
      assert(f.inner_val_tracks.length > 0);
    }

    const groupedFiles = await snapshot(groupedDir);

    // 3. The same configuration again replaces only its own results, and says so.
    const again = await runScript("02_kfold_cv.ts", ["--protocol", "seed-leaky", ...common]);
    assertEquals(again.code, 0, again.stderr);
    assert(again.stderr.includes("its earlier results there are replaced"), again.stderr);
    assertEquals(await snapshot(groupedDir), groupedFiles);

    // 4. The analysis reads both, side by side, each labelled with its run folder and protocol.
    const analysis = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-RWE", "--allow-sys", "--allow-ffi", ANALYSIS, "--reports", reports],
      env: { NO_COLOR: "1", FINAL_ANALYSIS_USE_CACHE: "0" },
    }).output();
    assertEquals(analysis.code, 0, new TextDecoder().decode(analysis.stderr));
    const table = parse(await Deno.readTextFile(join(reports, "tables", "kfold_summary.csv")), {
      columns: true,
    }) as Record<string, string>[];
    assertEquals(
      table.map((r) => [r.Run, r.Protocol, r.Level]),
      [
        [GROUPED_RUN, "grouped", "segment"],
        [GROUPED_RUN, "grouped", "track"],
        [LEAKY_RUN, "seed-leaky", "segment"],
        [LEAKY_RUN, "seed-leaky", "track"],
      ],
    );
    const perFold = await Deno.readTextFile(join(reports, "tables", "kfold_folds.csv"));
    assertEquals(perFold.trim().split("\n").length, 1 + 2 + 2);
    const html = await Deno.readTextFile(join(reports, "index.html"));
    for (const s of [GROUPED_RUN, LEAKY_RUN, LEAKY_NOTE]) assert(html.includes(s), s);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("gtzan:kfold --quick: run_kfold.json records the pool rule; its own run folder", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc-kfold-quick-" });
  try {
    const data = join(root, "gtzan");
    await writeProcessedFixture(data, {
      dataset: "gtzan",
      labels: ["blues", "rock"],
      tracks: { train: 6, val: 2, test: 1 },
      segments: 3,
      shape: [8, 8],
    });
    const reports = join(root, "reports");
    const r = await runScript("02_kfold_cv.ts", [
      ...["--quick", "--protocol", "seed-leaky", "--folds", "2", "--data", data],
      ...["--reports", reports, "--models-dir", join(root, "models"), ...ENGINE],
    ]);
    assertEquals(r.code, 0, r.stderr);
    const g = await readJson<KFoldRunJson>(join(reports, `${LEAKY_RUN}-quick`, "run_kfold.json"));
    assert(g.pool.rule.startsWith("--quick:"), g.pool.rule);
    // 4 tracks per genre of train (first in file order) and all 2 of val, 2 segments each.
    assertEquals(g.pool.tracks.length, 12);
    assertEquals(g.folds.reduce((a, f) => a + f.held_out_segments, 0), 24);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** The parts of `run_kfold.json` these tests read. */
interface KFoldRunJson {
  protocol: string;
  pool: { rule: string; tracks: { index: number; file: string; label: string }[] };
  folds: {
    fold: number;
    train_tracks: string[];
    inner_val_tracks: string[];
    held_out_tracks: string[];
    held_out_segments: number;
  }[];
}

Deno.test("gtzan:kfold: exit 2 on bad flags, 1 on a missing data folder", async () => {
  const bad = await runScript("02_kfold_cv.ts", ["--protocol", "leaky"]);
  assertEquals(bad.code, 2);
  assert(bad.stderr.includes("--protocol: expected one of grouped, seed-leaky"), bad.stderr);
  const inner = await runScript("02_kfold_cv.ts", ["--inner-val", "1"]);
  assertEquals(inner.code, 2);
  const missing = await runScript("02_kfold_cv.ts", ["--data", "/nonexistent/gtzan"]);
  assertEquals(missing.code, 1);
  assert(missing.stderr.includes("/nonexistent/gtzan: no processed data here"), missing.stderr);
});

Deno.test({
  name:
    "gtzan:kfold: Ctrl-C mid-epoch in fold 1 exits 130 within a batch; --resume gives the uninterrupted folds",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "mgc-kfold-sigint-" });
    try {
      // Pool of 2 × 24 tracks × 5 segments; 2 folds of 120 training segments: 8 batches of 16.
      const data = join(root, "gtzan");
      await writeProcessedFixture(data, {
        dataset: "gtzan",
        labels: ["blues", "rock"],
        tracks: { train: 20, val: 4, test: 1 },
        segments: 5,
        shape: [32, 32],
      });
      const args = (name: string): string[] => [
        ...["--protocol", "seed-leaky", "--folds", "2", "--data", data],
        ...["--reports", join(root, name, "reports"), "--models-dir", join(root, name, "models")],
        ...["--backend", "wasm", "--threads", "1", "--epochs", "2"],
      ];
      const script = new URL("./02_kfold_cv.ts", import.meta.url).pathname;
      const deno = (
        a: string[],
      ): string[] => ["run", "-RWE", "--allow-sys", "--allow-ffi", script, ...a];
      const dirOf = (name: string) => join(root, name, "reports", LEAKY_RUN);

      const whole = await spawnDeno(deno(args("whole"))).done();
      assertEquals(whole.code, 0, whole.stderr);
      const epochMs = 1000 *
        firstEpochSeconds(
          await Deno.readTextFile(join(dirOf("whole"), "log_Lean_UNet_KFOLD_SEED_LEAKY_fold1.csv")),
        );

      const child = spawnDeno(deno(args("cut")), { MGC_PROGRESS_MS: "0" });
      await child.waitFor(/fold1 epoch 1\/2: .*batch 3\/8/);
      child.kill();
      const cut = await child.done();
      assertEquals(cut.code, 130, cut.stderr);
      assert(cut.exitMs < epochMs, `exit ${cut.exitMs} ms after SIGINT, epoch ${epochMs} ms`);
      const ckpt = join(
        root,
        "cut",
        "models",
        LEAKY_RUN,
        ".resume",
        "Lean_UNet_KFOLD_SEED_LEAKY_fold1",
      );
      const state = await trainerState(ckpt);
      assertEquals(state.epoch, 0);
      assert(state.step >= 3 && state.step < 8, `saved at step ${state.step}`);
      assert(cut.stderr.includes(`state saved in ${ckpt}`), cut.stderr);
      assert(cut.stderr.includes("deno task gtzan:kfold --protocol seed-leaky"), cut.stderr);

      const resumed = await spawnDeno(deno([...args("cut"), "--resume"])).done();
      assertEquals(resumed.code, 0, resumed.stderr);
      const rows = async (name: string): Promise<Record<string, string>[]> =>
        (parse(await Deno.readTextFile(join(dirOf(name), "kfold_cv_unet_gtzan_folds.csv")), {
          columns: true,
        }) as Record<string, string>[]).map(({ Train_Seconds: _, ...r }) => r);
      assertEquals(await rows("cut"), await rows("whole"));
      for (const fold of [1, 2]) {
        const log = `log_Lean_UNet_KFOLD_SEED_LEAKY_fold${fold}.csv`;
        assertEquals(
          historyRows(await Deno.readTextFile(join(dirOf("cut"), log))),
          historyRows(await Deno.readTextFile(join(dirOf("whole"), log))),
        );
        const weights = (name: string): Promise<Uint8Array> =>
          Deno.readFile(
            join(
              root,
              name,
              "models",
              LEAKY_RUN,
              `Lean_UNet_best_KFOLD_SEED_LEAKY_fold${fold}`,
              "weights.bin",
            ),
          );
        assertEquals(await weights("cut"), await weights("whole"));
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
