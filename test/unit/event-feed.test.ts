import fc from 'fast-check';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { EventFeed, entryText } from '../../src/main/cluster/feed.ts';
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
/** Bytes a log entry of `text` weighs in a backlog (its JSON; seqs below 10 keep it constant). */
const weight = (text: string) => entryText({ seq: 0, at: 0, event: log(text) }).length;

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

test('a busy client keeps a backlog bounded in bytes, and learns how many entries it missed', () => {
  const { manager, journal, changePeers } = fakeManager();
  const batches: ApiEvents[] = [];
  let busy = true;
  const feed = new EventFeed(manager, (batch) => batches.push(batch), { queuedBytes: () => (busy ? 1 : 0), backlogBytesMax: 3 * weight('line 0') });
  for (let index = 0; index < 5; index++) journal.append(index, log(`line ${index}`));
  changePeers('killed');
  expect(feed.backlogLength).toBe(3);
  expect(feed.backlogBytes).toBe(3 * weight('line 0'));
  vi.advanceTimersByTime(500);
  expect(batches).toHaveLength(0);
  busy = false;
  vi.advanceTimersByTime(50);
  expect(batches).toHaveLength(1);
  expect(batches[0]!.entries.map((entry) => entry.seq)).toEqual([2, 3, 4]);
  expect(batches[0]!.dropped).toBe(2);
  expect(batches[0]!.peers?.[0]?.state).toBe('killed');
  expect(feed.backlogBytes).toBe(0);
});

test('a batch’s text is its JSON, made from each entry serialized once for every client', () => {
  const { manager, journal, changePeers } = fakeManager();
  const texts: string[][] = [[], [], []];
  const batches: ApiEvents[] = [];
  for (const [index, received] of texts.entries()) {
    new EventFeed(
      manager,
      (batch, text) => {
        received.push(text());
        if (index === 0) batches.push(batch);
      },
      { backlogBytesMax: 3 * weight('line 0') },
    );
  }
  vi.advanceTimersByTime(50);
  // The journal may serialize entries itself: count what it does alone, then with three feeds.
  const entryCalls = (append: () => void): number => {
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      append();
      return stringify.mock.calls.filter(([value]) => typeof value === 'object' && value !== null && 'seq' in value).length;
    } finally {
      stringify.mockRestore();
    }
  };
  const alone = entryCalls(() => {
    const other = new SessionJournal();
    for (let index = 0; index < 5; index++) other.append(index, log(`line ${index}`));
  });
  const withFeeds = entryCalls(() => {
    for (let index = 0; index < 5; index++) journal.append(index, log(`line ${index} "quoted" ünïcode`));
    changePeers('paused');
    vi.advanceTimersByTime(50);
  });
  expect(withFeeds - alone).toBe(5);
  expect(texts[1]).toEqual(texts[0]);
  expect(texts[2]).toEqual(texts[0]);
  expect(texts[0]!.map((text) => JSON.parse(text) as unknown)).toEqual(batches);
  expect(texts[0]![1]).toBe(JSON.stringify(batches[1]));
});

test('a long backlog goes out in batches of at most the batch bound, one an interval; a larger entry goes alone', () => {
  const { manager, journal } = fakeManager();
  const batches: ApiEvents[] = [];
  new EventFeed(manager, (batch) => batches.push(batch), { batchBytesMax: 2 * weight('x') });
  vi.advanceTimersByTime(50);
  batches.length = 0;
  for (let index = 0; index < 5; index++) journal.append(index, log('x'));
  journal.append(5, log('x'.repeat(100)));
  journal.append(6, log('x'));
  vi.advanceTimersByTime(50);
  expect(batches.map((batch) => batch.entries.map((entry) => entry.seq))).toEqual([[0, 1]]);
  vi.advanceTimersByTime(150);
  expect(batches.map((batch) => batch.entries.map((entry) => entry.seq))).toEqual([[0, 1], [2, 3], [4], [5]]);
  vi.advanceTimersByTime(50);
  expect(batches.at(-1)!.entries.map((entry) => entry.seq)).toEqual([6]);
  vi.advanceTimersByTime(500);
  expect(batches).toHaveLength(5);
});

test('a client whose socket sends nothing for too long is given up: it hears how far behind it is, and gets nothing more', () => {
  const { manager, journal } = fakeManager();
  const batches: ApiEvents[] = [];
  const stalled: number[] = [];
  const feed = new EventFeed(manager, (batch) => batches.push(batch), {
    queuedBytes: () => 1,
    backlogBytesMax: 4 * weight('line 0'),
    stalledMsMax: 1000,
    onStalled: (behind) => stalled.push(behind),
  });
  for (let index = 0; index < 6; index++) journal.append(index, log(`line ${index}`));
  vi.advanceTimersByTime(1000);
  expect(stalled).toEqual([]);
  vi.advanceTimersByTime(100);
  expect(stalled).toEqual([6]);
  expect(feed.backlogBytes).toBe(0);
  journal.append(7, log('after'));
  vi.advanceTimersByTime(2000);
  expect(batches).toEqual([]);
  expect(stalled).toEqual([6]);
});

test('a client that takes a batch now and then is not given up, however slow', () => {
  const { manager, journal } = fakeManager();
  const stalled: number[] = [];
  let busy = true;
  let taken = 0;
  new EventFeed(manager, () => taken++, { queuedBytes: () => (busy ? 1 : 0), stalledMsMax: 1000, onStalled: (behind) => stalled.push(behind) });
  for (let second = 0; second < 10; second++) {
    journal.append(second, log(`second ${second}`));
    vi.advanceTimersByTime(900);
    busy = false;
    vi.advanceTimersByTime(50);
    busy = true;
  }
  expect(taken).toBe(10);
  expect(stalled).toEqual([]);
});

test('a client whose socket drains, however slowly, is not given up; one whose socket stops draining is', () => {
  const { manager, journal } = fakeManager();
  const stalled: number[] = [];
  let queued = 1_000_000;
  new EventFeed(manager, () => undefined, { queuedBytes: () => queued, stalledMsMax: 1000, onStalled: (behind) => stalled.push(behind) });
  journal.append(0, log('waiting'));
  for (let step = 0; step < 100; step++) {
    queued -= 100;
    vi.advanceTimersByTime(50);
  }
  expect(stalled).toEqual([]);
  vi.advanceTimersByTime(1050);
  expect(stalled).toEqual([1]);
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

test('whatever the entries’ sizes and the client’s busy spells: the backlog stays within its bound, and every entry is delivered in order or counted dropped', () => {
  const step = fc.oneof(
    fc.record({ append: fc.array(fc.nat({ max: 600 }), { minLength: 1, maxLength: 30 }) }),
    fc.record({ waitMs: fc.integer({ min: 1, max: 400 }), busy: fc.boolean() }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), fc.integer({ min: 50, max: 4000 }), fc.integer({ min: 1, max: 3000 }), (steps, backlogBytesMax, batchBytesMax) => {
      const { manager, journal } = fakeManager();
      const batches: { batch: ApiEvents; text: string }[] = [];
      let busy = false;
      const feed = new EventFeed(manager, (batch, text) => batches.push({ batch, text: text() }), { queuedBytes: () => (busy ? 1 : 0), backlogBytesMax, batchBytesMax });
      try {
        for (const item of steps) {
          if ('append' in item) {
            for (const length of item.append) {
              journal.append(0, log('x'.repeat(length)));
              expect(feed.backlogBytes).toBeLessThanOrEqual(backlogBytesMax);
            }
          } else {
            busy = item.busy;
            vi.advanceTimersByTime(item.waitMs);
          }
          expect(feed.backlogBytes).toBeLessThanOrEqual(backlogBytesMax);
        }
        busy = false;
        vi.advanceTimersByTime(50 * (journal.size + 2));
        expect(feed.backlogLength).toBe(0);
        let next = 0;
        let delivered = 0;
        let dropped = 0;
        for (const { batch, text } of batches) {
          // Those dropped are the oldest before this batch: the seqs it skips, exactly.
          next += batch.dropped ?? 0;
          dropped += batch.dropped ?? 0;
          expect(batch.entries.map((entry) => entry.seq)).toEqual(batch.entries.map((_, index) => next + index));
          next += batch.entries.length;
          delivered += batch.entries.length;
          const entryBytes = batch.entries.reduce((sum, entry) => sum + entryText(entry).length, 0);
          if (batch.entries.length > 1) expect(entryBytes).toBeLessThanOrEqual(batchBytesMax);
          expect(JSON.parse(text)).toEqual(batch);
        }
        expect(delivered + dropped).toBe(journal.size);
      } finally {
        feed.close();
        vi.clearAllTimers();
      }
    }),
    { numRuns: 200 },
  );
});
