import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertEquals } from "../mod/_assert.ts";
import { writeProcessedFixture } from "../mod/prepare/_processed_fixture.ts";
import { initBackend } from "../mod/engine/backend.ts";
import { saveModelDir } from "../mod/engine/checkpoint.ts";
import { buildModel } from "../mod/models/mod.ts";
import { runScript } from "./_setup_testutil.ts";
import { checkInterruptAndResume } from "../mod/engine/_interrupt_testutil.ts";

const ENGINE = ["--backend", "wasm", "--threads", "1", "--epochs", "1", "--latency-runs", "0"];

Deno.test("indian:train: transfers the GTZAN UNet by name, logs the classifier as not copied", async () => {
  const root = await Deno.makeTempDir({ prefix: "mgc-indian-script-" });
  try {
    const data = join(root, "indian");
    await writeProcessedFixture(data, {
      dataset: "indian",
      labels: ["bollypop", "carnatic", "ghazal"],
      tracks: { train: 2, val: 1, test: 1 },
      segments: 2,
      shape: [16, 8], // 128×64 in miniature: half the frames of the source's input
    });
    const models = join(root, "models");
    const args = ["--data", data, "--reports", join(root, "reports"), "--models-dir", models];

    // No GTZAN bundle yet: a clear error naming what was tried.
    const none = await runScript("04_train_indian.ts", [...args, ...ENGINE]);
    assertEquals(none.code, 1);
    assert(none.stderr.includes("UNet_Audio_Classifier_best_WITH_AUG"), none.stderr);
    assert(none.stderr.includes("--no-transfer"), none.stderr);

    await initBackend({ backend: "wasm", threads: 1, quiet: true });
    const gtzan = buildModel("UNet_Audio_Classifier", { inputShape: [16, 16, 1], numClasses: 10 });
    // Where gtzan:train puts it: its run folder (dataset, split, seed).
    const source = join(models, "gtzan-random-seed42", "UNet_Audio_Classifier_best_NO_AUG");
    await saveModelDir(gtzan, source);
    gtzan.dispose();
    const r = await runScript("04_train_indian.ts", [...args, ...ENGINE]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stderr.includes("copied 24 of 25 layers with weights"), r.stderr);
    assert(r.stderr.includes("not copied: classifier (weight shapes [256,10] [10]"), r.stderr);
    const rows = parse(
      await Deno.readTextFile(
        join(root, "reports", "indian-random-seed42", "training_summary_INDIAN.csv"),
      ),
      { columns: true },
    ) as Record<string, string>[];
    assertEquals(rows.length, 1);
    assertEquals(rows[0]!.Transfer_From, source);
    assertEquals([rows[0]!.Layers_Copied, rows[0]!.Layers_Not_Copied], ["24", "classifier"]);
    assertEquals(r.stdout.trim().split("\n").map((l) => l.split("/").pop()), [
      "training_summary_INDIAN.csv",
      "run_INDIAN.json",
    ]);
    // The fixture's manifest records no verification of the input: the run says so.
    const line = "data: not verified (the setup that wrote this folder did not record one)";
    assert(r.stderr.includes(line), r.stderr);
    const run = JSON.parse(
      await Deno.readTextFile(join(root, "reports", "indian-random-seed42", "run_INDIAN.json")),
    );
    assertEquals(run.data.verification.status, "not verified");
    assert(run.data.verification.line.startsWith(line));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "indian:train: Ctrl-C mid-epoch (AdamW + cosine decay) exits 130; --resume gives the uninterrupted run",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "mgc-indian-sigint-" });
    try {
      // 3 genres × 32 clips × 3 segments = 288 training segments: 6 batches of 48.
      const data = join(root, "indian");
      await writeProcessedFixture(data, {
        dataset: "indian",
        labels: ["bollypop", "carnatic", "ghazal"],
        tracks: { train: 32, val: 2, test: 1 },
        segments: 3,
        shape: [16, 8],
      });
      const script = new URL("./04_train_indian.ts", import.meta.url).pathname;
      const run = (name: string): string => join(root, name, "models", "indian-random-seed42");
      await checkInterruptAndResume({
        root,
        denoArgs: (name) => [
          ...["run", "-RWE", "--allow-sys", "--allow-ffi", script, "--data", data],
          ...["--reports", join(root, name, "reports"), "--models-dir", join(root, name, "models")],
          ...["--no-transfer", "--backend", "wasm", "--threads", "1", "--epochs", "2"],
          ...["--latency-runs", "0"],
        ],
        after: /epoch 1\/2: .*batch 2\/6/,
        ckpt: (name) => join(run(name), ".resume", "UNet_Audio_Classifier_INDIAN"),
        bundle: (name) => join(run(name), "UNet_Audio_Classifier_best_INDIAN"),
        log: (name) =>
          join(
            root,
            name,
            "reports",
            "indian-random-seed42",
            "log_UNet_Audio_Classifier_INDIAN.csv",
          ),
        steps: 6,
        task: "indian:train",
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
