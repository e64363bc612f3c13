// @vitest-environment jsdom
/**
 * The window's one timeline: every view that follows it shows the moment chosen, from the
 * journal alone; "live" is the newest entry; an imported journal plays the same way.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useStreamStore } from '../../src/renderer/src/stores/stream.ts';
import { useJournalStore } from '../../src/renderer/src/stores/journal.ts';
import { useTimelineStore } from '../../src/renderer/src/stores/timeline.ts';
import ClusterView from '../../src/renderer/src/views/ClusterView.vue';
import LogView from '../../src/renderer/src/views/LogView.vue';
import MembershipView from '../../src/renderer/src/views/MembershipView.vue';
import TimelineBar from '../../src/renderer/src/components/timeline/TimelineBar.vue';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { formatNdjsonLine, type SessionEntry } from '../../src/shared/journal/session.ts';
import { createFakeClient, fakePeer, fakeSession, type FakeClient } from './support/fake-client.ts';
import { buildDiagram } from '../../src/renderer/src/lib/message-diagram.ts';

// uPlot needs a real browser: the Charts view's tests look at what the view computes around its charts.
vi.mock('../../src/renderer/src/components/charts/TimeChart.vue', () => ({ default: { name: 'TimeChart', render: () => null } }));

const A = '127.0.0.1:4001';
const B = '127.0.0.1:4002';
const C = '127.0.0.1:4003';
const T0 = new Date(2026, 0, 1, 10, 0, 0).getTime();

/** Two clusters: #1 A and #2 B (B suspected, then killed), then a cluster of one, C as #1. */
const EVENTS: JournalEvent[] = [
  { kind: 'cluster.started', tick: 0, peer: 'manager', epoch: 1, cluster: 'kv', peers: 2, tickMs: 100, protocol: 'swim', quorum: 'strict' },
  { kind: 'process.started', tick: 0, peer: A, pid: 11, port: 4001, redisPort: 6001, number: 1 },
  { kind: 'process.started', tick: 0, peer: B, pid: 12, port: 4002, redisPort: 6002, number: 2 },
  { kind: 'member.added', tick: 1, peer: A, subject: A },
  { kind: 'member.added', tick: 1, peer: B, subject: B },
  { kind: 'member.added', tick: 1, peer: A, subject: B },
  { kind: 'member.added', tick: 1, peer: B, subject: A },
  { kind: 'fault.changed', tick: 2, description: 'loss 0.5' },
  { kind: 'member.suspected', tick: 3, peer: A, subject: B, incarnation: 0 },
  { kind: 'process.exited', tick: 4, peer: B, pid: 12, code: null, signal: 'SIGKILL', expected: true },
  { kind: 'process.exited', tick: 5, peer: A, pid: 11, code: 0, signal: null, expected: true },
  { kind: 'cluster.started', tick: 6, peer: 'manager', epoch: 2, cluster: 'kv', peers: 1, tickMs: 100, protocol: 'swim', quorum: 'strict' },
  { kind: 'process.started', tick: 6, peer: C, pid: 13, port: 4003, redisPort: 6003, number: 1 },
];
const ENTRIES: SessionEntry[] = EVENTS.map((event, seq) => ({ seq, at: T0 + seq * 100, event }));

let client: FakeClient;
const mounted: VueWrapper[] = [];
const frames: (() => void)[] = [];

beforeEach(() => {
  setActivePinia(createPinia());
  frames.length = 0;
  vi.stubGlobal('requestAnimationFrame', (callback: () => void) => frames.push(callback));
  client = createFakeClient();
  const live = { ...fakePeer(1), id: C, port: 4003 };
  client.calls.session.mockResolvedValue({ ...fakeSession([live]), journal: { entries: ENTRIES.length, bytesWritten: 0 } });
  client.calls.journalEntries.mockImplementation(async (since: number, limit: number) => ENTRIES.filter((entry) => entry.seq > since).slice(0, limit));
  setClusterClient(client);
  useClusterStore().peers = [live];
});
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount();
  vi.unstubAllGlobals();
});

async function loaded(): Promise<ReturnType<typeof useTimelineStore>> {
  const timeline = useTimelineStore();
  useStreamStore().start();
  timeline.start();
  await vi.waitFor(() => expect(timeline.history).toBe('loaded'));
  await flushPromises();
  return timeline;
}

function open<T>(component: T): VueWrapper {
  const wrapper = mount(component as never, { attachTo: document.body });
  mounted.push(wrapper);
  return wrapper;
}

const states = (view: VueWrapper): string[][] =>
  view.findAll('[data-testid="peers-table"] tbody tr[data-peer]').map((row) => [row.attributes('data-peer') as string, row.get('[data-testid="peer-state"]').text()]);

describe('the timeline store', () => {
  test('loads the session oldest first and is live at its newest entry', async () => {
    const timeline = await loaded();
    expect(timeline.size).toBe(ENTRIES.length);
    expect(timeline.isPast).toBe(false);
    expect(timeline.complete).toBe(true);
    expect(timeline.world.epoch.number).toBe(2);
    expect([...timeline.world.peers.keys()]).toEqual([C]);
  });

  test('steps one entry and one tick, finds a moment by time, and goes back to live', async () => {
    const timeline = await loaded();
    timeline.seek(4);
    expect(timeline.isPast).toBe(true);
    expect(timeline.world.seq).toBe(3);
    timeline.step(1);
    expect(timeline.world.seq).toBe(4);
    timeline.step(-1);
    timeline.step(-1);
    expect(timeline.world.seq).toBe(2);
    // Entries are 100 ms apart here, and a tick is 100 ms: one tick is one entry.
    timeline.stepTick(1);
    expect(timeline.world.seq).toBe(3);
    timeline.stepTick(-1);
    expect(timeline.world.seq).toBe(2);
    timeline.seekTime(T0 + 850);
    expect(timeline.world.seq).toBe(8);
    expect(timeline.world.faults).toBe('loss 0.5');
    timeline.goLive();
    expect(timeline.isPast).toBe(false);
    expect(timeline.world.seq).toBe(ENTRIES.length - 1);
  });

  test('plays forward frame by frame at the chosen speed and is live again at the end', async () => {
    const timeline = await loaded();
    timeline.speed = 1;
    timeline.seek(1);
    const frame = (now: number): void => {
      const callback = frames.shift() as unknown as ((time: number) => void) | undefined;
      callback?.(now);
    };
    timeline.play();
    frame(1000);
    // 250 ms of session time at 1× after the first entry: two entries more.
    frame(1250);
    expect(timeline.world.seq).toBe(2);
    timeline.speed = 50;
    frame(1300);
    expect(timeline.isPast).toBe(false);
    expect(timeline.playing).toBe(false);
  });
});

describe('views of a past moment', () => {
  test('the Cluster view shows the peers of that moment, numbered in their own cluster, with no actions', async () => {
    const timeline = await loaded();
    const view = open(ClusterView);
    await flushPromises();
    expect(states(view)).toEqual([[C, 'alive']]);
    timeline.seek(9);
    await flushPromises();
    // A suspects B: B shows suspect; B's number is its own cluster's #2.
    expect(states(view)).toEqual([
      [A, 'alive'],
      [B, 'suspect'],
    ]);
    expect(view.findAll('[data-testid="peers-table"] tbody tr[data-peer] td:first-child').map((cell) => cell.text())).toEqual(['1', '2']);
    expect(view.findAll('[data-testid="peers-table"] button[data-action]')).toHaveLength(0);
    // The settings shown are the ones that cluster started with, not the next start's.
    expect(view.get('[data-testid="past-settings"]').text()).toContain('2 peers of a key-value ring over SWIM with strict quorums, 100 ms ticks');
    timeline.seek(10);
    await flushPromises();
    expect(states(view)).toContainEqual([B, 'killed']);
    timeline.seek(0);
    await flushPromises();
    expect(view.get('[data-testid="cluster-empty"]').text()).toContain('No peers at this moment');
  });

  test('the Membership view draws the beliefs of that moment from the journal', async () => {
    const timeline = await loaded();
    useClusterStore().peers = [];
    const view = open(MembershipView);
    timeline.seek(9);
    await flushPromises();
    const rows = view.findAll('[data-testid="membership-matrix"] tbody tr');
    expect(rows.map((row) => row.findAll('td.cell').map((cell) => cell.attributes('data-state')))).toEqual([
      ['alive', 'suspect'],
      ['alive', 'alive'],
    ]);
    expect(view.get('[data-testid="membership-faults"]').text()).toContain('loss 0.5');
    expect(view.find('[data-testid="changes-live-only"]').exists()).toBe(true);
  });

  test('the Log shows the lines through that moment and counts those after it', async () => {
    const timeline = await loaded();
    const view = open(LogView);
    await vi.waitFor(() => expect(useJournalStore().history).toBe('loaded'));
    while (frames.length > 0) frames.shift()!();
    await flushPromises();
    const journal = useJournalStore();
    expect(journal.stats.matches).toBe(ENTRIES.length);
    expect(view.find('[data-testid="log-later"]').exists()).toBe(false);
    timeline.seek(3);
    await flushPromises();
    expect(journal.stats.matches).toBe(3);
    expect(journal.lineAt(2)?.seq).toBe(2);
    expect(view.get('[data-testid="log-later"]').text()).toContain(`${ENTRIES.length - 3} later lines hidden`);
    timeline.goLive();
    await flushPromises();
    expect(journal.stats.matches).toBe(ENTRIES.length);
  });

  test('the strip says where it is, and its buttons step, play and go live', async () => {
    const timeline = await loaded();
    const bar = open(TimelineBar);
    await flushPromises();
    expect(bar.get('[data-testid="timeline-where"]').text()).toBe(`Live · ${ENTRIES.length} entries · cluster 2`);
    await bar.get('[data-testid="timeline-step-back"]').trigger('click');
    expect(timeline.position).toBe(ENTRIES.length - 1);
    // The faults set in the first cluster are still in force: the manager keeps its plan.
    expect(bar.get('[data-testid="timeline-where"]').text()).toBe(`Past: 10:00:01.100 · entry ${ENTRIES.length - 1} of ${ENTRIES.length} · cluster 2 · faults: loss 0.5`);
    await bar.get('[data-testid="timeline-live"]').trigger('click');
    expect(timeline.isPast).toBe(false);
  });
});

describe('an imported journal', () => {
  test('plays through the views with no peer running, its peers numbered as its clusters numbered them', async () => {
    const timeline = await loaded();
    const journal = useJournalStore();
    // The file's peers are other addresses than the live session's.
    const file = ENTRIES.map((entry) => formatNdjsonLine({ ...entry, event: JSON.parse(JSON.stringify(entry.event).replaceAll('127.0.0.1:400', '10.0.0.9:500')) as JournalEvent })).join('');
    await journal.importFile(new File([file], 'lesson.ndjson'));
    expect(timeline.source).toBe('imported');
    expect(timeline.isPast).toBe(true);
    const view = open(ClusterView);
    timeline.seek(9);
    await flushPromises();
    expect(states(view)).toEqual([
      ['10.0.0.9:5001', 'alive'],
      ['10.0.0.9:5002', 'suspect'],
    ]);
    // The log names them by their numbers in the file, not by order of appearance.
    expect(journal.peerLabel('10.0.0.9:5003')).toBe('#1');
    timeline.goLive();
    await flushPromises();
    expect(journal.showing).toBe('live');
    expect(states(view)).toEqual([[C, 'alive']]);
  });
});

describe('the Messages view', () => {
  test('counts the messages of its window by fate at the moment shown, as an independent pairing of the journal does', async () => {
    const timeline = await loaded();
    const at = (offset: number): number => T0 + 2000 + offset;
    const events: [number, JournalEvent][] = [
      [at(0), { kind: 'message.sent', tick: 20, peer: C, to: A, type: 'swim.ping', bytes: 40 }],
      [at(3), { kind: 'message.delivered', tick: 20, peer: A, from: C, type: 'swim.ping' }],
      [at(10), { kind: 'message.dropped', tick: 20, peer: C, to: B, type: 'swim.ping', reason: 'loss' }],
      [at(20), { kind: 'message.sent', tick: 20, peer: A, to: C, type: 'swim.ack', bytes: 40 }],
      [at(30), { kind: 'message.sent', tick: 20, peer: C, to: A, type: 'kv.ring', bytes: 90 }],
      [at(34), { kind: 'message.delivered', tick: 20, peer: A, from: C, type: 'kv.ring' }],
    ];
    const more = events.map(([time, event], index) => ({ seq: ENTRIES.length + index, at: time, event }));
    timeline.append(more);
    await flushPromises();
    const view = open((await import('../../src/renderer/src/views/MessagesView.vue')).default);
    await flushPromises();
    const all = [...ENTRIES, ...more];
    const expected = (position: number): string => {
      const moment = all[position - 1]!.at;
      const { messages } = buildDiagram((index) => all[index - 1], position, moment - 5000, moment);
      const count = (fate: string): number => messages.filter((message) => message.fate === fate).length;
      return `${messages.length} message${messages.length === 1 ? '' : 's'}: ${count('delivered')} delivered, ${count('dropped')} dropped, ${count('in-flight')} in flight, ${count('lost')} lost`;
    };
    const shown = (): string => view.get('[data-testid="diagram-counts"]').text().replace(/\s+/g, ' ');
    expect(shown()).toBe(expected(all.length));
    expect(shown()).toBe('4 messages: 2 delivered, 1 dropped, 1 in flight, 0 lost');
    // The Cluster view's Sent/s at that moment: message.sent entries in the 5 s before it (here
    // the 2 s the journal holds), per second; the drop is not a send.
    timeline.seek(all.length);
    const cluster = open(ClusterView);
    await flushPromises();
    const moment = all.at(-1)!.at;
    const seconds = Math.min(5, (moment - all[0]!.at) / 1000);
    const sentByC = all.filter((entry) => entry.event.kind === 'message.sent' && entry.event.peer === C && entry.at >= moment - seconds * 1000 && entry.at < moment).length;
    expect(sentByC).toBe(2);
    const rateCell = cluster.get(`tr[data-peer="${C}"] td:nth-child(7)`);
    expect(rateCell.text()).toBe((sentByC / seconds).toFixed(1));
    // Before the ping's delivery: it is in flight then.
    timeline.seek(ENTRIES.length + 1);
    await flushPromises();
    expect(shown()).toBe(expected(ENTRIES.length + 1));
    expect(shown()).toBe('1 message: 0 delivered, 0 dropped, 1 in flight, 0 lost');
  });
});

describe('the ring of a past moment', () => {
  test('is the ring state the journal says the peers held then, and moving there records no ring change', async () => {
    const { useRingStore } = await import('../../src/renderer/src/stores/ring.ts');
    const timeline = await loaded();
    const ring = useRingStore();
    const entry = (peer: string, status: 'normal' | 'joining', stamp = 1) => ({ peer, status, stamp });
    const before = [entry(A, 'normal'), entry(B, 'normal')];
    const during = [...before, entry(C, 'joining', 2)];
    const at = (offset: number): number => T0 + 3000 + offset;
    const events: [number, JournalEvent][] = [
      [at(0), { kind: 'process.started', tick: 30, peer: A, pid: 21, port: 4001, redisPort: 6001, number: 2 }],
      [at(1), { kind: 'process.started', tick: 30, peer: B, pid: 22, port: 4002, redisPort: 6002, number: 3 }],
      [at(2), { kind: 'ring.changed', tick: 30, peer: A, members: 2, entries: before, fingerprint: 'f1' }],
      [at(3), { kind: 'ring.changed', tick: 30, peer: B, members: 2, entries: before, fingerprint: 'f1' }],
      [at(4), { kind: 'ring.changed', tick: 31, peer: C, members: 2, entries: during, transition: { joining: [C], leaving: [], gainers: [C] }, fingerprint: 'f2' }],
      [at(5), { kind: 'ring.changed', tick: 31, peer: A, members: 2, entries: during, transition: { joining: [C], leaving: [], gainers: [C] }, fingerprint: 'f2' }],
      [at(6), { kind: 'ring.changed', tick: 31, peer: B, members: 2, entries: during, transition: { joining: [C], leaving: [], gainers: [C] }, fingerprint: 'f2' }],
    ];
    const first = ENTRIES.length;
    timeline.append(events.map(([time, event], index) => ({ seq: first + index, at: time, event })));
    await flushPromises();
    timeline.seek(first + 4);
    await flushPromises();
    expect(ring.ring.peers).toEqual([A, B].sort());
    expect(ring.transition).toBeUndefined();
    timeline.seek(first + 7);
    await flushPromises();
    expect(ring.consensus.owners).toEqual([A, B].sort());
    expect(ring.transition?.joining).toEqual([C]);
    expect(ring.statesShown[A]?.quorum).toBe('strict');
    timeline.goLive();
    await flushPromises();
    // Live, the ring is the peers' own (none read here): travelling recorded no change.
    expect(ring.changes).toEqual([]);
  });
});

describe('the Keys view at a past moment', () => {
  test("lists every coordinator's results the journal holds up to it, newest first, each with the roles it was decided with", async () => {
    const timeline = await loaded();
    const at = (offset: number): number => T0 + 4000 + offset;
    const result = (transaction: number, key: string, ok: boolean, replicas: JournalEvent & { kind: 'kv.result' } extends { replicas: infer R } ? R : never): JournalEvent => ({
      kind: 'kv.result',
      tick: 40,
      peer: C,
      transaction,
      op: 'put',
      key,
      size: 2,
      preview: 'v1',
      ok,
      latencyTicks: 1,
      latencyMs: 2.5,
      replicas,
    });
    const events: [number, JournalEvent][] = [
      [at(0), result(1, 'a', true, [{ peer: A, ok: true, role: 'home', place: 0 }, { peer: B, ok: true, role: 'home', place: 1 }])],
      [at(10), result(2, 'b', true, [{ peer: A, ok: true, role: 'home', place: 0 }, { peer: C, ok: true, role: 'fallback', for: B }])],
      [at(20), result(3, 'c', false, [{ peer: A, ok: false, role: 'home', place: 0 }])],
    ];
    const first = ENTRIES.length;
    const more = events.map(([time, event], index) => ({ seq: first + index, at: time, event }));
    timeline.append(more);
    timeline.seek(first + 2);
    const view = open((await import('../../src/renderer/src/views/KeysView.vue')).default);
    await flushPromises();
    const all = [...ENTRIES, ...more];
    const expectedKeys = all.slice(0, first + 2).filter((entry) => entry.event.kind === 'kv.result').reverse().map((entry) => (entry.event as { key: string }).key);
    const rows = view.findAll('[data-testid="kv-history-row"]');
    expect(rows).toHaveLength(expectedKeys.length);
    expect(expectedKeys).toEqual(['b', 'a']);
    expect(view.get('[data-testid="keys-past"]').text()).toContain('nothing can be run in the past');
    // The newest result is shown, with the role its stand-in was asked in and no window round trip.
    // (A and B are not peers of the moment's cluster: named by address.)
    expect(view.get('[data-testid="kv-replies"]').text()).toContain(`fallback for ${B}`);
    expect(view.get('[data-testid="kv-latency"]').text()).toContain('no round trip from this window');
  });
});

describe('the Charts view at a past moment', () => {
  test('counts the five minutes before it from the journal as the live store counts them, and says which charts are live only', async () => {
    const { bucketsOf, useMetricsStore } = await import('../../src/renderer/src/stores/metrics.ts');
    const timeline = await loaded();
    const at = (offset: number): number => T0 + 5000 + offset;
    const events: [number, JournalEvent][] = [
      [at(0), { kind: 'message.sent', tick: 50, peer: C, to: A, type: 'swim.ping', bytes: 40 }],
      [at(400), { kind: 'message.sent', tick: 54, peer: C, to: B, type: 'swim.ping', bytes: 40 }],
      [at(1200), { kind: 'message.dropped', tick: 62, peer: C, to: B, type: 'swim.ack', reason: 'loss' }],
    ];
    const more = events.map(([time, event], index) => ({ seq: ENTRIES.length + index, at: time, event }));
    timeline.append(more);
    const all = [...ENTRIES, ...more];
    // The live store, fed the same entries as a stream, counts what the past's buckets count.
    const live = useMetricsStore();
    live.add(all);
    expect(bucketsOf(all)).toEqual(live.buckets);
    timeline.seek(all.length);
    const view = open((await import('../../src/renderer/src/views/ChartsView.vue')).default);
    await flushPromises();
    expect(view.text()).toContain('not in the journal, so not shown for a past moment');
  });
});

describe('the Stores view at a past moment', () => {
  test("shows each running peer's store as the journal says it held it then", async () => {
    const timeline = await loaded();
    const at = (offset: number): number => T0 + 6000 + offset;
    const version = (counter: number) => ({ tick: 60, counter, peer: C });
    const events: [number, JournalEvent][] = [
      [at(0), { kind: 'kv.replica', tick: 60, peer: C, transaction: 1, op: 'put', key: 'alpha', size: 2, preview: 'v1', version: version(1), ok: true }],
      [at(10), { kind: 'kv.replica', tick: 60, peer: C, transaction: 2, op: 'put', key: 'beta', size: 2, preview: 'v2', version: version(2), ok: true }],
      [at(20), { kind: 'kv.replica', tick: 60, peer: C, transaction: 3, op: 'delete', key: 'alpha', version: version(3), ok: true }],
    ];
    const first = ENTRIES.length;
    timeline.append(events.map(([time, event], index) => ({ seq: first + index, at: time, event })));
    timeline.seek(first + 2);
    const { useReplicasStore } = await import('../../src/renderer/src/stores/replicas.ts');
    const replicas = useReplicasStore();
    const view = open((await import('../../src/renderer/src/views/StoresView.vue')).default);
    await flushPromises();
    expect(view.find('[data-testid="stores-past"]').exists()).toBe(true);
    expect(replicas.storesShown.get(C)?.records.map((record) => [record.key, record.value, record.deleted === true])).toEqual([
      ['alpha', 'v1', false],
      ['beta', 'v2', false],
    ]);
    timeline.seek(first + 3);
    await flushPromises();
    expect(replicas.storesShown.get(C)?.records.map((record) => [record.key, record.deleted === true])).toEqual([
      ['alpha', true],
      ['beta', false],
    ]);
    expect(view.findAll('[data-testid="store-tab"]')).toHaveLength(1);
  });
});
