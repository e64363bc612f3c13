// @vitest-environment jsdom
/**
 * Every figure the Charts view draws, recomputed here independently from the journal entries it
 * comes from (issue 14, defect 9): a seeded journal goes through the metrics store as the stream
 * brings it (and as a history backfills it), and each chart's series must equal what its one-line
 * definition says, counted straight from the entries. Then the view: only the figures of the
 * cluster's kind, each with its unit and its definition, the two latencies apart.
 */
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useMetricsStore } from '../../src/renderer/src/stores/metrics.ts';
import {
  coordinatorLatencySeries,
  FIGURES,
  hopSeries,
  lookupSeries,
  messageSeries,
  operationSeries,
  roundTripSeries,
  unmeasuredOperations,
  type FigureName,
  type TimeWindow,
} from '../../src/renderer/src/lib/charts-data.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { SessionEntry } from '../../src/shared/journal/session.ts';
import { RandomStream } from '../../src/shared/random/stream.ts';
import ChartsView from '../../src/renderer/src/views/ChartsView.vue';
import { createFakeClient, fakePeer, fakeSession } from './support/fake-client.ts';

vi.mock('../../src/renderer/src/components/charts/TimeChart.vue', () => ({ default: { name: 'TimeChart', render: () => null } }));

const T = 1_700_000_000;
const SECONDS = 20;
const WINDOW: TimeWindow = { fromSecond: T, toSecond: T + SECONDS - 1 };
const PEERS = ['127.0.0.1:4001', '127.0.0.1:4002', '127.0.0.1:4003'];
const TYPES = ['swim.ping', 'swim.ack', 'kv.put', 'kv.get', 'dht.ping-request', 'dht.store', 'dht.request', 'gossip'];

/** A seeded journal of every kind the charts count, and of kinds they must not. */
function journal(seed: number): { entries: SessionEntry[]; roundTrips: { at: number; ms: number }[] } {
  const stream = RandomStream.root(`chart-figures-${seed}`);
  /** 0 to `count` − 1. */
  const random = { int: (count: number): number => stream.int(0, count - 1) };
  const pick = <T>(list: readonly T[]): T => list[random.int(list.length)] as T;
  const entries: SessionEntry[] = [];
  const roundTrips: { at: number; ms: number }[] = [];
  let seq = 0;
  for (let second = T - 2; second < T + SECONDS + 2; second++) {
    const count = random.int(60);
    const ats = Array.from({ length: count }, () => second * 1000 + random.int(1000)).sort((a, b) => a - b);
    for (const at of ats) {
      const peer = pick(PEERS);
      const file = String(random.int(10_000)).padStart(4, '0');
      const hops = random.int(6);
      const route = Array.from({ length: hops + 1 }, (_, index) => index * 3);
      let event: JournalEvent;
      switch (random.int(11)) {
        case 0:
        case 1:
          event = { kind: 'message.sent', tick: 0, peer, to: pick(PEERS), type: pick(TYPES), bytes: 40 };
          break;
        case 2:
          event = { kind: 'message.dropped', tick: 0, peer, to: pick(PEERS), type: pick(TYPES), reason: 'loss' };
          break;
        case 3: {
          // Measured in ms, or (a simulated or older peer) in ticks only.
          const measured = random.int(4) > 0;
          event = { kind: 'kv.result', tick: 0, peer, transaction: seq, op: 'read', key: 'k', ok: random.int(5) > 0, latencyTicks: random.int(9), ...(measured ? { latencyMs: random.int(50_000) / 100 } : {}), replicas: [] };
          break;
        }
        case 4:
          event = { kind: 'console', tick: 0, peer, text: `Store ${file} request accepted`, lookup: { operation: 'store', file, route, hops } };
          break;
        case 5:
          event = { kind: 'console', tick: 0, peer, text: `File ${file} is stored here`, lookup: { operation: 'request', file, route, hops } };
          break;
        case 6:
          // A hop on the way: not a lookup that reached its owner.
          event = pick<JournalEvent>([
            { kind: 'console', tick: 0, peer, text: `Store ${file} request forwarded to my successor`, lookup: { operation: 'store', file, route, hops } },
            { kind: 'console', tick: 0, peer, text: `Request for File ${file} has been received, but the file is not stored here`, lookup: { operation: 'request', file, route, hops } },
            { kind: 'console', tick: 0, peer, text: `File request for ${file} has been sent to Peer 9`, lookup: { operation: 'request', file, route: [0], hops: 0 } },
          ]);
          break;
        case 7:
          event = { kind: 'console', tick: 0, peer, text: `${pick(['Store', 'Request'])} ${file} dropped after ${hops + 10} hops: the ring is broken` };
          break;
        case 8:
          event = { kind: 'console', tick: 0, peer, text: pick(['A ping request message was received from Peer 4.', `File ${file} received`]) };
          break;
        case 9:
          roundTrips.push({ at, ms: random.int(100_000) / 100 });
          continue;
        default:
          event = { kind: 'log', tick: 0, peer, text: 'a note' };
      }
      entries.push({ seq: seq++, at, event });
    }
  }
  return { entries, roundTrips };
}

// Independent definitions, from the entries themselves.
const secondOf = (at: number): number => Math.floor(at / 1000);
const seconds = (): number[] => Array.from({ length: SECONDS }, (_, index) => T + index);
const perSecond = (entries: readonly SessionEntry[], test: (event: JournalEvent) => boolean): number[] =>
  seconds().map((second) => entries.filter((entry) => secondOf(entry.at) === second && test(entry.event)).length);
/** The smallest value at or under which more than `fraction` of the values lie (undefined: none). */
function nearestRank(values: readonly number[], fraction: number): number | null {
  const fits = values.filter((value) => values.filter((other) => other <= value).length > fraction * values.length);
  return fits.length === 0 ? null : Math.min(...fits);
}
const spreadPerSecond = (samples: readonly { second: number; value: number }[], fraction: number | 'max'): (number | null)[] =>
  seconds().map((second) => {
    const values = samples.filter((sample) => sample.second === second).map((sample) => sample.value);
    if (values.length === 0) return null;
    return fraction === 'max' ? Math.max(...values) : nearestRank(values, fraction);
  });
const arrived = (event: JournalEvent): event is Extract<JournalEvent, { kind: 'console' }> =>
  event.kind === 'console' && event.lookup !== undefined && (/^Store \d{4} request accepted$/.test(event.text) || /^File \d{4} is stored here$/.test(event.text));

beforeEach(() => {
  setActivePinia(createPinia());
  setClusterClient(createFakeClient({ journalEntries: () => [], session: () => fakeSession() }));
});

describe.each([1, 2, 3])('every figure, recomputed from the entries (seed %i)', (seed) => {
  const { entries, roundTrips } = journal(seed);

  function fed(how: 'stream' | 'backfill'): ReturnType<typeof useMetricsStore> {
    const metrics = useMetricsStore();
    if (how === 'stream') for (let start = 0; start < entries.length; start += 97) metrics.add(entries.slice(start, start + 97));
    else metrics.backfill(entries, (T + SECONDS + 5) * 1000);
    for (const trip of roundTrips) metrics.addRoundTrip(trip.ms, trip.at);
    return metrics;
  }

  test.each(['stream', 'backfill'] as const)('%s', (how) => {
    const buckets = fed(how).buckets;

    // Messages sent per second by type, and dropped.
    const messages = messageSeries(buckets, WINDOW, TYPES.length);
    const types = [...new Set(entries.filter((entry) => entry.event.kind === 'message.sent' && secondOf(entry.at) >= T && secondOf(entry.at) < T + SECONDS).map((entry) => (entry.event as { type: string }).type))].sort();
    expect(messages.labels).toEqual([...types, 'dropped']);
    expect(messages.data[0]).toEqual(seconds());
    types.forEach((type, index) => expect(messages.data[index + 1]).toEqual(perSecond(entries, (event) => event.kind === 'message.sent' && event.type === type)));
    expect(messages.data.at(-1)).toEqual(perSecond(entries, (event) => event.kind === 'message.dropped'));
    // Folded: the busiest two, and the rest in 'other'.
    const folded = messageSeries(buckets, WINDOW, 2);
    const kept = folded.labels.slice(0, 2);
    expect(folded.data[3]).toEqual(perSecond(entries, (event) => event.kind === 'message.sent' && !kept.includes(event.type)));

    // Operations decided per second: succeeded and failed.
    const operations = operationSeries(buckets, WINDOW);
    expect(operations[1]).toEqual(perSecond(entries, (event) => event.kind === 'kv.result' && event.ok));
    expect(operations[2]).toEqual(perSecond(entries, (event) => event.kind === 'kv.result' && !event.ok));

    // The coordinators' own latency, ms: only results measured in ms; the others counted apart.
    const measured = entries.flatMap((entry) => (entry.event.kind === 'kv.result' && entry.event.latencyMs !== undefined ? [{ second: secondOf(entry.at), value: entry.event.latencyMs }] : []));
    const coordinator = coordinatorLatencySeries(buckets, WINDOW);
    expect(coordinator[1]).toEqual(spreadPerSecond(measured, 0.5));
    expect(coordinator[2]).toEqual(spreadPerSecond(measured, 0.99));
    expect(unmeasuredOperations(buckets, WINDOW)).toBe(perSecond(entries, (event) => event.kind === 'kv.result' && event.latencyMs === undefined).reduce((sum, count) => sum + count, 0));

    // The window's round trips through the API, ms: only what the window measured.
    const trips = roundTrips.map((trip) => ({ second: secondOf(trip.at), value: trip.ms }));
    const roundTrip = roundTripSeries(buckets, WINDOW);
    expect(roundTrip[1]).toEqual(spreadPerSecond(trips, 0.5));
    expect(roundTrip[2]).toEqual(spreadPerSecond(trips, 0.99));

    // DHT lookups that reached their owner, by operation, and those dropped.
    const lookups = lookupSeries(buckets, WINDOW);
    expect(lookups[1]).toEqual(perSecond(entries, (event) => arrived(event) && event.lookup?.operation === 'store'));
    expect(lookups[2]).toEqual(perSecond(entries, (event) => arrived(event) && event.lookup?.operation === 'request'));
    expect(lookups[3]).toEqual(perSecond(entries, (event) => event.kind === 'console' && / dropped after \d+ hops: the ring is broken$/.test(event.text)));

    // Hops of those lookups: median and most.
    const hopSamples = entries.flatMap((entry) => (arrived(entry.event) ? [{ second: secondOf(entry.at), value: entry.event.lookup!.hops }] : []));
    const hops = hopSeries(buckets, WINDOW);
    expect(hops[1]).toEqual(spreadPerSecond(hopSamples, 0.5));
    expect(hops[2]).toEqual(spreadPerSecond(hopSamples, 'max'));

    // The journal exercised every figure.
    expect(Math.min(measured.length, trips.length, hopSamples.length)).toBeGreaterThan(20);
  });
});

describe('the Charts view', () => {
  const charts = (wrapper: ReturnType<typeof mount>): string[] => wrapper.findAll('[data-testid^="chart-"]').filter((node) => node.element.tagName === 'SECTION').map((node) => node.attributes('data-testid')!);

  test('on a key-value cluster: messages, operations, the two latencies apart, convergence; each with its unit and definition', async () => {
    useClusterStore().peers = [fakePeer(1), fakePeer(2)];
    const wrapper = mount(ChartsView);
    await flushPromises();
    expect(charts(wrapper)).toEqual(['chart-messages', 'chart-operations', 'chart-coordinatorLatency', 'chart-roundTrip', 'chart-convergence']);
    const names: FigureName[] = ['messages', 'operations', 'coordinatorLatency', 'roundTrip', 'convergence'];
    for (const name of names) {
      const section = wrapper.get(`[data-testid="chart-${name}"]`);
      expect(section.get('[data-testid="chart-title"]').attributes('title')).toBe(FIGURES[name].definition);
      expect(section.get('[data-testid="chart-unit"]').text()).toBe(`in ${FIGURES[name].axis}`);
      const chart = section.findComponent({ name: 'TimeChart' });
      expect(chart.vm.$attrs['axis']).toBe(FIGURES[name].axis);
      expect(chart.vm.$attrs['unit']).toBe(FIGURES[name].unit);
    }
    // Which latency each is, in its title.
    expect(wrapper.get('[data-testid="chart-coordinatorLatency"] h2').text()).toContain("the coordinator's own measure");
    expect(wrapper.get('[data-testid="chart-roundTrip"] h2').text()).toContain('Round trip through the API');
    expect(FIGURES.coordinatorLatency.axis).toBe('ms');
    expect(FIGURES.roundTrip.axis).toBe('ms');
  });

  test('results measured in ticks only are left out of the coordinator latency, and it says how many', async () => {
    useClusterStore().peers = [fakePeer(1)];
    const now = Date.now();
    useMetricsStore().add([
      { seq: 0, at: now - 3000, event: { kind: 'kv.result', tick: 0, peer: fakePeer(1).id, transaction: 1, op: 'read', key: 'k', ok: true, latencyTicks: 3, replicas: [] } },
      { seq: 1, at: now - 3000, event: { kind: 'kv.result', tick: 0, peer: fakePeer(1).id, transaction: 2, op: 'read', key: 'k', ok: true, latencyTicks: 3, latencyMs: 2.5, replicas: [] } },
    ]);
    const wrapper = mount(ChartsView);
    await flushPromises();
    expect(wrapper.get('[data-testid="chart-coordinatorLatency"] [data-testid="chart-note"]').text()).toBe('1 operation measured in ticks only (a simulated or older peer) left out');
    const data = wrapper.get('[data-testid="chart-coordinatorLatency"]').findComponent({ name: 'TimeChart' }).vm.$attrs['data'] as (number | null)[][];
    expect(data[1]!.filter((value) => value !== null)).toEqual([2.5]);
  });

  test('on a circular DHT: messages, lookups and hops only, no key-value or membership figure', async () => {
    useClusterStore().peers = [
      { ...fakePeer(1), identity: 8 },
      { ...fakePeer(2), identity: 14 },
    ];
    const wrapper = mount(ChartsView);
    await flushPromises();
    expect(charts(wrapper)).toEqual(['chart-messages', 'chart-lookups', 'chart-hops']);
    for (const name of ['messages', 'lookups', 'hops'] as const) {
      const section = wrapper.get(`[data-testid="chart-${name}"]`);
      expect(section.get('[data-testid="chart-title"]').attributes('title')).toBe(FIGURES[name].definition);
      expect(section.findComponent({ name: 'TimeChart' }).vm.$attrs['axis']).toBe(FIGURES[name].axis);
    }
    expect(wrapper.text()).not.toContain('Operations');
    expect(wrapper.text()).not.toContain('convergence');
  });
});
