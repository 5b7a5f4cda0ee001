/// <reference lib="deno.worker" />
/**
 * The page's feature worker (bundled to `worker.js`): the same decoding, resampling, log-mel and
 * scaling code as `deno task predict` (`predictionInput`), off the page's main thread.
 *
 * @module
 */
import { AudioDecodeError, decodeAudio, sniffAudioFormat } from "../audio/audio.ts";
import { resample } from "../audio/resample.ts";
import { NonFiniteError } from "../audio/finite.ts";
import { Scaler } from "../features/scaler.ts";
import type { Preprocessing } from "../predict/bundle_format.ts";
import { predictionInput } from "../predict/classify.ts";
import type { FromWorker, ToWorker } from "./_protocol.ts";

let pre: Preprocessing | null = null;
let scaler: Scaler | null = null;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(
    msg,
    transfer,
  );
}

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === "init") {
    pre = msg.preprocessing;
    scaler = Scaler.fromArrays(msg.scaler, msg.mean, msg.std, "the bundle's scaler");
    post({ type: "ready" });
    return;
  }
  const { id, name } = msg;
  try {
    if (!pre || !scaler) throw new Error("the feature worker has no bundle yet");
    const rate = pre.features.sampleRate;
    let samples: Float32Array, sourceRate: number, channels: number;
    if (msg.type === "bytes") {
      const bytes = new Uint8Array(msg.bytes);
      if (sniffAudioFormat(bytes) === undefined) {
        post({ type: "unsupported", id });
        return;
      }
      post({ type: "progress", id, stage: "decoding", fraction: 0.1 });
      const audio = await decodeAudio(bytes, name, { targetRate: rate });
      ({ samples, sourceRate, channels } = audio);
    } else {
      post({ type: "progress", id, stage: "resampling", fraction: 0.15 });
      samples = msg.sampleRate === rate ? msg.samples : resample(msg.samples, msg.sampleRate, rate);
      sourceRate = msg.sampleRate;
      channels = msg.channels;
    }
    post({ type: "progress", id, stage: "log-mel features", fraction: 0.3 });
    // Throws a NonFiniteError naming the file when a sample or feature is NaN or infinite.
    const input = predictionInput(samples, pre, scaler, name);
    post({
      type: "input",
      id,
      x: input.x,
      segments: input.segments,
      sampleShape: input.sampleShape,
      padded: input.padded,
      samples: samples.length,
      sourceRate,
      channels,
    }, [input.x.buffer as ArrayBuffer]);
  } catch (e) {
    const message = e instanceof AudioDecodeError || e instanceof NonFiniteError
      ? e.message
      : `${name}: ${(e as Error).message}`;
    post({ type: "error", id, message });
  }
}

self.onmessage = (e: MessageEvent<ToWorker>): void => {
  handle(e.data);
};
