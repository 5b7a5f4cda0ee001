import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { ChecksumError, DownloadError, downloadFile, formatBytes } from "./download.ts";
import { hex, patternBytes, serveLoopback, staticHandler } from "./_loopback.ts";

const BODY = patternBytes(300_000);

Deno.test("downloadFile: clean download verifies SHA-1 and records SHA-256", async () => {
  const dir = await Deno.makeTempDir();
  const srv = serveLoopback(staticHandler({ "/a.zip": BODY }));
  try {
    const dest = join(dir, "a.zip");
    const r = await downloadFile(`${srv.url}/a.zip`, dest, { sha1: hex("sha1", BODY), log: null });
    assertEquals(r.sha256, hex("sha256", BODY));
    assertEquals(r.bytes, BODY.length);
    assertEquals(r.resumedFrom, 0);
    assertEquals(await Deno.readFile(dest), BODY);
    await assertRejects(() => Deno.stat(`${dest}.part`), Deno.errors.NotFound);
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A raw TCP HTTP/1.1 server: the first request gets the full Content-Length but only `cut` bytes,
 * then the connection is closed; later requests are served with Range support.
 */
function cuttingServer(body: Uint8Array, cut: number): {
  url: string;
  ranges: (string | null)[];
  close(): void;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const ranges: (string | null)[] = [];
  const enc = new TextEncoder();
  (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(8192);
      const n = (await conn.read(buf)) ?? 0;
      const head = new TextDecoder().decode(buf.subarray(0, n));
      const range = /^range: bytes=(\d+)-\r?$/im.exec(head);
      ranges.push(range ? `bytes=${range[1]}-` : null);
      const write = async (b: Uint8Array) => {
        let off = 0;
        while (off < b.length) off += await conn.write(b.subarray(off));
      };
      try {
        if (ranges.length === 1) {
          await write(enc.encode(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`));
          await write(body.subarray(0, cut));
        } else {
          const from = range ? Number(range[1]) : 0;
          const status = range ? "206 Partial Content" : "200 OK";
          await write(enc.encode(
            `HTTP/1.1 ${status}\r\ncontent-length: ${body.length - from}\r\n` +
              `content-range: bytes ${from}-${body.length - 1}/${body.length}\r\n` +
              `connection: close\r\n\r\n`,
          ));
          await write(body.subarray(from));
        }
      } finally {
        conn.close();
      }
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    ranges,
    close: () => listener.close(),
  };
}

Deno.test("downloadFile: a connection cut midway resumes with Range: bytes=N-", async () => {
  const dir = await Deno.makeTempDir();
  const CUT = 100_000;
  const srv = cuttingServer(BODY, CUT);
  try {
    const dest = join(dir, "big.zip");
    const url = `${srv.url}/big.zip`;
    const err = await assertRejects(() => downloadFile(url, dest, { log: null }), DownloadError);
    assert(err.message.includes(url) && err.message.includes("resume"), err.message);
    assertEquals((await Deno.stat(`${dest}.part`)).size, CUT);

    const r = await downloadFile(url, dest, { sha1: hex("sha1", BODY), log: null });
    assertEquals(srv.ranges, [null, `bytes=${CUT}-`]);
    assertEquals(r.resumedFrom, CUT);
    assertEquals(r.sha256, hex("sha256", BODY));
    assertEquals(await Deno.readFile(dest), BODY);
  } finally {
    srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadFile: a server without Range support restarts from 0 and says so", async () => {
  const dir = await Deno.makeTempDir();
  const srv = serveLoopback(staticHandler({ "/a.zip": BODY }, { noRange: true }));
  try {
    const dest = join(dir, "a.zip");
    await Deno.writeFile(`${dest}.part`, BODY.slice(0, 1234));
    const lines: string[] = [];
    const r = await downloadFile(`${srv.url}/a.zip`, dest, { log: (l) => lines.push(l) });
    assertEquals(srv.seen[0]!.headers["range"], "bytes=1234-");
    assert(lines.some((l) => l.includes("restarting from 0")), lines.join("\n"));
    assertEquals(r.resumedFrom, 0);
    assertEquals(await Deno.readFile(dest), BODY);
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadFile: a complete .part (416 on resume) is accepted without refetching", async () => {
  const dir = await Deno.makeTempDir();
  const srv = serveLoopback(staticHandler({ "/a.zip": BODY }));
  try {
    const dest = join(dir, "a.zip");
    await Deno.writeFile(`${dest}.part`, BODY);
    const r = await downloadFile(`${srv.url}/a.zip`, dest, { sha1: hex("sha1", BODY), log: null });
    assertEquals(srv.seen.length, 1);
    assertEquals(r.sha256, hex("sha256", BODY));
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadFile: a wrong checksum keeps the file aside as .bad", async () => {
  const dir = await Deno.makeTempDir();
  const srv = serveLoopback(staticHandler({ "/a.zip": BODY }));
  try {
    const dest = join(dir, "a.zip");
    const wrong = "0".repeat(40);
    const err = await assertRejects(
      () => downloadFile(`${srv.url}/a.zip`, dest, { sha1: wrong, log: null }),
      ChecksumError,
    );
    assert(err.message.includes(`expected ${wrong}, got ${hex("sha1", BODY)}`), err.message);
    assertEquals(await Deno.readFile(`${dest}.bad`), BODY);
    await assertRejects(() => Deno.stat(dest), Deno.errors.NotFound);
    await assertRejects(() => Deno.stat(`${dest}.part`), Deno.errors.NotFound);
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadFile: 404, 401 and a refused connection give one-line errors with the URL", async () => {
  const dir = await Deno.makeTempDir();
  const srv = serveLoopback((req) =>
    new URL(req.url).pathname === "/secret"
      ? new Response("no", { status: 401 })
      : new Response("no", { status: 404 })
  );
  try {
    const dest = join(dir, "x.zip");
    const e404 = await assertRejects(
      () => downloadFile(`${srv.url}/gone.zip`, dest, { log: null }),
      DownloadError,
    );
    assert(e404.message.includes(`${srv.url}/gone.zip: HTTP 404`), e404.message);
    assert(!e404.message.includes("\n"));
    const e401 = await assertRejects(
      () => downloadFile(`${srv.url}/secret`, dest, { log: null, authHint: "fix the token" }),
      DownloadError,
    );
    assert(e401.message.includes("HTTP 401") && e401.message.includes("fix the token"));
  } finally {
    await srv.close();
  }
  // The server is gone now: the port refuses connections.
  const eNet = await assertRejects(
    () => downloadFile(`${srv.url}/x.zip`, join(dir, "x.zip"), { log: null }),
    DownloadError,
  );
  assert(eNet.message.includes("network failure"), eNet.message);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("downloadFile: Authorization is not forwarded on a redirect to another origin", async () => {
  const dir = await Deno.makeTempDir();
  const storage = serveLoopback(staticHandler({ "/blob": BODY }));
  const api = serveLoopback(() =>
    new Response(null, { status: 302, headers: { location: `${storage.url}/blob` } })
  );
  try {
    // Same host, another port: another origin.
    await downloadFile(`${api.url}/dl`, join(dir, "b"), {
      headers: { authorization: "Basic c2VjcmV0" },
      log: null,
    });
    assertEquals(api.seen[0]!.headers["authorization"], "Basic c2VjcmV0");
    assertEquals(storage.seen[0]!.headers["authorization"], undefined);
  } finally {
    await api.close();
    await storage.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("formatBytes: binary units", () => {
  assertEquals(formatBytes(512), "512 B");
  assertEquals(formatBytes(342 * 2 ** 20), "342.0 MiB");
  assertEquals(formatBytes(7.2 * 2 ** 30), "7.20 GiB");
});
