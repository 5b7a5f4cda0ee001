import { assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import {
  accuracy,
  aggregateTracks,
  argmax,
  type ClassificationReport,
  classificationReport,
  confusionMatrix,
  formatClassificationReport,
  normalizeRows,
} from "./metrics.ts";

/** sklearn `output_dict=True` shape, for comparing against the hard-coded references. */
type SkRow = { precision: number; recall: number; "f1-score": number; support: number };
type SkReport = Record<string, SkRow | number>;

function assertMatchesSklearn(r: ClassificationReport, sk: SkReport): void {
  const check = (
    ours: { precision: number; recall: number; f1: number; support: number },
    ref: SkRow,
  ) => {
    assertAlmostEquals(ours.precision, ref.precision, 1e-12);
    assertAlmostEquals(ours.recall, ref.recall, 1e-12);
    assertAlmostEquals(ours.f1, ref["f1-score"], 1e-12);
    assertEquals(ours.support, ref.support);
  };
  r.labels.forEach((name, i) => check(r.perClass[i]!, sk[name] as SkRow));
  assertAlmostEquals(r.accuracy, sk.accuracy as number, 1e-12);
  check(r.macro, sk["macro avg"] as SkRow);
  check(r.weighted, sk["weighted avg"] as SkRow);
}

// The expected numbers and texts below were generated with scikit-learn 1.9.1:
// classification_report(t, p, labels=list(range(K)), target_names=names, zero_division=0,
//                       output_dict=True)  (and without output_dict for the text).
Deno.test("classificationReport equals scikit-learn on its documentation example", () => {
  const r = classificationReport([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], [
    "class 0",
    "class 1",
    "class 2",
  ]);
  assertMatchesSklearn(r, {
    "class 0": { precision: 0.5, recall: 1.0, "f1-score": 0.6666666666666666, support: 1 },
    "class 1": { precision: 0.0, recall: 0.0, "f1-score": 0.0, support: 1 },
    "class 2": { precision: 1.0, recall: 0.6666666666666666, "f1-score": 0.8, support: 3 },
    accuracy: 0.6,
    "macro avg": {
      precision: 0.5,
      recall: 0.5555555555555555,
      "f1-score": 0.48888888888888893,
      support: 5,
    },
    "weighted avg": { precision: 0.7, recall: 0.6, "f1-score": 0.6133333333333334, support: 5 },
  });
  assertEquals(
    formatClassificationReport(r),
    [
      "              precision    recall  f1-score   support",
      "",
      "     class 0       0.50      1.00      0.67         1",
      "     class 1       0.00      0.00      0.00         1",
      "     class 2       1.00      0.67      0.80         3",
      "",
      "    accuracy                           0.60         5",
      "   macro avg       0.50      0.56      0.49         5",
      "weighted avg       0.70      0.60      0.61         5",
      "",
    ].join("\n"),
  );
});

Deno.test("classificationReport: class never predicted and class never present give 0 (zero_division=0)", () => {
  // "d" has 3 samples and is never predicted; "e" has no samples and is never predicted.
  const r = classificationReport(
    [0, 0, 1, 1, 2, 2, 3, 3, 3],
    [0, 1, 1, 1, 0, 2, 0, 1, 2],
    ["a", "b", "c", "d", "e"],
  );
  assertMatchesSklearn(r, {
    a: { precision: 0.3333333333333333, recall: 0.5, "f1-score": 0.4, support: 2 },
    b: { precision: 0.5, recall: 1.0, "f1-score": 0.6666666666666666, support: 2 },
    c: { precision: 0.5, recall: 0.5, "f1-score": 0.5, support: 2 },
    d: { precision: 0.0, recall: 0.0, "f1-score": 0.0, support: 3 },
    e: { precision: 0.0, recall: 0.0, "f1-score": 0.0, support: 0 },
    accuracy: 0.4444444444444444,
    "macro avg": {
      precision: 0.26666666666666666,
      recall: 0.4,
      "f1-score": 0.31333333333333335,
      support: 9,
    },
    "weighted avg": {
      precision: 0.2962962962962963,
      recall: 0.4444444444444444,
      "f1-score": 0.34814814814814815,
      support: 9,
    },
  });
  assertEquals(
    formatClassificationReport(r).split("\n").slice(5, 12),
    [
      "           d       0.00      0.00      0.00         3",
      "           e       0.00      0.00      0.00         0",
      "",
      "    accuracy                           0.44         9",
      "   macro avg       0.27      0.40      0.31         9",
      "weighted avg       0.30      0.44      0.35         9",
      "",
    ],
  );
});

Deno.test("confusionMatrix follows sklearn's rows-true convention and validates labels", () => {
  assertEquals(confusionMatrix([0, 1, 1, 2], [0, 0, 1, 2], 3), [[1, 0, 0], [1, 1, 0], [0, 0, 1]]);
  assertThrows(() => confusionMatrix([0, 3], [0, 0], 3), RangeError, "out of range");
  assertThrows(() => confusionMatrix([0], [0, 1], 3), RangeError, "length mismatch");
  assertEquals(normalizeRows([[1, 3], [0, 0]]), [[0.25, 0.75], [0, 0]]);
});

Deno.test("aggregateTracks: mean of segment probabilities, then argmax (ties to the first)", () => {
  const t = aggregateTracks([
    { track: "t2", yTrue: 1, probs: [0.9, 0.1, 0.0] }, // alone: argmax 0
    { track: "t1", yTrue: 0, probs: [0.5, 0.25, 0.25] },
    { track: "t1", yTrue: 0, probs: [0.5, 0.25, 0.25] },
    { track: "t1", yTrue: 0, probs: [0.25, 0, 0.75] }, // mean [1.25, 0.5, 1.25] / 3: tie → 0
  ]);
  assertEquals(t.tracks, ["t1", "t2"]);
  assertEquals([...t.yTrue], [0, 1]);
  assertEquals([...t.yPred], [0, 0]);
  assertEquals([...t.segments], [3, 1]);
  assertAlmostEquals(t.probs[0]!, 1.25 / 3, 1e-12);
  assertAlmostEquals(t.probs[1]!, 0.5 / 3, 1e-12);
  assertAlmostEquals(accuracy(t.yTrue, t.yPred), 0.5);
  // segment-level majority would say class 1 for this track; the probability mean says 0.
  const u = aggregateTracks([
    { track: "x", yTrue: 0, probs: [0.45, 0.55] },
    { track: "x", yTrue: 0, probs: [0.45, 0.55] },
    { track: "x", yTrue: 0, probs: [0.99, 0.01] },
  ]);
  assertEquals(u.yPred[0], 0);
  assertThrows(
    () =>
      aggregateTracks([{ track: "x", yTrue: 0, probs: [1, 0] }, {
        track: "x",
        yTrue: 1,
        probs: [1, 0],
      }]),
    RangeError,
    "true labels",
  );
});

Deno.test("argmax and accuracy edge cases", () => {
  assertEquals(argmax([0.1, 0.7, 0.7]), 1);
  assertEquals(argmax([NaN, 2, 3]), 2);
  assertThrows(() => argmax([]), RangeError);
  assertThrows(() => accuracy([], []), RangeError, "empty");
});
