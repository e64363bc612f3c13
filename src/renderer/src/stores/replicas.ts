/**
 * What every replica holds: each running peer's store, read with `inspectPeer` (key, value,
 * version, tombstone), and the replica diff across them (`lib/replica-diff.ts`). The Stores view
 * shows both; the Ring view shows which replicas hold which version of the selected key.
 *
 * The diff's N and owners come from the ring the views show (`ring.ring`: the majority's, or the
 * peer the user picked); each peer's copies are judged by the ring state that peer reported with
 * its store (`PeerStore.ring`), or not at all when it reported none.
 *
 * Reading every store is a few requests and, with thousands of keys, a few megabytes: it happens
 * when the user asks (Refresh), when a view needs it and the last read is old, or every
 * `AUTO_REFRESH_MS` while auto-refresh is on.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { StoredRecord } from '../../../shared/protocol/control.ts';
import type { RingStateInfo } from '../../../shared/api/bridge.ts';
import { replicaDiff } from '../lib/replica-diff.ts';
import { clusterClient } from './client.ts';
import { useClusterStore } from './cluster.ts';
import { useNotificationsStore } from './notifications.ts';
import { useRingStore } from './ring.ts';
import { useTimelineStore } from './timeline.ts';
import { storesAt } from '../lib/store-index.ts';

/** Records read from each peer at most (the API's bound is 100,000). */
export const INSPECT_RECORDS_MAX = 50_000;
export const AUTO_REFRESH_MS = 3000;

export interface PeerStore {
  readonly peer: string;
  /** Sorted by key (the peer sends them so). */
  readonly records: readonly StoredRecord[];
  readonly byKey: ReadonlyMap<string, StoredRecord>;
  /** Records the peer holds; more than `records.length` when the read was cut at the bound. */
  readonly total: number;
  readonly tombstones: number;
  readonly pendingHandoffs: number;
  /** The ring state the peer held when its store was read; undefined when it reported none. */
  readonly ring: RingStateInfo | undefined;
  /** When it was read (ms since the epoch). */
  readonly at: number;
}

export const useReplicasStore = defineStore('replicas', () => {
  const cluster = useClusterStore();
  const ring = useRingStore();
  const notifications = useNotificationsStore();
  const stores = shallowRef<ReadonlyMap<string, PeerStore>>(new Map());
  /** Peers that did not answer the last read, and why. */
  const failures = shallowRef<ReadonlyMap<string, string>>(new Map());
  const readAt = ref<number | undefined>(undefined);
  const reading = ref(false);
  const autoRefresh = ref(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: Promise<void> | undefined;

  async function read(peer: string): Promise<PeerStore> {
    const inspection = await clusterClient().inspectPeer(peer, INSPECT_RECORDS_MAX);
    let tombstones = 0;
    for (const record of inspection.records) if (record.deleted) tombstones++;
    return {
      peer,
      records: inspection.records,
      byKey: new Map(inspection.records.map((record) => [record.key, record])),
      total: inspection.recordsTotal,
      tombstones,
      pendingHandoffs: inspection.pendingHandoffs,
      ring: inspection.ring,
      at: Date.now(),
    };
  }

  /** Reads every running peer's store (one read at a time: a second call joins the first). */
  function refresh(): Promise<void> {
    // A circular DHT peer has no key-value store to inspect: its files show on the Ring view.
    if (cluster.isDht) return Promise.resolve();
    pending ??= notifications
      .attempt('Reading the stores', async () => {
        reading.value = true;
        const peers = cluster.runningPeers.map((peer) => peer.id);
        const answers = await Promise.allSettled(peers.map((peer) => read(peer)));
        const next = new Map<string, PeerStore>();
        const failed = new Map<string, string>();
        answers.forEach((answer, index) => {
          const peer = peers[index] as string;
          if (answer.status === 'fulfilled') next.set(peer, answer.value);
          else failed.set(peer, (answer.reason as Error).message);
        });
        stores.value = next;
        failures.value = failed;
        readAt.value = Date.now();
        for (const store of next.values()) ring.addKeys(store.byKey.keys());
      })
      .finally(() => {
        reading.value = false;
        pending = undefined;
      }) as Promise<void>;
    return pending;
  }

  /** Reads the stores unless they were read within `maxAgeMs`. */
  function refreshIfOlder(maxAgeMs: number): Promise<void> {
    if (readAt.value !== undefined && Date.now() - readAt.value < maxAgeMs) return pending ?? Promise.resolve();
    return refresh();
  }

  function setAutoRefresh(on: boolean): void {
    autoRefresh.value = on;
    clearTimeout(timer);
    if (!on) return;
    const loop = (): void => {
      timer = setTimeout(() => {
        if (!autoRefresh.value) return;
        void refresh().finally(loop);
      }, AUTO_REFRESH_MS);
    };
    void refresh();
    loop();
  }

  /**
   * The stores the views show: those read from the peers, live; at a past moment on the timeline,
   * those the journal says each running peer held then (with the ring state it held then).
   */
  const timeline = useTimelineStore();
  const storesShown = computed<ReadonlyMap<string, PeerStore>>(() => {
    if (!timeline.isPast) return stores.value;
    const world = timeline.world;
    const shown = new Map<string, PeerStore>();
    for (const [peer, records] of storesAt(timeline.timeline(), world)) {
      let tombstones = 0;
      for (const record of records) if (record.deleted) tombstones++;
      shown.set(peer, {
        peer,
        records,
        byKey: new Map(records.map((record) => [record.key, record])),
        total: records.length,
        tombstones,
        pendingHandoffs: 0,
        ring: ring.statesShown[peer],
        at: timeline.momentAt ?? 0,
      });
    }
    return shown;
  });

  const diff = computed(() =>
    replicaDiff(
      new Map([...storesShown.value].map(([peer, store]) => [peer, store.records])),
      ring.ring,
      new Map([...storesShown.value].map(([peer, store]) => [peer, ring.ringOf(store.ring)])),
    ),
  );

  /** Who holds `key`, and which version: one entry per store read. */
  function holdersOf(key: string): { peer: string; record: StoredRecord | undefined }[] {
    return [...storesShown.value.values()].map((store) => ({ peer: store.peer, record: store.byKey.get(key) }));
  }

  return { stores, storesShown, failures, readAt, reading, autoRefresh, refresh, refreshIfOlder, setAutoRefresh, diff, holdersOf };
});
