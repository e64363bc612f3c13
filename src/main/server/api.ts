/**
 * The cluster API's commands, carried out on a cluster manager: one dispatcher behind every
 * transport (the web server's HTTP and WebSocket routes, the Electron IPC bridge).
 */
import type { ApiCommand, JournalInfo, SessionInfo } from '../../shared/api/cluster-api.ts';
import { API_VERSION } from '../../shared/api/cluster-api.ts';
import type { ApiCommandType, ApiResult } from '../../shared/api/bridge.ts';
import type { SessionJournal } from '../cluster/journal.ts';
import type { ClusterManager } from '../cluster/manager.ts';
import { checkSessionOf } from '../check/check-session.ts';

export interface ApiContext {
  readonly manager: ClusterManager;
  readonly startedAt: number;
}

export function sessionInfo({ manager, startedAt }: ApiContext): SessionInfo {
  const journal = manager.journal;
  const dht = manager.dhtSettings;
  const places = manager.dhtPlaces;
  return {
    api: API_VERSION,
    kind: manager.kind,
    protocol: manager.protocol,
    tickMs: manager.tickMs,
    quorum: manager.quorum,
    storage: { kind: manager.storage.kind, ...(manager.storage.folder !== undefined ? { folder: manager.storage.folder } : {}) },
    startedAt,
    epoch: manager.epoch,
    peers: manager.peers(),
    journal: journalInfo(journal),
    dht: {
      pingIntervalSeconds: dht.pingIntervalSeconds,
      fingers: dht.fingers,
      ...(places.portBase !== undefined ? { portBase: places.portBase } : {}),
      ...(places.folder !== undefined ? { folder: places.folder } : {}),
    },
  };
}

/** The journal's size in memory and on disk, for the window's status. */
export function journalInfo(journal: SessionJournal): JournalInfo {
  const recording = journal.recording;
  return {
    entries: journal.size,
    bytesWritten: journal.bytesWritten,
    ...(journal.path !== undefined ? { path: journal.path } : {}),
    ...(journal.writeError !== undefined ? { writeError: journal.writeError } : {}),
    window: journal.window,
    ...(recording === undefined
      ? {}
      : {
          bytesOnDisk: recording.bytes,
          parts: recording.parts,
          ...(recording.maxBytes === undefined ? {} : { maxBytes: recording.maxBytes }),
          partsDropped: recording.partsDropped,
          bytesDropped: recording.bytesDropped,
          entriesDropped: recording.entriesDropped,
        }),
  };
}

type Handlers = { [T in ApiCommandType]: (context: ApiContext, command: Extract<ApiCommand, { type: T }>) => ApiResult<T> | Promise<ApiResult<T>> };

const handlers: Handlers = {
  session: (context) => sessionInfo(context),
  peers: ({ manager }) => manager.peers(),
  'cluster.start': ({ manager }, command) => {
    manager.configure({ kind: command.kind, protocol: command.protocol, tickMs: command.tickMs, pingIntervalSeconds: command.pingIntervalSeconds, fingers: command.fingers, quorum: command.quorum });
    return manager.start(command.peers, { identities: command.identities });
  },
  'cluster.stop': async ({ manager }) => {
    await Promise.all(manager.peers().filter((peer) => peer.managed && ['running', 'paused', 'starting'].includes(peer.state)).map((peer) => manager.stop(peer.id, { alongside: true })));
    return manager.peers();
  },
  'peer.add': ({ manager }, command) => manager.addPeer({ identity: command.identity, via: command.via }),
  'peer.stop': async ({ manager }, command) => {
    await manager.stop(command.peer);
    return manager.peer(command.peer);
  },
  'peer.kill': async ({ manager }, command) => {
    await manager.kill(command.peer);
    return manager.peer(command.peer);
  },
  'peer.pause': ({ manager }, command) => {
    manager.pause(command.peer);
    return manager.peer(command.peer);
  },
  'peer.resume': ({ manager }, command) => {
    manager.resume(command.peer);
    return manager.peer(command.peer);
  },
  'peer.restart': ({ manager }, command) => manager.restart(command.peer),
  'peer.attach': ({ manager }, command) => manager.attach(command.address),
  'peer.remove': async ({ manager }, command) => {
    await manager.removeFromRing(command.peer);
    return manager.peers();
  },
  'ring.states': async ({ manager }) => Object.fromEntries(await manager.ringStates()),
  'check.start': ({ manager }, command) => checkSessionOf(manager).start(manager, command.spec, command.simulated),
  'check.status': ({ manager }) => checkSessionOf(manager).status,
  'check.cancel': ({ manager }) => checkSessionOf(manager).cancel(),
  'peer.inspect': ({ manager }, command) => manager.inspect(command.peer, command.records),
  views: async ({ manager }) => Object.fromEntries(await manager.views()),
  'faults.set': ({ manager }, command) => manager.setFaults(command.plan),
  'faults.get': ({ manager }) => manager.faults,
  kv: ({ manager }, command) => manager.operate(command.op, command.key, command.value, command.via),
  'journal.entries': ({ manager }, command) => manager.journal.entriesAfter(command.since, command.limit),
  // One string at most 64 MiB long; larger sessions stream from /api/export/FORMAT.
  'journal.export': ({ manager }, command) => manager.journal.exportText(command.format),
  'dht.inspect': ({ manager }, command) => manager.dht.inspect(command.peer),
  'dht.ring': ({ manager }) => manager.dht.ring(),
  'dht.type': ({ manager }, command) => manager.dht.type(command.peer, command.line),
  'dht.store': ({ manager }, command) => manager.dht.store(command.peer, command.file),
  'dht.request': ({ manager }, command) => manager.dht.request(command.peer, command.file),
  'dht.file.put': ({ manager }, command) =>
    manager.dht.putFile(command.peer, command.name, command.contentBase64 === undefined ? undefined : Buffer.from(command.contentBase64, 'base64')),
};

export async function runApiCommand<T extends ApiCommandType>(context: ApiContext, command: Extract<ApiCommand, { type: T }>): Promise<ApiResult<T>> {
  const handler = handlers[command.type] as (context: ApiContext, command: Extract<ApiCommand, { type: T }>) => ApiResult<T> | Promise<ApiResult<T>>;
  return handler(context, command);
}
