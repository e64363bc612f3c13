/**
 * A fault plan reaches a peer that comes back: set while it is paused, it is in force once it is
 * resumed (so a partition is two-way, not one-way); a restarted peer gets the current plan before
 * it counts as running. Plans carry a version the peers report, so this is seen, not guessed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterManager, type PeerSummary } from '../../src/main/cluster/manager.ts';
import { converged, everyView, viewTable, waitFor } from '../support/cluster.ts';

describe('a fault plan reaches a peer that comes back', () => {
  let manager: ClusterManager;
  let peers: PeerSummary[];
  const ids = (): string[] => peers.map((peer) => peer.id);

  beforeAll(async () => {
    // Messages journaled: a message a fault plan drops is seen only there.
    manager = new ClusterManager({ tickMs: 50, messages: true, storage: 'memory', redis: false });
    peers = await manager.start(3);
    await waitFor('three peers to agree', () => converged(manager, ids()), { timeoutMs: 30_000, describe: () => viewTable(manager) });
  }, 60_000);

  afterAll(async () => {
    await manager?.shutdown({ timeoutMs: 5000 });
  }, 60_000);

  const planOf = async (id: string): Promise<{ version: number | undefined; partitions: number }> => {
    const inspection = await manager.inspect(id, 0);
    return { version: inspection.faultsVersion, partitions: inspection.faults.partitions.length };
  };
  /** The peers `from` sent messages to that the partition dropped, since `since` (ms). */
  const droppedByPartition = (from: string, since: number): Set<string> =>
    new Set(manager.journal.entries().flatMap(({ at, event }) => (at >= since && event.kind === 'message.dropped' && event.peer === from && event.reason === 'partition' ? [event.to] : [])));

  it('a partition set while a peer is paused is two-way once it is resumed, and a restarted peer gets the current plan', async () => {
    const [first, second, isolated] = peers as [PeerSummary, PeerSummary, PeerSummary];
    manager.pause(isolated.id);
    await manager.setFaults({ partitions: [{ sources: [first.id, second.id], targets: [isolated.id] }] });
    const version = manager.faultsVersion;
    expect(version).toBeGreaterThan(0);
    expect(await planOf(first.id)).toMatchObject({ version, partitions: 1 });

    const resumedAt = Date.now();
    manager.resume(isolated.id);
    await waitFor('the resumed peer to apply the current plan', async () => (await planOf(isolated.id)).version === version, { timeoutMs: 10_000, intervalMs: 100 });
    // Both ways: each side marks the other failed, and the resumed peer drops what it sends them.
    await waitFor(
      'the two sides to mark each other failed',
      async () => (await everyView(manager, [first.id, second.id], isolated.id, ['dead'])) && (await everyView(manager, [isolated.id], first.id, ['dead'])) && (await everyView(manager, [isolated.id], second.id, ['dead'])),
      { timeoutMs: 60_000, describe: () => viewTable(manager) },
    );
    expect(droppedByPartition(isolated.id, resumedAt)).toEqual(new Set([first.id, second.id]));
    expect(droppedByPartition(first.id, resumedAt)).toEqual(new Set([isolated.id]));

    // A new process starts with no faults; it counts as running only once it has the plan.
    await manager.kill(isolated.id);
    const restartedAt = Date.now();
    const restarted = await manager.restart(isolated.id);
    expect(restarted.state).toBe('running');
    expect(await planOf(isolated.id)).toMatchObject({ version, partitions: 1 });
    await waitFor('the restarted peer to drop what it sends to the other side', () => droppedByPartition(isolated.id, restartedAt).size === 2, { timeoutMs: 10_000 });
  });

  it('a plan healed while a peer is paused reaches it on resume: the three agree again', async () => {
    const isolated = peers[2] as PeerSummary;
    manager.pause(isolated.id);
    await manager.setFaults({});
    manager.resume(isolated.id);
    await waitFor('the resumed peer to apply the healed plan', async () => (await planOf(isolated.id)).version === manager.faultsVersion, { timeoutMs: 10_000, intervalMs: 100 });
    expect(await planOf(isolated.id)).toMatchObject({ partitions: 0 });
    await waitFor('the three peers to agree again', () => converged(manager, ids()), { timeoutMs: 60_000, describe: () => viewTable(manager) });
  });
});
