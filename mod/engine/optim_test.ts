import { initBackend, tf } from "./backend.ts";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { Adam, cosineDecay } from "./optim.ts";

await initBackend({ backend: "cpu", quiet: true });

/** Keras 3 Adam(W) on one scalar, in float64, written out from the Keras update rule. */
function kerasAdamReference(
  w0: number,
  grad: (w: number) => number,
  steps: number,
  o: { lr: number; b1: number; b2: number; eps: number; wd?: number },
): number[] {
  let w = w0;
  let m = 0;
  let v = 0;
  const out: number[] = [];
  for (let t = 1; t <= steps; t++) {
    const g = grad(w);
    w -= w * (o.wd ?? 0) * o.lr;
    const alpha = (o.lr * Math.sqrt(1 - o.b2 ** t)) / (1 - o.b1 ** t);
    m += (g - m) * (1 - o.b1);
    v += (g * g - v) * (1 - o.b2);
    w -= (m * alpha) / (Math.sqrt(v) + o.eps);
    out.push(w);
  }
  return out;
}

function runAdam(
  w0: number,
  steps: number,
  options: ConstructorParameters<typeof Adam>[1],
): number[] {
  const w = tf.variable(tf.scalar(w0));
  const opt = new Adam([w], options);
  const out: number[] = [];
  for (let t = 0; t < steps; t++) {
    // f(w) = (w - 3)² → g = 2(w - 3)
    const g = tf.tidy(() => tf.mul(tf.sub(w, 3), 2));
    opt.applyGradients([g]);
    g.dispose();
    out.push(w.dataSync()[0]!);
  }
  opt.dispose();
  w.dispose();
  return out;
}

Deno.test("Adam follows the Keras update (ε outside the bias correction) on a quadratic", () => {
  // A large ε makes the Keras and tfjs/paper ε placements differ visibly.
  for (const eps of [1e-7, 0.5]) {
    const got = runAdam(1, 5, { lr: 0.1, epsilon: eps });
    const want = kerasAdamReference(1, (w) => 2 * (w - 3), 5, {
      lr: 0.1,
      b1: 0.9,
      b2: 0.999,
      eps,
    });
    got.forEach((g, i) => assertAlmostEquals(g, want[i]!, 2e-6, `eps ${eps} step ${i}: ${g}`));
  }
  // The first Keras step moves by lr·sign(g) when ε is negligible.
  assertAlmostEquals(runAdam(1, 1, {})[0]!, 1 + 1e-3, 1e-7);
});

Deno.test("AdamW decays weights decoupled from the gradient (θ -= lr·wd·θ first)", () => {
  const got = runAdam(2, 4, { lr: 0.05, weightDecay: 0.1, beta1: 0.8, beta2: 0.99 });
  const want = kerasAdamReference(2, (w) => 2 * (w - 3), 4, {
    lr: 0.05,
    b1: 0.8,
    b2: 0.99,
    eps: 1e-7,
    wd: 0.1,
  });
  got.forEach((g, i) => assertAlmostEquals(g, want[i]!, 2e-6));
  // With a zero gradient, only the decay acts.
  const w = tf.variable(tf.tensor1d([1, -2]));
  const opt = new Adam([w], { lr: 0.1, weightDecay: 0.5 });
  const g = tf.zeros([2]);
  opt.applyGradients([g]);
  assertEquals(Array.from(w.dataSync()), [0.949999988079071, -1.899999976158142]);
  tf.dispose([w, g]);
  opt.dispose();
});

Deno.test("clipnorm clips each gradient by its own norm; globalClipnorm by the joint norm", async () => {
  const grads = [tf.tensor1d([3, 4]), tf.tensor1d([0.3, 0.4])]; // norms 5 and 0.5
  const firstMoment = async (options: ConstructorParameters<typeof Adam>[1]): Promise<number[]> => {
    const vars = [tf.variable(tf.zeros([2])), tf.variable(tf.zeros([2]))];
    const opt = new Adam(vars, options);
    opt.applyGradients(grads);
    const s = await opt.getState();
    opt.dispose();
    tf.dispose(vars);
    // m = (1 - β1)·g after one step, so g = m / 0.1
    return [...s.m[0]!, ...s.m[1]!].map((x) => x / 0.1);
  };
  const perTensor = await firstMoment({ clipnorm: 1 });
  [0.6, 0.8, 0.3, 0.4].forEach((e, i) => assertAlmostEquals(perTensor[i]!, e, 1e-6));
  const global = await firstMoment({ globalClipnorm: 1 });
  const scale = 1 / Math.sqrt(25 + 0.25);
  [3, 4, 0.3, 0.4].forEach((e, i) => assertAlmostEquals(global[i]!, e * scale, 1e-6));
  const none = await firstMoment({});
  [3, 4, 0.3, 0.4].forEach((e, i) => assertAlmostEquals(none[i]!, e, 1e-6));
  tf.dispose(grads);
  assertThrows(() => new Adam([], { clipnorm: 1, globalClipnorm: 1 }), RangeError);
});

Deno.test("cosineDecay matches the Keras formula and drives the optimizer's rate", () => {
  const s = { kind: "cosine" as const, decaySteps: 100, alpha: 0.1 };
  assertAlmostEquals(cosineDecay(4e-4, 0, s), 4e-4, 1e-15);
  assertAlmostEquals(cosineDecay(4e-4, 50, s), 4e-4 * (0.9 * 0.5 + 0.1), 1e-15);
  assertAlmostEquals(
    cosineDecay(4e-4, 25, s),
    4e-4 * (0.9 * 0.5 * (1 + Math.cos(Math.PI / 4)) + 0.1),
    1e-15,
  );
  assertAlmostEquals(cosineDecay(4e-4, 500, s), 4e-5, 1e-15);
  const w = tf.variable(tf.scalar(0));
  const opt = new Adam([w], { lr: 1, schedule: { kind: "cosine", decaySteps: 2 } });
  assertEquals(opt.currentLearningRate(), 1);
  const g = tf.scalar(1);
  opt.applyGradients([g]);
  assertAlmostEquals(opt.currentLearningRate(), 0.5, 1e-12);
  opt.applyGradients([g]);
  assertAlmostEquals(opt.currentLearningRate(), 0, 1e-12);
  assertThrows(() => (opt.learningRate = 0.1), TypeError);
  tf.dispose([w, g]);
  opt.dispose();
});

Deno.test("optimizer state round-trips: a restored optimizer continues identically", async () => {
  const make = (): [tf.Variable, Adam] => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    return [w, new Adam([w], { lr: 0.01, weightDecay: 0.01 })];
  };
  const step = (w: tf.Variable, opt: Adam): void => {
    const g = tf.tidy(() => tf.sin(w));
    opt.applyGradients([g]);
    g.dispose();
  };
  const [w1, o1] = make();
  for (let i = 0; i < 3; i++) step(w1, o1);
  const state = await o1.getState();
  const [w2, o2] = make();
  w2.assign(w1.clone());
  o2.setState(state);
  assertEquals(o2.iterations, 3);
  for (let i = 0; i < 3; i++) {
    step(w1, o1);
    step(w2, o2);
  }
  assertEquals(Array.from(w2.dataSync()), Array.from(w1.dataSync()));
  assert(o1.iterations === 6);
  tf.dispose([w1, w2]);
  o1.dispose();
  o2.dispose();
});

Deno.test("Adam: creating, stepping and disposing leaves no tensor behind", () => {
  const w = tf.variable(tf.tensor1d([1, 2, 3]));
  const g = tf.tensor1d([0.1, -0.2, 0.3]);
  const before = tf.memory().numTensors;
  const opt = new Adam([w]);
  opt.applyGradients([g]);
  opt.applyGradients([g]);
  opt.dispose();
  assertEquals(tf.memory().numTensors, before);
  tf.dispose([w, g]);
});
