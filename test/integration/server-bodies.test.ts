/**
 * Request bodies held at once are bounded across connections. Found by a hostile review: three
 * hundred slow clients each sending 3 MB (under the 4 MiB limit) and never finishing took the
 * manager to 993 MB. Now the bodies in progress hold at most 64 MiB together; a request that
 * would pass it gets 503 and its connection ends; once they go, the API answers as before.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterManager } from '../../src/main/cluster/manager.ts';
import type { ApiServer} from '../../src/main/server/server.ts';
import { BODIES_HELD_BYTES_MAX, BODY_BYTES_MAX } from '../../src/main/server/server.ts';
import { startApiServer, stopApiServer } from '../support/api-server.ts';
import { sleep } from '../support/cluster.ts';

let manager: ClusterManager;
let server: ApiServer;

beforeAll(async () => {
  ({ manager, server } = await startApiServer());
}, 60_000);

afterAll(() => stopApiServer({ manager, server }), 60_000);

describe('request bodies in progress', () => {
  it('hold at most the bound together: past it a request gets 503, and the API answers once they go', async () => {
    const each = BODY_BYTES_MAX - 1024;
    const clients = Math.ceil(BODIES_HELD_BYTES_MAX / each) + 4;
    const sockets: Socket[] = [];
    const replies: string[] = [];
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    for (let index = 0; index < clients; index++) {
      const socket = connect(server.port, server.host);
      socket.on('error', () => undefined);
      let reply = '';
      socket.on('data', (data) => (reply += String(data)));
      socket.on('close', () => replies.push(reply));
      socket.write(`POST /api?token=${server.token} HTTP/1.1\r\nHost: ${server.host}:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${BODY_BYTES_MAX}\r\n\r\n`);
      // All but the last KiB of a body under the limit, and then nothing more.
      for (let sent = 0; sent < each; sent += chunk.length) socket.write(chunk.subarray(0, Math.min(chunk.length, each - sent)));
      sockets.push(socket);
      await sleep(20);
    }
    await sleep(1500);
    const busy = replies.filter((reply) => reply.startsWith('HTTP/1.1 503'));
    expect(busy.length).toBeGreaterThanOrEqual(clients - Math.floor(BODIES_HELD_BYTES_MAX / each));
    for (const socket of sockets) socket.destroy();
    await sleep(300);
    const answer = await fetch(`http://${server.host}:${server.port}/api?token=${server.token}`, { method: 'POST', body: JSON.stringify({ type: 'peers' }), headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(200);
  }, 60_000);
});
