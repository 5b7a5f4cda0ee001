import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  apportion,
  assignByLists,
  kerasTwoStepSplit,
  loadFaultFilteredLists,
  SPLIT_NAMES,
  type SplitName,
  stemOf,
  stratifiedGroupKFold,
  stratifiedSplit,
} from "./split.ts";

function countBy(labels: number[], parts: SplitName[]): Record<SplitName, number[]> {
  const C = Math.max(...labels) + 1;
  const out = {
    train: new Array(C).fill(0),
    val: new Array(C).fill(0),
    test: new Array(C).fill(0),
  };
  parts.forEach((p, i) => out[p][labels[i]!]++);
  return out;
}

Deno.test("apportion: largest remainder, ties to the earlier part", () => {
  assertEquals(apportion(100, [0.6, 0.2, 0.2]), [60, 20, 20]);
  assertEquals(apportion(99, [0.6, 0.2, 0.2]), [59, 20, 20]);
  assertEquals(apportion(7, [0.6, 0.2, 0.2]), [4, 2, 1]);
  assertEquals(apportion(3, [0.6, 0.2, 0.2]), [2, 1, 0]);
  assertEquals(apportion(20, [0.6, 0.2, 0.2]), [12, 4, 4]);
  assertEquals(apportion(11, [0.8, 0.1, 0.1]), [9, 1, 1]);
  assertEquals(apportion(0, [0.6, 0.2, 0.2]), [0, 0, 0]);
  for (let n = 0; n < 200; n++) {
    assertEquals(apportion(n, [0.6, 0.2, 0.2]).reduce((a, b) => a + b), n);
  }
  assertThrows(() => apportion(5, [0.5, -0.1]), RangeError);
});

Deno.test("stratifiedSplit: exact per-class counts, seeded, every item once", () => {
  const labels = Array.from({ length: 1000 }, (_, i) => Math.floor(i / 100)); // GTZAN: 10 × 100
  const parts = stratifiedSplit(labels, { seed: 42 });
  const c = countBy(labels, parts);
  assertEquals(c.train, new Array(10).fill(60));
  assertEquals(c.val, new Array(10).fill(20));
  assertEquals(c.test, new Array(10).fill(20));
  assertEquals(stratifiedSplit(labels, { seed: 42 }), parts);
  const other = stratifiedSplit(labels, { seed: 7 });
  assert(other.some((p, i) => p !== parts[i]), "another seed gives another split");
  // Uneven classes follow apportion().
  const uneven = [...new Array(7).fill(0), ...new Array(3).fill(1)];
  const cu = countBy(uneven, stratifiedSplit(uneven, { seed: 1 }));
  assertEquals([cu.train[0], cu.val[0], cu.test[0]], [4, 2, 1]);
  assertEquals([cu.train[1], cu.val[1], cu.test[1]], [2, 1, 0]);
});

Deno.test("kerasTwoStepSplit: sklearn sizes (ceil of the held-out part) and stratification", () => {
  const labels = Array.from({ length: 1000 }, (_, i) => i % 10);
  const parts = kerasTwoStepSplit(labels, { seed: 42 });
  const c = countBy(labels, parts);
  assertEquals(c.test, new Array(10).fill(20));
  assertEquals(c.val, new Array(10).fill(20));
  assertEquals(c.train, new Array(10).fill(60));
  // 999 items: test = ceil(199.8) = 200, val = ceil(0.25 * 799) = 200, train 599.
  const odd = labels.slice(0, 999);
  const p2 = kerasTwoStepSplit(odd, { seed: 42 });
  assertEquals(
    SPLIT_NAMES.map((s) => p2.filter((p) => p === s).length),
    [599, 200, 200],
  );
  assertEquals(kerasTwoStepSplit(odd, { seed: 42 }), p2);
  // Uneven classes 7 + 13, test 0.2: n_train = 16 → _approximate_mode gives 6 + 10 kept
  // (quotas 5.6, 10.4), so 1 + 3 held out; then val 0.25 of 16 → n_train 12 → 4.5/7.5, a tie
  // broken at random: 5 + 7 or 4 + 8 trained.
  const uneven = [...new Array(7).fill(0), ...new Array(13).fill(1)];
  const c3 = countBy(uneven, kerasTwoStepSplit(uneven, { seed: 3 }));
  assertEquals(c3.test, [1, 3]);
  assertEquals(c3.train[0]! + c3.train[1]!, 12);
  assert([5, 4].includes(c3.train[0]!));
});

Deno.test("fault-filtered lists: 443/197/290 stems, disjoint", async () => {
  const lists = await loadFaultFilteredLists();
  assertEquals([lists.train.length, lists.val.length, lists.test.length], [443, 197, 290]);
  const all = new Set([...lists.train, ...lists.val, ...lists.test]);
  assertEquals(all.size, 930);
  assert(lists.train.includes("jazz.00054"));
  assertEquals(lists.train[0], "blues.00029");
});

Deno.test("assignByLists: matches by stem across .au/.wav, reports missing and unlisted", () => {
  assertEquals(stemOf("genres/jazz/jazz.00054.au"), "jazz.00054");
  const lists = { train: ["a.1", "b.1"], val: ["a.2"], test: ["b.2", "b.3"] };
  const r = assignByLists(["a/a.1.au", "a/a.2.wav", "a/a.9.au", "b/b.1.wav", "b/b.2.au"], lists);
  assertEquals(r.parts, ["train", "val", null, "train", "test"]);
  assertEquals(r.missing, [{ key: "b.3", split: "test" }]);
  assertThrows(
    () => assignByLists([], { train: ["x"], val: ["x"], test: [] }),
    Error,
    "both train and val",
  );
});

Deno.test("stratifiedGroupKFold: groups held out once, never split, classes balanced", () => {
  // 60 tracks (6 genres × 10), 10 segments each except a few short tracks.
  const labels: number[] = [];
  const groups: number[] = [];
  for (let t = 0; t < 60; t++) {
    const segs = t % 7 === 0 ? 4 : 10;
    for (let s = 0; s < segs; s++) {
      labels.push(Math.floor(t / 10));
      groups.push(t);
    }
  }
  const folds = stratifiedGroupKFold(labels, groups, 5, { seed: 42 });
  assertEquals(folds.length, 5);
  const heldOut = new Map<number, number>();
  folds.forEach((fold, f) => {
    assertEquals(fold.train.length + fold.test.length, labels.length);
    const testGroups = new Set(fold.test.map((i) => groups[i]!));
    for (const i of fold.train) assert(!testGroups.has(groups[i]!), "group in train and test");
    for (const g of testGroups) {
      assert(!heldOut.has(g), `group ${g} held out twice`);
      heldOut.set(g, f);
    }
    // Each genre has 10 tracks → exactly 2 held out per fold.
    const perClass = new Array(6).fill(0);
    for (const g of testGroups) perClass[Math.floor(g / 10)]++;
    assertEquals(perClass, new Array(6).fill(2), `fold ${f} class balance`);
  });
  assertEquals(heldOut.size, 60);
  assertEquals(stratifiedGroupKFold(labels, groups, 5, { seed: 42 }), folds);
  assertThrows(() => stratifiedGroupKFold([0, 1], [0, 1], 3), RangeError, "2 groups");
});
