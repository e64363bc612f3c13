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
 * end with the same entries, whatever the order.
 *
 * Transitions, one at a time. The pending entry (joining or leaving) with the smallest (stamp,
 * peer) is active. Its ring `before` holds the normal and leaving peers; `after` adds the joiner or
 * drops the leaver. While it is active a write needs W acknowledgements from the key's owners on
 * both rings, and a read asks the owners on `before`. Each *gainer* (a peer that owns some keys
 * on `after` but not on `before`) pulls those keys from |before owners| − W + 1 of their old
 * owners: every acknowledged write is on W of them, so that many hold it. It then records that
 * it has caught up; once every gainer has, the subject's entry takes its final status (normal or
 * removed) with the same stamp, and `after` is the ring. Every peer derives that completion from
 * the state alone, so it needs no further agreement.
 *
 * Why one at a time: with two transitions in flight, a gainer that has finished pulling can still
 * miss a write acknowledged on the other transition's rings.
 *
 * Fencing: requests carry `fingerprint` (a hash of the entries). A replica whose entries differ
 * refuses with its state; the coordinator merges and retries. A write is therefore acknowledged
 * only by replicas that computed the same rings as its coordinator, and an old owner answers a
 * gainer's pull only once it knows of the transition, so it has every write it took before.
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
  /** Names the transition and the ring it starts from: a gainer's pull is for this id only. */
  readonly id: string;
  readonly subject: PeerId;
  readonly kind: 'join' | 'leave';
  readonly stamp: number;
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

const STATUS_ORDER: Record<RingStatus, number> = { joining: 0, normal: 1, leaving: 2, removed: 3 };

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
  readonly #writeQuorum: number;
  readonly #entries = new Map<PeerId, RingEntry>();
  readonly #caughtUp = new Map<PeerId, CaughtUp>();
  #derived: Derived | undefined;

  constructor(config: RingConfig, writeQuorum: number, hashes: HashCache) {
    this.#config = config;
    this.#writeQuorum = writeQuorum;
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

  /** Writes `peer`'s status with a stamp above every stamp known here. */
  announce(peer: PeerId, status: RingStatus): RingEntry {
    const entry: RingEntry = { peer, status, stamp: this.maxStamp + 1 };
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
   * Ends the active transition if every gainer has caught up (and the next, and so on): the
   * subject's entry takes its final status with the transition's stamp. True if any ended.
   */
  completeIfDone(): boolean {
    let completed = false;
    for (let guard = 0; guard < this.#entries.size + 1; guard++) {
      const transition = this.transition;
      if (transition === undefined) break;
      if (!transition.gainers.every((gainer) => this.#caughtUp.get(gainer)?.transition === transition.id)) break;
      this.#entries.set(transition.subject, { peer: transition.subject, status: transition.kind === 'join' ? 'normal' : 'removed', stamp: transition.stamp });
      this.#derived = undefined;
      completed = true;
    }
    return completed;
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
      if (!transition.after.preferenceListAt(position).includes(gainer)) continue;
      const owners = transition.before.preferenceListAt(position);
      if (owners.includes(gainer)) continue;
      const needed = owners.length - this.#writeQuorum + 1;
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
    const ring = new Ring(this.#config, owners, this.#hashes);
    let active: RingEntry | undefined;
    for (const entry of entries) {
      if (entry.status !== 'joining' && entry.status !== 'leaving') continue;
      if (active === undefined || entry.stamp < active.stamp || (entry.stamp === active.stamp && entry.peer < active.peer)) active = entry;
    }
    let transition: RingTransition | undefined;
    if (active !== undefined) {
      const kind = active.status === 'joining' ? 'join' : 'leave';
      const after = new Ring(this.#config, kind === 'join' ? [...owners, active.peer] : owners.filter((peer) => peer !== active.peer), this.#hashes);
      transition = {
        id: hex16(`${active.peer}|${kind}|${active.stamp}|${ring.peers.join(',')}`),
        subject: active.peer,
        kind,
        stamp: active.stamp,
        before: ring,
        after,
        gainers: gainersOf(ring, after),
      };
    }
    this.#derived = { fingerprint, ring, transition };
    return this.#derived;
  }
}

/** Every token position of both rings: each key range of either starts after one of them. */
function mergedPositions(before: Ring, after: Ring): number[] {
  const positions = new Set<number>();
  for (const token of before.tokens) positions.add(token.position);
  for (const token of after.tokens) positions.add(token.position);
  return [...positions].sort((a, b) => a - b);
}

/**
 * Peers that own, on `after`, keys they do not own on `before`. None when `before` could place no
 * key: nothing can have been written, so there is nothing to pull.
 */
function gainersOf(before: Ring, after: Ring): PeerId[] {
  if (!before.placesKeys || !after.placesKeys) return [];
  const gainers = new Set<PeerId>();
  for (const position of mergedPositions(before, after)) {
    const owners = before.preferenceListAt(position);
    for (const peer of after.preferenceListAt(position)) if (!owners.includes(peer)) gainers.add(peer);
  }
  return [...gainers].sort();
}

/** True when `source` is to send `key` to `gainer` in `transition`: the gainer's, once the source's. */
export function transferIncludes(transition: RingTransition, source: PeerId, gainer: PeerId, key: string): boolean {
  return transition.after.owns(gainer, key) && !transition.before.owns(gainer, key) && transition.before.owns(source, key);
}
