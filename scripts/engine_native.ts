/**
 * # The native TensorFlow engine
 *
 * `deno task engine:native [--gpu] [--from-pypi] [--force] [--check] [--keras]`
 *
 * Installs `@tensorflow/tfjs-node` 4.22.0 (with `--gpu`, `@tensorflow/tfjs-node-gpu`) into
 * `.native/<cpu|gpu>/` (git-ignored; its own `npm ci` from the lockfile in `scripts/native/`, apart
 * from Deno's `node_modules`), so that `--backend tensorflow` (and `auto`) train on TensorFlow's own
 * CPU (or CUDA) kernels. Idempotent: a second run checks the install, says so and does nothing.
 *
 * How: when TensorFlow's download host (storage.googleapis.com) answers and `--from-pypi` is not
 * given, the package's own install script fetches its prebuilt libtensorflow. Otherwise (the case
 * on machines that only reach package registries) the N-API binding is built here against the
 * TensorFlow C library inside the pinned PyPI wheel (`tensorflow-cpu` 2.21.0; for `--gpu` the
 * `tensorflow` wheel and its `and-cuda` CUDA runtime wheels), fetched with pip into
 * `.native/cache/wheels/` (no Python package is installed anywhere), checked against its sha256,
 * and built with node-gyp (g++, make, Node's headers). Prerequisites are checked first; each
 * missing one is named with the distro package that provides it.
 *
 * Writes `.native/<variant>/manifest.json` (versions, wheel and sha256, toolchain); the GPU build
 * also writes `.native/gpu/native.env` (`LD_LIBRARY_PATH` of the CUDA wheels' libraries), which the
 * engine reads before loading the binding. Needs: network to npm and PyPI (or the cache), ~2 GB of
 * disk (CPU build: 0.3 GB wheel, 0.9 GB libraries), 1–3 minutes. `--keras` instead sets up
 * `.native/keras`, a Python venv with `tensorflow-cpu` (Keras 3) for `deno task bench`'s
 * side-by-side comparison (dev-only; nothing else uses it).
 *
 * @module
 */
import { join } from "node:path";
import { parseCli, runMain, UserError } from "../mod/cli.ts";
import { exists, writeFileAtomic, writeJsonAtomic } from "../mod/fs.ts";
import { log } from "../mod/progress.ts";
import {
  initBackend,
  NATIVE_PINS,
  nativeDir,
  type NativeManifest,
  nativeRoot,
  type NativeVariant,
  readNativeManifest,
  tf,
} from "../mod/engine/mod.ts";
import {
  checkPrerequisites,
  dropDuplicateTfjs,
  extractFromWheel,
  fetchWheel,
  linkDeps,
  mustRun,
  nodePrefix,
  run,
  sha256File,
  wheelExtraRequirements,
} from "./_native_build.ts";

const SPEC = {
  usage: "deno task engine:native [--gpu] [--from-pypi] [--force] [--check] [--keras]",
  description: "Install the native TensorFlow engine (tfjs-node) into .native/ for --backend " +
    "tensorflow.",
  flags: {
    gpu: { type: "boolean", help: "the CUDA build (tfjs-node-gpu against tensorflow[and-cuda])" },
    "from-pypi": {
      type: "boolean",
      help: "build against the PyPI wheel even when TensorFlow's download host is reachable",
    },
    force: { type: "boolean", help: "rebuild even when an install is in place" },
    check: { type: "boolean", help: "only report prerequisites and what is installed" },
    keras: {
      type: "boolean",
      help: "instead: a Python venv in .native/keras with tensorflow-cpu (Keras 3) for the " +
        "bench's side-by-side comparison",
    },
  },
} as const;

const REPO = join(import.meta.dirname ?? ".", "..");

async function main(): Promise<void> {
  const { values } = parseCli(Deno.args, SPEC);
  const variant: NativeVariant = values.gpu ? "gpu" : "cpu";
  const pin = NATIVE_PINS[variant];
  const dir = nativeDir(variant);
  const installed = await readNativeManifest(variant).catch(() => null);

  if (values.check) {
    await report(variant, installed);
    return;
  }
  if (values.keras) {
    await installKeras();
    return;
  }
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new UserError(
      `the PyPI build supports Linux x86-64 only (this is ${Deno.build.os} ${Deno.build.arch}); ` +
        `elsewhere install ${pin.npm}@${NATIVE_PINS.tfjsNode} with npm into ${dir} by hand`,
    );
  }
  if (installed && !values.force && upToDate(installed, variant)) {
    const ok = await verify(variant, installed, true);
    if (ok) {
      log(
        `native engine (${variant}) already installed in ${dir}: ${installed.npm.name}@` +
          `${installed.npm.version} against TensorFlow ${installed.tensorflow.version} ` +
          `(${installed.method}); nothing to do (--force rebuilds)`,
      );
      return;
    }
    log(`native engine (${variant}) is installed but does not load: rebuilding`);
  }

  const prebuilt = !values["from-pypi"] && variant === "cpu" && await tfHostReachable();
  await requirePrerequisites(prebuilt);
  await ensureProjectTfjs();
  const t0 = performance.now();
  await Deno.remove(join(dir, "manifest.json")).catch(() => {});
  const manifest = prebuilt ? await installPrebuilt(variant) : await buildFromPypi(variant);
  await writeJsonAtomic(join(dir, "manifest.json"), manifest);
  if (!(await verify(variant, manifest, false))) {
    await Deno.remove(join(dir, "manifest.json")).catch(() => {});
    throw new UserError(`the ${variant} build does not load; see the messages above`);
  }
  log(
    `installed ${manifest.npm.name}@${manifest.npm.version} (${manifest.method}) against ` +
      `TensorFlow ${manifest.tensorflow.version} in ${dir} in ` +
      `${((performance.now() - t0) / 1000).toFixed(0)} s; use --backend tensorflow (auto picks it)`,
  );
  console.log(join(dir, "manifest.json"));
}

function upToDate(m: NativeManifest, variant: NativeVariant): boolean {
  const pin = NATIVE_PINS[variant];
  return m.npm.name === pin.npm && m.npm.version === NATIVE_PINS.tfjsNode &&
    (m.method === "prebuilt" || !pin.sha256 || m.tensorflow.sha256 === pin.sha256);
}

async function report(variant: NativeVariant, m: NativeManifest | null): Promise<void> {
  const missing = (await checkPrerequisites()).filter((p) => {
    console.log(`${p.found ? "ok     " : "MISSING"} ${p.name}${p.found ? `: ${p.found}` : ""}`);
    return !p.found;
  });
  console.log(
    m
      ? `installed (${variant}): ${m.npm.name}@${m.npm.version}, TensorFlow ` +
        `${m.tensorflow.version} (${m.method}${
          m.tensorflow.sha256 ? `, sha256 ${m.tensorflow.sha256}` : ""
        }), built ${m.built}`
      : `not installed (${variant}): run \`deno task engine:native${
        variant === "gpu" ? " --gpu" : ""
      }\``,
  );
  if (missing.length) console.log(`${missing.length} prerequisite(s) missing for a PyPI build`);
}

async function requirePrerequisites(prebuilt: boolean): Promise<void> {
  const all = await checkPrerequisites();
  const needed = prebuilt
    ? all.filter((p) => p.name.startsWith("Node.js (") || p.name === "npm")
    : all;
  const missing = needed.filter((p) => !p.found);
  if (missing.length === 0) return;
  throw new UserError(
    `missing prerequisite${missing.length > 1 ? "s" : ""} for building the native engine: ` +
      missing.map((p) => `${p.name} (${p.install})`).join("; "),
  );
}

/** The project's own node_modules must hold @tensorflow/tfjs (the binding resolves to it). */
async function ensureProjectTfjs(): Promise<void> {
  const pkg = join(REPO, "node_modules", "@tensorflow", "tfjs", "package.json");
  if (await exists(pkg)) return;
  log("deno install (the project's node_modules, which the binding shares)");
  await mustRun("deno install", Deno.execPath(), ["install"], { cwd: REPO });
  if (!(await exists(pkg))) throw new UserError(`${pkg} missing after deno install`);
}

async function tfHostReachable(): Promise<boolean> {
  try {
    const r = await fetch("https://storage.googleapis.com/tf-builds/", {
      method: "HEAD",
      signal: AbortSignal.timeout(5000),
    });
    await r.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** npm ci of the committed lockfile into `.native/<variant>/`, scripts off or on. */
async function npmInstall(variant: NativeVariant, scripts: boolean): Promise<string> {
  const dir = nativeDir(variant);
  await Deno.mkdir(dir, { recursive: true });
  for (const f of ["package.json", "package-lock.json"]) {
    await Deno.copyFile(join(REPO, "scripts", "native", variant, f), join(dir, f));
  }
  log(`npm ci ${NATIVE_PINS[variant].npm}@${NATIVE_PINS.tfjsNode} → ${dir}/node_modules`);
  await mustRun("npm ci", "npm", [
    "ci",
    "--no-audit",
    "--no-fund",
    ...(scripts ? [] : ["--ignore-scripts"]),
  ], { cwd: dir });
  const removed = await dropDuplicateTfjs(join(dir, "node_modules"), [NATIVE_PINS[variant].npm]);
  log(`using the project's @tensorflow/tfjs 4.22.0 (removed the copies: ${removed.join(", ")})`);
  return join(dir, "node_modules", ...NATIVE_PINS[variant].npm.split("/"));
}

async function installPrebuilt(variant: NativeVariant): Promise<NativeManifest> {
  log("TensorFlow's download host answers: using the package's own install script");
  await npmInstall(variant, true);
  return {
    format: 1,
    variant,
    method: "prebuilt",
    npm: { name: NATIVE_PINS[variant].npm, version: NATIVE_PINS.tfjsNode },
    tensorflow: { version: "2.9.1" },
    built: new Date().toISOString(),
  };
}

async function buildFromPypi(variant: NativeVariant): Promise<NativeManifest> {
  const pin = NATIVE_PINS[variant];
  const dir = nativeDir(variant);
  const wheels = join(nativeRoot(), "cache", "wheels");
  const plat = { pythonVersion: NATIVE_PINS.pythonVersion, platform: NATIVE_PINS.platform };
  const tfWheel = await fetchWheel({
    dir: wheels,
    wheel: pin.wheel,
    requirement: pin.pip.replace("[and-cuda]", ""),
    ...(pin.sha256 ? { sha256: pin.sha256 } : {}),
    ...plat,
  });
  log(`${pin.wheel}: sha256 ${tfWheel.sha256}${tfWheel.cached ? " (cached)" : ""}`);
  const tfDir = join(dir, "tensorflow");
  await Deno.remove(tfDir, { recursive: true }).catch(() => {});
  log("extracting TensorFlow's C library and headers from the wheel");
  await extractFromWheel(tfWheel.path, dir, [
    "tensorflow/libtensorflow_cc.so.2",
    "tensorflow/libtensorflow_framework.so.2",
    "tensorflow/include/",
  ]);
  const extra: Record<string, string> = {};
  let envFile: string | null = null;
  if (variant === "gpu") {
    const cuda = await fetchCudaWheels(tfWheel.path, wheels, join(dir, "nvidia"), plat);
    Object.assign(extra, cuda.wheels);
    envFile = cuda.env;
  }
  const pkgDir = await npmInstall(variant, false);
  await linkDeps(pkgDir, tfDir);
  const prefix = (await nodePrefix())!;
  log(`node-gyp: building the binding against TensorFlow ${NATIVE_PINS.tensorflow} (~15 s)`);
  await mustRun("node-gyp rebuild", "node", [
    join(dir, "node_modules", "node-gyp", "bin", "node-gyp.js"),
    "rebuild",
    `--nodedir=${prefix}`,
    `--module_path=${join(pkgDir, "lib", "napi-v8")}`,
    "--module_name=tfjs_binding",
    "--napi_build_version=8",
  ], { cwd: pkgDir });
  // The headers only served the build (0.27 GB).
  await Deno.remove(join(tfDir, "include"), { recursive: true });
  await Deno.remove(join(pkgDir, "build"), { recursive: true }).catch(() => {});
  if (envFile !== null) await writeFileAtomic(join(dir, "native.env"), envFile);
  const gxx = await run("g++", ["-dumpfullversion"]);
  const py = await run("python3", ["--version"]);
  const nodeV = await run("node", ["--version"]);
  return {
    format: 1,
    variant,
    method: "pypi",
    npm: { name: pin.npm, version: NATIVE_PINS.tfjsNode },
    tensorflow: { version: NATIVE_PINS.tensorflow, wheel: pin.wheel, sha256: tfWheel.sha256 },
    ...(Object.keys(extra).length ? { wheels: extra } : {}),
    toolchain: {
      "g++": gxx.stdout.trim(),
      node_headers: join(prefix, "include", "node"),
      node: nodeV.stdout.trim(),
      python: py.stdout.trim() || py.stderr.trim(),
      "node-gyp": NATIVE_PINS.nodeGyp,
    },
    built: new Date().toISOString(),
  };
}

/**
 * GPU build: the `and-cuda` requirements of the tensorflow wheel (nvidia-* runtime wheels), each
 * downloaded with `--no-deps` and its `nvidia/<pkg>/lib/*.so*` extracted; returns their sha256
 * and the env file's text (`LD_LIBRARY_PATH` of those folders).
 */
async function fetchCudaWheels(
  tfWheel: string,
  wheelDir: string,
  dest: string,
  plat: { pythonVersion: string; platform: string },
): Promise<{ wheels: Record<string, string>; env: string }> {
  const reqs = await wheelExtraRequirements(tfWheel, "and-cuda");
  if (reqs.length === 0) throw new UserError(`${tfWheel}: no "and-cuda" requirements`);
  const cudaDir = join(wheelDir, "cuda");
  await Deno.mkdir(cudaDir, { recursive: true });
  log(`pip download ${reqs.length} CUDA runtime wheels (several GB) → ${cudaDir}`);
  await mustRun("pip download (CUDA wheels)", "python3", [
    "-m",
    "pip",
    "download",
    "--no-deps",
    "--only-binary=:all:",
    "--python-version",
    plat.pythonVersion,
    // NVIDIA's wheels are tagged manylinux2014 / manylinux_2_17: pip takes the older tags only
    // when they are named.
    ...[plat.platform, "manylinux_2_17_x86_64", "manylinux2014_x86_64"].flatMap((p) => [
      "--platform",
      p,
    ]),
    "--no-cache-dir",
    "--dest",
    cudaDir,
    ...reqs,
  ]);
  const wheels: Record<string, string> = {};
  await Deno.remove(dest, { recursive: true }).catch(() => {});
  for await (const e of Deno.readDir(cudaDir)) {
    if (!e.name.endsWith(".whl") || !e.name.startsWith("nvidia_")) continue;
    const path = join(cudaDir, e.name);
    wheels[e.name] = await sha256File(path);
    await extractFromWheel(path, dest, ["nvidia/"], "nvidia/");
  }
  const libDirs: string[] = [];
  for await (const e of Deno.readDir(dest)) {
    if (e.isDirectory && await exists(join(dest, e.name, "lib"))) {
      libDirs.push(join(dest, e.name, "lib"));
    }
  }
  libDirs.sort();
  const env = [
    "# Written by deno task engine:native --gpu: the CUDA runtime libraries of the tensorflow",
    "# [and-cuda] wheels. The engine preloads them; other programs can source this file.",
    `LD_LIBRARY_PATH=${libDirs.join(":")}`,
    "TF_FORCE_GPU_ALLOW_GROWTH=true",
    "",
  ].join("\n");
  return { wheels, env };
}

/**
 * `--keras`: a venv in `.native/keras` with `tensorflow-cpu` (which brings Keras 3), used only by
 * `deno task bench --only engine` for the side-by-side figures. Idempotent.
 */
async function installKeras(): Promise<void> {
  const venv = join(nativeRoot(), "keras");
  const python = join(venv, "bin", "python");
  const probe = await run(python, ["-c", "import keras, tensorflow; print(keras.__version__)"], {
    env: { TF_CPP_MIN_LOG_LEVEL: "3" },
  });
  if (probe.code === 0) {
    log(`Keras ${probe.stdout.trim()} already in ${venv}; nothing to do`);
    return;
  }
  log(`python3 -m venv ${venv}`);
  await mustRun("python3 -m venv (Debian/Ubuntu: install python3-venv)", "python3", [
    "-m",
    "venv",
    venv,
  ]);
  log(`pip install ${NATIVE_PINS.cpu.pip} into ${venv} (≈ 600 MB with its dependencies)`);
  await mustRun("pip install", python, [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--no-cache-dir",
    NATIVE_PINS.cpu.pip,
  ]);
  log(`Keras ready in ${venv}: deno task bench --only engine compares with it`);
}

/** Loads the build in this process and runs one fused BatchNormalization and one conv. */
async function verify(
  variant: NativeVariant,
  m: NativeManifest,
  quiet: boolean,
): Promise<boolean> {
  try {
    const info = await initBackend({
      backend: "tensorflow",
      quiet: true,
      nativeVariants: [variant],
    });
    const lib = info.library!;
    const x = tf.randomNormal<tf.Rank.R4>([2, 8, 8, 3], 0, 1, "float32", 1);
    const w = tf.randomNormal<tf.Rank.R4>([3, 3, 3, 4], 0, 1, "float32", 2);
    const bn = tf.layers.batchNormalization({});
    const y = bn.apply(tf.conv2d(x, w, 1, "same"), { training: true }) as tf.Tensor;
    const mean = (await tf.moments(y, [0, 1, 2]).mean.data()) as Float32Array;
    tf.dispose([x, w, y]);
    if (!mean.every((v) => Math.abs(v) < 1e-4)) throw new Error(`normalised mean ${mean}`);
    if (!quiet) {
      log(
        `loaded: ${lib.package}, TensorFlow ${lib.tensorflow} on ${info.device}; ` +
          "a fused BatchNormalization ran",
      );
    }
    return true;
  } catch (e) {
    log(`the ${variant} build (${m.method}) does not load: ${(e as Error).message}`);
    return false;
  }
}

if (import.meta.main) await runMain(main);
