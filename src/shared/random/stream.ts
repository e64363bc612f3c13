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
  // The four 32-bit words the stream was seeded with: what derivation hashes. Fields rather
  // than an array: a big simulation holds a stream per directed link.
  readonly #seed0: number;
  readonly #seed1: number;
  readonly #seed2: number;
  readonly #seed3: number;

  private constructor(seedWords: readonly number[]) {
    const [seed0 = 0, seed1 = 0, seed2 = 0, seed3 = 0] = seedWords;
    this.#seed0 = seed0;
    this.#seed1 = seed1;
    this.#seed2 = seed2;
    this.#seed3 = seed3;
    // xoroshiro128+ must not start from the all-zero state (it would only produce zeros).
    const allZero = (seed0 | seed1 | seed2 | seed3) === 0;
    this.#generator = xoroshiro128plusFromState(allZero ? [1, 0, 0, 0] : [seed0, seed1, seed2, seed3]);
  }

  /** The root of a run. Any integer or text identifies it; the same seed gives the same run. */
  static root(seed: number | string): RandomStream {
    return new RandomStream(hashWords(`ringside-root:${String(seed)}`));
  }

  /** An independent stream for `label`; the same parent and label always give the same stream. */
  derive(label: string): RandomStream {
    return new RandomStream(hashWords(`${this.#seed0},${this.#seed1},${this.#seed2},${this.#seed3}|${label}`));
  }

  /**
   * A cheap derivation for hot paths, such as one stream per directed link created on a link's
   * first message: the parent state mixed with the label's FNV-1a hash through murmur3's 32-bit
   * finalizer. Statistically independent enough for simulation (not for security); `derive` is
   * the strong one.
   */
  fork(label: string): RandomStream {
    const hash = fnv1a(label);
    return new RandomStream([
      mix32(this.#seed0 ^ hash),
      mix32(this.#seed1 ^ Math.imul(hash, 0x9e3779b9)),
      mix32(this.#seed2 ^ Math.imul(hash ^ 0x5bd1e995, 0x85ebca6b)),
      mix32(this.#seed3 ^ Math.imul(hash ^ 0x27d4eb2f, 0xc2b2ae35)),
    ]);
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

/**
 * Draws for a great many keys (one per directed link of a big simulation) without an object per
 * key: the k-th draw for key K is mix32(seed(K) + k × 0x9e3779b9), a counter-based generator in
 * the manner of SplitMix. A key costs one number in a map (a pure-rand generator per link costs
 * ~150 bytes, 150 MB at a million links). Keys are pairs (source, target); each pair's draws are
 * its own, whatever other pairs draw.
 */
export class KeyedDraws {
  readonly #seed: number;
  readonly #counters = new Map<string, Map<string, number>>();

  constructor(parent: RandomStream, label: string) {
    this.#seed = parent.fork(label).int(-0x8000_0000, 0x7fff_ffff);
  }

  /** A uniform float in [0, 1) for the pair, advancing the pair's counter. */
  float(source: string, target: string): number {
    let bySource = this.#counters.get(source);
    if (bySource === undefined) {
      bySource = new Map();
      this.#counters.set(source, bySource);
    }
    const count = bySource.get(target) ?? 0;
    bySource.set(target, count + 1);
    const key = mix32(this.#seed ^ fnv1a(source) ^ Math.imul(fnv1a(target), 0x85ebca6b));
    return (mix32(key + Math.imul(count, 0x9e3779b9)) >>> 0) / TWO_TO_32;
  }

  chance(source: string, target: string, probability: number): boolean {
    if (probability <= 0) return false;
    if (probability >= 1) return true;
    return this.float(source, target) < probability;
  }

  /** A uniform integer in [min, max]: floor-scaled, with a bias below 2^-20 for ranges under 4096. */
  int(source: string, target: string, min: number, max: number): number {
    return min + Math.floor(this.float(source, target) * (max - min + 1));
  }

  exponential(source: string, target: string, mean: number): number {
    return -Math.log(1 - this.float(source, target)) * mean;
  }
}

/** FNV-1a, 32 bits: a quick, well-spread hash of a short label. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return hash;
}

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
function mix32(value: number): number {
  let mixed = value ^ (value >>> 16);
  mixed = Math.imul(mixed, 0x85ebca6b);
  mixed ^= mixed >>> 13;
  mixed = Math.imul(mixed, 0xc2b2ae35);
  return (mixed ^ (mixed >>> 16)) | 0;
}

function hashWords(text: string): number[] {
  const digest = sha256(utf8ToBytes(text));
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  return [view.getInt32(0), view.getInt32(4), view.getInt32(8), view.getInt32(12)];
}
