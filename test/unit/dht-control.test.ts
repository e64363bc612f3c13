/**
 * A circular DHT peer's control endpoint, on a fake channel and a fake peer: what each command
 * answers, how a wrong request is told in words (a key-value command, an unknown one, a bad
 * line), and the event stream a subscriber gets (the backlog from before it subscribed; messages
 * only when asked).
 */
import { describe, expect, it, vi } from 'vitest';
import { DhtControl, parseRequest, type DhtControlTarget } from '../../src/peer/dht/control.ts';
import { EventStream } from '../../src/peer/event-stream.ts';
import type { ControlChannel } from '../../src/peer/transport.ts';
import { dhtInspectionSchema, type DhtInspection, type TransportCounters } from '../../src/shared/protocol/control.ts';

const INSPECTION: DhtInspection = {
  id: '127.0.0.1:20008',
  pid: 1234,
  identity: 8,
  status: 'member',
  tickMs: 100,
  tick: 42,
  pingIntervalTicks: 10,
  successors: [9, 14],
  predecessors: [5, 4],
  files: ['4103'],
  folder: { path: '/tmp/peer-8', entries: [{ name: '4103.pdf', bytes: 17 }], total: 1 },
  counters: {
    messagesRejected: 0,
    lookupsDropped: 0,
    transport: { connectionsAccepted: 1, connectionsRefused: 0, framesReceived: 3, framesRefused: {}, messagesSent: 9, messagesDropped: {}, reconnects: 0 },
  },
};

function fakeChannel() {
  const sent: unknown[] = [];
  const handlers: { message?: (text: string) => void; close: (() => void)[] } = { close: [] };
  const channel: ControlChannel = {
    send: (text) => sent.push(JSON.parse(text)),
    buffered: 0,
    onMessage: (handler) => (handlers.message = handler),
    onClose: (handler) => handlers.close.push(handler),
    close: () => handlers.close.forEach((handler) => handler()),
  };
  return { channel, sent, request: (id: number, command: unknown) => handlers.message?.(JSON.stringify({ t: 'req', id, command })), raw: (text: string) => handlers.message?.(text) };
}

function served() {
  const target: DhtControlTarget = {
    inspect: vi.fn(async () => INSPECTION),
    begin: vi.fn(),
    type: vi.fn((line: string) => ({ line, command: 'store' as const, file: '2067' })),
    quit: vi.fn(),
    readyInfo: () => ({ id: INSPECTION.id, pid: 1234, port: 20008, redisPort: 0, protocol: 'dht' as const, tickMs: 100, identity: 8 }),
  };
  const events = new EventStream({ peer: INSPECTION.id, now: () => 42 });
  const counters: TransportCounters = { ...INSPECTION.counters.transport, framesRefused: {} };
  const control = new DhtControl(target, events, counters);
  const client = fakeChannel();
  control.accept(client.channel);
  return { target, events, counters, client };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("a DHT peer's control endpoint", () => {
  it('answers inspect, begin, type and leave', async () => {
    const { target, client } = served();
    client.request(1, { type: 'inspect' });
    client.request(2, { type: 'begin', start: { type: 'dht.join', known: 4 } });
    client.request(3, { type: 'type', line: 'Store 2067' });
    client.request(4, { type: 'leave' });
    await settle();
    await settle();
    // Each answers when it is done: inspect reads the folder, so it may come later.
    expect([...client.sent].sort((a, b) => (a as { id: number }).id - (b as { id: number }).id)).toEqual([
      { t: 'res', id: 1, ok: true, result: INSPECTION },
      { t: 'res', id: 2, ok: true, result: { begun: 'dht.join' } },
      { t: 'res', id: 3, ok: true, result: { line: 'Store 2067', command: 'store', file: '2067' } },
      { t: 'res', id: 4, ok: true, result: { leaving: true } },
    ]);
    expect(target.begin).toHaveBeenCalledWith({ type: 'dht.join', known: 4 });
    expect(target.type).toHaveBeenCalledWith('Store 2067');
    expect(target.quit).toHaveBeenCalledOnce();
    expect(dhtInspectionSchema.parse(INSPECTION)).toEqual(INSPECTION);
  });

  it('tells a wrong request apart, in words, with its id, and counts it', async () => {
    const { client, counters } = served();
    client.request(5, { type: 'kv', op: 'read', key: 'a' });
    client.request(6, { type: 'members' });
    client.request(7, { type: 'teleport' });
    client.request(8, { type: 'type', line: 'Store 2067\nQuit' });
    client.request(9, { type: 'begin', start: { type: 'dht.join', known: 300 } });
    client.raw('{not json');
    await settle();
    expect(client.sent).toEqual([
      { t: 'res', id: 5, ok: false, error: "'kv' is a key-value command; this peer runs the circular DHT (commands: inspect, subscribe, begin, type, leave)" },
      { t: 'res', id: 6, ok: false, error: "'members' is a key-value command; this peer runs the circular DHT (commands: inspect, subscribe, begin, type, leave)" },
      { t: 'res', id: 7, ok: false, error: "unknown command 'teleport' (a circular DHT peer takes: inspect, subscribe, begin, type, leave)" },
      { t: 'res', id: 8, ok: false, error: 'invalid control request: command.line: a console line is one line: no line breaks' },
      { t: 'res', id: 9, ok: false, error: expect.stringMatching(/^invalid control request: command\.start\.known: /) },
      { t: 'res', id: 0, ok: false, error: 'invalid control request: not JSON' },
    ]);
    expect(counters.framesRefused.invalid).toBe(6);
  });

  it('answers a failing command with its error', async () => {
    const { target, client } = served();
    vi.mocked(target.begin).mockImplementation(() => {
      throw new Error('peer 8 has begun already (init)');
    });
    client.request(10, { type: 'begin', start: { type: 'dht.init', first: 9, second: 14 } });
    await settle();
    expect(client.sent).toEqual([{ t: 'res', id: 10, ok: false, error: 'peer 8 has begun already (init)' }]);
  });

  it('streams events to a subscriber, those from before it subscribed first, messages only when asked', async () => {
    vi.useFakeTimers();
    try {
      const { events, client } = served();
      events.emit({ kind: 'peer.started', tick: 0, peer: INSPECTION.id });
      client.request(11, { type: 'subscribe' });
      await vi.advanceTimersByTimeAsync(0);
      events.emit({ kind: 'console', tick: 1, peer: INSPECTION.id, text: 'Store 2067 request accepted', lookup: { operation: 'store', file: '2067', route: [8], hops: 0 } });
      events.emit({ kind: 'message.sent', tick: 1, peer: INSPECTION.id, to: '127.0.0.1:20009', type: 'dht.ping-request', bytes: 40 });
      expect(events.wantsMessages).toBe(false);
      await vi.advanceTimersByTimeAsync(50);
      const batches = client.sent.filter((frame) => (frame as { t: string }).t === 'events') as { events: { event: { kind: string } }[] }[];
      expect(batches.flatMap((batch) => batch.events.map((stamped) => stamped.event.kind))).toEqual(['peer.started', 'console']);
      expect(client.sent).toContainEqual({ t: 'res', id: 11, ok: true, result: expect.objectContaining({ protocol: 'dht', identity: 8 }) });
      client.request(12, { type: 'subscribe', messages: true });
      expect(events.wantsMessages).toBe(true);
      client.channel.close();
      expect(events.wantsMessages).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads a request\'s id even when the rest is wrong', () => {
    expect(parseRequest(JSON.stringify({ t: 'req', id: 17, command: { type: 'inspect', extra: 1 } }))).toMatchObject({ id: 17, command: { type: 'inspect' } });
    expect(parseRequest(JSON.stringify({ t: 'req', id: 18, command: { type: 'type' } }))).toMatchObject({ id: 18, problem: expect.stringMatching(/^invalid control request: command\.line: /) });
    expect(parseRequest(JSON.stringify({ t: 'req', id: -1, command: {} }))).toMatchObject({ id: 0 });
  });
});
