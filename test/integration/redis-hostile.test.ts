/**
 * Real peer processes' Redis fronts under hostile requests and with passwords. Before issue 12,
 * about 600 bytes (`*9999999\r\n` sixty times) took a peer to 4.2 GB and SIGABRT, and 30 bytes
 * (three nested `*9999999`) cost 237 MB: the parser allocated what a request declared. Here the
 * same bytes, on many connections, are answered with Redis's error and cost almost nothing.
 *
 * Pipelines through a 3-peer cluster: a connection's commands ran all at once, so `SET k v1; GET
 * k` in one write read nothing, and 2,000 pipelined GETs of a 1 MB value (52 KB sent) left the
 * whole cluster unanswering for ~25 s. Now they run in order, one at a time.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterManager, type PeerSummary } from '../../src/main/cluster/manager.ts';
import { DEFAULT_PEER_ENTRY, spawnPeer, type SpawnedPeer } from '../../src/main/cluster/spawn.ts';
import { encodeRequest } from '../../src/peer/redis-request.ts';
import { sleep, waitFor } from '../support/cluster.ts';

/** What the whole attack may add to the peer's resident memory. */
const RSS_GROWTH_BYTES_MAX = 64 * 1_048_576;

/** Resident memory of a process, from /proc (Linux). */
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  if (line === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) * 1024;
}

/**
 * Sends `bytes` (each piece as it comes) on a new connection to `port`; resolves with the
 * replies once the connection closes or `waitMs` passed, and whether the peer closed it.
 */
function exchange(port: number, bytes: string | Buffer | readonly (string | Buffer)[], waitMs = 400): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    let closed = false;
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply, closed });
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.on('error', () => undefined);
    for (const piece of Array.isArray(bytes) ? bytes : [bytes]) socket.write(piece);
  });
}

/** Opens `count` connections that each send `bytes` and stay open; returns a function closing them all. */
async function holdOpen(port: number, count: number, bytes: string | Buffer): Promise<{ replies: () => string[]; closeAll: () => void }> {
  const sockets = await Promise.all(
    Array.from({ length: count }, () => new Promise<{ socket: ReturnType<typeof connect>; reply: { text: string } }>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const reply = { text: '' };
      socket.on('data', (chunk) => (reply.text += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.once('connect', () => socket.write(bytes, () => resolve({ socket, reply })));
    })),
  );
  return { replies: () => sockets.map(({ reply }) => reply.text), closeAll: () => sockets.forEach(({ socket }) => socket.destroy()) };
}

describe('a peer process whose Redis port is attacked', () => {
  let manager: ClusterManager;
  let peer: PeerSummary;

  beforeAll(async () => {
    manager = new ClusterManager({ tickMs: 50, storage: 'memory' });
    [peer] = (await manager.start(1)) as [PeerSummary];
  }, 60_000);

  afterAll(async () => {
    await manager?.shutdown({ timeoutMs: 5000 });
  }, 60_000);

  it('answers `*9999999` sent sixty times, and three nested ones (30 bytes), on 200 connections with an error, stays up, and its memory barely grows', async () => {
    const pid = peer.pid as number;
    expect((await exchange(peer.redisPort, 'PING\r\n')).reply).toBe('+PONG\r\n');
    const before = rssBytes(pid);
    const sixty = '*9999999\r\n'.repeat(60);
    const nested = '*9999999\r\n'.repeat(3);
    expect(nested.length).toBe(30);
    for (let round = 0; round < 4; round++) {
      const replies = await Promise.all(Array.from({ length: 50 }, (_, index) => exchange(peer.redisPort, index % 2 === 0 ? sixty : nested, 3000)));
      for (const reply of replies) expect(reply).toEqual({ reply: '-ERR Protocol error: invalid multibulk length\r\n', closed: true });
    }
    // Declared counts and lengths within the limits, held open: only what was sent is held.
    const counts = await holdOpen(peer.redisPort, 300, `*65536\r\n$4194000\r\n${'x'.repeat(1000)}`);
    const bulks = await holdOpen(peer.redisPort, 300, '*2\r\n$3\r\nSET\r\n$1048576\r\nabc');
    const nestedBig = await holdOpen(peer.redisPort, 100, '*1\r\n*9999999\r\n*9999999\r\n');
    await sleep(300);
    const during = rssBytes(pid);
    expect(nestedBig.replies().every((reply) => reply === "-ERR Protocol error: expected '$', got '*'\r\n")).toBe(true);
    expect(counts.replies().every((reply) => reply === '')).toBe(true);
    counts.closeAll();
    bulks.closeAll();
    nestedBig.closeAll();
    await sleep(200);
    expect((await exchange(peer.redisPort, 'PING\r\n')).reply).toBe('+PONG\r\n');
    expect(manager.peer(peer.id)?.state).toBe('running');
    const after = rssBytes(pid);
    expect(Math.max(during, after) - before, `RSS ${before} → ${during} (attack held open) → ${after} bytes`).toBeLessThan(RSS_GROWTH_BYTES_MAX);
  }, 60_000);

  it('answers `$abc`, `$4\\r\\nPINGxx` and `*0` as specified, and PING after `*0` on the same connection', async () => {
    expect(await exchange(peer.redisPort, '$abc\r\n')).toEqual({ reply: "-ERR unknown command '$abc', with args beginning with: \r\n", closed: false });
    expect(await exchange(peer.redisPort, '*1\r\n$abc\r\n')).toEqual({ reply: '-ERR Protocol error: invalid bulk length\r\n', closed: true });
    expect(await exchange(peer.redisPort, '*1\r\n$4\r\nPINGxx\r\n')).toEqual({ reply: '-ERR Protocol error: expected CRLF after bulk data\r\n', closed: true });
    expect(await exchange(peer.redisPort, ['*0\r\n', '*-1\r\n', '*1\r\n$4\r\nPING\r\n'])).toEqual({ reply: '+PONG\r\n', closed: false });
    expect(await exchange(peer.redisPort, '*1\r\n*1\r\n')).toEqual({ reply: "-ERR Protocol error: expected '$', got '*'\r\n", closed: true });
    expect(await exchange(peer.redisPort, 'ECHO "quoted words"\r\nECHO "unbalanced\r\n')).toEqual({ reply: '$12\r\nquoted words\r\n-ERR Protocol error: unbalanced quotes in request\r\n', closed: true });
  });
});

describe('ringside peer with a Redis password', () => {
  const folder = mkdtempSync(join(tmpdir(), 'ringside-redis-auth-'));
  const secret = randomBytes(24).toString('hex');
  const password = 'correct horse battery staple';
  const spawned: SpawnedPeer[] = [];
  const stderr: string[][] = [];

  async function start(args: readonly string[]): Promise<{ info: SpawnedPeer['info']; stderr: string[] }> {
    const lines: string[] = [];
    const peer = await spawnPeer({ entry: DEFAULT_PEER_ENTRY, args: ['--listen', '127.0.0.1:0', '--memory', '--tick-ms', '50', ...args], secret, onStderr: (line) => lines.push(line) });
    spawned.push(peer);
    stderr.push(lines);
    return { info: peer.info, stderr: lines };
  }

  afterAll(async () => {
    await Promise.all(
      spawned.map(({ child }) => new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      })),
    );
    rmSync(folder, { recursive: true, force: true });
  });

  it('asks for AUTH, refuses a wrong password, and lets redis-cli-like and ioredis clients in with the right one', async () => {
    const file = join(folder, 'redis-password');
    writeFileSync(file, `  ${password}\n`, { mode: 0o600 });
    const { info, stderr: lines } = await start(['--redis-password-file', file]);
    await sleep(100);
    expect(lines.join('\n')).toContain(`Redis front on 127.0.0.1:${info.redisPort} (password from --redis-password-file)`);
    const port = info.redisPort;
    expect((await exchange(port, 'PING\r\nSET k v\r\n')).reply).toBe('-NOAUTH Authentication required.\r\n'.repeat(2));
    expect((await exchange(port, encodeRequest(['AUTH', 'not the password']))).reply).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    expect((await exchange(port, encodeRequest(['AUTH', 'alice', password]))).reply).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    // redis-cli -a PASSWORD: AUTH first, then the command, on one connection.
    expect((await exchange(port, Buffer.concat([encodeRequest(['AUTH', password]), encodeRequest(['PING'])]))).reply).toBe('+OK\r\n+PONG\r\n');
    expect((await exchange(port, Buffer.concat([encodeRequest(['AUTH', 'default', password]), encodeRequest(['ECHO', 'hi'])]))).reply).toBe('+OK\r\n$2\r\nhi\r\n');
    const hello = await exchange(port, encodeRequest(['HELLO', '2', 'AUTH', 'default', password]));
    expect(hello.reply).toMatch(/^\*12\r\n\$6\r\nserver\r\n/);
    // Before AUTH, Redis's tighter limits: 10 elements, 16 KiB a string.
    expect(await exchange(port, '*11\r\n')).toEqual({ reply: '-ERR Protocol error: unauthenticated multibulk length\r\n', closed: true });
    const info2 = await exchange(port, Buffer.concat([encodeRequest(['AUTH', password]), encodeRequest(['INFO'])]));
    expect(info2.reply).toContain(`process_id:${info.pid}`);
    expect(info2.reply).not.toContain(password);

    const client = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    await expect(client.get('k')).rejects.toThrow(/CLUSTERDOWN/); // alone: no ring, but let in
    client.disconnect();
  });

  it('on a non-loopback host with no password given, takes the cluster secret as the password, and says so', async () => {
    const { info, stderr: lines } = await start(['--redis-host', '0.0.0.0']);
    await sleep(100);
    expect(lines.join('\n')).toContain(`Redis front on 0.0.0.0:${info.redisPort} (password: the cluster secret, as the front is not on loopback`);
    expect((await exchange(info.redisPort, 'PING\r\n')).reply).toBe('-NOAUTH Authentication required.\r\n');
    expect((await exchange(info.redisPort, Buffer.concat([encodeRequest(['AUTH', secret]), encodeRequest(['PING'])]))).reply).toBe('+OK\r\n+PONG\r\n');
  });

  it('on loopback with no password, lets clients in without AUTH, as before', async () => {
    const { info, stderr: lines } = await start([]);
    await sleep(100);
    expect(lines.join('\n')).toContain(`Redis front on 127.0.0.1:${info.redisPort} (no password)`);
    expect((await exchange(info.redisPort, 'PING\r\n')).reply).toBe('+PONG\r\n');
  });
});

/**
 * Sends `bytes` on a new connection and resolves with the replies once `done` holds for them
 * (or, failing, after `waitMs`, with what came).
 */
function exchangeUntil(port: number, bytes: Buffer, done: (reply: string) => boolean, waitMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (done(reply)) finish();
    });
    socket.on('close', finish);
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

describe('a 3-peer cluster whose Redis clients pipeline', () => {
  let manager: ClusterManager;
  let peers: PeerSummary[];

  beforeAll(async () => {
    manager = new ClusterManager({ tickMs: 50, storage: 'memory' });
    peers = await manager.start(3);
    for (const peer of peers) {
      await waitFor(`a ring at ${peer.id}`, async () => (await exchange(peer.redisPort, encodeRequest(['SET', 'ready', 'yes']), 1000)).reply === '+OK\r\n', { timeoutMs: 30_000 });
    }
  }, 60_000);

  afterAll(async () => {
    await manager?.shutdown({ timeoutMs: 5000 });
  }, 60_000);

  it('SET k v1; GET k; SET k v2; GET k; DEL k; EXISTS k in one write reads its own writes, on every peer', async () => {
    const expected = '+OK\r\n$2\r\nv1\r\n+OK\r\n$2\r\nv2\r\n:1\r\n:0\r\n';
    for (let round = 0; round < 9; round++) {
      const key = `order-${round}`;
      const peer = peers[round % peers.length] as PeerSummary;
      const wire = Buffer.concat([encodeRequest(['SET', key, 'v1']), encodeRequest(['GET', key]), encodeRequest(['SET', key, 'v2']), encodeRequest(['GET', key]), encodeRequest(['DEL', key]), encodeRequest(['EXISTS', key])]);
      expect(await exchangeUntil(peer.redisPort, wire, (reply) => reply.length >= expected.length, 5000), `round ${round} on ${peer.id}`).toBe(expected);
    }
    // SET v1; SET v2; DEL, then a GET on another connection: nothing left.
    const [first, second] = peers as [PeerSummary, PeerSummary];
    const writes = Buffer.concat([encodeRequest(['SET', 'order-last', 'v1']), encodeRequest(['SET', 'order-last', 'v2']), encodeRequest(['DEL', 'order-last'])]);
    expect(await exchangeUntil(first.redisPort, writes, (reply) => reply.length >= 14, 5000)).toBe('+OK\r\n+OK\r\n:1\r\n');
    expect(await exchangeUntil(second.redisPort, encodeRequest(['GET', 'order-last']), (reply) => reply.endsWith('\r\n'), 5000)).toBe('$-1\r\n');
  }, 60_000);

  it('2,000 pipelined GETs of a 1 MB value on one connection leave PING and GET answered within 2 s on another peer, and the attacked peer holds bounded memory', async () => {
    const [attacked, other, third] = peers as [PeerSummary, PeerSummary, PeerSummary];
    const value = Buffer.alloc(1_000_000, 0x62);
    expect(await exchangeUntil(attacked.redisPort, encodeRequest(['SET', 'readamp', value]), (reply) => reply.endsWith('\r\n'), 10_000)).toBe('+OK\r\n');
    const pid = attacked.pid as number;
    const before = rssBytes(pid);
    // One client that reads its replies, one that reads none.
    const batch = Buffer.concat(Array.from({ length: 2000 }, () => encodeRequest(['GET', 'readamp'])));
    expect(batch.length).toBeLessThan(60_000);
    const attackers = await Promise.all(
      [true, false].map((reads) => new Promise<{ socket: ReturnType<typeof connect>; received: () => number }>((resolve) => {
        const socket = connect(attacked.redisPort, '127.0.0.1');
        let received = 0;
        socket.on('error', () => undefined);
        if (reads) socket.on('data', (chunk) => (received += chunk.length));
        else socket.pause();
        socket.once('connect', () => socket.write(batch, () => resolve({ socket, received: () => received })));
      })),
    );
    const probe = encodeRequest(['PING']);
    const probeGet = encodeRequest(['GET', 'probe']);
    let rssMax = before;
    const latencies: number[] = [];
    const began = Date.now();
    try {
      while (Date.now() - began < 8000) {
        for (const peer of [other, third]) {
          for (const [request, answer] of [[probe, '+PONG\r\n'], [probeGet, '$-1\r\n']] as const) {
            const sent = Date.now();
            const reply = await exchangeUntil(peer.redisPort, request, (text) => text.endsWith('\r\n'), 2000);
            latencies.push(Date.now() - sent);
            expect(reply, `${peer.id} after ${sent - began} ms`).toBe(answer);
          }
        }
        rssMax = Math.max(rssMax, rssBytes(pid));
        await sleep(200);
      }
      // The attacker that reads gets its replies, in order, one after another.
      expect(attackers[0]?.received()).toBeGreaterThan(10 * value.length);
    } finally {
      for (const { socket } of attackers) socket.destroy();
    }
    expect(Math.max(...latencies), `probe latencies ${latencies.join(' ')} ms`).toBeLessThan(2000);
    expect(rssMax - before, `RSS ${before} → at most ${rssMax} bytes`).toBeLessThan(RSS_GROWTH_BYTES_MAX * 2);
    expect((await exchange(attacked.redisPort, 'PING\r\n')).reply).toBe('+PONG\r\n');
  }, 60_000);

  it('DEL of 3,000 keys that are not there answers :0, not NOQUORUM, and the other peers go on answering', async () => {
    const [attacked, other] = peers as [PeerSummary, PeerSummary];
    const keys = Array.from({ length: 3000 }, (_, index) => `del-absent-${index}`);
    const reply = exchangeUntil(attacked.redisPort, encodeRequest(['DEL', ...keys]), (text) => text.endsWith('\r\n'), 50_000);
    let done = false;
    void reply.then(() => (done = true));
    while (!done) {
      const sent = Date.now();
      expect(await exchangeUntil(other.redisPort, encodeRequest(['GET', 'probe']), (text) => text.endsWith('\r\n'), 2000)).toBe('$-1\r\n');
      expect(Date.now() - sent).toBeLessThan(2000);
      await sleep(200);
    }
    expect(await reply).toBe(':0\r\n');
  }, 60_000);
});
