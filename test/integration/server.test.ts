/**
 * The cluster API served over HTTP and WebSocket: the token, commands with their schemas,
 * batched events, exports, and clear errors for bad requests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterManager } from '../../src/main/cluster/manager.ts';
import { ApiServer, BODY_BYTES_MAX } from '../../src/main/server/server.ts';
import { apiEventsSchema, apiResponseSchema, sessionInfoSchema, type ApiEvents } from '../../src/shared/api/cluster-api.ts';
import { parseJournal } from '../../src/shared/journal/session.ts';
import { startApiServer, stopApiServer } from '../support/api-server.ts';
import { waitFor } from '../support/cluster.ts';

let manager: ClusterManager;
let server: ApiServer;
let base: string;

beforeAll(async () => {
  ({ manager, server, base } = await startApiServer());
}, 60_000);

afterAll(() => stopApiServer({ manager, server }), 60_000);

async function command(body: unknown, token = server.token): Promise<{ status: number; json: { ok: boolean; result?: unknown; error?: string } }> {
  const response = await fetch(`${base}/api?token=${token}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as { ok: boolean; result?: unknown; error?: string } };
}

describe('the web API', () => {
  it('refuses requests without the session token', async () => {
    const wrong = await command({ type: 'peers' }, 'wrong-token');
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toMatch(/token/);
    const upgrade = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=nope`);
    const failure = await new Promise<string>((resolve) => {
      upgrade.on('error', (error) => resolve(error.message));
      upgrade.on('open', () => resolve('opened'));
    });
    expect(failure).toMatch(/401/);
    // A client that resets the connection after a refused upgrade does not take the server down.
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = connect(server.port, '127.0.0.1');
      raw.on('error', () => undefined);
      raw.write(`GET /api/ws?token=bad HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      raw.resetAndDestroy();
    }
    const page = await fetch(`${base}/`);
    expect(await page.text()).toContain('npm run build');
  });

  it('answers a request target that is no path with 400, and stays up', async () => {
    // `new URL('//', base)` throws: in the upgrade listener that took the whole server down, token or not.
    const raw = (request: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect(server.port, '127.0.0.1');
        let answer = '';
        socket.on('error', () => resolve(answer));
        socket.on('data', (data) => (answer += String(data)));
        socket.on('close', () => resolve(answer));
        socket.write(request);
        setTimeout(() => socket.end(), 500);
      });
    const upgrade = (path: string): string =>
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    for (const path of ['//', '//a:b@', '//[']) {
      expect(await raw(upgrade(path))).toMatch(/^HTTP\/1\.1 400 /);
      expect(await raw(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 [\s\S]*not a path/);
    }
    // A malformed percent-escape in a renderer path is the client's fault, said as such.
    const root = mkdtempSync(join(tmpdir(), 'ringside-renderer-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Ringside</title>');
    const withPage = new ApiServer({ manager, startedAt: Date.now() }, { port: 0, rendererRoot: root });
    try {
      await withPage.listen();
      const bad = await fetch(`http://127.0.0.1:${withPage.port}/%E0%A4%A`);
      expect(bad.status).toBe(400);
      expect(await bad.text()).toMatch(/percent-encoded/);
      expect((await fetch(`http://127.0.0.1:${withPage.port}/`)).status).toBe(200);
    } finally {
      await withPage.close();
      rmSync(root, { recursive: true, force: true });
    }
    expect((await command({ type: 'peers' })).status).toBe(200);
  });

  it('explains a request that is not a command', async () => {
    expect((await command('not json')).json).toEqual({ ok: false, error: 'the body is not JSON' });
    const unknown = await command({ type: 'peer.explode' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatch(/^not a command: /);
    const missing = await command({ type: 'peer.kill', peer: '127.0.0.1:1' });
    expect(missing.status).toBe(409);
    expect(missing.json.error).toMatch(/no peer 127\.0\.0\.1:1 in this session/);
  });

  it('answers a body over the limit with 413 once it is sent, and goes on answering on the same connection', async () => {
    const huge = JSON.stringify({ type: 'peers', padding: 'x'.repeat(5 * 1_048_576) });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const post = (body: string, headers: Record<string, string> = {}) =>
        new Promise<{ status: number; body: string; socket: unknown }>((resolve, reject) => {
          const request = httpRequest(`${base}/api?token=${server.token}`, { method: 'POST', agent, headers }, (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text, socket: request.socket }));
          });
          request.on('error', reject);
          request.end(body);
        });
      const refused = await post(huge);
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body)).toEqual({ ok: false, error: `a request body is at most ${BODY_BYTES_MAX} bytes` });
      const after = await post(JSON.stringify({ type: 'peers' }));
      expect(after.status).toBe(200);
      expect(after.socket).toBe(refused.socket);
      // fetch (undici), as the window and scripts send it.
      const viaFetch = await fetch(`${base}/api?token=${server.token}`, { method: 'POST', body: huge });
      expect(viaFetch.status).toBe(413);
      // A client that asks first (`Expect: 100-continue`, as curl does) is refused before it sends the body.
      const asked = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
        let continued = false;
        const request = httpRequest(`${base}/api?token=${server.token}`, {
          method: 'POST',
          headers: { expect: '100-continue', 'content-length': String(Buffer.byteLength(huge)) },
        });
        request.on('continue', () => {
          continued = true;
          request.end(huge);
        });
        request.on('response', (response) => {
          response.resume();
          resolve({ status: response.statusCode ?? 0, continued });
          request.destroy();
        });
        request.on('error', reject);
      });
      expect(asked).toEqual({ status: 413, continued: false });
    } finally {
      agent.destroy();
    }
  });

  it('ends the TCP connection as soon as a WebSocket closing handshake is done', async () => {
    // A raw client that sends a close frame and keeps its own side open, as a browser may: the
    // server answers the close and then closes the connection, within a second, not after the
    // handshake's timeout. Writing to a connection the server closed gets a reset.
    const raw = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
    let received = Buffer.alloc(0);
    raw.on('data', (data: Buffer) => (received = Buffer.concat([received, data])));
    const ended = new Promise<number>((resolve) => raw.on('end', () => resolve(Date.now())));
    const reset = new Promise<number>((resolve) => raw.on('error', () => resolve(Date.now())));
    raw.write(
      `GET /api/ws?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await waitFor('the upgrade', () => received.includes('\r\n\r\n'), { timeoutMs: 5000 });
    expect(received.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    const mask = Buffer.from([1, 2, 3, 4]);
    const code = Buffer.from([0x03, 0xe8]).map((byte, index) => byte ^ mask[index % 4]!);
    const sentAt = Date.now();
    raw.write(Buffer.concat([Buffer.from([0x88, 0x80 | 2]), mask, code]));
    const endedAt = await ended;
    expect(endedAt - sentAt).toBeLessThan(1000);
    // The server's close frame (1000) came last, before its FIN.
    expect(received.subarray(-4)).toEqual(Buffer.from([0x88, 2, 0x03, 0xe8]));
    // Nothing of the connection is left on the server's side: a write now is refused.
    const probe = setInterval(() => raw.write(Buffer.from([0x89, 0x80, 0, 0, 0, 0])), 100);
    try {
      const resetAt = await Promise.race([reset, new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), 5000))]);
      expect(resetAt - sentAt).toBeLessThan(1000);
    } finally {
      clearInterval(probe);
      raw.destroy();
    }
  });

  it('starts peers, streams their events in batches, runs operations and exports the session', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${server.token}`);
    const batches: { at: number; batch: ApiEvents }[] = [];
    const replies = new Map<number, unknown>();
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data));
      const events = apiEventsSchema.safeParse(frame);
      if (events.success) batches.push({ at: Date.now(), batch: events.data });
      else {
        const reply = apiResponseSchema.parse(frame);
        replies.set(reply.id, reply);
      }
    });
    await new Promise((resolve) => socket.on('open', resolve));

    socket.send(JSON.stringify({ t: 'req', id: 1, command: { type: 'cluster.start', peers: 3 } }));
    const started = (await waitFor('the start to be answered', () => replies.get(1))) as { ok: boolean; result: { id: string }[] };
    expect(started.ok).toBe(true);
    expect(started.result).toHaveLength(3);
    const ids = started.result.map((peer) => peer.id);

    await waitFor('the ring to form', async () => (await command({ type: 'kv', op: 'put', key: 'k', value: 'v' })).json.ok);
    const read = await command({ type: 'kv', op: 'read', key: 'k', via: ids[2] });
    expect(read.json.ok).toBe(true);
    expect(read.json.result).toMatchObject({ ok: true, value: 'v', op: 'read' });

    const session = sessionInfoSchema.parse((await (await fetch(`${base}/api/session?token=${server.token}`)).json()));
    expect(session.peers.map((peer) => peer.state)).toEqual(['running', 'running', 'running']);

    await waitFor('events of all three peers to arrive', () => {
      const peers = new Set(batches.flatMap(({ batch }) => batch.entries.map((entry) => ('peer' in entry.event ? entry.event.peer : ''))));
      return ids.every((id) => peers.has(id));
    });
    // Entries in journal order (the batching interval itself is tested with fake timers in
    // test/unit/event-feed.test.ts: arrival times on a loaded machine say nothing about it).
    const seqs = batches.flatMap(({ batch }) => batch.entries.map((entry) => entry.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(batches.map(({ batch }) => batch.peers?.filter((peer) => peer.state === 'running').length ?? 0)).toContain(3);

    // The coordinator's event travels apart from its reply: wait for it before exporting.
    await waitFor('the read to reach the journal', () => manager.journal.entries().some((entry) => entry.event.kind === 'kv.result' && entry.event.op === 'read'));
    const exported = await fetch(`${base}/api/export/ndjson?token=${server.token}`);
    expect(exported.headers.get('content-disposition')).toContain('ringside-session.ndjson');
    const journal = parseJournal(await exported.text());
    expect(journal.refusedCount).toBe(0);
    expect(journal.entries.some((entry) => entry.event.kind === 'kv.result' && entry.event.key === 'k')).toBe(true);
    const dbg = await (await fetch(`${base}/api/export/dbg?token=${server.token}`)).text();
    expect(dbg.startsWith('131\n')).toBe(true);
    expect((await fetch(`${base}/api/export/pdf?token=${server.token}`)).status).toBe(404);
    socket.close();
  });
});
