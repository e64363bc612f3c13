import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { EventFeed } from '../../src/main/cluster/feed.ts';
import { SessionJournal } from '../../src/main/cluster/journal.ts';
import type { ClusterManager, PeerSummary } from '../../src/main/cluster/manager.ts';
import type { ApiEvents } from '../../src/shared/api/cluster-api.ts';

/** The two things a feed reads from a manager: its journal and its peers. */
function fakeManager() {
  const journal = new SessionJournal();
  const peerListeners = new Set<(peers: PeerSummary[]) => void>();
  const manager = {
    journal,
    peers: () => [] as PeerSummary[],
    onPeersChanged(listener: (peers: PeerSummary[]) => void) {
      peerListeners.add(listener);
      return () => peerListeners.delete(listener);
    },
  };
  const peer = (state: PeerSummary['state']): PeerSummary => ({ id: 'p', number: 1, state, managed: true, pid: 1, port: 1, redisPort: 2, startedAt: 0 });
  return { manager: manager as unknown as ClusterManager, journal, changePeers: (state: PeerSummary['state']) => peerListeners.forEach((listener) => listener([peer(state)])) };
}
const log = (text: string) => ({ kind: 'log' as const, tick: 1, peer: 'p', text });

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test('the first batch says who is there; later entries wait for the next 50 ms batch, in order', () => {
  const { manager, journal } = fakeManager();
  const batches: ApiEvents[] = [];
  new EventFeed(manager, (batch) => batches.push(batch));
  vi.advanceTimersByTime(50);
  expect(batches).toEqual([{ t: 'events', entries: [], peers: [] }]);
  journal.append(1, log('a'));
  vi.advanceTimersByTime(20);
  journal.append(2, log('b'));
  vi.advanceTimersByTime(29);
  expect(batches).toHaveLength(1);
  vi.advanceTimersByTime(1);
  expect(batches).toHaveLength(2);
  expect(batches[1]!.entries.map((entry) => entry.seq)).toEqual([0, 1]);
  expect(batches[1]!.peers).toBeUndefined();
});

test('a busy client keeps its backlog, bounded, and learns how many entries it missed', () => {
  const { manager, journal, changePeers } = fakeManager();
  const batches: ApiEvents[] = [];
  let busy = true;
  new EventFeed(manager, (batch) => batches.push(batch), { busy: () => busy, backlogMax: 3 });
  for (let index = 0; index < 5; index++) journal.append(index, log(`line ${index}`));
  changePeers('killed');
  vi.advanceTimersByTime(500);
  expect(batches).toHaveLength(0);
  busy = false;
  vi.advanceTimersByTime(50);
  expect(batches).toHaveLength(1);
  expect(batches[0]!.entries.map((entry) => entry.seq)).toEqual([2, 3, 4]);
  expect(batches[0]!.dropped).toBe(2);
  expect(batches[0]!.peers?.[0]?.state).toBe('killed');
});

test('a closed feed sends nothing more', () => {
  const { manager, journal } = fakeManager();
  const batches: ApiEvents[] = [];
  const feed = new EventFeed(manager, (batch) => batches.push(batch));
  feed.close();
  journal.append(1, log('after'));
  vi.advanceTimersByTime(1000);
  expect(batches).toEqual([]);
});
