import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { ChecksumError, DownloadError } from "./download.ts";
import { UnsafeArchiveError } from "./extract.ts";
import { listFilesSorted, readJson } from "../fs.ts";
import { getDataset, type SourceRecord } from "./get_dataset.ts";
import { KaggleCredentials } from "./kaggle.ts";
import { type DatasetName, resolveSource } from "./sources.ts";
import {
  hex,
  type Loopback,
  makeTarGz,
  makeZip,
  patternBytes,
  serveLoopback,
  staticHandler,
} from "./_loopback.ts";

const MP3 = patternBytes(2048);
const KEY = "feedfacefeedfacefeedfacefeedface";
const CREDS = new KaggleCredentials("tester", KEY, "test");

const FMA_METADATA = makeZip({
  "fma_metadata/tracks.csv": ",album,artist\n,comments,active_year\ntrack_id,,\n2,0,\n",
  "fma_metadata/genres.csv": "genre_id,title\n",
});
const FMA_SMALL = makeZip({
  "fma_small/000/000002.mp3": MP3,
  "fma_small/155/155066.mp3": MP3,
  "fma_small/README.txt": "readme",
});

Deno.test("getDataset fma: clean download + extraction, SOURCE.json, then a second run fetches nothing", async () => {
  const root = await Deno.makeTempDir();
  const srv = serveLoopback(
    staticHandler({ "/fma/fma_metadata.zip": FMA_METADATA, "/fma/fma_small.zip": FMA_SMALL }),
  );
  // The table's layout and URLs, with the SHA-1 of the generated archives.
  const table = resolveSource("fma");
  const spec = {
    ...table,
    archives: table.archives.map((a) => ({
      ...a,
      sha1: hex("sha1", a.name === "fma_small.zip" ? FMA_SMALL : FMA_METADATA),
    })),
  };
  try {
    const opts = { dataRoot: root, baseUrlOverride: `${srv.url}/fma`, sourceSpec: spec, log: null };
    const r = await getDataset("fma", opts);
    assertEquals(r.downloaded, true);
    assertEquals(r.path, join(root, "fma"));
    assertEquals(r.sha256, hex("sha256", FMA_SMALL));
    assertEquals(await listFilesSorted(join(root, "fma")), [
      "SOURCE.json",
      "fma_metadata/genres.csv",
      "fma_metadata/tracks.csv",
      "fma_small/000/000002.mp3",
      "fma_small/155/155066.mp3",
      "fma_small/README.txt",
    ]);
    const rec = await readJson<SourceRecord>(join(root, "fma", "SOURCE.json"));
    assertEquals(rec.dataset, "fma");
    assertEquals(rec.archives.map((a) => [a.name, a.bytes, a.sha256, a.verified]), [
      ["fma_metadata.zip", FMA_METADATA.length, hex("sha256", FMA_METADATA), "sha1"],
      ["fma_small.zip", FMA_SMALL.length, hex("sha256", FMA_SMALL), "sha1"],
    ]);
    assertEquals(rec.archives[1]!.url, `${srv.url}/fma/fma_small.zip`);
    assertEquals(srv.seen.length, 2);

    const again = await getDataset("fma", opts);
    assertEquals(again.downloaded, false);
    assertEquals(again.sha256, r.sha256);
    assertEquals(srv.seen.length, 2, "the second run made no request");

    await getDataset("fma", { ...opts, force: true });
    assertEquals(srv.seen.length, 4, "--force downloads again");
  } finally {
    await srv.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getDataset fma: a wrong checksum stops before extraction and keeps the file aside", async () => {
  const root = await Deno.makeTempDir();
  const srv = serveLoopback(staticHandler({ "/fma_metadata.zip": FMA_METADATA }));
  try {
    // The real published SHA-1 cannot match the generated archive.
    const err = await assertRejects(
      () => getDataset("fma", { dataRoot: root, baseUrlOverride: srv.url, log: null }),
      ChecksumError,
    );
    assert(err.message.includes("expected f0df49ffe5f2a6008d7dc83c6915b31835dfe733"), err.message);
    assertEquals(await listFilesSorted(join(root, "fma")), ["fma_metadata.zip.bad"]);
  } finally {
    await srv.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getDataset gtzan --source marsyas: tar.gz into data/gtzan/genres/", async () => {
  const root = await Deno.makeTempDir();
  const tgz = await makeTarGz([
    { name: "genres/blues/blues.00000.au", content: MP3 },
    { name: "genres/rock/rock.00099.au", content: MP3 },
  ]);
  const srv = serveLoopback(staticHandler({ "/genres.tar.gz": tgz }));
  try {
    const r = await getDataset("gtzan", {
      dataRoot: root,
      source: "marsyas",
      baseUrlOverride: srv.url,
      log: null,
    });
    assertEquals(r.sha256, hex("sha256", tgz));
    assertEquals(await listFilesSorted(join(root, "gtzan")), [
      "SOURCE.json",
      "genres/blues/blues.00000.au",
      "genres/rock/rock.00099.au",
    ]);
    const rec = await readJson<SourceRecord>(join(root, "gtzan", "SOURCE.json"));
    assertEquals([rec.source, rec.archives[0]!.verified], ["marsyas", "none"]);
  } finally {
    await srv.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getDataset: a hostile archive is refused; no layout, no SOURCE.json, nothing outside", async () => {
  const root = await Deno.makeTempDir();
  const tgz = await makeTarGz([
    { name: "genres/blues/blues.00000.au", content: MP3 },
    { name: "genres/../../../pwned.txt", content: "x" },
  ]);
  const srv = serveLoopback(staticHandler({ "/genres.tar.gz": tgz }));
  try {
    const err = await assertRejects(
      () =>
        getDataset("gtzan", {
          dataRoot: root,
          source: "marsyas",
          baseUrlOverride: srv.url,
          log: null,
        }),
      UnsafeArchiveError,
    );
    assert(err.message.includes("genres/../../../pwned.txt"));
    // Only the verified archive stays (for inspection); staging is gone.
    assertEquals(await listFilesSorted(root), ["gtzan/genres.tar.gz"]);
  } finally {
    await srv.close();
    await Deno.remove(root, { recursive: true });
  }
});

/** A mock Kaggle API (Basic auth, then a redirect to "storage" on another origin). */
function mockKaggle(archives: Record<string, Uint8Array>, creds = CREDS): {
  api: Loopback;
  storage: Loopback;
  base: string;
  close(): Promise<void>;
} {
  const blobs: Record<string, Uint8Array> = {};
  for (const [slug, bytes] of Object.entries(archives)) blobs[`/blob/${slug}`] = bytes;
  const storage = serveLoopback(staticHandler(blobs));
  const api = serveLoopback((req) => {
    const m = /^\/api\/v1\/datasets\/download\/(.+)$/.exec(new URL(req.url).pathname);
    if (!m || !archives[m[1]!]) return new Response("not found", { status: 404 });
    if (req.headers.get("authorization") !== creds.authorization()) {
      return new Response('{"code":401,"message":"Unauthenticated"}', { status: 401 });
    }
    return new Response(null, {
      status: 302,
      headers: { location: `${storage.url}/blob/${m[1]}?X-Goog-Signature=abc` },
    });
  });
  return {
    api,
    storage,
    base: `${api.url}/api/v1`,
    close: async () => {
      await api.close();
      await storage.close();
    },
  };
}

Deno.test("getDataset Kaggle sources: tabla, indian, gtzan land in the setup layouts", async () => {
  const root = await Deno.makeTempDir();
  const kaggle = mockKaggle({
    "pranav6670/tabla-taala-dataset": makeZip({
      "file_name.csv": "fname,label\naddhatrital01.wav,Addhatrital\n",
      "wavfiles/addhatrital01.wav": MP3,
      "tablaDataset/addhatrital/addhatrital01.wav": MP3,
    }),
    "winchester19/indian-music-genre-dataset": makeZip({
      "genrenew/sufi/sufi1.mp3": MP3,
      "genrenew/carnatic/c1.mp3": MP3,
    }),
    "andradaolteanu/gtzan-dataset-music-genre-classification": makeZip({
      "Data/genres_original/jazz/jazz.00054.wav": MP3,
      "Data/images_original/jazz/jazz00054.png": "png",
      "Data/features_30_sec.csv": "filename\n",
    }),
  });
  const expected: Record<DatasetName, string[]> = {
    tabla: ["SOURCE.json", "file_name.csv", "wavfiles/addhatrital01.wav"],
    indian: ["SOURCE.json", "genrenew/carnatic/c1.mp3", "genrenew/sufi/sufi1.mp3"],
    gtzan: ["SOURCE.json", "genres_original/jazz/jazz.00054.wav"],
    fma: [],
  };
  try {
    for (const name of ["tabla", "indian", "gtzan"] as const) {
      await getDataset(name, {
        dataRoot: root,
        kaggleBaseUrl: kaggle.base,
        kaggleCredentials: CREDS,
        log: null,
      });
      assertEquals(await listFilesSorted(join(root, name)), expected[name]);
      const text = await Deno.readTextFile(join(root, name, "SOURCE.json"));
      assert(!text.includes(KEY) && !text.includes(btoa(`tester:${KEY}`)), "no credentials");
      assert(!text.includes("X-Goog-Signature"), "no signed storage URL");
      assert(text.includes(`${kaggle.base}/datasets/download/`));
    }
    assertEquals(kaggle.storage.seen.length, 3);
    assert(kaggle.storage.seen.every((s) => !("authorization" in s.headers)), "no auth to storage");
  } finally {
    await kaggle.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getDataset Kaggle: a 401 says what to do, names the URL, writes nothing", async () => {
  const root = await Deno.makeTempDir();
  const kaggle = mockKaggle({ "pranav6670/tabla-taala-dataset": makeZip({ "a.txt": "a" }) });
  try {
    const err = await assertRejects(
      () =>
        getDataset("tabla", {
          dataRoot: root,
          kaggleBaseUrl: kaggle.base,
          kaggleCredentials: new KaggleCredentials("tester", "wrong-key", "test"),
          log: null,
        }),
      DownloadError,
    );
    assert(err.message.includes(`${kaggle.base}/datasets/download/pranav6670/tabla-taala-dataset`));
    assert(err.message.includes("HTTP 401") && err.message.includes("kaggle.json"), err.message);
    assert(!err.message.includes("wrong-key"));
    assertEquals(await listFilesSorted(root), []);
  } finally {
    await kaggle.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getDataset Kaggle with an API token: Bearer to the API only, the token in no output", async () => {
  const root = await Deno.makeTempDir();
  const token = "KGAT_5eb1e7c0ffee5eb1e7c0ffee5eb1e7c0";
  const creds = KaggleCredentials.fromToken(token, "env KAGGLE_API_TOKEN");
  const kaggle = mockKaggle({
    "winchester19/indian-music-genre-dataset": makeZip({ "genrenew/sufi/sufi1.mp3": MP3 }),
  }, creds);
  const lines: string[] = [];
  try {
    await getDataset("indian", {
      dataRoot: root,
      kaggleBaseUrl: kaggle.base,
      kaggleCredentials: creds,
      log: (l) => lines.push(l),
    });
    assertEquals(await listFilesSorted(join(root, "indian")), [
      "SOURCE.json",
      "genrenew/sufi/sufi1.mp3",
    ]);
    assertEquals(kaggle.api.seen[0]!.headers.authorization, `Bearer ${token}`);
    assert(kaggle.storage.seen.every((s) => !("authorization" in s.headers)), "no auth to storage");
    const text = await Deno.readTextFile(join(root, "indian", "SOURCE.json"));
    for (const out of [text, ...lines]) assert(!out.includes(token), `token leaked: ${out}`);
  } finally {
    await kaggle.close();
    await Deno.remove(root, { recursive: true });
  }
});
