/**
 * The synthesis engine of the SYNTHETIC demo dataset (see `demo_data.ts`): the {@linkcode Style}
 * a class is described by, and {@linkcode Clip}, which renders one clip of a style from an
 * {@linkcode Rng} stream — instrument voices (additive wavetables with decaying partials,
 * two-operator FM), drum kit (kick, snare, rim, hats, crash, ride), chord-bus distortion and echo,
 * noise floor and crackle, and peak normalisation. Pure signal generation: no I/O.
 *
 * The per-class recipes live in `_demo_genres.ts`.
 *
 * @module
 */
import type { Rng } from "../rng.ts";

// ---------------------------------------------------------------------------------------------
// What a style is made of. Drum grids are 16 steps per 4/4 bar: X = accent, x = normal,
// o = ghost, . = rest. Chord and bass rhythms are [step, length in steps] pairs.
// ---------------------------------------------------------------------------------------------

/** An instrument's sound. */
export interface Timbre {
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

export type Chord = [root: number, intervals: readonly number[]];
export type Bass = "root" | "fifth" | "octave" | "walk";

export interface Style {
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

export interface Kit {
  kick: { f0: number; f1: number; tau: number; level: number };
  snare: { tone: number; toneTau: number; noiseTau: number; noise: number; level: number };
  hat: { tau: number; level: number };
  /** Rim click instead of a snare. */
  rim?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Synthesis
// ---------------------------------------------------------------------------------------------

const TABLE = 4096; // wavetable length (power of 2)
const MASK = TABLE - 1;
const SINE = new Float32Array(TABLE + 1).map((_, i) => Math.sin((2 * Math.PI * i) / TABLE));

const midiHz = (m: number): number => 440 * 2 ** ((m - 69) / 12);
const dbGain = (rng: Rng, db: number): number => 10 ** (((2 * rng.next() - 1) * db) / 20);

/** Renders one clip of a style. */
export class Clip {
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
