/**
 * The ring the window draws is the peers' own ring state (`ring.states`), not their membership
 * views: with explicit ownership a failure is not a departure, so a killed peer stays an owner of
 * its keys until it restarts or is removed from the ring (`src/shared/kv/ring-state.ts`).
 *
 * Running peers may hold different states for a moment (a join or a removal spreads by gossip).
 * The window takes the state most running peers share, by fingerprint (equal fingerprints compute
 * equal rings), and says how many hold exactly that one. On a tie, the state that knows more wins
 * (the larger stamp: ring states only grow by merging), then the fingerprint, so the choice
 * does not depend on the order the answers came in.
 */
import type { RingStateInfo } from '../../../shared/api/bridge.ts';

export interface RingConsensus {
  /** The state most running peers share; undefined when no running peer's state was read. */
  readonly state: RingStateInfo | undefined;
  /** Its owners (entries normal or leaving), sorted: the peers keys belong to now. */
  readonly owners: readonly string[];
  /** Running peers whose ring states were read. */
  readonly observers: number;
  /** Of those, the peers whose state has exactly this fingerprint. */
  readonly agreeing: number;
}

/** The peers a ring state gives keys to: entries normal or leaving (a leaver owns until its ranges moved). */
export function ringOwners(state: RingStateInfo | undefined): string[] {
  if (state === undefined) return [];
  return state.entries
    .filter((entry) => entry.status === 'normal' || entry.status === 'leaving')
    .map((entry) => entry.peer)
    .sort();
}

function largestStamp(state: RingStateInfo): number {
  let largest = 0;
  for (const entry of state.entries) largest = Math.max(largest, entry.stamp);
  return largest;
}

export function majorityRingState(states: Readonly<Record<string, RingStateInfo>>, running: readonly string[]): RingConsensus {
  const runningSet = new Set(running);
  const groups = new Map<string, { state: RingStateInfo; peers: number }>();
  let observers = 0;
  for (const [peer, state] of Object.entries(states)) {
    if (!runningSet.has(peer)) continue;
    observers++;
    const group = groups.get(state.fingerprint);
    if (group === undefined) groups.set(state.fingerprint, { state, peers: 1 });
    else group.peers++;
  }
  let best: { state: RingStateInfo; peers: number } | undefined;
  for (const group of groups.values()) {
    if (best === undefined) {
      best = group;
      continue;
    }
    const more = group.peers - best.peers || largestStamp(group.state) - largestStamp(best.state) || (group.state.fingerprint < best.state.fingerprint ? 1 : -1);
    if (more > 0) best = group;
  }
  return { state: best?.state, owners: ringOwners(best?.state), observers, agreeing: best?.peers ?? 0 };
}
