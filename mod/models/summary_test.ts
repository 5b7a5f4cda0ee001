import { tf } from "../engine/backend.ts";
import { assert, assertEquals } from "../_assert.ts";
import { modelFlops } from "../engine/flops.ts";
import { buildModel } from "./mod.ts";
import { formatFlops, modelSummary, paramCounts } from "./summary.ts";

await tf.setBackend("cpu");

Deno.test("summary of a chain: one row per layer, Keras totals, FLOPs", () => {
  const model = buildModel("UNet_Audio_Classifier");
  const text = modelSummary(model, modelFlops(model));
  const lines = text.split("\n");
  assertEquals(lines[0], 'Model: "UNet_Audio_Classifier"');
  assert(/^Layer \(type\) +Output Shape +Param # +FLOPs$/.test(lines[2]!), lines[2]);
  assert(!text.includes("Connected to"), "a chain needs no inbound column");
  const conv = lines.find((l) => l.startsWith("enc1_conv2 (Conv2D)"))!;
  assert(/\(None, 128, 128, 32\) +9,216 +301\.99 M$/.test(conv), conv);
  assert(text.includes("Total params: 1,178,090 (4.49 MB)"));
  assert(text.includes("Trainable params: 1,176,170 (4.49 MB)"));
  assert(text.includes("Non-trainable params: 1,920 (7.50 KB)"));
  assert(text.includes("FLOPs (forward, one example): 1.6792 G (conv/dense 1.6704 G)"));
  assertEquals(lines.length, 4 + model.layers.length + 4 + 1);
});

Deno.test("summary of a branching model lists inbound layers", () => {
  const model = buildModel("ResSE_AudioCNN", { inputShape: [32, 32, 1] });
  const text = modelSummary(model);
  assert(text.includes("Connected to"));
  const add = text.split("\n").find((l) => l.startsWith("block1_add (Add)"))!;
  assert(add.endsWith("block1_se_scale, block1_shortcut_bn"), add);
  assert(!text.includes("FLOPs"));
  assertEquals(paramCounts(model).trainable, 1_232_770);
});

Deno.test("formatFlops picks the SI prefix", () => {
  assertEquals(formatFlops(1_679_234_068), "1.679 G");
  assertEquals(formatFlops(301_989_888), "301.99 M");
  assertEquals(formatFlops(2_580), "2.58 K");
  assertEquals(formatFlops(0), "0");
});
