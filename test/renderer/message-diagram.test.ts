import { describe, expect, test } from 'vitest';
import { buildDiagram, MESSAGES_KEPT, MessageIndex } from '../../src/renderer/src/lib/message-diagram.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { SessionEntry } from '../../src/shared/journal/session.ts';
import { MembershipCluster } from '../../src/shared/sim/membership-cluster.ts';

const A = 'a:1';
const B = 'b:2';

function entries(events: readonly [number, JournalEvent][]): SessionEntry[] {
  return events.map(([at, event], seq) => ({ seq, at, event }));
}
const sent = (from: string, to: string, type: string): JournalEvent => ({ kind: 'message.sent', tick: 0, peer: from, to, type, bytes: 10 });
const delivered = (at: string, from: string, type: string): JournalEvent => ({ kind: 'message.delivered', tick: 0, peer: at, from, type });

function build(list: SessionEntry[], fromAt = 0, toAt = 1000, scope = {}) {
  return buildDiagram((position) => list[position - 1], list.length, fromAt, toAt, scope);
}

describe('the space-time diagram', () => {
  test('pairs the deliveries of a link with its sends in order, whichever of the two the journal has first', () => {
    const list = entries([
      [100, sent(A, B, 'ping')],
      [110, sent(A, B, 'ack')],
      // B's delivery reached the journal before A's send (two processes, two streams).
      [125, delivered(A, B, 'ping')],
      [130, sent(B, A, 'ping')],
      [140, delivered(B, A, 'ping')],
      [150, delivered(B, A, 'ack')],
      [170, { kind: 'message.dropped', tick: 0, peer: B, to: A, type: 'ping', reason: 'partition' }],
      [180, sent(A, B, 'ping')],
    ]);
    const { messages, types } = build(list);
    expect(messages.map((message) => [message.from, message.type, message.sentAt, message.fate, message.deliveredAt])).toEqual([
      [A, 'ping', 100, 'delivered', 140],
      [A, 'ack', 110, 'delivered', 150],
      [B, 'ping', 130, 'delivered', 125],
      [B, 'ping', 170, 'dropped', undefined],
      [A, 'ping', 180, 'in-flight', undefined],
    ]);
    expect(types).toEqual(['ping', 'ack']);
    // A delivery after the moment shown is not seen: the message is in flight then.
    expect(buildDiagram((position) => list[position - 1], 4, 0, 1000).messages[0]?.fate).toBe('in-flight');
  });

  test('a missing event never shifts the pairs after it: a send whose delivery is missing is lost, a delivery whose send is missing is let go', () => {
    const list = entries([
      [100, sent(A, B, 'ping')],
      [110, sent(A, B, 'ack')],
      // The ping's delivery was never journaled: the ack's shows it was lost (the link keeps its order).
      [115, delivered(B, A, 'ack')],
      // A delivery whose send was never journaled: let go, not paired with the next send.
      [300, delivered(B, A, 'gossip')],
      [400, sent(A, B, 'gossip')],
      [405, delivered(B, A, 'gossip')],
      // A send never delivered within the longest flight is lost.
      [500, sent(A, B, 'sync')],
      [6000, sent(A, B, 'ping')],
      [6004, delivered(B, A, 'ping')],
    ]);
    expect(build(list, 0, 7000).messages.map((message) => [message.type, message.sentAt, message.fate, message.deliveredAt])).toEqual([
      ['ping', 100, 'lost', undefined],
      ['ack', 110, 'delivered', 115],
      ['gossip', 400, 'delivered', 405],
      ['sync', 500, 'lost', undefined],
      ['ping', 6000, 'delivered', 6004],
    ]);
  });

  test('a delivery in the window of a send before it is not taken for a later send of its link', () => {
    const list = entries([
      [90, sent(A, B, 'ping')],
      [105, delivered(B, A, 'ping')],
      [110, sent(A, B, 'ping')],
      [130, delivered(B, A, 'ping')],
    ]);
    expect(build(list, 100, 1000).messages.map((message) => [message.sentAt, message.deliveredAt])).toEqual([[110, 130]]);
  });

  test('keeps the messages sent in the window, scoped to a peer or a type', () => {
    const list = entries([
      [100, sent(A, B, 'ping')],
      [200, sent(B, A, 'ack')],
      [300, sent(A, 'c:3', 'ping')],
    ]);
    expect(build(list, 150, 400).messages.map((message) => message.sentAt)).toEqual([200, 300]);
    expect(build(list, 0, 1000, { peer: 'c:3' }).messages.map((message) => message.to)).toEqual(['c:3']);
    expect(build(list, 0, 1000, { type: 'ack' }).messages.map((message) => message.type)).toEqual(['ack']);
  });

  test('an index keeps at most MESSAGES_KEPT messages, the newest, and still pairs across the cut', () => {
    const index = new MessageIndex();
    let position = 0;
    for (let at = 0; at < MESSAGES_KEPT + 10; at++) index.apply({ seq: position, at, event: sent(A, B, 'ping') }, ++position);
    expect(index.count).toBeLessThanOrEqual(MESSAGES_KEPT);
    expect(index.dropped + index.count).toBe(MESSAGES_KEPT + 10);
    expect(index.sentAt[index.count - 1]).toBe(MESSAGES_KEPT + 9);
    // A send after the cut is paired with its delivery; the pings before it on the link were lost.
    index.apply({ seq: position, at: MESSAGES_KEPT + 10, event: sent(A, B, 'ack') }, ++position);
    index.apply({ seq: position, at: MESSAGES_KEPT + 12, event: delivered(B, A, 'ack') }, ++position);
    expect(index.message(index.count - 1, position, MESSAGES_KEPT + 20)).toMatchObject({ type: 'ack', fate: 'delivered', deliveredAt: MESSAGES_KEPT + 12 });
    expect(index.message(index.count - 2, position, MESSAGES_KEPT + 20 + 5000).fate).toBe('lost');
  });

  test('pairs every delivery of a simulated SWIM group under 10 % loss, never before its send', () => {
    const list: SessionEntry[] = [];
    const cluster = new MembershipCluster({ protocol: 'swim', peers: 8, seed: 5, network: { loss: 0.1 }, recordMessages: true, onEvent: (event) => list.push({ seq: list.length, at: event.tick * 100, event }) });
    for (const id of cluster.ids) cluster.start(id);
    cluster.runUntil(300);
    const { messages } = build(list, 0, 300 * 100);
    const deliveries = list.filter((entry) => entry.event.kind === 'message.delivered').length;
    const drops = list.filter((entry) => entry.event.kind === 'message.dropped').length;
    expect(deliveries).toBeGreaterThan(500);
    expect(drops).toBeGreaterThan(20);
    expect(messages.filter((message) => message.fate === 'delivered')).toHaveLength(deliveries);
    expect(messages.filter((message) => message.fate === 'dropped')).toHaveLength(drops);
    for (const message of messages) if (message.deliveredAt !== undefined) expect(message.deliveredAt).toBeGreaterThanOrEqual(message.sentAt);
  });
});
