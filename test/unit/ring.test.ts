import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash32, HashCache } from '../../src/shared/ring/hash.ts';
import { BALANCED_RING, CLASSROOM_RING, Ring } from '../../src/shared/ring/ring.ts';
import { movedFraction, placementStats } from '../../src/shared/ring/stats.ts';

const peers = (count: number): string[] => Array.from({ length: count }, (_, index) => `${index + 1}.0.0.0:0`);

describe('the ring', () => {
  it('puts a classroom peer at hash(address) mod 512 and a key at the first peer at or clockwise of its place', () => {
    const ring = new Ring(CLASSROOM_RING, peers(10));
    expect(ring.tokens).toHaveLength(10);
    for (const token of ring.tokens) expect(token.position).toBe(hash32(token.peer) % 512);
    for (const key of ['abc12', 'ZZZZZ', '00000', 'invalidKey']) {
      const position = ring.positionOf(key);
      const owner = ring.tokens.find((token) => token.position >= position) ?? ring.tokens[0];
      expect(ring.preferenceList(key)[0]).toBe(owner?.peer);
    }
  });

  it('places keys on the owner and the next two peers clockwise, wrapping around', () => {
    const ring = new Ring(CLASSROOM_RING, peers(5));
    const last = ring.tokens.at(-1);
    // A key past the last token belongs to the first one.
    const key = Array.from({ length: 2000 }, (_, index) => `k${index}`).find((candidate) => ring.positionOf(candidate) > (last?.position ?? 511));
    if (key !== undefined) expect(ring.preferenceList(key)).toEqual(ring.tokens.slice(0, 3).map((token) => token.peer));
    const first = ring.preferenceList('some key');
    expect(new Set(first).size).toBe(3);
  });

  it('places nothing with fewer peers than replicas', () => {
    expect(new Ring(CLASSROOM_RING, peers(2)).preferenceList('k')).toEqual([]);
    expect(new Ring(CLASSROOM_RING, peers(2)).placesKeys).toBe(false);
  });

  it('always names N distinct peers in a balanced preference list, and more when asked (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 30 }), fc.string({ minLength: 1 }), (count, key) => {
        const ring = new Ring({ ...BALANCED_RING, tokensPerPeer: 8 }, peers(count));
        const list = ring.preferenceList(key);
        expect(list).toHaveLength(3);
        expect(new Set(list).size).toBe(3);
        const extended = ring.preferenceList(key, 6);
        expect(extended.slice(0, 3)).toEqual(list);
        expect(new Set(extended).size).toBe(Math.min(6, count));
      }),
    );
  });

  it('keeps the busiest peer within 1.25 of the mean with the default 64 tokens at 10 peers', () => {
    const keys = Array.from({ length: 20_000 }, (_, index) => `key-${index}`);
    const balanced = placementStats(new Ring(BALANCED_RING, peers(10)), keys);
    const single = placementStats(new Ring({ ...BALANCED_RING, tokensPerPeer: 1 }, peers(10)), keys);
    expect(balanced.maxMeanLoad).toBeLessThanOrEqual(1.25);
    expect(single.maxMeanLoad).toBeGreaterThan(balanced.maxMeanLoad);
    expect(balanced.shares.reduce((sum, share) => sum + share.spaceShare, 0)).toBeCloseTo(1, 9);
    expect(balanced.shares.reduce((sum, share) => sum + share.keyShare, 0)).toBeCloseTo(1, 9);
  });

  it('moves about 1/N of the keys when a peer joins (and no key that stays put changes owners)', () => {
    const keys = Array.from({ length: 5_000 }, (_, index) => `key-${index}`);
    const before = new Ring(BALANCED_RING, peers(10));
    const after = new Ring(BALANCED_RING, peers(11));
    const moved = movedFraction(before, after, keys);
    // A key moves when the newcomer becomes one of its three owners: about 3/11 of them.
    expect(moved).toBeGreaterThan(0.15);
    expect(moved).toBeLessThan(0.4);
    expect(movedFraction(before, new Ring(BALANCED_RING, peers(10)), keys)).toBe(0);
  });

  it('caches hashes within a bound', () => {
    const cache = new HashCache(2);
    expect(cache.hash('a')).toBe(hash32('a'));
    cache.hash('b');
    cache.hash('c');
    expect(cache.hash('a')).toBe(hash32('a'));
  });
});
