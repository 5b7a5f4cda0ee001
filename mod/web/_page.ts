/// <reference lib="dom" />
// This module runs in the browser, where `window` is the page (the contract below lives on it).
// deno-lint-ignore-file no-window
/**
 * The browser page's main thread (bundled to `page.js`): loads a bundle over HTTP, hands files to
 * the feature worker, runs the model with TensorFlow.js (WebGPU when the browser has it, else
 * WebGL, else wasm; `?backend=wasm|webgl|webgpu|cpu` forces one) and shows the top genres, the
 * per-segment timeline and the model's facts.
 *
 * The contract for scripts and tests: the file input has the id `audio-file`; when a prediction
 * is finished `window.mgcPrediction` is the object `deno task predict --json` prints for the same
 * file and bundle; when it fails, `window.mgcError` is the message.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as vega from "vega";
import { expressionInterpreter } from "vega-interpreter";
import { compile } from "vega-lite";
import { featureShape } from "../features/features.ts";
import type { ScalerJson } from "../features/scaler.ts";
import { Scaler } from "../features/scaler.ts";
import { parseNpy } from "../npy.ts";
import { bundleProblems, type Preprocessing } from "../predict/bundle_format.ts";
import { type TrackPrediction, trackPrediction } from "../predict/classify.ts";
import { timelineSpec } from "../report/plots_timeline.ts";
import type { FromWorker, ToWorker } from "./_protocol.ts";
import type { WebModelEntry } from "./build.ts";

declare global {
  interface Window {
    mgcPrediction?: TrackPrediction;
    mgcError?: string;
    mgcBackend?: string;
    mgcTimings?: Record<string, number>;
  }
}

/** Web Audio decodes other formats at this rate; the project's resampler takes it from there. */
const WEB_AUDIO_RATE = 48_000;
/** Seconds the microphone records. */
const RECORD_SECONDS = 10;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const statusEl = $("status"), errorEl = $("error"), progressEl = $<HTMLProgressElement>("progress");

interface WebBundle {
  entry: WebModelEntry;
  base: string;
  model: tf.LayersModel;
  preprocessing: Preprocessing;
  labels: string[];
  scaler: Scaler;
  scalerJson: ScalerJson;
}

let bundle: WebBundle | null = null;
let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, (m: FromWorker) => void>();

function setStatus(text: string, fraction?: number): void {
  statusEl.textContent = text;
  if (fraction !== undefined) progressEl.value = fraction;
}

function fail(message: string): void {
  window.mgcError = message;
  errorEl.textContent = message;
  errorEl.hidden = false;
  setStatus("Stopped: see the message below.", 0);
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}

async function chooseBackend(): Promise<string> {
  const forced = new URLSearchParams(location.search).get("backend");
  const order = forced ? [forced] : ["webgpu", "webgl", "wasm"];
  setWasmPaths(new URL("./tfjs/", location.href).href);
  for (const name of order) {
    try {
      if (name === "webgpu") {
        if (!("gpu" in navigator)) continue;
        await import("@tensorflow/tfjs-backend-webgpu");
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // next backend
    }
  }
  throw new Error(`no TensorFlow.js backend works in this browser (tried ${order.join(", ")})`);
}

async function loadBundle(entry: WebModelEntry): Promise<WebBundle> {
  const base = new URL(`./models/${entry.id}/`, location.href).href;
  const json = async <T>(name: string): Promise<T> =>
    (await (await fetchOk(base + name)).json()) as T;
  const [preprocessing, labels, scalerJson] = await Promise.all([
    json<Preprocessing>("preprocessing.json"),
    json<string[]>("labels.json"),
    json<ScalerJson>("scaler.json"),
  ]);
  if (
    preprocessing.format !== "mgc-preprocessing/1" ||
    preprocessing.db_reference !== "max-per-segment"
  ) {
    throw new Error(
      `${entry.name}: this page does not support its feature recipe (format ${
        JSON.stringify(preprocessing.format)
      }, dB reference ${JSON.stringify(preprocessing.db_reference)})`,
    );
  }
  try {
    featureShape(preprocessing.features);
  } catch (e) {
    throw new Error(`${entry.name}: unsupported feature recipe (${(e as Error).message})`);
  }
  const npy = async (name: string): Promise<ArrayLike<number | bigint>> =>
    parseNpy(new Uint8Array(await (await fetchOk(base + name)).arrayBuffer()), base + name).data;
  const scaler = Scaler.fromArrays(
    scalerJson,
    await npy(scalerJson.mean_file),
    await npy(scalerJson.std_file),
    base,
  );
  const model = await tf.loadLayersModel(base + "model.json");
  const problems = bundleProblems({ model, preprocessing, labels, scaler });
  if (problems.length) {
    model.dispose();
    throw new Error(`${entry.name}: mismatched bundle: ${problems.join("; ")}`);
  }
  return { entry, base, model, preprocessing, labels, scaler, scalerJson };
}

function startWorker(b: WebBundle): Promise<void> {
  worker?.terminate();
  worker = new Worker(new URL("./worker.js", location.href), { type: "module" });
  return new Promise((resolve, reject) => {
    worker!.onerror = (e) => reject(new Error(`feature worker: ${e.message}`));
    worker!.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.type === "ready") resolve();
      else if (m.type === "progress") setStatus(`${m.stage}…`, m.fraction);
      else pending.get(m.id)?.(m);
    };
    const init: ToWorker = {
      type: "init",
      preprocessing: b.preprocessing,
      scaler: b.scalerJson,
      mean: b.scaler.mean,
      std: b.scaler.std,
    };
    worker!.postMessage(init);
  });
}

function ask(msg: ToWorker, transfer: Transferable[]): Promise<FromWorker> {
  return new Promise((resolve) => {
    pending.set((msg as { id: number }).id, (m) => {
      pending.delete((msg as { id: number }).id);
      resolve(m);
    });
    worker!.postMessage(msg, transfer);
  });
}

/** Decodes with the browser (any format it knows) to mono float32 at {@linkcode WEB_AUDIO_RATE}. */
async function webAudioDecode(
  name: string,
  bytes: ArrayBuffer,
): Promise<{ samples: Float32Array; channels: number }> {
  const ctx = new OfflineAudioContext(1, 1, WEB_AUDIO_RATE);
  let buf: AudioBuffer;
  try {
    buf = await ctx.decodeAudioData(bytes);
  } catch {
    throw new Error(
      `${name}: this browser cannot decode the file (not audio, or an unsupported format)`,
    );
  }
  const mono = new Float32Array(buf.length);
  for (let c = 0; c < buf.numberOfChannels; c++) {
    const ch = buf.getChannelData(c);
    for (let i = 0; i < ch.length; i++) mono[i]! += ch[i]! / buf.numberOfChannels;
  }
  return { samples: mono, channels: buf.numberOfChannels };
}

async function classify(name: string, bytes: ArrayBuffer): Promise<void> {
  if (!bundle || !worker) return;
  errorEl.hidden = true;
  delete window.mgcError;
  delete window.mgcPrediction;
  const t0 = performance.now();
  $("file-name").textContent = `· ${name}`;
  setStatus("reading the file…", 0.05);
  const id = nextId++;
  let reply = await ask({ type: "bytes", id, name, bytes: bytes.slice(0) }, []);
  if (reply.type === "unsupported") {
    setStatus("decoding with the browser…", 0.1);
    const { samples, channels } = await webAudioDecode(name, bytes);
    reply = await ask({
      type: "samples",
      id,
      name,
      samples,
      sampleRate: WEB_AUDIO_RATE,
      channels,
    }, [samples.buffer]);
  }
  if (reply.type === "error") throw new Error(reply.message);
  if (reply.type !== "input") throw new Error(`${name}: unexpected reply ${reply.type}`);
  const tFeatures = performance.now();
  const c = bundle.labels.length;
  const probs = new Float32Array(reply.segments * c);
  const size = reply.sampleShape.reduce((a, b) => a * b, 1);
  const batch = 8;
  for (let a = 0; a < reply.segments; a += batch) {
    const b = Math.min(reply.segments, a + batch);
    setStatus(
      `model: segments ${a + 1}–${b} of ${reply.segments}`,
      0.4 + 0.6 * (a / reply.segments),
    );
    const x = tf.tensor(reply.x.subarray(a * size, b * size), [b - a, ...reply.sampleShape]);
    const y = bundle.model.predict(x) as tf.Tensor;
    probs.set(await y.data() as Float32Array, a * c);
    tf.dispose([x, y]);
  }
  const prediction = trackPrediction({
    probs,
    labels: bundle.labels,
    features: bundle.preprocessing.features,
    segments: reply.segments,
    padded: reply.padded,
    samples: reply.samples,
    file: name,
    model: `models/${bundle.entry.id}`,
    sourceRate: reply.sourceRate,
    channels: reply.channels,
    top: 3,
  });
  const t1 = performance.now();
  window.mgcTimings = { features_ms: tFeatures - t0, model_ms: t1 - tFeatures, total_ms: t1 - t0 };
  await show(prediction);
  window.mgcPrediction = prediction;
  setStatus(`done in ${((t1 - t0) / 1000).toFixed(1)} s on ${window.mgcBackend}`, 1);
}

async function show(p: TrackPrediction): Promise<void> {
  const top = $("top");
  top.replaceChildren(...p.top.map((t) => {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = t.label;
    const track = document.createElement("span");
    track.className = "bar-track";
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.display = "block";
    bar.style.width = `${(100 * t.probability).toFixed(1)}%`;
    track.append(bar);
    const pct = document.createElement("span");
    pct.className = "pct";
    pct.textContent = `${(100 * t.probability).toFixed(1)} %`;
    li.append(label, track, pct);
    return li;
  }));
  const notes: string[] = [
    `${p.duration_s.toFixed(1)} s, ${p.segments.length} segment(s) of ${
      (bundle!.preprocessing.features.segmentSamples / p.sample_rate).toFixed(2)
    } s`,
    `file at ${p.source_rate} Hz, ${p.channels} channel(s)`,
  ];
  if (p.padded) notes.push("shorter than one segment: zero-padded (flagged `padded`)");
  $("notes").textContent = notes.join(" · ");
  const spec = compile(timelineSpec(p) as never).spec;
  const el = $("timeline");
  el.replaceChildren();
  // The AST interpreter evaluates Vega expressions without `eval`, so the page's strict content
  // security policy (no 'unsafe-eval') holds.
  const view = new vega.View(vega.parse(spec, undefined, { ast: true }), {
    renderer: "svg",
    container: el,
    hover: true,
    expr: expressionInterpreter,
  });
  await view.runAsync();
}

function showModel(b: WebBundle, backend: string): void {
  const e = b.entry;
  const rows: [string, string][] = [
    ["model", e.name],
    ["dataset", `${e.dataset} (${e.split} split)`],
    ["labels", b.labels.join(", ")],
    [
      "test accuracy",
      e.testAccuracy === null
        ? "not recorded"
        : `${(100 * e.testAccuracy).toFixed(1)} % of segments` +
          (e.testTrackAccuracy === null
            ? ""
            : `, ${(100 * e.testTrackAccuracy).toFixed(1)} % of tracks`),
    ],
    ["trained", e.trained],
    [
      "features",
      `${b.preprocessing.features.nMels} mels × ${b.preprocessing.features.frames} frames at ${b.preprocessing.features.sampleRate} Hz`,
    ],
    ["backend", backend],
  ];
  $("model-info").replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    return [dt, dd];
  }));
}

async function selectModel(entry: WebModelEntry): Promise<void> {
  setStatus(`loading ${entry.name}…`, 0);
  bundle?.model.dispose();
  bundle = await loadBundle(entry);
  await startWorker(bundle);
  showModel(bundle, window.mgcBackend!);
  setStatus("Ready: choose, drop or record audio.", 0);
}

async function recordMicrophone(button: HTMLButtonElement): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const rec = new MediaRecorder(stream);
  const chunks: Blob[] = [];
  rec.ondataavailable = (e) => chunks.push(e.data);
  const stopped = new Promise<void>((r) => (rec.onstop = () => r()));
  button.setAttribute("aria-pressed", "true");
  button.textContent = "Recording… (click to stop)";
  const stop = (): void => {
    if (rec.state === "recording") rec.stop();
  };
  button.onclick = stop;
  rec.start();
  setTimeout(stop, RECORD_SECONDS * 1000);
  await stopped;
  stream.getTracks().forEach((t) => t.stop());
  button.setAttribute("aria-pressed", "false");
  button.textContent = `Record ${RECORD_SECONDS} s from the microphone`;
  button.onclick = () => run(() => recordMicrophone(button));
  const blob = new Blob(chunks, { type: rec.mimeType });
  await classify("microphone recording", await blob.arrayBuffer());
}

function run(fn: () => Promise<void>): void {
  fn().catch((e) => fail((e as Error).message));
}

async function main(): Promise<void> {
  const t0 = performance.now();
  window.mgcBackend = await chooseBackend();
  const entries = (await (await fetchOk("./models.json")).json()) as WebModelEntry[];
  if (entries.length === 0) throw new Error("this page was built without a model");
  const select = $<HTMLSelectElement>("model");
  select.replaceChildren(...entries.map((e, i) => {
    const o = document.createElement("option");
    o.value = String(i);
    o.textContent = e.name;
    return o;
  }));
  select.onchange = () => run(() => selectModel(entries[Number(select.value)]!));
  const wanted = new URLSearchParams(location.search).get("model");
  const first = Math.max(0, entries.findIndex((e) => e.id === wanted));
  select.value = String(first);
  await selectModel(entries[first]!);
  window.mgcTimings = { load_ms: performance.now() - t0 };
  const input = $<HTMLInputElement>("audio-file");
  input.onchange = () => {
    const f = input.files?.[0];
    if (f) run(async () => classify(f.name, await f.arrayBuffer()));
  };
  const drop = $("drop");
  drop.ondragover = (e) => {
    e.preventDefault();
    drop.classList.add("over");
  };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = e.dataTransfer?.files[0];
    if (f) run(async () => classify(f.name, await f.arrayBuffer()));
  };
  drop.onkeydown = (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      input.click();
    }
  };
  const rec = $<HTMLButtonElement>("record");
  if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
    rec.disabled = true;
    rec.title = "this browser gives no microphone access here";
  } else rec.onclick = () => run(() => recordMicrophone(rec));
}

run(main);
