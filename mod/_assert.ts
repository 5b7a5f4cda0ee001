/**
 * Test assertions: `node:assert/strict` re-exported under the names the tests use
 * (`jsr:@std/assert` is unreachable here). Private to the tests.
 *
 * @module
 */
import assertStrict from "node:assert/strict";

/** Asserts that `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  assertStrict.ok(cond, msg as string);
}

/** Asserts deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  assertStrict.deepStrictEqual(actual, expected, msg as string);
}

/** Asserts deep strict inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  assertStrict.notDeepStrictEqual(actual, expected, msg as string);
}

/** Asserts |actual - expected| <= tol. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tol = 1e-7,
  msg?: string,
): void {
  assertStrict.ok(
    Math.abs(actual - expected) <= tol,
    msg ?? `expected ${actual} to be within ${tol} of ${expected}`,
  );
}

/** Asserts that `fn` throws an error of class `cls` whose message includes `includes`. */
export function assertThrows(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls?: new (...args: any[]) => Error,
  includes?: string,
): Error {
  try {
    fn();
  } catch (e) {
    checkError(e, cls, includes);
    return e as Error;
  }
  throw new assertStrict.AssertionError({ message: "expected function to throw" });
}

/** Async variant of {@linkcode assertThrows}. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  cls?: new (...args: any[]) => Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    checkError(e, cls, includes);
    return e as Error;
  }
  throw new assertStrict.AssertionError({ message: "expected promise to reject" });
}

// deno-lint-ignore no-explicit-any
function checkError(e: unknown, cls?: new (...args: any[]) => Error, includes?: string): void {
  if (cls && !(e instanceof cls)) {
    throw new assertStrict.AssertionError({
      message: `expected ${cls.name}, got ${(e as Error)?.constructor?.name}: ${
        (e as Error)?.message
      }`,
    });
  }
  if (includes && !String((e as Error)?.message).includes(includes)) {
    throw new assertStrict.AssertionError({
      message: `expected message to include "${includes}", got "${(e as Error)?.message}"`,
    });
  }
}
