/**
 * A cluster manager in a process of its own, for tests that kill it (`managerProcess` starts it).
 *
 *   manager-process.ts start COUNT PAUSED   starts COUNT key-value peers, pauses the last PAUSED,
 *                                           prints one JSON line ({ managerPid, reaperPid, peers })
 *                                           and waits to be killed
 *   manager-process.ts next                 starts a manager and no peer (the next session), prints
 *                                           one JSON line ({ logs }: its journal's log lines),
 *                                           and exits
 */
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { peerGuard } from '../../src/main/cluster/peer-reaper.ts';

export interface StartedManager {
  readonly managerPid: number;
  readonly reaperPid: number | undefined;
  readonly peers: readonly { readonly id: string; readonly pid: number; readonly paused: boolean }[];
}

const [mode, count, paused] = process.argv.slice(2);
const manager = new ClusterManager({ tickMs: 50, messages: false, storage: 'memory', redis: false });
if (mode === 'start') {
  const peers = await manager.start(Number(count));
  const pausedFrom = peers.length - Number(paused ?? 0);
  peers.forEach((peer, index) => index >= pausedFrom && manager.pause(peer.id));
  const started: StartedManager = {
    managerPid: process.pid,
    reaperPid: peerGuard.reaperPid,
    peers: peers.map((peer, index) => ({ id: peer.id, pid: peer.pid as number, paused: index >= pausedFrom })),
  };
  process.stdout.write(`${JSON.stringify(started)}\n`);
  setInterval(() => undefined, 60_000);
} else {
  const logs = manager.journal.entries().flatMap((entry) => (entry.event.kind === 'log' ? [entry.event.text] : []));
  process.stdout.write(`${JSON.stringify({ logs })}\n`);
  await manager.shutdown();
}
