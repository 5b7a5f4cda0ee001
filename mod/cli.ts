/**
 * Command-line plumbing shared by the scripts: `node:util` `parseArgs` (`jsr:@std/cli` is
 * unreachable here) with `--help`, typed flag readers, and the exit-code contract: 0 on success,
 * 1 on a user error (one-line message, no stack trace), 2 on bad flags.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Interrupted } from "./interrupt.ts";

/** A user-facing error: printed as one line, exit code 1. */
export class UserError extends Error {
  override name = "UserError";
}

/** Bad command-line flags: exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** One flag's declaration. */
export interface FlagSpec {
  /** "string" flags take a value; "boolean" flags do not. */
  type: "string" | "boolean";
  /** Default value (shown in --help). */
  default?: string | boolean;
  /** One-line description for --help. */
  help: string;
  /** One-letter alias. */
  short?: string;
  /** Allow repeating the flag. */
  multiple?: boolean;
}

/** What {@linkcode parseCli} returns. */
export interface ParsedCli {
  /** Flag values (defaults applied). */
  values: Record<string, string | boolean | string[] | undefined>;
  /** Positional arguments. */
  positionals: string[];
}

/**
 * Parses `args` against `flags`; prints usage and exits 0 on `--help`, throws
 * {@linkcode UsageError} on unknown flags.
 *
 * @example
 * ```ts
 * import { parseCli } from "./cli.ts";
 * const { values } = parseCli(["--seed", "7"], {
 *   usage: "demo [--seed N]",
 *   flags: { seed: { type: "string", default: "42", help: "random seed" } },
 * });
 * ```
 */
export function parseCli(
  args: string[],
  spec: {
    usage: string;
    description?: string;
    flags: Record<string, FlagSpec>;
    positionals?: boolean;
  },
): ParsedCli {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, f] of Object.entries(spec.flags)) {
    options[name] = {
      type: f.type,
      ...(f.short ? { short: f.short } : {}),
      ...(f.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options,
      allowPositionals: spec.positionals ?? false,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nusage: ${spec.usage} (see --help)`);
  }
  if (parsed.values.help) {
    console.log(helpText(spec));
    Deno.exit(0);
  }
  const values: ParsedCli["values"] = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    values[name] =
      (parsed.values as Record<string, string | boolean | string[] | undefined>)[name] ??
        f.default;
  }
  return { values, positionals: parsed.positionals };
}

/** The --help text for a spec. */
export function helpText(
  spec: { usage: string; description?: string; flags: Record<string, FlagSpec> },
): string {
  const lines = [`usage: ${spec.usage}`];
  if (spec.description) lines.push("", spec.description);
  lines.push("", "flags:");
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const left = `  ${f.short ? `-${f.short}, ` : ""}--${name}${f.type === "string" ? " <v>" : ""}`;
    const def = f.default !== undefined && f.default !== false ? ` (default: ${f.default})` : "";
    return [left, f.help + def] as const;
  });
  rows.push(["  -h, --help", "show this help"]);
  const w = Math.max(...rows.map(([l]) => l.length)) + 2;
  for (const [l, r] of rows) lines.push(l.padEnd(w) + r);
  return lines.join("\n");
}

/** Reads an integer flag; throws {@linkcode UsageError} naming the flag when it is not one. */
export function intFlag(values: ParsedCli["values"], name: string, min = -Infinity): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== "string" || !Number.isInteger(n) || n < min) {
    throw new UsageError(
      `--${name}: expected an integer${min > -Infinity ? ` >= ${min}` : ""}, got "${raw}"`,
    );
  }
  return n;
}

/** Reads a number flag; throws {@linkcode UsageError} naming the flag when it is not one. */
export function numberFlag(values: ParsedCli["values"], name: string): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n)) {
    throw new UsageError(`--${name}: expected a number, got "${raw}"`);
  }
  return n;
}

/** Reads a string flag that must be one of `choices`. */
export function choiceFlag<T extends string>(
  values: ParsedCli["values"],
  name: string,
  choices: readonly T[],
): T {
  const raw = String(values[name]);
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name}: expected one of ${choices.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

/**
 * Runs a script's `main`, mapping errors to the exit-code contract: {@linkcode UserError} and
 * other expected errors print one line and exit 1, {@linkcode UsageError} exits 2, and
 * `Interrupted` (a loop stopped at Ctrl-C, `interrupt.ts`) prints what was left and exits 130.
 * Set `MGC_DEBUG=1` to see stack traces.
 *
 * @example
 * ```ts
 * import { runMain } from "./cli.ts";
 * if (import.meta.main) await runMain(async () => {});
 * ```
 */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    const err = e as Error;
    if (Deno.env.get("MGC_DEBUG") === "1") console.error(err);
    if (err instanceof Interrupted) {
      console.error(err.message);
      Deno.exit(err.exitCode);
    }
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}`);
      Deno.exit(2);
    }
    console.error(`error: ${err?.message ?? String(e)}`);
    Deno.exit(1);
  }
}
