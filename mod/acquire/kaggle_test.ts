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

const TOKEN = "KGAT_0123456789abcdef0123456789abcdef";

/** Every printable form of `c` (none may hold a secret). */
function shown(c: KaggleCredentials): string[] {
  return [String(c), JSON.stringify(c), Deno.inspect(c), `${c}`, JSON.stringify({ c })];
}

Deno.test("KAGGLE_API_TOKEN (the token, or a file holding it) gives Bearer auth, before the legacy key", async () => {
  const c = await loadKaggleCredentials({
    env: envOf({ KAGGLE_API_TOKEN: ` ${TOKEN}\n`, KAGGLE_USERNAME: "alice", KAGGLE_KEY: SECRET }),
  });
  assertEquals([c.kind, c.authorization(), c.origin], [
    "token",
    `Bearer ${TOKEN}`,
    "env KAGGLE_API_TOKEN",
  ]);
  for (const s of shown(c)) assert(!s.includes(TOKEN) && s.includes("redacted"), s);
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "kaggle token.txt");
    await Deno.writeTextFile(file, `${TOKEN}\n`);
    await Deno.chmod(file, 0o600);
    const f = await loadKaggleCredentials({ env: envOf({ KAGGLE_API_TOKEN: file }) });
    assertEquals([f.authorization(), f.origin], [`Bearer ${TOKEN}`, file]);
    const bad = await assertRejects(
      () => loadKaggleCredentials({ env: envOf({ KAGGLE_API_TOKEN: `${TOKEN} and more` }) }),
      KaggleCredentialsError,
      "KAGGLE_API_TOKEN is neither a token",
    );
    assert(!bad.message.includes(TOKEN), "the value is never echoed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("~/.kaggle/access_token, then kaggle auth login's credentials.json while valid, then kaggle.json", async () => {
  const home = await Deno.makeTempDir();
  const kaggle = join(home, ".kaggle");
  const write = async (name: string, text: string, mode = 0o600): Promise<void> => {
    await Deno.writeTextFile(join(kaggle, name), text);
    await Deno.chmod(join(kaggle, name), mode);
  };
  try {
    await Deno.mkdir(kaggle);
    await write("kaggle.json", JSON.stringify({ username: "bob", key: SECRET }));
    const now = new Date("2026-01-10T12:00:00Z");
    const login = (expires: string): string =>
      JSON.stringify({
        refresh_token: "r-secret",
        access_token: "oauth-access-1",
        access_token_expiration: expires,
        username: "bob",
        scopes: [],
      });
    // an expired login token is passed over, with a warning, for kaggle.json
    await write("credentials.json", login("2026-01-10T11:00:00+00:00"));
    const warnings: string[] = [];
    const legacy = await loadKaggleCredentials({
      env: envOf({ HOME: home }),
      now,
      warn: (m) => warnings.push(m),
    });
    assertEquals([legacy.kind, legacy.username], ["key", "bob"]);
    assert(warnings.some((w) => w.includes("kaggle auth login")), warnings.join("\n"));
    assert(warnings.every((w) => !w.includes("oauth-access-1") && !w.includes("r-secret")));
    // a valid one is used
    await write("credentials.json", login("2026-01-10T18:00:00+00:00"));
    const oauth = await loadKaggleCredentials({ env: envOf({ HOME: home }), now });
    assertEquals(oauth.authorization(), "Bearer oauth-access-1");
    // the API token file wins over both, and is read from KAGGLE_CONFIG_DIR too
    await write("access_token", `${TOKEN}\n`, 0o644);
    warnings.length = 0;
    const t = await loadKaggleCredentials({
      env: envOf({ HOME: home }),
      now,
      warn: (m) => warnings.push(m),
    });
    assertEquals([t.authorization(), t.origin], [`Bearer ${TOKEN}`, join(kaggle, "access_token")]);
    assert(warnings.length === 1 && warnings[0]!.includes("chmod 600"), warnings.join("\n"));
    assert(!warnings[0]!.includes(TOKEN));
    const other = join(home, "cfg");
    await Deno.mkdir(other);
    await Deno.writeTextFile(join(other, "access_token.txt"), "KGAT_other");
    await Deno.chmod(join(other, "access_token.txt"), 0o600);
    const o = await loadKaggleCredentials({ env: envOf({ HOME: home, KAGGLE_CONFIG_DIR: other }) });
    assertEquals(o.authorization(), "Bearer KGAT_other");
    // a token file holding something else is refused without quoting it
    await write("access_token", `{"username": "x", "key": "${SECRET}"}`);
    const e = await assertRejects(
      () => loadKaggleCredentials({ env: envOf({ HOME: home }), now }),
      KaggleCredentialsError,
      "not an API token",
    );
    assert(!e.message.includes(SECRET));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
