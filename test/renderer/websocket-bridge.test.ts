/**
 * The window's WebSocket client against the real web server: the same calls the preload bridge
 * offers, answered by a cluster manager (no peer is started: these commands need none).
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { ApiServer } from '../../src/main/server/server.ts';
import { createWebSocketBridge, type ConnectionState, type WebSocketBridge } from '../../src/renderer/src/api/websocket.ts';
import type { ApiEvents } from '../../src/shared/api/cluster-api.ts';

let manager: ClusterManager;
let server: ApiServer;
let bridge: WebSocketBridge | undefined;

beforeEach(async () => {
  manager = new ClusterManager({ tickMs: 50 });
  server = new ApiServer({ manager, startedAt: Date.now() }, { port: 0 });
  await server.listen();
});
afterEach(async () => {
  bridge?.close();
  await server.close();
  await manager.shutdown({ graceful: false });
});

const base = () => new URL(`http://127.0.0.1:${server.port}/`);

test('a capability call is one command: session and faults answer with their results', async () => {
  bridge = createWebSocketBridge(base(), server.token);
  const session = await bridge.session();
  expect(session.api).toBe(1);
  expect(session.peers).toEqual([]);
  expect(session.tickMs).toBe(50);
  const plan = await bridge.setFaults({ loss: 0.25, duplicate: 0, links: [], partitions: [] });
  expect(plan.loss).toBe(0.25);
  expect((await bridge.getFaults()).loss).toBe(0.25);
});

test('a refused command rejects with the server’s own message', async () => {
  bridge = createWebSocketBridge(base(), server.token);
  await expect(bridge.killPeer('127.0.0.1:1')).rejects.toThrow(/127\.0\.0\.1:1/);
  await expect(bridge.startCluster(1, { tickMs: 5 })).rejects.toThrow();
});

test('events reach every subscriber until it unsubscribes', async () => {
  bridge = createWebSocketBridge(base(), server.token);
  const batches: ApiEvents[] = [];
  const unsubscribe = bridge.onEvents((events) => batches.push(events));
  await bridge.session();
  manager.journal.append(Date.now(), { kind: 'log', tick: 1, peer: 'manager', text: 'hello from the test' });
  await expect.poll(() => batches.flatMap((batch) => batch.entries).some((entry) => entry.event.kind === 'log' && entry.event.text === 'hello from the test')).toBe(true);
  unsubscribe();
  const seen = batches.length;
  manager.journal.append(Date.now(), { kind: 'log', tick: 2, peer: 'manager', text: 'after' });
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(batches.length).toBe(seen);
});

test('a token the server refuses (a new session on the same address) ends the connection: it says why, and requests fail at once', async () => {
  bridge = createWebSocketBridge(base(), 'not-the-token');
  const states: { state: ConnectionState; detail?: string }[] = [];
  bridge.onConnection((state, detail) => states.push({ state, detail }));
  const early = bridge.session();
  await expect(early).rejects.toThrow(/new session.*token.*ringside serve/);
  expect(states.map((entry) => entry.state)).not.toContain('open');
  expect(states.at(-1)).toEqual({ state: 'ended', detail: expect.stringContaining(`127.0.0.1:${server.port}`) });
  // At once: without a round trip to a server that will never answer this window again.
  let settled = false;
  const later = bridge.peers().finally(() => (settled = true));
  await Promise.resolve();
  await Promise.resolve();
  expect(settled).toBe(true);
  await expect(later).rejects.toThrow(/new session/);
});

test('while the server is away, a request waits and is sent once it is back, never reported failed and run anyway', async () => {
  const token = server.token;
  const port = server.port;
  bridge = createWebSocketBridge(base(), token);
  const states: ConnectionState[] = [];
  bridge.onConnection((state) => states.push(state));
  await bridge.session();
  await server.close();
  await expect.poll(() => states.at(-1), { timeout: 5000 }).toBe('closed');
  // Made while nothing answers: at least one more attempt fails before the server returns.
  const applied = bridge.setFaults({ loss: 0.5, duplicate: 0, links: [], partitions: [] });
  let settled: 'resolved' | 'rejected' | undefined;
  applied.then(() => (settled = 'resolved'), () => (settled = 'rejected'));
  await new Promise((resolve) => setTimeout(resolve, 1200));
  expect(settled).toBeUndefined();
  server = new ApiServer({ manager, startedAt: Date.now() }, { port, token });
  await server.listen();
  expect((await applied).loss).toBe(0.5);
  expect(manager.faults.loss).toBe(0.5);
  expect(states.at(-1)).toBe('open');
});

test('requests made while connecting are sent once the socket opens', async () => {
  bridge = createWebSocketBridge(base(), server.token);
  const [peers, faults] = await Promise.all([bridge.peers(), bridge.getFaults()]);
  expect(peers).toEqual([]);
  expect(faults.loss).toBe(0);
});

test('a batch keeps well-shaped entries and drops malformed ones; a reply is parsed by its schema', async () => {
  const { readFrame } = await import('../../src/renderer/src/api/websocket.ts');
  const good = { seq: 1, at: 5, event: { kind: 'log', tick: 1, peer: 'a', text: 'x' } };
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args);
  try {
    const frame = readFrame(JSON.stringify({ t: 'events', entries: [good, { seq: 'x' }, 7, { seq: 2, at: 1, event: {} }], dropped: 3 }));
    expect(frame).toEqual({ t: 'events', entries: [good], dropped: 3 });
    expect(errors).toHaveLength(1);
  } finally {
    console.error = original;
  }
  expect(() => readFrame(JSON.stringify({ t: 'events', entries: [], peers: [{ id: 1 }] }))).toThrow();
  expect(() => readFrame(JSON.stringify({ t: 'res', id: 'one', ok: true }))).toThrow();
  expect(readFrame(JSON.stringify({ t: 'res', id: 4, ok: false, error: 'no' }))).toEqual({ t: 'res', id: 4, ok: false, error: 'no' });
});

test('a server that closes the socket with a reason (too slow) is heard: the window says why and connects again', async () => {
  // A stand-in for the web server giving up on a window that read too slowly: the first
  // connection is closed with the reason, the next one stays.
  const { WebSocketServer } = await import('ws');
  const { createServer } = await import('node:http');
  const http = createServer();
  const sockets = new WebSocketServer({ server: http });
  let connections = 0;
  sockets.on('connection', (socket) => {
    if (++connections === 1) socket.close(4008, 'too slow: 1234 events behind');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address() as { port: number };
  try {
    bridge = createWebSocketBridge(new URL(`http://127.0.0.1:${address.port}/`), 'any-token');
    const states: { state: ConnectionState; detail?: string }[] = [];
    bridge.onConnection((state, detail) => states.push({ state, detail }));
    await expect.poll(() => connections, { timeout: 5000 }).toBe(2);
    await expect.poll(() => states.at(-1)?.state, { timeout: 5000 }).toBe('open');
    expect(states).toContainEqual({ state: 'closed', detail: 'the server closed it: too slow: 1234 events behind' });
  } finally {
    bridge?.close();
    bridge = undefined;
    sockets.close();
    for (const client of sockets.clients) client.terminate();
    await new Promise((resolve) => http.close(resolve));
  }
});
