/**
 * What each peer believes: every running peer's member list, read every second while peers run
 * (`views`), and the state the window shows for each peer, from its process and from what the
 * others believe.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { MemberViewWire } from '../../../shared/protocol/control.ts';
import type { PeerSummaryWire } from '../../../shared/api/cluster-api.ts';
import { clusterClient } from './client.ts';
import { useClusterStore } from './cluster.ts';

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
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reading = false;

  async function refresh(): Promise<void> {
    if (reading) return;
    reading = true;
    try {
      views.value = cluster.runningPeers.length === 0 ? {} : await clusterClient().views();
      readAt.value = Date.now();
      const sample = { at: readAt.value, observers: Object.keys(views.value).length, disagreeing: disagreeing.value.length };
      agreement.value = [...agreement.value.slice(-(AGREEMENT_SAMPLES_MAX - 1)), sample];
    } catch {
      // A peer that vanished mid-read: the next read will do.
    } finally {
      reading = false;
    }
  }

  function loop(): void {
    clearTimeout(timer);
    timer = setTimeout(() => {
      void refresh().finally(loop);
    }, VIEWS_REFRESH_MS);
  }

  function start(): void {
    void refresh();
    loop();
  }

  function stop(): void {
    clearTimeout(timer);
    timer = undefined;
  }

  // Read at once when peers come or go, not a second later.
  watch(
    () => cluster.peers.map((peer) => `${peer.id}:${peer.state}`).join(','),
    () => void refresh(),
  );

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
    switch (peer.state) {
      case 'running':
      case 'attached': {
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

  return { views, readAt, agreement, disagreeing, refresh, start, stop, believedState, displayStates };
});
