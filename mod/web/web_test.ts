import { assert, assertEquals } from "../_assert.ts";
import { initBackend } from "../engine/backend.ts";
import { encodeWav } from "../audio/wav_write.ts";
import { synthesizeClip } from "../datasets/demo_data.ts";
import { GTZAN_FEATURES } from "../features/features.ts";
import { makeBundle } from "../predict/_predict_testutil.ts";
import type { TrackPrediction } from "../predict/classify.ts";
import { Browser, findChromium } from "./_cdp.ts";
import { buildWebApp } from "./build.ts";
import { serveStatic } from "./serve.ts";

const PREDICT = new URL("../../scripts/predict.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const MP3 = new URL("../audio/testdata/audio/tone_1khz_44100_stereo.mp3", import.meta.url).pathname;
const chromium = findChromium();
const canRun = Deno.permissions.querySync({ name: "run" }).state === "granted";

Deno.test("serveStatic: serves files with their types, refuses paths outside, 404s", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/index.html`, "<p>x</p>");
    await Deno.writeFile(`${dir}/a.wasm`, new Uint8Array([0, 97, 115, 109]));
    const s = serveStatic(dir, { port: 0 });
    try {
      const root = await fetch(s.url);
      assertEquals(root.headers.get("content-type"), "text/html; charset=utf-8");
      assertEquals(await root.text(), "<p>x</p>");
      const wasm = await fetch(s.url + "a.wasm");
      assertEquals(wasm.headers.get("content-type"), "application/wasm");
      await wasm.body?.cancel();
      const missing = await fetch(s.url + "nope.js");
      assertEquals(missing.status, 404);
      await missing.body?.cancel();
      const escape = await fetch(s.url + "..%2f..%2fetc%2fpasswd");
      assert(escape.status === 403 || escape.status === 404, `status ${escape.status}`);
      await escape.body?.cancel();
    } finally {
      await s.shutdown();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** `deno task predict --json` on `files` with the wasm backend, one document per file. */
async function cliPredict(bundle: string, files: string[]): Promise<TrackPrediction[]> {
  const out: TrackPrediction[] = [];
  for (const f of files) {
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-RWE",
        "--allow-sys",
        "--allow-ffi",
        "--config",
        CONFIG,
        PREDICT,
        f,
        "--json",
        "--model",
        bundle,
        "--backend",
        "wasm",
        "--threads",
        "1",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(r.stdout);
    assert(r.success, `predict failed: ${new TextDecoder().decode(r.stderr)}`);
    out.push(JSON.parse(text) as TrackPrediction);
  }
  return out;
}

function maxDiff(a: readonly number[], b: readonly number[]): number {
  assertEquals(a.length, b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

Deno.test({
  name: "web page in headless Chromium: same probabilities as predict --json, timeline, " +
    "errors, no request off localhost (skipped without chromium)",
  ignore: chromium === null || !canRun,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "mgc_web_" });
    const browser = await Browser.launch(chromium!);
    let server: ReturnType<typeof serveStatic> | null = null;
    try {
      await initBackend({ backend: "cpu", quiet: true });
      const labels = [
        "blues",
        "classical",
        "country",
        "disco",
        "hiphop",
        "jazz",
        "metal",
        "pop",
        "reggae",
        "rock",
      ];
      const bundle = `${dir}/Efficient_VGG_best_TEST`;
      const model = await makeBundle(bundle, {
        model: "Efficient_VGG",
        features: GTZAN_FEATURES,
        labels,
        testAccuracy: 0.9,
        seed: 3,
      });
      model.dispose();
      // Audio the project generates: a 30 s clip at 22,050 Hz, the same at 44.1 kHz stereo,
      // a 2 s clip (shorter than a segment), the MP3 fixture, and a file that is not audio.
      const clip = synthesizeClip("jazz", { seed: 5, index: 0, seconds: 30, sampleRate: 22050 });
      const wav = `${dir}/jazz.wav`;
      await Deno.writeFile(wav, encodeWav(clip, 22050));
      const short = `${dir}/short.wav`;
      await Deno.writeFile(short, encodeWav(clip.subarray(0, 44100), 22050));
      const text = `${dir}/notes.wav`;
      await Deno.writeTextFile(text, "these are not audio samples\n");
      const t0 = performance.now();
      const built = await buildWebApp({ models: [bundle], out: `${dir}/web` });
      const buildMs = performance.now() - t0;
      server = serveStatic(built.out, { port: 0 });
      await browser.send("Network.enable");
      await browser.send("Page.enable");
      const tNav = performance.now();
      await browser.send("Page.navigate", { url: server.url + "?backend=wasm" });
      await browser.waitFor<string>(
        "window.mgcError || (document.getElementById('status')?.textContent?.startsWith('Ready') && 'ready')",
      );
      assertEquals(await browser.eval<string | null>("window.mgcError ?? null"), null);
      assertEquals(await browser.eval<string>("window.mgcBackend"), "wasm");
      const loadMs = performance.now() - tNav;

      const cli = await cliPredict(bundle, [wav, MP3, short]);
      const timings: string[] = [];
      for (const [i, file] of [wav, MP3, short].entries()) {
        const t = performance.now();
        await browser.eval("delete window.mgcPrediction; delete window.mgcError; 1");
        await browser.setFile("#audio-file", file);
        const got = JSON.parse(
          await browser.waitFor<string>(
            "window.mgcError ? JSON.stringify({ error: window.mgcError }) : " +
              "(window.mgcPrediction && JSON.stringify(window.mgcPrediction))",
          ),
        ) as TrackPrediction & { error?: string };
        assertEquals(got.error, undefined, `page error for ${file}: ${got.error}`);
        timings.push(`${file.split("/").pop()} ${(performance.now() - t).toFixed(0)} ms`);
        const want = cli[i]!;
        assertEquals(got.labels, want.labels);
        assert(maxDiff(got.probabilities, want.probabilities) <= 1e-4, `${file}: probabilities`);
        assertEquals(got.top.map((t) => t.label), want.top.map((t) => t.label));
        assertEquals(got.segments.length, want.segments.length);
        for (const [k, s] of got.segments.entries()) {
          const w = want.segments[k]!;
          assertEquals([s.index, s.start_s, s.end_s, s.top_label], [
            w.index,
            w.start_s,
            w.end_s,
            w.top_label,
          ]);
          assert(maxDiff(s.probabilities, w.probabilities) <= 1e-4, `${file}: segment ${k}`);
        }
        assertEquals(
          [got.padded, got.duration_s, got.sample_rate, got.source_rate, got.channels],
          [want.padded, want.duration_s, want.sample_rate, want.source_rate, want.channels],
        );
        // The timeline chart is drawn: one bar per (segment, shown label).
        const bars = await browser.eval<number>(
          "document.querySelectorAll('#timeline svg .mark-rect path').length",
        );
        assert(bars >= got.segments.length, `timeline has ${bars} bars`);
      }
      assertEquals(cli[2]!.padded, true);
      assertEquals(cli[1]!.source_rate, 44100);

      // A file that is not audio: a clear error naming it, no prediction.
      await browser.eval("delete window.mgcPrediction; delete window.mgcError; 1");
      await browser.setFile("#audio-file", text);
      const err = await browser.waitFor<string>("window.mgcError");
      assert(err.includes("notes.wav"), err);
      assertEquals(await browser.eval<unknown>("window.mgcPrediction ?? null"), null);

      // Nothing left localhost.
      const urls = browser.events
        .filter((e) => e.method === "Network.requestWillBeSent")
        .map((e) => (e.params!.request as { url: string }).url);
      const off = urls.filter((u) =>
        !u.startsWith(server!.url) && !u.startsWith("blob:") && !u.startsWith("data:")
      );
      assertEquals(off, []);
      assert(urls.some((u) => u.endsWith("/tfjs/tfjs-backend-wasm-simd.wasm")), "wasm fetched");

      const shot = Deno.env.get("MGC_WEB_SCREENSHOT");
      if (shot) {
        await browser.setFile("#audio-file", wav);
        await browser.waitFor("window.mgcPrediction");
        const { data } = await browser.send("Page.captureScreenshot", {
          format: "png",
          captureBeyondViewport: true,
        }) as { data: string };
        await Deno.writeFile(shot, Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
      }
      console.log(
        `web: build ${buildMs.toFixed(0)} ms; page load to ready ${loadMs.toFixed(0)} ms; ` +
          `first prediction (30 s clip) ${timings[0]}; then ${timings.slice(1).join(", ")}`,
      );
    } finally {
      await browser.close();
      await server?.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
