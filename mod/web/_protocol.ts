/**
 * The messages between the page and its feature worker. The worker runs the CLI's own feature
 * code (decoding WAV/AU/MP3, the resampler, segmentation, log-mel, the bundle's scaler); the page
 * decodes other formats with Web Audio and runs the model.
 *
 * @module
 */
import type { ScalerJson } from "../features/scaler.ts";
import type { Preprocessing } from "../predict/bundle_format.ts";

/** Page → worker. */
export type ToWorker =
  | {
    type: "init";
    preprocessing: Preprocessing;
    scaler: ScalerJson;
    mean: Float64Array;
    std: Float64Array;
  }
  /** A file's bytes: decoded in the worker when they are WAV, AU or MP3. */
  | { type: "bytes"; id: number; name: string; bytes: ArrayBuffer }
  /** Samples the page decoded with Web Audio (other formats, the microphone). */
  | {
    type: "samples";
    id: number;
    name: string;
    samples: Float32Array;
    sampleRate: number;
    channels: number;
  };

/** Worker → page. */
export type FromWorker =
  | { type: "ready" }
  | { type: "progress"; id: number; stage: string; fraction: number }
  /** The bytes are not WAV/AU/MP3: the page should decode them with Web Audio. */
  | { type: "unsupported"; id: number }
  | {
    type: "input";
    id: number;
    x: Float32Array;
    segments: number;
    sampleShape: [number, number, number];
    padded: boolean;
    /** Decoded length at the bundle's rate. */
    samples: number;
    sourceRate: number;
    channels: number;
  }
  | { type: "error"; id: number; message: string };
