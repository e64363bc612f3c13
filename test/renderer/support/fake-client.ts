/**
 * A cluster client for store and component tests: every capability is a spy with an answer the
 * test sets, and `emit` plays an event batch as the server would send it.
 */
import { vi, type Mock } from 'vitest';
import { CAPABILITY_NAMES, type CapabilityName } from '../../../src/shared/api/bridge.ts';
import type { ApiEvents, PeerSummaryWire, SessionInfo } from '../../../src/shared/api/cluster-api.ts';
import type { JournalEvent } from '../../../src/shared/journal/events.ts';
import type { SessionEntry } from '../../../src/shared/journal/session.ts';
import type { ClusterClient } from '../../../src/renderer/src/api/client.ts';

export type FakeClient = ClusterClient & {
  readonly calls: { [N in CapabilityName]: Mock };
  emit(events: Partial<ApiEvents>): void;
};

export function fakeSession(peers: PeerSummaryWire[] = []): SessionInfo {
  return { api: 1, protocol: 'swim', tickMs: 100, startedAt: Date.now() - 5000, peers, journal: { entries: 0, bytesWritten: 0 } };
}

export function fakePeer(number: number, state: PeerSummaryWire['state'] = 'running'): PeerSummaryWire {
  return { id: `127.0.0.1:${4000 + number}`, number, state, managed: true, pid: 1000 + number, port: 4000 + number, redisPort: 6000 + number, startedAt: Date.now() - 1000 };
}

let nextSeq = 0;
export function entry(event: JournalEvent, at = Date.now()): SessionEntry {
  return { seq: nextSeq++, at, event };
}

export function createFakeClient(answers: Partial<Record<CapabilityName, (...args: never[]) => unknown>> = {}): FakeClient {
  const listeners = new Set<(events: ApiEvents) => void>();
  const calls = Object.fromEntries(
    CAPABILITY_NAMES.map((name) => [name, vi.fn(async (...args: never[]) => (answers[name] ? answers[name](...args) : name === 'session' ? fakeSession() : undefined))]),
  ) as { [N in CapabilityName]: Mock };
  return {
    ...(calls as unknown as ClusterClient),
    calls,
    transport: 'websocket',
    exportJournal: vi.fn(async () => ({ downloaded: 'ringside-session.ndjson' })),
    onEvents(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnection(listener) {
      listener('open');
      return () => undefined;
    },
    emit(events) {
      for (const listener of listeners) listener({ t: 'events', entries: [], ...events });
    },
  };
}
