// WebGPU overhead probes (raw dispatches, mapAsync round trips, tfjs ops), wall and CPU time:
// `deno run -A scripts/dev/webgpu_micro.ts`; the H200 figures are in docs/measurements/.
import process from "node:process";
import * as tf from "@tensorflow/tfjs";
const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
async function measure(name: string, n: number, f: () => Promise<void>): Promise<void> {
  await f(); // warm
  const w0 = performance.now(), c0 = cpu();
  await f();
  const w = performance.now() - w0, c = cpu() - c0;
  console.log(
    JSON.stringify({
      probe: name,
      n,
      wall_ms: +w.toFixed(2),
      cpu_ms: +c.toFixed(2),
      wall_us_each: +(1000 * w / n).toFixed(1),
      cpu_us_each: +(1000 * c / n).toFixed(1),
    }),
  );
}
const adapter = (await navigator.gpu.requestAdapter({ powerPreference: "high-performance" }))!;
const device = await adapter.requestDevice();
const mod = device.createShaderModule({
  code: `@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) { if (g.x < arrayLength(&a)) { a[g.x] = a[g.x] * 1.0001 + 1.0; } }`,
});
const pipe = device.createComputePipeline({
  layout: "auto",
  compute: { module: mod, entryPoint: "main" },
});
const buf = device.createBuffer({
  size: 4 * 65536,
  usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
});
const rd = device.createBuffer({
  size: 4 * 65536,
  usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
});
const bg = device.createBindGroup({
  layout: pipe.getBindGroupLayout(0),
  entries: [{ binding: 0, resource: { buffer: buf } }],
});
const dispatches = async (n: number, perSubmit: number, newBindGroup: boolean) => {
  let enc = device.createCommandEncoder();
  let pass = enc.beginComputePass();
  let k = 0;
  for (let i = 0; i < n; i++) {
    pass.setPipeline(pipe);
    pass.setBindGroup(
      0,
      newBindGroup
        ? device.createBindGroup({
          layout: pipe.getBindGroupLayout(0),
          entries: [{ binding: 0, resource: { buffer: buf } }],
        })
        : bg,
    );
    pass.dispatchWorkgroups(1024);
    if (++k === perSubmit) {
      pass.end();
      device.queue.submit([enc.finish()]);
      enc = device.createCommandEncoder();
      pass = enc.beginComputePass();
      k = 0;
    }
  }
  pass.end();
  enc.copyBufferToBuffer(buf, 0, rd, 0, 4 * 65536);
  device.queue.submit([enc.finish()]);
  await rd.mapAsync(GPUMapMode.READ);
  rd.unmap();
};
await measure("raw: 1000 dispatches, one submit", 1000, () => dispatches(1000, 1000, false));
await measure(
  "raw: 1000 dispatches, submit per 15, new bind group each",
  1000,
  () => dispatches(1000, 15, true),
);
await measure("raw: 100 x (1 dispatch + mapAsync)", 100, async () => {
  for (let i = 0; i < 100; i++) await dispatches(1, 1, false);
});
await measure("raw: 100 x createBuffer+writeBuffer 256B", 100, async () => {
  await device.queue.onSubmittedWorkDone();
  for (let i = 0; i < 100; i++) {
    const u = device.createBuffer({
      size: 256,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(u, 0, new Float32Array(64));
    u.destroy();
  }
});
// tfjs on its webgpu backend
await import("@tensorflow/tfjs-backend-webgpu");
await tf.setBackend("webgpu");
await tf.ready();
console.log(JSON.stringify({ backend: tf.getBackend() }));
const x = tf.randomNormal([2048, 2048]);
await measure("tfjs: 10 matmul 2048^3, then data()", 10, async () => {
  let y = x;
  for (let i = 0; i < 10; i++) {
    const z = tf.matMul(y, x);
    if (y !== x) y.dispose();
    y = z;
  }
  await y.data();
  y.dispose();
});
const s = tf.randomNormal([48, 64, 64, 32]);
await measure("tfjs: 1000 add [48,64,64,32], then data()", 1000, async () => {
  let y = s;
  for (let i = 0; i < 1000; i++) {
    const z = tf.add(y, 1);
    if (y !== s) y.dispose();
    y = z;
  }
  await y.data();
  y.dispose();
});
const small = tf.randomNormal([64]);
await measure("tfjs: 1000 add [64], then data()", 1000, async () => {
  let y = small;
  for (let i = 0; i < 1000; i++) {
    const z = tf.add(y, 1);
    if (y !== small) y.dispose();
    y = z;
  }
  await y.data();
  y.dispose();
});
await measure("tfjs: 100 x (add [64] + data())", 100, async () => {
  for (let i = 0; i < 100; i++) {
    const z = tf.add(small, 1);
    await z.data();
    z.dispose();
  }
});
const img = tf.randomNormal([48, 128, 128, 32]), w = tf.randomNormal([3, 3, 32, 32]);
await measure("tfjs: 10 conv2d [48,128,128,32]x3x3x32, then data()", 10, async () => {
  const ys = [];
  for (let i = 0; i < 10; i++) ys.push(tf.conv2d(img as tf.Tensor4D, w as tf.Tensor4D, 1, "same"));
  await ys[9].data();
  tf.dispose(ys);
});
