/**
 * Where a file belongs, as the classroom defines it: a file name is exactly four decimal digits;
 * its hash is the name read as a number, mod 256; the file belongs at the hash's closest successor,
 * the first peer whose identity is ≥ the hash, wrapping around (2012 → 220 → peer 2 on the
 * reference ring 2, 4, 5, 8, 9, 14, 19).
 */
import { IDENTITY_COUNT } from '../protocol/dht.ts';

export function isFileName(text: string): boolean {
  return /^\d{4}$/.test(text);
}

export function fileHash(name: string): number {
  if (!isFileName(name)) throw new RangeError(`"${name}" is not a file name: four digits, 0000 to 9999`);
  return Number(name) % IDENTITY_COUNT;
}

/** The closest successor of `hash` among `identities` (none when there are no peers). */
export function ownerOf(hash: number, identities: Iterable<number>): number | undefined {
  let smallest: number | undefined;
  let atOrAfter: number | undefined;
  for (const identity of identities) {
    if (smallest === undefined || identity < smallest) smallest = identity;
    if (identity >= hash && (atOrAfter === undefined || identity < atOrAfter)) atOrAfter = identity;
  }
  return atOrAfter ?? smallest;
}
