import { join } from "node:path";
import { assert, assertEquals } from "../mod/_assert.ts";
import { GENRES, writeReportsFixture } from "../mod/report/_analysis_fixture.ts";
import { spawnDeno } from "../mod/engine/_interrupt_testutil.ts";
import { initBackend, tf } from "../mod/engine/backend.ts";
import { saveModelDir } from "../mod/engine/checkpoint.ts";
import { listFilesSorted, writeJsonAtomic } from "../mod/fs.ts";
import { writeNpyAtomic } from "../mod/npy.ts";

const SCRIPT = new URL("./final_analysis.ts", import.meta.url).pathname;

async function run(args: string[], env: Record<string, string> = {}): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args: ["run", "-RWE", "--allow-sys", "--allow-ffi", SCRIPT, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

/** Path of a Chromium binary, or null (CI machines may lack one: the screenshot test is skipped). */
function findChromium(): string | null {
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not here
    }
  }
  return null;
}

Deno.test("final_analysis script: page from a reports folder, missing bundle reported, exit codes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mgc_final_" });
  try {
    await writeReportsFixture(dir);
    const out = await run(["--reports", dir, "--models-dir", join(dir, "no-models")], {
      FINAL_ANALYSIS_USE_CACHE: "0",
    });
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    assertEquals(new TextDecoder().decode(out.stdout).trim(), join(dir, "index.html"));
    assert(
      stderr.includes("missing: t-SNE:") &&
        stderr.includes("UNet_Audio_Classifier_best_WITH_AUG/model.json"),
      stderr,
    );
    assertEquals((await run(["--bogus"])).code, 2);
    assertEquals((await run(["--reports", join(dir, "absent")])).code, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const chromium = findChromium();

Deno.test({
  name: "index.html renders in headless Chromium (skipped without chromium)",
  ignore: chromium === null,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "mgc_shot_" });
    try {
      await writeReportsFixture(dir);
      assertEquals((await run(["--reports", dir, "--no-tsne"])).code, 0);
      const png = join(dir, "shot.png");
      const out = await new Deno.Command(chromium!, {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--no-first-run",
          "--hide-scrollbars",
          `--user-data-dir=${join(dir, "profile")}`,
          `--screenshot=${png}`,
          "--window-size=1280,2400",
          `file://${join(dir, "index.html")}`,
        ],
        stdout: "null",
        stderr: "null",
      }).output();
      assertEquals(out.code, 0);
      const bytes = await Deno.readFile(png);
      // PNG signature and IHDR size: 1280 × 2400
      assertEquals([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      assertEquals([view.getUint32(16), view.getUint32(20)], [1280, 2400]);
      assert(bytes.length > 50_000, "a page with content, not a blank screenshot");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "final_analysis: Ctrl-C during the t-SNE exits 130 at once and leaves no partial file",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "mgc_final_sigint_" });
    try {
      await writeReportsFixture(dir);
      // The champion's bundle (UNet WITH_AUG in the fixture): a tiny model with a "gap" layer.
      await initBackend({ backend: "cpu", quiet: true });
      const input = tf.input({ shape: [8, 8, 1] });
      const conv = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same" }).apply(input);
      const gap = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(conv);
      const out = tf.layers.dense({ units: GENRES.length, activation: "softmax" }).apply(gap);
      const model = tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
      await saveModelDir(model, join(dir, "models", "UNet_Audio_Classifier_best_WITH_AUG"));
      model.dispose();
      const data = join(dir, "data");
      const n = 30 * GENRES.length;
      const x = new Float32Array(n * 64).map((_, i) => Math.sin(i * 0.37) + (i % 7));
      await writeNpyAtomic(join(data, "X_test.npy"), x, [n, 8, 8, 1]);
      await writeNpyAtomic(
        join(data, "y_test.npy"),
        Int32Array.from({ length: n }, (_, i) => i % 10),
        [n],
      );
      await writeJsonAtomic(join(data, "labels.json"), GENRES);

      const child = spawnDeno([
        ...["run", "-RWE", "--allow-sys", "--allow-ffi", SCRIPT, "--reports", dir],
        ...["--models-dir", join(dir, "models"), "--data", data, "--tsne-per-class", "30"],
        ...["--tsne-iterations", "1000000"],
      ], { FINAL_ANALYSIS_USE_CACHE: "0" });
      await child.waitFor("t-SNE: extracting pooled features");
      await new Promise((r) => setTimeout(r, 1500)); // well into the t-SNE iterations
      child.kill();
      const r = await child.done();
      assertEquals(r.code, 130, r.stderr);
      assert(r.exitMs < 3000, `exit ${r.exitMs} ms after SIGINT`);
      assert(r.stderr.includes("interrupted during the t-SNE"), r.stderr);
      const written = await listFilesSorted(dir);
      assert(!written.includes("index.html"), "no page from an interrupted analysis");
      assertEquals(written.filter((f) => f.includes(".tmp")), [], "no temporary file left");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
