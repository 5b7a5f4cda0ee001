import { initBackend, tf } from "./backend.ts";
import { assertAlmostEquals, assertEquals } from "../_assert.ts";
import {
  balancedClassWeights,
  countCorrect,
  crossEntropyRows,
  crossEntropyTensor,
} from "./loss.ts";

await initBackend({ backend: "cpu", quiet: true });

const probs = new Float32Array([0.7, 0.2, 0.1, 0.1, 0.3, 0.6]);
const labels = new Int32Array([0, 2]);

Deno.test("cross-entropy: plain, label-smoothed (Keras formula) and class-weighted", () => {
  const plain = [-Math.log(0.7), -Math.log(0.6)];
  const s = 0.1;
  const t = (hit: boolean): number => (hit ? 1 - s : 0) + s / 3;
  const smooth = [
    -(t(true) * Math.log(0.7) + t(false) * Math.log(0.2) + t(false) * Math.log(0.1)),
    -(t(false) * Math.log(0.1) + t(false) * Math.log(0.3) + t(true) * Math.log(0.6)),
  ];
  const rows = crossEntropyRows(probs, labels, 3);
  rows.forEach((r, i) => assertAlmostEquals(r, plain[i]!, 1e-6));
  const rowsS = crossEntropyRows(probs, labels, 3, { labelSmoothing: s });
  rowsS.forEach((r, i) => assertAlmostEquals(r, smooth[i]!, 1e-6));

  const p = tf.tensor2d(probs, [2, 3]);
  const y = tf.tensor1d(labels, "int32");
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const value = (o: Parameters<typeof crossEntropyTensor>[2], d?: number): number => {
    const l = crossEntropyTensor(p, y, o, d);
    const v = l.dataSync()[0]!;
    l.dispose();
    return v;
  };
  assertAlmostEquals(value({}), mean(plain), 1e-6);
  assertAlmostEquals(value({ labelSmoothing: s }), mean(smooth), 1e-6);
  // Weighted: sum(w·l) / n (Keras sum_over_batch_size), not / sum(w).
  assertAlmostEquals(
    value({ classWeights: [2, 1, 0.5] }),
    (2 * plain[0]! + 0.5 * plain[1]!) / 2,
    1e-6,
  );
  // A micro-batch divisor: the part of a batch of 8.
  assertAlmostEquals(value({}, 8), (plain[0]! + plain[1]!) / 8, 1e-6);
  tf.dispose([p, y]);
});

Deno.test("cross-entropy renormalises and clips probabilities like Keras", () => {
  // Row sums to 2: normalised to [0.5, 0.5]; a zero probability is clipped to 1e-7.
  const l = crossEntropyRows(new Float32Array([1, 1, 0, 1]), new Int32Array([0, 0]), 2);
  assertAlmostEquals(l[0]!, Math.log(2), 1e-9);
  assertAlmostEquals(l[1]!, -Math.log(1e-7), 1e-6);
  const t = crossEntropyTensor(tf.tensor2d([[0, 1]]), tf.tensor1d([0], "int32"), {});
  assertAlmostEquals(t.dataSync()[0]!, -Math.log(1e-7), 1e-3);
});

Deno.test("balanced class weights are n / (C · count)", () => {
  const w = balancedClassWeights(new Int32Array([0, 0, 0, 1, 2, 2]), 4);
  assertEquals(w.map((x) => Number(x.toFixed(6))), [0.5, 1.5, 0.75, 1]);
});

Deno.test("countCorrect: arg-max with first-max ties, top-k counts boundary ties as in", () => {
  assertEquals(countCorrect(probs, labels, 3, 1), { top1: 2, topK: 2 });
  // Row [0.4, 0.4, 0.2]: argmax is class 0; label 1 tied at the top → top-1 miss, top-1 (k=1) hit.
  const tie = new Float32Array([0.4, 0.4, 0.2]);
  assertEquals(countCorrect(tie, new Int32Array([1]), 3, 1), { top1: 0, topK: 1 });
  const five = new Float32Array([0.3, 0.25, 0.2, 0.15, 0.1]);
  assertEquals(countCorrect(five, new Int32Array([2]), 5, 3), { top1: 0, topK: 1 });
  assertEquals(countCorrect(five, new Int32Array([3]), 5, 3), { top1: 0, topK: 0 });
});
