/**
 * Five real peer processes over WebSockets, driven through the cluster manager and a real Redis
 * client library (ioredis): join, write, crash (the crashed peer stays an owner until an operator
 * removes it), leave, partition and heal with strict quorums, and the session journal and its
 * exports.
 *
 * Ticks are 50 ms here (100 ms by default) so failure detection takes seconds, not tens of them;
 * every protocol timeout is in ticks, so the behaviour is the same, only faster.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterManager, type PeerSummary } from '../../src/main/cluster/manager.ts';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import { Ring } from '../../src/shared/ring/ring.ts';
import { parseJournal } from '../../src/shared/journal/session.ts';
import { converged, everyView, replicaMap, viewTable, waitFor } from '../support/cluster.ts';

const TICK_MS = 50;
const KEYS = 200;

describe('a five-peer cluster of real processes', () => {
  let folder: string;
  let manager: ClusterManager;
  let peers: PeerSummary[];
  const clients: Redis[] = [];

  const redis = (peer: PeerSummary): Redis => {
    const client = new Redis({ host: '127.0.0.1', port: peer.redisPort, maxRetriesPerRequest: 0, enableOfflineQueue: true, lazyConnect: false });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'ringside-it-'));
    manager = new ClusterManager({ tickMs: TICK_MS, journalPath: join(folder, 'session.ndjson') });
    peers = await manager.start(5);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await manager?.shutdown({ timeoutMs: 5000 });
    rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  it('starts five peers that all agree on the membership', async () => {
    expect(peers).toHaveLength(5);
    expect(new Set(peers.map((peer) => peer.redisPort)).size).toBe(5);
    const ids = peers.map((peer) => peer.id);
    await waitFor('every peer to see all five alive', () => converged(manager, ids), { timeoutMs: 30_000, describe: () => viewTable(manager) });
    // Started whole: each peer was told the others, so the ring has all five from the start, with no ring change.
    for (const [, state] of await manager.ringStates()) {
      expect(state.entries.map((entry) => [entry.peer, entry.status, entry.stamp])).toEqual([...ids].sort().map((id) => [id, 'normal', 0]));
      expect(state.transition).toBeUndefined();
    }
  });

  it('writes 200 keys through the Redis front, survives a SIGKILL, restores three live replicas once the dead peer is removed, and marks a graceful stop as left', async () => {
    const [first, second, third, fourth, victim] = peers as [PeerSummary, PeerSummary, PeerSummary, PeerSummary, PeerSummary];
    const writer = redis(first);
    for (let index = 0; index < KEYS; index++) expect(await writer.set(`key-${index}`, `value-${index}`)).toBe('OK');
    expect(await writer.get('key-7')).toBe('value-7');
    expect(await writer.exists('key-1', 'key-2', 'no-such-key')).toBe(2);

    await manager.kill(victim.id);
    expect(manager.peer(victim.id)?.state).toBe('killed');

    // Every key still reads correctly, through another peer, right after the crash (R = 2 of 3).
    const reader = redis(second);
    const values = await Promise.all(Array.from({ length: KEYS }, (_, index) => reader.get(`key-${index}`)));
    expect(values).toEqual(Array.from({ length: KEYS }, (_, index) => `value-${index}`));

    const survivors = [first.id, second.id, third.id, fourth.id];
    await waitFor('every survivor to mark the killed peer failed', () => everyView(manager, survivors, victim.id, ['dead']), { timeoutMs: 60_000, describe: () => viewTable(manager) });
    // A failure is not a departure: the dead peer still owns its keys, and writes to them go on.
    expect((await manager.inspect(first.id)).ring?.entries.find((entry) => entry.peer === victim.id)?.status).toBe('normal');
    expect(await writer.set('key-0', 'value-0')).toBe('OK');

    // Removed by the operator, its ranges go to the survivors, who pull them from the other owners.
    await manager.removeFromRing(victim.id);
    await waitFor(
      'the removal to move every key to 3 live replicas',
      async () => {
        const replicas = await replicaMap(manager, survivors);
        return replicas.size === KEYS && [...replicas.values()].every((entry) => entry.holders.length === 3 && entry.versions.size === 1);
      },
      { timeoutMs: 60_000, describe: async () => [...(await replicaMap(manager, survivors)).entries()].filter(([, entry]) => entry.holders.length !== 3).slice(0, 5) },
    );

    // A graceful stop: the peer leaves, hands off its keys, and every other peer marks it left.
    await manager.stop(fourth.id);
    expect(manager.peer(fourth.id)?.state).toBe('left');
    const remaining = [first.id, second.id, third.id];
    await waitFor('every remaining peer to mark the stopped peer left', () => everyView(manager, remaining, fourth.id, ['left']), { timeoutMs: 30_000, describe: () => viewTable(manager) });
    await waitFor(
      'the stopped peer’s keys to be on the three remaining peers',
      async () => {
        const replicas = await replicaMap(manager, remaining);
        return replicas.size === KEYS && [...replicas.values()].every((entry) => entry.holders.length === 3);
      },
      { timeoutMs: 60_000 },
    );
    expect(await redis(third).get('key-199')).toBe('value-199');

    // The journal, on disk as it happened and exported, holds those events.
    const journal = parseJournal(manager.journal.export('ndjson'));
    expect(journal.refusedCount).toBe(0);
    const kinds = (kind: string, subject: string): number => journal.entries.filter((entry) => entry.event.kind === kind && 'subject' in entry.event && entry.event.subject === subject).length;
    expect(kinds('member.removed', victim.id)).toBeGreaterThanOrEqual(4);
    expect(kinds('member.left', fourth.id)).toBeGreaterThanOrEqual(3);
    expect(journal.entries.some((entry) => entry.event.kind === 'process.exited' && entry.event.peer === victim.id && entry.event.signal === 'SIGKILL')).toBe(true);
    expect(journal.entries.some((entry) => entry.event.kind === 'kv.result' && entry.event.key === 'key-7' && entry.event.ok)).toBe(true);
    const seqs = journal.entries.map((entry) => entry.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const onDisk = readFileSync(manager.journal.path as string, 'utf8');
    expect(parseJournal(onDisk).entries.length).toBe(journal.entries.length);

    const dbg = manager.journal.export('dbg');
    expect(dbg.startsWith('131\n')).toBe(true);
    expect(dbg).toContain(`Node ${victim.id} removed at time`);
    expect(dbg).toContain(`Node ${fourth.id} removed at time`);
    expect(dbg).toMatch(/coordinator: put success at time \d+, transID=\d+, key=key-7, value=value-7/);

    const text = manager.journal.export('text');
    expect(text).toMatch(new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  ${first.id.replace(/\./g, '\\.')}  removed ${victim.id.replace(/\./g, '\\.')}: failed`));
    // Two lines an entry (host and clock, then text); the first is the manager's cluster.started.
    const shiviz = manager.journal.export('shiviz').split('\n');
    const firstOfPeer = shiviz.filter((_, index) => index % 2 === 0).find((line) => !line.startsWith('manager '));
    expect(firstOfPeer).toMatch(/^127\.0\.0\.1:\d+ \{"127\.0\.0\.1:\d+":1\}$/);
  });

  it('splits {1,2} from {3,4,5}: each key is written only on the side holding two of its three owners, the other side refuses it with NOQUORUM, and replicas converge after healing', async () => {
    // Two fresh peers join the three that remain, so there are five again.
    const added = await manager.start(2);
    const all = manager.runningPeers();
    expect(all).toHaveLength(5);
    const ids = all.map((peer) => peer.id);
    await waitFor('five peers to agree again', () => converged(manager, ids), { timeoutMs: 30_000, describe: () => viewTable(manager) });
    expect(added).toHaveLength(2);

    await waitFor(
      'the two new peers to own keys: five owners in every ring state',
      async () => (await Promise.all(ids.map(async (id) => (await manager.inspect(id)).ring?.entries.filter((entry) => entry.status === 'normal').length === 5))).every(Boolean) || undefined,
      { timeoutMs: 30_000, describe: async () => Promise.all(ids.map(async (id) => (await manager.inspect(id)).ring)) },
    );
    const minority = all.slice(0, 2);
    const majority = all.slice(2);
    await manager.setFaults({ partitions: [{ sources: minority.map((peer) => peer.id), targets: majority.map((peer) => peer.id) }] });
    await waitFor(
      'each side to mark the other failed',
      async () =>
        (await Promise.all(minority.map((peer) => everyView(manager, majority.map((other) => other.id), peer.id, ['dead'])))).every(Boolean) &&
        (await Promise.all(majority.map((peer) => everyView(manager, minority.map((other) => other.id), peer.id, ['dead'])))).every(Boolean),
      { timeoutMs: 60_000, describe: () => viewTable(manager) },
    );

    // Strict quorums: W = 2 of a key's 3 owners, whatever side the coordinator is on.
    const ring = new Ring(KV_DEFAULTS.ring, ids);
    const majorityClient = redis(majority[0] as PeerSummary);
    const minorityClient = redis(minority[0] as PeerSummary);
    const majorityIds = new Set(majority.map((peer) => peer.id));
    const written = new Map<string, string>();
    let refusedOnce = '';
    for (let index = 0; index < 50; index++) {
      const key = `split-${index}`;
      const majoritySide = ring.preferenceList(key).filter((owner) => majorityIds.has(owner)).length >= 2;
      const [winner, loser] = majoritySide ? [majorityClient, minorityClient] : [minorityClient, majorityClient];
      const value = `${majoritySide ? 'majority' : 'minority'}-${index}`;
      expect(await winner.set(key, value)).toBe('OK');
      written.set(key, value);
      const refused = await loser.set(key, 'the other side').then(
        () => 'acknowledged',
        (error: Error) => error.message,
      );
      expect(refused).toMatch(/^NOQUORUM /);
      refusedOnce = refused;
    }
    expect(refusedOnce).toMatch(/fewer than the 2 replicas needed are reachable; nothing was written/);
    expect(new Set(written.values()).size).toBe(50);

    await manager.setFaults({});
    await waitFor('the two sides to merge', () => converged(manager, ids), { timeoutMs: 90_000, describe: () => viewTable(manager) });
    await waitFor(
      'every key written during the split to converge on 3 replicas with one version',
      async () => {
        const replicas = await replicaMap(manager, ids);
        const split = [...replicas.entries()].filter(([key]) => key.startsWith('split-'));
        return split.length === 50 && split.every(([, entry]) => entry.holders.length === 3 && entry.versions.size === 1);
      },
      { timeoutMs: 90_000 },
    );
    for (const [key, value] of written) expect(await redis(minority[1] as PeerSummary).get(key)).toBe(value);
  });
});
