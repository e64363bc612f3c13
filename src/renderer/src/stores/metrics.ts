/**
 * Rates over time, from the event stream: one bucket per second of wall time (the entries'
 * `at`), the newest `SECONDS_KEPT`. Messages by type and by sending peer, messages dropped,
 * key-value operations and the coordinators' own latencies, the circular DHT's lookups and their
 * hops; the window's own round trips through the API (`addRoundTrip`, kept apart: it is another
 * latency); and the cluster's fault plan changes, so charts can shade the periods with faults.
 * The charts and the cluster view read these.
 *
 * A window opened on a running session learns the past from the journal's history
 * (`backfill`, called by the journal store once it loaded it) and the plan in effect now
 * (`getFaults`, asked once).
 */
import { isFaultEcho } from '../../../shared/journal/timeline.ts';
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { SessionEntry } from '../../../shared/journal/session.ts';
import { lines as dhtLines } from '../../../shared/dht/lines.ts';
import { describeFaultPlan } from '../../../shared/protocol/faults.ts';
import { clusterClient } from './client.ts';
import { useStreamStore } from './stream.ts';

export const SECONDS_KEPT = 300;
/** Fault plan changes kept: more than anyone sets in five minutes by hand. */
const FAULT_CHANGES_MAX = 256;

export interface SecondBucket {
  /** The second, in s since the epoch. */
  readonly second: number;
  readonly messagesByType: Map<string, number>;
  readonly sentByPeer: Map<string, number>;
  /** Messages a fault or a full buffer dropped. */
  droppedMessages: number;
  /** Key-value operations decided (a coordinator's kv.result), and those of them that failed. */
  operations: number;
  failedOperations: number;
  /**
   * The coordinators' own measure of each operation decided: ms on the coordinator's clock from
   * taking the request to deciding it (kv.result's `latencyMs`).
   */
  readonly coordinatorLatenciesMs: number[];
  /** Operations decided with no measure in ms (a simulated or older peer's, in ticks only): not in the latencies. */
  unmeasuredOperations: number;
  /** This window's round trips: ms from asking the cluster API to run an operation to its answer. */
  readonly roundTripsMs: number[];
  /** Circular DHT lookups that reached the file's owner, Store and Request, and those dropped on the way. */
  lookupsStore: number;
  lookupsRequest: number;
  lookupsDropped: number;
  /** Hops each lookup that reached its owner took. */
  readonly lookupHops: number[];
}

/** The cluster's fault plan changed at `at`; `active` unless the new plan is "no faults". */
export interface FaultChange {
  readonly at: number;
  readonly active: boolean;
  readonly description: string;
}

/**
 * The cluster-wide change a `fault.changed` entry records, or undefined for a peer's echo of it
 * (each peer journals the plan it applied as `HOST:PORT: plan`).
 */
export function faultChangeOf(entry: SessionEntry): FaultChange | undefined {
  const event = entry.event;
  if (event.kind !== 'fault.changed' || isFaultEcho(event.description)) return undefined;
  return { at: entry.at, active: event.description !== 'no faults', description: event.description };
}

function emptyBucket(second: number): SecondBucket {
  return {
    second,
    messagesByType: new Map(),
    sentByPeer: new Map(),
    droppedMessages: 0,
    operations: 0,
    failedOperations: 0,
    coordinatorLatenciesMs: [],
    unmeasuredOperations: 0,
    roundTripsMs: [],
    lookupsStore: 0,
    lookupsRequest: 0,
    lookupsDropped: 0,
    lookupHops: [],
  };
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
  const bucket = emptyBucket(second);
  if (last === undefined || second > last.second) buckets.push(bucket);
  return bucket;
}

/** Whether a DHT console line says a lookup was dropped (`lines.lookupDropped`: `Store 4103 dropped after 12 hops: …`). */
function isLookupDropped(text: string): boolean {
  const match = /^((?:Store|Request) \S+) dropped after (\d+) hops/.exec(text);
  return match !== null && text === dhtLines.lookupDropped(match[1] as string, Number(match[2]));
}

function count(bucket: SecondBucket, entry: SessionEntry): void {
  const event = entry.event;
  if (event.kind === 'message.sent') {
    bucket.messagesByType.set(event.type, (bucket.messagesByType.get(event.type) ?? 0) + 1);
    bucket.sentByPeer.set(event.peer, (bucket.sentByPeer.get(event.peer) ?? 0) + 1);
  } else if (event.kind === 'message.dropped') {
    bucket.droppedMessages++;
  } else if (event.kind === 'kv.result') {
    bucket.operations++;
    if (!event.ok) bucket.failedOperations++;
    // Ticks times the tick length is another figure (to the tick, not the moment): never mixed in.
    if (event.latencyMs === undefined) bucket.unmeasuredOperations++;
    else bucket.coordinatorLatenciesMs.push(event.latencyMs);
  } else if (event.kind === 'console') {
    const lookup = event.lookup;
    // At the owner: `Store F request accepted` or `File F is stored here`, with the route taken.
    if (lookup?.operation === 'store' && event.text === dhtLines.storeAccepted(lookup.file)) {
      bucket.lookupsStore++;
      bucket.lookupHops.push(lookup.hops);
    } else if (lookup?.operation === 'request' && event.text === dhtLines.storedHere(lookup.file)) {
      bucket.lookupsRequest++;
      bucket.lookupHops.push(lookup.hops);
    } else if (lookup === undefined && isLookupDropped(event.text)) bucket.lookupsDropped++;
  }
}

/** Adds `change` in time order, keeping the newest `FAULT_CHANGES_MAX`. */
function withChange(changes: readonly FaultChange[], change: FaultChange): FaultChange[] {
  const next = changes.slice();
  let index = next.length;
  while (index > 0 && (next[index - 1] as FaultChange).at > change.at) index--;
  next.splice(index, 0, change);
  return next.length > FAULT_CHANGES_MAX ? next.slice(-FAULT_CHANGES_MAX) : next;
}

/**
 * The per-second buckets of a stretch of the journal, as the live store counts them (the Charts
 * view's figures at a past moment, or of an imported journal), oldest first.
 */
export function bucketsOf(entries: Iterable<SessionEntry>): SecondBucket[] {
  const buckets: SecondBucket[] = [];
  for (const entry of entries) count(bucketFor(buckets, Math.floor(entry.at / 1000)), entry);
  return buckets;
}

export const useMetricsStore = defineStore('metrics', () => {
  /** Oldest first; replaced (not mutated in place) once per frame so views recompute. */
  const buckets = shallowRef<SecondBucket[]>([]);
  /** Changes of the cluster's fault plan, oldest first. */
  const faultChanges = shallowRef<readonly FaultChange[]>([]);
  /** The first seq the stream brought, and the newest one a backfill counted. */
  let firstStreamedSeq: number | undefined;
  let backfilledThrough: number | undefined;

  function add(entries: readonly SessionEntry[]): void {
    if (entries.length === 0) return;
    const next = buckets.value.slice();
    let changes: readonly FaultChange[] | undefined;
    for (const entry of entries) {
      // A backfill that came before the stream's first batch already counted these.
      if (backfilledThrough !== undefined && firstStreamedSeq === undefined && entry.seq <= backfilledThrough) continue;
      firstStreamedSeq ??= entry.seq;
      count(bucketFor(next, Math.floor(entry.at / 1000)), entry);
      const change = faultChangeOf(entry);
      if (change !== undefined) changes = withChange(changes ?? faultChanges.value, change);
    }
    buckets.value = next.length > SECONDS_KEPT ? next.slice(-SECONDS_KEPT) : next;
    if (changes !== undefined) faultChanges.value = changes;
  }

  /**
   * Counts entries from before this window's stream began (the journal's history): those the
   * stream did not bring, within the seconds kept.
   */
  function backfill(entries: readonly SessionEntry[], now = Date.now()): void {
    const oldestSecond = Math.floor(now / 1000) - SECONDS_KEPT;
    const bySecond = new Map<number, SecondBucket>(buckets.value.map((bucket) => [bucket.second, bucket]));
    let changes = faultChanges.value;
    let newest: number | undefined;
    for (const entry of entries) {
      if (firstStreamedSeq !== undefined && entry.seq >= firstStreamedSeq) continue;
      newest = Math.max(newest ?? entry.seq, entry.seq);
      const change = faultChangeOf(entry);
      if (change !== undefined) changes = withChange(changes, change);
      const second = Math.floor(entry.at / 1000);
      if (second < oldestSecond) continue;
      let bucket = bySecond.get(second);
      if (bucket === undefined) {
        bucket = emptyBucket(second);
        bySecond.set(second, bucket);
      }
      count(bucket, entry);
    }
    if (firstStreamedSeq === undefined && newest !== undefined) backfilledThrough = newest;
    buckets.value = [...bySecond.values()].sort((a, b) => a.second - b.second).slice(-SECONDS_KEPT);
    faultChanges.value = changes;
  }

  /**
   * One operation this window ran through the cluster API and its round trip, ms (measured by
   * the window around the call: what a client feels), at `at` (ms since the epoch).
   */
  function addRoundTrip(latencyMs: number, at = Date.now()): void {
    const second = Math.floor(at / 1000);
    const next = buckets.value.slice();
    // Its second's bucket wherever it lies (a slow answer's second may be well behind the stream's).
    let index = next.length;
    while (index > 0 && (next[index - 1] as SecondBucket).second > second) index--;
    let bucket = next[index - 1];
    if (bucket === undefined || bucket.second !== second) {
      bucket = emptyBucket(second);
      next.splice(index, 0, bucket);
    }
    bucket.roundTripsMs.push(latencyMs);
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

  // The plan in effect now: a window opened during a partition shades it from here on even
  // when the change itself is older than the history the server still holds.
  void Promise.resolve()
    .then(() => clusterClient().getFaults())
    .then((plan) => {
      if (plan === undefined) return;
      const description = describeFaultPlan(plan);
      faultChanges.value = withChange(faultChanges.value, { at: Date.now(), active: description !== 'no faults', description });
    })
    .catch(() => undefined);

  return { buckets, faultChanges, add, addRoundTrip, backfill, sentPerSecond };
});
