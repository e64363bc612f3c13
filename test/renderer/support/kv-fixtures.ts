/** Inspections, member views and ring states for the ring, keys and stores tests. */
import type { MemberViewWire, PeerInspection, StoredRecord } from '../../../src/shared/protocol/control.ts';
import { NO_FAULTS } from '../../../src/shared/protocol/faults.ts';
import type { RingEntry, Version } from '../../../src/shared/protocol/kv.ts';
import type { RingStateInfo } from '../../../src/shared/api/bridge.ts';

/** `ring`: the ring state the peer reports with its store (none: an older peer, or not known). */
export function inspection(peer: string, records: StoredRecord[], ring?: RingStateInfo): PeerInspection {
  return {
    ...(ring === undefined ? {} : { ring }),
    id: peer,
    pid: 1,
    protocol: 'swim',
    status: 'member',
    tickMs: 100,
    tick: 1,
    redisPort: 0,
    members: [],
    records: [...records].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    recordsTotal: records.length,
    pendingHandoffs: 0,
    faults: NO_FAULTS,
    counters: {
      membership: {},
      kv: {},
      transport: { connectionsAccepted: 0, connectionsRefused: 0, framesReceived: 0, framesRefused: {}, messagesSent: 0, messagesDropped: {}, reconnects: 0 },
      redis: { connections: 0, commands: 0, errors: 0, protocolErrors: 0 },
    },
  };
}

export function record(key: string, value: string, version: Version, deleted = false): StoredRecord {
  return deleted ? { key, value: '', version, deleted: true } : { key, value, version };
}

export const alive = (members: readonly string[]): MemberViewWire[] => members.map((id) => ({ id, state: 'alive', sinceTick: 1, incarnation: 0 }));

/** Every member sees every other alive. */
export const everyoneSees = (members: readonly string[]): Record<string, MemberViewWire[]> => Object.fromEntries(members.map((id) => [id, alive(members)]));

/** A small stable digest standing for a ring state's fingerprint (the peers' is a SHA-256 prefix). */
function digest(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * A peer's ring state: `owners` normal (stamp 0, as a cluster started whole), then `entries`
 * (later stamps) on top, and the transition in progress if any.
 */
export function ringStateOf(owners: readonly string[], more: { entries?: readonly RingEntry[]; transition?: RingStateInfo['transition']; quorum?: 'strict' | 'sloppy' } = {}): RingStateInfo {
  const entries = new Map<string, RingEntry>(owners.map((peer) => [peer, { peer, status: 'normal', stamp: 0 }]));
  for (const entry of more.entries ?? []) entries.set(entry.peer, entry);
  const sorted = [...entries.values()].sort((a, b) => (a.peer < b.peer ? -1 : 1));
  return {
    entries: sorted,
    ...(more.transition === undefined ? {} : { transition: more.transition }),
    fingerprint: digest(sorted.map((entry) => `${entry.peer}|${entry.status}|${entry.stamp}`).join(';')),
    quorum: more.quorum ?? 'strict',
    storage: 'disk',
  };
}

/** Every one of `peers` holds `state` (default: `peers` own the ring). */
export const everyoneHolds = (peers: readonly string[], state: RingStateInfo = ringStateOf(peers)): Record<string, RingStateInfo> => Object.fromEntries(peers.map((id) => [id, state]));
