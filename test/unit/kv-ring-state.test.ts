import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import { RingState, transferIncludes } from '../../src/shared/kv/ring-state.ts';
import type { RingEntry, RingStateWire } from '../../src/shared/protocol/kv.ts';
import { HashCache } from '../../src/shared/ring/hash.ts';
import { BALANCED_RING } from '../../src/shared/ring/ring.ts';

const hashes = new HashCache();
const peers = ['p1:1', 'p2:1', 'p3:1', 'p4:1', 'p5:1', 'p6:1'];

function state(wire?: RingStateWire): RingState {
  const ring = new RingState(BALANCED_RING, KV_DEFAULTS.writeQuorum, hashes);
  if (wire) ring.merge(wire);
  return ring;
}

describe('the ring state', () => {
  it('merges the same whatever the order, and merging twice changes nothing (a join-semilattice)', () => {
    const entry = fc.record({ peer: fc.constantFrom(...peers), status: fc.constantFrom('joining' as const, 'normal' as const, 'leaving' as const, 'removed' as const), stamp: fc.nat(6) });
    const wire = fc.record({ entries: fc.array(entry, { maxLength: 8 }), caughtUp: fc.array(fc.record({ peer: fc.constantFrom(...peers), transition: fc.constantFrom('a', 'b'), stamp: fc.nat(6) }), { maxLength: 4 }) });
    fc.assert(
      fc.property(wire, wire, wire, (a, b, c) => {
        const left = state(a);
        left.merge(b);
        left.merge(c);
        const right = state(c);
        right.merge(a);
        right.merge(b);
        right.merge(b);
        expect(left.fingerprint).toBe(right.fingerprint);
        expect(left.toWire().entries).toEqual(right.toWire().entries);
        expect(left.merge(right.toWire())).toEqual({ entries: false, caughtUp: false });
      }),
      { numRuns: 300 },
    );
  });

  it('ends a transition only once every gainer has caught up, with the final status at the same stamp', () => {
    const ring = state();
    ring.seed(peers.slice(0, 5));
    const joining = ring.announce('p6:1', 'joining');
    const transition = ring.transition;
    expect(transition).toMatchObject({ subject: 'p6:1', kind: 'join', stamp: joining.stamp, gainers: ['p6:1'] });
    expect(ring.ring.peers).toEqual(peers.slice(0, 5));
    expect(transition?.after.peers).toEqual(peers);
    expect(ring.completeIfDone()).toBe(false);
    ring.markCaughtUp('p6:1', 'some other transition');
    expect(ring.completeIfDone()).toBe(false);
    ring.markCaughtUp('p6:1', transition?.id as string);
    expect(ring.completeIfDone()).toBe(true);
    expect(ring.entry('p6:1')).toEqual({ peer: 'p6:1', status: 'normal', stamp: joining.stamp });
    expect(ring.ring.peers).toEqual(peers);
    expect(ring.transition).toBeUndefined();
  });

  it('runs one transition at a time: the smallest stamp first, then the next on the ring it left', () => {
    const ring = state();
    ring.seed(peers.slice(0, 4));
    ring.merge({ entries: [{ peer: 'p6:1', status: 'joining', stamp: 3 }, { peer: 'p5:1', status: 'joining', stamp: 2 }], caughtUp: [] });
    const first = ring.transition;
    expect(first?.subject).toBe('p5:1');
    expect(first?.after.peers).not.toContain('p6:1');
    ring.markCaughtUp('p5:1', first?.id as string);
    ring.completeIfDone();
    const second = ring.transition;
    expect(second?.subject).toBe('p6:1');
    expect(second?.before.peers).toContain('p5:1');
    expect(second?.id).not.toBe(first?.id);
  });

  it('gives a joiner, and only it, the keys of the ranges it takes; a leave gives each range to the next peer', () => {
    const ring = state();
    ring.seed(peers.slice(0, 5));
    ring.announce('p6:1', 'joining');
    const join = ring.transition;
    expect(join?.gainers).toEqual(['p6:1']);
    const leaving = state();
    leaving.seed(peers.slice(0, 5));
    leaving.announce('p3:1', 'leaving');
    const leave = leaving.transition;
    expect(leave?.gainers.length).toBeGreaterThan(1);
    expect(leave?.gainers).not.toContain('p3:1');
    // Every key the leaver owned has, after the leave, exactly one owner it did not have before.
    for (let index = 0; index < 300; index++) {
      const key = `key-${index}`;
      const before = leave?.before.preferenceList(key) ?? [];
      const after = leave?.after.preferenceList(key) ?? [];
      const newcomers = after.filter((peer) => !before.includes(peer));
      expect(newcomers.length).toBe(before.includes('p3:1') ? 1 : 0);
      for (const newcomer of newcomers) {
        const senders = before.filter((peer) => transferIncludes(leave as NonNullable<typeof leave>, peer, newcomer, key));
        expect(senders.sort()).toEqual([...before].sort());
      }
    }
  });

  it('asks a gainer for |old owners| − W + 1 sources of each range it gains', () => {
    const ring = state();
    ring.seed(peers.slice(0, 5));
    ring.announce('p6:1', 'joining');
    const sources = ring.pullSources('p6:1');
    expect(sources.length).toBeGreaterThan(0);
    for (const group of sources) {
      expect(group.owners).toHaveLength(3);
      expect(group.needed).toBe(3 - KV_DEFAULTS.writeQuorum + 1);
    }
    expect(ring.pullSources('p1:1')).toEqual([]);
  });

  it('moves nothing while the ring is too small to place keys: such a transition ends at once', () => {
    const ring = state();
    ring.seed(['p1:1']);
    ring.announce('p2:1', 'joining');
    expect(ring.transition?.gainers).toEqual([]);
    expect(ring.completeIfDone()).toBe(true);
    expect(ring.entry('p2:1')?.status).toBe('normal');
  });

  it('fingerprints entries only: a catch-up record does not change which rings a request is fenced on', () => {
    const ring = state();
    ring.seed(peers.slice(0, 3));
    const before = ring.fingerprint;
    ring.markCaughtUp('p1:1', 'x');
    expect(ring.fingerprint).toBe(before);
    const entries: RingEntry[] = ring.entries();
    expect(entries.map((entry) => entry.status)).toEqual(['normal', 'normal', 'normal']);
    ring.announce('p3:1', 'leaving');
    expect(ring.fingerprint).not.toBe(before);
  });
});
