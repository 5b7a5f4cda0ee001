/**
 * Test helpers for the setup pipeline: tiny WAV and AU encoders (16-bit linear PCM, written here
 * so the tests do not depend on the decoder under test) and a generator of GTZAN-layout trees.
 * Private to the tests.
 *
 * @module
 */
import { join } from "node:path";
import { Rng } from "../rng.ts";

function pcm16(x: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(x * 32768)));
}

/** A mono 16-bit PCM WAV file. */
export function wav16(samples: Float32Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const v = new DataView(out.buffer);
  const tag = (o: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i);
  };
  tag(0, "RIFF");
  v.setUint32(4, 36 + samples.length * 2, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  tag(36, "data");
  v.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) v.setInt16(44 + 2 * i, pcm16(samples[i]!), true);
  return out;
}

/** A mono 16-bit linear (encoding 3) big-endian AU/SND file, as the original GTZAN `.au`. */
export function au16(samples: Float32Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(24 + samples.length * 2);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x2e736e64); // ".snd"
  v.setUint32(4, 24);
  v.setUint32(8, samples.length * 2);
  v.setUint32(12, 3);
  v.setUint32(16, sampleRate);
  v.setUint32(20, 1);
  for (let i = 0; i < samples.length; i++) v.setInt16(24 + 2 * i, pcm16(samples[i]!));
  return out;
}

/** A clip whose spectrum depends on its class: a class tone, noise bursts and seeded noise. */
export function clip(label: number, index: number, n: number, sampleRate: number): Float32Array {
  const rng = new Rng(1000 * label + index);
  const w = (2 * Math.PI * 110 * 2 ** (label / 2)) / sampleRate;
  const period = 4000 + 500 * label;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const burst = i % period < 300 ? 0.6 : 0.04;
    out[i] = 0.3 * Math.sin(w * i) + burst * (rng.next() - 0.5);
  }
  return out;
}

/** Options of {@linkcode makeGenreTree}. */
export interface TreeOptions {
  /** Class folder names. */
  genres: string[];
  /** Clips per genre. */
  perGenre: number;
  /** Samples per clip (or a function of genre and clip index). */
  samples: number | ((genre: number, index: number) => number);
  sampleRate?: number;
  format: "au" | "wav";
  /** First clip number (default 0). */
  firstIndex?: number;
}

/**
 * Writes `<root>/<genre>/<genre>.<nnnnn>.<format>` and returns the relative paths.
 */
export async function makeGenreTree(root: string, opts: TreeOptions): Promise<string[]> {
  const sr = opts.sampleRate ?? 22050;
  const paths: string[] = [];
  for (const [g, genre] of opts.genres.entries()) {
    await Deno.mkdir(join(root, genre), { recursive: true });
    for (let k = 0; k < opts.perGenre; k++) {
      const num = (opts.firstIndex ?? 0) + k;
      const rel = `${genre}/${genre}.${String(num).padStart(5, "0")}.${opts.format}`;
      const n = typeof opts.samples === "number" ? opts.samples : opts.samples(g, k);
      const x = clip(g, num, n, sr);
      await Deno.writeFile(join(root, rel), opts.format === "au" ? au16(x, sr) : wav16(x, sr));
      paths.push(rel);
    }
  }
  return paths;
}
