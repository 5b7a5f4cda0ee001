import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { assert, assertEquals } from "../mod/_assert.ts";
import { writeProcessedFixture } from "../mod/prepare/_processed_fixture.ts";
import { initBackend } from "../mod/engine/backend.ts";
import { saveModelDir } from "../mod/engine/checkpoint.ts";
import { buildModel } from "../mod/models/mod.ts";
import { runScript } from "./_setup_testutil.ts";

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
    await saveModelDir(gtzan, join(models, "UNet_Audio_Classifier_best_NO_AUG"));
    gtzan.dispose();
    const r = await runScript("04_train_indian.ts", [...args, ...ENGINE]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stderr.includes("copied 24 of 25 layers with weights"), r.stderr);
    assert(r.stderr.includes("not copied: classifier (weight shapes [256,10] [10]"), r.stderr);
    const rows = parse(
      await Deno.readTextFile(join(root, "reports", "training_summary_INDIAN.csv")),
      { columns: true },
    ) as Record<string, string>[];
    assertEquals(rows.length, 1);
    assertEquals(rows[0]!.Transfer_From, join(models, "UNet_Audio_Classifier_best_NO_AUG"));
    assertEquals([rows[0]!.Layers_Copied, rows[0]!.Layers_Not_Copied], ["24", "classifier"]);
    assertEquals(r.stdout.trim().split("\n").map((l) => l.split("/").pop()), [
      "training_summary_INDIAN.csv",
      "run_INDIAN.json",
    ]);
    // The fixture's manifest records no verification of the input: the run says so.
    const line = "data: not verified (the setup that wrote this folder did not record one)";
    assert(r.stderr.includes(line), r.stderr);
    const run = JSON.parse(await Deno.readTextFile(join(root, "reports", "run_INDIAN.json")));
    assertEquals(run.data.verification.status, "not verified");
    assert(run.data.verification.line.startsWith(line));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
