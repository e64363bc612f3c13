/** Inspections and member views for the ring, keys and stores tests. */
import type { MemberViewWire, PeerInspection, StoredRecord } from '../../../src/shared/protocol/control.ts';
import { NO_FAULTS } from '../../../src/shared/protocol/faults.ts';
import type { Version } from '../../../src/shared/protocol/kv.ts';

export function inspection(peer: string, records: StoredRecord[]): PeerInspection {
  return {
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
