/**
 * Reproducible MGC: leak-free music genre classification on Deno. This module re-exports what the
 * scripts in `scripts/` use; each concept lives in its own file beside this one.
 *
 * @module
 */
export * from "./rng.ts";
export * from "./fs.ts";
export * from "./progress.ts";
export * from "./cli.ts";
