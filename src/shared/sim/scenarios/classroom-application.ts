/**
 * The lines the classroom template's harness (its `Application` class) writes to dbg.log itself,
 * whatever the student's protocol does. The scenario runners emit them as `log` events, where the
 * template writes them, so a classroom dbg.log holds the template's whole file, not only the
 * protocol's lines:
 *
 * - `APP`: the constructor logs one per node, node 0 first, before tick 0 runs; MP2's constructor
 *   logs `APP MP2` after each `APP`. As the first entry of the file, node 0's `APP` is written
 *   without its address (` [0] APP`): see `firstEntryWithoutAddress` in `journal/dbg-log.ts`.
 * - `@@time=500`: `mp1Run` logs it under node 0 (the introducer) right after node 0's `nodeLoop`,
 *   the last node loop of the tick, in every tick T > 0 with T % 500 == 0 (compiled in with
 *   `DEBUGLOG`, which `stdincludes.h` defines); node 0 runs no loop once it failed, so a run in
 *   which it crashed has no such line.
 * - `Node failed at time=T`: logged under a node just before it is failed, at tick 100 in MP1
 *   (`Node failed at time = 100`, with spaces, when five fail) and in MP2's read and update tests
 *   at 175 (one replica), 225 (two replicas, TERTIARY first) and 285 (a non-replica: the first
 *   live node, in index order, that is none of the key's three replicas).
 *
 * Sources (the template as distributed, read in these public copies):
 * - MP1 `Application.cpp`: github.com/ppizarro/coursera, cloud-computing/concepts1/mp1_assignment,
 *   commit df426b969643b0cab970af3f598f68255da051a1 (constructor: `log->LOG(…, "APP")`; `mp1Run`:
 *   `@@time=%d`; `fail`: `Node failed at time=%d` and `Node failed at time = %d`); a dbg.log the
 *   template wrote, same folder, commit fc050acd0f4011745b67498e8005473d325d6a41, begins
 *   `131\n\n [0] APP\n 2.0.0.0:0 [0] APP\n …`.
 * - MP2 `Application.cpp` and `Log.cpp`: github.com/peteshaw/icc2-mp2, commit
 *   98769f294471efcf865a43b1e2f954f7434887de (lines 70-71 `APP` and `APP MP2`, 176 `@@time=%d`,
 *   546, 620, 675 and 791, 863, 917 `Node failed at time=%d`); dbg.logs it wrote:
 *   github.com/fade2black/Key-value-store d64f745145f23ea4f47f9cbf6c06085ee0349500 (an update test:
 *   `131\n\n [0] APP\n 1.0.0.0:0 [0] APP MP2\n …`, its failure lines at 175, 225, 285 and, node 0
 *   having failed at 285, no `@@time`), and github.com/smartkiwi/DistributedKeyValueStore
 *   e56169fac9a9c89624b5a6b7ce926adc9abfab21 (` 1.0.0.0:0 [500] @@time=500`).
 */
import type { JournalEvent } from '../../journal/events.ts';
import type { PeerId, Tick } from '../../machine.ts';

/** Which template's Application: MP1's (membership) or MP2's (membership and the key-value store). */
export type ClassroomApplication = 'mp1' | 'mp2';

/** The constructor's lines, in its order: `APP` per node (and `APP MP2` after each in MP2), at tick 0. */
export function applicationStartLines(ids: readonly PeerId[], application: ClassroomApplication): JournalEvent[] {
  return ids.flatMap((peer): JournalEvent[] => [
    { kind: 'log', tick: 0, peer, text: 'APP' },
    ...(application === 'mp2' ? [{ kind: 'log' as const, tick: 0, peer, text: 'APP MP2' }] : []),
  ]);
}

/** `DEBUGLOG`'s time stamp period: `globaltime % 500 == 0`. */
export const TIME_STAMP_PERIOD_TICKS = 500;

/** The ticks of a run of `runTicks` ticks (0 … runTicks − 1) that get a time stamp: 500 in 700. */
export function timeStampTicks(runTicks: Tick): Tick[] {
  const ticks: Tick[] = [];
  // Not tick 0: node 0 starts in it, and the stamp follows only a node loop.
  for (let tick = TIME_STAMP_PERIOD_TICKS; tick < runTicks; tick += TIME_STAMP_PERIOD_TICKS) ticks.push(tick);
  return ticks;
}

/** `@@time=T` under node 0, written after every node's loop of tick T. */
export function timeStampLine(introducer: PeerId, tick: Tick): JournalEvent {
  return { kind: 'log', tick, peer: introducer, text: `@@time=${tick}` };
}

/** How the harness spells a failure: `time=T`, or MP1's multi-failure `time = T`. */
export function failedLine(peer: PeerId, tick: Tick, spelling: 'one' | 'several' = 'one'): JournalEvent {
  const text = spelling === 'several' ? `Node failed at time = ${tick}` : `Node failed at time=${tick}`;
  return { kind: 'log', tick, peer, text };
}

/** What `runWithTimeStamps` needs of a simulated cluster (a membership or a key-value one). */
export interface TimeStampedCluster {
  readonly introducer: PeerId;
  runUntil(tick: Tick): void;
  readonly sim: { status(id: PeerId): string; emit(event: JournalEvent): void };
}

/**
 * Runs the cluster until `runTicks`, writing the time stamps where the template does: the stamp of
 * tick T once tick T has run (after every peer's step of T, as the template's follows the last
 * node loop) and before tick T + 1 starts, when node 0 (the introducer) is still running.
 */
export function runWithTimeStamps(cluster: TimeStampedCluster, runTicks: Tick): void {
  for (const tick of timeStampTicks(runTicks)) {
    cluster.runUntil(tick + 1);
    if (cluster.sim.status(cluster.introducer) === 'running') cluster.sim.emit(timeStampLine(cluster.introducer, tick));
  }
  cluster.runUntil(runTicks);
}
