import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { MembershipProtocol } from '../../src/shared/membership/types.ts';
import { MembershipCluster } from '../../src/shared/sim/membership-cluster.ts';

function journalOf(protocol: MembershipProtocol, seed: number): JournalEvent[] {
  const events: JournalEvent[] = [];
  const cluster = new MembershipCluster({
    protocol,
    peers: 8,
    seed,
    network: { loss: 0.1, delay: { kind: 'uniform', minTicks: 1, maxTicks: 3 }, duplicate: 0.05, reorder: 0.1 },
    recordMessages: true,
    onEvent: (event) => events.push(event),
  });
  for (const id of cluster.ids) cluster.start(id);
  cluster.sim.at(40, () => cluster.crash(cluster.ids[3] as string));
  cluster.sim.at(80, () => cluster.start(cluster.ids[3] as string));
  cluster.runUntil(200);
  return events;
}

describe('the simulator', () => {
  for (const protocol of ['gossip', 'swim'] as const) {
    it(`replays a ${protocol} run event for event from its seed`, () => {
      const first = journalOf(protocol, 21);
      expect(first.length).toBeGreaterThan(1000);
      expect(journalOf(protocol, 21)).toEqual(first);
      expect(journalOf(protocol, 22)).not.toEqual(first);
    });
  }

  it('delivers nothing in the tick a message was sent', () => {
    const events: JournalEvent[] = [];
    const cluster = new MembershipCluster({ protocol: 'gossip', peers: 3, seed: 1, recordMessages: true, onEvent: (event) => events.push(event) });
    for (const id of cluster.ids) cluster.start(id);
    cluster.runUntil(30);
    const sent = events.filter((event) => event.kind === 'message.sent');
    const delivered = events.filter((event) => event.kind === 'message.delivered');
    expect(sent.length).toBeGreaterThan(0);
    expect(delivered.length).toBe(cluster.sim.network.stats.delivered);
    const firstSendTick = Math.min(...sent.map((event) => event.tick));
    expect(Math.min(...delivered.map((event) => event.tick))).toBe(firstSendTick + 1);
  });

  it('drops messages for a crashed peer as target-down and counts them', () => {
    const events: JournalEvent[] = [];
    const cluster = new MembershipCluster({ protocol: 'gossip', peers: 3, seed: 2, recordMessages: true, onEvent: (event) => events.push(event) });
    for (const id of cluster.ids) cluster.start(id);
    cluster.runUntil(10);
    cluster.crash(cluster.ids[2] as string);
    cluster.runUntil(20);
    const dropped = events.filter((event) => event.kind === 'message.dropped' && event.reason === 'target-down');
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((event) => event.kind === 'message.dropped' && event.to === cluster.ids[2])).toBe(true);
    expect(cluster.sim.network.stats.dropped['target-down']).toBe(dropped.length);
  });

  it('journals the life of each peer', () => {
    const events: JournalEvent[] = [];
    const cluster = new MembershipCluster({ protocol: 'swim', peers: 3, seed: 3, onEvent: (event) => events.push(event) });
    const [first, second, third] = cluster.ids as [string, string, string];
    cluster.start(first);
    cluster.start(second);
    cluster.start(third);
    cluster.runUntil(5);
    cluster.crash(second);
    cluster.runUntil(6);
    cluster.start(second);
    cluster.leave(third);
    const lives = events.filter((event) => event.kind.startsWith('peer.')).map((event) => `${event.kind} ${'peer' in event ? event.peer : ''}`);
    expect(lives).toEqual([
      `peer.started ${first}`,
      `peer.started ${second}`,
      `peer.started ${third}`,
      `peer.crashed ${second}`,
      `peer.restarted ${second}`,
      `peer.left ${third}`,
    ]);
    expect(cluster.sim.status(third)).toBe('left');
  });

  it('runs scheduled actions at the start of their tick and refuses the past', () => {
    const cluster = new MembershipCluster({ protocol: 'gossip', peers: 2, seed: 4 });
    const seen: number[] = [];
    cluster.sim.at(3, () => seen.push(cluster.now));
    cluster.runUntil(5);
    expect(seen).toEqual([3]);
    expect(() => cluster.sim.at(2, () => undefined)).toThrow(/in the past/);
  });

  it('counts peer-ticks only for running peers', () => {
    const cluster = new MembershipCluster({ protocol: 'gossip', peers: 4, seed: 5 });
    cluster.start(cluster.ids[0] as string);
    cluster.start(cluster.ids[1] as string);
    cluster.runUntil(10);
    expect(cluster.sim.peerTicks).toBe(20);
  });
});
