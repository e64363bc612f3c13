/**
 * The circular DHT as the window sees it (a cluster of kind `dht`): every running peer's own
 * inspection (successors, predecessors, files, folder), read every second while the Ring view
 * shows and soon after a console line arrives; the lookup a Store or Request sent from the
 * window makes, followed hop by hop from the console events' `lookup.route` and animated one
 * hop at a time (at once with animations off, or when the system asks for reduced motion); and
 * the actions (Store, Request, put a file, Quit, Kill).
 *
 * A lookup's outcome (`arrived`) shows only once the animation reaches its last peer, and until
 * then what it brings is `withheld` where it was not before (the file a Store places, the
 * `received_` copy a Request brings): the peers' inspections report them sooner than the route is
 * drawn, and the window must not tell the result before the route gets there. A lookup that
 * fails to be sent, or hears nothing for `DHT_STALL_MS` before it is done, holds nothing back.
 *
 * File names are checked here: a name that is not four digits is said in words and never sent.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { DhtInspection } from '../../../shared/protocol/control.ts';
import type { PeerSummaryWire } from '../../../shared/api/cluster-api.ts';
import { fileHash, isFileName, ownerOf } from '../../../shared/dht/placement.ts';
import { clusterClient } from './client.ts';
import { LIVE_STATES, useClusterStore } from './cluster.ts';
import { useNotificationsStore } from './notifications.ts';
import { useStreamStore } from './stream.ts';

/** How often the ring is read while the view shows. */
export const DHT_POLL_MS = 1000;
/** How soon after a console line the ring is read again. */
export const DHT_AFTER_LINE_MS = 150;
/** How long the animation dwells on each hop of a route. */
export const DHT_HOP_MS = 450;
/**
 * How long a lookup not yet done may go without news before what it brings is no longer held
 * back: a route dropped, a console line lost or a Store the peer refused must not hide its file
 * for good.
 */
export const DHT_STALL_MS = 10_000;

export type LookupOperation = 'store' | 'request';

export interface TrackedLookup {
  readonly operation: LookupOperation;
  readonly file: string;
  /** The peer it was typed at. */
  readonly origin: number;
  /** Identities from the origin to the newest hop reported (the owner once done). */
  readonly route: readonly number[];
  /** The owner said so (`request accepted`, `is stored here`). */
  readonly done: boolean;
}

/** What a lookup brings, held back from the window until its route has arrived (see `withheld`). */
export interface Withheld {
  readonly operation: LookupOperation;
  readonly file: string;
  /** Peers that had it before the lookup began: nothing is held back there. */
  readonly heldBefore: ReadonlySet<number>;
}

/** Whether folder entry `name` is the copy a Request for `file` saves (`received_NNNN.ext`). */
export function isReceivedCopy(name: string, file: string): boolean {
  return name === `received_${file}` || name.startsWith(`received_${file}.`);
}

/** Why `name` is not a file name, in words; undefined when it is one. */
export function fileNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'type a file name: four digits, 0000 to 9999';
  return isFileName(name.trim()) ? undefined : `"${name.trim()}" is not a file name: a file name is exactly four digits (0000 to 9999); nothing was sent`;
}

/** Whether the system asks for reduced motion (false where it cannot say, as in jsdom). */
export function prefersReducedMotion(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** The owner's lines that end a lookup. */
const ARRIVED = /request accepted$|is stored here$/;

export const useDhtStore = defineStore('dht', () => {
  const cluster = useClusterStore();
  const notifications = useNotificationsStore();
  const ring = shallowRef<readonly DhtInspection[]>([]);
  const readAt = ref<number | undefined>(undefined);
  /** The peer whose panel shows (its id). */
  const selected = ref<string | undefined>(undefined);
  const lookup = shallowRef<TrackedLookup | undefined>(undefined);
  /** Hops of `lookup.route` the animation has drawn so far. */
  const step = ref(0);
  /** Routes drawn hop by hop; off: drawn whole at once. Off from the start under reduced motion. */
  const animate = ref(!prefersReducedMotion());
  /** Peers that had what the lookup brings when it began: a Store's file, a Request's received copy. */
  const heldBefore = shallowRef<ReadonlySet<number>>(new Set());
  /** The lookup failed or went quiet before it was done (see `DHT_STALL_MS`). */
  const stalled = ref(false);
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let lineTimer: ReturnType<typeof setTimeout> | undefined;
  let hopTimer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  let reading: Promise<void> | undefined;

  /** The DHT peers of the session, live or gone, by identity. */
  const dhtPeers = computed(() => cluster.peers.filter((peer) => peer.identity !== undefined));
  const byId = computed(() => new Map(ring.value.map((inspection) => [inspection.id, inspection])));
  const selectedInspection = computed(() => (selected.value === undefined ? undefined : byId.value.get(selected.value)));
  const livePeers = computed(() => dhtPeers.value.filter((peer) => LIVE_STATES.has(peer.state)));
  /** Gone peers whose identity no live peer has taken again. */
  const gonePeers = computed(() => {
    const live = new Set(livePeers.value.map((peer) => peer.identity));
    const seen = new Set<number>();
    return dhtPeers.value.filter((peer) => !LIVE_STATES.has(peer.state) && !live.has(peer.identity) && !seen.has(peer.identity as number) && seen.add(peer.identity as number));
  });
  const animating = computed(() => lookup.value !== undefined && step.value < lookup.value.route.length - 1);
  /** The lookup is done and the animation has reached its last peer: its outcome may show. */
  const arrived = computed(() => lookup.value !== undefined && lookup.value.done && step.value >= lookup.value.route.length - 1);
  /** What the lookup brings, not to be shown at peers that did not have it before until the route arrives. */
  const withheld = computed<Withheld | undefined>(() =>
    lookup.value !== undefined && !arrived.value && !stalled.value ? { operation: lookup.value.operation, file: lookup.value.file, heldBefore: heldBefore.value } : undefined,
  );

  function identityOf(id: string): number | undefined {
    return cluster.peers.find((peer) => peer.id === id)?.identity;
  }
  function peerOfIdentity(identity: number): PeerSummaryWire | undefined {
    return livePeers.value.find((peer) => peer.identity === identity);
  }
  /** Where a file belongs on the ring as the live peers make it. */
  function ownerOfFile(file: string): number | undefined {
    return isFileName(file) ? ownerOf(fileHash(file), livePeers.value.map((peer) => peer.identity as number)) : undefined;
  }

  /** Reads every running peer's inspection (one read at a time). */
  function refresh(): Promise<void> {
    if (!cluster.isDht || cluster.runningPeers.length === 0) {
      ring.value = [];
      return Promise.resolve();
    }
    reading ??= clusterClient()
      .dhtRing()
      .then((inspections) => {
        ring.value = inspections;
        readAt.value = Date.now();
        if (selected.value === undefined || !inspections.some((inspection) => inspection.id === selected.value)) selected.value = inspections[0]?.id;
      })
      .catch(() => {
        // A peer that went mid-read: the next read will do.
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  }

  function loop(): void {
    clearTimeout(pollTimer);
    if (!polling) return;
    pollTimer = setTimeout(() => void refresh().finally(loop), DHT_POLL_MS);
  }
  /** Reads now and every second until `stopPolling` (the view shows). */
  function startPolling(): void {
    polling = true;
    void refresh();
    loop();
  }
  function stopPolling(): void {
    polling = false;
    clearTimeout(pollTimer);
    clearTimeout(lineTimer);
  }

  function advance(): void {
    clearTimeout(hopTimer);
    hopTimer = undefined;
    const current = lookup.value;
    if (current === undefined || step.value >= current.route.length - 1) return;
    if (!animate.value) {
      step.value = current.route.length - 1;
      return;
    }
    hopTimer = setTimeout(() => {
      hopTimer = undefined;
      step.value++;
      advance();
    }, DHT_HOP_MS);
  }

  /** Follows a console event's lookup: a longer route extends the one shown, another lookup replaces it. */
  function observeLookup(text: string, found: { operation: LookupOperation; file: string; route: readonly number[] }): void {
    const current = lookup.value;
    const same = current !== undefined && current.operation === found.operation && current.file === found.file && current.origin === found.route[0];
    if (!same) {
      step.value = 0;
      heldBefore.value = holdersOf(found.operation, found.file);
    }
    const route = same && current.route.length > found.route.length ? current.route : found.route;
    lookup.value = { operation: found.operation, file: found.file, origin: found.route[0] as number, route, done: (same && current.done) || ARRIVED.test(text) };
    watchStall();
    if (hopTimer === undefined) advance();
  }

  /** News of the lookup: it is not stalled; until done, it stalls after `DHT_STALL_MS` without more. */
  function watchStall(): void {
    clearTimeout(stallTimer);
    stallTimer = undefined;
    stalled.value = false;
    if (lookup.value?.done === true) return;
    stallTimer = setTimeout(() => {
      stallTimer = undefined;
      stalled.value = true;
    }, DHT_STALL_MS);
  }

  /** The identities whose inspection has what a lookup of `file` brings. */
  function holdersOf(operation: LookupOperation, file: string): ReadonlySet<number> {
    const has = (inspection: DhtInspection): boolean =>
      operation === 'store' ? inspection.files.includes(file) : inspection.folder.entries.some((entry) => isReceivedCopy(entry.name, file));
    return new Set(ring.value.filter(has).map((inspection) => inspection.identity));
  }

  // Animations turned off mid-route: the route is drawn whole at once (on again: nothing to redo).
  watch(animate, () => advance());

  useStreamStore().consume((batch) => {
    let lines = false;
    for (const { event } of batch.entries) {
      if (event.kind !== 'console') continue;
      lines = true;
      if (event.lookup !== undefined) observeLookup(event.text, event.lookup);
    }
    if (lines && polling && lineTimer === undefined) {
      lineTimer = setTimeout(() => {
        lineTimer = undefined;
        void refresh();
      }, DHT_AFTER_LINE_MS);
    }
  });

  /** Store or Request `file` at peer `id`; false (and a message) when the name is not four digits. */
  async function lookupFile(operation: LookupOperation, id: string, file: string): Promise<boolean> {
    const problem = fileNameProblem(file);
    if (problem !== undefined) {
      notifications.push('error', problem);
      return false;
    }
    const name = file.trim();
    const origin = identityOf(id);
    if (origin !== undefined) {
      clearTimeout(hopTimer);
      hopTimer = undefined;
      step.value = 0;
      heldBefore.value = holdersOf(operation, name);
      lookup.value = { operation, file: name, origin, route: [origin], done: false };
      watchStall();
    }
    const started = lookup.value;
    const what = `${operation === 'store' ? 'Store' : 'Request'} ${name} at Peer ${origin ?? id}`;
    const typed = await notifications.attempt(what, () => (operation === 'store' ? clusterClient().storeDhtFile(id, name) : clusterClient().requestDhtFile(id, name)));
    // Nothing was typed: nothing is on its way, so nothing is held back for it.
    if (typed === undefined && origin !== undefined && lookup.value === started) stalled.value = true;
    return typed !== undefined;
  }

  /** Puts a sample file (`NNNN.ext`) in peer `id`'s working folder for a Request to find. */
  async function putFile(id: string, name: string): Promise<boolean> {
    const put = await notifications.attempt(`Putting ${name} in Peer ${identityOf(id) ?? id}'s folder`, () => clusterClient().putDhtFile(id, name.trim()));
    if (put === undefined) return false;
    notifications.push('info', `${put.name} (${put.bytes} bytes) is in Peer ${identityOf(id) ?? id}'s folder`);
    void refresh();
    return true;
  }

  const quit = (id: string) => cluster.stopPeer(id);
  const kill = (id: string) => cluster.killPeer(id);

  return {
    ring,
    readAt,
    selected,
    selectedInspection,
    lookup,
    step,
    animating,
    arrived,
    withheld,
    animate,
    dhtPeers,
    livePeers,
    gonePeers,
    identityOf,
    peerOfIdentity,
    ownerOfFile,
    refresh,
    startPolling,
    stopPolling,
    observeLookup,
    lookupFile,
    putFile,
    quit,
    kill,
  };
});
