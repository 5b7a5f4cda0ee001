/**
 * Runs a setup script in a subprocess for the script tests. Private to the tests.
 *
 * @module
 */

/** What {@linkcode runScript} returns. */
export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/<name>` with `args` (`deno run -RWE --allow-sys`), in `cwd` when given (so that
 * default output folders land there). */
export async function runScript(
  name: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<ScriptRun> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-RWE",
      "--allow-sys",
      `--config=${new URL("../deno.json", import.meta.url).pathname}`,
      new URL(`./${name}`, import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}
