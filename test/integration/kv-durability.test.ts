/**
 * Issue 11 with real processes and a real Redis client (ioredis):
 * - the redis-cli scenario: SET k A through one peer, then SET k B through another, both answered
 *   +OK, then GET through a third must say B, for every key, in both directions and at tick
 *   lengths of 10, 100 and 1000 ms (a write used to keep A when the second coordinator's clock,
 *   in 100 ms ticks, was not ahead of the first's);
 * - durable peers: SIGKILL every peer of a five-peer cluster while a client writes, restart them
 *   all, and every acknowledged write reads back.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterManager, type PeerSummary } from '../../src/main/cluster/manager.ts';
import { converged, viewTable, waitFor } from '../support/cluster.ts';

const clients: Redis[] = [];
let manager: ClusterManager | undefined;

function redis(peer: PeerSummary): Redis {
  const client = new Redis({ host: '127.0.0.1', port: peer.redisPort, maxRetriesPerRequest: 0, enableOfflineQueue: true, retryStrategy: () => null });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

async function fivePeers(tickMs: number): Promise<{ manager: ClusterManager; peers: PeerSummary[] }> {
  manager = new ClusterManager({ tickMs });
  const peers = await manager.start(5);
  const ids = peers.map((peer) => peer.id);
  await waitFor('five peers to agree', () => converged(manager as ClusterManager, ids), { timeoutMs: 60_000, describe: () => viewTable(manager as ClusterManager) });
  // Each peer but the first joined the ring in a transition of its own: wait for all five to own keys.
  await waitFor(
    'five owners in every ring state',
    async () => (await Promise.all(ids.map(async (id) => (await (manager as ClusterManager).inspect(id, 0)).ring?.entries.filter((entry) => entry.status === 'normal').length === 5))).every(Boolean) || undefined,
    { timeoutMs: 60_000, describe: async () => Promise.all(ids.map(async (id) => (await (manager as ClusterManager).inspect(id, 0)).ring)) },
  );
  return { manager, peers };
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await manager?.shutdown({ graceful: false });
  manager = undefined;
}, 60_000);

describe('real-time order with real peers (the redis-cli scenario)', () => {
  for (const tickMs of [10, 100, 1000]) {
    it(`keeps the later write of every key, both directions, with ${tickMs} ms ticks`, async () => {
      const { peers } = await fivePeers(tickMs);
      const [one, two, three] = peers.map(redis) as [Redis, Redis, Redis];
      for (const [first, second, label] of [[one, two, 'peer 1 then peer 2'], [two, one, 'peer 2 then peer 1']] as const) {
        const kept: string[] = [];
        for (let index = 0; index < 60; index++) {
          const key = `${label}:${index}`;
          expect(await first.set(key, 'A')).toBe('OK');
          expect(await second.set(key, 'B')).toBe('OK');
          kept.push((await three.get(key)) ?? '(nil)');
        }
        expect(kept, label).toEqual(Array.from({ length: 60 }, () => 'B'));
      }
    }, 120_000);
  }
});

describe('durable peers', () => {
  it('loses no acknowledged write when every peer of five is killed with SIGKILL mid-write and restarted', async () => {
    const { manager, peers } = await fivePeers(50);
    const writer = redis(peers[0] as PeerSummary);
    const acknowledged = new Map<string, number>();
    const attempted = new Map<string, number>();
    for (let index = 0; index < 300; index++) {
      const key = `durable-${index % 100}`;
      attempted.set(key, index);
      // On a loaded machine a quorum can time out before the kills (a NOQUORUM, which may still
      // take effect): the write is tried again, and only an acknowledged one counts.
      let reply: string | undefined;
      for (let attempt = 0; reply === undefined && attempt < 5; attempt++) reply = await writer.set(key, String(index)).catch(() => undefined);
      expect(reply).toBe('OK');
      acknowledged.set(key, index);
    }
    // Writes keep going while every peer dies at once.
    let writing = true;
    const background = (async () => {
      for (let index = 300; writing && index < 100_000; index++) {
        const key = `durable-${index % 100}`;
        attempted.set(key, index);
        try {
          await writer.set(key, String(index));
          acknowledged.set(key, index);
        } catch {
          return;
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await Promise.all(peers.map((peer) => manager.kill(peer.id)));
    writing = false;
    await background;
    for (const peer of peers) expect(manager.peer(peer.id)?.state).toBe('killed');

    const restarted: PeerSummary[] = [];
    for (const peer of peers) restarted.push(await manager.restart(peer.id));
    const ids = restarted.map((peer) => peer.id);
    await waitFor('the restarted peers to agree', () => converged(manager, ids), { timeoutMs: 60_000, describe: () => viewTable(manager) });
    const inspection = await manager.inspect(ids[0] as string, 0);
    expect(inspection.ring?.storage).toBe('disk');
    expect(inspection.ring?.entries.filter((entry) => entry.status === 'normal')).toHaveLength(5);

    const reader = redis(restarted[2] as PeerSummary);
    const lost: string[] = [];
    for (const [key, value] of acknowledged) {
      const read = Number(await reader.get(key));
      // The acknowledged value, or a later write that was in flight when the peers died.
      if (!(read >= value && read <= (attempted.get(key) ?? value))) lost.push(`${key}: acknowledged ${value}, read ${read}`);
    }
    expect(lost).toEqual([]);
    expect(acknowledged.size).toBe(100);
  }, 120_000);
});
