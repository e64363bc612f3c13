/**
 * The circular DHT drawing's geometry: labels of peers close together to scale are laid out
 * apart, in order and as near their identities as they fit; arcs along the circle go clockwise;
 * file chips stacked outward never overlap.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { arcPath, layOutLabels, stackOutward, toScale } from '../../src/renderer/src/lib/dht-geometry.ts';

/** Clockwise distance from turn a to turn b. */
const ahead = (a: number, b: number): number => b - a - Math.floor(b - a);
const EPSILON = 1e-9;

describe('labels laid out round the circle', () => {
  test('the reference ring, within 7 % of the circle to scale, gets labels a gap apart around where it is', () => {
    const ring = [2, 4, 5, 8, 9, 14, 19];
    const gap = 0.02;
    const turns = layOutLabels(ring.map(toScale), gap);
    for (let index = 0; index < ring.length - 1; index++) expect(ahead(turns[index] as number, turns[index + 1] as number)).toBeGreaterThanOrEqual(gap - EPSILON);
    // Centred on the group: the middle one stays close to 8's identity, none strays far.
    const moved = turns.map((turn, index) => Math.min(ahead(turn, toScale(ring[index] as number)), ahead(toScale(ring[index] as number), turn)));
    expect(Math.max(...moved)).toBeLessThan(0.05);
  });

  test('labels already apart stay where they are', () => {
    expect(layOutLabels([0, 0.25, 0.5, 0.75], 0.1)).toEqual([0, 0.25, 0.5, 0.75]);
    expect(layOutLabels([], 0.1)).toEqual([]);
    expect(layOutLabels([0.3], 0.1)).toEqual([0.3]);
  });

  test('any identities: every label keeps its circular order and a gap from the next (a share of the turn when too many)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 2, maxLength: 80 }), fc.double({ min: 0.005, max: 0.1, noNaN: true }), (identities, gap) => {
        const sorted = [...identities].sort((a, b) => a - b);
        const turns = layOutLabels(sorted.map(toScale), gap);
        const wanted = Math.min(gap, 1 / sorted.length);
        let total = 0;
        for (let index = 0; index < sorted.length; index++) {
          const step = ahead(turns[index] as number, turns[(index + 1) % sorted.length] as number);
          expect(step).toBeGreaterThanOrEqual(wanted - 1e-7);
          total += step;
        }
        // In order: one lap round the circle in all.
        expect(total).toBeCloseTo(1, 6);
      }),
      { numRuns: 300 },
    );
  });
});

describe('arcs and chips', () => {
  const center = { x: 100, y: 100 };

  test('an arc goes clockwise, the long way when its end comes first, and is empty to itself', () => {
    expect(arcPath(0, 0.25, 50, center)).toBe('M 100.0 50.0 A 50.0 50.0 0 0 1 150.0 100.0');
    expect(arcPath(0.25, 0, 50, center)).toBe('M 150.0 100.0 A 50.0 50.0 0 1 1 100.0 50.0');
    expect(arcPath(0.1, 0.1, 50, center)).toBe('');
    // Shorter than its two gaps: nothing left to draw.
    expect(arcPath(0, 0.01, 50, center, 5)).toBe('');
  });

  test('chips stacked outward never overlap, on any side of the circle', () => {
    const size = { width: 34, height: 14 };
    for (const anchor of [{ x: 100, y: 20 }, { x: 180, y: 100 }, { x: 160, y: 160 }, { x: 30, y: 140 }]) {
      const chips = stackOutward(anchor, center, 6, 3, size);
      for (let index = 0; index + 1 < chips.length; index++) {
        const a = chips[index] as { x: number; y: number };
        const b = chips[index + 1] as { x: number; y: number };
        const apart = Math.abs(a.x - b.x) >= size.width - EPSILON || Math.abs(a.y - b.y) >= size.height - EPSILON;
        expect(apart, `${JSON.stringify(anchor)}: ${JSON.stringify(chips)}`).toBe(true);
      }
      // Farther from the centre each time.
      const distances = chips.map((chip) => Math.hypot(chip.x - center.x, chip.y - center.y));
      expect([...distances].sort((a, b) => a - b)).toEqual(distances);
    }
  });
});
