/**
 * The cluster API's commands, carried out on a cluster manager: one dispatcher behind every
 * transport (the web server's HTTP and WebSocket routes, the Electron IPC bridge).
 */
import type { ApiCommand, SessionInfo } from '../../shared/api/cluster-api.ts';
import { API_VERSION } from '../../shared/api/cluster-api.ts';
import type { ClusterManager } from '../cluster/manager.ts';

export interface ApiContext {
  readonly manager: ClusterManager;
  readonly startedAt: number;
}

export function sessionInfo({ manager, startedAt }: ApiContext): SessionInfo {
  const journal = manager.journal;
  return {
    api: API_VERSION,
    protocol: manager.protocol,
    tickMs: manager.tickMs,
    startedAt,
    peers: manager.peers(),
    journal: {
      entries: journal.size,
      bytesWritten: journal.bytesWritten,
      ...(journal.path !== undefined ? { path: journal.path } : {}),
      ...(journal.writeError !== undefined ? { writeError: journal.writeError } : {}),
    },
  };
}

export async function runApiCommand(context: ApiContext, command: ApiCommand): Promise<unknown> {
  const { manager } = context;
  switch (command.type) {
    case 'session':
      return sessionInfo(context);
    case 'peers':
      return manager.peers();
    case 'cluster.start':
      return manager.start(command.peers);
    case 'cluster.stop':
      await Promise.all(manager.peers().filter((peer) => peer.managed && ['running', 'paused', 'starting'].includes(peer.state)).map((peer) => manager.stop(peer.id)));
      return manager.peers();
    case 'peer.add':
      return manager.addPeer();
    case 'peer.stop':
      await manager.stop(command.peer);
      return manager.peer(command.peer);
    case 'peer.kill':
      await manager.kill(command.peer);
      return manager.peer(command.peer);
    case 'peer.pause':
      manager.pause(command.peer);
      return manager.peer(command.peer);
    case 'peer.resume':
      manager.resume(command.peer);
      return manager.peer(command.peer);
    case 'peer.restart':
      return manager.restart(command.peer);
    case 'peer.attach':
      return manager.attach(command.address);
    case 'peer.inspect':
      return manager.inspect(command.peer, command.records);
    case 'views':
      return Object.fromEntries(await manager.views());
    case 'faults.set':
      return manager.setFaults(command.plan);
    case 'faults.get':
      return manager.faults;
    case 'kv':
      return manager.operate(command.op, command.key, command.value, command.via);
    case 'journal.entries':
      return manager.journal
        .entries()
        .filter((entry) => entry.seq > command.since)
        .slice(0, command.limit);
    case 'journal.export':
      return manager.journal.export(command.format);
  }
}
