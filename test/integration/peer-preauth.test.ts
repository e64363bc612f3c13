/**
 * Before the handshake a stranger gets little: one small frame per connection and a bounded
 * number of connections in their handshake. Reproduced before: 30 unauthenticated connections
 * each sending an 8 MiB frame took a peer from 126 to 407 MB. Now each such frame closes its
 * connection (1009, message too big) after at most a few KiB; connections beyond the bound are
 * closed at once; the peer's memory stays put and its own peers and clients still get in.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterManager, type PeerSummary } from '../../src/main/cluster/manager.ts';
import { dial } from '../../src/peer/handshake.ts';
import { advertisedHost, HANDSHAKE_FRAME_BYTES_MAX, UNAUTHENTICATED_CONNECTIONS_MAX } from '../../src/peer/transport.ts';
import { sleep, waitFor } from '../support/cluster.ts';

let manager: ClusterManager;
let peer: PeerSummary;

beforeAll(async () => {
  manager = new ClusterManager({ tickMs: 50, redis: false });
  [peer] = (await manager.start(1)) as [PeerSummary];
}, 60_000);

afterAll(async () => {
  await manager?.shutdown({ timeoutMs: 5000 });
}, 60_000);

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((text) => text.startsWith('VmRSS:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? 0) / 1024;
}

/** A WebSocket to the peer that waits for the hello; resolves with it and its close code. */
function stranger(): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${peer.id}/`, { perMessageDeflate: false });
    const closed = new Promise<number>((done) => socket.on('close', (code) => done(code)));
    socket.on('error', () => undefined);
    socket.once('message', () => resolve({ socket, closed }));
    socket.once('error', reject);
    socket.once('close', () => resolve({ socket, closed }));
  });
}

describe('a peer before the handshake', () => {
  it('closes a connection whose first frame is larger than a handshake, holding almost nothing', async () => {
    const pid = peer.pid as number;
    const before = rssMb(pid);
    const strangers = await Promise.all(Array.from({ length: 30 }, () => stranger()));
    const big = Buffer.alloc(8 * 1_048_576, 0x61);
    for (const { socket } of strangers) socket.send(big);
    const codes = await Promise.all(strangers.map(({ closed }) => closed));
    // The peer drops each connection once it has read the frame's header: 1009 (message too
    // big) when its close frame arrives first, 1006 when only the reset does.
    for (const code of codes) expect([1006, 1009]).toContain(code);
    await sleep(500);
    const after = rssMb(pid);
    // Before the fix this grew by 214 MB here (30 frames of 8 MiB buffered whole); after it,
    // by a few MB.
    expect(after - before).toBeLessThan(16);
    // A frame of handshake size is still fine: a wrong one is refused for what it is.
    const small = await stranger();
    small.socket.send('x'.repeat(HANDSHAKE_FRAME_BYTES_MAX - 1));
    expect(await small.closed).toBe(4001);
  }, 60_000);

  it('holds at most the bound in their handshake, closing the oldest, so strangers holding every slot cannot lock a client out', async () => {
    const held: WebSocket[] = [];
    const closes: Promise<number>[] = [];
    for (let index = 0; index < UNAUTHENTICATED_CONNECTIONS_MAX + 20; index++) {
      const { socket, closed } = await stranger();
      held.push(socket);
      closes.push(closed);
    }
    // The first 20 made room for the last 20 (an abrupt close: 1006 on this side).
    const early = await Promise.race([Promise.all(closes.slice(0, 20)), sleep(3000).then(() => 'timeout' as const)]);
    expect(early).not.toBe('timeout');
    const inspection = await waitFor('the oldest closed', async () => {
      const seen = await manager.inspect(peer.id);
      return (seen.counters.transport.connectionsRefused ?? 0) >= 20 ? seen : undefined;
    });
    expect(inspection.counters.transport.connectionsRefused).toBeGreaterThanOrEqual(20);
    // Strangers keep every slot taken, reopening each one that closes; a real client dialing
    // meanwhile (a fresh handshake each time) still gets in, every time.
    let attacking = true;
    const reopen = async (): Promise<void> => {
      while (attacking) {
        const { closed } = await stranger().catch(() => ({ closed: Promise.resolve(0) }));
        await Promise.race([closed, sleep(2000)]);
      }
    };
    const attackers = Array.from({ length: UNAUTHENTICATED_CONNECTIONS_MAX }, () => reopen());
    try {
      for (let attempt = 0; attempt < 10; attempt++) {
        const { socket } = await dial(peer.id, { secret: manager.secret, role: 'control', maxPayload: 1_048_576 });
        socket.terminate();
        await sleep(100);
      }
    } finally {
      attacking = false;
      for (const socket of held) socket.terminate();
    }
    await Promise.race([Promise.all(attackers), sleep(5000)]);
    expect((await manager.inspect(peer.id)).id).toBe(peer.id);
  }, 60_000);

  it('answers plain HTTP with 426 and gives up on a silent connection', async () => {
    const [host, port] = [peer.id.split(':')[0] as string, Number(peer.id.split(':')[1])];
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(port, host);
      let text = '';
      socket.on('data', (chunk) => (text += String(chunk)));
      socket.on('close', () => resolve(text));
      socket.write(`GET / HTTP/1.1\r\nHost: ${peer.id}\r\n\r\n`);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 426 /);
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const socket = connect(port, host);
      socket.on('close', () => resolve());
      socket.on('error', () => undefined);
      socket.resume();
      socket.write('GET / HTTP/1.1\r\n'); // and never the rest
    });
    // 5 s for the headers, checked every second (Node's default: 60 s, checked every 30 s).
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 60_000);
});

describe('the address a peer advertises', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '00:00:00:00:00:00', cidr: '127.0.0.1/8' }],
    eth0: [{ address: '10.1.2.3', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '02:00:00:00:00:01', cidr: '10.1.2.3/24' }],
  } as const;

  it('is never an unspecified address', () => {
    expect(advertisedHost('127.0.0.1')).toBe('127.0.0.1');
    expect(advertisedHost('0.0.0.0', undefined, interfaces as never)).toBe('10.1.2.3');
    expect(advertisedHost('::', undefined, interfaces as never)).toBe('10.1.2.3');
    expect(advertisedHost('0.0.0.0', 'peer1.example', interfaces as never)).toBe('peer1.example');
    expect(() => advertisedHost('0.0.0.0', '0.0.0.0')).toThrow(/not an address other peers can dial/);
    expect(() => advertisedHost('0.0.0.0', undefined, { lo: interfaces.lo } as never)).toThrow(/--advertise/);
  });
});
