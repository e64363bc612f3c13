// @vitest-environment jsdom
import { expect, test } from 'vitest';
import {
  agreementSeries,
  coordinatorLatencySeries,
  faultBands,
  lastValue,
  spreadFigures,
  messageSeries,
  operationSeries,
  windowEndingAt,
} from '../../src/renderer/src/lib/charts-data.ts';
import { faultChangeOf, type FaultChange, type SecondBucket } from '../../src/renderer/src/stores/metrics.ts';
import type { SessionEntry } from '../../src/shared/journal/session.ts';

const T = 1_700_000_000; // a second since the epoch

function bucket(second: number, fields: { messages?: Record<string, number>; dropped?: number; latencies?: number[]; failed?: number } = {}): SecondBucket {
  const latencies = fields.latencies ?? [];
  return {
    second,
    messagesByType: new Map(Object.entries(fields.messages ?? {})),
    sentByPeer: new Map(),
    droppedMessages: fields.dropped ?? 0,
    operations: latencies.length,
    failedOperations: fields.failed ?? 0,
    coordinatorLatenciesMs: latencies,
    unmeasuredOperations: 0,
    roundTripsMs: [],
    lookupsStore: 0,
    lookupsRequest: 0,
    lookupsDropped: 0,
    lookupHops: [],
  };
}

function faultEntry(atSecond: number, description: string): SessionEntry {
  return { seq: 0, at: atSecond * 1000, event: { kind: 'fault.changed', tick: 0, description } };
}

test('the window is the last complete seconds, or a young session from a little before its first figure', () => {
  expect(windowEndingAt(T * 1000 + 400, 300)).toEqual({ fromSecond: T - 300, toSecond: T - 1 });
  // Figures since 20 s ago: a minute is shown, not five.
  expect(windowEndingAt(T * 1000, 300, T - 20)).toEqual({ fromSecond: T - 60, toSecond: T - 1 });
  // Figures since 200 s ago: from 5 s before the first.
  expect(windowEndingAt(T * 1000, 300, T - 200)).toEqual({ fromSecond: T - 205, toSecond: T - 1 });
  // Older figures than the window: the whole window.
  expect(windowEndingAt(T * 1000, 300, T - 1000)).toEqual({ fromSecond: T - 300, toSecond: T - 1 });
});

test('messages per second by type: one point per second, missing seconds are zero, dropped last', () => {
  const window = { fromSecond: T, toSecond: T + 3 };
  const series = messageSeries([bucket(T - 1, { messages: { 'swim.ping': 99 } }), bucket(T, { messages: { 'swim.ping': 10, 'swim.ack': 9 } }), bucket(T + 2, { messages: { 'swim.ping': 12 }, dropped: 3 })], window);
  expect(series.labels).toEqual(['swim.ack', 'swim.ping', 'dropped']);
  expect(series.data).toEqual([
    [T, T + 1, T + 2, T + 3],
    [9, 0, 0, 0],
    [10, 0, 12, 0],
    [0, 0, 3, 0],
  ]);
});

test('beyond the busiest types the rest add up in "other"', () => {
  const window = { fromSecond: T, toSecond: T };
  const series = messageSeries([bucket(T, { messages: { a: 50, b: 40, c: 3, d: 2 } })], window, 2);
  expect(series.labels).toEqual(['a', 'b', 'other', 'dropped']);
  expect(series.data.slice(1)).toEqual([[50], [40], [5], [0]]);
});

test('operations per second split into succeeded and failed', () => {
  const data = operationSeries([bucket(T, { latencies: [1, 2, 3, 4], failed: 1 })], { fromSecond: T, toSecond: T + 1 });
  expect(data).toEqual([
    [T, T + 1],
    [3, 0],
    [1, 0],
  ]);
});

test('latency percentiles per second: p50 and p99 of that second, none in a second without operations', () => {
  const latencies = Array.from({ length: 100 }, (_, index) => 100 - index); // 100 … 1, unsorted
  const busy = bucket(T, { latencies });
  expect(spreadFigures(busy.coordinatorLatenciesMs)).toEqual({ count: 100, p50: 51, p99: 100, max: 100 });
  expect(spreadFigures([7])).toEqual({ count: 1, p50: 7, p99: 7, max: 7 });
  const data = coordinatorLatencySeries([busy], { fromSecond: T, toSecond: T + 1 });
  expect(data).toEqual([
    [T, T + 1],
    [51, null],
    [100, null],
  ]);
  expect(lastValue(data[1]!)).toBe(51);
});

test('latency figures are recomputed when their second gains operations', () => {
  const current = bucket(T, { latencies: [5, 1] });
  expect(spreadFigures(current.coordinatorLatenciesMs).p99).toBe(5);
  current.coordinatorLatenciesMs.push(50);
  expect(spreadFigures(current.coordinatorLatenciesMs)).toEqual({ count: 3, p50: 5, p99: 50, max: 50 });
});

test('membership agreement: observers and disagreeing subjects at each read in the window', () => {
  const samples = [
    { at: (T - 10) * 1000, observers: 5, disagreeing: 0 },
    { at: T * 1000 + 500, observers: 5, disagreeing: 2 },
    { at: (T + 1) * 1000 + 500, observers: 4, disagreeing: 0 },
  ];
  expect(agreementSeries(samples, { fromSecond: T, toSecond: T + 1 })).toEqual([
    [T + 0.5, T + 1.5],
    [5, 4],
    [2, 0],
  ]);
});

test("a fault period starts with a plan other than no faults and ends at heal; peers' echoes are ignored", () => {
  const entries = [
    faultEntry(T + 10, 'loss 0.2'),
    faultEntry(T + 10, '127.0.0.1:4001: loss 0.2'),
    faultEntry(T + 20, 'loss 0.2; partition 127.0.0.1:4001 | 127.0.0.1:4002,127.0.0.1:4003'),
    faultEntry(T + 30, 'no faults'),
    faultEntry(T + 30, '127.0.0.1:4002: no faults'),
    faultEntry(T + 50, '127.0.0.1:4001 -> 127.0.0.1:4002: delay 200 ms'),
  ];
  const changes = entries.map(faultChangeOf).filter((change): change is FaultChange => change !== undefined);
  expect(changes.map((change) => change.active)).toEqual([true, true, false, true]);
  const bands = faultBands(changes, { fromSecond: T, toSecond: T + 100 });
  expect(bands).toEqual([
    { start: T + 10, end: T + 30, description: 'loss 0.2; partition 127.0.0.1:4001 | 127.0.0.1:4002,127.0.0.1:4003' },
    { start: T + 50, end: undefined, description: '127.0.0.1:4001 -> 127.0.0.1:4002: delay 200 ms' },
  ]);
  // Only the periods that overlap the window.
  expect(faultBands(changes, { fromSecond: T + 35, toSecond: T + 45 })).toEqual([]);
  expect(faultBands(changes, { fromSecond: T + 25, toSecond: T + 45 }).map((band) => band.start)).toEqual([T + 10]);
  // A heal with nothing to heal opens no period; an entry of another kind is no change.
  expect(faultBands([{ at: T * 1000, active: false, description: 'no faults' }], { fromSecond: T, toSecond: T + 1 })).toEqual([]);
  expect(faultChangeOf({ seq: 1, at: 0, event: { kind: 'log', tick: 0, peer: '127.0.0.1:4001', text: 'loss 0.2' } })).toBeUndefined();
});
