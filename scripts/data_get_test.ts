import { assert, assertEquals, assertRejects } from "../mod/_assert.ts";
import { UsageError } from "../mod/cli.ts";
import { main } from "./data_get.ts";
import { join } from "node:path";
import { readJson } from "../mod/fs.ts";
import { spawnDeno } from "../mod/engine/_interrupt_testutil.ts";
import { hex, makeZip, serveLoopback, staticHandler } from "../mod/acquire/_loopback.ts";
import { resolveSource, type SourceRecord } from "../mod/acquire/mod.ts";

Deno.test("data_get: bad dataset names, sources and arity are usage errors (exit 2)", async () => {
  await assertRejects(() => main([]), UsageError, "expected one dataset name");
  await assertRejects(() => main(["gtzan", "fma"]), UsageError, "expected one dataset name");
  await assertRejects(() => main(["mnist"]), UsageError, "gtzan, fma, indian, tabla");
  const e = await assertRejects(() => main(["gtzan", "--source", "nope"]), UsageError);
  assert(e.message.includes("kaggle, marsyas, kaggle-au"), e.message);
  await assertRejects(() => main(["fma", "--bogus"]), UsageError);
});

Deno.test("data_get --help lists every dataset's sources and which need Kaggle", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-RWE",
      "--allow-net",
      new URL("./data_get.ts", import.meta.url).pathname,
      "--help",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(out.success, new TextDecoder().decode(out.stderr));
  for (
    const s of ["gtzan", "kaggle (default) [Kaggle]", "marsyas", "fma", "unil (default)", "tabla"]
  ) {
    assert(text.includes(s), `--help mentions ${s}:\n${text}`);
  }
});

Deno.test({
  name:
    "data_get: Ctrl-C mid-download exits 130 at once, keeps the partial download; the rerun resumes it",
  ignore: Deno.build.os === "windows" ||
    Deno.permissions.querySync({ name: "run" }).state !== "granted",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "mgc_data_get_sigint_" });
    // fma_small.zip of incompressible bytes (≈ 1.5 MB), served 32 KiB every 100 ms at first.
    const mp3 = new Uint8Array(1_500_000);
    for (let o = 0; o < mp3.length; o += 65536) crypto.getRandomValues(mp3.subarray(o, o + 65536));
    const small = makeZip({ "fma_small/000/000002.mp3": mp3, "fma_small/README.txt": "readme" });
    const metadata = makeZip({
      "fma_metadata/tracks.csv": "track_id\n2\n",
      "fma_metadata/genres.csv": "",
    });
    let slow = true;
    let sent = 0;
    const fast = staticHandler({ "/fma/fma_metadata.zip": metadata, "/fma/fma_small.zip": small });
    const srv = serveLoopback((req) => {
      if (!slow || new URL(req.url).pathname !== "/fma/fma_small.zip") return fast(req);
      let at = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(ctrl): Promise<void> {
          await new Promise((r) => setTimeout(r, 100));
          if (at >= small.length) return ctrl.close();
          const chunk = small.slice(at, at + 32768);
          at += chunk.length;
          sent += chunk.length;
          ctrl.enqueue(chunk);
        },
      });
      return new Response(body, { headers: { "content-length": String(small.length) } });
    });
    try {
      const table = resolveSource("fma");
      const spec = {
        ...table,
        archives: table.archives.map((a) => ({
          ...a,
          sha1: hex("sha1", a.name === "fma_small.zip" ? small : metadata),
        })),
      };
      const code = `import { main } from "${new URL("./data_get.ts", import.meta.url).href}";
        import { runMain } from "${new URL("../mod/cli.ts", import.meta.url).href}";
        await runMain(() => main(["fma", "--data-root", ${JSON.stringify(root)}], {
          baseUrlOverride: "${srv.url}/fma",
          sourceSpec: ${JSON.stringify(spec)},
        }));`;
      const args = ["eval", "--quiet", code];
      const child = spawnDeno(args);
      await child.waitFor("fma_small.zip: downloading");
      while (sent < 4 * 32768) await new Promise((r) => setTimeout(r, 50));
      child.kill();
      const cut = await child.done();
      assertEquals(cut.code, 130, cut.stderr);
      assert(cut.exitMs < 3000, `exit ${cut.exitMs} ms after SIGINT`);
      const part = join(root, "fma", "fma_small.zip.part");
      assert(cut.stderr.includes(`kept in ${part}; run the same command again`), cut.stderr);
      const kept = (await Deno.stat(part)).size;
      assert(kept > 0 && kept < small.length, `${kept} bytes kept`);
      await assertRejects(() => Deno.stat(join(root, "fma", "SOURCE.json")));

      slow = false;
      const again = await spawnDeno(args).done();
      assertEquals(again.code, 0, again.stderr);
      assert(again.stderr.includes("resuming at"), again.stderr);
      const rec = await readJson<SourceRecord>(join(root, "fma", "SOURCE.json"));
      assertEquals(rec.archives[1]!.sha256, hex("sha256", small));
      assertEquals(
        await Deno.readFile(join(root, "fma", "fma_small", "000", "000002.mp3")),
        mp3,
      );
    } finally {
      await srv.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
