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
  const ring = new RingState(BALANCED_RING, KV_DEFAULTS, hashes);
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
    expect(transition).toMatchObject({ joining: ['p6:1'], leaving: [], gainers: ['p6:1'], id: ring.fingerprint });
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

  it('runs every pending change in one transition, and any further change means pulling again', () => {
    const ring = state();
    ring.seed(peers.slice(0, 4));
    ring.merge({ entries: [{ peer: 'p6:1', status: 'joining', stamp: 3 }, { peer: 'p5:1', status: 'joining', stamp: 2 }], caughtUp: [] });
    const both = ring.transition;
    expect(both?.joining).toEqual(['p5:1', 'p6:1']);
    expect(both?.after.peers).toEqual(['p1:1', 'p2:1', 'p3:1', 'p4:1', 'p5:1', 'p6:1']);
    for (const gainer of both?.gainers ?? []) ring.markCaughtUp(gainer, both?.id as string);
    // A removal announced before the transition ends changes it: the catch-ups no longer count.
    ring.announce('p1:1', 'leaving');
    const three = ring.transition;
    expect(three?.leaving).toEqual(['p1:1']);
    expect(three?.id).not.toBe(both?.id);
    expect(ring.completeIfDone()).toBe(false);
    for (const gainer of three?.gainers ?? []) ring.markCaughtUp(gainer, three?.id as string);
    expect(ring.completeIfDone()).toBe(true);
    expect(ring.ring.peers).toEqual(['p2:1', 'p3:1', 'p4:1', 'p5:1', 'p6:1']);
    expect(ring.entry('p1:1')?.status).toBe('removed');
  });

  it('lets a completed join win over a cancellation decided on a state that had not heard it complete', () => {
    const seen = state();
    seen.seed(peers.slice(0, 5));
    const joining = seen.announce('p6:1', 'joining');
    const completed = state(seen.toWire());
    completed.markCaughtUp('p6:1', completed.transition?.id as string);
    completed.completeIfDone();
    // The operator, on the older state, cancels the join at its own stamp.
    seen.announce('p6:1', 'removed', joining.stamp);
    seen.merge(completed.toWire());
    expect(seen.entry('p6:1')).toEqual({ peer: 'p6:1', status: 'normal', stamp: joining.stamp });
    // Merged the other way round, the same.
    completed.merge({ entries: [{ peer: 'p6:1', status: 'removed', stamp: joining.stamp }], caughtUp: [] });
    expect(completed.entry('p6:1')?.status).toBe('normal');
  });

  it('gives a joiner, and only it, the keys of the ranges it takes; a leave gives each range to the next peer', () => {
    const ring = state();
    ring.seed(peers.slice(0, 5));
    ring.announce('p6:1', 'joining');
    const join = ring.transition;
    expect(join?.gainers).toEqual(['p6:1']);
    expect(join?.joining).toEqual(['p6:1']);
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

  it('places every key on all the peers of a ring smaller than N, so growing it pulls them', () => {
    const ring = state();
    ring.seed(['p1:1']);
    expect(ring.ring.preferenceList('k')).toEqual(['p1:1']);
    ring.announce('p2:1', 'joining');
    expect(ring.transition?.gainers).toEqual(['p2:1']);
    // One old owner: a write needed W = 2 of it, so none was acknowledged and nothing need be pulled.
    expect(ring.pullSources('p2:1')).toEqual([]);
    ring.markCaughtUp('p2:1', ring.transition?.id as string);
    ring.completeIfDone();
    expect(ring.ring.preferenceList('k').sort()).toEqual(['p1:1', 'p2:1']);
    ring.announce('p3:1', 'joining');
    // Two old owners, both holding every key: one of them is enough (2 − min(R, W) + 1).
    const sources = ring.pullSources('p3:1');
    expect(sources.length).toBeGreaterThan(0);
    for (const group of sources) expect({ owners: [...group.owners].sort(), needed: group.needed }).toEqual({ owners: ['p1:1', 'p2:1'], needed: 1 });
    // And the way down: removing one of three leaves each key on both others.
    ring.markCaughtUp('p3:1', ring.transition?.id as string);
    ring.completeIfDone();
    ring.announce('p3:1', 'leaving');
    expect(ring.transition?.after.preferenceList('k').sort()).toEqual(['p1:1', 'p2:1']);
    // Fewer owners after than before: each that stays must hold every acknowledged write, so each
    // pulls from one more old owner (itself counts as one).
    expect(ring.transition?.gainers).toEqual(['p1:1', 'p2:1']);
    for (const group of ring.pullSources('p1:1')) expect(group).toEqual({ owners: expect.arrayContaining(['p1:1', 'p2:1', 'p3:1']), needed: 2 });
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
