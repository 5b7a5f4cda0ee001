import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { spawnDeno } from "./engine/_interrupt_testutil.ts";
import {
  checkInterrupt,
  Interrupted,
  interruptRequested,
  nextTurn,
  pollInterrupt,
  whileSaving,
} from "./interrupt.ts";

const canRun = Deno.build.os !== "windows" &&
  Deno.permissions.querySync({ name: "run" }).state === "granted";
const MOD = new URL("./interrupt.ts", import.meta.url).href;
const CLI = new URL("./cli.ts", import.meta.url).href;

function evalArgs(code: string): string[] {
  return ["eval", "--quiet", code];
}

Deno.test("interrupt: without a handler nothing is interrupted and the helpers only yield", async () => {
  assertEquals(interruptRequested(), false);
  await checkInterrupt("never");
  await pollInterrupt("never", 0);
  assertEquals(await whileSaving("x", () => Promise.resolve(7)), 7);
  const e = new Interrupted("stopped");
  assertEquals([e.exitCode, e.message, e.name], [130, "stopped", "Interrupted"]);
  assertEquals(new Interrupted("term", 143).exitCode, 143);
});

Deno.test("nextTurn: a timer tick then a message (it resolves after both)", async () => {
  let timerFired = false;
  setTimeout(() => (timerFired = true), 0);
  await nextTurn();
  assert(timerFired, "a 0 ms timer set before nextTurn fired before it resolved");
});

Deno.test({
  name:
    "nextTurn: a SIGINT sent during a synchronous batch reaches the listener before the next batch",
  ignore: !canRun,
  fn: async () => {
    // Batches of 400 ms of synchronous work, each followed by one nextTurn.
    const code = `import { interruptSignal, nextTurn } from "${MOD}";
      const signal = interruptSignal({ message: "first" });
      let handled = 0;
      signal.addEventListener("abort", () => (handled = Date.now()));
      const ends = [];
      const busy = (ms) => { const t = performance.now(); while (performance.now() - t < ms); };
      console.log("ready");
      while (!signal.aborted) { busy(400); ends.push(Date.now()); await nextTurn(); }
      console.log(JSON.stringify({ handled, ends }));`;
    for (const delay of [150, 520, 890]) {
      const child = spawnDeno(evalArgs(code));
      await child.waitFor("ready");
      await new Promise((r) => setTimeout(r, delay));
      const sent = Date.now();
      child.kill();
      const r = await child.done();
      assertEquals(r.code, 0, r.stderr);
      const { handled, ends } = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as {
        handled: number;
        ends: number[];
      };
      // Batch ends after the signal and before its listener ran: the batch in flight only.
      const late = ends.filter((t) => t > sent && t <= handled).length;
      assert(late <= 1, `listener ran ${late} batches after the signal (delay ${delay} ms)`);
      assert(r.stderr.includes("first"), r.stderr);
    }
  },
});

Deno.test({
  name: "interruptSignal: Ctrl-C during a save says it is saving and waits; the save completes",
  ignore: !canRun,
  fn: async () => {
    const code = `import { interruptSignal, nextTurn, whileSaving } from "${MOD}";
      const signal = interruptSignal();
      console.log("ready");
      while (!signal.aborted) await nextTurn();
      await whileSaving("the checkpoint", async () => {
        console.log("save started");
        await new Promise((r) => setTimeout(r, 1500));
        console.log("save ended");
      });
      Deno.exit(130);`;
    const child = spawnDeno(evalArgs(code));
    await child.waitFor("ready");
    child.kill();
    await child.waitFor("save started");
    child.kill();
    await child.waitFor("waiting for it to finish");
    child.kill();
    const r = await child.done();
    assertEquals(r.code, 130, r.stderr);
    assert(r.stdout.includes("save ended"), "the save ran to its end");
    assert(r.stderr.includes("interrupt: saving the checkpoint; waiting"), r.stderr);
  },
});

Deno.test({
  name:
    "interruptSignal: outside a save, the second Ctrl-C waits and the third quits (130, quit hooks run)",
  ignore: !canRun,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const marker = join(dir, "hook-ran");
      const code = `import { interruptSignal, nextTurn, onQuit } from "${MOD}";
        interruptSignal();
        onQuit(() => Deno.writeTextFileSync(${JSON.stringify(marker)}, "x"));
        console.log("ready");
        for (;;) await nextTurn(); // never honours the request`;
      const child = spawnDeno(evalArgs(code));
      await child.waitFor("ready");
      child.kill();
      await child.waitFor("interrupt: finishing the work in flight");
      child.kill();
      await child.waitFor("still finishing");
      child.kill();
      const r = await child.done();
      assertEquals(r.code, 130, r.stderr);
      assert(r.stderr.includes("quitting without saving"), r.stderr);
      assertEquals(await Deno.readTextFile(marker), "x");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "runMain: an Interrupted error prints its message and exits with its code",
  ignore: !canRun,
  fn: async () => {
    const code = `import { runMain } from "${CLI}";
      import { Interrupted } from "${MOD}";
      await runMain(async () => { throw new Interrupted("interrupted: nothing was published", 130); });`;
    const r = await spawnDeno(evalArgs(code)).done();
    assertEquals(r.code, 130);
    assertEquals(r.stderr.trim(), "interrupted: nothing was published");
  },
});
