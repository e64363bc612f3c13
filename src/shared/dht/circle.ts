/**
 * Arithmetic on the identity circle [0, 256): who lies between whom, clockwise. Every interval
 * is read clockwise from its first end; when both ends are the same peer, the interval is the
 * whole circle (a peer alone owns everything).
 */
import { IDENTITY_COUNT } from '../protocol/dht.ts';

/** x ∈ (from, to]: `to` owns x when `from` is its predecessor. */
export function inHalfOpen(from: number, x: number, to: number): boolean {
  if (from === to) return true;
  return from < to ? from < x && x <= to : x > from || x <= to;
}

/** x ∈ (from, to), both ends excluded; the whole circle but `from` when the ends are the same. */
export function inOpen(from: number, x: number, to: number): boolean {
  if (from === to) return x !== from;
  return from < to ? from < x && x < to : x > from || x < to;
}

/** Steps clockwise from `from` to `to`, in [0, IDENTITY_COUNT). */
export function clockwiseDistance(from: number, to: number): number {
  return (((to - from) % IDENTITY_COUNT) + IDENTITY_COUNT) % IDENTITY_COUNT;
}

/** `identities` in circle order starting after `from` (`from` itself last, if present). */
export function clockwiseFrom(from: number, identities: Iterable<number>): number[] {
  const distance = (identity: number): number => clockwiseDistance(from, identity) || IDENTITY_COUNT;
  return [...new Set(identities)].sort((a, b) => distance(a) - distance(b));
}
