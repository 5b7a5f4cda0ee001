import { tf } from "./backend.ts";
import { assert, assertEquals } from "../_assert.ts";
import { modelFlops } from "./flops.ts";
import { buildModel, type ModelName } from "../models/mod.ts";

await tf.setBackend("cpu");

/** The forward FLOPs for one 128×128×1 input (2 × multiply-adds of conv and dense). */
const EXPECTED_G: Record<ModelName, number> = {
  Efficient_VGG: 0.080,
  ResSE_AudioCNN: 1.42,
  UNet_Audio_Classifier: 1.67,
  Lean_UNet: 0.61,
};

Deno.test("forward FLOPs of the four models are within 3% of the expected totals", () => {
  for (const [name, g] of Object.entries(EXPECTED_G) as [ModelName, number][]) {
    const model = buildModel(name);
    const f = modelFlops(model);
    assertEquals(f.uncounted, []);
    for (const x of [f.total, f.convDense]) {
      assert(Math.abs(x / 1e9 / g - 1) <= 0.03, `${name}: ${(x / 1e9).toFixed(4)} G vs ${g} G`);
    }
    assert(f.convDense / f.total > 0.97, `${name}: conv/dense share ${f.convDense / f.total}`);
    assertEquals(f.total, f.perLayer.reduce((s, l) => s + l.flops, 0));
    model.dispose();
  }
});

Deno.test("UNet FLOPs match the hand count layer by layer", () => {
  const f = modelFlops(buildModel("UNet_Audio_Classifier"));
  const by = new Map(f.perLayer.map((l) => [l.name, l.flops]));
  const hw = 128 * 128;
  assertEquals(by.get("enc1_conv1"), 2 * 9 * 1 * 32 * hw);
  assertEquals(by.get("enc1_conv2"), 2 * 9 * 32 * 32 * hw);
  assertEquals(by.get("enc1_bn1"), 2 * 32 * hw);
  assertEquals(by.get("enc1_prelu1"), 2 * 32 * hw);
  assertEquals(by.get("enc1_pool"), 4 * 32 * (hw / 4));
  assertEquals(by.get("enc2_conv1"), 2 * 9 * 32 * 64 * (hw / 4));
  assertEquals(by.get("bneck_conv2"), 2 * 9 * 256 * 256 * (hw / 64));
  assertEquals(by.get("gap"), 256 * (hw / 64));
  assertEquals(by.get("dropout"), 0);
  assertEquals(by.get("classifier"), 2 * 256 * 10 + 10 + 10); // kernel, bias, softmax
  // Conv/dense total, exactly: 2 × MACs + bias + activation of the classifier.
  const macs = hw * (9 * 32 + 9 * 32 * 32) + (hw / 4) * (9 * 32 * 64 + 9 * 64 * 64) +
    (hw / 16) * (9 * 64 * 128 + 9 * 128 * 128) + (hw / 64) * (9 * 128 * 256 + 9 * 256 * 256) +
    256 * 10;
  assertEquals(f.convDense, 2 * macs + 20);
});

Deno.test("SE block, residual add and strided convolutions are counted", () => {
  const f = modelFlops(buildModel("ResSE_AudioCNN"));
  const by = new Map(f.perLayer.map((l) => [l.name, l]));
  // Stride 2: output 64×64 from a 128×128 input.
  assertEquals(by.get("block1_conv1")!.flops, 2 * 9 * 32 * 64 * 64 * 64);
  assertEquals(by.get("block1_shortcut_conv")!.flops, 2 * 32 * 64 * 64 * 64);
  assertEquals(by.get("block1_add")!.flops, 64 * 64 * 64);
  assertEquals(by.get("block1_se_scale")!.flops, 64 * 64 * 64);
  // Dense 64 → 8 with bias and relu.
  assertEquals(by.get("block1_se_reduce")!.flops, 2 * 64 * 8 + 8 + 8);
  assertEquals(by.get("block1_se_reshape")!.flops, 0);
});

Deno.test("FLOPs scale with the input size and layers it does not model are reported", () => {
  const small = modelFlops(buildModel("Lean_UNet", { inputShape: [64, 64, 1] }));
  const big = modelFlops(buildModel("Lean_UNet"));
  // Everything but the classifier scales with the area.
  const head = big.perLayer.find((l) => l.name === "classifier")!.flops;
  assertEquals(big.total - head, 4 * (small.total - head));

  const input = tf.input({ shape: [8] });
  const out = tf.layers.simpleRNN({ units: 2 }).apply(
    tf.layers.reshape({ targetShape: [4, 2] }).apply(input),
  ) as tf.SymbolicTensor;
  assertEquals(modelFlops(tf.model({ inputs: input, outputs: out })).uncounted, ["SimpleRNN"]);
});
