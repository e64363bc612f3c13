// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useStreamStore } from '../../src/renderer/src/stores/stream.ts';
import { useTimelineStore } from '../../src/renderer/src/stores/timeline.ts';
import { useJournalStore, describeExport, JOURNAL_ENTRIES_MAX } from '../../src/renderer/src/stores/journal.ts';
import { useNotificationsStore } from '../../src/renderer/src/stores/notifications.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { compileFilter, kindGroup, KIND_GROUPS, LogBuffer, NO_FILTER } from '../../src/renderer/src/lib/log-buffer.ts';
import { formatNdjsonLine, type SessionEntry } from '../../src/shared/journal/session.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { createFakeClient, fakePeer, fakeSession, type FakeClient } from './support/fake-client.ts';

const A = '127.0.0.1:4001';
const B = '127.0.0.1:4002';

function line(seq: number, event: JournalEvent, at = 1_700_000_000_000 + seq): SessionEntry {
  return { seq, at, event };
}
const log = (seq: number, peer: string, text: string): SessionEntry => line(seq, { kind: 'log', tick: seq, peer, text });
const sent = (seq: number, peer: string, to: string): SessionEntry => line(seq, { kind: 'message.sent', tick: seq, peer, to, type: 'swim.ping', bytes: 40 });
const added = (seq: number, peer: string, subject: string): SessionEntry => line(seq, { kind: 'member.added', tick: seq, peer, subject });

function texts(buffer: LogBuffer): string[] {
  return Array.from({ length: buffer.matchCount }, (_, index) => {
    const event = buffer.matchAt(index)?.event;
    return event?.kind === 'log' ? event.text : `${event?.kind}@${event && 'peer' in event ? event.peer : ''}`;
  });
}

describe('LogBuffer', () => {
  test('groups every kind of event under one of the filter groups', () => {
    expect(kindGroup('member.suspected')).toBe('membership');
    expect(kindGroup('ring.changed')).toBe('membership');
    expect(kindGroup('message.dropped')).toBe('messages');
    expect(kindGroup('kv.result')).toBe('kv');
    expect(kindGroup('store.dropped')).toBe('store');
    expect(kindGroup('process.exited')).toBe('process');
    expect(kindGroup('peer.crashed')).toBe('process');
    expect(kindGroup('fault.changed')).toBe('faults');
    expect(kindGroup('log')).toBe('log');
  });

  test('with no filter every entry is a line, in order, without an index', () => {
    expect(compileFilter(NO_FILTER)).toBeUndefined();
    const buffer = new LogBuffer(10);
    buffer.append([log(0, A, 'one'), log(1, B, 'two')]);
    expect(buffer.matchCount).toBe(2);
    expect(texts(buffer)).toEqual(['one', 'two']);
    expect(buffer.scanComplete).toBe(true);
  });

  test('filters by peer, by kind group and by text (case-insensitive, on the described line)', () => {
    const entries = [log(0, A, 'Hello there'), sent(1, A, B), added(2, B, A), log(3, B, 'hello again'), sent(4, B, A)];
    const run = (filter: Parameters<typeof compileFilter>[0]): string[] => {
      const buffer = new LogBuffer(100);
      buffer.setFilter(compileFilter(filter));
      buffer.append(entries);
      buffer.scan();
      return texts(buffer);
    };
    expect(run({ ...NO_FILTER, peer: B })).toEqual([`member.added@${B}`, 'hello again', `message.sent@${B}`]);
    expect(run({ ...NO_FILTER, groups: new Set(['messages']) })).toEqual([`message.sent@${A}`, `message.sent@${B}`]);
    expect(run({ ...NO_FILTER, text: 'HELLO' })).toEqual(['Hello there', 'hello again']);
    // describeEvent's words are searched: "joined" appears only in the member.added line.
    expect(run({ ...NO_FILTER, text: 'joined' })).toEqual([`member.added@${B}`]);
    expect(run({ peer: A, groups: new Set(['log', 'messages']), text: 'ping' })).toEqual([`message.sent@${A}`]);
  });

  test('builds the index incrementally: new entries are tested once, by the next scan', () => {
    const buffer = new LogBuffer(100);
    const tested: number[] = [];
    buffer.setFilter((entry) => {
      tested.push(entry.seq);
      return entry.event.kind === 'log';
    });
    buffer.append([log(0, A, 'a'), sent(1, A, B)]);
    expect(buffer.matchCount).toBe(0);
    buffer.scan();
    expect(texts(buffer)).toEqual(['a']);
    buffer.append([log(2, A, 'b'), sent(3, A, B)]);
    buffer.scan();
    buffer.scan();
    expect(texts(buffer)).toEqual(['a', 'b']);
    expect(tested).toEqual([0, 1, 2, 3]);
  });

  test('a scan stops when its time budget is spent and carries on where it stopped', () => {
    const buffer = new LogBuffer(10_000);
    buffer.append(Array.from({ length: 5000 }, (_, seq) => log(seq, A, seq % 2 === 0 ? 'even' : 'odd')));
    buffer.setFilter(compileFilter({ ...NO_FILTER, text: 'even' }));
    let clock = 0;
    // Each check of the clock costs 10 ms: a 15 ms budget stops after two slices of 1,024.
    expect(buffer.scan(15, () => (clock += 10))).toBe(false);
    expect(buffer.scanComplete).toBe(false);
    expect(buffer.scanProgress).toBeCloseTo(2048 / 5000);
    expect(buffer.matchCount).toBe(1024);
    expect(buffer.scan()).toBe(true);
    expect(buffer.matchCount).toBe(2500);
  });

  test('beyond its capacity it drops the oldest entries and their matches, and counts them', () => {
    const buffer = new LogBuffer(5);
    buffer.setFilter(compileFilter({ ...NO_FILTER, text: 'keep' }));
    buffer.append([log(0, A, 'keep 0'), log(1, A, 'skip 1'), log(2, A, 'keep 2')]);
    buffer.scan();
    buffer.append([log(3, A, 'keep 3'), log(4, A, 'skip 4'), log(5, A, 'keep 5'), log(6, A, 'keep 6')]);
    buffer.scan();
    expect(buffer.size).toBe(5);
    expect(buffer.dropped).toBe(2);
    expect(texts(buffer)).toEqual(['keep 2', 'keep 3', 'keep 5', 'keep 6']);
    expect(buffer.matchesDropped).toBe(1);
    expect(buffer.entries().map((entry) => entry.seq)).toEqual([2, 3, 4, 5, 6]);
  });

  test('puts older entries before the kept ones, as many as the capacity leaves room for, and indexes them', () => {
    for (const filtered of [false, true]) {
      const buffer = new LogBuffer(6);
      if (filtered) buffer.setFilter(compileFilter({ ...NO_FILTER, text: 'keep' }));
      buffer.append([log(10, A, 'keep 10'), log(11, A, 'skip 11')]);
      buffer.scan();
      buffer.prepend([log(6, A, 'keep 6'), log(7, A, 'skip 7'), log(8, A, 'keep 8'), log(9, A, 'skip 9')]);
      expect(buffer.entries().map((entry) => entry.seq)).toEqual([6, 7, 8, 9, 10, 11]);
      expect(texts(buffer)).toEqual(filtered ? ['keep 6', 'keep 8', 'keep 10'] : ['keep 6', 'skip 7', 'keep 8', 'skip 9', 'keep 10', 'skip 11']);
      expect(buffer.matchesPrepended).toBe(filtered ? 2 : 4);
      // Full: nothing more fits before.
      buffer.prepend([log(5, A, 'keep 5')]);
      expect(buffer.size).toBe(6);
      expect(buffer.entryAt(0)?.seq).toBe(6);
      // Appending past the capacity drops the oldest, prepended or not.
      buffer.append([log(12, A, 'keep 12')]);
      buffer.scan();
      expect(buffer.entryAt(0)?.seq).toBe(7);
      expect(buffer.dropped).toBe(1);
      expect(texts(buffer).at(-1)).toBe('keep 12');
    }
  });

  test('prepends only the newest of a history longer than the room left', () => {
    const buffer = new LogBuffer(3);
    buffer.append([log(9, A, 'n9')]);
    buffer.prepend([log(5, A, 'n5'), log(6, A, 'n6'), log(7, A, 'n7'), log(8, A, 'n8')]);
    expect(texts(buffer)).toEqual(['n7', 'n8', 'n9']);
  });

  test('keeps only the newest when one append is larger than the capacity', () => {
    const buffer = new LogBuffer(3);
    buffer.append([log(0, A, 'old')]);
    buffer.append(Array.from({ length: 10 }, (_, index) => log(index + 1, A, `n${index + 1}`)));
    expect(texts(buffer)).toEqual(['n8', 'n9', 'n10']);
    expect(buffer.dropped).toBe(8);
    expect(buffer.appended).toBe(11);
  });

  test('stays within its capacity over many appends (compacting as it goes), unfiltered and filtered', () => {
    for (const filtered of [false, true]) {
      const buffer = new LogBuffer(10_000);
      if (filtered) buffer.setFilter(compileFilter({ ...NO_FILTER, peer: A }));
      for (let batch = 0; batch < 100; batch++) {
        buffer.append(Array.from({ length: 500 }, (_, index) => log(batch * 500 + index, index % 2 === 0 ? A : B, `l${batch * 500 + index}`)));
        buffer.scan();
      }
      expect(buffer.size).toBe(10_000);
      expect(buffer.dropped).toBe(40_000);
      expect(buffer.matchCount).toBe(filtered ? 5000 : 10_000);
      expect(buffer.matchAt(buffer.matchCount - 1)?.seq).toBe(filtered ? 49_998 : 49_999);
      expect(buffer.matchAt(0)?.seq).toBe(40_000);
    }
  });
});

describe('the journal store', () => {
  let client: FakeClient;
  const frames: (() => void)[] = [];
  const runFrames = (): void => {
    while (frames.length > 0) frames.shift()!();
  };

  beforeEach(() => {
    setActivePinia(createPinia());
    frames.length = 0;
    vi.stubGlobal('requestAnimationFrame', (callback: () => void) => frames.push(callback));
    client = createFakeClient({ journalEntries: () => [] });
    setClusterClient(client);
  });
  afterEach(() => vi.unstubAllGlobals());

  /** The server holds `history`; its journal has `total` entries in all (more when its window forgot some). */
  function serve(history: SessionEntry[], total = (history.at(-1)?.seq ?? -1) + 1): void {
    client.calls.session.mockResolvedValue({ ...fakeSession(), journal: { entries: total, bytesWritten: 0 } });
    client.calls.journalEntries.mockImplementation(async (since: number, limit: number) => history.filter((entry) => entry.seq > since).slice(0, limit));
  }

  async function started(history: SessionEntry[] = []): Promise<ReturnType<typeof useJournalStore>> {
    serve(history);
    const stream = useStreamStore();
    stream.start();
    const journal = useJournalStore();
    journal.start();
    await vi.waitFor(() => expect(journal.history).toBe('loaded'));
    return journal;
  }

  function lines(journal: ReturnType<typeof useJournalStore>): number[] {
    return Array.from({ length: journal.stats.matches }, (_, index) => journal.lineAt(index)!.seq);
  }

  test('shows the stream at once and puts the session so far before it, without a line twice', async () => {
    const history = [log(0, A, 'h0'), log(1, A, 'h1'), log(2, A, 'h2')];
    serve(history);
    let release: (() => void) | undefined;
    const answered = new Promise<void>((resolve) => (release = resolve));
    client.calls.session.mockImplementation(async () => {
      await answered;
      return { ...fakeSession(), journal: { entries: 3, bytesWritten: 0 } };
    });
    const stream = useStreamStore();
    stream.start();
    const journal = useJournalStore();
    journal.start();
    // The stream began at seq 2, which the history has too.
    client.emit({ entries: [log(2, A, 'h2'), log(3, A, 's3')] });
    runFrames();
    expect(lines(journal)).toEqual([2, 3]);
    release!();
    await vi.waitFor(() => expect(journal.history).toBe('loaded'));
    expect(lines(journal)).toEqual([0, 1, 2, 3]);
    expect(journal.historyLoaded).toBe(2);
    client.emit({ entries: [log(4, A, 's4')] });
    runFrames();
    expect(lines(journal)).toEqual([0, 1, 2, 3, 4]);
  });

  test('a stream batch that was under way when the history came does not repeat its lines', async () => {
    const journal = await started([log(0, A, 'h0'), log(1, A, 'h1'), log(2, A, 'h2')]);
    client.emit({ entries: [log(1, A, 'h1'), log(2, A, 'h2'), log(3, A, 's3')] });
    runFrames();
    client.emit({ entries: [log(4, A, 's4')] });
    runFrames();
    expect(lines(journal)).toEqual([0, 1, 2, 3, 4]);
  });

  test('asks for the history newest page first, back to the first entry', async () => {
    const history = Array.from({ length: 60_005 }, (_, seq) => log(seq, A, `h${seq}`));
    const journal = await started(history);
    expect(client.calls.journalEntries.mock.calls).toEqual([
      [35_004, 25_000],
      [10_004, 25_000],
      [-1, 25_000],
    ]);
    expect(journal.stats.size).toBe(60_005);
    expect(lines(journal)).toEqual(history.map((entry) => entry.seq));
  });

  test("stops at the start of the server's memory window", async () => {
    const kept = Array.from({ length: 500 }, (_, index) => log(500 + index, A, `h${500 + index}`));
    serve(kept, 1000);
    useStreamStore().start();
    const journal = useJournalStore();
    journal.start();
    await vi.waitFor(() => expect(journal.history).toBe('loaded'));
    expect(client.calls.journalEntries).toHaveBeenCalledTimes(1);
    expect(lines(journal)[0]).toBe(500);
    expect(journal.stats.size).toBe(500);
  });

  test('bumps its version once per frame however many batches the frame brings', async () => {
    const journal = await started();
    const before = journal.version;
    client.emit({ entries: [log(0, A, 'a')] });
    client.emit({ entries: [log(1, A, 'b')] });
    client.emit({ entries: [log(2, A, 'c')] });
    runFrames();
    expect(journal.version).toBe(before + 1);
    expect(journal.stats.matches).toBe(3);
  });

  test('a filter change rebuilds the index over frames, each within its budget, and the new lines join it', async () => {
    const history = Array.from({ length: 200_000 }, (_, seq) => (seq % 4 === 0 ? log(seq, B, `needle ${seq}`) : sent(seq, A, B)));
    const journal = await started(history);
    expect(journal.stats.matches).toBe(200_000);
    journal.setText('needle');
    await vi.waitFor(() => expect(journal.stats.filtered).toBe(true));
    // Not in one frame: a frame tests what 6 ms allow, far fewer than 200,000 lines with text.
    const framesNeeded = { count: 0 };
    while (!journal.stats.scanComplete && framesNeeded.count < 1000) {
      frames.shift()?.();
      framesNeeded.count++;
    }
    expect(journal.stats.scanComplete).toBe(true);
    expect(framesNeeded.count).toBeGreaterThan(1);
    expect(journal.stats.matches).toBe(50_000);
    client.emit({ entries: [log(200_000, B, 'needle new'), sent(200_001, A, B)] });
    runFrames();
    expect(journal.stats.matches).toBe(50_001);
    journal.setPeer(A);
    await vi.waitFor(() => expect(journal.filter.peer).toBe(A));
    while (!journal.stats.scanComplete) runFrames();
    expect(journal.stats.matches).toBe(0);
    journal.clearFilter();
    await vi.waitFor(() => expect(journal.stats.filtered).toBe(false));
    expect(journal.stats.matches).toBe(200_002);
  });

  test('toggles kind groups on and off', async () => {
    const journal = await started([log(0, A, 'x'), sent(1, A, B), added(2, A, B)]);
    journal.toggleGroup('messages');
    await vi.waitFor(() => expect(journal.stats.filtered).toBe(true));
    expect(lines(journal)).toEqual([0, 2]);
    journal.toggleGroup('membership');
    await vi.waitFor(() => expect(lines(journal)).toEqual([0]));
    journal.toggleGroup('messages');
    journal.toggleGroup('membership');
    await vi.waitFor(() => expect(journal.stats.filtered).toBe(false));
    expect(KIND_GROUPS.every((group) => journal.filter.groups.has(group))).toBe(true);
  });

  test(`keeps at most ${JOURNAL_ENTRIES_MAX.toLocaleString('en')} lines, dropping the oldest`, async () => {
    const journal = await started();
    const batch = Array.from({ length: 250_000 }, (_, index) => index);
    for (let round = 0; round < 5; round++) {
      client.emit({ entries: batch.map((index) => log(round * 250_000 + index, A, 'x')) });
      runFrames();
    }
    expect(journal.stats.size).toBe(JOURNAL_ENTRIES_MAX);
    expect(journal.stats.dropped).toBe(250_000);
    expect(journal.lineAt(0)?.seq).toBe(250_000);
    expect(journal.lineAt(JOURNAL_ENTRIES_MAX - 1)?.seq).toBe(1_249_999);
  });

  test('imports a saved journal with bad lines, shows it instead of the live one, and goes back', async () => {
    const journal = await started([log(0, A, 'live')]);
    client.calls.session.mockResolvedValue(undefined);
    const text = [formatNdjsonLine(log(10, B, 'saved one')), 'not json\n', '{"seq":1}\n', formatNdjsonLine(added(11, A, B)), '\n'].join('');
    const info = await journal.importFile(Object.assign(new Blob([text]), { name: 'old-session.ndjson' }));
    expect(info).toMatchObject({ name: 'old-session.ndjson', entries: 2, badLines: 2, truncated: 0 });
    expect(info?.refused[0]).toEqual({ line: 2, reason: 'not JSON' });
    expect(journal.showing).toBe('imported');
    expect(lines(journal)).toEqual([10, 11]);
    // Peers of an imported journal are numbered in order of appearance.
    expect(journal.peerLabel(B)).toBe('#1');
    expect(journal.peerLabel(A)).toBe('#2');
    expect(journal.peerOptions.map((peer) => peer.id)).toEqual([B, A]);
    // The live journal keeps recording meanwhile.
    client.emit({ entries: [log(1, A, 'live 2')] });
    runFrames();
    expect(lines(journal)).toEqual([10, 11]);
    journal.showLive();
    expect(journal.showing).toBe('live');
    expect(journal.importInfo).toBeUndefined();
    expect(lines(journal)).toEqual([0, 1]);
  });

  test('an imported file without a single entry says so', async () => {
    const journal = await started();
    const info = await journal.importFile(Object.assign(new Blob(['hello\nworld\n']), { name: 'notes.txt' }));
    expect(info).toMatchObject({ entries: 0, badLines: 2 });
    expect(useNotificationsStore().notices.at(-1)?.text).toMatch(/notes\.txt holds no journal entries \(2 bad lines\).*Nothing was imported/);
    // The window stays on the live journal.
    expect(journal.showing).toBe('live');
    expect(useTimelineStore().source).toBe('live');
  });

  test('labels live peers by their number, and the cluster as itself', async () => {
    const journal = await started();
    useClusterStore().peers = [fakePeer(1), fakePeer(2)];
    expect(journal.peerLabel('127.0.0.1:4002')).toBe('#2');
    expect(journal.peerLabel('cluster')).toBe('cluster');
    expect(journal.peerLabel('10.0.0.9:7000')).toBe(':7000');
  });

  test('export asks the bridge for the format and says where the file went', async () => {
    const journal = await started();
    const notifications = useNotificationsStore();
    vi.mocked(client.exportJournal).mockResolvedValueOnce({ downloaded: 'dbg.log' });
    await journal.exportJournal('dbg');
    expect(client.exportJournal).toHaveBeenCalledWith('dbg');
    expect(journal.lastExport).toEqual({ format: 'dbg', outcome: { downloaded: 'dbg.log' } });
    expect(notifications.notices.at(-1)?.text).toBe("Downloaded dbg.log, the whole session (to the browser's downloads folder)");

    vi.mocked(client.exportJournal).mockResolvedValueOnce({ saved: '/home/me/session.ndjson' });
    await journal.exportJournal('ndjson');
    expect(notifications.notices.at(-1)?.text).toBe('Saved the whole session to /home/me/session.ndjson');

    vi.mocked(client.exportJournal).mockRejectedValueOnce(new Error('the export failed: 500'));
    await journal.exportJournal('shiviz');
    expect(notifications.notices.at(-1)).toMatchObject({ level: 'error', text: 'Exporting shiviz: the export failed: 500' });
    expect(journal.exporting).toBeUndefined();
    expect(describeExport({ cancelled: true })).toBe('Export cancelled');
  });

  test('the benchmark fill is refused without ?bench in the address', async () => {
    const journal = await started();
    expect(() => journal.benchFill(10)).toThrow(/benchmark/);
    history.replaceState(null, '', '/?bench');
    try {
      expect(journal.benchFill(1000)).toBe(1000);
      expect(journal.stats.matches).toBe(1000);
    } finally {
      history.replaceState(null, '', '/');
    }
  });
});
