/**
 * Leak-free data splits. Every split here works on whole files (or groups of files), never on
 * segments, so that no track contributes segments to two splits:
 *
 * - {@linkcode stratifiedSplit}: per-class train/val/test fractions (the default 60/20/20), seeded.
 * - {@linkcode kerasTwoStepSplit}: the original's two calls to sklearn's
 *   `train_test_split(..., stratify=y, random_state=42)` (80/20, then 75/25 of the 80).
 * - {@linkcode loadFaultFilteredLists} + {@linkcode assignByLists}: a published partition.
 * - {@linkcode stratifiedGroupKFold}: k folds over groups (tracks), stratified by label, with
 *   sklearn's `StratifiedGroupKFold` semantics.
 *
 * All of them take labels in a fixed order (the sorted file list) and draw randomness only from a
 * seeded {@linkcode Rng}, so the same inputs and seed give the same split on every machine.
 *
 * @module
 */
import { Rng } from "../rng.ts";

/** The three parts of a dataset, in output order. */
export const SPLIT_NAMES = ["train", "val", "test"] as const;

/** One of {@linkcode SPLIT_NAMES}. */
export type SplitName = typeof SPLIT_NAMES[number];

/**
 * Splits `n` items over parts in proportion to `fractions` by the largest-remainder (Hamilton)
 * method: each part first gets `floor(n * fraction)`, and the items left over go one each to
 * the parts with the largest fractional remainders; ties go to the earlier part. So 100 items at
 * 60/20/20 give 60/20/20, 7 give 4/2/1 (quotas 4.2/1.4/1.4), 3 give 2/1/0, 99 give 59/20/20.
 *
 * @example
 * ```ts
 * import { apportion } from "./split.ts";
 * apportion(7, [0.6, 0.2, 0.2]); // [4, 2, 1]
 * ```
 */
export function apportion(n: number, fractions: readonly number[]): number[] {
  checkFractions(fractions);
  const total = fractions.reduce((a, b) => a + b, 0);
  const quotas = fractions.map((f) => (n * f) / total);
  const counts = quotas.map((q) => Math.floor(q + 1e-9));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, i) => ({ i, r: q - Math.floor(q + 1e-9) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]!++;
  return counts;
}

function checkFractions(fractions: readonly number[]): void {
  if (fractions.length === 0 || fractions.some((f) => !(f >= 0) || !Number.isFinite(f))) {
    throw new RangeError(`fractions must be finite and >= 0, got [${fractions.join(", ")}]`);
  }
  if (!(fractions.reduce((a, b) => a + b, 0) > 0)) {
    throw new RangeError(`fractions must not all be 0`);
  }
}

/** Distinct labels in ascending order. */
function classesOf(labels: ArrayLike<number>): number[] {
  return [...new Set(Array.from(labels))].sort((a, b) => a - b);
}

/** Indices of `labels` per class (ascending index order), classes in ascending order. */
function indicesByClass(labels: ArrayLike<number>): Map<number, number[]> {
  const by = new Map<number, number[]>();
  for (const c of classesOf(labels)) by.set(c, []);
  for (let i = 0; i < labels.length; i++) by.get(labels[i]!)!.push(i);
  return by;
}

/**
 * Stratified file-level split: within each class (ascending label order) the items' indices are
 * shuffled with one seeded {@linkcode Rng} and cut into train/val/test by {@linkcode apportion}.
 * `labels[i]` is the class of item `i` (items in sorted file order). Returns the part of each
 * item.
 *
 * @example 60/20/20 of 10 items per class
 * ```ts
 * import { stratifiedSplit } from "./split.ts";
 * const labels = Array.from({ length: 20 }, (_, i) => i % 2);
 * const parts = stratifiedSplit(labels, { fractions: [0.6, 0.2, 0.2], seed: 42 });
 * parts.filter((p) => p === "train").length; // 12
 * ```
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  options: { fractions?: readonly [number, number, number]; seed?: number } = {},
): SplitName[] {
  const fractions = options.fractions ?? [0.6, 0.2, 0.2];
  const rng = new Rng(options.seed ?? 42);
  const out = new Array<SplitName>(labels.length);
  for (const idx of indicesByClass(labels).values()) {
    rng.shuffle(idx);
    const [nTrain, nVal] = apportion(idx.length, fractions) as [number, number, number];
    idx.forEach((item, k) => {
      out[item] = k < nTrain ? "train" : k < nTrain + nVal ? "val" : "test";
    });
  }
  return out;
}

/**
 * One stratified hold-out with the sizes of sklearn's `train_test_split(test_size=t,
 * stratify=y)`: `n_test = ceil(t·n)`, `n_train = floor((1-t)·n)`; each class keeps
 * `_approximate_mode(class_counts, n_train)` items for training (floors of the quotas, the
 * leftover to the largest fractional parts, ties drawn at random) and holds out the rest. Which
 * items are drawn cannot match numpy's permutation: only the sizes do. Returns, for each item,
 * whether it is held out.
 */
function stratifiedHoldOut(labels: readonly number[], testSize: number, rng: Rng): boolean[] {
  const n = labels.length;
  const nTest = Math.ceil(testSize * n - 1e-9);
  const nTrain = Math.floor((1 - testSize) * n + 1e-9);
  if (nTrain + nTest > n) throw new RangeError(`cannot hold out ${testSize} of ${n} items`);
  const by = indicesByClass(labels);
  const classes = [...by.keys()];
  const quotas = classes.map((c) => (by.get(c)!.length * nTrain) / n);
  const keep = quotas.map((q) => Math.floor(q + 1e-9));
  let left = nTrain - keep.reduce((a, b) => a + b, 0);
  const tiebreak = classes.map(() => rng.next());
  const order = classes
    .map((_, i) => i)
    .sort((a, b) => {
      const ra = quotas[a]! - keep[a]!;
      const rb = quotas[b]! - keep[b]!;
      return rb - ra || tiebreak[a]! - tiebreak[b]!;
    });
  for (let k = 0; left > 0; k++, left--) keep[order[k % order.length]!]!++;
  const held = new Array<boolean>(n).fill(false);
  classes.forEach((c, ci) => {
    const idx = rng.shuffle([...by.get(c)!]);
    for (let k = keep[ci]!; k < idx.length; k++) held[idx[k]!] = true;
  });
  return held;
}

/**
 * The original's two-step split: `train_test_split(test_size=test, stratify=y)` holds out the
 * test part, then `train_test_split(test_size=val, stratify=y)` of the rest holds out the
 * validation part (0.2 then 0.25 → 60/20/20 overall). Sizes follow sklearn (see the module
 * notes); the permutation is this project's seeded generator, not numpy's, so the exact members
 * differ from the original's.
 *
 * @example
 * ```ts
 * import { kerasTwoStepSplit } from "./split.ts";
 * const labels = Array.from({ length: 100 }, (_, i) => i % 5);
 * const parts = kerasTwoStepSplit(labels, { test: 0.2, val: 0.25, seed: 42 });
 * parts.filter((p) => p === "test").length; // 20
 * ```
 */
export function kerasTwoStepSplit(
  labels: ArrayLike<number>,
  options: { test?: number; val?: number; seed?: number } = {},
): SplitName[] {
  const test = options.test ?? 0.2;
  const val = options.val ?? 0.25;
  for (const [name, v] of [["test", test], ["val", val]] as const) {
    if (!(v > 0 && v < 1)) throw new RangeError(`${name} fraction must be in (0, 1), got ${v}`);
  }
  const rng = new Rng(options.seed ?? 42);
  const all = Array.from(labels);
  const heldTest = stratifiedHoldOut(all, test, rng.derive("test"));
  const restIdx = all.map((_, i) => i).filter((i) => !heldTest[i]);
  const heldVal = stratifiedHoldOut(restIdx.map((i) => all[i]!), val, rng.derive("val"));
  const out = all.map((): SplitName => "test");
  restIdx.forEach((i, k) => (out[i] = heldVal[k] ? "val" : "train"));
  return out;
}

/** Item keys (e.g. file stems) per part of a published partition. */
export type SplitLists = Record<SplitName, readonly string[]>;

/**
 * The stem of a dataset path: folder and extension dropped, so `jazz/jazz.00054.wav` and
 * `genres/jazz/jazz.00054.au` both give `jazz.00054`.
 *
 * @example
 * ```ts
 * import { stemOf } from "./split.ts";
 * stemOf("jazz/jazz.00054.wav"); // "jazz.00054"
 * ```
 */
export function stemOf(path: string): string {
  const base = path.split(/[\\/]/).pop()!;
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * Reads the published fault-filtered GTZAN partition (Kereliuk, Sturm & Larsen 2015; see
 * `mod/data/gtzan_fault_filtered/README.md`): 443/197/290 tracks, as stems (`blues.00029`).
 *
 * @example
 * ```ts
 * import { loadFaultFilteredLists } from "./split.ts";
 * const lists = await loadFaultFilteredLists();
 * lists.train.length; // 443
 * ```
 */
export async function loadFaultFilteredLists(): Promise<SplitLists> {
  const read = async (name: string): Promise<string[]> => {
    const url = new URL(`./data/gtzan_fault_filtered/${name}`, import.meta.url);
    const text = await Deno.readTextFile(url);
    return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "").map(stemOf);
  };
  return {
    train: await read("train_filtered.txt"),
    val: await read("valid_filtered.txt"),
    test: await read("test_filtered.txt"),
  };
}

/** What {@linkcode assignByLists} returns. */
export interface ListAssignment {
  /** The part of each item, or `null` when the lists leave it out. */
  parts: (SplitName | null)[];
  /** Listed keys with no item on disk, per part (reported in the manifest). */
  missing: { key: string; split: SplitName }[];
}

/**
 * Assigns items to the parts of a published partition by key (by default the path's stem, so
 * `.au` and `.wav` copies match the same line). A key listed in two parts is an error.
 *
 * @example
 * ```ts
 * import { assignByLists } from "./split.ts";
 * const r = assignByLists(["a/a.1.au", "a/a.2.au"], { train: ["a.1"], val: ["a.3"], test: [] });
 * r.parts; // ["train", null]
 * r.missing; // [{ key: "a.3", split: "val" }]
 * ```
 */
export function assignByLists(
  paths: readonly string[],
  lists: SplitLists,
  key: (path: string) => string = stemOf,
): ListAssignment {
  const where = new Map<string, SplitName>();
  for (const split of SPLIT_NAMES) {
    for (const k of lists[split]) {
      const prev = where.get(k);
      if (prev !== undefined && prev !== split) {
        throw new Error(`split lists: "${k}" is listed in both ${prev} and ${split}`);
      }
      where.set(k, split);
    }
  }
  const seen = new Set<string>();
  const parts = paths.map((p) => {
    const k = key(p);
    seen.add(k);
    return where.get(k) ?? null;
  });
  const missing: ListAssignment["missing"] = [];
  for (const split of SPLIT_NAMES) {
    for (const k of lists[split]) if (!seen.has(k)) missing.push({ key: k, split });
  }
  return { parts, missing };
}

/** One fold of a k-fold split: sample indices (ascending) to train on and to hold out. */
export interface Fold {
  train: number[];
  test: number[];
}

/**
 * k folds over groups (tracks), stratified by label: sklearn's `StratifiedGroupKFold(n_splits=k,
 * shuffle=true)` algorithm. Groups are shuffled with the seeded generator, then sorted (stably)
 * by the spread of their class counts, largest first; each group goes to the fold that keeps the
 * per-class share of samples most even across folds (lowest mean over classes of the std over
 * folds of `fold_count[c] / total[c]`), ties to the fold with fewest samples, then the lowest
 * index. Every group is held out exactly once and no group is in two folds.
 *
 * `labels[i]` and `groups[i]` belong to sample `i` (e.g. a segment and its track index).
 *
 * @example
 * ```ts
 * import { stratifiedGroupKFold } from "./split.ts";
 * const tracks = Array.from({ length: 40 }, (_, i) => Math.floor(i / 2)); // 2 segments each
 * const labels = tracks.map((t) => t % 4);
 * const folds = stratifiedGroupKFold(labels, tracks, 5, { seed: 42 });
 * folds[0]!.test.length; // 8
 * ```
 */
export function stratifiedGroupKFold(
  labels: ArrayLike<number>,
  groups: ArrayLike<number | string>,
  k: number,
  options: { seed?: number; shuffle?: boolean } = {},
): Fold[] {
  if (labels.length !== groups.length) {
    throw new RangeError(
      `labels (${labels.length}) and groups (${groups.length}) differ in length`,
    );
  }
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer >= 2, got ${k}`);
  const classes = classesOf(labels);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const C = classes.length;
  // Groups in order of first appearance; per-group class counts.
  const groupIndex = new Map<number | string, number>();
  const groupOf = new Int32Array(labels.length);
  const counts: number[][] = [];
  for (let i = 0; i < labels.length; i++) {
    const g = groups[i]!;
    let gi = groupIndex.get(g);
    if (gi === undefined) {
      gi = counts.length;
      groupIndex.set(g, gi);
      counts.push(new Array<number>(C).fill(0));
    }
    groupOf[i] = gi;
    counts[gi]![classIndex.get(labels[i]!)!]!++;
  }
  const G = counts.length;
  if (G < k) throw new RangeError(`cannot make ${k} folds from ${G} groups`);
  const total = new Array<number>(C).fill(0);
  for (const row of counts) row.forEach((v, c) => (total[c]! += v));

  let order = Array.from({ length: G }, (_, i) => i);
  if (options.shuffle ?? true) order = new Rng(options.seed ?? 42).shuffle(order);
  const spread = counts.map(std);
  order = order
    .map((g, pos) => ({ g, pos }))
    .sort((a, b) => spread[b.g]! - spread[a.g]! || a.pos - b.pos)
    .map((e) => e.g);

  const foldCounts = Array.from({ length: k }, () => new Array<number>(C).fill(0));
  const foldSize = new Array<number>(k).fill(0);
  const foldOfGroup = new Int32Array(G);
  for (const g of order) {
    let best = -1;
    let bestEval = Infinity;
    let bestSize = Infinity;
    for (let f = 0; f < k; f++) {
      foldCounts[f]!.forEach((_, c) => (foldCounts[f]![c]! += counts[g]![c]!));
      let ev = 0;
      for (let c = 0; c < C; c++) ev += std(foldCounts.map((fc) => fc[c]! / total[c]!));
      ev /= C;
      foldCounts[f]!.forEach((_, c) => (foldCounts[f]![c]! -= counts[g]![c]!));
      const size = foldSize[f]!;
      // As sklearn: strictly lower, or equal within np.isclose and a smaller fold.
      const close = Math.abs(ev - bestEval) <= 1e-8 + 1e-5 * Math.abs(bestEval);
      if (ev < bestEval || (close && size < bestSize)) {
        best = f;
        bestEval = ev;
        bestSize = size;
      }
    }
    foldOfGroup[g] = best;
    counts[g]!.forEach((v, c) => (foldCounts[best]![c]! += v));
    foldSize[best]! += counts[g]!.reduce((a, b) => a + b, 0);
  }
  const folds: Fold[] = Array.from({ length: k }, () => ({ train: [], test: [] }));
  for (let i = 0; i < labels.length; i++) {
    const f = foldOfGroup[groupOf[i]!]!;
    folds.forEach((fold, j) => (j === f ? fold.test : fold.train).push(i));
  }
  return folds;
}

/** Population standard deviation (ddof 0), as numpy's `np.std`. */
function std(xs: readonly number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / xs.length);
}
