import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { MachineOutput } from '../../src/shared/machine.ts';
import { GossipMachine } from '../../src/shared/membership/gossip/machine.ts';
import { SwimMachine } from '../../src/shared/membership/swim/machine.ts';
import { suspicionTimeoutTicks, SWIM_DEFAULTS } from '../../src/shared/membership/swim/config.ts';
import type { MembershipCommand, MembershipMachine, MembershipReply } from '../../src/shared/membership/types.ts';
import type { MembershipMessage, SwimMessage } from '../../src/shared/protocol/membership.ts';
import { RandomStream } from '../../src/shared/random/stream.ts';

type Output = MachineOutput<MembershipMessage, MembershipReply>;
const A = 'a:1';
const B = 'b:1';
const C = 'c:1';
const D = 'd:1';

/** Drives one machine by hand and keeps everything it said. */
class Harness {
  readonly machine: MembershipMachine;
  now = 0;
  readonly sent: { tick: number; to: string; message: MembershipMessage }[] = [];
  readonly events: JournalEvent[] = [];
  readonly replies: MembershipReply[] = [];

  constructor(machine: MembershipMachine) {
    this.machine = machine;
  }

  #take(outputs: readonly Output[]): void {
    for (const output of outputs) {
      if (output.kind === 'send') this.sent.push({ tick: this.now, to: output.to, message: output.message });
      else if (output.kind === 'event') this.events.push(output.event);
      else this.replies.push(output.reply);
    }
  }

  command(command: MembershipCommand): this {
    this.#take(this.machine.step({ kind: 'command', command }, this.now));
    return this;
  }

  receive(from: string, message: MembershipMessage): this {
    this.#take(this.machine.step({ kind: 'receive', from, message }, this.now));
    return this;
  }

  bytes(from: string, data: string | Uint8Array): this {
    this.#take(this.machine.step({ kind: 'receive-bytes', from, data }, this.now));
    return this;
  }

  /** Runs `count` ticks, starting at the current one. */
  ticks(count: number): this {
    for (let index = 0; index < count; index++) {
      this.#take(this.machine.step({ kind: 'tick' }, this.now));
      this.now++;
    }
    return this;
  }

  sentOf<T extends MembershipMessage['type']>(type: T): { tick: number; to: string; message: Extract<MembershipMessage, { type: T }> }[] {
    return this.sent.filter((sent) => sent.message.type === type) as never;
  }

  eventsOf(kind: JournalEvent['kind']): JournalEvent[] {
    return this.events.filter((event) => event.kind === kind);
  }
}

function gossip(id = A, generation = 0): Harness {
  return new Harness(new GossipMachine({ id, random: RandomStream.root(1).derive(id), generation, messageBytesMax: 65_536 }));
}

function swim(id = A, config = {}): Harness {
  return new Harness(new SwimMachine({ id, random: RandomStream.root(1).derive(id), messageBytesMax: 65_536, config }));
}

/** A SWIM peer that joined through B and knows B, C and D as alive. */
function swimMember(config = {}): Harness {
  const harness = swim(A, config);
  harness.command({ type: 'join', introducers: [B] });
  harness.receive(B, {
    type: 'swim.sync',
    reply: true,
    final: true,
    members: [B, C, D].map((member) => ({ member, incarnation: 0, state: 'alive' as const })),
  });
  return harness;
}

describe('heartbeat gossip', () => {
  it('makes the first peer a member at once and logs its own join', () => {
    const peer = gossip().command({ type: 'join', introducers: [] });
    expect(peer.machine.status).toBe('member');
    expect(peer.replies).toEqual([{ type: 'joined' }]);
    expect(peer.eventsOf('member.added')).toEqual([expect.objectContaining({ peer: A, subject: A, tick: 0 })]);
  });

  it('retries its join request every joinRetryTicks until an introducer answers', () => {
    const peer = gossip().command({ type: 'join', introducers: [B, C] }).ticks(12);
    expect(peer.sentOf('gossip.join-request').map((sent) => [sent.tick, sent.to])).toEqual([
      [0, B],
      [5, C],
      [10, B],
    ]);
    peer.receive(C, { type: 'gossip.join-reply', members: [{ id: C, generation: 0, heartbeat: 9 }] });
    expect(peer.machine.status).toBe('member');
    expect(peer.machine.isMember(C)).toBe(true);
    // Once in, it asks only the introducer outside its group (B), not C, a member; and not again
    // for joinTimeoutTicks (C stays a member for TREMOVE = 20 ticks without news of it).
    peer.ticks(19);
    expect(peer.sentOf('gossip.join-request').slice(3).map((sent) => sent.to)).toEqual([B]);
  });

  it('starts a group of its own when no introducer answers, and keeps asking them', () => {
    const peer = gossip().command({ type: 'join', introducers: [B] }).ticks(50);
    expect(peer.machine.status).toBe('joining');
    peer.ticks(1);
    expect(peer.machine.status).toBe('member');
    expect(peer.eventsOf('member.added')).toEqual([expect.objectContaining({ subject: A, tick: 50 })]);
    const before = peer.sentOf('gossip.join-request').length;
    peer.ticks(10);
    // Alone, it asks every joinRetryTicks; the group it finds takes it in.
    expect(peer.sentOf('gossip.join-request').length).toBe(before + 2);
    peer.receive(B, { type: 'gossip.join-reply', members: [{ id: B, generation: 0, heartbeat: 40 }] });
    expect(peer.machine.memberCount()).toBe(2);
  });

  it('answers a join request with its list and adds the newcomer', () => {
    const peer = gossip().command({ type: 'join', introducers: [] });
    peer.receive(B, { type: 'gossip.join-request', generation: 0, heartbeat: 0 });
    expect(peer.machine.isMember(B)).toBe(true);
    const [reply] = peer.sentOf('gossip.join-reply');
    expect(reply?.to).toBe(B);
    expect(reply?.message.members.map((entry) => entry.id).sort()).toEqual([A, B]);
  });

  it('suspects a silent member after failTicks and removes it after removeTicks', () => {
    const peer = gossip().command({ type: 'join', introducers: [] });
    peer.receive(B, { type: 'gossip.heartbeats', members: [{ id: B, generation: 0, heartbeat: 1 }] });
    peer.ticks(25);
    expect(peer.eventsOf('member.suspected')).toEqual([expect.objectContaining({ subject: B, tick: 5 })]);
    expect(peer.eventsOf('member.removed')).toEqual([expect.objectContaining({ subject: B, tick: 20 })]);
    expect(peer.machine.isMember(B)).toBe(false);
  });

  it('clears a suspicion when a newer heartbeat arrives', () => {
    const peer = gossip().command({ type: 'join', introducers: [] });
    peer.receive(B, { type: 'gossip.heartbeats', members: [{ id: B, generation: 0, heartbeat: 1 }] });
    peer.ticks(7);
    peer.receive(C, { type: 'gossip.heartbeats', members: [{ id: B, generation: 0, heartbeat: 5 }] });
    expect(peer.eventsOf('member.alive')).toEqual([expect.objectContaining({ subject: B, tick: 7 })]);
    peer.ticks(15);
    expect(peer.eventsOf('member.removed')).toEqual([]);
  });

  it('ignores second-hand news of a removed member, but believes the member itself', () => {
    const peer = gossip().command({ type: 'join', introducers: [] });
    peer.receive(B, { type: 'gossip.heartbeats', members: [{ id: B, generation: 0, heartbeat: 1 }] });
    peer.ticks(21);
    // A laggard still gossips B with a higher heartbeat than this peer saw: B must stay removed.
    peer.receive(C, { type: 'gossip.heartbeats', members: [{ id: B, generation: 0, heartbeat: 3 }] });
    expect(peer.machine.isMember(B)).toBe(false);
    // B itself speaks up (a healed partition): it is back at once.
    peer.receive(B, { type: 'gossip.heartbeats', members: [{ id: B, generation: 0, heartbeat: 40 }] });
    expect(peer.machine.isMember(B)).toBe(true);
    expect(peer.eventsOf('member.added').map((event) => event.tick)).toEqual([0, 0, 21]);
  });

  it('re-adds a restarted member from second-hand news of its newer generation', () => {
    const peer = gossip().command({ type: 'join', introducers: [] });
    peer.receive(B, { type: 'gossip.heartbeats', members: [{ id: B, generation: 0, heartbeat: 1 }] });
    peer.ticks(21);
    peer.receive(C, { type: 'gossip.heartbeats', members: [{ id: B, generation: 50, heartbeat: 0 }] });
    expect(peer.machine.isMember(B)).toBe(true);
  });

  it('tells every member when it leaves, and is then silent', () => {
    const peer = gossip().command({ type: 'join', introducers: [] });
    peer.receive(B, { type: 'gossip.heartbeats', members: [{ id: B, generation: 0, heartbeat: 1 }, { id: C, generation: 0, heartbeat: 1 }] });
    const before = peer.sent.length;
    peer.command({ type: 'leave' });
    const farewells = peer.sent.slice(before);
    expect(farewells.map((sent) => sent.to).sort()).toEqual([B, C]);
    expect(farewells.every((sent) => sent.message.type === 'gossip.heartbeats' && sent.message.members[0]?.left === true)).toBe(true);
    expect(peer.replies.at(-1)).toEqual({ type: 'left' });
    peer.ticks(10);
    expect(peer.sent.length).toBe(before + 2);
  });

  it('records a member that left as left, not as failed', () => {
    const peer = gossip().command({ type: 'join', introducers: [] });
    peer.receive(B, { type: 'gossip.heartbeats', members: [{ id: B, generation: 0, heartbeat: 1 }] });
    peer.receive(B, { type: 'gossip.heartbeats', members: [{ id: B, generation: 0, heartbeat: 2, left: true }] });
    expect(peer.eventsOf('member.left')).toEqual([expect.objectContaining({ subject: B })]);
    peer.ticks(30);
    expect(peer.eventsOf('member.removed')).toEqual([]);
  });
});

describe('bad input', () => {
  for (const [name, make] of [['gossip', () => gossip().command({ type: 'join', introducers: [] })], ['swim', () => swimMember()]] as const) {
    it(`a ${name} peer refuses malformed, oversize and foreign bytes, counts them and carries on`, () => {
      const peer = make();
      peer.bytes(B, '{"type":');
      peer.bytes(B, 'x'.repeat(70_000));
      peer.bytes(B, JSON.stringify({ type: 'raft.append-entries' }));
      peer.bytes(B, JSON.stringify({ type: 'swim.ping', sequence: -1, piggyback: [] }));
      peer.bytes(B, new Uint8Array([0xff, 0xfe, 0x00]));
      const foreign = name === 'gossip' ? { type: 'swim.gossip', piggyback: [] } : { type: 'gossip.heartbeats', members: [] };
      peer.bytes(B, JSON.stringify(foreign));
      const rejected = peer.eventsOf('message.rejected').map((event) => (event.kind === 'message.rejected' ? event.reason : ''));
      expect(rejected).toEqual(['malformed', 'oversize', 'unknown-type', 'invalid', 'malformed', 'wrong-protocol']);
      expect(peer.machine.counters().messagesRejected).toMatchObject({ malformed: 2, oversize: 1, 'unknown-type': 1, invalid: 1, 'wrong-protocol': 1 });
      // …and a valid message right after is handled as usual.
      const valid = name === 'gossip' ? { type: 'gossip.heartbeats', members: [{ id: D, generation: 0, heartbeat: 1 }] } : { type: 'swim.ping', sequence: 7, piggyback: [] };
      peer.bytes(D, JSON.stringify(valid));
      expect(peer.machine.counters().messagesReceived).toBeGreaterThanOrEqual(1);
      if (name === 'gossip') expect(peer.machine.isMember(D)).toBe(true);
      else expect(peer.sentOf('swim.ack').some((sent) => sent.to === D && sent.message.sequence === 7)).toBe(true);
    });
  }
});

describe('SWIM', () => {
  it('answers a ping with an ack of the same sequence', () => {
    const peer = swimMember().receive(C, { type: 'swim.ping', sequence: 41, piggyback: [] });
    expect(peer.sentOf('swim.ack')).toEqual([expect.objectContaining({ to: C, message: expect.objectContaining({ sequence: 41 }) })]);
  });

  it('probes one member per interval, asks indirectChecks others after the probe timeout, then suspects', () => {
    const peer = swimMember().ticks(11);
    const [ping] = peer.sentOf('swim.ping');
    expect(ping).toBeDefined();
    const target = ping?.to as string;
    peer.ticks(SWIM_DEFAULTS.probeTimeoutTicks);
    const pingRequests = peer.sentOf('swim.ping-req');
    expect(pingRequests.map((sent) => sent.to).sort()).toEqual([B, C, D].filter((id) => id !== target).sort());
    expect(pingRequests.every((sent) => sent.message.target === target && sent.message.sequence === ping?.message.sequence)).toBe(true);
    peer.ticks(SWIM_DEFAULTS.probeIntervalTicks);
    expect(peer.eventsOf('member.suspected')).toEqual([expect.objectContaining({ subject: target, tick: (ping?.tick ?? 0) + SWIM_DEFAULTS.probeIntervalTicks })]);
  });

  it('does not suspect a member whose ack arrives late but within the interval', () => {
    const peer = swimMember().ticks(11);
    const [ping] = peer.sentOf('swim.ping');
    peer.ticks(SWIM_DEFAULTS.probeTimeoutTicks + 1);
    peer.receive(ping?.to as string, { type: 'swim.ack', sequence: ping?.message.sequence as number, piggyback: [] });
    peer.ticks(SWIM_DEFAULTS.probeIntervalTicks);
    expect(peer.eventsOf('member.suspected')).toEqual([]);
  });

  it('forwards the ack of an indirect probe to the member that asked for it', () => {
    const peer = swimMember().receive(C, { type: 'swim.ping-req', sequence: 5, target: D, piggyback: [] });
    const [ping] = peer.sentOf('swim.ping').filter((sent) => sent.to === D);
    peer.receive(D, { type: 'swim.ack', sequence: ping?.message.sequence as number, piggyback: [] });
    expect(peer.sentOf('swim.ack')).toEqual([expect.objectContaining({ to: C, message: expect.objectContaining({ sequence: 5 }) })]);
  });

  it('refutes a suspicion of itself by raising its incarnation and broadcasting it', () => {
    const peer = swimMember().receive(C, { type: 'swim.gossip', piggyback: [{ kind: 'suspect', member: A, incarnation: 0, from: C }] });
    expect((peer.machine as SwimMachine).incarnation).toBe(1);
    peer.receive(B, { type: 'swim.ping', sequence: 1, piggyback: [] });
    const [ack] = peer.sentOf('swim.ack');
    expect(ack?.message.piggyback).toContainEqual({ kind: 'alive', member: A, incarnation: 1, from: A });
  });

  it('answers a stale suspicion of itself directly in the ack (buddy system)', () => {
    const peer = swimMember().receive(C, { type: 'swim.gossip', piggyback: [{ kind: 'suspect', member: A, incarnation: 0, from: C }] });
    // Exhaust the refutation broadcast, as if this pinger had missed every copy of it.
    for (let sequence = 0; sequence < 20; sequence++) peer.receive(B, { type: 'swim.ping', sequence, piggyback: [] });
    peer.receive(D, { type: 'swim.ping', sequence: 99, piggyback: [{ kind: 'suspect', member: A, incarnation: 0, from: D }] });
    const ack = peer.sentOf('swim.ack').find((sent) => sent.message.sequence === 99);
    expect(ack?.message.piggyback[0]).toEqual({ kind: 'alive', member: A, incarnation: 1, from: A });
  });

  it('declares a suspect dead when an unconfirmed suspicion times out', () => {
    const peer = swimMember().receive(C, { type: 'swim.gossip', piggyback: [{ kind: 'suspect', member: D, incarnation: 0, from: C }] });
    // Every probe is acked (so this peer never confirms), but no refutation ever arrives.
    const timeout = suspicionTimeoutTicks(SWIM_DEFAULTS, 4, 0);
    for (let tick = 0; tick <= timeout; tick++) {
      const sentBefore = peer.sent.length;
      peer.ticks(1);
      for (const sent of peer.sent.slice(sentBefore)) {
        if (sent.message.type === 'swim.ping') peer.receive(sent.to, { type: 'swim.ack', sequence: sent.message.sequence, piggyback: [] });
      }
    }
    expect(peer.eventsOf('member.removed')).toEqual([expect.objectContaining({ subject: D, tick: timeout })]);
    expect(peer.machine.isMember(D)).toBe(false);
  });

  it('probes a suspect out of turn, and its own failed probe shortens the suspicion', () => {
    const peer = swimMember().receive(C, { type: 'swim.gossip', piggyback: [{ kind: 'suspect', member: D, incarnation: 0, from: C }] });
    peer.ticks(1 + SWIM_DEFAULTS.probeIntervalTicks);
    expect(peer.sentOf('swim.ping')[0]?.to).toBe(D);
    peer.ticks(suspicionTimeoutTicks(SWIM_DEFAULTS, 4, 1));
    const [removed] = peer.eventsOf('member.removed');
    expect(removed).toMatchObject({ subject: D });
    expect(removed?.tick).toBeLessThan(suspicionTimeoutTicks(SWIM_DEFAULTS, 4, 0));
  });

  it('clears a suspicion when the suspect announces a higher incarnation', () => {
    const peer = swimMember().receive(C, { type: 'swim.gossip', piggyback: [{ kind: 'suspect', member: D, incarnation: 0, from: C }] });
    peer.receive(B, { type: 'swim.gossip', piggyback: [{ kind: 'alive', member: D, incarnation: 1, from: D }] });
    expect(peer.eventsOf('member.alive')).toEqual([expect.objectContaining({ subject: D, incarnation: 1 })]);
    expect(peer.machine.members().find((view) => view.id === D)).toMatchObject({ state: 'alive', incarnation: 1 });
    // The old suspicion's timer is gone: nothing is declared when it would have expired.
    peer.ticks(suspicionTimeoutTicks(SWIM_DEFAULTS, 4, 0) - 1);
    expect(peer.eventsOf('member.removed')).toEqual([]);
  });

  it('ignores news older than what it knows', () => {
    const peer = swimMember().receive(B, { type: 'swim.gossip', piggyback: [{ kind: 'alive', member: D, incarnation: 3, from: D }] });
    peer.receive(C, { type: 'swim.gossip', piggyback: [{ kind: 'suspect', member: D, incarnation: 2, from: C }] });
    peer.receive(C, { type: 'swim.gossip', piggyback: [{ kind: 'dead', member: D, incarnation: 2, from: C }] });
    expect(peer.machine.isMember(D)).toBe(true);
    expect(peer.eventsOf('member.suspected')).toEqual([]);
  });

  it('takes a state row saying dead only as grounds to suspect', () => {
    const peer = swimMember().receive(C, {
      type: 'swim.sync',
      reply: false,
      final: true,
      members: [{ member: D, incarnation: 0, state: 'dead' }],
    });
    expect(peer.eventsOf('member.suspected')).toEqual([expect.objectContaining({ subject: D })]);
    expect(peer.eventsOf('member.removed')).toEqual([]);
    // A sync request is answered with this peer's own state.
    expect(peer.sentOf('swim.sync').some((sent) => sent.to === C && sent.message.reply)).toBe(true);
  });

  it('records a member that announces its own departure as left', () => {
    const peer = swimMember().receive(B, { type: 'swim.gossip', piggyback: [{ kind: 'left', member: C, incarnation: 0, from: C }] });
    expect(peer.eventsOf('member.left')).toEqual([expect.objectContaining({ subject: C })]);
    expect(peer.eventsOf('member.removed')).toEqual([]);
  });

  it('splits its state into chunks that fit the message size', () => {
    const peer = new Harness(new SwimMachine({ id: A, random: RandomStream.root(2), messageBytesMax: 1_000 }));
    peer.command({ type: 'join', introducers: [] });
    const members = Array.from({ length: 60 }, (_, index) => ({ member: `peer-${index}:1`, incarnation: 0, state: 'alive' as const }));
    peer.receive(B, { type: 'swim.sync', reply: false, final: true, members });
    const chunks = peer.sentOf('swim.sync').filter((sent) => sent.to === B);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((chunk) => chunk.message.final)).toEqual([...chunks.slice(1).map(() => false), true]);
    // This peer's own row and the 60 it learned.
    expect(chunks.reduce((count, chunk) => count + chunk.message.members.length, 0)).toBe(61);
    expect(chunks.every((chunk) => JSON.stringify(chunk.message).length <= 1_000)).toBe(true);
  });

  it('introduces itself to a peer it does not count as a member that talks to it', () => {
    const peer = swimMember().receive('e:1', { type: 'swim.ping', sequence: 3, piggyback: [] });
    const introductions = peer.sentOf('swim.introduce').filter((sent) => sent.to === 'e:1');
    expect(introductions).toHaveLength(1);
    expect(introductions[0]?.message).toEqual({ type: 'swim.introduce', reply: false, rows: [{ member: A, incarnation: 0, state: 'alive' }] });
    // At most once per probe interval.
    peer.receive('e:1', { type: 'swim.ping', sequence: 4, piggyback: [] });
    expect(peer.sentOf('swim.introduce')).toHaveLength(1);
    // The answer makes the stranger a member.
    peer.receive('e:1', { type: 'swim.introduce', reply: true, rows: [{ member: 'e:1', incarnation: 2, state: 'alive' }] });
    expect(peer.machine.isMember('e:1')).toBe(true);
  });

  it('tells a member it thinks dead what it believes, so that member can refute', () => {
    const peer = swimMember().receive(B, { type: 'swim.gossip', piggyback: [{ kind: 'dead', member: D, incarnation: 0, from: B }] });
    peer.ticks(1);
    peer.receive(D, { type: 'swim.ping', sequence: 8, piggyback: [] });
    const [introduction] = peer.sentOf('swim.introduce');
    expect(introduction?.message).toMatchObject({ rows: [{ member: A, state: 'alive' }, { member: D, incarnation: 0, state: 'dead' }] });
    // D's side of the handshake: it refutes and answers with its new incarnation.
    const other = new Harness(new SwimMachine({ id: D, random: RandomStream.root(3), messageBytesMax: 65_536 }));
    other.command({ type: 'join', introducers: [] });
    other.receive(A, introduction?.message as SwimMessage);
    const [answer] = other.sentOf('swim.introduce');
    expect(answer?.message).toMatchObject({
      reply: true,
      rows: [
        { member: D, incarnation: 1, state: 'alive' },
        { member: A, state: 'alive' },
      ],
    });
    peer.receive(D, answer?.message as SwimMessage);
    expect(peer.machine.isMember(D)).toBe(true);
  });
});
