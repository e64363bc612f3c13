import { describe, expect, it } from 'vitest';
import { clockwiseFrom, inHalfOpen, inOpen } from '../../src/shared/dht/circle.ts';
import { parseConsoleLine } from '../../src/shared/dht/commands.ts';
import { detectionTicksMax, DHT_DEFAULTS, ticksFromSeconds } from '../../src/shared/dht/config.ts';
import { fileHash, isFileName, ownerOf } from '../../src/shared/dht/placement.ts';
import { REFERENCE_RING } from '../support/dht-ring.ts';

// Section 8 of specs/classroom-circular-dht.md, on the reference ring 2, 4, 5, 8, 9, 14, 19.
const PLACEMENT_TABLE = [
  { file: '2012', hash: 220, storedAt: 2 },
  { file: '0000', hash: 0, storedAt: 2 },
  { file: '9999', hash: 15, storedAt: 19 },
  { file: '0255', hash: 255, storedAt: 2 },
  { file: '4103', hash: 7, storedAt: 8 },
  { file: '2067', hash: 19, storedAt: 19 },
] as const;

describe('where a file belongs', () => {
  for (const { file, hash, storedAt } of PLACEMENT_TABLE) {
    it(`places ${file} (hash ${hash}) at peer ${storedAt} on the reference ring`, () => {
      expect(fileHash(file)).toBe(hash);
      expect(ownerOf(hash, REFERENCE_RING)).toBe(storedAt);
    });
  }

  it('places 9999 at peer 15 once 15 has joined', () => {
    expect(ownerOf(fileHash('9999'), [...REFERENCE_RING, 15])).toBe(15);
  });

  it('takes exactly four decimal digits as a file name', () => {
    for (const name of ['0000', '9999', '2067']) expect(isFileName(name)).toBe(true);
    for (const name of ['a912', '32134', '123', '', ' 123', '12 4', '+123', '１２３４', '0x1f', '1e3', '2067.pdf']) {
      expect(isFileName(name), name).toBe(false);
    }
    expect(() => fileHash('a912')).toThrow(RangeError);
  });

  it('has no owner on an empty ring, and the one peer owns everything on a ring of one', () => {
    expect(ownerOf(7, [])).toBeUndefined();
    expect(ownerOf(7, [200])).toBe(200);
    expect(ownerOf(250, [200])).toBe(200);
  });
});

describe('the identity circle', () => {
  it('reads intervals clockwise, wrapping past 255', () => {
    expect(inHalfOpen(19, 220, 2)).toBe(true);
    expect(inHalfOpen(19, 2, 2)).toBe(true);
    expect(inHalfOpen(19, 19, 2)).toBe(false);
    expect(inHalfOpen(2, 3, 4)).toBe(true);
    expect(inHalfOpen(2, 5, 4)).toBe(false);
    expect(inOpen(14, 15, 19)).toBe(true);
    expect(inOpen(14, 19, 19)).toBe(false);
    expect(inOpen(250, 3, 5)).toBe(true);
  });

  it('takes an interval whose ends are one peer as the whole circle', () => {
    expect(inHalfOpen(7, 200, 7)).toBe(true);
    expect(inOpen(7, 200, 7)).toBe(true);
    expect(inOpen(7, 7, 7)).toBe(false);
  });

  it('lists peers in circle order after a peer, the peer itself last', () => {
    expect(clockwiseFrom(14, REFERENCE_RING)).toEqual([19, 2, 4, 5, 8, 9, 14]);
  });
});

describe('lines typed on a peer’s console', () => {
  it('reads Store, Request and Quit, whatever the case and spacing', () => {
    expect(parseConsoleLine('Store 2067')).toEqual({ type: 'dht.store', file: '2067' });
    expect(parseConsoleLine('  request   4103 ')).toEqual({ type: 'dht.request', file: '4103' });
    expect(parseConsoleLine('Quit')).toEqual({ type: 'dht.quit' });
    expect(parseConsoleLine('QUIT')).toEqual({ type: 'dht.quit' });
  });

  it('hands a bad file name on for the peer to refuse, and anything else back as unknown', () => {
    expect(parseConsoleLine('Store a912')).toEqual({ type: 'dht.store', file: 'a912' });
    expect(parseConsoleLine('Store')).toEqual({ type: 'dht.unknown', line: 'Store' });
    expect(parseConsoleLine('Store 1 2')).toEqual({ type: 'dht.unknown', line: 'Store 1 2' });
    expect(parseConsoleLine('Fetch 2067')).toEqual({ type: 'dht.unknown', line: 'Fetch 2067' });
  });
});

describe('time', () => {
  it('turns the classroom’s seconds into ticks', () => {
    expect(ticksFromSeconds(30)).toBe(300);
    expect(ticksFromSeconds(30, 1000)).toBe(30);
    expect(ticksFromSeconds(0.01)).toBe(1);
  });

  it('declares a successor gone within 60 s at the default interval (30 s, 100 ms ticks)', () => {
    // interval + lostPingsMax × timeout = 300 + 3 × 50 ticks = 45 s.
    expect(DHT_DEFAULTS.pingIntervalTicks).toBe(ticksFromSeconds(30));
    expect(DHT_DEFAULTS.lostPingsMax).toBe(3);
    expect(detectionTicksMax(DHT_DEFAULTS)).toBe(450);
    expect(detectionTicksMax(DHT_DEFAULTS)).toBeLessThanOrEqual(ticksFromSeconds(60));
  });
});
