/**
 * Positions on the ring: the first 32 bits of SHA-256 (`@noble/hashes`), reduced modulo the
 * ring's size. SHA-256 spreads any text evenly, is the same in every runtime (the renderer
 * included), and is a maintained library rather than a hand-written hash.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

/** The 32-bit hash of a text, as an unsigned integer. */
export function hash32(text: string): number {
  const digest = sha256(utf8ToBytes(text));
  return ((digest[0] as number) * 2 ** 24 + ((digest[1] as number) << 16) + ((digest[2] as number) << 8) + (digest[3] as number)) >>> 0;
}

/**
 * Hashing costs a microsecond or two; a store hashes the same keys over and over. This cache
 * remembers up to `capacity` texts and starts afresh when full (a bound, not an LRU).
 */
export class HashCache {
  readonly #capacity: number;
  readonly #hashes = new Map<string, number>();

  constructor(capacity = 65_536) {
    this.#capacity = capacity;
  }

  hash(text: string): number {
    let hash = this.#hashes.get(text);
    if (hash === undefined) {
      hash = hash32(text);
      if (this.#hashes.size >= this.#capacity) this.#hashes.clear();
      this.#hashes.set(text, hash);
    }
    return hash;
  }
}
