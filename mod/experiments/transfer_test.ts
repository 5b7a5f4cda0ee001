import { tf } from "../engine/backend.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { buildModel } from "../models/mod.ts";
import { transferWeights } from "./transfer.ts";

await tf.setBackend("cpu");

function values(model: tf.LayersModel, layer: string): number[][] {
  return model.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync()));
}

Deno.test("UNet 10 → 5 classes: encoder and bottleneck copied, classifier skipped by shape", () => {
  const source = buildModel("UNet_Audio_Classifier", { numClasses: 10, seed: 1 });
  const target = buildModel("UNet_Audio_Classifier", { numClasses: 5, seed: 2 });
  // Give the source's BatchNorm statistics non-default values: they must travel too.
  const bn = source.getLayer("enc2_bn1");
  bn.setWeights(bn.getWeights().map((w, i) => tf.fill(w.shape, i + 0.5)));
  const before = values(target, "classifier");
  const lines: string[] = [];

  const { copied, skipped } = transferWeights(source, target, { log: (l) => lines.push(l) });

  const expected: string[] = [];
  for (const e of ["enc1", "enc2", "enc3", "bneck"]) {
    for (const k of [1, 2]) expected.push(`${e}_conv${k}`, `${e}_bn${k}`, `${e}_prelu${k}`);
  }
  assertEquals(copied, expected);
  assertEquals(skipped.length, 1);
  assertEquals(skipped[0]!.name, "classifier");
  assert(skipped[0]!.reason.includes("[256,10] [10] in source, [256,5] [5] in target"));
  for (const name of expected) assertEquals(values(target, name), values(source, name), name);
  assertEquals(values(target, "enc2_bn1")[3]![0], 3.5);
  assertEquals(values(target, "classifier"), before);
  assertEquals(
    lines[0],
    "transfer UNet_Audio_Classifier → UNet_Audio_Classifier: copied 24 of 25 layers with weights",
  );
  assert(lines[1]!.includes("not copied: classifier"));

  // The copies are independent: changing the source afterwards leaves the target alone.
  const conv = source.getLayer("enc1_conv1");
  conv.setWeights([tf.zerosLike(conv.getWeights()[0]!)]);
  assert(values(target, "enc1_conv1")[0]!.some((v) => v !== 0));
});

Deno.test("transfer between different architectures copies nothing and says so", () => {
  const source = buildModel("Lean_UNet");
  const target = buildModel("UNet_Audio_Classifier", { inputShape: [32, 32, 1] });
  assertThrows(
    () => transferWeights(source, target, { log: () => {} }),
    Error,
    "no layer matched",
  );
});

Deno.test("layers present in the target only are reported as missing in the source", () => {
  const source = buildModel("Lean_UNet", { numClasses: 4 });
  const target = buildModel("Efficient_VGG", { numClasses: 4 });
  const { copied, skipped } = transferWeights(source, target, { log: () => {} });
  assertEquals(copied, ["classifier"]); // both heads are Dense 128 → 4
  assert(skipped.some((s) => s.name === "fc" && s.reason.startsWith("no layer of that name")));
});
