/**
 * A SYNTHETIC, genre-like demo dataset in GTZAN's layout, generated from a seed: it lets anyone run
 * the whole pipeline (setup, training, analysis) in minutes without downloading GTZAN. It is not
 * music and not GTZAN: accuracies on it say nothing about music genre classification.
 *
 * Ten classes named after GTZAN's genres (`blues` … `rock`) so that the demo exercises the same
 * code paths (folder layout, labels, file names). Each class is a style: tempo, drum grid and
 * swing, chord rhythm, bass line, harmonic language and instrument timbres (additive wavetables
 * with decaying partials, two-operator FM, distortion, noise bursts, echo). Classes differ in
 * spectro-temporal patterns, not in loudness: every clip is normalised to a random peak drawn from
 * the same range for all classes. Within a class, clips vary in tempo (±5 %), key, chord
 * progression, pattern variants, levels, phases, noise floor and instrument choices, so a model has
 * to learn patterns rather than memorise a template.
 *
 * Everything is drawn from {@linkcode Rng} streams derived from the seed and the file name, so the
 * same seed gives byte-identical files in any order.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../fs.ts";
import { Rng } from "../rng.ts";
import { encodeWav } from "../audio/wav_write.ts";

/** The class names, GTZAN's genres in their sorted order. */
export const DEMO_GENRES = [
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
] as const;

/** Options for {@linkcode synthesizeDemoDataset}. */
export interface DemoDataOptions {
  /** Seed of every random choice (default 42). */
  seed?: number;
  /** Number of classes, the first of {@linkcode DEMO_GENRES} (1..10, default 10). */
  classes?: number;
  /** Clips per class (default 20). */
  clipsPerClass?: number;
  /** Seconds per clip (default 30, as GTZAN). */
  seconds?: number;
  /** Sample rate in Hz (default 22050, as GTZAN). */
  sampleRate?: number;
  /** Called after each file is written (for progress). */
  onFile?: (path: string) => void;
}

/**
 * Writes the synthetic dataset as `<outDir>/<genre>/<genre>.<nnnnn>.wav` (16-bit PCM mono) and
 * returns the number of files and the total seconds of audio.
 *
 * @example
 * ```ts ignore
 * import { synthesizeDemoDataset } from "./demo_data.ts";
 * const { files } = await synthesizeDemoDataset("data/demo/genres"); // 200 files
 * ```
 */
export async function synthesizeDemoDataset(
  outDir: string,
  options: DemoDataOptions = {},
): Promise<{ files: number; seconds: number }> {
  const seed = options.seed ?? 42;
  const classes = options.classes ?? 10;
  const clips = options.clipsPerClass ?? 20;
  const seconds = options.seconds ?? 30;
  const sampleRate = options.sampleRate ?? 22050;
  if (!Number.isInteger(classes) || classes < 1 || classes > DEMO_GENRES.length) {
    throw new RangeError(`classes must be 1..${DEMO_GENRES.length}, got ${classes}`);
  }
  if (!Number.isInteger(clips) || clips < 1) throw new RangeError(`clipsPerClass must be >= 1`);
  if (!(seconds > 0)) throw new RangeError(`seconds must be > 0, got ${seconds}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 8000) {
    throw new RangeError(`sampleRate must be an integer >= 8000, got ${sampleRate}`);
  }
  let files = 0;
  for (const genre of DEMO_GENRES.slice(0, classes)) {
    for (let i = 0; i < clips; i++) {
      const name = `${genre}.${String(i).padStart(5, "0")}.wav`;
      const samples = synthesizeClip(genre, { seed, index: i, seconds, sampleRate });
      const path = join(outDir, genre, name);
      await writeFileAtomic(path, encodeWav(samples, sampleRate));
      files++;
      options.onFile?.(path);
    }
  }
  return { files, seconds: files * Math.floor(seconds * sampleRate) / sampleRate };
}

/**
 * Synthesises one clip of `genre` (mono float32, peak below 1). Deterministic in
 * (`seed`, `genre`, `index`, `seconds`, `sampleRate`).
 *
 * @example
 * ```ts
 * import { synthesizeClip } from "./demo_data.ts";
 * const y = synthesizeClip("reggae", { seed: 1, index: 0, seconds: 2, sampleRate: 22050 });
 * console.log(y.length); // 44100
 * ```
 */
export function synthesizeClip(
  genre: DemoGenre,
  opts: { seed: number; index: number; seconds: number; sampleRate: number },
): Float32Array {
  const style = STYLES[genre];
  if (!style) throw new RangeError(`unknown demo genre "${genre}"`);
  const rng = new Rng(opts.seed).derive(`${genre}.${opts.index}`);
  return new Clip(style, rng, opts.sampleRate, Math.floor(opts.seconds * opts.sampleRate)).render();
}

/** One of {@linkcode DEMO_GENRES}. */
export type DemoGenre = typeof DEMO_GENRES[number];

// ---------------------------------------------------------------------------------------------
// Styles: what makes a class. Drum grids are 16 steps per 4/4 bar: X = accent, x = normal,
// o = ghost, . = rest. Chord and bass rhythms are [step, length in steps] pairs.
// ---------------------------------------------------------------------------------------------

/** An instrument's sound. */
interface Timbre {
  /** Amplitude of harmonic k (1-based) at the attack; `dull` is the spectrum it decays to. */
  bright: (k: number) => number;
  dull: (k: number) => number;
  /** Time constant (s) of the bright → dull crossfade (filter-like decay of upper partials). */
  brighten: number;
  /** Attack (s), exponential decay time constant (s, Infinity = sustain), release (s). */
  attack: number;
  decay: number;
  release: number;
  /** Vibrato: rate (Hz) and depth (cents). */
  vibrato?: [number, number];
  /** Second voice detuned by this many cents (chorus, string section). */
  detune?: number;
  /** Two-operator FM instead of a wavetable: modulator ratio, index, index decay (s). */
  fm?: [number, number, number];
  /** Most harmonics to synthesise. */
  partials: number;
}

type Chord = [root: number, intervals: readonly number[]];
type Bass = "root" | "fifth" | "octave" | "walk";

interface Style {
  bpm: number;
  /** Swing ratio of the first note of each pair (0.5 = straight) and the swung unit. */
  swing: number;
  swingUnit: 8 | 16;
  drums: {
    kick: string[];
    snare: string[];
    hat: string[];
    open?: string[];
    ride?: string[];
  } | null;
  kit: Kit;
  /** Chord progressions, one chord per bar (semitones above the key root, intervals). */
  progressions: Chord[][];
  chordRhythm: [number, number][][];
  chordTimbres: Timbre[];
  /** Octave offset of chords (semitones above the bass key root). */
  chordOctave: number;
  bassRhythm: [number, number, Bass][][];
  bassTimbre: Timbre;
  /** Scale for melodies (semitones) and note lengths in steps; null = no melody. */
  melody: {
    scale: number[];
    /** Scale used instead when the progression starts on a minor chord. */
    minorScale?: number[];
    lengths: number[];
    timbre: Timbre;
    rest: number;
  } | null;
  /** Distortion drive for the chord instrument (0 = clean). */
  drive: number;
  /** Echo: delay in steps and feedback. */
  echo?: [number, number];
  /** Extra noise: hiss level and crackle (clicks per second). */
  noise: [number, number];
  /** Crash cymbal every n bars (0 = never). */
  crashEvery: number;
}

interface Kit {
  kick: { f0: number; f1: number; tau: number; level: number };
  snare: { tone: number; toneTau: number; noiseTau: number; noise: number; level: number };
  hat: { tau: number; level: number };
  /** Rim click instead of a snare. */
  rim?: boolean;
}

const MAJ = [0, 4, 7], MIN = [0, 3, 7], DOM7 = [0, 4, 7, 10], MAJ7 = [0, 4, 7, 11];
const MIN7 = [0, 3, 7, 10], MIN9 = [0, 3, 7, 10, 14], POW = [0, 7, 12], DOM9 = [0, 4, 10, 14];

const pow = (p: number): (k: number) => number => (k) => k ** -p;
const odd = (p: number): (k: number) => number => (k) => (k % 2 ? k ** -p : 0.15 * k ** -p);
const gauss = (c: number, w: number): (k: number) => number => (k) =>
  Math.exp(-(((k - c) / w) ** 2)) + 0.3 / k;

const PLUCK: Timbre = {
  bright: pow(0.9),
  dull: pow(2.5),
  brighten: 0.12,
  attack: 0.003,
  decay: 0.7,
  release: 0.05,
  partials: 30,
};
const TWANG: Timbre = { ...PLUCK, bright: gauss(6, 4), brighten: 0.06, decay: 0.45 };
const STRINGS: Timbre = {
  bright: pow(1.0),
  dull: pow(1.6),
  brighten: 1.5,
  attack: 0.25,
  decay: Infinity,
  release: 0.3,
  vibrato: [5.5, 14],
  detune: 9,
  partials: 24,
};
const PIANO: Timbre = {
  bright: pow(1.4),
  dull: pow(3),
  brighten: 0.35,
  attack: 0.002,
  decay: 1.2,
  release: 0.12,
  partials: 20,
};
const EPIANO: Timbre = { ...PIANO, fm: [1, 1.8, 0.4], decay: 1.0 };
const BELL_EP: Timbre = { ...PIANO, fm: [3.5, 2.5, 0.25], decay: 0.8 };
const ORGAN: Timbre = {
  bright: (k) => (k === 1 || k === 2 || k === 3 || k === 4 || k === 6 || k === 8 ? 1 / k : 0),
  dull: (k) => (k === 1 || k === 2 || k === 3 || k === 4 || k === 6 || k === 8 ? 1 / k : 0),
  brighten: 1,
  attack: 0.005,
  decay: Infinity,
  release: 0.02,
  partials: 8,
};
const POWER_GTR: Timbre = {
  bright: pow(1),
  dull: pow(1.3),
  brighten: 0.4,
  attack: 0.002,
  decay: 1.5,
  release: 0.03,
  partials: 20,
};
const CHUG: Timbre = { ...POWER_GTR, decay: 0.12, brighten: 0.05 };
const PAD: Timbre = {
  ...STRINGS,
  bright: pow(1),
  dull: pow(2.2),
  attack: 0.08,
  vibrato: undefined,
  detune: 14,
};
const SQUARE_LEAD: Timbre = {
  bright: odd(1),
  dull: odd(1.5),
  brighten: 0.5,
  attack: 0.01,
  decay: 2,
  release: 0.05,
  vibrato: [5, 10],
  partials: 16,
};
const SAX: Timbre = { ...SQUARE_LEAD, bright: gauss(3, 3), dull: pow(1.6), vibrato: [5, 18] };
const FIDDLE: Timbre = { ...STRINGS, attack: 0.04, vibrato: [6, 22], detune: undefined };
const BLUES_LEAD: Timbre = {
  ...PLUCK,
  bright: pow(0.7),
  dull: pow(1.4),
  decay: 1.5,
  vibrato: [5.5, 25],
};
const ROUND_BASS: Timbre = {
  bright: pow(2.5),
  dull: pow(4),
  brighten: 0.2,
  attack: 0.004,
  decay: 1.2,
  release: 0.04,
  partials: 8,
};
const SUB_808: Timbre = {
  ...ROUND_BASS,
  bright: (k) => (k === 1 ? 1 : k === 2 ? 0.15 : 0),
  decay: 1.5,
};
const PICK_BASS: Timbre = { ...ROUND_BASS, bright: pow(1.3), dull: pow(2.5), decay: 0.6 };
const SYNTH_BASS: Timbre = {
  ...ROUND_BASS,
  bright: pow(1),
  dull: pow(2),
  brighten: 0.08,
  decay: 0.4,
};
const CELLO: Timbre = { ...STRINGS, detune: undefined, vibrato: [5, 10], partials: 16 };

const MAJOR = [0, 2, 4, 5, 7, 9, 11], MINOR = [0, 2, 3, 5, 7, 8, 10];
const PENTA_MAJ = [0, 2, 4, 7, 9],
  BLUES_SCALE = [0, 3, 5, 6, 7, 10],
  DORIAN = [0, 2, 3, 5, 7, 9, 10];

const BEATS: [number, number][] = [[0, 4], [4, 4], [8, 4], [12, 4]];
const EIGHTHS = (len: number): [number, number][] =>
  Array.from({ length: 8 }, (_, i) => [2 * i, len] as [number, number]);
const ROCK_KIT: Kit = {
  kick: { f0: 160, f1: 50, tau: 0.18, level: 1 },
  snare: { tone: 190, toneTau: 0.05, noiseTau: 0.12, noise: 0.8, level: 0.8 },
  hat: { tau: 0.035, level: 0.3 },
};

const STYLES: Record<DemoGenre, Style> = {
  blues: {
    bpm: 82,
    swing: 0.67,
    swingUnit: 8,
    drums: {
      kick: ["X.......X.......", "X.....x.X......."],
      snare: ["....X.......X..."],
      hat: ["x.x.x.x.x.x.x.x.", "x.o.x.o.x.o.x.o."],
    },
    kit: {
      ...ROCK_KIT,
      snare: { ...ROCK_KIT.snare, noiseTau: 0.15 },
      hat: { tau: 0.05, level: 0.25 },
    },
    progressions: [
      [
        [0, DOM7],
        [0, DOM7],
        [0, DOM7],
        [0, DOM7],
        [5, DOM7],
        [5, DOM7],
        [0, DOM7],
        [0, DOM7],
        [7, DOM7],
        [5, DOM7],
        [0, DOM7],
        [7, DOM7],
      ],
      [
        [0, DOM7],
        [5, DOM7],
        [0, DOM7],
        [0, DOM7],
        [5, DOM7],
        [5, DOM7],
        [0, DOM7],
        [0, DOM7],
        [7, DOM7],
        [5, DOM7],
        [0, DOM7],
        [7, DOM7],
      ],
    ],
    chordRhythm: [[[0, 3], [4, 3], [8, 3], [12, 3]], [
      [0, 2],
      [2, 2],
      [4, 2],
      [6, 2],
      [8, 2],
      [10, 2],
      [12, 2],
      [14, 2],
    ]],
    chordTimbres: [PLUCK, PIANO],
    chordOctave: 12,
    bassRhythm: [BEATS.map(([s, l]) => [s, l, "walk"] as [number, number, Bass])],
    bassTimbre: PICK_BASS,
    melody: { scale: BLUES_SCALE, lengths: [2, 2, 4, 6], timbre: BLUES_LEAD, rest: 0.35 },
    drive: 0.8,
    noise: [0.004, 0],
    crashEvery: 0,
  },
  classical: {
    bpm: 72,
    swing: 0.5,
    swingUnit: 8,
    drums: null,
    kit: ROCK_KIT,
    progressions: [
      [[0, MAJ], [5, MAJ], [7, MAJ], [0, MAJ]],
      [[0, MIN], [5, MIN], [7, MAJ], [0, MIN]],
      [[0, MAJ], [9, MIN], [2, MIN], [7, DOM7]],
      [[0, MIN], [8, MAJ], [3, MAJ], [7, MAJ]],
    ],
    chordRhythm: [[[0, 16]], [[0, 8], [8, 8]]],
    chordTimbres: [STRINGS, STRINGS, PIANO],
    chordOctave: 12,
    bassRhythm: [[[0, 8, "root"], [8, 8, "fifth"]], [[0, 16, "root"]]],
    bassTimbre: CELLO,
    melody: { scale: MAJOR, minorScale: MINOR, lengths: [2, 4, 4, 8], timbre: FIDDLE, rest: 0.1 },
    drive: 0,
    echo: [3, 0.35],
    noise: [0.002, 0],
    crashEvery: 0,
  },
  country: {
    bpm: 118,
    swing: 0.5,
    swingUnit: 8,
    drums: {
      kick: ["X.......X.......", "X.......X...x..."],
      snare: ["....x.......x..."],
      hat: ["x.x.x.x.x.x.x.x."],
    },
    kit: {
      ...ROCK_KIT,
      snare: { tone: 220, toneTau: 0.03, noiseTau: 0.2, noise: 0.6, level: 0.5 },
    },
    progressions: [
      [[0, MAJ], [0, MAJ], [5, MAJ], [5, MAJ], [7, MAJ], [7, MAJ], [0, MAJ], [0, MAJ]],
      [[0, MAJ], [5, MAJ], [0, MAJ], [7, MAJ]],
    ],
    chordRhythm: [[[4, 2], [12, 2]], [[2, 2], [4, 2], [10, 2], [12, 2]]],
    chordTimbres: [TWANG],
    chordOctave: 12,
    bassRhythm: [[[0, 4, "root"], [8, 4, "fifth"]]],
    bassTimbre: PICK_BASS,
    melody: { scale: PENTA_MAJ, lengths: [1, 2, 2, 4], timbre: FIDDLE, rest: 0.25 },
    drive: 0,
    noise: [0.003, 0],
    crashEvery: 0,
  },
  disco: {
    bpm: 122,
    swing: 0.5,
    swingUnit: 16,
    drums: {
      kick: ["X...X...X...X..."],
      snare: ["....X.......X..."],
      hat: ["o.o.o.o.o.o.o.o.", "oooooooooooooooo"],
      open: ["..x...x...x...x."],
    },
    kit: {
      ...ROCK_KIT,
      kick: { f0: 130, f1: 55, tau: 0.12, level: 1 },
      hat: { tau: 0.025, level: 0.25 },
    },
    progressions: [[[0, MIN7], [5, MIN7]], [[0, MIN7], [0, MIN7], [5, DOM9], [5, DOM9]], [
      [0, MAJ7],
      [9, MIN7],
      [2, MIN7],
      [7, DOM7],
    ]],
    chordRhythm: [[[0, 2], [6, 2], [10, 2]], [[2, 2], [6, 2], [10, 2], [14, 2]]],
    chordTimbres: [EPIANO, STRINGS, BELL_EP],
    chordOctave: 12,
    bassRhythm: [
      Array.from(
        { length: 8 },
        (_, i) => [2 * i, 2, i % 2 ? "octave" : "root"] as [number, number, Bass],
      ),
    ],
    bassTimbre: SYNTH_BASS,
    melody: null,
    drive: 0,
    noise: [0.003, 0],
    crashEvery: 8,
  },
  hiphop: {
    bpm: 90,
    swing: 0.6,
    swingUnit: 16,
    drums: {
      kick: ["X......X..X.....", "X.....X...X..x..", "X.X.......X....."],
      snare: ["....X.......X..."],
      hat: ["x.x.x.x.x.x.x.x.", "xoxoxoxoxoxoxoxo"],
    },
    kit: {
      kick: { f0: 90, f1: 42, tau: 0.45, level: 1.1 },
      snare: { tone: 170, toneTau: 0.04, noiseTau: 0.09, noise: 1, level: 0.9 },
      hat: { tau: 0.03, level: 0.25 },
    },
    progressions: [[[0, MIN7], [0, MIN7], [8, MAJ7], [8, MAJ7]], [[0, MIN9], [5, MIN9]], [
      [0, MIN7],
      [3, MAJ7],
      [8, MAJ7],
      [7, MIN7],
    ]],
    chordRhythm: [[[0, 16]], [[0, 6], [10, 6]]],
    chordTimbres: [PIANO, EPIANO],
    chordOctave: 12,
    bassRhythm: [[[0, 7, "root"], [10, 6, "root"]], [[0, 3, "root"], [7, 3, "root"], [
      10,
      6,
      "fifth",
    ]]],
    bassTimbre: SUB_808,
    melody: null,
    drive: 0,
    noise: [0.006, 30],
    crashEvery: 0,
  },
  jazz: {
    bpm: 165,
    swing: 0.67,
    swingUnit: 8,
    drums: {
      kick: ["o.......o.......", "................"],
      snare: ["......o.......o.", "..........o....."],
      hat: ["....x.......x..."],
      ride: ["X...X.x.X...X.x."],
    },
    kit: {
      kick: { f0: 110, f1: 55, tau: 0.15, level: 0.5 },
      snare: { tone: 200, toneTau: 0.02, noiseTau: 0.18, noise: 0.5, level: 0.4 },
      hat: { tau: 0.03, level: 0.2 },
    },
    progressions: [
      [[2, MIN7], [7, DOM9], [0, MAJ7], [0, MAJ7]],
      [[0, MAJ7], [9, MIN7], [2, MIN7], [7, DOM7]],
      [[2, MIN9], [7, DOM9], [0, MAJ7], [9, DOM7]],
    ],
    chordRhythm: [[[0, 3], [6, 2]], [[2, 2], [10, 3]], [[6, 2], [12, 2]]],
    chordTimbres: [EPIANO, PIANO],
    chordOctave: 12,
    bassRhythm: [BEATS.map(([s, l]) => [s, l, "walk"] as [number, number, Bass])],
    bassTimbre: ROUND_BASS,
    melody: { scale: DORIAN, lengths: [2, 2, 2, 4], timbre: SAX, rest: 0.3 },
    drive: 0,
    noise: [0.003, 0],
    crashEvery: 0,
  },
  metal: {
    bpm: 172,
    swing: 0.5,
    swingUnit: 8,
    drums: {
      kick: ["XxXxXxXxXxXxXxXx", "X.X.X.X.X.X.X.X."],
      snare: ["....X.......X..."],
      hat: ["x.x.x.x.x.x.x.x."],
    },
    kit: {
      kick: { f0: 200, f1: 60, tau: 0.07, level: 1 },
      snare: { tone: 210, toneTau: 0.04, noiseTau: 0.1, noise: 1, level: 1 },
      hat: { tau: 0.06, level: 0.35 },
    },
    progressions: [[[0, POW], [0, POW], [8, POW], [10, POW]], [[0, POW], [1, POW], [0, POW], [
      6,
      POW,
    ]], [[0, POW], [3, POW], [5, POW], [1, POW]]],
    chordRhythm: [
      Array.from({ length: 16 }, (_, i) => [i, 1] as [number, number]),
      [[0, 1], [1, 1], [2, 1], [4, 1], [5, 1], [6, 1], [8, 2], [10, 1], [11, 1], [12, 4]],
    ],
    chordTimbres: [CHUG, POWER_GTR],
    chordOctave: 0,
    bassRhythm: [EIGHTHS(2).map(([s, l]) => [s, l, "root"] as [number, number, Bass])],
    bassTimbre: PICK_BASS,
    melody: null,
    drive: 25,
    noise: [0.01, 0],
    crashEvery: 4,
  },
  pop: {
    bpm: 110,
    swing: 0.5,
    swingUnit: 8,
    drums: {
      kick: ["X.......X.x.....", "X...X...X...X..."],
      snare: ["....X.......X..."],
      hat: ["x.x.x.x.x.x.x.x."],
    },
    kit: { ...ROCK_KIT, snare: { tone: 180, toneTau: 0.03, noiseTau: 0.1, noise: 1, level: 0.8 } },
    progressions: [[[0, MAJ], [7, MAJ], [9, MIN], [5, MAJ]], [[9, MIN], [5, MAJ], [0, MAJ], [
      7,
      MAJ,
    ]], [[0, MAJ], [5, MAJ], [9, MIN], [7, MAJ]]],
    chordRhythm: [[[0, 8], [8, 8]], EIGHTHS(2)],
    chordTimbres: [PAD, PIANO],
    chordOctave: 12,
    bassRhythm: [EIGHTHS(2).map(([s, l]) => [s, l, "root"] as [number, number, Bass])],
    bassTimbre: SYNTH_BASS,
    melody: { scale: PENTA_MAJ, lengths: [2, 4, 4, 8], timbre: SQUARE_LEAD, rest: 0.2 },
    drive: 0,
    echo: [3, 0.3],
    noise: [0.003, 0],
    crashEvery: 8,
  },
  reggae: {
    bpm: 76,
    swing: 0.56,
    swingUnit: 16,
    drums: {
      kick: ["........X......."],
      snare: ["........X......."],
      hat: ["x.x.x.x.x.x.x.x.", "x.xxx.xxx.xxx.xx"],
    },
    kit: { ...ROCK_KIT, kick: { f0: 120, f1: 50, tau: 0.2, level: 1 }, rim: true },
    progressions: [[[0, MAJ], [5, MAJ]], [[0, MIN], [5, MIN]], [[0, MAJ], [7, MAJ], [5, MAJ], [
      0,
      MAJ,
    ]]],
    chordRhythm: [[[4, 1], [12, 1]], [[2, 1], [6, 1], [10, 1], [14, 1]]],
    chordTimbres: [ORGAN, TWANG],
    chordOctave: 12,
    bassRhythm: [[[0, 3, "root"], [4, 2, "root"], [6, 2, "fifth"], [10, 2, "root"], [
      12,
      3,
      "octave",
    ]], [[2, 2, "root"], [6, 4, "fifth"], [12, 2, "root"]]],
    bassTimbre: ROUND_BASS,
    melody: null,
    drive: 0,
    echo: [6, 0.45],
    noise: [0.004, 0],
    crashEvery: 0,
  },
  rock: {
    bpm: 126,
    swing: 0.5,
    swingUnit: 8,
    drums: {
      kick: ["X.......X.X.....", "X.....X.X......."],
      snare: ["....X.......X..."],
      hat: ["x.x.x.x.x.x.x.x."],
    },
    kit: ROCK_KIT,
    progressions: [[[0, POW], [10, POW], [5, POW], [0, POW]], [[0, POW], [5, POW], [7, POW], [
      5,
      POW,
    ]], [[9, POW], [5, POW], [0, POW], [7, POW]]],
    chordRhythm: [EIGHTHS(2), [[0, 6], [6, 2], [8, 6], [14, 2]]],
    chordTimbres: [POWER_GTR],
    chordOctave: 12,
    bassRhythm: [EIGHTHS(2).map(([s, l]) => [s, l, "root"] as [number, number, Bass])],
    bassTimbre: PICK_BASS,
    melody: null,
    drive: 5,
    noise: [0.005, 0],
    crashEvery: 8,
  },
};

// ---------------------------------------------------------------------------------------------
// Synthesis
// ---------------------------------------------------------------------------------------------

const TABLE = 4096; // wavetable length (power of 2)
const MASK = TABLE - 1;
const SINE = new Float32Array(TABLE + 1).map((_, i) => Math.sin((2 * Math.PI * i) / TABLE));

const midiHz = (m: number): number => 440 * 2 ** ((m - 69) / 12);
const dbGain = (rng: Rng, db: number): number => 10 ** (((2 * rng.next() - 1) * db) / 20);

/** Renders one clip of a style. */
class Clip {
  readonly out: Float32Array;
  readonly #sr: number;
  readonly #rng: Rng;
  readonly #style: Style;
  readonly #stepPos: number[] = [];
  readonly #bars: number;
  readonly #barLen: number;
  readonly #tables = new Map<Timbre, Map<string, Float32Array>>();

  constructor(style: Style, rng: Rng, sr: number, n: number) {
    this.out = new Float32Array(n);
    this.#sr = sr;
    this.#rng = rng;
    this.#style = style;
    const bpm = style.bpm * (0.95 + 0.1 * rng.next()); // tempo jitter ±5 %
    this.#barLen = (4 * 60 * sr) / bpm;
    this.#bars = Math.ceil(n / this.#barLen) + 1;
    // Step positions (in samples from the bar start) with swing on 8ths or 16ths.
    const beat = this.#barLen / 4;
    const sw = style.swing;
    const within = style.swingUnit === 8
      ? [0, sw / 2, sw, sw + (1 - sw) / 2]
      : [0, sw / 2, 0.5, 0.5 + sw / 2];
    for (let s = 0; s < 16; s++) this.#stepPos.push((Math.floor(s / 4) + within[s % 4]!) * beat);
  }

  /** Sample index of `step` (may exceed 16) in `bar`, with a little timing jitter. */
  #at(bar: number, step: number, jitterMs = 4): number {
    const b = bar + Math.floor(step / 16);
    const t = b * this.#barLen + this.#stepPos[step % 16]!;
    return Math.round(t + (this.#rng.next() * 2 - 1) * (jitterMs / 1000) * this.#sr);
  }

  /** Samples in `len` steps. */
  #steps(len: number): number {
    return Math.max(1, Math.round((len / 16) * this.#barLen));
  }

  render(): Float32Array {
    const st = this.#style, rng = this.#rng;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
    const key = 36 + Math.floor(rng.next() * 12); // bass root: C2..B2
    const prog = pick(st.progressions);
    const chordRhythm = pick(st.chordRhythm);
    const chordTimbre = pick(st.chordTimbres);
    const bassRhythm = pick(st.bassRhythm);
    const n = this.out.length;
    const chordBus = new Float32Array(n);
    const gChord = 0.22 * dbGain(rng, 3), gBass = 0.35 * dbGain(rng, 3);
    const gDrum = 0.7 * dbGain(rng, 3), gLead = 0.2 * dbGain(rng, 3);
    const invert = Math.floor(rng.next() * 3); // chord inversion

    for (let bar = 0; bar < this.#bars; bar++) {
      const [root, ivs] = prog[bar % prog.length]!;
      // chords
      const voicing = ivs.map((iv, j) =>
        key + st.chordOctave + 12 + root + iv + (j < invert ? 12 : 0)
      );
      for (const [s, len] of chordRhythm) {
        if (rng.next() < 0.06) continue; // a dropped hit now and then
        const at = this.#at(bar, s), dur = this.#steps(len);
        const vel = gChord * (0.8 + 0.2 * rng.next()) / Math.sqrt(voicing.length);
        for (const m of voicing) {
          this.#note(
            chordBus,
            at + Math.floor(rng.next() * 0.004 * this.#sr),
            dur,
            m,
            chordTimbre,
            vel,
          );
        }
      }
      // bass
      let prevBass = key + root;
      for (const [s, len, kind] of bassRhythm) {
        let m = key + root;
        if (kind === "fifth") m += 7;
        else if (kind === "octave") m += 12;
        else if (kind === "walk") {
          m = s === 0 ? key + root : key + root + pick(ivs.concat([ivs[1]! - 1, 12 - 1, 2]));
          if (Math.abs(m - prevBass) > 9) m -= 12;
        }
        prevBass = m;
        this.#note(
          this.out,
          this.#at(bar, s),
          this.#steps(len),
          m,
          st.bassTimbre,
          gBass * (0.85 + 0.15 * rng.next()),
        );
      }
    }
    // melody: a random walk on the scale, phrased in 2-bar units
    if (st.melody && rng.next() < 0.85) {
      const { lengths, timbre, rest } = st.melody;
      const scale = prog[0]![1].includes(3) && st.melody.minorScale
        ? st.melody.minorScale
        : st.melody.scale;
      let deg = Math.floor(rng.next() * scale.length) + scale.length;
      for (let bar = 0; bar < this.#bars; bar++) {
        for (let s = 0; s < 16;) {
          const len = pick(lengths);
          if (rng.next() >= rest && bar % 4 !== 3) {
            deg = Math.max(
              0,
              Math.min(3 * scale.length - 1, deg + Math.round((rng.next() * 2 - 1) * 2.4)),
            );
            const m = key + 24 + 12 * Math.floor(deg / scale.length) + scale[deg % scale.length]!;
            this.#note(
              this.out,
              this.#at(bar, s),
              this.#steps(len),
              m,
              timbre,
              gLead * (0.8 + 0.2 * rng.next()),
            );
          }
          s += len;
        }
      }
    }
    // chord bus effects: distortion (+ a gentle cabinet low-pass), echo
    if (st.drive > 0) {
      const d = st.drive * (0.8 + 0.4 * rng.next());
      const a = Math.exp((-2 * Math.PI * 4500) / this.#sr);
      let y = 0;
      for (let i = 0; i < n; i++) {
        const x = d * chordBus[i]!;
        y = (1 - a) * (x / (1 + Math.abs(x))) + a * y;
        chordBus[i] = (0.35 * y) / Math.sqrt(1 + 0.02 * st.drive);
      }
    }
    if (st.echo) {
      const [steps, fb] = st.echo;
      const delay = Math.round((steps / 16) * this.#barLen);
      for (let i = delay; i < n; i++) chordBus[i] = chordBus[i]! + fb * chordBus[i - delay]!;
    }
    for (let i = 0; i < n; i++) this.out[i] = this.out[i]! + chordBus[i]!;
    if (st.drums) this.#drums(st.drums, st.kit, gDrum);
    this.#noise(st.noise);
    // Loudness is not a cue: normalise every clip to a random peak from the same range.
    let peak = 0;
    for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(this.out[i]!));
    const target = 0.3 + 0.6 * rng.next();
    const g = peak > 0 ? target / peak : 0;
    for (let i = 0; i < n; i++) this.out[i] = this.out[i]! * g;
    return this.out;
  }

  /** A band-limited wavetable of the timbre's bright or dull spectrum for note `m`. */
  #table(t: Timbre, which: "bright" | "dull", m: number): Float32Array {
    let cache = this.#tables.get(t);
    if (!cache) this.#tables.set(t, cache = new Map());
    const key = `${which}${m}`;
    let tab = cache.get(key);
    if (tab) return tab;
    const amp = t[which];
    const K = Math.max(1, Math.min(t.partials, Math.floor((0.45 * this.#sr) / midiHz(m))));
    tab = new Float32Array(TABLE + 1);
    let norm = 0;
    for (let k = 1; k <= K; k++) {
      const a = amp(k);
      if (a === 0) continue;
      norm += a * a;
      const off = (this.#rng.nextUint32() & MASK) >>> 0; // random phase per partial
      for (let i = 0, idx = off; i < TABLE; i++, idx = (idx + k) & MASK) {
        tab[i] = tab[i]! + a * SINE[idx]!;
      }
    }
    const g = 1 / Math.sqrt(Math.max(norm, 1e-12) * 0.5);
    for (let i = 0; i < TABLE; i++) tab[i] = tab[i]! * g * 0.5;
    tab[TABLE] = tab[0]!;
    cache.set(key, tab);
    return tab;
  }

  /** Adds one note to `bus`: wavetable (bright→dull) or FM, with envelope and vibrato. */
  #note(bus: Float32Array, start: number, dur: number, m: number, t: Timbre, gain: number): void {
    const sr = this.#sr;
    const rel = Math.max(1, Math.round(t.release * sr));
    // Stop once the decay has reached −60 dB (6.9 time constants).
    const audible = Number.isFinite(t.decay) ? Math.ceil(6.9 * t.decay * sr) : Infinity;
    const end = Math.min(bus.length, start + dur + rel, start + audible);
    if (start >= bus.length || end <= 0) return;
    const att = Math.max(1, Math.round(t.attack * sr));
    const decay = Number.isFinite(t.decay) ? Math.exp(-1 / (t.decay * sr)) : 1;
    const bright = Math.exp(-1 / (t.brighten * sr));
    const voices = t.detune ? [-t.detune / 2, t.detune / 2] : [0];
    for (const cents of voices) {
      const f = midiHz(m) * 2 ** (cents / 1200);
      const inc = (f * TABLE) / sr;
      let env = 1, mix = 1;
      let phase = this.#rng.next() * TABLE;
      const vib = t.vibrato;
      const vibInc = vib ? (vib[0] * TABLE) / sr : 0;
      const vibDepth = vib ? 2 ** (vib[1] / 1200) - 1 : 0;
      let vibPhase = this.#rng.next() * TABLE;
      const g = gain / voices.length;
      if (t.fm) {
        const [ratio, index, indexTau] = t.fm;
        const idec = Math.exp(-1 / (indexTau * sr));
        let mphase = 0, idx = index * TABLE;
        for (let i = Math.max(start, 0); i < end; i++) {
          const j = i - start;
          const a = j < att ? j / att : 1;
          const r = j >= dur ? 1 - (j - dur) / rel : 1;
          const mod = idx * SINE[(mphase | 0) & MASK]!;
          bus[i] = bus[i]! + g * env * a * r * SINE[((phase + mod) | 0) & MASK]!;
          phase += inc;
          mphase += inc * ratio;
          if (phase >= TABLE) phase -= TABLE;
          if (mphase >= TABLE) mphase -= TABLE;
          env *= decay;
          idx *= idec;
        }
        continue;
      }
      const tb = this.#table(t, "bright", m), td = this.#table(t, "dull", m);
      let curInc = inc;
      for (let i = Math.max(start, 0); i < end; i++) {
        const j = i - start;
        if (vib && (j & 31) === 0) {
          curInc = inc * (1 + vibDepth * SINE[(vibPhase | 0) & MASK]!);
          vibPhase += vibInc * 32;
        }
        const ip = phase | 0, fr = phase - ip;
        let v = td[ip]! + fr * (td[ip + 1]! - td[ip]!);
        if (mix > 1e-4) {
          v += mix * (tb[ip]! + fr * (tb[ip + 1]! - tb[ip]!) - v);
          mix *= bright;
        }
        const a = j < att ? j / att : 1;
        const r = j >= dur ? 1 - (j - dur) / rel : 1;
        bus[i] = bus[i]! + g * env * a * r * v;
        phase += curInc;
        if (phase >= TABLE) phase -= TABLE;
        env *= decay;
      }
    }
  }

  #drums(d: NonNullable<Style["drums"]>, kit: Kit, gain: number): void {
    const rng = this.#rng, sr = this.#sr;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
    const jit = (x: number, f: number): number => x * (1 + f * (2 * rng.next() - 1));
    const kick = this.#kick(jit(kit.kick.f0, 0.1), jit(kit.kick.f1, 0.1), jit(kit.kick.tau, 0.15));
    const snare = kit.rim ? this.#rim() : this.#snare(
      jit(kit.snare.tone, 0.1),
      kit.snare.toneTau,
      jit(kit.snare.noiseTau, 0.15),
      kit.snare.noise,
    );
    const hatTau = jit(kit.hat.tau, 0.2);
    const hat = this.#noiseHit(hatTau, 2, Math.ceil(7 * hatTau * sr));
    const open = this.#noiseHit(0.25, 2, Math.round(0.6 * sr));
    const crash = this.#noiseHit(1.1, 1, Math.round(2.5 * sr));
    const ride = this.#ride(jit(520, 0.1));
    const lanes: [string, Float32Array, number][] = [
      [pick(d.kick), kick, kit.kick.level],
      [pick(d.snare), snare, kit.snare.level],
      [pick(d.hat), hat, kit.hat.level],
    ];
    if (d.open) lanes.push([pick(d.open), open, 0.2]);
    if (d.ride) lanes.push([pick(d.ride), ride, 0.25]);
    const levels: Record<string, number> = { X: 1, x: 0.7, o: 0.35 };
    for (let bar = 0; bar < this.#bars; bar++) {
      const fill = bar % 8 === 7 && rng.next() < 0.5;
      for (const [pattern, hit, level] of lanes) {
        for (let s = 0; s < 16; s++) {
          let v = levels[pattern[s]!] ?? 0;
          if (fill && hit === snare && s >= 12) v = 0.5 + 0.4 * rng.next();
          if (v === 0 && hit === snare && rng.next() < 0.03) v = 0.25; // ghost notes
          if (v > 0) {
            this.#addAt(hit, this.#at(bar, s, 3), gain * level * v * (0.85 + 0.15 * rng.next()));
          }
        }
      }
      if (this.#style.crashEvery && bar % this.#style.crashEvery === 0) {
        this.#addAt(crash, this.#at(bar, 0, 2), gain * 0.3);
      }
    }
  }

  #addAt(hit: Float32Array, at: number, gain: number): void {
    const out = this.out;
    const end = Math.min(out.length, at + hit.length);
    for (let i = Math.max(at, 0); i < end; i++) out[i] = out[i]! + gain * hit[i - at]!;
  }

  #kick(f0: number, f1: number, tau: number): Float32Array {
    const sr = this.#sr, n = Math.round(Math.min(5 * tau, 1) * sr), y = new Float32Array(n);
    let ph = 0;
    for (let i = 0; i < n; i++) {
      const t = i / sr;
      ph += (2 * Math.PI * (f1 + (f0 - f1) * Math.exp(-t / 0.04))) / sr;
      const click = i < 0.003 * sr ? 0.3 * (2 * this.#rng.next() - 1) : 0;
      y[i] = Math.exp(-t / tau) * Math.sin(ph) + click;
    }
    return y;
  }

  #snare(tone: number, toneTau: number, noiseTau: number, noise: number): Float32Array {
    const sr = this.#sr,
      n = Math.round(5 * Math.max(toneTau, noiseTau) * sr),
      y = new Float32Array(n);
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const t = i / sr;
      const w = 2 * this.#rng.next() - 1;
      y[i] = 0.6 * Math.exp(-t / toneTau) * Math.sin(2 * Math.PI * tone * t) +
        noise * Math.exp(-t / noiseTau) * (w - 0.5 * prev);
      prev = w;
    }
    return y;
  }

  #rim(): Float32Array {
    const sr = this.#sr, n = Math.round(0.05 * sr), y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const t = i / sr;
      y[i] = Math.exp(-t / 0.01) * Math.sin(2 * Math.PI * 1700 * t) +
        0.5 * Math.exp(-t / 0.004) * (2 * this.#rng.next() - 1);
    }
    return y;
  }

  /** Noise burst, high-passed by `order` first differences (hats, crash). */
  #noiseHit(tau: number, order: number, n: number): Float32Array {
    const y = new Float32Array(n);
    let p1 = 0, p2 = 0;
    for (let i = 0; i < n; i++) {
      const w = 2 * this.#rng.next() - 1;
      const h = order === 2 ? (w - 2 * p1 + p2) / 4 : (w - p1) / 2;
      p2 = p1;
      p1 = w;
      y[i] = Math.exp(-i / (tau * this.#sr)) * h * 1.6;
    }
    return y;
  }

  /** Ride cymbal: inharmonic partials plus a high-passed noise wash. */
  #ride(f: number): Float32Array {
    const sr = this.#sr, n = Math.round(1.2 * sr), y = this.#noiseHit(0.35, 2, n);
    const ratios = [1, 1.483, 1.932, 2.546, 3.311, 4.127];
    for (const r of ratios) {
      const inc = (f * r * TABLE) / sr;
      let ph = this.#rng.next() * TABLE;
      for (let i = 0; i < n; i++) {
        y[i] = y[i]! + (0.15 / r) * Math.exp(-i / (0.8 * sr)) * SINE[(ph | 0) & MASK]!;
        ph += inc;
      }
    }
    return y;
  }

  /** Noise floor (every clip), plus crackle clicks where the style has them. */
  #noise([hiss, crackle]: [number, number]): void {
    const rng = this.#rng, out = this.out;
    let rms = 0;
    for (let i = 0; i < out.length; i += 16) rms += out[i]! ** 2;
    rms = Math.sqrt(rms / Math.max(1, out.length / 16)) || 0.1;
    const level = rms * (hiss / 0.005) * 10 ** ((-36 + 10 * rng.next()) / 20);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + level * (2 * rng.next() - 1);
    const clicks = Math.round((crackle * out.length) / this.#sr);
    for (let c = 0; c < clicks; c++) {
      const at = Math.floor(rng.next() * out.length),
        a = rms * (0.5 + rng.next()) * (rng.next() < 0.5 ? -1 : 1);
      for (let i = 0; i < 24 && at + i < out.length; i++) {
        out[at + i] = out[at + i]! + a * Math.exp(-i / 4);
      }
    }
  }
}
