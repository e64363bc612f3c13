import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { SessionEntry } from '../../src/shared/journal/session.ts';
import { memberLists, SNAPSHOT_EVERY, Timeline } from '../../src/shared/journal/timeline.ts';
import { MEMBERSHIP_PROTOCOLS } from '../../src/shared/membership/types.ts';
import { MembershipCluster } from '../../src/shared/sim/membership-cluster.ts';
import { KvCluster } from '../../src/shared/sim/kv-cluster.ts';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';

const PEERS = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', '127.0.0.1:7004'];

/** One random event of a small session: every kind the world reads, and some it ignores. */
const eventArbitrary: fc.Arbitrary<(tick: number) => JournalEvent> = fc.oneof(
  fc.record({ epoch: fc.integer({ min: 1, max: 9 }), peers: fc.integer({ min: 1, max: 4 }) }).map(({ epoch, peers }) => (tick: number): JournalEvent => ({ kind: 'cluster.started', tick, peer: 'manager', epoch, cluster: 'kv', peers, tickMs: 100 })),
  fc.record({ peer: fc.constantFrom(...PEERS), number: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }) }).map(({ peer, number }) => (tick: number): JournalEvent => ({ kind: 'process.started', tick, peer, pid: 100, port: 7000, redisPort: 6000, ...(number === undefined ? {} : { number }) })),
  fc.record({ peer: fc.constantFrom(...PEERS), expected: fc.boolean(), signal: fc.constantFrom('SIGKILL', null) }).map(({ peer, expected, signal }) => (tick: number): JournalEvent => ({ kind: 'process.exited', tick, peer, pid: 100, code: signal === null ? 0 : null, signal, expected })),
  fc.record({ peer: fc.constantFrom(...PEERS), kind: fc.constantFrom('process.paused', 'process.resumed', 'process.leaving') }).map(({ peer, kind }) => (tick: number): JournalEvent => ({ kind, tick, peer }) as JournalEvent),
  fc.record({ peer: fc.constantFrom(...PEERS), kind: fc.constantFrom('peer.started', 'peer.restarted', 'peer.crashed', 'peer.left') }).map(({ peer, kind }) => (tick: number): JournalEvent => ({ kind, tick, peer }) as JournalEvent),
  fc
    .record({ peer: fc.constantFrom(...PEERS), subject: fc.constantFrom(...PEERS), kind: fc.constantFrom('member.added', 'member.suspected', 'member.alive', 'member.removed', 'member.left'), incarnation: fc.integer({ min: 0, max: 3 }) })
    .map(({ peer, subject, kind, incarnation }) => (tick: number): JournalEvent => ({ kind, tick, peer, subject, incarnation }) as JournalEvent),
  fc.constantFrom('no faults', 'loss 0.1', 'partition 1 | 2', '127.0.0.1:7001: loss 0.1', 'loss 0').map((description) => (tick: number): JournalEvent => ({ kind: 'fault.changed', tick, description })),
  fc.record({ peer: fc.constantFrom(...PEERS), to: fc.constantFrom(...PEERS), kind: fc.constantFrom('message.sent', 'message.dropped') }).map(
    ({ peer, to, kind }) =>
      (tick: number): JournalEvent => (kind === 'message.sent' ? { kind, tick, peer, to, type: 'swim.ping', bytes: 40 } : { kind: 'message.dropped', tick, peer, to, type: 'swim.ping', reason: 'loss' }),
  ),
  fc.record({ peer: fc.constantFrom(...PEERS), ok: fc.boolean() }).map(({ peer, ok }) => (tick: number): JournalEvent => ({ kind: 'kv.result', tick, peer, transaction: 1, op: 'put', key: 'k', ok, latencyTicks: 1, replicas: [] })),
  fc.constant((tick: number): JournalEvent => ({ kind: 'log', tick, peer: 'manager', text: 'a line' })),
  fc.record({ peer: fc.constantFrom(...PEERS), owners: fc.subarray(PEERS, { minLength: 1 }), stamp: fc.integer({ min: 1, max: 9 }) }).map(
    ({ peer, owners, stamp }) =>
      (tick: number): JournalEvent => ({ kind: 'ring.changed', tick, peer, members: owners.length, entries: owners.map((owner) => ({ peer: owner, status: 'normal', stamp })), fingerprint: `${owners.join(',')}@${stamp}` }),
  ),
);

function entriesOf(makers: readonly ((tick: number) => JournalEvent)[], startAt = 1_700_000_000_000): SessionEntry[] {
  return makers.map((make, index) => ({ seq: index, at: startAt + index * 10, event: make(Math.floor(index / 5)) }));
}

function replayed(entries: readonly SessionEntry[]): Timeline {
  const timeline = new Timeline();
  timeline.append(entries);
  return timeline;
}

describe('the timeline', () => {
  it('gives, at any position, the world a fresh replay of the entries before it gives (property)', () => {
    fc.assert(
      fc.property(fc.array(eventArbitrary, { minLength: 1, maxLength: 3 * SNAPSHOT_EVERY, size: 'max' }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }), (makers, fractions) => {
        const entries = entriesOf(makers);
        const timeline = new Timeline();
        // Appended in uneven batches, as frames bring them.
        for (let from = 0; from < entries.length; from += 777) timeline.append(entries.slice(from, from + 777));
        for (const fraction of [...fractions, 0, 1]) {
          const position = Math.round(fraction * entries.length);
          expect(timeline.worldAt(position)).toEqual(replayed(entries.slice(0, position)).live());
        }
      }),
      { numRuns: 20 },
    );
  });

  it('lets go of its oldest entries past its bound, and still reaches every kept position exactly', () => {
    const makers = fc.sample(eventArbitrary, { seed: 7, numRuns: 5 * SNAPSHOT_EVERY + 123 });
    const entries = entriesOf(makers);
    const timeline = new Timeline(2 * SNAPSHOT_EVERY);
    timeline.append(entries);
    expect(timeline.size).toBe(entries.length);
    expect(timeline.firstPosition).toBeGreaterThan(0);
    expect(timeline.size - timeline.firstPosition).toBeLessThanOrEqual(2 * SNAPSHOT_EVERY);
    for (const position of [timeline.firstPosition, timeline.firstPosition + 1, timeline.size - 1, timeline.size]) {
      expect(timeline.worldAt(position)).toEqual(replayed(entries.slice(0, position)).live());
    }
    // Before what is kept, a seek stops at the first kept position.
    expect(timeline.worldAt(0).position).toBe(timeline.firstPosition);
  });

  it('makes each cluster an epoch: numbers from its own start, counts and beliefs of its own', () => {
    const timeline = new Timeline();
    const events: JournalEvent[] = [
      { kind: 'cluster.started', tick: 1, peer: 'manager', epoch: 1, cluster: 'kv', peers: 2, tickMs: 100, protocol: 'swim', quorum: 'strict' },
      { kind: 'process.started', tick: 1, peer: 'a:1', pid: 1, port: 1, redisPort: 2, number: 1 },
      { kind: 'process.started', tick: 1, peer: 'a:2', pid: 2, port: 3, redisPort: 4, number: 2 },
      { kind: 'member.added', tick: 2, peer: 'a:1', subject: 'a:2' },
      { kind: 'message.sent', tick: 2, peer: 'a:1', to: 'a:2', type: 'swim.ping', bytes: 10 },
      { kind: 'process.exited', tick: 3, peer: 'a:1', pid: 1, code: null, signal: 'SIGKILL', expected: true },
      { kind: 'process.exited', tick: 3, peer: 'a:2', pid: 2, code: 0, signal: null, expected: true },
      { kind: 'cluster.started', tick: 4, peer: 'manager', epoch: 2, cluster: 'dht', peers: 1, tickMs: 100 },
      { kind: 'process.started', tick: 4, peer: 'b:9', pid: 3, port: 9, redisPort: 0, number: 1, identity: 8 },
    ];
    timeline.append(entriesOf(events.map((event) => () => event)));
    const first = timeline.worldAt(5);
    expect(first.epoch.number).toBe(1);
    expect([...first.peers.values()].map((peer) => [peer.id, peer.number, peer.state])).toEqual([
      ['a:1', 1, 'running'],
      ['a:2', 2, 'running'],
    ]);
    expect(first.counts.messagesSent).toBe(1);
    expect(memberLists(first)['a:1']).toEqual([{ id: 'a:2', state: 'alive', sinceTick: 2 }]);
    expect([...timeline.worldAt(7).peers.values()].map((peer) => peer.state)).toEqual(['killed', 'left']);
    const second = timeline.live();
    expect(second.epoch).toMatchObject({ number: 2, cluster: 'dht', inferred: false });
    expect([...second.peers.values()]).toEqual([expect.objectContaining({ id: 'b:9', number: 1, identity: 8, state: 'running' })]);
    expect(second.counts.messagesSent).toBe(0);
    expect(second.beliefs.size).toBe(0);
    expect(timeline.epochs.map((epoch) => [epoch.number, epoch.position])).toEqual([
      [1, 0],
      [2, 7],
    ]);
    expect(timeline.marks.map((mark) => mark.kind)).toEqual(['cluster', 'start', 'start', 'kill', 'stop', 'cluster', 'start']);
  });

  it('infers the epochs of a journal written before them: a start with nothing running begins one, numbered by appearance', () => {
    const events: JournalEvent[] = [
      { kind: 'process.started', tick: 1, peer: 'a:1', pid: 1, port: 1, redisPort: 2 },
      { kind: 'process.started', tick: 1, peer: 'a:2', pid: 2, port: 3, redisPort: 4 },
      { kind: 'process.exited', tick: 2, peer: 'a:1', pid: 1, code: 0, signal: null, expected: true },
      // A restart while a:2 runs: the same cluster.
      { kind: 'process.started', tick: 3, peer: 'a:1', pid: 5, port: 1, redisPort: 2 },
      { kind: 'process.exited', tick: 4, peer: 'a:1', pid: 5, code: 0, signal: null, expected: true },
      { kind: 'process.exited', tick: 4, peer: 'a:2', pid: 2, code: 0, signal: null, expected: true },
      { kind: 'process.started', tick: 5, peer: 'a:7', pid: 9, port: 7, redisPort: 8 },
    ];
    const timeline = replayed(entriesOf(events.map((event) => () => event)));
    expect(timeline.epochs.map((epoch) => [epoch.number, epoch.position, epoch.inferred])).toEqual([
      [1, 0, true],
      [2, 6, true],
    ]);
    expect(timeline.worldAt(4).peers.get('a:1')).toMatchObject({ number: 1, lives: 2, state: 'running' });
    expect([...timeline.live().peers.values()].map((peer) => [peer.id, peer.number])).toEqual([['a:7', 1]]);
  });

  it('finds a moment by time, counts entries per bin, and keeps fault periods', () => {
    const events: JournalEvent[] = [
      { kind: 'log', tick: 0, peer: 'manager', text: 'one' },
      { kind: 'fault.changed', tick: 1, description: 'loss 0.2' },
      // Each peer's echo of the plan it applied is not a change of the cluster's faults.
      { kind: 'fault.changed', tick: 2, description: '127.0.0.1:7001: loss 0.2' },
      { kind: 'fault.changed', tick: 3, description: 'no faults' },
      { kind: 'fault.changed', tick: 4, description: '127.0.0.1:7001: no faults' },
    ];
    const entries = events.map((event, index) => ({ seq: index, at: 1000 + index * 100, event }));
    const timeline = replayed(entries);
    expect(timeline.positionAtTime(999)).toBe(0);
    expect(timeline.positionAtTime(1000)).toBe(1);
    expect(timeline.positionAtTime(1150)).toBe(2);
    expect(timeline.positionAtTime(5000)).toBe(5);
    expect(timeline.density(1000, 1400, 4)).toEqual([1, 1, 1, 1]);
    expect(timeline.density(1000, 1400, 2)).toEqual([2, 2]);
    expect(timeline.faultPeriods).toEqual([{ fromAt: 1100, toAt: 1300, description: 'loss 0.2' }]);
    expect(timeline.marks.filter((mark) => mark.kind === 'faults').map((mark) => mark.text)).toEqual(['loss 0.2', 'no faults']);
    expect(timeline.worldAt(3).faults).toBe('loss 0.2');
    expect(timeline.live().faults).toBe('no faults');
    // The classroom's scenarios clear their loss with `loss 0`.
    const classroom = replayed([
      { seq: 0, at: 0, event: { kind: 'fault.changed', tick: 0, description: 'loss 0.1' } },
      { seq: 1, at: 10, event: { kind: 'fault.changed', tick: 1, description: 'loss 0' } },
    ]);
    expect(classroom.faultPeriods).toEqual([{ fromAt: 0, toAt: 10, description: 'loss 0.1' }]);
    expect(classroom.live().faults).toBe('no faults');
  });

  it('holds at any moment the ring state each running key-value peer then had, through joins and a crash', () => {
    const entries: SessionEntry[] = [];
    const kv = new KvCluster({
      protocol: 'swim',
      peers: 5,
      seed: 3,
      kv: KV_DEFAULTS,
      ringSeed: ['1.0.0.0:0', '2.0.0.0:0', '3.0.0.0:0'],
      onEvent: (event) => entries.push({ seq: entries.length, at: event.tick * 100, event }),
    });
    const checkpoints: { position: number; fingerprints: Record<string, string | undefined> }[] = [];
    const record = (): void => {
      const fingerprints: Record<string, string | undefined> = {};
      for (const id of kv.ids) if (kv.sim.status(id) === 'running') fingerprints[id] = kv.machine(id)?.ringFingerprint;
      checkpoints.push({ position: entries.length, fingerprints });
    };
    for (const id of kv.ids.slice(0, 3)) kv.start(id);
    const steps: [number, () => void][] = [
      [40, () => kv.start(kv.ids[3] as string)],
      [160, () => kv.crash(kv.ids[1] as string)],
      [220, () => kv.start(kv.ids[4] as string)],
      [400, () => undefined],
    ];
    for (const [tick, act] of steps) {
      for (let at = kv.now + 10; at < tick; at += 10) {
        kv.runUntil(at);
        record();
      }
      kv.runUntil(tick);
      act();
    }
    const timeline = replayed(entries);
    const distinct = new Set<string>();
    for (const { position, fingerprints } of checkpoints) {
      const world = timeline.worldAt(position);
      const fromJournal: Record<string, string | undefined> = {};
      for (const id of Object.keys(fingerprints)) fromJournal[id] = world.rings.get(id)?.fingerprint;
      expect(fromJournal, `at position ${position}`).toEqual(fingerprints);
      for (const fingerprint of Object.values(fingerprints)) if (fingerprint !== undefined) distinct.add(fingerprint);
    }
    // The ring went through several states (the joins and their transitions).
    expect(distinct.size).toBeGreaterThanOrEqual(3);
  });

  for (const protocol of MEMBERSHIP_PROTOCOLS) {
    it(`${protocol}: what each running peer believes, read from the journal at any tick, is its member table then`, () => {
      const entries: SessionEntry[] = [];
      const cluster = new MembershipCluster({ protocol, peers: 6, seed: 11, onEvent: (event) => entries.push({ seq: entries.length, at: event.tick * 100, event }) });
      for (const id of cluster.ids) cluster.start(id);
      const checkpoints: { position: number; tables: Record<string, { id: string; state: string }[]> }[] = [];
      const record = (): void => {
        const tables: Record<string, { id: string; state: string }[]> = {};
        for (const id of cluster.ids) {
          if (cluster.sim.status(id) !== 'running') continue;
          const members = cluster.membership(id)?.members() ?? [];
          tables[id] = members.filter((member) => member.id !== id).map((member) => ({ id: member.id, state: member.state })).sort((a, b) => (a.id < b.id ? -1 : 1));
        }
        checkpoints.push({ position: entries.length, tables });
      };
      const plan: [number, () => void][] = [
        [60, () => cluster.crash(cluster.ids[2] as string)],
        [160, () => cluster.start(cluster.ids[2] as string)],
        [230, () => cluster.leave(cluster.ids[4] as string)],
        [330, () => undefined],
      ];
      for (const [tick, act] of plan) {
        for (let at = cluster.now + 20; at < tick; at += 20) {
          cluster.runUntil(at);
          record();
        }
        cluster.runUntil(tick);
        act();
      }
      const timeline = replayed(entries);
      expect(checkpoints.length).toBeGreaterThan(10);
      for (const { position, tables } of checkpoints) {
        const lists = memberLists(timeline.worldAt(position));
        const fromJournal: Record<string, { id: string; state: string }[]> = {};
        for (const observer of Object.keys(tables)) {
          fromJournal[observer] = (lists[observer] ?? []).filter((member) => member.id !== observer).map((member) => ({ id: member.id, state: member.state }));
        }
        expect(fromJournal, `at position ${position}`).toEqual(tables);
      }
    });
  }
});
