import * as tf from "@tensorflow/tfjs";
import { meanGrad, registerBroadcastGradients, sumGrad } from "./_gradients.ts";
import { assert, assertEquals } from "../_assert.ts";

await tf.setBackend("cpu");

/** Runs `f` counting the tensors made from JavaScript values with at least `size` elements. */
function hostTensors(size: number, f: () => void): number {
  const engine = tf.engine() as unknown as { makeTensor: (...a: unknown[]) => tf.Tensor };
  const original = engine.makeTensor;
  let n = 0;
  engine.makeTensor = function (this: unknown, ...a: unknown[]): tf.Tensor {
    const values = a[0] as ArrayLike<number> | null;
    if (values !== null && values !== undefined && values.length >= size) n++;
    return original.apply(this, a);
  };
  try {
    f();
  } finally {
    engine.makeTensor = original;
  }
  return n;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).arraySync() as number);
}

Deno.test("Mean and Sum gradients: the stock values, over every axis pattern", () => {
  const x = tf.randomNormal([3, 4, 5, 6], 0, 1, "float32", 7);
  for (const axis of [[0, 1, 2], [3], [1, 2], [0], [0, 1, 2, 3], [-1]]) {
    for (
      const [name, ours, op] of [
        ["Mean", meanGrad, tf.mean],
        ["Sum", sumGrad, tf.sum],
      ] as const
    ) {
      const reduced = op(x, axis);
      const dy = tf.randomNormal(reduced.shape, 0, 1, "float32", 3);
      const stock = tf.getGradient(name)!.gradFunc(dy, [x], { axis }) as Record<
        string,
        () => tf.Tensor
      >;
      const want = stock.x(), got = ours(dy, [x], { axis }).x();
      assertEquals(got.shape, x.shape);
      assert(maxAbsDiff(got, want) <= 1e-7, `${name} ${axis}: ${maxAbsDiff(got, want)}`);
      tf.dispose([reduced, dy, want, got]);
    }
  }
  x.dispose();
});

Deno.test("registerBroadcastGradients: no host-filled tensor of x's size in the backward pass", () => {
  const x = tf.randomNormal([8, 16, 16, 4], 0, 1, "float32", 1);
  const loss = (v: tf.Tensor): tf.Scalar => {
    const { mean, variance } = tf.moments(v, [0, 1, 2]);
    return tf.add(tf.sum(tf.mul(tf.sub(v, mean), tf.rsqrt(variance))), tf.mean(tf.square(v)));
  };
  // The stock gradients fill ones(x.shape) in JavaScript: this test would see them.
  const stockHost = hostTensors(x.size, () => tf.dispose(tf.grad(loss)(x)));
  assert(stockHost > 0, "the stock Mean/Sum gradients should make host tensors here");
  const stockGrad = tf.grad(loss)(x);
  assertEquals(registerBroadcastGradients().sort(), ["Mean", "Sum"]);
  assertEquals(registerBroadcastGradients(), [], "idempotent");
  const before = tf.memory().numTensors;
  let ours: tf.Tensor | null = null;
  assertEquals(hostTensors(x.size, () => (ours = tf.grad(loss)(x))), 0);
  assert(maxAbsDiff(ours!, stockGrad) <= 1e-5, `${maxAbsDiff(ours!, stockGrad)}`);
  tf.dispose(ours!);
  assertEquals(tf.memory().numTensors, before);
  tf.dispose([x, stockGrad]);
});
