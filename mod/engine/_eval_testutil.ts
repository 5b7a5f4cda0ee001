// Test helper: runs code in a fresh Deno process (`deno eval`), for tests that need a backend set
// up differently from the test process (two wasm threads, say), and returns the JSON object the
// code prints on its last line of standard output. A non-zero exit fails with its stderr.
import { assertEquals } from "../_assert.ts";

/** Runs `code` with `deno eval --quiet`; returns its last stdout line, parsed as JSON. */
// deno-lint-ignore no-explicit-any
export async function evalJson(code: string): Promise<any> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}
