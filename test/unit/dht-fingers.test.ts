import { describe, expect, it } from 'vitest';
import { DHT_DEFAULTS } from '../../src/shared/dht/config.ts';
import { FINGER_COUNT } from '../../src/shared/dht/fingers.ts';
import { fileHash, ownerOf } from '../../src/shared/dht/placement.ts';
import { RandomStream } from '../../src/shared/random/stream.ts';
import { DhtCluster } from '../../src/shared/sim/dht-cluster.ts';
import { dhtCluster } from '../support/dht-ring.ts';

const FAST = { pingIntervalTicks: 10, pingTimeoutTicks: 3, fingerIntervalTicks: 5 };

/** `count` distinct identities drawn from `seed`. */
function randomRing(count: number, seed: string): number[] {
  const random = RandomStream.root(seed);
  const identities = new Set<number>();
  while (identities.size < count) identities.add(random.int(0, 255));
  return [...identities].sort((a, b) => a - b);
}

/** The hops of a Request from every peer for each file, and who answered. */
function requestHops(fingers: boolean, ring: readonly number[], files: readonly string[]) {
  const { cluster, said, init } = dhtCluster({ config: { ...FAST, fingers } });
  init(ring);
  cluster.runUntil(600); // every finger refreshed several times
  const hops: number[] = [];
  for (const file of files) {
    const since = said.length;
    for (const requester of ring) cluster.request(requester, file);
    cluster.runUntil(cluster.now + ring.length + 5);
    const found = said.slice(since).filter((event) => event.text === `File ${file} is stored here`);
    expect(found.map((event) => event.lookup?.route[0]).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([...ring]);
    for (const event of found) {
      expect(event.peer).toBe(DhtCluster.address(ownerOf(fileHash(file), ring) as number));
      hops.push(event.lookup?.hops as number);
    }
  }
  return { cluster, hops };
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

describe('finger tables (beyond the classroom)', () => {
  it('are off by default: the classroom forwards along first successors only', () => {
    expect(DHT_DEFAULTS.fingers).toBe(false);
  });

  it('point each finger i at the owner of identity + 2^i', () => {
    const ring = randomRing(64, 'fingers-table');
    const { cluster, init } = dhtCluster({ config: { ...FAST, fingers: true } });
    init(ring);
    cluster.runUntil(600);
    for (const identity of ring) {
      const expected = Array.from({ length: FINGER_COUNT }, (_, index) => {
        const owner = ownerOf((identity + 2 ** index) % 256, ring);
        return owner === identity ? undefined : owner;
      });
      expect(cluster.machine(identity)?.fingers(), `peer ${identity}`).toEqual(expected);
    }
  });

  it('make a lookup among 64 peers take O(log N) hops, where first successors take O(N)', () => {
    const ring = randomRing(64, 'fingers-hops');
    const files = ['0000', '2067', '4103', '9999', '1234', '0255', '7777', '5000'];
    const classroom = requestHops(false, ring, files).hops;
    const chord = requestHops(true, ring, files).hops;
    // Each finger hop at least halves the distance left on a circle of 2^8, then one hop to the owner.
    expect(Math.max(...chord)).toBeLessThanOrEqual(Math.log2(256) + 1);
    expect(mean(chord)).toBeLessThan(mean(classroom) / 4);
    expect(mean(classroom)).toBeGreaterThan(ring.length / 4);
  });

  it('name the finger a hop goes to in its line, and keep the route in the journal', () => {
    const ring = randomRing(32, 'fingers-lines');
    const { cluster, said, init } = dhtCluster({ config: { ...FAST, fingers: true } });
    init(ring);
    cluster.runUntil(600);
    const origin = ring[0] as number;
    const since = said.length;
    cluster.store(origin, '0127'); // hash 127: half way round
    cluster.runUntil(cluster.now + 20);
    const lines = said.slice(since);
    const accepted = lines.find((event) => event.text === 'Store 0127 request accepted');
    expect(accepted?.peer).toBe(DhtCluster.address(ownerOf(127, ring) as number));
    const route = accepted?.lookup?.route ?? [];
    expect(route[0]).toBe(origin);
    expect(accepted?.lookup?.hops).toBe(route.length - 1);
    expect(lines[0]?.text).toMatch(/^Store 0127 request forwarded to (Peer \d+|my successor)$/);
    expect(lines.some((event) => /^Store 0127 request forwarded to Peer \d+$/.test(event.text))).toBe(true);
  });
});
