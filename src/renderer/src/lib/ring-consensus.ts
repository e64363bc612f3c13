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
 *
 * The majority's state is not everyone's: a partition's minority, or a peer that has not heard a
 * change, holds another. `ringStateGroups` lists every distinct state the running peers hold, the
 * majority's first, with who holds each, so the window can show any peer's own ring. A running
 * peer whose state was not read is `unknown`: it is never given another peer's state.
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

export interface RingStateGroup {
  /** `A`, `B`, …: by rank, the majority's first. */
  readonly label: string;
  readonly state: RingStateInfo;
  /** The running peers that hold exactly this state (by fingerprint), sorted. */
  readonly peers: readonly string[];
}

export interface RingStateGroups {
  /** Every distinct state the running peers hold: most peers first, then the one that knows more. */
  readonly groups: readonly RingStateGroup[];
  /** Running peers whose ring state was not read (yet): unknown, sorted. */
  readonly unknown: readonly string[];
}

/** Rank `label` names: A…Z, then A2, B2, … (a real cluster rarely holds more than two or three). */
function groupLabel(index: number): string {
  const letter = String.fromCharCode(65 + (index % 26));
  return index < 26 ? letter : `${letter}${Math.floor(index / 26) + 1}`;
}

export function ringStateGroups(states: Readonly<Record<string, RingStateInfo>>, running: readonly string[]): RingStateGroups {
  const byFingerprint = new Map<string, { state: RingStateInfo; peers: string[] }>();
  const unknown: string[] = [];
  for (const peer of [...new Set(running)].sort()) {
    const state = Object.hasOwn(states, peer) ? states[peer] : undefined;
    if (state === undefined) {
      unknown.push(peer);
      continue;
    }
    const group = byFingerprint.get(state.fingerprint);
    if (group === undefined) byFingerprint.set(state.fingerprint, { state, peers: [peer] });
    else group.peers.push(peer);
  }
  // Most peers first; on a tie the state that knows more (the larger stamp), then the fingerprint.
  const ranked = [...byFingerprint.values()].sort(
    (a, b) => b.peers.length - a.peers.length || largestStamp(b.state) - largestStamp(a.state) || (a.state.fingerprint < b.state.fingerprint ? -1 : a.state.fingerprint > b.state.fingerprint ? 1 : 0),
  );
  return { groups: ranked.map((group, index) => ({ label: groupLabel(index), state: group.state, peers: group.peers })), unknown };
}

export function majorityRingState(states: Readonly<Record<string, RingStateInfo>>, running: readonly string[]): RingConsensus {
  const { groups } = ringStateGroups(states, running);
  const best = groups[0];
  const observers = groups.reduce((sum, group) => sum + group.peers.length, 0);
  return { state: best?.state, owners: ringOwners(best?.state), observers, agreeing: best?.peers.length ?? 0 };
}

/** `5 owners; #6 joining, #2 leaving`: what a ring state gives keys to, and the changes it holds pending. */
export function describeRingState(state: RingStateInfo, label: (peer: string) => string): string {
  const owners = ringOwners(state).length;
  const pending = state.entries.filter((entry) => entry.status === 'joining' || entry.status === 'leaving').map((entry) => `${label(entry.peer)} ${entry.status}`);
  return `${owners} owner${owners === 1 ? '' : 's'}${pending.length > 0 ? `; ${pending.join(', ')}` : ''}`;
}
