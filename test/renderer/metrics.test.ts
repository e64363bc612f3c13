// @vitest-environment jsdom
import { beforeEach, expect, test, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useMetricsStore, SECONDS_KEPT } from '../../src/renderer/src/stores/metrics.ts';
import { useStreamStore } from '../../src/renderer/src/stores/stream.ts';
import { NO_FAULTS } from '../../src/shared/protocol/faults.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { SessionEntry } from '../../src/shared/journal/session.ts';
import { createFakeClient, type FakeClient } from './support/fake-client.ts';

const A = '127.0.0.1:4001';
const B = '127.0.0.1:4002';

let client: FakeClient;
beforeEach(() => {
  setActivePinia(createPinia());
  client = createFakeClient({ getFaults: () => NO_FAULTS });
  setClusterClient(client);
});

function at(seq: number, atMs: number, event: JournalEvent): SessionEntry {
  return { seq, at: atMs, event };
}
const sent = (seq: number, atMs: number, type = 'swim.ping'): SessionEntry => at(seq, atMs, { kind: 'message.sent', tick: 0, peer: A, to: B, type, bytes: 40 });
const dropped = (seq: number, atMs: number): SessionEntry => at(seq, atMs, { kind: 'message.dropped', tick: 0, peer: A, to: B, type: 'swim.ping', reason: 'loss' });
const result = (seq: number, atMs: number, latencyMs: number, ok = true): SessionEntry =>
  at(seq, atMs, { kind: 'kv.result', tick: 0, peer: A, transaction: seq, op: 'read', key: 'k', ok, latencyTicks: 1, latencyMs, replicas: [] });
const fault = (seq: number, atMs: number, description: string): SessionEntry => at(seq, atMs, { kind: 'fault.changed', tick: 0, description });

test('counts messages by type, dropped messages, operations, failures and latencies per second', () => {
  const metrics = useMetricsStore();
  const now = Date.now();
  const second = Math.floor(now / 1000);
  metrics.add([sent(0, now), sent(1, now, 'swim.ack'), sent(2, now), dropped(3, now), result(4, now, 3.5), result(5, now, 9, false)]);
  const bucket = metrics.buckets.find((candidate) => candidate.second === second)!;
  expect(Object.fromEntries(bucket.messagesByType)).toEqual({ 'swim.ping': 2, 'swim.ack': 1 });
  expect(bucket.droppedMessages).toBe(1);
  expect(bucket.operations).toBe(2);
  expect(bucket.failedOperations).toBe(1);
  expect(bucket.coordinatorLatenciesMs).toEqual([3.5, 9]);
});

test("records the cluster's fault changes in time order, not the peers' echoes", () => {
  const metrics = useMetricsStore();
  metrics.add([fault(0, 2000, 'loss 0.5'), fault(1, 2001, `${A}: loss 0.5`), fault(2, 5000, 'no faults')]);
  expect(metrics.faultChanges.map((change) => [change.at, change.active])).toEqual([
    [2000, true],
    [5000, false],
  ]);
});

test('takes the plan in effect when it starts, so a partition already on is shaded', async () => {
  client.calls.getFaults.mockResolvedValue({ ...NO_FAULTS, loss: 0.3 });
  const metrics = useMetricsStore();
  await vi.waitFor(() => expect(metrics.faultChanges).toHaveLength(1));
  expect(metrics.faultChanges[0]).toMatchObject({ active: true, description: 'loss 0.3' });
});

test('backfills the seconds before the stream began from the history, counting nothing twice', () => {
  const stream = useStreamStore();
  stream.start();
  const metrics = useMetricsStore();
  const now = Date.now();
  const second = Math.floor(now / 1000);
  // The stream begins at seq 10, in the current second.
  client.emit({ entries: [sent(10, now), sent(11, now)] });
  stream.flush();
  // The history has older seconds, and the two entries the stream already brought.
  const history = [sent(1, now - 3000), sent(2, now - 3000), fault(3, now - 2500, 'loss 0.1'), result(4, now - 2000, 4), sent(5, (second - SECONDS_KEPT - 10) * 1000), sent(10, now), sent(11, now)];
  metrics.backfill(history, now);
  const counts = new Map(metrics.buckets.map((bucket) => [bucket.second, bucket.messagesByType.get('swim.ping') ?? 0]));
  expect(counts.get(Math.floor((now - 3000) / 1000))).toBe(2);
  expect(counts.get(second)).toBe(2);
  // Older than the seconds kept: not counted.
  expect(counts.has(second - SECONDS_KEPT - 10)).toBe(false);
  expect(metrics.buckets.map((bucket) => bucket.second)).toEqual([...metrics.buckets.map((bucket) => bucket.second)].sort((a, b) => a - b));
  expect(metrics.faultChanges.map((change) => change.description)).toContain('loss 0.1');
});

test('a backfill before the first streamed batch is not counted again when the stream repeats it', () => {
  const stream = useStreamStore();
  stream.start();
  const metrics = useMetricsStore();
  const now = Date.now();
  metrics.backfill([sent(1, now), sent(2, now)], now);
  client.emit({ entries: [sent(2, now), sent(3, now)] });
  stream.flush();
  const total = metrics.buckets.reduce((sum, bucket) => sum + (bucket.messagesByType.get('swim.ping') ?? 0), 0);
  expect(total).toBe(3);
});
