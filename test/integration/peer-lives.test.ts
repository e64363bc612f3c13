/**
 * The lives of real peers: paused and resumed (SIGSTOP/SIGCONT), restarted on the same address,
 * attached by a second manager, and a peer that dies without being asked reported as crashed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterManager, type PeerSummary } from '../../src/main/cluster/manager.ts';
import { converged, everyView, viewTable, waitFor } from '../support/cluster.ts';

let manager: ClusterManager;
let peers: PeerSummary[];

beforeAll(async () => {
  manager = new ClusterManager({ tickMs: 50, messages: false });
  peers = await manager.start(4);
  await waitFor('four peers to agree', () => converged(manager, peers.map((peer) => peer.id)), { timeoutMs: 30_000 });
}, 60_000);

afterAll(async () => {
  await manager?.shutdown({ timeoutMs: 5000 });
}, 60_000);

describe('the lives of real peers', () => {
  it('a paused peer is suspected, and alive again once resumed', async () => {
    const [first, second, third, paused] = peers as [PeerSummary, PeerSummary, PeerSummary, PeerSummary];
    const others = [first.id, second.id, third.id];
    manager.pause(paused.id);
    expect(manager.peer(paused.id)?.state).toBe('paused');
    await expect(manager.inspect(paused.id)).rejects.toThrow(/is paused: resume it first/);
    await waitFor('the others to suspect the paused peer', () => everyView(manager, others, paused.id, ['suspect', 'dead']), { timeoutMs: 30_000, describe: () => viewTable(manager) });
    manager.resume(paused.id);
    await waitFor('everyone to see all four alive again', () => converged(manager, peers.map((peer) => peer.id)), { timeoutMs: 60_000, describe: () => viewTable(manager) });
  });

  it('a killed peer restarts on the same address and rejoins', async () => {
    const target = peers[1] as PeerSummary;
    await manager.kill(target.id);
    const restarted = await manager.restart(target.id);
    expect(restarted.id).toBe(target.id);
    expect(restarted.pid).not.toBe(target.pid);
    expect(restarted.state).toBe('running');
    await waitFor('the restarted peer to be alive in every view', () => converged(manager, peers.map((peer) => peer.id)), { timeoutMs: 60_000, describe: () => viewTable(manager) });
    expect(manager.journal.entries().some((entry) => entry.event.kind === 'peer.restarted' && entry.event.peer === target.id)).toBe(true);
  });

  it('a second manager attaches to a running peer: it observes and drives it, but cannot kill it', async () => {
    const observer = new ClusterManager({ secret: manager.secret, tickMs: 50 });
    try {
      const attached = await observer.attach((peers[0] as PeerSummary).id);
      expect(attached).toMatchObject({ state: 'attached', managed: false, redisPort: (peers[0] as PeerSummary).redisPort });
      const inspection = await observer.inspect(attached.id);
      expect(inspection.members.filter((member) => member.state === 'alive')).toHaveLength(4);
      expect((await observer.put('attached-key', 'v')).ok).toBe(true);
      await expect(observer.kill(attached.id)).rejects.toThrow(/attached, not started by this session/);
      await expect(new ClusterManager({ secret: 'a different secret entirely' }).attach(attached.id)).rejects.toThrow(/refused the secret/);
    } finally {
      await observer.shutdown();
    }
    expect(manager.peer((peers[0] as PeerSummary).id)?.state).toBe('running');
  });

  it('reports a peer that dies without being asked', async () => {
    const victim = peers[2] as PeerSummary;
    const died = new Promise<string>((resolve) => manager.onPeerDied((peer, reason) => peer.id === victim.id && resolve(reason)));
    process.kill(victim.pid as number, 'SIGKILL');
    expect(await died).toBe('killed by SIGKILL');
    expect(manager.peer(victim.id)?.state).toBe('crashed');
    expect(manager.journal.entries().some((entry) => entry.event.kind === 'process.exited' && entry.event.peer === victim.id && !entry.event.expected)).toBe(true);
  });
});
