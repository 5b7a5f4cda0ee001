/**
 * The classes of the SYNTHETIC demo dataset (see `demo_data.ts`) and what makes each one: a
 * {@linkcode Style} per genre name — tempo, drum grid and swing, kit, chord progressions and
 * rhythms, bass line, melody scale, instrument timbres, effects and noise. Plain data; the
 * synthesis itself is in `_synth.ts`.
 *
 * Drum grids are 16 steps per 4/4 bar: X = accent, x = normal, o = ghost, . = rest. Chord and
 * bass rhythms are [step, length in steps] pairs.
 *
 * @module
 */
import type { Bass, Kit, Style, Timbre } from "./_synth.ts";

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

/** One of {@linkcode DEMO_GENRES}. */
export type DemoGenre = typeof DEMO_GENRES[number];

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

export const STYLES: Record<DemoGenre, Style> = {
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
