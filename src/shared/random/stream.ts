/**
 * Seeded random streams. Every random draw in Ringside comes from a `RandomStream`; a run is
 * identified by its root seed and replays event for event.
 *
 * Streams form a tree: `RandomStream.root(seed)` and `stream.derive(label)`. A derived stream's
 * state is the SHA-256 of its parent's state and its label, so each peer, link or scenario gets
 * its own stream (`root.derive('peer:3.0.0.0:0')`), and drawing more numbers from one never shifts
 * another. The generator is xoroshiro128+ from pure-rand, seeded with all 128 bits of the hash.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

const TWO_TO_32 = 4_294_967_296;

export class RandomStream {
  readonly #generator: RandomGenerator;
  /** The four 32-bit words the stream was seeded with: the identity derivation hashes. */
  readonly #seedWords: readonly number[];

  private constructor(seedWords: readonly number[]) {
    this.#seedWords = seedWords;
    // xoroshiro128+ must not start from the all-zero state (it would only produce zeros).
    const state = seedWords.every((word) => word === 0) ? [1, 0, 0, 0] : [...seedWords];
    this.#generator = xoroshiro128plusFromState(state);
  }

  /** The root of a run. Any integer or text identifies it; the same seed gives the same run. */
  static root(seed: number | string): RandomStream {
    return new RandomStream(hashWords(`ringside-root:${String(seed)}`));
  }

  /** An independent stream for `label`; the same parent and label always give the same stream. */
  derive(label: string): RandomStream {
    return new RandomStream(hashWords(`${this.#seedWords.join(',')}|${label}`));
  }

  /** A uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.#generator, min, max);
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const high = (this.#generator.next() >>> 0) >>> 5; // 27 bits
    const low = (this.#generator.next() >>> 0) >>> 6; // 26 bits
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /** True with probability `probability` (0 never draws, so a fault-free run draws nothing). */
  chance(probability: number): boolean {
    if (probability <= 0) return false;
    if (probability >= 1) return true;
    return (this.#generator.next() >>> 0) / TWO_TO_32 < probability;
  }

  /** An index in [0, length): the fast path for picking from an array. */
  index(length: number): number {
    return uniformInt(this.#generator, 0, length - 1);
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let index = items.length - 1; index > 0; index--) {
      const other = uniformInt(this.#generator, 0, index);
      const item = items[index] as T;
      items[index] = items[other] as T;
      items[other] = item;
    }
    return items;
  }

  /** An exponentially distributed value with the given mean (inverse transform). */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }
}

function hashWords(text: string): number[] {
  const digest = sha256(utf8ToBytes(text));
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  return [view.getInt32(0), view.getInt32(4), view.getInt32(8), view.getInt32(12)];
}
