/**
 * Which identities a new ring gets, and how each peer starts, for a driver that starts many peers
 * at once (the window's cluster manager):
 *   - a ring of 7 is the spec's reference ring 2 → 4 → 5 → 8 → 9 → 14 → 19 → 2;
 *   - a ring of any other size has its identities spread evenly round the circle
 *     (⌊(i + ½) × 256 / n⌋: 4 peers are 32, 96, 160, 224);
 *   - every peer of a new ring starts as `p2p init` with its two successors on that ring, as the
 *     spec starts its reference ring; a peer added later joins (`p2p join`) through a live one, and
 *     takes the middle of the largest gap unless told its identity.
 */
import { IDENTITY_COUNT } from '../protocol/dht.ts';
import { clockwiseDistance } from './circle.ts';

/** The spec's reference ring. */
export const REFERENCE_RING: readonly number[] = [2, 4, 5, 8, 9, 14, 19];

/** A founding peer and the successors `p2p init` gives it. */
export interface InitStart {
  readonly identity: number;
  readonly first: number;
  readonly second: number;
}

/** The identities of a new ring of `count` peers (1 to 256), sorted. */
export function newRingIdentities(count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > IDENTITY_COUNT) throw new RangeError(`a ring has 1 to ${IDENTITY_COUNT} peers, not ${count}`);
  if (count === REFERENCE_RING.length) return [...REFERENCE_RING];
  return Array.from({ length: count }, (_, index) => Math.floor(((index + 0.5) * IDENTITY_COUNT) / count));
}

/**
 * Each identity with its next two on the circle, as `p2p init` takes them: alone, a peer is its
 * own successors; in a ring of two, its second successor is itself.
 */
export function initStarts(identities: readonly number[]): InitStart[] {
  const sorted = [...new Set(identities)].sort((a, b) => a - b);
  return sorted.map((identity, index) => ({
    identity,
    first: sorted[(index + 1) % sorted.length] as number,
    second: sorted[(index + 2) % sorted.length] as number,
  }));
}

/**
 * An identity not in `taken` for a new peer: the middle of the largest gap on the circle (0 when
 * nothing is taken), skipping those `usable` refuses; undefined when none is left.
 */
export function freeIdentity(taken: Iterable<number>, usable: (identity: number) => boolean = () => true): number | undefined {
  const sorted = [...new Set(taken)].sort((a, b) => a - b);
  const candidates: { identity: number; room: number }[] = [];
  for (let identity = 0; identity < IDENTITY_COUNT; identity++) {
    if (sorted.includes(identity) || !usable(identity)) continue;
    candidates.push({ identity, room: roomAround(identity, sorted) });
  }
  // The most room on both sides; among equals, the smallest identity.
  candidates.sort((a, b) => b.room - a.room || a.identity - b.identity);
  return candidates[0]?.identity;
}

/** The distance from `identity` to the nearest taken identity on either side. */
function roomAround(identity: number, taken: readonly number[]): number {
  if (taken.length === 0) return IDENTITY_COUNT - identity;
  let room = IDENTITY_COUNT;
  for (const other of taken) room = Math.min(room, clockwiseDistance(identity, other), clockwiseDistance(other, identity));
  return room;
}
