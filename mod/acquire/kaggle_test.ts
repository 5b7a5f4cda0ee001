import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import {
  KaggleCredentials,
  KaggleCredentialsError,
  kaggleDownloadUrl,
  loadKaggleCredentials,
} from "./kaggle.ts";

const SECRET = "0123456789abcdef0123456789abcdef";

function envOf(vars: Record<string, string>): (n: string) => string | undefined {
  return (n) => vars[n];
}

Deno.test("loadKaggleCredentials: KAGGLE_USERNAME/KAGGLE_KEY give Basic auth; the key is never printable", async () => {
  const c = await loadKaggleCredentials({
    env: envOf({ KAGGLE_USERNAME: "alice", KAGGLE_KEY: SECRET }),
  });
  assertEquals(c.authorization(), `Basic ${btoa(`alice:${SECRET}`)}`);
  for (const shown of [String(c), JSON.stringify(c), Deno.inspect(c), `${c}`]) {
    assert(!shown.includes(SECRET), `key leaked in: ${shown}`);
    assert(shown.includes("alice") || shown.includes("redacted"));
  }
});

Deno.test("loadKaggleCredentials: kaggle.json, with a warning when others can read it", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(home, ".kaggle"));
    const path = join(home, ".kaggle", "kaggle.json");
    await Deno.writeTextFile(path, JSON.stringify({ username: "bob", key: SECRET }));
    await Deno.chmod(path, 0o644);
    const warnings: string[] = [];
    const c = await loadKaggleCredentials({
      env: envOf({ HOME: home }),
      warn: (m) => warnings.push(m),
    });
    assertEquals(c.username, "bob");
    assertEquals(warnings.length, 1);
    assert(warnings[0]!.includes("chmod 600") && !warnings[0]!.includes(SECRET));

    await Deno.chmod(path, 0o600);
    warnings.length = 0;
    await loadKaggleCredentials({ env: envOf({ HOME: home }), warn: (m) => warnings.push(m) });
    assertEquals(warnings, []);

    // KAGGLE_CONFIG_DIR points elsewhere.
    const other = join(home, "cfg");
    await Deno.mkdir(other);
    await Deno.writeTextFile(
      join(other, "kaggle.json"),
      JSON.stringify({ username: "carol", key: "k" }),
    );
    await Deno.chmod(join(other, "kaggle.json"), 0o600);
    const c2 = await loadKaggleCredentials({
      env: envOf({ HOME: home, KAGGLE_CONFIG_DIR: other }),
    });
    assertEquals(c2.username, "carol");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("loadKaggleCredentials: missing or malformed credentials say how to get a token", async () => {
  const home = await Deno.makeTempDir();
  try {
    const e = await assertRejects(
      () => loadKaggleCredentials({ env: envOf({ HOME: home }) }),
      KaggleCredentialsError,
      "https://www.kaggle.com/settings",
    );
    assert(e.message.includes("KAGGLE_USERNAME"));
    await Deno.mkdir(join(home, ".kaggle"));
    const path = join(home, ".kaggle", "kaggle.json");
    await Deno.writeTextFile(path, `{"username": "x", "key": "${SECRET}"`); // truncated JSON
    await Deno.chmod(path, 0o600);
    const bad = await assertRejects(
      () => loadKaggleCredentials({ env: envOf({ HOME: home }) }),
      KaggleCredentialsError,
      "not valid JSON",
    );
    assert(!bad.message.includes(SECRET), "the file content is never echoed");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("kaggleDownloadUrl: API URL from owner/slug, base overridable, bad slugs refused", () => {
  assertEquals(
    kaggleDownloadUrl("winchester19/indian-music-genre-dataset"),
    "https://www.kaggle.com/api/v1/datasets/download/winchester19/indian-music-genre-dataset",
  );
  assertEquals(
    kaggleDownloadUrl("a/b", "http://127.0.0.1:9/api/v1/"),
    "http://127.0.0.1:9/api/v1/datasets/download/a/b",
  );
  assertThrows(() => kaggleDownloadUrl("../../x"));
  assert(new KaggleCredentials("u", "k", "env").toJSON().key === "[redacted]");
});
