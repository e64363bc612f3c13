/**
 * A real peer process under hostile input: garbage, truncated, oversized, binary and
 * unauthenticated frames on its WebSocket port, and garbage on its Redis port. Each is refused
 * and counted; the peer stays up and keeps answering.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterManager, type PeerSummary } from '../../src/main/cluster/manager.ts';
import { authProof, type PeerInspection } from '../../src/shared/protocol/control.ts';
import { sleep, waitFor } from '../support/cluster.ts';

let manager: ClusterManager;
let peer: PeerSummary;

beforeAll(async () => {
  manager = new ClusterManager({ tickMs: 50 });
  [peer] = (await manager.start(1)) as [PeerSummary];
}, 60_000);

afterAll(async () => {
  await manager?.shutdown({ timeoutMs: 5000 });
}, 60_000);

/** Opens a WebSocket to the peer and resolves with its first frame (the hello) parsed. */
function open(): Promise<{ socket: WebSocket; hello: { nonce: string; peer: string }; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${peer.id}/`, { perMessageDeflate: false, maxPayload: 64 * 1_048_576 });
    const closed = new Promise<number>((done) => socket.on('close', (code) => done(code)));
    socket.on('error', () => undefined);
    socket.once('message', (data) => resolve({ socket, hello: JSON.parse(String(data)), closed }));
    socket.once('error', reject);
  });
}

/** A connection that has proven the cluster's secret, as a peer named `id`. */
async function authenticated(id: string): Promise<WebSocket> {
  const { socket, hello } = await open();
  const nonce = randomBytes(16).toString('hex');
  socket.send(JSON.stringify({ t: 'auth', role: 'peer', id, nonce, proof: authProof(manager.secret, hello.nonce, nonce, 'peer', id) }));
  await new Promise((resolve) => socket.once('message', resolve)); // the welcome
  return socket;
}

async function inspect(): Promise<PeerInspection> {
  return manager.inspect(peer.id);
}

function redisExchange(bytes: Buffer | string, waitMs = 300): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(peer.redisPort, '127.0.0.1');
    let reply = '';
    let closed = false;
    socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.write(bytes);
    setTimeout(() => {
      socket.destroy();
      resolve({ reply, closed });
    }, waitMs);
  });
}

describe('a peer under hostile input', () => {
  it('closes a connection whose first frame is not a handshake, and one with a wrong secret', async () => {
    const before = (await inspect()).counters.transport;
    const garbage = await open();
    garbage.socket.send('GET / HTTP/1.1 garbage');
    expect(await garbage.closed).toBe(4001);

    const wrong = await open();
    const nonce = randomBytes(16).toString('hex');
    wrong.socket.send(JSON.stringify({ t: 'auth', role: 'control', nonce, proof: authProof('not the cluster secret at all', wrong.hello.nonce, nonce, 'control', undefined) }));
    expect(await wrong.closed).toBe(4001);

    const after = (await inspect()).counters.transport;
    expect(after.connectionsRefused - before.connectionsRefused).toBe(2);
    expect((after.framesRefused['unauthenticated'] ?? 0) - (before.framesRefused['unauthenticated'] ?? 0)).toBe(2);
  });

  it('refuses garbage, truncated, unknown, binary and oversized frames from an authenticated peer, and stays up', async () => {
    const before = await inspect();
    const socket = await authenticated('127.0.0.1:1');
    socket.send('this is not json');
    socket.send('{"type":"swim.ping","seq":');
    socket.send('{"type":"evil.message"}');
    socket.send('{"type":"swim.ping","seq":"not a number"}');
    socket.send(Buffer.from([0, 1, 2, 3]), { binary: true });
    await waitFor('the four text frames to be refused', async () => {
      const now = await inspect();
      return now.counters.kv['messagesRejected'] === (before.counters.kv['messagesRejected'] ?? 0) + 4;
    });
    const closed = new Promise<number>((done) => socket.on('close', (code) => done(code)));
    socket.send('x'.repeat(9 * 1_048_576));
    expect(await closed).toBe(1009); // "message too big"

    const after = await inspect();
    expect(after.status).toBe('member');
    expect((after.counters.transport.framesRefused['malformed'] ?? 0) - (before.counters.transport.framesRefused['malformed'] ?? 0)).toBe(1);
    expect((after.counters.transport.framesRefused['oversize'] ?? 0) - (before.counters.transport.framesRefused['oversize'] ?? 0)).toBe(1);
    const reasons = (): Set<string> => new Set(manager.journal.entries().flatMap((entry) => (entry.event.kind === 'message.rejected' ? [entry.event.reason] : [])));
    await waitFor('every refusal to reach the journal', () => ['malformed', 'unknown-type', 'invalid', 'oversize', 'unauthenticated'].every((reason) => reasons().has(reason)), {
      timeoutMs: 10_000,
      describe: () => [...reasons()],
    });
  });

  it('answers garbage on the Redis port with Redis errors and keeps serving', async () => {
    const before = (await inspect()).counters.redis;
    const inline = await redisExchange('\u0001\u0002 garbage here\r\n');
    expect(inline.reply.startsWith("-ERR unknown command '\u0001\u0002', with args beginning with: 'garbage' 'here'")).toBe(true);

    const broken = await redisExchange('*abc\r\n');
    expect(broken.reply).toMatch(/^-ERR Protocol error: /);
    expect(broken.closed).toBe(true);

    // Not an array of bulk strings, and a nested array (Redis's words for both).
    const integer = await redisExchange('*1\r\n:5\r\n');
    expect(integer).toEqual({ reply: "-ERR Protocol error: expected '$', got ':'\r\n", closed: true });
    const nested = await redisExchange('*1\r\n'.repeat(200_000), 1000);
    expect(nested.reply).toBe("-ERR Protocol error: expected '$', got '*'\r\n");
    expect(nested.closed).toBe(true);

    const truncated = await redisExchange('*3\r\n$3\r\nSET\r\n$1\r\nk');
    expect(truncated.reply).toBe('');

    const unknown = await redisExchange('*2\r\n$8\r\nFLUSHALL\r\n$5\r\nASYNC\r\n');
    expect(unknown.reply).toBe("-ERR unknown command 'flushall', with args beginning with: 'ASYNC' \r\n");

    const arity = await redisExchange('*1\r\n$3\r\nGET\r\n');
    expect(arity.reply).toBe("-ERR wrong number of arguments for 'get' command\r\n");

    // Alone, the peer has no ring (N = 3): a clear error, not a hang.
    const alone = await redisExchange('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
    expect(alone.reply).toMatch(/^-CLUSTERDOWN no ring here/);

    // What redis-benchmark asks first: nothing here is saved to disk.
    const config = await redisExchange('*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n');
    expect(config.reply).toBe('*2\r\n$4\r\nsave\r\n$0\r\n\r\n');

    const ping = await redisExchange('*1\r\n$4\r\nPING\r\n');
    expect(ping.reply).toBe('+PONG\r\n');
    await sleep(50);
    const after = (await inspect()).counters.redis;
    expect(after.protocolErrors - before.protocolErrors).toBe(3);
    expect(after.connections - before.connections).toBe(10);
    expect(manager.peer(peer.id)?.state).toBe('running');
  });
});
