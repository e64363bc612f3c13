/**
 * Who owns a key, in one of two ways (`KvConfig.ownership`):
 *
 * - 'membership' (the classroom): the ring is every peer the membership protocol counts as a
 *   member; a failure detected moves keys to the next peers, as the assignment's stabilization
 *   does. Simple, and wrong under partitions: each side rebuilds a ring of its own.
 * - 'explicit' (the default): the ring state (`ring-state.ts`), changed only by joins, leaves and
 *   removals, one transition at a time, with fenced requests.
 *
 * Both answer the questions the coordinator and the stabilizer ask.
 */
import type { PeerId } from '../machine.ts';
import type { HashCache } from '../ring/hash.ts';
import { Ring, type RingConfig } from '../ring/ring.ts';
import { RingState, type RingTransition } from './ring-state.ts';

export class Ownership {
  /** The ring state; undefined when ownership follows membership. */
  readonly state: RingState | undefined;
  #membershipRing: Ring;

  constructor(kind: 'membership' | 'explicit', config: RingConfig, quorums: { readonly readQuorum: number; readonly writeQuorum: number }, hashes: HashCache) {
    this.state = kind === 'explicit' ? new RingState(config, quorums, hashes) : undefined;
    this.#membershipRing = new Ring(config, [], hashes);
  }

  /** The ring keys belong to now; during a transition, the ring before it. */
  get ring(): Ring {
    return this.state?.ring ?? this.#membershipRing;
  }

  get transition(): RingTransition | undefined {
    return this.state?.transition;
  }

  /** What requests carry so a replica can refuse a coordinator whose rings differ. */
  get fingerprint(): string | undefined {
    return this.state?.fingerprint;
  }

  /** Membership ownership: the ring of the current members. */
  setMembershipRing(ring: Ring): void {
    this.#membershipRing = ring;
  }

  /**
   * The owner sets a read (or a write) needs its quorum from, each: the key's owners, or during a
   * transition its owners on both rings (`ring-state.ts` says why). Empty when no ring places it.
   */
  ownerSets(key: string): PeerId[][] {
    const before = this.ring.preferenceList(key);
    const transition = this.transition;
    if (transition === undefined) return before.length === 0 ? [] : [before];
    const after = transition.after.preferenceList(key);
    if (after.length === 0 || (after.length === before.length && after.every((peer) => before.includes(peer)))) return before.length === 0 ? [] : [before];
    return before.length === 0 ? [after] : [before, after];
  }

  /** True when `peer` owns `key` now, or will once the transition in progress ends. */
  holds(peer: PeerId, key: string): boolean {
    return this.ring.owns(peer, key) || (this.transition?.after.owns(peer, key) ?? false);
  }

  /** Every owner of `key`, now and after the transition in progress, owners now first. */
  allOwners(key: string): PeerId[] {
    const owners = this.ring.preferenceList(key);
    const transition = this.transition;
    if (transition !== undefined) for (const peer of transition.after.preferenceList(key)) if (!owners.includes(peer)) owners.push(peer);
    return owners;
  }
}
