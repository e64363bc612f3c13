/**
 * The ring as the window sees it: the peers' own ring state (`ringStates()`, read every second
 * while key-value peers run and at once when a peer comes or goes), the one most running peers
 * share (`lib/ring-consensus.ts`), built with the peers' configuration (`KV_DEFAULTS.ring`), so a
 * key's preference list here is the one the peers compute. With explicit ownership a failure is
 * not a departure: a killed, crashed or paused owner stays on the ring (`downOwners`) until it
 * restarts or an operator removes it; joins, leaves and removals are transitions, one at a time
 * (`transition`).
 *
 * Also the keys the window knows: those written through it, those in the journal's operation,
 * repair and handoff events, and those the stores hold when inspected. They are kept in a bounded
 * set (`KEYS_MAX`, oldest forgotten first) and published now and then (`keysPublishMs`), so a
 * bulk load does not recompute the ring's statistics every frame.
 *
 * When the ring's owners change, it records what moved among the known keys (`movement` in
 * `shared/ring/stats.ts`: the keys whose primary changed, and the replica copies peers had to
 * receive), next to what theory expects, and which keys' primary moved (`movedKeys`, drawn on the
 * ring): the price of a join, a leave or a removal. A kill moves nothing (the peer stays an owner).
 * Those changes are the majority's ring's, whichever ring the views show.
 *
 * Whose ring the views show (`viewpoint`): the majority's by default, or one running peer's own
 * state, when the peers disagree (a partition's minority, a peer that has not heard a change).
 * `groups` lists each distinct state and who holds it; a peer whose state was not read shows no
 * ring ('unknown'), never another peer's. `ringOf` builds any peer's ring, for the replica diff,
 * which judges each peer's copies by that peer's own ring.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { KV_DEFAULTS } from '../../../shared/kv/config.ts';
import { HashCache } from '../../../shared/ring/hash.ts';
import { ownersRing } from '../../../shared/kv/ring-state.ts';
import type { Ring } from '../../../shared/ring/ring.ts';
import { movement, movementTheory, placementStats, type Movement, type MovementTheory } from '../../../shared/ring/stats.ts';
import type { RingStateInfo } from '../../../shared/api/bridge.ts';
import type { PeerSummaryWire } from '../../../shared/api/cluster-api.ts';
import { majorityRingState, ringOwners, ringStateGroups, type RingStateGroup } from '../lib/ring-consensus.ts';
import { summarizeTransition } from '../lib/ring-transition.ts';
import { replicaWalk } from '../lib/ring-geometry.ts';
import { pollCluster } from '../lib/cluster-poll.ts';
import { clusterClient } from './client.ts';
import { useClusterStore } from './cluster.ts';
import { useStreamStore } from './stream.ts';
import { useTimelineStore } from './timeline.ts';
import { peersAt, ringStatesAt } from '../lib/timeline-views.ts';

export const KEYS_MAX = 50_000;
/**
 * How long new keys wait before they are published: longer as keys grow, since each publication
 * re-places every key (about 2 µs a key) and recomputes the shares.
 */
export function keysPublishMs(keys: number): number {
  return keys < 5000 ? 300 : keys < 20_000 ? 1000 : 2000;
}
const CHANGES_MAX = 20;
export const RING_STATES_REFRESH_MS = 1000;
/** Process states in which an owner cannot answer: its replicas are unavailable, it still owns its keys. */
export const DOWN_STATES: ReadonlySet<PeerSummaryWire['state']> = new Set(['killed', 'crashed', 'paused', 'detached']);
/** The `viewpoint` that shows the ring state most running peers hold. */
export const MAJORITY_VIEW = '';
/** Rings `ringOf` keeps built, by owners (a cluster rarely holds more than two or three states). */
const RINGS_CACHED_MAX = 16;

/** The ring state the views show, and whose it is. */
export interface ShownRingState {
  /** `MAJORITY_VIEW`, or the peer whose own state it is. */
  readonly viewpoint: string;
  /** Undefined: no state read (none at all, or that peer's: unknown). */
  readonly state: RingStateInfo | undefined;
  /** The peers that hold the same state (undefined with no state). */
  readonly group: RingStateGroup | undefined;
}

export interface RingChange {
  readonly at: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly members: number;
  /** Known keys when the ring changed. */
  readonly keys: number;
  /** What moved among them: primaries and replica copies (without the list of keys). */
  readonly moved: Omit<Movement, 'movedKeys'>;
  /** What theory expects of both figures (undefined for a change that both adds and removes peers). */
  readonly theory: MovementTheory | undefined;
}

export const useRingStore = defineStore('ring', () => {
  const cluster = useClusterStore();
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

  /** Each running peer's ring state, as last read. */
  const states = shallowRef<Readonly<Record<string, RingStateInfo>>>({});
  /**
   * The ring states the views show: the peers' own, read every second, live; those the journal
   * says they held, at a past moment on the timeline (`ring.changed` carries the state).
   */
  const timeline = useTimelineStore();
  const statesShown = computed<Readonly<Record<string, RingStateInfo>>>(() => (timeline.isPast ? ringStatesAt(timeline.world) : states.value));
  /** The peers of the moment shown: the manager's live, the journal's in the past. */
  const shownPeers = computed(() => (timeline.isPast ? peersAt(timeline.world) : cluster.peers));
  const statesReadAt = ref<number | undefined>(undefined);
  let reading: Promise<void> | undefined;

  /** Reads every running peer's ring state (a second call joins the first). */
  function refreshStates(): Promise<void> {
    if (reading !== undefined) return reading;
    const current = (async () => {
      try {
        // A circular DHT has no ring state (the server refuses `ring.states` there).
        states.value = cluster.runningPeers.length === 0 || cluster.isDht ? {} : ((await clusterClient().ringStates()) ?? {});
        statesReadAt.value = Date.now();
      } catch {
        // A peer that vanished mid-read, a connection that dropped: the next read will do.
      }
    })();
    // Set before it settles (with no peer it settles at once), cleared once it has.
    reading = current;
    void current.finally(() => {
      if (reading === current) reading = undefined;
    });
    return current;
  }

  const poll = pollCluster(cluster, refreshStates, RING_STATES_REFRESH_MS);
  const start = (): void => poll.start();
  const stop = (): void => poll.stop();

  const runningIds = computed(() => shownPeers.value.filter((peer) => peer.state === 'running' || peer.state === 'attached').map((peer) => peer.id));
  const consensus = computed(() => majorityRingState(statesShown.value, runningIds.value));
  /** Each distinct ring state the running peers hold (the majority's first), and who holds none read. */
  const groups = computed(() => ringStateGroups(statesShown.value, runningIds.value));
  /** The running peers do not all hold one ring state (or some were not read). */
  const ringsDisagree = computed(() => groups.value.groups.length > 1 || (groups.value.groups.length > 0 && groups.value.unknown.length > 0));

  const rings = new Map<string, Ring>();
  /** A ring of these owners, as the peers place keys: with fewer than N owners, each key on all of them. */
  function ringOfOwners(owners: readonly string[]): Ring {
    const text = owners.join(',');
    let built = rings.get(text);
    if (built === undefined) {
      if (rings.size >= RINGS_CACHED_MAX) rings.clear();
      built = ownersRing(KV_DEFAULTS.ring, owners, hashes);
      rings.set(text, built);
    }
    return built;
  }
  /** The ring a peer's state gives keys to; undefined for a state not reported (unknown). */
  const ringOf = (state: RingStateInfo | undefined): Ring | undefined => (state === undefined ? undefined : ringOfOwners(ringOwners(state)));

  const majorityOwnersText = computed(() => consensus.value.owners.join(','));
  /** The majority's ring: the one whose changes are recorded. */
  const majorityRing = computed(() => ringOfOwners(majorityOwnersText.value === '' ? [] : majorityOwnersText.value.split(',')));

  const viewpoint = ref<string>(MAJORITY_VIEW);
  /** Shows the majority's ring (`MAJORITY_VIEW`) or `peer`'s own. */
  function setViewpoint(peer: string): void {
    viewpoint.value = peer;
  }
  const shown = computed<ShownRingState>(() => {
    const peer = viewpoint.value;
    const group = peer === MAJORITY_VIEW ? groups.value.groups[0] : groups.value.groups.find((candidate) => candidate.peers.includes(peer));
    return { viewpoint: peer, state: group?.state, group };
  });
  const shownOwnersText = computed(() => ringOwners(shown.value.state).join(','));
  /** The ring the views show: the majority's, or the chosen peer's (empty when its state is unknown). */
  const ring = computed(() => (shownOwnersText.value === majorityOwnersText.value ? majorityRing.value : ringOfOwners(shownOwnersText.value === '' ? [] : shownOwnersText.value.split(','))));
  /** Each owner's entry status in the shown state (`normal`, `leaving`, …), by peer. */
  const statuses = computed(() => new Map((shown.value.state?.entries ?? []).map((entry) => [entry.peer, entry.status])));
  /** The transition in progress in the shown state, with the ranges it moves. */
  const transition = computed(() => {
    const info = shown.value.state?.transition;
    return info === undefined ? undefined : summarizeTransition(ring.value, info, hashes);
  });
  const processStates = computed(() => new Map(shownPeers.value.map((peer) => [peer.id, peer.state])));
  /** Owners whose process cannot answer (killed, crashed, paused, detached), with that state: still owners. */
  const downOwners = computed(() => {
    const down = new Map<string, PeerSummaryWire['state']>();
    for (const owner of ring.value.peers) {
      const state = processStates.value.get(owner);
      if (state !== undefined && DOWN_STATES.has(state)) down.set(owner, state);
    }
    return down;
  });

  const changes = shallowRef<readonly RingChange[]>([]);
  const lastChange = computed(() => changes.value[changes.value.length - 1]);
  /** The known keys whose primary the last change moved (highlighted on the ring). */
  const movedKeys = shallowRef<ReadonlySet<string>>(new Set());

  // A change is what the live ring did: moving on the timeline (to the past, or back) is not one.
  let pastBefore = timeline.isPast;
  watch(majorityRing, (after, before) => {
    const travelled = pastBefore || timeline.isPast;
    pastBefore = timeline.isPast;
    if (travelled || !before.placesKeys || !after.placesKeys) return;
    const keyList = [...known];
    const added = after.peers.filter((peer) => !before.peers.includes(peer));
    const removed = before.peers.filter((peer) => !after.peers.includes(peer));
    const { movedKeys: moved, ...figures } = movement(before, after, keyList);
    const change: RingChange = {
      at: Date.now(),
      added,
      removed,
      members: after.peers.length,
      keys: keyList.length,
      moved: figures,
      theory: movementTheory(before.peers.length, added.length, removed.length),
    };
    changes.value = [...changes.value.slice(-(CHANGES_MAX - 1)), change];
    movedKeys.value = new Set(moved);
  });

  /**
   * When no peer is left alive, the cluster is over (a new cluster starts clean, whether its
   * peers kept their stores on disk or in memory): the keys the window knew, and the moves they
   * made, belong to a cluster that is no more. (Paused peers keep theirs.)
   */
  function forgetKeys(): void {
    clearTimeout(publishTimer);
    publishTimer = undefined;
    unpublished = false;
    known.clear();
    keys.value = [];
    changes.value = [];
    movedKeys.value = new Set();
    viewpoint.value = MAJORITY_VIEW;
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

  const numbers = computed(() => new Map(shownPeers.value.map((peer) => [peer.id, peer.number])));
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
    states,
    statesShown,
    processStates,
    statesReadAt,
    refreshStates,
    start,
    stop,
    consensus,
    groups,
    ringsDisagree,
    viewpoint,
    setViewpoint,
    shown,
    ringOf,
    statuses,
    transition,
    downOwners,
    changes,
    lastChange,
    movedKeys,
    stats,
    selectedKey,
    selection,
    select,
    peerNumber,
    peerLabel,
  };
});
