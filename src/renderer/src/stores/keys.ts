/**
 * The key-value console: one operation at a time through a chosen coordinator (or the running
 * peers in turn), each replica's reply, the quorum's outcome and the latency; a history of recent
 * operations; and a bulk loader that writes many random keys with bounded concurrency.
 *
 * Latency is measured twice: by the window around the call (`latencyMs`: the round trip through
 * the cluster API, what a client feels) and by the coordinator in ticks (`latencyTicks`).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { KvOperation } from '../../../shared/protocol/kv.ts';
import type { KvResultWire } from '../../../shared/protocol/control.ts';
import { percentile } from '../lib/format.ts';
import { randomKey, randomText } from '../lib/random-keys.ts';
import { clusterClient } from './client.ts';
import { useClusterStore } from './cluster.ts';
import { useMetricsStore } from './metrics.ts';
import { useNotificationsStore } from './notifications.ts';
import { useRingStore } from './ring.ts';
import { useStreamStore } from './stream.ts';

export const HISTORY_MAX = 200;
export const BULK_COUNT_MAX = 100_000;
export const BULK_CONCURRENCY_MAX = 64;
/** Coordinators' results remembered from the journal, to name who coordinated a round-robin call. */
const RESULTS_REMEMBERED_MAX = 4096;
/** Stop a bulk load after this many calls in a row failed to reach the cluster at all. */
const BULK_UNREACHABLE_MAX = 10;

/** Where the history outlives a reload of the page (this tab only), with the session it belongs to. */
export const HISTORY_STORAGE_KEY = 'ringside-keys-history';

/** `''`: no coordinator chosen, the cluster picks the running peers in turn. */
export const ROUND_ROBIN = '';

export interface Operation {
  readonly id: number;
  readonly at: number;
  readonly op: KvOperation;
  readonly key: string;
  readonly value: string | undefined;
  /** The coordinator asked for, or `ROUND_ROBIN`. */
  readonly via: string;
  readonly result: KvResultWire | undefined;
  /** Why the call itself failed (the cluster never answered), when it did. */
  readonly error: string | undefined;
  /** Round trip measured by the window, ms. */
  readonly latencyMs: number;
  /** The peer that coordinated it: the one asked for, or (round robin) as its journal entry says. */
  readonly coordinator: string | undefined;
  /** The time from request to decision the coordinator measured, ms (from the journal). */
  readonly coordinatorLatencyMs: number | undefined;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface BulkRun {
  readonly total: number;
  readonly concurrency: number;
  readonly prefix: string;
  readonly startedAt: number;
  done: number;
  ok: number;
  failed: number;
  /** Failures by reason (`no-quorum`, `timeout`, or the error of a call that never arrived). */
  readonly reasons: Record<string, number>;
  state: 'running' | 'cancelling' | 'cancelled' | 'done' | 'aborted';
  finishedAt: number | undefined;
  latency: LatencySummary | undefined;
}

export function summarizeLatencies(latenciesMs: readonly number[]): LatencySummary | undefined {
  if (latenciesMs.length === 0) return undefined;
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5) ?? 0, p90: percentile(sorted, 0.9) ?? 0, p99: percentile(sorted, 0.99) ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

export const useKeysStore = defineStore('keys', () => {
  const notifications = useNotificationsStore();
  const ring = useRingStore();
  const coordinator = ref<string>(ROUND_ROBIN);
  const history = shallowRef<readonly Operation[]>([]);
  /** The operation the console shows: the newest, or one picked from the history. */
  const shownId = ref<number | undefined>(undefined);
  const running = ref(false);
  let nextId = 1;

  // A call's result does not say which peer coordinated it; its journal entry (kv.result) does.
  // Entries and replies arrive in either order: each side waits for the other, both bounded.
  const resultsSeen = new Map<string, { peer: string; latencyMs: number | undefined }>();
  const awaitingEntry = new Map<string, number>();
  const resultId = (op: KvOperation, key: string, transaction: number): string => `${op}\u0000${key}\u0000${transaction}`;

  function attribute(operationId: number, seen: { peer: string; latencyMs: number | undefined }): void {
    history.value = history.value.map((operation) =>
      operation.id === operationId ? { ...operation, coordinator: operation.coordinator ?? seen.peer, coordinatorLatencyMs: seen.latencyMs } : operation,
    );
  }

  useStreamStore().consume((batch) => {
    for (const { event } of batch.entries) {
      if (event.kind !== 'kv.result' || event.transaction === 0) continue;
      const id = resultId(event.op, event.key, event.transaction);
      const seen = { peer: event.peer, latencyMs: event.latencyMs };
      const waiting = awaitingEntry.get(id);
      if (waiting !== undefined) {
        awaitingEntry.delete(id);
        attribute(waiting, seen);
        continue;
      }
      resultsSeen.set(id, seen);
      if (resultsSeen.size > RESULTS_REMEMBERED_MAX) resultsSeen.delete(resultsSeen.keys().next().value as string);
    }
  });

  const shown = computed(() => history.value.find((operation) => operation.id === shownId.value) ?? history.value[0]);

  // The history survives a reload: kept in this tab's session storage with the session's start,
  // and brought back only into the same session (a new `ringside serve` starts a new one).
  const cluster = useClusterStore();
  let restored = false;
  watch(
    () => cluster.session?.startedAt,
    (startedAt) => {
      if (restored || startedAt === undefined) return;
      restored = true;
      try {
        const saved = JSON.parse(sessionStorage.getItem(HISTORY_STORAGE_KEY) ?? 'null') as { startedAt: number; history: Operation[] } | null;
        if (saved === null || saved.startedAt !== startedAt || !Array.isArray(saved.history)) return;
        const ids = new Set(history.value.map((operation) => operation.id));
        history.value = [...history.value, ...saved.history.filter((operation) => !ids.has(operation.id))].slice(0, HISTORY_MAX);
        nextId = Math.max(nextId, ...history.value.map((operation) => operation.id + 1));
      } catch {
        // Unreadable or unavailable storage: the history starts empty.
      }
    },
    { immediate: true },
  );
  watch(history, (operations) => {
    const startedAt = cluster.session?.startedAt;
    if (startedAt === undefined) return;
    try {
      sessionStorage.setItem(HISTORY_STORAGE_KEY, JSON.stringify({ startedAt, history: operations }));
    } catch {
      // Full or unavailable: the history lives in this page only.
    }
  });

  async function call(op: KvOperation, key: string, value: string | undefined, via: string): Promise<{ result: KvResultWire; latencyMs: number }> {
    const startedAt = performance.now();
    const result = await clusterClient().runKv({ op, key, value, via: via === ROUND_ROBIN ? undefined : via });
    const latencyMs = Math.round((performance.now() - startedAt) * 1000) / 1000;
    // The Charts' round trip through the API: this measure, never the coordinator's.
    useMetricsStore().addRoundTrip(latencyMs);
    return { result, latencyMs };
  }

  /** Runs one operation through the chosen coordinator and puts it at the top of the history. */
  async function run(op: KvOperation, key: string, value?: string): Promise<Operation | undefined> {
    const via = coordinator.value;
    const carriesValue = op === 'create' || op === 'update' || op === 'put';
    running.value = true;
    const startedAt = performance.now();
    try {
      const outcome = await notifications.attempt(`${op} ${key}`, () => call(op, key, carriesValue ? (value ?? '') : undefined, via));
      const operation: Operation = {
        id: nextId++,
        at: Date.now(),
        op,
        key,
        value: carriesValue ? value : undefined,
        via,
        result: outcome?.result,
        error: outcome === undefined ? 'the cluster did not answer' : undefined,
        latencyMs: outcome?.latencyMs ?? Math.round(performance.now() - startedAt),
        coordinator: via === ROUND_ROBIN ? undefined : via,
        coordinatorLatencyMs: undefined,
      };
      history.value = [operation, ...history.value].slice(0, HISTORY_MAX);
      const result = outcome?.result;
      if (result !== undefined && result.transaction !== 0) {
        const id = resultId(result.op, result.key, result.transaction);
        const seen = resultsSeen.get(id);
        if (seen !== undefined) {
          resultsSeen.delete(id);
          attribute(operation.id, seen);
        } else {
          awaitingEntry.set(id, operation.id);
          if (awaitingEntry.size > HISTORY_MAX) awaitingEntry.delete(awaitingEntry.keys().next().value as string);
        }
      }
      shownId.value = operation.id;
      if (outcome !== undefined) ring.addKey(key);
      return history.value.find((entry) => entry.id === operation.id) ?? operation;
    } finally {
      running.value = false;
    }
  }

  function show(id: number): void {
    shownId.value = id;
  }

  function clearHistory(): void {
    history.value = [];
    shownId.value = undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Bulk loader

  const bulk = ref<BulkRun | undefined>(undefined);

  /**
   * Puts `count` random keys (`prefix` + random) with random values of `valueLength` characters,
   * `concurrency` at a time, through the chosen coordinator. Resolves when done or cancelled.
   */
  async function startBulk(count: number, options: { concurrency?: number; prefix?: string; valueLength?: number } = {}): Promise<BulkRun | undefined> {
    if (bulk.value?.state === 'running' || bulk.value?.state === 'cancelling') return undefined;
    const total = Math.max(1, Math.min(BULK_COUNT_MAX, Math.floor(count)));
    const concurrency = Math.max(1, Math.min(BULK_CONCURRENCY_MAX, Math.floor(options.concurrency ?? 8), total));
    const prefix = options.prefix ?? 'bulk-';
    const valueLength = Math.max(0, Math.min(4096, Math.floor(options.valueLength ?? 16)));
    const via = coordinator.value;
    bulk.value = { total, concurrency, prefix, startedAt: Date.now(), done: 0, ok: 0, failed: 0, reasons: {}, state: 'running', finishedAt: undefined, latency: undefined };
    // Vue's proxy of the run: progress written through it reaches the view.
    const run = bulk.value;
    const latencies: number[] = [];
    let issued = 0;
    let unreachable = 0;
    const written: string[] = [];

    const fail = (reason: string): void => {
      run.failed++;
      run.reasons[reason] = (run.reasons[reason] ?? 0) + 1;
    };

    const worker = async (): Promise<void> => {
      while (issued < total && run.state === 'running') {
        issued++;
        const key = randomKey(prefix);
        try {
          const { result, latencyMs } = await call('put', key, randomText(valueLength), via);
          unreachable = 0;
          latencies.push(latencyMs);
          if (result.ok) {
            run.ok++;
            written.push(key);
          } else fail(result.reason ?? 'failed');
        } catch (error) {
          fail((error as Error).message);
          if (++unreachable >= BULK_UNREACHABLE_MAX && run.state === 'running') run.state = 'aborted';
        }
        run.done++;
        if (written.length >= 64) ring.addKeys(written.splice(0));
      }
    };

    await Promise.all(Array.from({ length: concurrency }, worker));
    ring.addKeys(written);
    run.state = run.state === 'cancelling' ? 'cancelled' : run.state === 'aborted' ? 'aborted' : 'done';
    run.finishedAt = Date.now();
    run.latency = summarizeLatencies(latencies);
    if (run.state === 'aborted') notifications.push('error', `Bulk load stopped: ${BULK_UNREACHABLE_MAX} operations in a row did not reach the cluster`);
    return run;
  }

  /** Stops issuing operations; those in flight finish and count. */
  function cancelBulk(): void {
    if (bulk.value?.state === 'running') bulk.value.state = 'cancelling';
  }

  return { coordinator, history, shown, shownId, running, run, show, clearHistory, bulk, startBulk, cancelBulk };
});
