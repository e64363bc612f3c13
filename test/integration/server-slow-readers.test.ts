/**
 * Clients of the event stream that stop reading (a frozen tab, a stuck script) must cost the
 * server a bounded amount and never hold up the API or the other clients: twenty WebSocket
 * clients that never read, while a real cluster takes a put loop and the journal gets a flood
 * of entries, against a normal client whose calls are timed (a liveness bound, generous).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { ClusterManager } from '../../src/main/cluster/manager.ts';
import type { ApiServer} from '../../src/main/server/server.ts';
import { CLOSE_TOO_SLOW } from '../../src/main/server/server.ts';
import { startApiServer, stopApiServer } from '../support/api-server.ts';
import { waitFor } from '../support/cluster.ts';

const SLOW_CLIENTS = 20;
const LOAD_MS = 8000;
/**
 * What the journal gets on top of the cluster's own entries (a few hundred KB/s here), as a chatty
 * peer's console makes: with the feed as it was, this much held a reply up for good.
 */
const FLOOD_BYTES_PER_SECOND = 4 * 1_048_576;
/** Far above what a call takes on an idle machine (a few ms), far below the stalls this guards against. */
const CALL_MS_MAX = 1000;
const STALLED_MS = 3000;

let manager: ClusterManager;
let server: ApiServer;
let base: string;

beforeAll(async () => {
  // Given up after 3 s rather than 10, to keep the test short; the backlog's bound is the default.
  ({ manager, server, base } = await startApiServer({ eventFeed: { stalledMsMax: STALLED_MS } }));
}, 60_000);

afterAll(() => stopApiServer({ manager, server }), 60_000);

async function command(body: unknown): Promise<{ ok: boolean; result?: unknown; error?: string }> {
  const response = await fetch(`${base}/api?token=${server.token}`, { method: 'POST', body: JSON.stringify(body) });
  return (await response.json()) as { ok: boolean; result?: unknown; error?: string };
}

const wsUrl = () => `ws://127.0.0.1:${server.port}/api/ws?token=${server.token}`;
/** The underlying TCP socket of a `ws` client (not in its types). */
const tcp = (socket: WebSocket) => (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;

/** Share of one core this process used over `ms`. */
async function cpuShare(ms: number): Promise<number> {
  const before = process.cpuUsage();
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / (performance.now() - startedAt);
}

test('twenty clients that never read delay no one: calls stay prompt, they are told how far behind they fell, and the server is idle once they are gone', async () => {
  expect((await command({ type: 'cluster.start', peers: 3 })).ok).toBe(true);
  await waitFor('the ring to take a put', async () => (await command({ type: 'kv', op: 'put', key: 'k', value: 'v' })).ok, { timeoutMs: 30_000 });
  const idleCpu = await cpuShare(2000);

  // A normal client, reading everything.
  const normal = new WebSocket(wsUrl());
  const replies = new Map<number, number>();
  const seqs: number[] = [];
  let normalDropped = 0;
  normal.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { t: string; id?: number; entries?: { seq: number }[]; dropped?: number };
    if (frame.t === 'res') replies.set(frame.id!, performance.now());
    else {
      for (const entry of frame.entries ?? []) seqs.push(entry.seq);
      normalDropped += frame.dropped ?? 0;
    }
  });
  await new Promise((resolve) => normal.once('open', resolve));

  // Twenty that never read: their TCP sockets are paused as soon as they open.
  const slow = await Promise.all(
    Array.from({ length: SLOW_CLIENTS }, async () => {
      const socket = new WebSocket(wsUrl());
      const seen = { dropped: 0, close: undefined as { code: number; reason: string } | undefined };
      // Read the count without parsing megabytes: it ends the batch when there is one.
      socket.on('message', (data: Buffer) => {
        const at = data.lastIndexOf('"dropped":');
        if (at >= 0) seen.dropped += Number(/^"dropped":(\d+)\}$/.exec(data.subarray(at).toString())?.[1] ?? 0);
      });
      socket.on('close', (code, reason) => (seen.close = { code, reason: String(reason) }));
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('open', resolve));
      tcp(socket).pause();
      return { socket, seen };
    }),
  );

  // The load: a put loop through the API, and a flood of journal entries at a steady rate.
  const startedAt = Date.now();
  let loading = true;
  let puts = 0;
  const putLoops = Array.from({ length: 4 }, async (_, worker) => {
    for (let index = 0; loading; index++) {
      // A failure is the assertions' to report, not an unhandled rejection's.
      if ((await command({ type: 'kv', op: 'put', key: `k${worker}-${index % 64}`, value: 'v'.repeat(200) }).catch(() => ({ ok: false }))).ok) puts++;
    }
  });
  const line = 'x'.repeat(400);
  let flooded = 0;
  const flood = setInterval(() => {
    const due = ((Date.now() - startedAt) / 1000) * FLOOD_BYTES_PER_SECOND;
    for (; flooded < due; flooded += line.length) manager.journal.append(Date.now(), { kind: 'log', tick: 0, peer: 'flood', text: line });
  }, 20);

  // Calls from the normal client meanwhile, over HTTP and over its WebSocket, one at a time.
  const httpMs: number[] = [];
  const wsMs: number[] = [];
  try {
    for (let id = 1; Date.now() - startedAt < LOAD_MS; id++) {
      const httpAt = performance.now();
      expect((await command({ type: 'peers' })).ok).toBe(true);
      httpMs.push(performance.now() - httpAt);
      const wsAt = performance.now();
      normal.send(JSON.stringify({ t: 'req', id, command: { type: 'peers' } }));
      await waitFor('the WebSocket reply', () => replies.has(id), { timeoutMs: 10_000, intervalMs: 2 });
      wsMs.push(replies.get(id)! - wsAt);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    loading = false;
    clearInterval(flood);
    await Promise.all(putLoops);
  }

  const summary = { puts, entries: manager.journal.size, httpMsMax: Math.max(...httpMs), wsMsMax: Math.max(...wsMs), calls: httpMs.length };
  expect(puts, JSON.stringify(summary)).toBeGreaterThan(0);
  expect(summary.httpMsMax, JSON.stringify(summary)).toBeLessThan(CALL_MS_MAX);
  expect(summary.wsMsMax, JSON.stringify(summary)).toBeLessThan(CALL_MS_MAX);
  // The normal client got its entries in journal order (and, keeping up, lost none it was not told of).
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  await waitFor('the normal client to catch up', () => seqs.at(-1)! + 1 >= manager.journal.size - 50, { timeoutMs: 20_000 });
  expect(new Set(seqs).size + normalDropped).toBeGreaterThanOrEqual(seqs.at(-1)! + 1 - seqs[0]!);

  // The slow clients come back: each hears how far behind it fell (a count in a batch, or the
  // close that gave it up, with the reason).
  for (const { socket } of slow) tcp(socket).resume();
  await waitFor('every slow client to hear it fell behind', () => slow.every(({ seen }) => seen.dropped > 0 || seen.close !== undefined), {
    timeoutMs: 30_000,
    describe: () => slow.map(({ seen }) => seen),
  });
  for (const { seen } of slow) {
    if (seen.close === undefined) expect(seen.dropped).toBeGreaterThan(0);
    else {
      expect(seen.close.code).toBe(CLOSE_TOO_SLOW);
      expect(seen.close.reason).toMatch(/^too slow: \d+ events behind$/);
      expect(Number(/\d+/.exec(seen.close.reason)![0])).toBeGreaterThan(0);
    }
  }
  for (const { socket } of slow) socket.terminate();
  normal.close();

  // Once they are gone, the server is as idle as before they came.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const afterCpu = await cpuShare(2000);
  expect(afterCpu, `idle ${idleCpu.toFixed(2)}, after ${afterCpu.toFixed(2)} of a core`).toBeLessThan(idleCpu + 0.25);
}, 120_000);
