import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { MachineOutput } from '../../src/shared/machine.ts';
import { createMembership } from '../../src/shared/membership/create.ts';
import { GossipMachine } from '../../src/shared/membership/gossip/machine.ts';
import { SlotRegistry } from '../../src/shared/membership/swim/member-table.ts';
import { SwimMachine } from '../../src/shared/membership/swim/machine.ts';
import type { MembershipMachine, MembershipProtocol, MembershipReply } from '../../src/shared/membership/types.ts';
import { INCARNATION_MAX, type MembershipMessage } from '../../src/shared/protocol/membership.ts';
import { RandomStream } from '../../src/shared/random/stream.ts';
import { MembershipCluster } from '../../src/shared/sim/membership-cluster.ts';
import { membershipMessage, peerId } from '../support/arbitraries.ts';

const SELF = 'self:1';
const MEMBERS_MAX = 40;
type Output = MachineOutput<MembershipMessage, MembershipReply>;

function member(protocol: MembershipProtocol, slots: SlotRegistry): MembershipMachine {
  const machine = createMembership({
    protocol,
    id: SELF,
    random: RandomStream.root(5),
    slots,
    gossip: { membersMax: MEMBERS_MAX },
    swim: { membersMax: MEMBERS_MAX },
  });
  machine.step({ kind: 'command', command: { type: 'join', introducers: [] } }, 0);
  return machine;
}

const traffic = fc.array(
  fc.record({ from: fc.oneof(peerId, fc.constant(SELF)), message: membershipMessage, ticks: fc.integer({ min: 0, max: 3 }) }),
  { maxLength: 40 },
);

describe('schema-valid but hostile messages (property)', () => {
  for (const protocol of ['gossip', 'swim'] as const) {
    it(`never crash a ${protocol} peer nor take it past its bounds, and it keeps working`, () => {
      fc.assert(
        fc.property(traffic, (messages) => {
          const slots = new SlotRegistry();
          const machine = member(protocol, slots);
          let now = 1;
          for (const { from, message, ticks } of messages) {
            machine.step({ kind: 'receive', from, message }, now);
            for (let tick = 0; tick < ticks; tick++) machine.step({ kind: 'tick' }, now++);
          }
          expect(machine.memberCount()).toBeLessThanOrEqual(MEMBERS_MAX + 1);
          if (protocol === 'swim') expect(slots.size).toBeLessThanOrEqual(MEMBERS_MAX + 1);
          expect(machine.status).toBe('member');
          // Still a working peer: a newcomer's request is answered.
          const request: MembershipMessage =
            protocol === 'swim'
              ? { type: 'swim.ping', sequence: 424242, piggyback: [] }
              : { type: 'gossip.join-request', generation: 0, heartbeat: 0 };
          const answers = machine.step({ kind: 'receive', from: 'newcomer:1', message: request }, now) as Output[];
          expect(answers.some((output) => output.kind === 'send' && output.to === 'newcomer:1')).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('hostile cases found in review', () => {
  it('a SWIM group survives a suspicion of a member at the largest incarnation', () => {
    const cluster = new MembershipCluster({ protocol: 'swim', peers: 10, seed: 1 });
    for (const id of cluster.ids) cluster.start(id);
    cluster.runUntil(60);
    const [first, second] = cluster.ids as [string, string];
    cluster.sim.network.send(second, first, { type: 'swim.gossip', piggyback: [{ kind: 'suspect', member: first, incarnation: INCARNATION_MAX, from: second }] }, cluster.now);
    cluster.runUntil(200);
    expect(cluster.machine(first)?.counters().updatesRefused).toBeGreaterThan(0);
    expect(cluster.members()).toHaveLength(10);
  });

  it('a SWIM peer refuses an incarnation beyond the wire limit in a trusted (undecoded) message', () => {
    const machine = member('swim', new SlotRegistry());
    machine.step({ kind: 'receive', from: 'x:1', message: { type: 'swim.gossip', piggyback: [{ kind: 'alive', member: 'x:1', incarnation: INCARNATION_MAX + 1, from: 'x:1' }] } }, 1);
    expect(machine.isMember('x:1')).toBe(false);
    expect(machine.counters().updatesRefused).toBe(1);
  });

  it('a SWIM peer refuses an indirect probe of itself or of the asker', () => {
    const machine = member('swim', new SlotRegistry());
    for (const target of [SELF, 'asker:1']) {
      const outputs = machine.step({ kind: 'receive', from: 'asker:1', message: { type: 'swim.ping-req', sequence: 1, target, piggyback: [] } }, 1);
      expect(outputs.filter((output) => output.kind === 'send' && output.message.type === 'swim.ping')).toEqual([]);
    }
    expect(machine.counters().updatesRefused).toBe(2);
  });

  it('news of unknown members that a SWIM peer ignores does not grow its slot registry', () => {
    const slots = new SlotRegistry();
    const machine = member('swim', slots);
    const before = slots.size;
    const piggyback = Array.from({ length: 50 }, (_, index) => ({ kind: (index % 2 === 0 ? 'suspect' : 'dead') as 'suspect' | 'dead', member: `ghost-${index}:1`, incarnation: 3, from: 'x:1' }));
    machine.step({ kind: 'receive', from: 'x:1', message: { type: 'swim.gossip', piggyback } }, 1);
    machine.step({ kind: 'receive', from: 'x:1', message: { type: 'swim.sync', reply: false, final: false, members: piggyback.map((update) => ({ member: update.member, incarnation: 3, state: 'suspect' as const })) } }, 1);
    expect(slots.size).toBe(before);
  });

  it('a gossip peer keeps at most membersMax rows and counts what it refuses', () => {
    const machine = new GossipMachine({ id: SELF, random: RandomStream.root(1), generation: 0, messageBytesMax: 1 << 20, config: { membersMax: 10 } });
    machine.step({ kind: 'command', command: { type: 'join', introducers: [] } }, 0);
    const members = Array.from({ length: 30 }, (_, index) => ({ id: `phantom-${index}:1`, generation: 0, heartbeat: 1 }));
    machine.step({ kind: 'receive', from: 'x:1', message: { type: 'gossip.heartbeats', members } }, 1);
    expect(machine.memberCount()).toBe(11);
    expect(machine.counters().updatesRefused).toBe(20);
  });

  it('a gossip peer does not take a departed peer back from late second-hand news of that life', () => {
    const events: JournalEvent[] = [];
    const machine = new GossipMachine({ id: SELF, random: RandomStream.root(1), generation: 0, messageBytesMax: 1 << 20 });
    const step = (input: Parameters<GossipMachine['step']>[0], now: number): void => {
      for (const output of machine.step(input, now)) if (output.kind === 'event') events.push(output.event);
    };
    step({ kind: 'command', command: { type: 'join', introducers: [] } }, 0);
    step({ kind: 'receive', from: 'x:1', message: { type: 'gossip.heartbeats', members: [{ id: 'x:1', generation: 0, heartbeat: 1 }] } }, 1);
    step({ kind: 'receive', from: 'x:1', message: { type: 'gossip.heartbeats', members: [{ id: 'x:1', generation: 0, heartbeat: 2, left: true }] } }, 2);
    for (let tick = 3; tick < 40; tick++) step({ kind: 'tick' }, tick);
    // A slow third party still gossips x's old life.
    step({ kind: 'receive', from: 'y:1', message: { type: 'gossip.heartbeats', members: [{ id: 'x:1', generation: 0, heartbeat: 30 }] } }, 40);
    expect(machine.isMember('x:1')).toBe(false);
    expect(events.filter((event) => event.kind === 'member.added' && event.subject === 'x:1')).toHaveLength(1);
    // …but its next life is welcome.
    step({ kind: 'receive', from: 'y:1', message: { type: 'gossip.heartbeats', members: [{ id: 'x:1', generation: 41, heartbeat: 0 }] } }, 41);
    expect(machine.isMember('x:1')).toBe(true);
  });

  it('refuses to build a machine from a configuration that cannot work', () => {
    expect(() => new SwimMachine({ id: SELF, random: RandomStream.root(1), messageBytesMax: 1000, config: { probeTimeoutTicks: 20 } })).toThrow(/probeTimeoutTicks \(20\) must be below/);
    expect(() => new GossipMachine({ id: SELF, random: RandomStream.root(1), generation: 0, messageBytesMax: 1000, config: { fanout: 0 } })).toThrow(/gossip.fanout must be a whole number/);
  });
});
