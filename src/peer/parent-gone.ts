/**
 * A peer spawned by a cluster manager leaves when the manager is gone (its standard input
 * closes). Leaving is graceful and can hang (a connection to a paused peer that never closes), and
 * no peer may outlive its manager by more than 15 s: so once the manager is gone, the process
 * ends within `PARENT_GONE_EXIT_MS` whatever leaving still waits for.
 */

/** Under the 15 s a peer may outlive its manager; over a graceful leave's 8 s handoff wait. */
export const PARENT_GONE_EXIT_MS = 12_000;

/** Ends this process `ms` from now unless it has ended by then. */
export function exitWithin(ms: number = PARENT_GONE_EXIT_MS): void {
  setTimeout(() => process.exit(1), ms).unref();
}
