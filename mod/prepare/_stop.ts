/**
 * Ctrl-C while a setup task writes into its temporary folder (private to `prepare.ts`): the
 * extraction stops after the file in flight, the temporary folder is removed, nothing is
 * published, and the script exits 130 (`Interrupted`, `../interrupt.ts`).
 *
 * @module
 */
import { interruptInstalled, interruptSignal, onQuit, releaseInterrupt } from "../interrupt.ts";

/** What {@linkcode guardTemporaryFolder} returns. */
export interface TemporaryFolderGuard {
  /** The message of the `Interrupted` error thrown at the next file after Ctrl-C. */
  stopped: string;
  /** Unregisters the clean-up, and removes the Ctrl-C handler when this guard installed it. */
  dispose(): void;
}

/**
 * Installs the Ctrl-C handler unless the caller has one, and registers the removal of `tmp` for
 * a third Ctrl-C (which quits at once).
 *
 * @example
 * ```ts ignore
 * // Not run by `deno test --doc`: it installs a process-wide SIGINT listener.
 * import { guardTemporaryFolder } from "./_stop.ts";
 * const guard = guardTemporaryFolder("data/processed/x", "data/processed/.x.tmp-1");
 * guard.dispose();
 * ```
 */
export function guardTemporaryFolder(out: string, tmp: string): TemporaryFolderGuard {
  const own = !interruptInstalled();
  interruptSignal({
    message: `interrupt: stopping after the file in flight; ${out} is not written and the ` +
      "temporary folder is removed (Ctrl-C again waits; a third time quits at once)",
  });
  const off = onQuit(() => {
    try {
      Deno.removeSync(tmp, { recursive: true });
    } catch { /* already gone */ }
  });
  return {
    stopped: `interrupted: nothing was published to ${out} and the temporary folder ${tmp} ` +
      "was removed; run the same command again to start over",
    dispose: () => {
      off();
      if (own) releaseInterrupt();
    },
  };
}
