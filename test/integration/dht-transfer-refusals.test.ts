/**
 * A DHT peer's port takes a file only when it asked for it, and only as announced: a `file`
 * connection with an unrequested file, too many bytes or too few is refused with a reason, and no
 * file (whole or partial) stays in the folder. A key-value peer's transport refuses file
 * connections altogether.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DhtPeerProcess } from '../../src/peer/dht/peer-process.ts';
import { dial } from '../../src/peer/handshake.ts';
import { generateSecret } from '../../src/peer/secret.ts';
import { WsTransport } from '../../src/peer/transport.ts';
import { freePortBase } from '../support/p2p-peers.ts';

const secret = generateSecret();
let folder: string;
let portBase: number;
let peer: DhtPeerProcess;
const said: string[] = [];

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'ringside-dht-refusals-'));
  portBase = await freePortBase([2, 7]);
  peer = await DhtPeerProcess.start({
    identity: 2,
    start: { type: 'dht.init', first: 7, second: 7 },
    host: '127.0.0.1',
    portBase,
    tickMs: 100,
    config: { pingIntervalTicks: 600 },
    secret,
    folder,
    onLine: (text) => said.push(text),
    onNote: () => undefined,
  });
});

afterAll(async () => {
  await peer.kill();
  rmSync(folder, { recursive: true, force: true });
});

/** A `file` connection to peer 2, as peer 7 would open it. */
async function fileConnection(): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const { socket } = await dial(`127.0.0.1:${portBase + 2}`, { secret, role: 'file', id: `127.0.0.1:${portBase + 7}`, maxPayload: 4096 });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { socket, closed };
}

describe('file connections a DHT peer refuses', () => {
  it('a file it did not request', async () => {
    const { socket, closed } = await fileConnection();
    socket.send(JSON.stringify({ t: 'file', file: '0007', extension: '.pdf', bytes: 3 }));
    socket.send(Buffer.from('abc'));
    socket.send(JSON.stringify({ t: 'end' }));
    expect(await closed).toEqual({ code: 4003, reason: 'it did not request File 0007' });
    expect(readdirSync(folder)).toEqual([]);
    expect(said.filter((line) => line.includes('0007'))).toEqual([]);
  });

  it('more bytes than announced, or fewer, and says so at the requester; an extension that is a path', async () => {
    peer.type('Request 0007');
    for (const [bytes, sent, reason] of [
      [2, 'abc', 'more bytes than the 2 announced'],
      [4, 'abc', 'the file ended after 3 of the 4 bytes announced'],
    ] as const) {
      const { socket, closed } = await fileConnection();
      socket.send(JSON.stringify({ t: 'file', file: '0007', extension: '.pdf', bytes }));
      socket.send(Buffer.from(sent));
      socket.send(JSON.stringify({ t: 'end' }));
      expect(await closed).toEqual({ code: 4003, reason });
      // Pings go on meanwhile: wait for the line itself rather than read the last one.
      const line = `Receiving File 0007 from Peer 7 failed: ${reason}; nothing was saved`;
      await expect.poll(() => said.includes(line)).toBe(true);
    }
    const { socket, closed } = await fileConnection();
    socket.send(JSON.stringify({ t: 'file', file: '0007', extension: '/../../x', bytes: 1 }));
    expect(await closed).toEqual({ code: 4003, reason: 'the first frame must say which file follows' });
    // No partial file was left behind.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readdirSync(folder)).toEqual([]);
  });

  it('a key-value peer\'s transport closes file connections', async () => {
    const transport = await WsTransport.listen({ host: '127.0.0.1', port: 0, secret, messageBytesMax: 4096, onMessage: () => undefined, onControl: () => undefined, onRefused: () => undefined });
    try {
      const { socket } = await dial(`127.0.0.1:${transport.port}`, { secret, role: 'file', id: '127.0.0.1:1', maxPayload: 4096 });
      const code = await new Promise<number>((resolve) => socket.on('close', (closeCode) => resolve(closeCode)));
      expect(code).toBe(4000);
    } finally {
      await transport.close();
    }
  });
});
