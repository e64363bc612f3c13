// @vitest-environment jsdom
/**
 * The Log tells the truth about peers and exports (issue 14, defect 8): a line's text names peers
 * as its peer column does (`#3`, or `Peer 8` on a circular DHT), so does the peer filter, one kind
 * can be shown alone, and an export says whether it holds the whole session or only the lines
 * shown (filtered, within a time window).
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { useJournalStore } from '../../src/renderer/src/stores/journal.ts';
import { KIND_GROUPS } from '../../src/renderer/src/lib/log-buffer.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { describeEvent, eventPeer, formatNdjsonLine, formatSession, nameAddresses, parseJournal, type SessionEntry } from '../../src/shared/journal/session.ts';
import type { PeerSummaryWire } from '../../src/shared/api/cluster-api.ts';
import { mountLogView } from './support/log-view.ts';
import { createFakeClient, fakePeer, type FakeClient } from './support/fake-client.ts';

const P1 = '127.0.0.1:4001';
const P2 = '127.0.0.1:4002';
const P3 = '127.0.0.1:4003';

const atOf = (seq: number): number => new Date(2026, 0, 1, 10, 0, seq).getTime();
const at = (seq: number, event: JournalEvent): SessionEntry => ({ seq, at: atOf(seq), event });

let client: FakeClient;
let wrapper: VueWrapper | undefined;

beforeEach(() => {
  setActivePinia(createPinia());
  vi.stubGlobal('requestAnimationFrame', (callback: () => void) => setTimeout(callback, 0));
  client = createFakeClient();
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function open(history: SessionEntry[], peers: PeerSummaryWire[] = [fakePeer(1), fakePeer(2), fakePeer(3)]): Promise<VueWrapper> {
  wrapper = await mountLogView(client, history, peers);
  await settle();
  return wrapper;
}

async function settle(): Promise<void> {
  await flushPromises();
  await new Promise((resolve) => setTimeout(resolve, 5));
  await flushPromises();
}

/** Each line's peer cell and text cell. */
const lines = (view: VueWrapper): { peer: string; text: string }[] =>
  view.findAll('[data-testid="log-line"]').map((line) => ({ peer: line.get('.peer').text(), text: line.get('.text').text() }));

async function typeFilter(view: VueWrapper, text: string): Promise<void> {
  vi.useFakeTimers();
  await view.get('[data-testid="log-text"]').setValue(text);
  vi.advanceTimersByTime(200);
  vi.useRealTimers();
  await settle();
}

/** Captures what `downloadText` hands the browser. */
function captureDownloads(): { names: string[]; blobs: Blob[] } {
  const captured = { names: [] as string[], blobs: [] as Blob[] };
  URL.createObjectURL = vi.fn((blob: Blob) => (captured.blobs.push(blob), `blob:${captured.blobs.length}`));
  URL.revokeObjectURL = vi.fn();
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    captured.names.push(this.download);
  });
  return captured;
}

describe('the text of a line names peers as its peer column does', () => {
  test('on a key-value cluster: #n for every peer a line mentions, and the addresses stay in its tooltip', async () => {
    const view = await open([
      at(0, { kind: 'message.sent', tick: 0, peer: P1, to: P2, type: 'swim.ping', bytes: 40 }),
      at(1, { kind: 'member.suspected', tick: 1, peer: P2, subject: P3, incarnation: 2 }),
      at(2, { kind: 'kv.result', tick: 2, peer: P1, transaction: 7, op: 'read', key: 'k', ok: true, latencyTicks: 1, replicas: [{ peer: P1, ok: true }, { peer: P3, ok: false }] }),
      at(3, { kind: 'fault.changed', tick: 3, description: `partition ${P1} | ${P2},${P3}; loss 0.1` }),
      at(4, { kind: 'log', tick: 4, peer: 'manager', text: `removing ${P3} from the ring: its key ranges go to the others` }),
    ]);
    expect(lines(view)).toEqual([
      { peer: '#1', text: 'sent swim.ping to #2 (40 bytes)' },
      { peer: '#2', text: 'suspects #3 (incarnation 2)' },
      { peer: '#1', text: 'coordinator read k: success in 1 ticks [#1 ok, #3 no]' },
      { peer: 'cluster', text: 'faults: partition #1 | #2,#3; loss 0.1' },
      { peer: 'manager', text: 'removing #3 from the ring: its key ranges go to the others' },
    ]);
    expect(view.findAll('[data-testid="log-line"]')[0]!.attributes('title')).toBe(`seq 0, tick 0, at ${P1}\nsent swim.ping to ${P2} (40 bytes)`);
  });

  test('on a circular DHT: Peer n, in the peer column, the text and the peer filter alike', async () => {
    const peers = [
      { ...fakePeer(1), id: '127.0.0.1:12008', identity: 8 },
      { ...fakePeer(2), id: '127.0.0.1:12014', identity: 14 },
    ];
    const view = await open(
      [
        at(0, { kind: 'console', tick: 0, peer: peers[0]!.id, text: 'A ping request message was received from Peer 14.' }),
        at(1, { kind: 'message.sent', tick: 1, peer: peers[1]!.id, to: peers[0]!.id, type: 'dht.ping-request', bytes: 50 }),
        at(2, { kind: 'log', tick: 2, peer: peers[0]!.id, text: `sent 0014.pdf (3 bytes) to ${peers[1]!.id} in 0.01 s` }),
      ],
      peers,
    );
    expect(lines(view)).toEqual([
      { peer: 'Peer 8', text: 'A ping request message was received from Peer 14.' },
      { peer: 'Peer 14', text: 'sent dht.ping-request to Peer 8 (50 bytes)' },
      { peer: 'Peer 8', text: 'sent 0014.pdf (3 bytes) to Peer 14 in 0.01 s' },
    ]);
    const options = view.findAll('[data-testid="log-peer"] option').map((option) => option.text());
    expect(options).toEqual(['All peers', 'Peer 8', 'Peer 14', 'cluster (faults)']);
    // Each option names its peer exactly as that peer's rows do.
    await view.get('[data-testid="log-peer"]').setValue(peers[1]!.id);
    await settle();
    expect(lines(view).map((line) => line.peer)).toEqual(['Peer 14']);
  });

  test('an imported DHT journal names its peers by identity, in the rows and the filter', async () => {
    const view = await open([]);
    const id = '10.0.0.5:12005';
    const file = new File(
      [
        [
          at(0, { kind: 'process.started', tick: 0, peer: id, pid: 9, port: 12005, redisPort: 0, number: 1, identity: 5 }),
          at(1, { kind: 'console', tick: 1, peer: id, text: 'Store 4103 request accepted' }),
        ]
          .map(formatNdjsonLine)
          .join(''),
      ],
      'dht.ndjson',
    );
    await useJournalStore().importFile(file);
    await settle();
    expect(lines(view).map((line) => line.peer)).toEqual(['Peer 5', 'Peer 5']);
    expect(view.findAll('[data-testid="log-peer"] option').map((option) => option.text())).toEqual(['All peers', 'Peer 5', 'cluster (faults)']);
  });

  test('a text filter finds a line by the names it shows as well as by the addresses the journal holds', async () => {
    const view = await open([
      at(0, { kind: 'message.sent', tick: 0, peer: P1, to: P2, type: 'swim.ping', bytes: 40 }),
      at(1, { kind: 'message.sent', tick: 1, peer: P1, to: P3, type: 'swim.ping', bytes: 40 }),
      at(2, { kind: 'log', tick: 2, peer: P3, text: 'hello' }),
    ]);
    await typeFilter(view, 'to #3');
    expect(lines(view).map((line) => line.text)).toEqual(['sent swim.ping to #3 (40 bytes)']);
    await typeFilter(view, P3);
    expect(lines(view).map((line) => line.text)).toEqual(['sent swim.ping to #3 (40 bytes)', 'hello']);
  });
});

describe('describeEvent names peers only when asked', () => {
  const name = (id: string): string => ({ [P1]: '#1', [P2]: '#2' })[id] ?? id;

  test('by default (the exports, the command line) every id is written as it is', () => {
    const events: JournalEvent[] = [
      { kind: 'member.added', tick: 0, peer: P1, subject: P2 },
      { kind: 'message.rejected', tick: 0, peer: P1, from: P2, reason: 'malformed', detail: `bad frame from ${P2}` },
      { kind: 'log', tick: 0, peer: P1, text: `to ${P2}: 3 keys` },
    ];
    expect(events.map((event) => describeEvent(event))).toEqual([`${P2} joined (as ${P1} sees it)`, `refused a message from ${P2}: malformed, bad frame from ${P2}`, `to ${P2}: 3 keys`]);
    expect(events.map((event) => describeEvent(event, name))).toEqual(['#2 joined (as #1 sees it)', 'refused a message from #2: malformed, bad frame from #2', 'to #2: 3 keys']);
    // The text export is unchanged.
    expect(formatSession([{ seq: 0, at: 0, event: events[0]! }], 'text')).toBe(`1970-01-01T00:00:00.000Z  ${P1}  ${P2} joined (as ${P1} sees it)\n`);
  });

  test('only addresses in free text are renamed, with the punctuation after them kept', () => {
    expect(nameAddresses(`${P1}: loss 0.2; ${P1} -> ${P2}: delay 200 ms, x:y 10:30 (${P2}).`, name)).toBe('#1: loss 0.2; #1 -> #2: delay 200 ms, x:y 10:30 (#2).');
    expect(nameAddresses('[::1]:4001 joined', (id) => (id === '[::1]:4001' ? '#9' : id))).toBe('#9 joined');
  });
});

describe('only one kind', () => {
  test("a kind's 'only' button shows that kind alone, and again every kind; Alt+click does the same", async () => {
    const view = await open([
      at(0, { kind: 'log', tick: 0, peer: P1, text: 'a note' }),
      at(1, { kind: 'message.sent', tick: 1, peer: P1, to: P2, type: 'swim.ping', bytes: 40 }),
      at(2, { kind: 'member.suspected', tick: 2, peer: P2, subject: P3 }),
    ]);
    const pressed = (): string[] => KIND_GROUPS.filter((group) => view.get(`[data-group="${group}"]`).attributes('aria-pressed') === 'true');
    await view.get('[data-only="messages"]').trigger('click');
    await settle();
    expect(pressed()).toEqual(['messages']);
    expect(lines(view).map((line) => line.text)).toEqual(['sent swim.ping to #2 (40 bytes)']);
    await view.get('[data-only="messages"]').trigger('click');
    await settle();
    expect(pressed()).toEqual([...KIND_GROUPS]);
    expect(lines(view)).toHaveLength(3);
    await view.get('[data-group="membership"]').trigger('click', { altKey: true });
    await settle();
    expect(pressed()).toEqual(['membership']);
    expect(lines(view).map((line) => line.text)).toEqual(['suspects #3']);
    // A plain click still toggles one kind.
    await view.get('[data-group="log"]').trigger('click');
    await settle();
    expect(pressed()).toEqual(['membership', 'log']);
  });
});

describe('exports', () => {
  const history = (): SessionEntry[] => [
    at(0, { kind: 'log', tick: 0, peer: P1, text: 'zero' }),
    at(1, { kind: 'log', tick: 1, peer: P2, text: 'one' }),
    at(2, { kind: 'message.sent', tick: 2, peer: P1, to: P2, type: 'swim.ping', bytes: 40 }),
    at(3, { kind: 'log', tick: 3, peer: P1, text: `three for ${P2}` }),
    at(4, { kind: 'log', tick: 4, peer: P1, text: 'four' }),
  ];

  test('the menu says the server export holds the whole session, whatever the filters, and offers the lines shown apart', async () => {
    const view = await open(history());
    await view.get('[data-testid="log-peer"]').setValue(P1);
    await settle();
    expect(view.get('[data-testid="log-export-whole"]').text()).toContain('every entry the server recorded');
    expect(view.get('[data-testid="log-export-whole"]').text()).toContain('the filters, the time window and the timeline\'s moment do not apply');
    expect(view.get('[data-testid="log-export-shown"]').text()).toContain('4 lines shown, filtered');
    await view.get('[data-format="ndjson"]').trigger('click');
    await settle();
    expect(client.exportJournal).toHaveBeenCalledWith('ndjson');
    expect(view.get('[data-testid="log-export-note"]').text()).toContain('the whole session');
  });

  test('the lines shown, as NDJSON: only those the filters pass, within the time window, to import again', async () => {
    const downloads = captureDownloads();
    const view = await open(history());
    await view.get('[data-testid="log-peer"]').setValue(P1);
    await view.get('[data-group="messages"]').trigger('click');
    await settle();
    await view.get('[data-testid="log-export-from"]').setValue('2026-01-01T10:00:01');
    await view.get('[data-testid="log-export-to"]').setValue('2026-01-01T10:00:03');
    await view.get('[data-lines-format="ndjson"]').trigger('click');
    await settle();
    expect(client.exportJournal).not.toHaveBeenCalled();
    expect(downloads.names).toEqual(['ringside-lines.ndjson']);
    const parsed = parseJournal(await downloads.blobs[0]!.text());
    // Peer #1, no messages, from 10:00:01 to the end of 10:00:03.
    expect(parsed.entries.map((entry) => entry.seq)).toEqual([3]);
    expect(parsed.refusedCount).toBe(0);
    expect(view.get('[data-testid="log-export-note"]').text()).toBe('Downloaded ringside-lines.ndjson: the 1 line shown, as NDJSON (not the whole session)');
  });

  test('the lines shown, in words: each as the log shows it, and every one when nothing is filtered', async () => {
    const downloads = captureDownloads();
    const view = await open(history());
    await view.get('[data-lines-format="text"]').trigger('click');
    await settle();
    const text = await downloads.blobs[0]!.text();
    const written = text.split('\n').filter((line) => line !== '');
    expect(written).toHaveLength(5);
    expect(written[2]).toBe(`${new Date(atOf(2)).toISOString()}  #1  message.sent  sent swim.ping to #2 (40 bytes)`);
    expect(written[3]).toBe(`${new Date(atOf(3)).toISOString()}  #1  log  three for #2`);
  });

  test('the lines shown are the store\'s own, independently recomputed: filter and window applied to every entry kept', async () => {
    const entries = Array.from({ length: 300 }, (_, seq) => at(seq, { kind: seq % 3 === 0 ? 'log' : 'message.sent', tick: seq, peer: [P1, P2, P3][seq % 3]!, to: P1, type: 'swim.ack', bytes: 1, text: `line ${seq}` } as JournalEvent));
    await open(entries);
    const journal = useJournalStore();
    journal.setPeer(P1);
    journal.onlyGroup('log');
    const range = { fromAt: atOf(50), toAt: atOf(200) };
    const shown = journal.shownLines(range);
    const expected = entries.filter((entry) => eventPeer(entry.event) === P1 && entry.event.kind === 'log' && entry.at >= range.fromAt && entry.at <= range.toAt);
    expect(shown.map((entry) => entry.seq)).toEqual(expected.map((entry) => entry.seq));
    expect(shown.length).toBeGreaterThan(10);
  });
});
