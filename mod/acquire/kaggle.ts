/**
 * Kaggle access without the Python CLI, with the user's own credentials in any form the Kaggle CLI
 * accepts, looked for in this order:
 *
 * 1. `KAGGLE_API_TOKEN`: an API token (the current form, "Generate New Token" in the Kaggle
 *    settings), or the path of a file holding one;
 * 2. `KAGGLE_USERNAME` + `KAGGLE_KEY` (the legacy key);
 * 3. the access-token file the current Kaggle CLI reads: `access_token` (or `access_token.txt`) in
 *    `$KAGGLE_CONFIG_DIR`, else `~/.kaggle/`;
 * 4. `credentials.json` there, written by `kaggle auth login`, while its access token is unexpired;
 * 5. `kaggle.json` there (the legacy key file).
 *
 * A token is sent as `Authorization: Bearer`, a legacy key as HTTP Basic, to
 * `https://www.kaggle.com/api/v1/datasets/download/<owner>/<slug>` only.
 *
 * The secret never leaves this module in a printable form: {@linkcode KaggleCredentials} keeps it
 * in a private field, and its `toString`, `toJSON` and `Deno.inspect` forms are redacted; error
 * messages never quote a credentials file. It is never logged or written to disk; SOURCE.json
 * records only the API URL.
 *
 * @module
 */
import { join } from "node:path";

/** Default Kaggle API base URL. */
export const KAGGLE_API = "https://www.kaggle.com/api/v1";

/** How to get a token, for error messages. */
export const KAGGLE_HOWTO =
  "create an API token at https://www.kaggle.com/settings (API > Generate New Token) and set " +
  "KAGGLE_API_TOKEN to it or save it as ~/.kaggle/access_token (`chmod 600`); a legacy " +
  "kaggle.json (~/.kaggle/kaggle.json, `chmod 600`) or KAGGLE_USERNAME and KAGGLE_KEY work too";

/** Kaggle credentials are missing or unreadable. */
export class KaggleCredentialsError extends Error {
  override name = "KaggleCredentialsError";
}

/**
 * A Kaggle API token, or a user name and legacy API key; the secret is never exposed in
 * printable form.
 *
 * @example
 * ```ts
 * import { KaggleCredentials } from "./kaggle.ts";
 * const c = KaggleCredentials.fromToken("KGAT_0123", "env KAGGLE_API_TOKEN");
 * c.authorization(); // "Bearer KGAT_0123"
 * String(c); // "KaggleCredentials(API token redacted, from env KAGGLE_API_TOKEN)"
 * ```
 */
export class KaggleCredentials {
  /** Kaggle user name (empty for an API token, which carries no name). */
  readonly username: string;
  /** Where the credentials came from (`env`, an environment variable or a file path). */
  readonly origin: string;
  /** `key`: user name + legacy API key (HTTP Basic); `token`: API token (Bearer). */
  readonly kind: "key" | "token";
  readonly #secret: string;

  /**
   * Legacy credentials: a user name and an API key (or, with `kind` `"token"`, an API token in
   * `key`; {@linkcode KaggleCredentials.fromToken} says it shorter).
   */
  constructor(username: string, key: string, origin: string, kind: "key" | "token" = "key") {
    this.username = username;
    this.#secret = key;
    this.origin = origin;
    this.kind = kind;
  }

  /** An API token (`KAGGLE_API_TOKEN`, `~/.kaggle/access_token`). */
  static fromToken(token: string, origin: string): KaggleCredentials {
    return new KaggleCredentials("", token, origin, "token");
  }

  /** The `Authorization` header value (Bearer for a token, HTTP Basic for a key). */
  authorization(): string {
    if (this.kind === "token") return `Bearer ${this.#secret}`;
    const bytes = new TextEncoder().encode(`${this.username}:${this.#secret}`);
    return `Basic ${btoa(String.fromCharCode(...bytes))}`;
  }

  /** Redacted. */
  toString(): string {
    return this.kind === "token"
      ? `KaggleCredentials(API token redacted, from ${this.origin})`
      : `KaggleCredentials(${this.username}, key redacted, from ${this.origin})`;
  }

  /** Redacted. */
  toJSON(): Record<string, string> {
    return this.kind === "token"
      ? { token: "[redacted]" }
      : { username: this.username, key: "[redacted]" };
  }

  /** Redacted in `console.log` / `Deno.inspect`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/** Options for {@linkcode loadKaggleCredentials}. */
export interface LoadKaggleOptions {
  /** Environment lookup (default: `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** Warnings (default: stderr). */
  warn?: (message: string) => void;
  /** The time, for `credentials.json` expiry (default: now). */
  now?: Date;
}

/** A token as the Kaggle CLI stores it: one line of printable ASCII without spaces. */
function validToken(t: string): boolean {
  return /^[\x21-\x7e]+$/.test(t);
}

/** The text of `path`, or null when it does not exist; warns when others can read it. */
async function readSecretFile(
  path: string,
  warn: (m: string) => void,
): Promise<string | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    if (e instanceof Deno.errors.IsADirectory) return null;
    throw new KaggleCredentialsError(`${path}: cannot read (${(e as Error).name})`);
  }
  const mode = (await Deno.stat(path)).mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    warn(
      `${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); ` +
        `run \`chmod 600 ${path}\``,
    );
  }
  return text;
}

/** A token file's token; never echoes the content. */
function tokenFrom(text: string, path: string): string {
  const token = text.trim();
  if (!validToken(token)) {
    throw new KaggleCredentialsError(
      `${path}: not an API token (expected one line, no spaces); ${KAGGLE_HOWTO}`,
    );
  }
  return token;
}

/**
 * Finds the user's Kaggle credentials in the order of the module notes. Warns when a credentials
 * file is readable by group or others. Throws {@linkcode KaggleCredentialsError} saying how to
 * get a token; no message quotes a secret.
 *
 * @example
 * ```ts ignore
 * import { loadKaggleCredentials } from "./kaggle.ts";
 * const creds = await loadKaggleCredentials();
 * console.log(String(creds)); // secret redacted
 * ```
 */
export async function loadKaggleCredentials(
  options: LoadKaggleOptions = {},
): Promise<KaggleCredentials> {
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  const warn = options.warn ?? ((m: string) => console.error(`warning: ${m}`));
  const envToken = env("KAGGLE_API_TOKEN")?.trim();
  if (envToken) {
    // The Kaggle CLI also takes the path of a file holding the token here.
    const isFile = await Deno.stat(envToken).then((s) => s.isFile, () => false);
    if (isFile) {
      const text = (await readSecretFile(envToken, warn)) ?? "";
      return KaggleCredentials.fromToken(tokenFrom(text, envToken), envToken);
    }
    if (!validToken(envToken)) {
      throw new KaggleCredentialsError(
        `KAGGLE_API_TOKEN is neither a token (one word) nor an existing file; ${KAGGLE_HOWTO}`,
      );
    }
    return KaggleCredentials.fromToken(envToken, "env KAGGLE_API_TOKEN");
  }
  const user = env("KAGGLE_USERNAME");
  const key = env("KAGGLE_KEY");
  if (user && key) return new KaggleCredentials(user, key, "env");

  const home = env("HOME") ?? env("USERPROFILE");
  const dir = env("KAGGLE_CONFIG_DIR") ?? (home ? join(home, ".kaggle") : undefined);
  if (!dir) {
    throw new KaggleCredentialsError(`Kaggle credentials not found (no HOME); ${KAGGLE_HOWTO}`);
  }
  for (const name of ["access_token", "access_token.txt"]) {
    const path = join(dir, name);
    const text = await readSecretFile(path, warn);
    if (text !== null && text.trim()) {
      return KaggleCredentials.fromToken(tokenFrom(text, path), path);
    }
  }
  const oauth = await oauthToken(join(dir, "credentials.json"), options.now ?? new Date(), warn);
  if (oauth) return oauth;

  const path = join(dir, "kaggle.json");
  const text = await readSecretFile(path, warn);
  if (text === null) {
    throw new KaggleCredentialsError(
      `Kaggle credentials not found (no KAGGLE_API_TOKEN, no KAGGLE_USERNAME/KAGGLE_KEY, no ` +
        `${join(dir, "access_token")}, no ${path}); ${KAGGLE_HOWTO}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Never echo the file's content: it holds the key.
    throw new KaggleCredentialsError(
      `${path}: not valid JSON; download a fresh token (${KAGGLE_HOWTO})`,
    );
  }
  const p = parsed as { username?: unknown; key?: unknown };
  if (typeof p.username !== "string" || typeof p.key !== "string" || !p.username || !p.key) {
    throw new KaggleCredentialsError(
      `${path}: expected {"username": …, "key": …}; download a fresh token (${KAGGLE_HOWTO})`,
    );
  }
  return new KaggleCredentials(p.username, p.key, path);
}

/**
 * The access token of `credentials.json` (written by `kaggle auth login`) while it is valid for
 * at least another minute; null when there is none (a warning says when it has expired).
 */
async function oauthToken(
  path: string,
  now: Date,
  warn: (m: string) => void,
): Promise<KaggleCredentials | null> {
  const text = await readSecretFile(path, warn);
  if (text === null) return null;
  let data: { access_token?: unknown; access_token_expiration?: unknown };
  try {
    data = JSON.parse(text);
  } catch {
    warn(`${path}: not valid JSON; ignored`);
    return null;
  }
  const token = typeof data.access_token === "string" ? data.access_token.trim() : "";
  const until = typeof data.access_token_expiration === "string"
    ? Date.parse(data.access_token_expiration)
    : NaN;
  if (!token || !validToken(token)) return null;
  if (!(until > now.getTime() + 60_000)) {
    warn(
      `${path}: its access token has expired; run \`kaggle auth login\` again, or ` +
        "use an API token (KAGGLE_API_TOKEN or ~/.kaggle/access_token)",
    );
    return null;
  }
  return KaggleCredentials.fromToken(token, path);
}

/**
 * The Kaggle API URL that downloads a whole dataset as one zip.
 *
 * @example
 * ```ts
 * import { kaggleDownloadUrl } from "./kaggle.ts";
 * kaggleDownloadUrl("pranav6670/tabla-taala-dataset");
 * // "https://www.kaggle.com/api/v1/datasets/download/pranav6670/tabla-taala-dataset"
 * ```
 */
export function kaggleDownloadUrl(ownerSlug: string, base: string = KAGGLE_API): string {
  if (!/^[\w.-]+\/[\w.-]+$/.test(ownerSlug)) {
    throw new Error(`not a Kaggle dataset "owner/slug": "${ownerSlug}"`);
  }
  return `${base.replace(/\/+$/, "")}/datasets/download/${ownerSlug}`;
}

/** What to tell the user when Kaggle answers 401/403 for `ownerSlug`. */
export function kaggleAuthHint(ownerSlug: string): string {
  return `Kaggle refused the credentials: check that your API token is current (${KAGGLE_HOWTO}) ` +
    `and that you accepted the dataset's terms at https://www.kaggle.com/datasets/${ownerSlug}`;
}
