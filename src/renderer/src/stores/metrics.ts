/**
 * Rates over time, from the event stream: one bucket per second of wall time (the entries'
 * `at`), the newest `SECONDS_KEPT`. Messages by type and by sending peer, operations and their
 * latencies. The charts and the cluster view read these.
 */
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { SessionEntry } from '../../../shared/journal/session.ts';
import { useStreamStore } from './stream.ts';
import { useClusterStore } from './cluster.ts';

export const SECONDS_KEPT = 300;

export interface SecondBucket {
  /** The second, in s since the epoch. */
  readonly second: number;
  readonly messagesByType: Map<string, number>;
  readonly sentByPeer: Map<string, number>;
  operations: number;
  failedOperations: number;
  readonly latenciesMs: number[];
}

function bucketFor(buckets: SecondBucket[], second: number): SecondBucket {
  const last = buckets[buckets.length - 1];
  if (last !== undefined && last.second === second) return last;
  // Entries arrive nearly in order; an older one lands in its own bucket if still kept.
  for (let index = buckets.length - 1; index >= 0 && index >= buckets.length - 5; index--) {
    const bucket = buckets[index] as SecondBucket;
    if (bucket.second === second) return bucket;
    if (bucket.second < second) break;
  }
  const bucket: SecondBucket = { second, messagesByType: new Map(), sentByPeer: new Map(), operations: 0, failedOperations: 0, latenciesMs: [] };
  if (last === undefined || second > last.second) buckets.push(bucket);
  return bucket;
}

export const useMetricsStore = defineStore('metrics', () => {
  const cluster = useClusterStore();
  /** Oldest first; replaced (not mutated in place) once per frame so views recompute. */
  const buckets = shallowRef<SecondBucket[]>([]);

  function add(entries: readonly SessionEntry[]): void {
    if (entries.length === 0) return;
    const next = buckets.value.slice();
    const tickMs = cluster.session?.tickMs ?? 100;
    for (const { at, event } of entries) {
      const bucket = bucketFor(next, Math.floor(at / 1000));
      if (event.kind === 'message.sent') {
        bucket.messagesByType.set(event.type, (bucket.messagesByType.get(event.type) ?? 0) + 1);
        bucket.sentByPeer.set(event.peer, (bucket.sentByPeer.get(event.peer) ?? 0) + 1);
      } else if (event.kind === 'kv.result') {
        bucket.operations++;
        if (!event.ok) bucket.failedOperations++;
        bucket.latenciesMs.push(event.latencyMs ?? event.latencyTicks * tickMs);
      }
    }
    buckets.value = next.length > SECONDS_KEPT ? next.slice(-SECONDS_KEPT) : next;
  }

  /** Messages a peer sent per second, over the last `seconds` complete seconds. */
  function sentPerSecond(peer: string, seconds = 5, now = Date.now()): number {
    const current = Math.floor(now / 1000);
    let total = 0;
    for (const bucket of buckets.value) {
      if (bucket.second >= current - seconds && bucket.second < current) total += bucket.sentByPeer.get(peer) ?? 0;
    }
    return total / seconds;
  }

  useStreamStore().consume((batch) => add(batch.entries));

  return { buckets, add, sentPerSecond };
});
