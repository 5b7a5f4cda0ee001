/**
 * Kaggle access without the Python CLI: the user's own API token, from `KAGGLE_USERNAME` and
 * `KAGGLE_KEY` or from `kaggle.json` (in `$KAGGLE_CONFIG_DIR`, else `~/.kaggle/`), sent as HTTP
 * Basic auth to `https://www.kaggle.com/api/v1/datasets/download/<owner>/<slug>`.
 *
 * The key never leaves this module in a printable form: {@linkcode KaggleCredentials} keeps it in a
 * private field, and its `toString`, `toJSON` and `Deno.inspect` forms are redacted. It is never
 * logged or written to disk; SOURCE.json records only the API URL.
 *
 * @module
 */
import { join } from "node:path";

/** Default Kaggle API base URL. */
export const KAGGLE_API = "https://www.kaggle.com/api/v1";

/** How to get a token, for error messages. */
export const KAGGLE_HOWTO =
  "create an API token at https://www.kaggle.com/settings (Account > API > Create New Token), " +
  "save the downloaded kaggle.json as ~/.kaggle/kaggle.json and run `chmod 600 ~/.kaggle/kaggle.json`, " +
  "or set KAGGLE_USERNAME and KAGGLE_KEY";

/** Kaggle credentials are missing or unreadable. */
export class KaggleCredentialsError extends Error {
  override name = "KaggleCredentialsError";
}

/** A Kaggle user name and API key; the key is never exposed in printable form. */
export class KaggleCredentials {
  /** Kaggle user name. */
  readonly username: string;
  /** Where the credentials came from (`env` or the kaggle.json path). */
  readonly origin: string;
  readonly #key: string;

  constructor(username: string, key: string, origin: string) {
    this.username = username;
    this.#key = key;
    this.origin = origin;
  }

  /** The `Authorization` header value (HTTP Basic). */
  authorization(): string {
    const bytes = new TextEncoder().encode(`${this.username}:${this.#key}`);
    return `Basic ${btoa(String.fromCharCode(...bytes))}`;
  }

  /** Redacted. */
  toString(): string {
    return `KaggleCredentials(${this.username}, key redacted, from ${this.origin})`;
  }

  /** Redacted. */
  toJSON(): { username: string; key: string } {
    return { username: this.username, key: "[redacted]" };
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
}

/**
 * Finds the user's Kaggle credentials: `KAGGLE_USERNAME` + `KAGGLE_KEY` first, then
 * `$KAGGLE_CONFIG_DIR/kaggle.json` or `~/.kaggle/kaggle.json`. Warns when the file is readable by
 * group or others. Throws {@linkcode KaggleCredentialsError} saying how to get a token.
 *
 * @example
 * ```ts ignore
 * import { loadKaggleCredentials } from "./kaggle.ts";
 * const creds = await loadKaggleCredentials();
 * console.log(String(creds)); // key redacted
 * ```
 */
export async function loadKaggleCredentials(
  options: LoadKaggleOptions = {},
): Promise<KaggleCredentials> {
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  const warn = options.warn ?? ((m: string) => console.error(`warning: ${m}`));
  const user = env("KAGGLE_USERNAME");
  const key = env("KAGGLE_KEY");
  if (user && key) return new KaggleCredentials(user, key, "env");

  const home = env("HOME") ?? env("USERPROFILE");
  const dir = env("KAGGLE_CONFIG_DIR") ?? (home ? join(home, ".kaggle") : undefined);
  if (!dir) {
    throw new KaggleCredentialsError(`Kaggle credentials not found (no HOME); ${KAGGLE_HOWTO}`);
  }
  const path = join(dir, "kaggle.json");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new KaggleCredentialsError(
        `Kaggle credentials not found (no KAGGLE_USERNAME/KAGGLE_KEY, no ${path}); ${KAGGLE_HOWTO}`,
      );
    }
    throw new KaggleCredentialsError(`${path}: cannot read (${(e as Error).name})`);
  }
  const mode = (await Deno.stat(path)).mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    warn(
      `${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); ` +
        `run \`chmod 600 ${path}\``,
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
