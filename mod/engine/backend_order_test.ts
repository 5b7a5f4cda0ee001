// `auto` on a machine with the native engine installed and only a software WebGPU adapter (Mesa's
// lavapipe): TensorFlow's library segfaulted when loaded after the Vulkan driver (LLVM inside);
// `preloadTensorFlow` now loads it before any adapter request, and `auto` must end on the native
// engine with the software adapter still usable by name. (`native_test.ts` covers the explicit
// `--backend tensorflow` after a probe.) Runs in a child process (a crash must not take the test
// runner down), when both are present; ignored, by name, otherwise.
import { join } from "node:path";
import { readNativeManifest } from "./native.ts";
import { probeWebGpu } from "./_webgpu.ts";
import { assertEquals } from "../_assert.ts";

const installed = (await readNativeManifest("cpu").catch(() => null)) !== null;
const ffi = (await Deno.permissions.query({ name: "ffi" })).state === "granted";
const run = (await Deno.permissions.query({ name: "run" })).state === "granted";
// Whether a software adapter exists here (probing preloads TensorFlow first, as the engine does).
const adapter = installed && ffi && run ? await probeWebGpu() : null;

Deno.test({
  name: "auto with the native engine and a software WebGPU adapter: native, no crash",
  ignore: !installed || !ffi || !run || adapter === null || !adapter.info.isFallbackAdapter,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    const script = join(dir, "auto.ts");
    const backend = new URL("./backend.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { initBackend } from ${JSON.stringify(backend)};\n` +
        `const a = await initBackend({ quiet: true });\n` +
        `const b = await initBackend({ backend: "webgpu", quiet: true });\n` +
        `console.log(JSON.stringify([a.name, b.name, b.adapter?.isFallbackAdapter]));\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", new URL("../../deno.json", import.meta.url).pathname, script],
      env: { XDG_RUNTIME_DIR: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    await Deno.remove(dir, { recursive: true });
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, `exit ${out.code} (139: segfault)\n${stderr.slice(-2000)}`);
    const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
    assertEquals(JSON.parse(line), ["tensorflow", "webgpu", true]);
  },
});
