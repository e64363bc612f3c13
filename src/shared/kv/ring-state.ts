/**
 * The ring state: which peers own keys, agreed by every peer of a key-value cluster with the
 * balanced placement. Dynamo's lesson (§4.8): a failure is not a departure. Ownership changes
 * only when a peer joins, leaves, or is removed by an operator, never because a failure detector
 * suspects it; a crashed owner stays an owner (strict quorums count it as a missing answer,
 * sloppy quorums write past it to a fallback), and comes back to its keys.
 *
 * State: each peer's entry (joining, normal, leaving, removed) is a last-writer-wins register
 * ordered by stamp, then status; a new entry takes one more than the largest stamp its author
 * knows (a Lamport counter over the state). Merging is a join: peers that exchange their states
 * end with the same entries, whatever the order. At one stamp a completed join (normal) wins over
 * its cancellation (removed), which wins over a pending leave: a removal decided on a state that
 * had not heard the join end cannot undo it.
 *
 * The transition: every pending entry (joining, leaving) at once. Its ring `before` holds the
 * normal and leaving peers; `after` the normal and joining ones. While it runs, a write needs W
 * acknowledgements, and a read (or a write's version check) R answers, from the key's owners on
 * each ring. Each *gainer* (a peer that owns some keys on `after` but not on `before`) pulls them
 * from |before owners| − min(R, W) + 1 of their old owners: every acknowledged write is on W of
 * them, and no read quorum of `before` can be formed without one of them. It then records that it
 * has caught up; once every gainer has, every pending entry takes its final status (normal,
 * removed) with its own stamp, and `after` is the ring. Every peer derives that completion from
 * the state alone. Where a range has fewer owners after than before (a ring shrinking below N),
 * every owner after it pulls: each must hold every acknowledged write, since a read quorum of the
 * fewer owners may miss the ones that left.
 *
 * Why reads ask both rings: peers do not all see a transition end at the same moment. A peer that
 * has seen it reads and writes `after` only; one that has not reads both, so it meets the other's
 * writes; and one that has not yet seen it begin cannot form a read quorum at all without a source
 * that has (fencing refuses it), since the sources outnumber what a quorum may leave out.
 *
 * Fencing: requests carry `fingerprint` (a hash of the entries). A replica whose entries differ
 * refuses with its state; the coordinator merges and retries. The transition's id is that
 * fingerprint, so a gainer's catch-up counts only for the exact state it pulled under: any change
 * (another peer announcing a join or a leave) means pulling again.
 *
 * A ring of fewer than N peers places each key on all of them (N shrinks to the ring's size), so
 * no transition ever loses track of keys on a small ring.
 *
 * What this does not give, as it is not consensus: two peers that announce ring changes without
 * hearing each other may briefly act on different transitions; fencing keeps each operation on
 * one state, but a transition that completes while another state is being learned can, in a rare
 * race, let a read miss a write. The cluster manager makes one ring change at a time (it waits
 * for the ring to settle before the next), which avoids that race.
 *
 * The caller's duties: merge what peers send (`merge`), pass the state on when it changed, keep
 * `toWire()` with the store, and call `completeIfDone()` after every change.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { PeerId } from '../machine.ts';
import type { CaughtUp, RingEntry, RingStateWire, RingStatus } from '../protocol/kv.ts';
import type { HashCache } from '../ring/hash.ts';
import { Ring, type RingConfig } from '../ring/ring.ts';

export interface RingTransition {
  /** The state it runs under (its fingerprint): a gainer's pull is for this id only. */
  readonly id: string;
  /** Peers joining, and peers leaving (or being removed), in this transition. */
  readonly joining: readonly PeerId[];
  readonly leaving: readonly PeerId[];
  readonly before: Ring;
  readonly after: Ring;
  /** Peers that own keys on `after` they did not own on `before`. */
  readonly gainers: readonly PeerId[];
}

/** Old owners a gainer must have pulled from: `needed` of `owners`. */
export interface PullSources {
  readonly owners: readonly PeerId[];
  readonly needed: number;
}

// At one stamp: a completed join beats its cancellation, which beats a pending status.
const STATUS_ORDER: Record<RingStatus, number> = { joining: 0, leaving: 1, removed: 2, normal: 3 };

function later(a: { stamp: number; status: RingStatus }, b: { stamp: number; status: RingStatus }): boolean {
  return a.stamp > b.stamp || (a.stamp === b.stamp && STATUS_ORDER[a.status] > STATUS_ORDER[b.status]);
}

function hex16(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text))).slice(0, 16);
}

interface Derived {
  readonly fingerprint: string;
  readonly ring: Ring;
  readonly transition: RingTransition | undefined;
}

export class RingState {
  readonly #config: RingConfig;
  readonly #hashes: HashCache;
  /** min(R, W): how many of a range's old owners a quorum may leave out is |owners| − this. */
  readonly #smallerQuorum: number;
  readonly #entries = new Map<PeerId, RingEntry>();
  readonly #caughtUp = new Map<PeerId, CaughtUp>();
  #derived: Derived | undefined;

  constructor(config: RingConfig, quorums: { readonly readQuorum: number; readonly writeQuorum: number }, hashes: HashCache) {
    this.#config = config;
    this.#smallerQuorum = Math.min(quorums.readQuorum, quorums.writeQuorum);
    this.#hashes = hashes;
  }

  get isEmpty(): boolean {
    return this.#entries.size === 0;
  }

  entry(peer: PeerId): RingEntry | undefined {
    return this.#entries.get(peer);
  }

  entries(): RingEntry[] {
    return [...this.#entries.values()].sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
  }

  caughtUp(peer: PeerId): CaughtUp | undefined {
    return this.#caughtUp.get(peer);
  }

  get maxStamp(): number {
    let max = 0;
    for (const entry of this.#entries.values()) max = Math.max(max, entry.stamp);
    for (const entry of this.#caughtUp.values()) max = Math.max(max, entry.stamp);
    return max;
  }

  /** A hash of the entries: equal fingerprints compute equal rings and transitions. */
  get fingerprint(): string {
    return this.#derive().fingerprint;
  }

  /** The ring keys belong to now; during a transition, the ring before it. */
  get ring(): Ring {
    return this.#derive().ring;
  }

  get transition(): RingTransition | undefined {
    return this.#derive().transition;
  }

  /** A first state: `peers` own keys from the start (a cluster started whole). Only when empty. */
  seed(peers: Iterable<PeerId>): boolean {
    if (!this.isEmpty) return false;
    for (const peer of peers) this.#entries.set(peer, { peer, status: 'normal', stamp: 0 });
    this.#derived = undefined;
    return this.#entries.size > 0;
  }

  /** Writes `peer`'s status with a stamp above every stamp known here (or with `stamp`). */
  announce(peer: PeerId, status: RingStatus, stamp = this.maxStamp + 1): RingEntry {
    const entry: RingEntry = { peer, status, stamp };
    const known = this.#entries.get(peer);
    if (known !== undefined && !later(entry, known)) return known;
    this.#entries.set(peer, entry);
    this.#derived = undefined;
    return entry;
  }

  /** `peer` (this one) has received every key range `transition` gives it. */
  markCaughtUp(peer: PeerId, transition: string): void {
    this.#caughtUp.set(peer, { peer, transition, stamp: this.maxStamp + 1 });
  }

  /** Takes what another peer knows; says what changed. */
  merge(wire: RingStateWire): { entries: boolean; caughtUp: boolean } {
    let entries = false;
    let caughtUp = false;
    for (const entry of wire.entries) {
      const known = this.#entries.get(entry.peer);
      if (known === undefined || later(entry, known)) {
        this.#entries.set(entry.peer, { peer: entry.peer, status: entry.status, stamp: entry.stamp });
        entries = true;
      }
    }
    for (const entry of wire.caughtUp) {
      const known = this.#caughtUp.get(entry.peer);
      if (known === undefined || entry.stamp > known.stamp || (entry.stamp === known.stamp && entry.transition > known.transition)) {
        this.#caughtUp.set(entry.peer, { peer: entry.peer, transition: entry.transition, stamp: entry.stamp });
        caughtUp = true;
      }
    }
    if (entries) this.#derived = undefined;
    return { entries, caughtUp };
  }

  /**
   * Ends the transition if every gainer has caught up: every pending entry takes its final
   * status with its own stamp. True if it ended.
   */
  completeIfDone(): boolean {
    const transition = this.transition;
    if (transition === undefined) return false;
    if (!transition.gainers.every((gainer) => this.#caughtUp.get(gainer)?.transition === transition.id)) return false;
    for (const peer of [...transition.joining, ...transition.leaving]) {
      const entry = this.#entries.get(peer) as RingEntry;
      this.#entries.set(peer, { peer, status: entry.status === 'joining' ? 'normal' : 'removed', stamp: entry.stamp });
    }
    this.#derived = undefined;
    return true;
  }

  /**
   * The old owners `gainer` must pull from in the active transition: for each group of keys it
   * gains, `needed` of their owners on `before`. Empty when it gains nothing.
   */
  pullSources(gainer: PeerId): PullSources[] {
    const transition = this.transition;
    if (transition === undefined || !transition.gainers.includes(gainer)) return [];
    const seen = new Set<string>();
    const sources: PullSources[] = [];
    for (const position of mergedPositions(transition.before, transition.after)) {
      const next = transition.after.preferenceListAt(position);
      if (!next.includes(gainer)) continue;
      const owners = transition.before.preferenceListAt(position);
      if (!gains(gainer, owners, next)) continue;
      // A staying owner (of a range that shrinks) is a source of its own: `needed` counts it.
      const needed = owners.length - this.#smallerQuorum + 1;
      const label = owners.join(' ');
      if (needed <= 0 || seen.has(label)) continue;
      seen.add(label);
      sources.push({ owners, needed });
    }
    return sources;
  }

  toWire(): RingStateWire {
    return { entries: this.entries(), caughtUp: [...this.#caughtUp.values()] };
  }

  #derive(): Derived {
    if (this.#derived !== undefined) return this.#derived;
    const entries = this.entries();
    const fingerprint = hex16(entries.map((entry) => `${entry.peer}|${entry.status}|${entry.stamp}`).join(';'));
    const owners = entries.filter((entry) => entry.status === 'normal' || entry.status === 'leaving').map((entry) => entry.peer);
    const ring = this.#ring(owners);
    const joining = entries.filter((entry) => entry.status === 'joining').map((entry) => entry.peer);
    const leaving = entries.filter((entry) => entry.status === 'leaving').map((entry) => entry.peer);
    let transition: RingTransition | undefined;
    if (joining.length > 0 || leaving.length > 0) {
      const after = this.#ring([...owners.filter((peer) => !leaving.includes(peer)), ...joining]);
      transition = { id: fingerprint, joining, leaving, before: ring, after, gainers: gainersOf(ring, after) };
    }
    this.#derived = { fingerprint, ring, transition };
    return this.#derived;
  }

  #ring(peers: readonly PeerId[]): Ring {
    return ownersRing(this.#config, peers, this.#hashes);
  }
}

/** The ring of `peers` as explicit ownership places keys: with fewer than N peers, on all of them. */
export function ownersRing(config: RingConfig, peers: readonly PeerId[], hashes?: HashCache): Ring {
  const replicas = Math.max(1, Math.min(config.replicas, peers.length));
  return new Ring(replicas === config.replicas ? config : { ...config, replicas }, peers, hashes);
}

/** Every token position of both rings: each key range of either starts after one of them. */
function mergedPositions(before: Ring, after: Ring): number[] {
  const positions = new Set<number>();
  for (const token of before.tokens) positions.add(token.position);
  for (const token of after.tokens) positions.add(token.position);
  return [...positions].sort((a, b) => a - b);
}

/**
 * Peers that own, on `after`, keys they do not own on `before`. None when `before` had no peer:
 * nothing can have been written, so there is nothing to pull.
 */
function gainersOf(before: Ring, after: Ring): PeerId[] {
  if (!before.placesKeys || !after.placesKeys) return [];
  const gainers = new Set<PeerId>();
  for (const position of mergedPositions(before, after)) {
    const owners = before.preferenceListAt(position);
    const next = after.preferenceListAt(position);
    for (const peer of next) if (gains(peer, owners, next)) gainers.add(peer);
  }
  return [...gainers].sort();
}

/**
 * True when `peer`, an owner of a range after a transition, must pull it: it did not own it
 * before; or the range has fewer owners after than before, so a write acknowledged by W of the old
 * owners may be on fewer than W of the new ones unless every one of them pulls.
 */
function gains(peer: PeerId, owners: readonly PeerId[], next: readonly PeerId[]): boolean {
  return !owners.includes(peer) || next.length < owners.length;
}

/** True when `source` is to send `key` to `gainer` in `transition`: the gainer's, once the source's. */
export function transferIncludes(transition: RingTransition, source: PeerId, gainer: PeerId, key: string): boolean {
  if (source === gainer || !transition.before.owns(source, key)) return false;
  const next = transition.after.preferenceList(key);
  return next.includes(gainer) && gains(gainer, transition.before.preferenceList(key), next);
}
