import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { RandomStream } from '../../src/shared/random/stream.ts';

function draws(stream: RandomStream, count: number): number[] {
  return Array.from({ length: count }, () => stream.int(0, 1_000_000));
}

describe('RandomStream', () => {
  it('gives the same sequence for the same seed', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.string()), (seed) => {
        expect(draws(RandomStream.root(seed), 20)).toEqual(draws(RandomStream.root(seed), 20));
      }),
      { numRuns: 50 },
    );
  });

  it('gives different sequences for different seeds', () => {
    expect(draws(RandomStream.root(1), 20)).not.toEqual(draws(RandomStream.root(2), 20));
    expect(draws(RandomStream.root('a'), 20)).not.toEqual(draws(RandomStream.root('b'), 20));
  });

  it('derives the same stream for the same parent and label', () => {
    const a = RandomStream.root(7).derive('peer:3.0.0.0:0');
    const b = RandomStream.root(7).derive('peer:3.0.0.0:0');
    expect(draws(a, 20)).toEqual(draws(b, 20));
  });

  it('derives the same stream however many numbers the parent has drawn', () => {
    const fresh = RandomStream.root(7);
    const used = RandomStream.root(7);
    draws(used, 100);
    expect(draws(used.derive('x'), 20)).toEqual(draws(fresh.derive('x'), 20));
  });

  it('derives different streams for different labels', () => {
    const root = RandomStream.root(7);
    const labels = ['a', 'b', 'peer:1.0.0.0:0', 'peer:10.0.0.0:0', 'link:1>2', ''];
    const sequences = labels.map((label) => draws(root.derive(label), 10).join(','));
    expect(new Set(sequences).size).toBe(labels.length);
  });

  it('derives a stream different from its parent and from a grandchild', () => {
    const root = RandomStream.root(7);
    const child = root.derive('x');
    const grandchild = root.derive('x').derive('x');
    const sequences = [draws(RandomStream.root(7), 10), draws(child, 10), draws(grandchild, 10)].map((s) => s.join(','));
    expect(new Set(sequences).size).toBe(3);
  });

  it('never changes one derived stream when another is drawn from', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), (extra) => {
        const root = RandomStream.root('independence');
        const quiet = RandomStream.root('independence').derive('b');
        const a = root.derive('a');
        const b = root.derive('b');
        for (let i = 0; i < extra; i++) a.float();
        expect(draws(b, 10)).toEqual(draws(quiet, 10));
      }),
      { numRuns: 30 },
    );
  });

  it('keeps int(min, max) within its bounds, both included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.integer(),
        (min, span, seed) => {
          const stream = RandomStream.root(seed);
          const max = min + span;
          for (let i = 0; i < 20; i++) {
            const value = stream.int(min, max);
            expect(Number.isInteger(value)).toBe(true);
            expect(value).toBeGreaterThanOrEqual(min);
            expect(value).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });

  it('keeps int(min, max) within bounds for ranges wider than 32 bits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.integer({ min: 2 ** 33, max: 2 ** 45 }),
        fc.integer(),
        (min, span, seed) => {
          const stream = RandomStream.root(seed);
          const value = stream.int(min, min + span);
          expect(value).toBeGreaterThanOrEqual(min);
          expect(value).toBeLessThanOrEqual(min + span);
        },
      ),
    );
  });

  it('returns min when min equals max', () => {
    const stream = RandomStream.root(3);
    for (let i = 0; i < 10; i++) expect(stream.int(5, 5)).toBe(5);
  });

  it('draws both ends of a small range', () => {
    const stream = RandomStream.root(3);
    const seen = new Set(Array.from({ length: 200 }, () => stream.int(0, 2)));
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });

  it('draws floats in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const stream = RandomStream.root(seed);
        for (let i = 0; i < 100; i++) {
          const value = stream.float();
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThan(1);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('draws floats whose mean is close to one half', () => {
    const stream = RandomStream.root('float-mean');
    let sum = 0;
    for (let i = 0; i < 10_000; i++) sum += stream.float();
    expect(sum / 10_000).toBeGreaterThan(0.48);
    expect(sum / 10_000).toBeLessThan(0.52);
  });

  it('never says yes to chance(0) and always says yes to chance(1)', () => {
    const stream = RandomStream.root(11);
    for (let i = 0; i < 1000; i++) {
      expect(stream.chance(0)).toBe(false);
      expect(stream.chance(1)).toBe(true);
    }
  });

  it('draws nothing for chance(0) or chance(1), so the sequence is unchanged', () => {
    const used = RandomStream.root(11);
    for (let i = 0; i < 50; i++) {
      used.chance(0);
      used.chance(1);
    }
    expect(draws(used, 10)).toEqual(draws(RandomStream.root(11), 10));
  });

  it('says yes to chance(p) close to p of the time', () => {
    const stream = RandomStream.root('chance');
    let yes = 0;
    for (let i = 0; i < 10_000; i++) if (stream.chance(0.3)) yes++;
    expect(yes).toBeGreaterThan(2_800);
    expect(yes).toBeLessThan(3_200);
  });

  it('returns a permutation of the items from shuffle, in place', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 50 }), fc.integer(), (items, seed) => {
        const copy = [...items];
        const shuffled = RandomStream.root(seed).shuffle(copy);
        expect(shuffled).toBe(copy);
        expect([...shuffled].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b));
      }),
    );
  });

  it('actually reorders a long array when shuffling', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = RandomStream.root(5).shuffle([...items]);
    expect(shuffled).not.toEqual(items);
  });

  it('draws index(n) in [0, n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer(), (length, seed) => {
        const value = RandomStream.root(seed).index(length);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThan(length);
      }),
    );
  });

  it('draws exponential values that are non-negative with roughly the given mean', () => {
    const stream = RandomStream.root('exp');
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const value = stream.exponential(4);
      expect(value).toBeGreaterThanOrEqual(0);
      sum += value;
    }
    expect(sum / 10_000).toBeGreaterThan(3.8);
    expect(sum / 10_000).toBeLessThan(4.2);
  });

  it('draws int(0, 9) roughly uniformly: each value 800..1200 times in 10,000 draws', () => {
    for (const seed of [1, 2, 'uniform']) {
      const stream = RandomStream.root(seed);
      const counts = new Array<number>(10).fill(0);
      for (let i = 0; i < 10_000; i++) {
        const value = stream.int(0, 9);
        counts[value] = (counts[value] ?? 0) + 1;
      }
      for (const count of counts) {
        expect(count).toBeGreaterThanOrEqual(800);
        expect(count).toBeLessThanOrEqual(1200);
      }
    }
  });
});
