/**
 * Chord finger tables (beyond the classroom): finger i of peer n is the owner of n + 2^i
 * (i = 0..7 on a circle of 256), so each hop of a lookup can halve the distance left and a lookup
 * takes O(log N) hops. Finger 0 is the first successor. Every `fingerIntervalTicks` the peer
 * refreshes one finger with a lookup that travels along first successors, never fingers, so a
 * table heals with the ring even while some of its fingers name departed peers. Until then, a
 * lookup sent to a departed finger is lost.
 */
import type { Tick } from '../machine.ts';
import { HOPS_MAX, IDENTITY_COUNT, type DhtMessage } from '../protocol/dht.ts';
import { inHalfOpen, inOpen } from './circle.ts';
import type { PeerContext } from './context.ts';

export const FINGER_COUNT = Math.log2(IDENTITY_COUNT);

export class FingerTable {
  readonly #peer: PeerContext;
  readonly #intervalTicks: number;
  readonly #fingers: (number | undefined)[] = new Array<number | undefined>(FINGER_COUNT).fill(undefined);
  /** The next finger to refresh (finger 0 is kept equal to the first successor). */
  #cursor = 1;
  #nextRefreshTick: Tick = Infinity;
  #sequence = 0;
  /** Lookups under way: sequence → finger index and start, at most one per finger. */
  readonly #pending = new Map<number, { index: number; startTick: Tick }>();

  constructor(peer: PeerContext, intervalTicks: number) {
    this.#peer = peer;
    this.#intervalTicks = intervalTicks;
  }

  /** The peer joined the ring: start refreshing. */
  start(now: Tick): void {
    this.#nextRefreshTick = now + 1;
  }

  /** Where finger `index` points: self + 2^index. */
  target(index: number): number {
    return (this.#peer.identity + 2 ** index) % IDENTITY_COUNT;
  }

  /** A departed or dead peer is no finger. */
  forget(peer: number): void {
    for (let index = 0; index < FINGER_COUNT; index++) if (this.#fingers[index] === peer) this.#fingers[index] = undefined;
  }

  /** The farthest finger strictly between this peer and `target`: the next hop towards it. */
  closestPreceding(target: number): number | undefined {
    this.#set(0, this.#peer.first());
    for (let index = FINGER_COUNT - 1; index >= 0; index--) {
      const finger = this.#fingers[index];
      if (finger !== undefined && inOpen(this.#peer.identity, finger, target)) return finger;
    }
    return undefined;
  }

  list(): readonly (number | undefined)[] {
    this.#set(0, this.#peer.first());
    return this.#fingers;
  }

  tick(now: Tick): void {
    if (now < this.#nextRefreshTick) return;
    this.#nextRefreshTick = now + this.#intervalTicks;
    const index = this.#cursor;
    this.#cursor = this.#cursor + 1 >= FINGER_COUNT ? 1 : this.#cursor + 1;
    const first = this.#peer.first();
    const target = this.target(index);
    if (inHalfOpen(this.#peer.identity, target, first)) {
      this.#set(index, first);
      return;
    }
    // A lookup walks the ring one hop a tick at most: let one under way finish, up to HOPS_MAX ticks.
    for (const [sequence, pending] of this.#pending) {
      if (pending.index !== index) continue;
      if (now - pending.startTick < HOPS_MAX) return;
      this.#pending.delete(sequence);
    }
    const sequence = ++this.#sequence;
    this.#pending.set(sequence, { index, startTick: now });
    this.#peer.send(first, { type: 'dht.find-successor', target, sequence, owner: false, route: [this.#peer.identity] });
  }

  /** The answer to one of this peer's finger lookups. */
  found(from: number, sequence: number): void {
    const pending = this.#pending.get(sequence);
    if (pending === undefined) return;
    this.#pending.delete(sequence);
    this.#set(pending.index, from);
  }

  #set(index: number, owner: number): void {
    this.#fingers[index] = owner === this.#peer.identity ? undefined : owner;
  }
}

/**
 * Another peer's finger lookup, passed along first successors; the owner answers the origin.
 * Every peer does this, finger tables on or not.
 */
export function passFindSuccessor(peer: PeerContext, message: Extract<DhtMessage, { type: 'dht.find-successor' }>): void {
  const first = peer.first();
  const route = [...message.route, peer.identity];
  if (message.owner || first === peer.identity) {
    peer.send(message.route[0] as number, { type: 'dht.successor-found', target: message.target, sequence: message.sequence });
  } else if (route.length > HOPS_MAX) {
    peer.countDropped();
  } else {
    peer.send(first, { ...message, owner: inHalfOpen(peer.identity, message.target, first), route });
  }
}
