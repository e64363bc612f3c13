import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BALANCED_RING, CLASSROOM_RING, Ring, type RingConfig } from '../../src/shared/ring/ring.ts';
import { movement, movementTheory } from '../../src/shared/ring/stats.ts';

/** A preference list found the slow way: scan the tokens for the key's owner, then walk clockwise collecting distinct peers. */
function bruteList(ring: Ring, key: string): string[] {
  if (!ring.placesKeys) return [];
  const tokens = ring.tokens;
  const position = ring.positionOf(key);
  let start = tokens.findIndex((token) => token.position >= position);
  if (start === -1) start = 0;
  const list: string[] = [];
  for (let step = 0; step < tokens.length && list.length < ring.config.replicas; step++) {
    const peer = tokens[(start + step) % tokens.length]!.peer;
    if (!list.includes(peer)) list.push(peer);
  }
  return list;
}

/** The two figures by brute force: primaries compared key by key; copies as sets of (key, peer). */
function bruteMovement(before: Ring, after: Ring, keys: readonly string[]): { primaries: number; copies: number; copiesMoved: number; movedKeys: string[] } {
  const oldCopies = new Set(keys.flatMap((key) => bruteList(before, key).map((peer) => `${key}\u0000${peer}`)));
  const newCopies = keys.flatMap((key) => bruteList(after, key).map((peer) => `${key}\u0000${peer}`));
  const movedKeys = keys.filter((key) => bruteList(before, key)[0] !== bruteList(after, key)[0]);
  return { primaries: movedKeys.length, copies: newCopies.length, copiesMoved: newCopies.filter((copy) => !oldCopies.has(copy)).length, movedKeys };
}

const names = (salt: number, count: number): string[] => Array.from({ length: count }, (_, index) => `10.${salt % 250}.${index}.1:${7000 + salt}`);
const keysFrom = (salt: number, count: number): string[] => Array.from({ length: count }, (_, index) => `k${salt}:${index}`);

describe('what a ring change moves', () => {
  it('counts the primaries and the replica copies that moved as brute force does, for random rings and changes (property)', () => {
    const config = fc.record({
      placement: fc.constantFrom<RingConfig['placement']>('balanced', 'classroom'),
      tokensPerPeer: fc.integer({ min: 1, max: 8 }),
      replicas: fc.integer({ min: 1, max: 4 }),
    });
    fc.assert(
      fc.property(
        config,
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 300 }),
        ({ placement, tokensPerPeer, replicas }, salt, count, added, removed, keyCount) => {
          const ringConfig: RingConfig = placement === 'classroom' ? { ...CLASSROOM_RING, replicas } : { ...BALANCED_RING, tokensPerPeer, replicas };
          const all = names(salt, count + added);
          const before = new Ring(ringConfig, all.slice(0, count));
          const after = new Ring(ringConfig, all.slice(Math.min(removed, count), count + added));
          const keys = keysFrom(salt, keyCount);
          const got = movement(before, after, keys);
          const want = bruteMovement(before, after, keys);
          expect(got.keys).toBe(keys.length);
          expect(got.primariesMoved).toBe(want.primaries);
          expect(got.movedKeys).toEqual(want.movedKeys);
          expect(got.copies).toBe(want.copies);
          expect(got.copiesMoved).toBe(want.copiesMoved);
          expect(got.primaryFraction).toBe(keys.length === 0 ? 0 : want.primaries / keys.length);
          expect(got.copyFraction).toBe(want.copies === 0 ? 0 : want.copiesMoved / want.copies);
          // Once both rings place keys, a key has N copies: the figure is over keys × N.
          if (before.placesKeys && after.placesKeys) expect(got.copies).toBe(keys.length * replicas);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('moves nothing when the ring stays the same', () => {
    const ring = new Ring(BALANCED_RING, names(1, 5));
    const moved = movement(ring, new Ring(BALANCED_RING, names(1, 5)), keysFrom(1, 500));
    expect([moved.primariesMoved, moved.copiesMoved, moved.movedKeys.length]).toEqual([0, 0, 0]);
  });

  it('with many virtual nodes, a join of the (n+1)-th peer moves about 1/(n+1) of the primaries and of the copies (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 12 }), fc.integer({ min: 0, max: 10_000 }), (n, salt) => {
        const config = { ...BALANCED_RING, tokensPerPeer: 256 };
        const all = names(salt, n + 1);
        const keys = keysFrom(salt, 3000);
        const moved = movement(new Ring(config, all.slice(0, n)), new Ring(config, all), keys);
        const theory = 1 / (n + 1);
        expect(movementTheory(n, 1, 0)).toEqual({ fraction: theory, text: `1/${n + 1}` });
        for (const fraction of [moved.primaryFraction, moved.copyFraction]) {
          expect(fraction).toBeGreaterThan(0.6 * theory);
          expect(fraction).toBeLessThan(1.5 * theory);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('with many virtual nodes, removing one of n peers moves about 1/n of the primaries and of the copies (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 12 }), fc.integer({ min: 0, max: 10_000 }), fc.nat(), (n, salt, pick) => {
        const config = { ...BALANCED_RING, tokensPerPeer: 256 };
        const all = names(salt, n);
        const gone = all[pick % n]!;
        const keys = keysFrom(salt, 3000);
        const moved = movement(new Ring(config, all), new Ring(config, all.filter((peer) => peer !== gone)), keys);
        const theory = 1 / n;
        expect(movementTheory(n, 0, 1)).toEqual({ fraction: theory, text: `1/${n}` });
        for (const fraction of [moved.primaryFraction, moved.copyFraction]) {
          expect(fraction).toBeGreaterThan(0.6 * theory);
          expect(fraction).toBeLessThan(1.5 * theory);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('has no simple theory for a change that adds and removes peers at once', () => {
    expect(movementTheory(5, 1, 1)).toBeUndefined();
    expect(movementTheory(5, 0, 0)).toBeUndefined();
    expect(movementTheory(5, 2, 0)).toEqual({ fraction: 2 / 7, text: '2/7' });
  });
});
