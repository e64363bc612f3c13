/**
 * What each peer believes: every running peer's member list, read every second while peers run
 * (`views`), and the state the window shows for each peer, from its process and from what the
 * others believe.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { MemberViewWire } from '../../../shared/protocol/control.ts';
import type { PeerSummaryWire } from '../../../shared/api/cluster-api.ts';
import type { SessionEntry } from '../../../shared/journal/session.ts';
import { isMemberEvent } from '../../../shared/journal/events.ts';
import { clusterClient } from './client.ts';
import { LIVE_STATES, useClusterStore } from './cluster.ts';
import { useStreamStore } from './stream.ts';
import { lastCompleteChange, SpreadTracker, type SpreadChange } from '../lib/spread-tracker.ts';
import { pollCluster } from '../lib/cluster-poll.ts';

export const VIEWS_REFRESH_MS = 1000;

/** The states the window shows for a peer (the words of the SWIM paper, plus the process's). */
export type PeerDisplayState = 'starting' | 'alive' | 'suspect' | 'failed' | 'leaving' | 'left' | 'paused' | 'killed' | 'crashed' | 'detached';

/** Member lists by observer: `views[observer]` is what `observer` believes. */
export type Views = Readonly<Record<string, readonly MemberViewWire[]>>;

/** One read of every view: how many subjects the observers disagree on. */
export interface AgreementSample {
  readonly at: number;
  readonly observers: number;
  readonly disagreeing: number;
}
const AGREEMENT_SAMPLES_MAX = 600;
/** Journal entries read at start for the changes made before the window opened. */
const HISTORY_ENTRIES_MAX = 5000;
/** Stream entries held meanwhile, at most. */
const HELD_ENTRIES_MAX = 200_000;

/** Subjects whose state is not the same in every observer's list (absent counts as different). */
export function disagreeingSubjects(views: Views): string[] {
  const observers = Object.keys(views);
  const subjects = new Set<string>();
  for (const members of Object.values(views)) for (const member of members) subjects.add(member.id);
  const disagreeing: string[] = [];
  for (const subject of subjects) {
    const states = new Set(observers.filter((observer) => observer !== subject).map((observer) => views[observer]?.find((member) => member.id === subject)?.state ?? 'absent'));
    if (states.size > 1) disagreeing.push(subject);
  }
  return disagreeing.sort();
}

export const useMembershipStore = defineStore('membership', () => {
  const cluster = useClusterStore();
  const views = shallowRef<Views>({});
  /** When the views were last read (ms since the epoch). */
  const readAt = ref(0);
  /** Agreement over time, one sample per read (the newest `AGREEMENT_SAMPLES_MAX`). */
  const agreement = shallowRef<readonly AgreementSample[]>([]);
  const disagreeing = computed(() => disagreeingSubjects(views.value));
  /** How long each change took to reach every peer, from the member events in the stream. */
  let spread = new SpreadTracker();
  let reading = false;

  /**
   * Restarted peers not yet back in the group: peer id → when its new process started. The
   * others still hold the verdict on its previous life (dead, or suspect) until it rejoins; that
   * verdict is not about this process, so the peer shows `starting` until a read of the views
   * made after its process started no longer holds it (then `alive`, or `failed` for a new verdict).
   */
  const rejoining = shallowRef<ReadonlyMap<string, number>>(new Map());
  /** When the views now held were asked for. */
  let viewsAskedAt = 0;
  const lastLife = new Map<string, number>();
  watch(
    () => cluster.peers,
    (peers) => {
      const next = new Map(rejoining.value);
      for (const peer of peers) {
        const previous = lastLife.get(peer.id);
        lastLife.set(peer.id, peer.startedAt);
        if (previous !== undefined && previous !== peer.startedAt && LIVE_STATES.has(peer.state)) next.set(peer.id, peer.startedAt);
        else if (!LIVE_STATES.has(peer.state)) next.delete(peer.id);
      }
      settleRejoining(next);
    },
    { immediate: true },
  );
  /** Ends the `starting` of restarted peers the views read since they started no longer hold dead. */
  function settleRejoining(next = new Map(rejoining.value)): void {
    for (const [id, startedAt] of next) {
      if (viewsAskedAt < startedAt) continue;
      const believed = believedState(id);
      if (believed === undefined || believed === 'alive') next.delete(id);
    }
    if (next.size !== rejoining.value.size || [...next].some(([id, at]) => rejoining.value.get(id) !== at)) rejoining.value = next;
  }

  async function refresh(): Promise<void> {
    if (reading) return;
    reading = true;
    try {
      const askedAt = Date.now();
      // A circular DHT has no membership views (the server refuses `views` there).
      views.value = cluster.runningPeers.length === 0 || cluster.isDht ? {} : await clusterClient().views();
      viewsAskedAt = askedAt;
      settleRejoining();
      readAt.value = Date.now();
      spread.seed(views.value);
      applyEntries([]);
      const sample = { at: readAt.value, observers: Object.keys(views.value).length, disagreeing: disagreeing.value.length };
      agreement.value = [...agreement.value.slice(-(AGREEMENT_SAMPLES_MAX - 1)), sample];
    } catch {
      // A peer that vanished mid-read: the next read will do.
    } finally {
      reading = false;
    }
  }

  const poll = pollCluster(cluster, refresh, VIEWS_REFRESH_MS);

  function start(): void {
    void loadHistory();
    poll.start();
  }

  const stop = (): void => poll.stop();

  /** How the running observers see `subject`: the worst state any of them holds. */
  function believedState(subject: string): MemberViewWire['state'] | undefined {
    let worst: MemberViewWire['state'] | undefined;
    const rank = { alive: 0, suspect: 1, left: 2, dead: 3 } as const;
    for (const [observer, members] of Object.entries(views.value)) {
      if (observer === subject) continue;
      // An observer that does not list the subject has not heard of it yet (a join in flight).
      const state = members.find((view) => view.id === subject)?.state;
      if (state !== undefined && (worst === undefined || rank[state] > rank[worst])) worst = state;
    }
    return worst;
  }

  function displayState(peer: PeerSummaryWire): PeerDisplayState {
    // Restart pressed: the old process is gone and the new one is on its way.
    if (!LIVE_STATES.has(peer.state) && cluster.busy.has(`restart ${peer.id}`)) return 'starting';
    switch (peer.state) {
      case 'running':
      case 'attached': {
        if (rejoining.value.has(peer.id)) return 'starting';
        const believed = believedState(peer.id);
        if (believed === 'suspect') return 'suspect';
        if (believed === 'dead') return 'failed';
        return 'alive';
      }
      default:
        return peer.state;
    }
  }

  const displayStates = computed(() => new Map(cluster.peers.map((peer) => [peer.id, displayState(peer)])));

  /** Recent membership changes, oldest first (the newest `SPREAD_CHANGES_MAX`). */
  const changes = shallowRef<readonly SpreadChange[]>([]);
  /** The newest change that reached every live peer: its `spreadMs` is the convergence time. */
  const lastSpread = computed(() => lastCompleteChange(changes.value));
  let spreadVersion = -1;
  /** The newest entry applied: the history read at start and the stream overlap. */
  let lastSeq = -1;
  /** Stream entries held while the history is read, so that entries apply in order. */
  let held: SessionEntry[] | undefined;
  let historyRead = false;

  /** Applies entries to the changes (the stream calls it each frame; tests may too). */
  function applyEntries(entries: readonly SessionEntry[]): void {
    if (held !== undefined) {
      for (const entry of entries) if (held.length < HELD_ENTRIES_MAX) held.push(entry);
      return;
    }
    for (const entry of entries) {
      if (entry.seq <= lastSeq) continue;
      lastSeq = entry.seq;
      // A new cluster: the changes of the one before are not this one's (none still spreads).
      if (entry.event.kind === 'cluster.started') {
        spread = new SpreadTracker();
        spreadVersion = -1;
        continue;
      }
      spread.observe(entry);
    }
    spread.settle(cluster.runningPeers.map((peer) => peer.id));
    if (spread.version !== spreadVersion) {
      spreadVersion = spread.version;
      changes.value = spread.changes();
    }
  }
  useStreamStore().consume((batch) => applyEntries(batch.entries));

  /** Reads the journal's newest entries, so changes from before this window opened show too. */
  async function loadHistory(): Promise<void> {
    if (historyRead) return;
    historyRead = true;
    held = [];
    let history: SessionEntry[] = [];
    try {
      const info = await clusterClient().session();
      history = await clusterClient().journalEntries(Math.max(-1, info.journal.entries - HISTORY_ENTRIES_MAX - 1), HISTORY_ENTRIES_MAX);
    } catch {
      // No history: the changes start with the stream.
    }
    const stream = held;
    held = undefined;
    applyEntries([...history.filter((entry) => isMemberEvent(entry.event) || entry.event.kind === 'process.exited' || entry.event.kind === 'cluster.started'), ...stream]);
  }

  return { views, readAt, agreement, disagreeing, refresh, start, stop, believedState, displayStates, changes, lastSpread, applyEntries, loadHistory };
});
