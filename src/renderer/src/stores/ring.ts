/**
 * The ring as the window sees it: built from the members the peers count (a majority of the
 * running observers' views, see `lib/ring-members.ts`) with the peers' own configuration
 * (`KV_DEFAULTS.ring`), so a key's preference list here is the one the peers compute.
 *
 * Also the keys the window knows: those written through it, those in the journal's operation,
 * repair and handoff events, and those the stores hold when inspected. They are kept in a bounded
 * set (`KEYS_MAX`, oldest forgotten first) and published now and then (`keysPublishMs`), so a
 * bulk load does not recompute the ring's statistics every frame.
 *
 * When the ring's members change, it records how many of the known keys moved (their
 * preference list changed): the price of a join or a leave.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { KV_DEFAULTS } from '../../../shared/kv/config.ts';
import { HashCache } from '../../../shared/ring/hash.ts';
import { Ring } from '../../../shared/ring/ring.ts';
import { movedFraction, placementStats } from '../../../shared/ring/stats.ts';
import { ringMembership } from '../lib/ring-members.ts';
import { replicaWalk } from '../lib/ring-geometry.ts';
import { useClusterStore } from './cluster.ts';
import { useMembershipStore } from './membership.ts';
import { useStreamStore } from './stream.ts';

export const KEYS_MAX = 50_000;
/**
 * How long new keys wait before they are published: longer as keys grow, since each publication
 * re-places every key (about 2 µs a key) and recomputes the shares.
 */
export function keysPublishMs(keys: number): number {
  return keys < 5000 ? 300 : keys < 20_000 ? 1000 : 2000;
}
const CHANGES_MAX = 20;

export interface RingChange {
  readonly at: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly members: number;
  /** Known keys when the ring changed, and the fraction whose preference list changed. */
  readonly keys: number;
  readonly movedFraction: number;
}

export const useRingStore = defineStore('ring', () => {
  const cluster = useClusterStore();
  const membership = useMembershipStore();
  const hashes = new HashCache(2 * KEYS_MAX);

  // ---------------------------------------------------------------------------------------------
  // Known keys

  const known = new Set<string>();
  /** The known keys, oldest first; republished at most every `keysPublishMs`. */
  const keys = shallowRef<readonly string[]>([]);
  let publishTimer: ReturnType<typeof setTimeout> | undefined;
  let unpublished = false;

  /** Publishes the keys learned since the last time (at once: tests, a view that needs them now). */
  function publishKeys(): void {
    clearTimeout(publishTimer);
    publishTimer = undefined;
    if (!unpublished) return;
    unpublished = false;
    keys.value = [...known];
  }

  function addKeys(added: Iterable<string>): void {
    let changed = false;
    for (const key of added) {
      if (known.has(key)) continue;
      known.add(key);
      changed = unpublished = true;
      if (known.size > KEYS_MAX) known.delete(known.values().next().value as string);
    }
    if (changed && publishTimer === undefined) publishTimer = setTimeout(publishKeys, keysPublishMs(known.size));
  }

  const addKey = (key: string): void => addKeys([key]);

  useStreamStore().consume((batch) => {
    const seen: string[] = [];
    for (const { event } of batch.entries) {
      if (event.kind === 'kv.result' || event.kind === 'kv.replica' || event.kind === 'store.changed') seen.push(event.key);
    }
    if (seen.length > 0) addKeys(seen);
  });

  // ---------------------------------------------------------------------------------------------
  // The ring

  const runningIds = computed(() => cluster.runningPeers.map((peer) => peer.id));
  const membershipOfRing = computed(() => ringMembership(membership.views, runningIds.value));
  const membersText = computed(() => membershipOfRing.value.members.join(','));
  const ring = computed(() => new Ring(KV_DEFAULTS.ring, membersText.value === '' ? [] : membersText.value.split(','), hashes));

  const changes = shallowRef<readonly RingChange[]>([]);
  const lastChange = computed(() => changes.value[changes.value.length - 1]);

  watch(ring, (after, before) => {
    if (!before.placesKeys || !after.placesKeys) return;
    const keyList = [...known];
    const change: RingChange = {
      at: Date.now(),
      added: after.peers.filter((peer) => !before.peers.includes(peer)),
      removed: before.peers.filter((peer) => !after.peers.includes(peer)),
      members: after.peers.length,
      keys: keyList.length,
      movedFraction: movedFraction(before, after, keyList),
    };
    changes.value = [...changes.value.slice(-(CHANGES_MAX - 1)), change];
  });

  /**
   * When no peer is left alive, every store has gone with its process (peers keep their data in
   * memory): the keys the window knew, and the moves they made, belong to a cluster that is no
   * more, and the next one starts empty. (Paused peers keep theirs.)
   */
  function forgetKeys(): void {
    clearTimeout(publishTimer);
    publishTimer = undefined;
    unpublished = false;
    known.clear();
    keys.value = [];
    changes.value = [];
  }
  watch(
    () => cluster.livePeers.length === 0,
    (none, before) => {
      if (none && before === false) forgetKeys();
    },
  );

  const stats = computed(() => placementStats(ring.value, keys.value));

  // ---------------------------------------------------------------------------------------------
  // The selected key

  const selectedKey = ref<string | undefined>(undefined);
  const selection = computed(() => {
    const key = selectedKey.value;
    if (key === undefined) return undefined;
    return { key, known: known.has(key), position: ring.value.positionOf(key), walk: replicaWalk(ring.value, key) };
  });

  function select(key: string | undefined): void {
    selectedKey.value = key === '' ? undefined : key;
  }

  // ---------------------------------------------------------------------------------------------
  // Peer labels

  const numbers = computed(() => new Map(cluster.peers.map((peer) => [peer.id, peer.number])));
  const peerNumber = (peer: string): number | undefined => numbers.value.get(peer);
  /** `#3`, or the address for a peer this window never listed. */
  const peerLabel = (peer: string): string => {
    const number = numbers.value.get(peer);
    return number === undefined ? peer : `#${number}`;
  };

  return {
    keys,
    addKey,
    addKeys,
    publishKeys,
    ring,
    membership: membershipOfRing,
    changes,
    lastChange,
    stats,
    selectedKey,
    selection,
    select,
    peerNumber,
    peerLabel,
  };
});
