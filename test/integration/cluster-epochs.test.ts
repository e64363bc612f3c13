/**
 * Issue 14, defect 3: each cluster started in a session is its own epoch. With real processes,
 * driven through the cluster API as the window drives them: a new cluster forgets the previous
 * one's peers (all gone), numbers its own from #1, keeps key-value data in a folder of its own,
 * and the journal says `cluster.started` for each, with the settings it runs. Pause and resume
 * are journaled as `process.paused` / `process.resumed`.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { runApiCommand, type ApiContext } from '../../src/main/server/api.ts';
import type { ApiResult } from '../../src/shared/api/bridge.ts';
import { apiCommandSchema, type ApiCommand, type ApiCommandInput } from '../../src/shared/api/cluster-api.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';

let folder: string;
let manager: ClusterManager;
let context: ApiContext;
const others: ClusterManager[] = [];

/** Runs one API command as a client sends it: parsed with the shared schema first. */
async function api<T extends ApiCommand['type']>(command: ApiCommandInput & { type: T }): Promise<ApiResult<T>> {
  return runApiCommand(context, apiCommandSchema.parse(command) as Extract<ApiCommand, { type: T }>);
}

function clusterStarts(of: ClusterManager = manager): Extract<JournalEvent, { kind: 'cluster.started' }>[] {
  return of.journal
    .entries()
    .map((entry) => entry.event)
    .filter((event): event is Extract<JournalEvent, { kind: 'cluster.started' }> => event.kind === 'cluster.started');
}

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'ringside-epochs-'));
  manager = new ClusterManager({ tickMs: 50, messages: false, redis: false, dataFolder: join(folder, 'data'), dht: { folder: join(folder, 'dht') } });
  context = { manager, startedAt: Date.now() };
});

afterEach(async () => {
  for (const other of others.splice(0)) await other.shutdown({ graceful: false });
  await manager.shutdown({ graceful: false });
  rmSync(folder, { recursive: true, force: true });
}, 30_000);

describe('each cluster of a session is its own epoch', () => {
  it('3 key-value peers, stopped, then 2: only the 2 new are listed, as #1 and #2, in epoch 2 with data folders of its own', async () => {
    expect(manager.epoch).toBe(0);
    expect((await api({ type: 'session' })).epoch).toBe(0);
    const first = await api({ type: 'cluster.start', peers: 3, kind: 'kv', protocol: 'swim', tickMs: 50, quorum: 'strict' });
    expect(first.map((peer) => peer.number)).toEqual([1, 2, 3]);
    expect((await api({ type: 'session' })).epoch).toBe(1);
    const stopped = await api({ type: 'cluster.stop' });
    expect(stopped.filter((peer) => peer.state === 'running')).toEqual([]);

    const second = await api({ type: 'cluster.start', peers: 2, protocol: 'gossip', quorum: 'sloppy' });
    const firstIds = new Set(first.map((peer) => peer.id));
    expect(second.map((peer) => peer.number)).toEqual([1, 2]);
    const listed = manager.peers();
    expect(listed.map((peer) => [peer.number, peer.state])).toEqual([
      [1, 'running'],
      [2, 'running'],
    ]);
    expect(listed.map((peer) => peer.id)).toEqual(second.map((peer) => peer.id));
    // A port may come back, but no record of the first cluster is listed.
    expect(listed.every((peer) => !firstIds.has(peer.id) || second.some((fresh) => fresh.id === peer.id))).toBe(true);
    const session = await api({ type: 'session' });
    expect(session.epoch).toBe(2);
    expect(session.peers.map((peer) => peer.number)).toEqual([1, 2]);
    expect(clusterStarts()).toMatchObject([
      { epoch: 1, cluster: 'kv', peers: 3, tickMs: 50, protocol: 'swim', quorum: 'strict', peer: 'manager' },
      { epoch: 2, cluster: 'kv', peers: 2, tickMs: 50, protocol: 'gossip', quorum: 'sloppy', peer: 'manager' },
    ]);

    // Each cluster's peers keep their data apart: #1 of the second does not open #1 of the first's.
    const data = join(folder, 'data');
    expect(readdirSync(data).sort()).toEqual(['cluster-1', 'cluster-2']);
    expect(readdirSync(join(data, 'cluster-1')).sort()).toEqual(['peer-1', 'peer-2', 'peer-3']);
    expect(readdirSync(join(data, 'cluster-2')).sort()).toEqual(['peer-1', 'peer-2']);

    // A restart within the cluster is no new one: the same number, the same folder, the same epoch.
    const target = second[1]!;
    await manager.kill(target.id);
    const restarted = await api({ type: 'peer.restart', peer: target.id });
    expect(restarted).toMatchObject({ id: target.id, number: 2, state: 'running' });
    expect(manager.epoch).toBe(2);
    expect(readdirSync(join(data, 'cluster-2')).sort()).toEqual(['peer-1', 'peer-2']);
    expect(clusterStarts()).toHaveLength(2);
    // The first cluster's peers are forgotten: nothing of it can be restarted.
    const gone = first.find((peer) => !second.some((fresh) => fresh.id === peer.id));
    if (gone !== undefined) await expect(manager.restart(gone.id)).rejects.toThrow(/no peer .* in this session/);
  }, 60_000);

  it('a key-value cluster, then a circular DHT in the same manager: no key-value peer is left, and the DHT numbers from #1', async () => {
    const kv = await manager.start(2);
    // Killed rather than stopped, the quickest way to have none live (a stop is the test above).
    await Promise.all(kv.map((peer) => manager.kill(peer.id)));
    expect(manager.peers().map((peer) => peer.state)).toEqual(['killed', 'killed']);

    const dht = await api({ type: 'cluster.start', peers: 3, kind: 'dht', pingIntervalSeconds: 1, identities: [2, 8, 14] });
    expect(dht.map((peer) => [peer.number, peer.identity])).toEqual([
      [1, 2],
      [2, 8],
      [3, 14],
    ]);
    expect(manager.peers().every((peer) => peer.identity !== undefined)).toBe(true);
    expect(manager.peers()).toHaveLength(3);
    expect((await api({ type: 'session' })).epoch).toBe(2);
    const starts = clusterStarts();
    expect(starts.map((event) => [event.epoch, event.cluster, event.peers])).toEqual([
      [1, 'kv', 2],
      [2, 'dht', 3],
    ]);
    // A DHT cluster has no membership protocol or quorums to name.
    expect(starts[1]).not.toHaveProperty('protocol');
    expect(starts[1]).not.toHaveProperty('quorum');
    // The key-value peers' failing Restart button of the defect: they are no longer this session's.
    await expect(manager.restart(kv[0]!.id)).rejects.toThrow(/no peer .* in this session/);

    // One peer added with none live is a cluster too: epoch 3, #1 again.
    await api({ type: 'cluster.stop' });
    manager.configure({ kind: 'kv' });
    const added = await api({ type: 'peer.add' });
    expect(added.number).toBe(1);
    expect(manager.peers().map((peer) => peer.id)).toEqual([added.id]);
    expect(clusterStarts().map((event) => [event.epoch, event.cluster, event.peers])).toEqual([
      [1, 'kv', 2],
      [2, 'dht', 3],
      [3, 'kv', 1],
    ]);
  }, 60_000);

  it('attaching a peer with none live begins a cluster of the attaching manager, once the peer answers', async () => {
    const [running] = await manager.start(1);
    const observer = new ClusterManager({ secret: manager.secret, tickMs: 50, messages: false, redis: false });
    others.push(observer);
    await expect(observer.attach('127.0.0.1:1')).rejects.toThrow();
    // An address that did not answer begins nothing.
    expect(observer.epoch).toBe(0);
    const attached = await observer.attach(running!.id);
    expect(attached).toMatchObject({ number: 1, state: 'attached' });
    expect(observer.epoch).toBe(1);
    expect(clusterStarts(observer)).toMatchObject([{ epoch: 1, cluster: 'kv', peers: 1 }]);
  }, 30_000);

  it('journals pause and resume as process.paused and process.resumed', async () => {
    const [peer] = await manager.start(1);
    manager.pause(peer!.id);
    manager.resume(peer!.id);
    const events = manager.journal
      .entries()
      .map((entry) => entry.event)
      .filter((event) => 'peer' in event && event.peer === peer!.id && (event.kind === 'process.paused' || event.kind === 'process.resumed' || (event.kind === 'log' && /SIGSTOP|SIGCONT/.test(event.text))));
    // Once as events of their own, not also as the log lines they used to be.
    expect(events.map((event) => event.kind)).toEqual(['process.paused', 'process.resumed']);
    expect(existsSync(join(folder, 'data', 'cluster-1', 'peer-1'))).toBe(true);
  }, 30_000);
});
