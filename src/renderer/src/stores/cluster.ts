/**
 * The session and its peers: what runs, with which settings, and the actions on it. Peer
 * summaries come with the event stream whenever one changes; the session (journal size, the
 * file it records to) is read every few seconds.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { CLUSTER_SETTINGS_DEFAULTS, clusterSettingsSchema, type ClusterKind, type ClusterSettings, type PeerSummaryWire, type SessionInfo } from '../../../shared/api/cluster-api.ts';
import type { AddPeerOptions } from '../../../shared/api/bridge.ts';
import type { ConnectionState } from '../api/websocket.ts';
import { clusterClient } from './client.ts';
import { useNotificationsStore } from './notifications.ts';
import { useStreamStore } from './stream.ts';

/** A new cluster's size unless the user picks another. */
export const DEFAULT_PEER_COUNT = 5;
/** A new circular DHT's size unless the user picks another: the spec's reference ring 2, 4, 5, 8, 9, 14, 19. */
export const DHT_DEFAULT_PEER_COUNT = 7;
/** Peers one start may ask for (the cluster API's bound). */
export const PEERS_PER_START_MAX = 64;
const SESSION_REFRESH_MS = 2000;

/** Process states in which a peer takes part in the group. */
export const LIVE_STATES: ReadonlySet<PeerSummaryWire['state']> = new Set(['starting', 'running', 'paused', 'leaving', 'attached']);

export const useClusterStore = defineStore('cluster', () => {
  const notifications = useNotificationsStore();
  const connection = ref<ConnectionState>('connecting');
  const connectionDetail = ref<string | undefined>(undefined);
  const session = shallowRef<SessionInfo | undefined>(undefined);
  const peers = shallowRef<readonly PeerSummaryWire[]>([]);
  /** The settings the next start uses (the session's own once it is known). */
  const settings = ref<ClusterSettings>({ ...CLUSTER_SETTINGS_DEFAULTS });
  const peerCount = ref(DEFAULT_PEER_COUNT);
  /** Actions under way, by a label such as `start` or `kill 127.0.0.1:4001`. */
  const busy = ref<ReadonlySet<string>>(new Set());
  const transport = ref<'electron' | 'websocket' | undefined>(undefined);
  const fatal = ref<string | undefined>(undefined);
  /**
   * The start under way: how many peers it asked for, the peers live when it was pressed and the
   * highest number then (0 with none live: a start then begins a new cluster, numbered from #1).
   * The manager reports a peer once it runs, one after the other; until then the window shows a
   * `starting` placeholder for each peer still to come.
   */
  const startRequest = shallowRef<{ readonly count: number; readonly liveBefore: ReadonlySet<string>; readonly numberBefore: number } | undefined>(undefined);
  let timer: ReturnType<typeof setInterval> | undefined;

  const livePeers = computed(() => peers.value.filter((peer) => LIVE_STATES.has(peer.state)));
  const runningPeers = computed(() => peers.value.filter((peer) => peer.state === 'running' || peer.state === 'attached'));
  const hasLivePeers = computed(() => livePeers.value.length > 0);
  /**
   * The numbers of the peers a start under way asked for and the manager has not reported live yet
   * (a guess: the numbers after the highest one when Start was pressed, from #1 for a new
   * cluster), one per peer to come.
   */
  const pendingStarts = computed<number[]>(() => {
    const request = startRequest.value;
    if (request === undefined) return [];
    const arrived = livePeers.value.filter((peer) => !request.liveBefore.has(peer.id));
    const pending = Math.max(0, request.count - arrived.length);
    const present = new Set(arrived.map((peer) => peer.number));
    const expected = Array.from({ length: request.count }, (_, index) => request.numberBefore + 1 + index).filter((number) => !present.has(number));
    let next = request.numberBefore + request.count;
    while (expected.length < pending) expected.push(++next);
    return expected.slice(0, pending);
  });
  /** What is wrong with the peer count typed for a start, in words. */
  const countProblemOf = (count: number): string | undefined =>
    Number.isInteger(count) && count >= 1 && count <= PEERS_PER_START_MAX ? undefined : `start 1 to ${PEERS_PER_START_MAX} peers at once`;
  const countProblem = computed(() => countProblemOf(peerCount.value));
  /** What is wrong with the tick typed for the next start, in words. */
  const tickProblem = computed(() => {
    if (!clusterSettingsSchema.shape.tickMs.safeParse(settings.value.tickMs).success) return 'a tick is a whole number of ms from 10 to 10,000';
    if (settings.value.kind === 'dht' && !clusterSettingsSchema.shape.pingIntervalSeconds.safeParse(settings.value.pingIntervalSeconds).success) return 'a ping interval is more than 0 and at most 3600 s';
    return undefined;
  });
  /**
   * What the cluster runs: the live peers' kind, else the kind
   * chosen for the next start. Stores that use key-value commands check it first.
   */
  const kind = computed<ClusterKind>(() => {
    // Live peers say it themselves (a DHT peer has an identity), before the session is read again.
    if (hasLivePeers.value) return livePeers.value.some((peer) => peer.identity !== undefined) ? 'dht' : 'kv';
    return settings.value.kind ?? 'kv';
  });
  const isDht = computed(() => kind.value === 'dht');
  /** `Peer 8` for a circular DHT peer, `#3` for a key-value one. */
  function peerName(peer: PeerSummaryWire): string {
    return peer.identity === undefined ? `#${peer.number}` : `Peer ${peer.identity}`;
  }
  /** The session's settings, as the next start would send them. */
  const settingsOf = (info: SessionInfo): ClusterSettings => ({
    protocol: info.protocol,
    tickMs: info.tickMs,
    kind: info.kind ?? 'kv',
    pingIntervalSeconds: info.dht?.pingIntervalSeconds ?? CLUSTER_SETTINGS_DEFAULTS.pingIntervalSeconds,
    fingers: info.dht?.fingers ?? false,
    quorum: info.quorum ?? 'strict',
  });
  // A DHT starts as the spec's reference ring of 7 unless the user typed another size.
  watch(
    () => settings.value.kind,
    (next, previous) => {
      if (next === 'dht' && previous !== 'dht' && peerCount.value === DEFAULT_PEER_COUNT) peerCount.value = DHT_DEFAULT_PEER_COUNT;
      if (next !== 'dht' && previous === 'dht' && peerCount.value === DHT_DEFAULT_PEER_COUNT) peerCount.value = DEFAULT_PEER_COUNT;
    },
  );

  async function refreshSession(): Promise<void> {
    try {
      const info = await clusterClient().session();
      session.value = info;
      peers.value = info.peers;
      // A running cluster's settings are the session's (shown, not editable). With none running
      // they are the user's for the next start: a refresh must not undo what they typed.
      if (hasLivePeers.value) settings.value = settingsOf(info);
    } catch {
      // The connection's own state says why; the next refresh tries again.
    }
  }

  /** Connects to the cluster (once). */
  function connect(): void {
    if (transport.value !== undefined) return;
    let client;
    try {
      client = clusterClient();
    } catch (error) {
      fatal.value = (error as Error).message;
      return;
    }
    transport.value = client.transport;
    client.onConnection((state, detail) => {
      connection.value = state;
      connectionDetail.value = detail;
      if (state === 'open') void refreshSession();
    });
    const stream = useStreamStore();
    stream.consume((batch) => {
      if (batch.peers !== undefined) peers.value = batch.peers;
    });
    stream.start();
    void refreshSession().then(() => {
      if (session.value !== undefined) settings.value = settingsOf(session.value);
    });
    timer = setInterval(() => void refreshSession(), SESSION_REFRESH_MS);
  }

  function disconnect(): void {
    clearInterval(timer);
  }

  async function run<T>(label: string, what: string, action: () => Promise<T>): Promise<T | undefined> {
    busy.value = new Set([...busy.value, label]);
    try {
      return await notifications.attempt(what, action);
    } finally {
      const next = new Set(busy.value);
      next.delete(label);
      busy.value = next;
    }
  }

  const client = () => clusterClient();
  function startCluster(count = peerCount.value): Promise<PeerSummaryWire[] | undefined> {
    // Said plainly here rather than as the API's schema error.
    const problem = countProblemOf(count) ?? (hasLivePeers.value ? undefined : tickProblem.value);
    if (problem !== undefined) {
      notifications.push('error', `Not started: ${problem}`);
      return Promise.resolve(undefined);
    }
    // With none live the manager begins a new cluster: it forgets the gone peers listed here and
    // numbers the new ones from #1. Else they join the live one, after its highest number.
    const numberBefore = hasLivePeers.value ? Math.max(0, ...peers.value.map((peer) => peer.number)) : 0;
    startRequest.value = { count, liveBefore: new Set(livePeers.value.map((peer) => peer.id)), numberBefore };
    return run('start', `Starting ${count} peers`, async () => {
      try {
        const started = await client().startCluster(count, hasLivePeers.value ? {} : settings.value);
        notifications.push('info', `${started.length} peer${started.length === 1 ? '' : 's'} started`);
        await refreshSession();
        return started;
      } finally {
        startRequest.value = undefined;
      }
    });
  }
  const stopCluster = () => run('stop', 'Stopping the cluster', () => client().stopCluster());
  const addPeer = (options?: AddPeerOptions) =>
    run('add', options?.identity === undefined ? 'Adding a peer' : `Adding Peer ${options.identity}`, async () => {
      const added = await client().addPeer(options);
      await refreshSession();
      return added;
    });
  const stopPeer = (id: string) => run(`stop ${id}`, `Stopping ${id}`, () => client().stopPeer(id));
  const killPeer = (id: string) => run(`kill ${id}`, `Killing ${id}`, () => client().killPeer(id));
  const pausePeer = (id: string) => run(`pause ${id}`, `Pausing ${id}`, () => client().pausePeer(id));
  const resumePeer = (id: string) => run(`resume ${id}`, `Resuming ${id}`, () => client().resumePeer(id));
  const restartPeer = (id: string) => run(`restart ${id}`, `Restarting ${id}`, () => client().restartPeer(id));
  const attachPeer = (address: string) => run(`attach ${address}`, `Attaching ${address}`, () => client().attachPeer(address));
  /** Takes a gone key-value peer out of the ring for good: its key ranges move to the others. */
  const removePeer = (id: string) =>
    run(`remove ${id}`, `Removing ${id} from the ring`, async () => {
      const peers = await client().removePeer(id);
      notifications.push('info', `Removing ${id} from the ring: its key ranges move to the other peers`);
      return peers;
    });

  return {
    connection,
    connectionDetail,
    session,
    peers,
    settings,
    peerCount,
    busy,
    transport,
    fatal,
    livePeers,
    runningPeers,
    hasLivePeers,
    pendingStarts,
    countProblem,
    tickProblem,
    kind,
    isDht,
    peerName,
    connect,
    disconnect,
    refreshSession,
    startCluster,
    stopCluster,
    addPeer,
    stopPeer,
    killPeer,
    pausePeer,
    resumePeer,
    restartPeer,
    attachPeer,
    removePeer,
  };
});
