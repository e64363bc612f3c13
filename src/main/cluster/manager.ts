/**
 * The cluster manager: starts, watches and breaks real peer processes, and keeps the session
 * journal of everything they do. Plain Node (no Electron): the command line, the web server,
 * the window and the tests all drive clusters through it.
 *
 * Each peer is a child process (see `spawn.ts`) with a control connection (`peer-client.ts`)
 * over which the manager subscribes to its events, sends operations and faults, and asks for
 * its state. Peers it did not start can be attached: observed and driven, never killed.
 *
 * A cluster is of one kind at a time, chosen while no peer lives (`configure`): the quorum
 * key-value ring (`kv`, the default) or the classroom's circular DHT (`dht`). Starting, stopping
 * (for the DHT: Quit), killing, pausing and restarting work for both; key-value operations,
 * membership views, fault plans and attaching are the key-value ring's, and `manager.dht`
 * (`dht-operations.ts`) the circular DHT's. Each refuses the other kind in words.
 *
 * Circular DHT peers (`dht-ring.ts`): peer i listens on the session's port base + i and keeps its
 * files in its own working folder. A new ring starts every peer as `p2p init` with its successors
 * (`shared/dht/ring-plan.ts`: the reference ring for 7), all listening before any begins; a peer
 * added to a live ring joins through a running one.
 *
 * Each cluster started in a session is an epoch of it (1, 2, …): whatever brings up the first
 * live peer while none of this manager's is live (a start, an added or attached peer, a new DHT
 * ring; not a restart) begins one. The previous cluster's peers, all gone, are forgotten, numbers
 * start again at #1, key-value data goes to a folder of the epoch's own, and the journal says
 * `cluster.started` with the settings the new cluster runs.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { JournalEvent } from '../../shared/journal/events.ts';
import type { MembershipProtocol } from '../../shared/membership/types.ts';
import { faultsReplySchema, kvResultSchema, peerInspectionSchema, type KvResultWire, type MemberViewWire, type PeerInspection } from '../../shared/protocol/control.ts';
import { describeFaultPlan, faultPlanSchema, NO_FAULTS, type FaultPlan } from '../../shared/protocol/faults.ts';
import type { KvOperation } from '../../shared/protocol/kv.ts';
import { DHT_PING_INTERVAL_SECONDS_DEFAULT, type ClusterKind } from '../../shared/api/cluster-api.ts';
import { freeIdentity, initStarts, newRingIdentities, type InitStart } from '../../shared/dht/ring-plan.ts';
import { isIdentity } from '../../shared/protocol/dht.ts';
import type { DhtStart } from '../../shared/protocol/control.ts';
import { EXIT_PORT_IN_USE } from '../../peer/dht/launch.ts';
import { generateSecret, registerSecret, sweepRegistry, unregisterSecret } from '../../peer/secret.ts';
import type { TlsClientOptions } from '../../peer/handshake.ts';
import { DhtOperations } from './dht-operations.ts';
import { DhtRing, nextConsoleLine, type DhtSettings } from './dht-ring.ts';
import { SessionJournal } from './journal.ts';
import { PeerClient } from './peer-client.ts';
import { freePortBase } from './dht-ports.ts';
import { SessionFolder, sweepTemporaryFolders } from './session-folder.ts';
import { DEFAULT_PEER_ENTRY, spawnPeer, SpawnError } from './spawn.ts';
import { describeOrphans, endOrphans, type EndedOrphan } from './orphans.ts';

export type PeerState = 'starting' | 'running' | 'paused' | 'leaving' | 'left' | 'killed' | 'crashed' | 'attached' | 'detached';

export interface PeerSummary {
  readonly id: string;
  /** 1, 2, 3… in the order peers were added to this cluster (its epoch): a new cluster starts again at 1. */
  readonly number: number;
  readonly state: PeerState;
  /** False for attached peers: the manager observes them but did not start them. */
  readonly managed: boolean;
  readonly pid: number | undefined;
  readonly port: number;
  readonly redisPort: number;
  /** When the current process started (ms since the epoch). */
  readonly startedAt: number;
  /** A circular DHT peer's identity (0-255). */
  readonly identity?: number;
}

export interface ClusterOptions {
  readonly protocol?: MembershipProtocol;
  readonly tickMs?: number;
  readonly host?: string;
  /** The shared secret of this cluster; default: a fresh random one per session. */
  readonly secret?: string;
  /** Attach to peers that serve TLS (`wss://`), trusting this certificate authority. */
  readonly tls?: TlsClientOptions | undefined;
  /** Record the journal to this NDJSON file as it happens. */
  readonly journalPath?: string | undefined;
  /** Entries the journal keeps in memory at most (default 200,000). */
  readonly journalWindow?: number;
  /** Bytes the journal keeps in memory at most, as estimated (default 64 MiB): with `journalWindow`, the journal's share of the manager's memory. */
  readonly journalWindowBytes?: number | undefined;
  /** With `journalPath`: what the recorded journal keeps on disk at most, in parts (default: no cap). */
  readonly journalMaxBytes?: number | undefined;
  /** Journal every message sent, delivered and dropped (default true). */
  readonly messages?: boolean;
  /** Give every peer a Redis-protocol front (default true). */
  readonly redis?: boolean;
  /** The script a peer process runs (default: the command line's peer entry). */
  readonly peerEntry?: string;
  /** What the cluster runs at first (default `kv`); `configure` changes it while no peer lives. */
  readonly kind?: ClusterKind;
  /**
   * Circular DHT: the settings new peers use at first (ping interval default 5 s, fingers off),
   * the port base (default: a free block picked at random) and where the working folders go
   * (default: a temporary folder removed at shutdown).
   */
  readonly dht?: Partial<DhtSettings> & { readonly portBase?: number; readonly folder?: string };
  /**
   * Key-value peers keep their stores on disk (default), each in `cluster-<epoch>/peer-<number>`
   * under `dataFolder` (default: a temporary folder removed at shutdown), so a restarted peer has
   * its data back and a new cluster starts clean; or in memory (`memory`), lost with the process.
   */
  readonly storage?: KvStorage;
  readonly dataFolder?: string;
  /** Strict (default) or sloppy quorums for new key-value clusters; `configure` changes it. */
  readonly quorum?: QuorumMode;
}

export type KvStorage = 'disk' | 'memory';
export type QuorumMode = 'strict' | 'sloppy';

/** Said when a key-value command meets a circular DHT cluster. */
export const KV_COMMAND_ON_DHT = "this cluster runs the circular DHT; key-value commands need a key-value cluster (stop it, then start one of kind 'kv')";
/** Said when a circular DHT command meets a key-value cluster. */
export const DHT_COMMAND_ON_KV = "this cluster is a key-value cluster; circular DHT commands need a circular DHT cluster (stop it, then start one of kind 'dht')";

export class ClusterError extends Error {
  override readonly name = 'ClusterError';
}

interface PeerRecord {
  id: string;
  number: number;
  state: PeerState;
  managed: boolean;
  pid: number | undefined;
  port: number;
  redisPort: number;
  startedAt: number;
  identity: number | undefined;
  child: ChildProcess | undefined;
  client: PeerClient | undefined;
  /** What the manager asked of the process, so its exit is expected. */
  expecting: 'leave' | 'kill' | undefined;
  /** The version of the fault plan the peer said it applies (0: none yet). */
  faultsVersion: number;
  exited: Promise<void> | undefined;
}

/** Peers started at once by `start`: about one per core. */
const SPAWNS_AT_ONCE = Math.max(2, availableParallelism());
/** How long a ring change waits for the one in progress to end. */
const RING_SETTLE_WAIT_MS = 30_000;
/** How long a graceful stop may take before the peer is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** How long adding a DHT peer waits for its join to be accepted before it answers anyway. */
const JOIN_WAIT_MS = 15_000;
/** Port bases a new DHT ring tries when a port of the one it picked turns out taken. */
const PORT_BASE_ATTEMPTS_MAX = 3;
/** Times a fault plan is sent to a peer that does not say it applies it, and how long each waits. */
const FAULTS_ATTEMPTS_MAX = 3;
const FAULTS_ATTEMPT_TIMEOUT_MS = 4000;
const LIVE_STATES: readonly PeerState[] = ['starting', 'running', 'paused', 'leaving', 'attached'];

export class ClusterManager {
  readonly journal: SessionJournal;
  /** The circular DHT's operations (inspect, ring, type, store, request, put a file). */
  readonly dht: DhtOperations;
  #kind: ClusterKind;
  #protocol: MembershipProtocol;
  #tickMs: number;
  #dhtSettings: DhtSettings;
  #quorum: QuorumMode;
  readonly #ring: DhtRing;
  /** Key-value peers' data folders (one per epoch and peer number). */
  readonly #kvData: SessionFolder;
  readonly host: string;
  readonly secret: string;
  /** Where this session's own secret is kept for `--secret-file` (mode 0600); undefined when it was given. */
  readonly secretFile: string | undefined;
  readonly #secretName: string;
  readonly #options: ClusterOptions;
  readonly #peers = new Map<string, PeerRecord>();
  readonly #listeners = new Set<(peers: PeerSummary[]) => void>();
  readonly #deathListeners = new Set<(peer: PeerSummary, reason: string) => void>();
  #faults: FaultPlan = NO_FAULTS;
  /** The version of `#faults` (0: none set); see `faultPlanVersionSchema`. */
  #faultsVersion = 0;
  /** The session's current cluster: 1 for the first, then 2, 3, … (0 before any). */
  #epoch = 0;
  /**
   * Operations under way that bring peers up (start, add, attach, restart). While one runs, no
   * other begins a new cluster: its peers may not be live yet, but their cluster has begun.
   */
  #bringingUp = 0;
  #nextNumber = 1;
  #nextCoordinator = 0;
  #shuttingDown = false;
  readonly #onProcessExit = (): void => {
    for (const record of this.#peers.values()) record.child?.kill('SIGKILL');
  };

  constructor(options: ClusterOptions = {}) {
    this.#options = options;
    this.#protocol = options.protocol ?? 'swim';
    this.#tickMs = options.tickMs ?? 100;
    this.host = options.host ?? '127.0.0.1';
    this.secret = options.secret ?? generateSecret();
    // A secret of its own is kept where this user's clients find it (0600, removed at shutdown).
    this.#secretName = `session-${process.pid}-${randomBytes(4).toString('hex')}`;
    if (options.secret === undefined) this.secretFile = keepSessionSecret(this.#secretName, this.secret);
    this.journal = new SessionJournal({ path: options.journalPath, windowMax: options.journalWindow, windowBytesMax: options.journalWindowBytes, maxBytes: options.journalMaxBytes });
    this.#kind = options.kind ?? 'kv';
    this.#dhtSettings = { pingIntervalSeconds: options.dht?.pingIntervalSeconds ?? DHT_PING_INTERVAL_SECONDS_DEFAULT, fingers: options.dht?.fingers ?? false };
    this.#ring = new DhtRing({ host: this.host, portBase: options.dht?.portBase, folder: options.dht?.folder });
    this.#quorum = options.quorum ?? 'strict';
    this.#kvData = new SessionFolder(options.dataFolder, 'ringside-kv-');
    this.dht = new DhtOperations({
      requireDht: () => this.#requireKind('dht'),
      client: (id) => this.#client(id),
      runningPeers: () => this.runningPeers(),
      identityOf: (id) => {
        const identity = this.#peers.get(id)?.identity;
        if (identity === undefined) throw new ClusterError(`no circular DHT peer ${id} in this session (peers: ${this.#dhtPeerList()})`);
        return identity;
      },
      folders: this.#ring.folders,
    });
    process.on('exit', this.#onProcessExit);
    this.#endOrphans();
  }

  /** What the cluster runs: new peers are of this kind. */
  get kind(): ClusterKind {
    return this.#kind;
  }

  /** The session's current cluster (epoch): 1 for the first, then 2, 3, …; 0 before any. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The circular DHT settings new DHT peers use. */
  get dhtSettings(): DhtSettings {
    return this.#dhtSettings;
  }

  /** Where the DHT peers listen (peer i on base + i) and keep their folders, once the first has started. */
  get dhtPlaces(): { portBase: number | undefined; folder: string | undefined } {
    const portBase = this.#ring.portBase;
    return { portBase, folder: portBase === undefined ? undefined : this.#ring.folders.root };
  }

  /** Strict or sloppy quorums, for new key-value peers. */
  get quorum(): QuorumMode {
    return this.#quorum;
  }

  /** Where key-value peers keep their stores: on disk (with the folder), or in memory. */
  get storage(): { kind: KvStorage; folder: string | undefined } {
    const kind = this.#options.storage ?? 'disk';
    return { kind, folder: kind === 'disk' ? this.#kvData.root : undefined };
  }

  /** The membership protocol new peers run. */
  get protocol(): MembershipProtocol {
    return this.#protocol;
  }

  /** The tick length of new peers, in ms. */
  get tickMs(): number {
    return this.#tickMs;
  }

  /**
   * Changes what new peers run and how. Peers of one cluster must agree on all of it, so a change
   * is refused while a peer of this manager is live.
   */
  configure(settings: {
    kind?: ClusterKind | undefined;
    protocol?: MembershipProtocol | undefined;
    tickMs?: number | undefined;
    pingIntervalSeconds?: number | undefined;
    fingers?: boolean | undefined;
    quorum?: QuorumMode | undefined;
  }): void {
    const kind = settings.kind ?? this.#kind;
    const quorum = settings.quorum ?? this.#quorum;
    const protocol = settings.protocol ?? this.#protocol;
    const tickMs = settings.tickMs ?? this.#tickMs;
    const dht: DhtSettings = { pingIntervalSeconds: settings.pingIntervalSeconds ?? this.#dhtSettings.pingIntervalSeconds, fingers: settings.fingers ?? this.#dhtSettings.fingers };
    const same =
      kind === this.#kind && protocol === this.#protocol && tickMs === this.#tickMs && quorum === this.#quorum && dht.pingIntervalSeconds === this.#dhtSettings.pingIntervalSeconds && dht.fingers === this.#dhtSettings.fingers;
    if (same) return;
    const live = this.#liveRecords();
    if (live.length > 0) throw new ClusterError(`stop the cluster before changing its kind, protocol, quorums, tick or ping interval (${live.length} peer${live.length === 1 ? '' : 's'} live)`);
    if (!Number.isInteger(tickMs) || tickMs < 10 || tickMs > 10_000) throw new ClusterError('a tick is between 10 and 10000 ms');
    if (!(dht.pingIntervalSeconds > 0 && dht.pingIntervalSeconds <= 3600)) throw new ClusterError('a ping interval is more than 0 and at most 3600 s');
    this.#kind = kind;
    this.#protocol = protocol;
    this.#tickMs = tickMs;
    this.#quorum = quorum;
    this.#dhtSettings = dht;
    const what =
      kind === 'dht'
        ? `the circular DHT pinging every ${dht.pingIntervalSeconds} s${dht.fingers ? ' with finger tables' : ''}`
        : `${protocol} and ${quorum} quorums`;
    this.#record({ kind: 'log', tick: this.#tick(), peer: 'manager', text: `new peers run ${what} with ${tickMs} ms ticks` });
  }

  // ------------------------------------------------------------------------------------------
  // Peers

  peers(): PeerSummary[] {
    return [...this.#peers.values()].sort((a, b) => a.number - b.number).map(summary);
  }

  peer(id: string): PeerSummary | undefined {
    const record = this.#peers.get(id);
    return record === undefined ? undefined : summary(record);
  }

  /** Peers whose process runs and answers (not paused, not gone). */
  runningPeers(): PeerSummary[] {
    return this.peers().filter((peer) => peer.state === 'running' || peer.state === 'attached');
  }

  /** Called with every peer's summary whenever one changes. */
  onPeersChanged(listener: (peers: PeerSummary[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called when a peer process ends without being asked to. */
  onPeerDied(listener: (peer: PeerSummary, reason: string) => void): () => void {
    this.#deathListeners.add(listener);
    return () => this.#deathListeners.delete(listener);
  }

  /**
   * Starts `count` peers: the first starts a group (unless one runs), the others join it.
   * Circular DHT: a new ring (`identities`, or the plan's), each peer `init` with its successors;
   * on a live ring, `count` peers join one after the other.
   */
  async start(count: number, options: { identities?: readonly number[] | undefined } = {}): Promise<PeerSummary[]> {
    if (!Number.isInteger(count) || count < 1 || count > 256) throw new ClusterError('start between 1 and 256 peers');
    if (this.#kind === 'dht') checkIdentities(count, options.identities);
    else if (options.identities !== undefined) throw new ClusterError('identities are for circular DHT peers: this is a key-value cluster');
    return this.#bringUp(count, async () => {
      if (this.#kind === 'dht') return this.#startDht(count, options.identities);
      if (this.runningPeers().length === 0 && count > 1) return this.#startSeededKv(count);
      // Peers added to a running ring join it one after the other: one ring change at a time.
      const started: PeerSummary[] = [];
      for (let index = 0; index < count; index++) started.push(await this.#addKv());
      return started;
    });
  }

  /**
   * Runs `body`, which brings peers up. When no peer of this manager is live and nothing else is
   * bringing one up, it begins a new cluster first (`newCluster`: how many peers it asks for;
   * undefined for a restart, which brings back a peer of the current cluster). The decision and
   * the count are taken at once, with no await between: two starts pressed together make one cluster.
   */
  async #bringUp<T>(newCluster: number | undefined, body: () => Promise<T>): Promise<T> {
    if (newCluster !== undefined && this.#bringingUp === 0 && this.#liveRecords().length === 0) this.#beginCluster(newCluster);
    this.#bringingUp++;
    try {
      return await body();
    } finally {
      this.#bringingUp--;
    }
  }

  /**
   * A new cluster, the session's next epoch: the previous cluster's peers are all gone and are
   * forgotten (a Restart of one of them would bring back a peer of a cluster that no longer runs),
   * and numbers start again at #1.
   */
  #beginCluster(peers: number): void {
    for (const record of this.#peers.values()) {
      if (LIVE_STATES.includes(record.state)) throw new Error(`assertion: a new cluster began while ${record.id} was ${record.state}`);
      record.client?.close();
    }
    this.#peers.clear();
    this.#nextNumber = 1;
    this.#nextCoordinator = 0;
    this.#epoch++;
    const kv = this.#kind === 'kv' ? { protocol: this.#protocol, quorum: this.#quorum, storage: this.#options.storage ?? 'disk' } : {};
    this.#record({ kind: 'cluster.started', tick: this.#tick(), peer: 'manager', epoch: this.#epoch, cluster: this.#kind, peers, tickMs: this.#tickMs, ...kv });
    this.#changed();
  }

  /**
   * Starts one peer that joins through the running peers (up to three of them). Circular DHT: it
   * joins through `via` (default: the running peer with the smallest identity) as `identity`
   * (default: the middle of the largest gap), and this resolves once the join is accepted (or
   * after 15 s without: it keeps asking). With no ring running it starts one, alone.
   */
  async addPeer(options: { identity?: number | undefined; via?: string | undefined } = {}): Promise<PeerSummary> {
    if (this.#kind === 'dht') {
      // Said before a new cluster begins: with no peer live, no peer runs to join through.
      if (options.via !== undefined) this.#viaRecord(options.via);
      return this.#bringUp(1, () => this.#joinDht(options.identity, options.via));
    }
    if (options.identity !== undefined || options.via !== undefined) throw new ClusterError('identity and via are for circular DHT peers: this is a key-value cluster');
    return this.#bringUp(1, () => this.#addKv());
  }

  /** One key-value peer that joins through the running peers (a group of its own if none runs). */
  async #addKv(): Promise<PeerSummary> {
    await this.#oneRingChangeAtATime();
    const number = this.#nextNumber++;
    return summary(await this.#spawnKv(number, 0, this.#introducers()));
  }

  /**
   * Key-value ring changes are made one at a time: this waits (up to 30 s) until the running
   * peers agree on the ring state with no transition in progress. The ring state is not agreed by
   * consensus, and two changes announced at once by peers that have not heard each other can race.
   */
  async #oneRingChangeAtATime(timeoutMs = RING_SETTLE_WAIT_MS): Promise<void> {
    if (this.#kind !== 'kv') return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = [...(await this.ringStates()).values()];
      if (states.every((state) => state.transition === undefined) && new Set(states.map((state) => state.fingerprint)).size <= 1) return;
      if (Date.now() > deadline) {
        this.#record({ kind: 'log', tick: this.#tick(), peer: 'manager', text: `a ring change is still in progress after ${timeoutMs / 1000} s: making the next one anyway` });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * A graceful stop: the peer leaves the ring and the group, hands off its keys and exits. One key-value
   * ring change at a time: it waits for a change in progress to end (`alongside`: stopping many at
   * once, the whole cluster going, it does not).
   */
  async stop(id: string, options: { alongside?: boolean } = {}): Promise<void> {
    const record = this.#managed(id, 'stop');
    if (record.child === undefined || record.exited === undefined) return;
    if (options.alongside !== true && record.identity === undefined) await this.#oneRingChangeAtATime();
    if (record.state === 'paused') this.resume(id);
    record.expecting = 'leave';
    this.#setState(record, 'leaving');
    this.#record({ kind: 'process.leaving', tick: this.#tick(), peer: id });
    try {
      await record.client?.request({ type: 'leave' }, 2000);
    } catch {
      record.child.kill('SIGTERM');
    }
    const exited = record.exited;
    const timer = setTimeout(() => record.child?.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL: the peer vanishes without a word, as a crashed machine does. */
  async kill(id: string): Promise<void> {
    const record = this.#managed(id, 'kill');
    if (record.child === undefined || record.exited === undefined) return;
    record.expecting = 'kill';
    record.child.kill('SIGKILL');
    await record.exited;
  }

  /** SIGSTOP: the process is frozen; peers see it stop answering. */
  pause(id: string): void {
    const record = this.#managed(id, 'pause');
    if (record.state !== 'running') throw new ClusterError(`${id} is ${record.state}, not running`);
    record.child?.kill('SIGSTOP');
    this.#setState(record, 'paused');
    this.#record({ kind: 'process.paused', tick: this.#tick(), peer: id });
  }

  /**
   * SIGCONT. A fault plan set while the peer was paused goes to it first: queued on its control
   * connection, it is read in the peer's first turn after waking (a tick due at once may still go
   * out under the old plan).
   */
  resume(id: string): void {
    const record = this.#managed(id, 'resume');
    if (record.state !== 'paused') throw new ClusterError(`${id} is ${record.state}, not paused`);
    this.#setState(record, 'running');
    void this.#deliverFaults(record);
    record.child?.kill('SIGCONT');
    this.#record({ kind: 'process.resumed', tick: this.#tick(), peer: id });
  }

  /** Starts the peer again on the same address (killing it first if it runs). */
  async restart(id: string): Promise<PeerSummary> {
    const record = this.#managed(id, 'restart');
    // A peer of the current cluster, even if it is the only one coming back: no new cluster begins.
    return this.#bringUp(undefined, () => this.#restart(record));
  }

  async #restart(record: PeerRecord): Promise<PeerSummary> {
    const id = record.id;
    if (record.child !== undefined && record.exited !== undefined) {
      if (record.state === 'paused') record.child.kill('SIGCONT');
      await this.kill(id);
    }
    if (record.identity !== undefined) {
      // A DHT peer comes back as it would by hand: it joins through a running peer.
      if (this.#kind !== 'dht') throw new ClusterError(`${id} was a circular DHT peer; this cluster now runs the key-value ring`);
      const restarted = await this.#enterRing(record.number, record.identity, this.#joinTarget(undefined, record.identity));
      this.#record({ kind: 'peer.restarted', tick: this.#tick(), peer: id });
      return restarted;
    }
    if (this.#kind === 'dht') throw new ClusterError(`${id} was a key-value peer; this cluster now runs the circular DHT`);
    const introducers = this.#introducers().filter((peer) => peer !== id);
    const restarted = await this.#spawnKv(record.number, record.port, introducers, record.redisPort);
    this.#record({ kind: 'peer.restarted', tick: this.#tick(), peer: id });
    return summary(restarted);
  }

  /** Observes (and drives) a peer this manager did not start, at `address`. */
  async attach(address: string): Promise<PeerSummary> {
    this.#requireKind('kv');
    const client = await PeerClient.connect(address, this.secret, this.#options.tls);
    // Once the peer answers: an address that does not begins no cluster.
    return this.#bringUp(1, () => this.#attach(client));
  }

  async #attach(client: PeerClient): Promise<PeerSummary> {
    const existing = this.#peers.get(client.peer);
    if (existing !== undefined && existing.state !== 'detached') {
      client.close();
      throw new ClusterError(`${client.peer} is already part of this session`);
    }
    const record: PeerRecord = {
      id: client.peer,
      number: existing?.number ?? this.#nextNumber++,
      state: 'attached',
      managed: false,
      pid: undefined,
      port: Number(client.peer.slice(client.peer.lastIndexOf(':') + 1)),
      redisPort: 0,
      startedAt: Date.now(),
      identity: undefined,
      child: undefined,
      client,
      expecting: undefined,
      faultsVersion: 0,
      exited: undefined,
    };
    this.#peers.set(record.id, record);
    await this.#subscribe(record, client);
    // It follows this session's plan from now on, if this session has set one.
    if (this.#faultsVersion > 0) await this.#deliverFaults(record);
    const inspection = await this.inspect(record.id);
    record.redisPort = inspection.redisPort;
    record.pid = inspection.pid;
    this.#changed();
    return summary(record);
  }

  // ------------------------------------------------------------------------------------------
  // Faults, operations, inspection

  get faults(): FaultPlan {
    return this.#faults;
  }

  /** The version of the current fault plan (0: none set); peers report theirs in `inspect`. */
  get faultsVersion(): number {
    return this.#faultsVersion;
  }

  /**
   * Replaces the cluster's fault plan, with a new version, on every peer that can answer; a paused
   * peer gets it when resumed, a restarted or attached one when it connects. Throws when a running
   * peer does not take it (after `FAULTS_ATTEMPTS_MAX` tries): the plan stays the current one.
   */
  async setFaults(plan: unknown): Promise<FaultPlan> {
    // A DHT peer has no fault injector: pausing, killing and Quit are its faults.
    this.#requireKind('kv');
    const parsed = faultPlanSchema.safeParse(plan);
    if (!parsed.success) throw new ClusterError(`invalid faults: ${parsed.error.issues[0]?.message ?? 'not a fault plan'}`);
    this.#faults = parsed.data;
    this.#faultsVersion = Math.max(this.#faultsVersion + 1, Date.now());
    this.#record({ kind: 'fault.changed', tick: this.#tick(), description: describeFaultPlan(parsed.data) });
    const reachable = [...this.#peers.values()].filter((record) => record.client !== undefined && !record.client.closed && record.state !== 'paused');
    const taken = await Promise.all(reachable.map((record) => this.#deliverFaults(record)));
    const missed = reachable.filter((record, index) => !taken[index] && record.client !== undefined && !record.client.closed && record.state !== 'paused');
    if (missed.length > 0) throw new ClusterError(`${missed.map((record) => record.id).join(', ')} did not take the new fault plan: it stays the plan, and goes to them when they come back`);
    return parsed.data;
  }

  /**
   * Sends the current fault plan to `record` until it says it applies it (or a newer one), at
   * most `FAULTS_ATTEMPTS_MAX` times, while it stays reachable on the same connection; true once
   * it does. Never throws: a peer that does not answer is said in the journal.
   */
  async #deliverFaults(record: PeerRecord): Promise<boolean> {
    const client = record.client;
    if (this.#kind !== 'kv' || record.identity !== undefined || client === undefined) return false;
    for (let attempt = 1; attempt <= FAULTS_ATTEMPTS_MAX; attempt++) {
      if (record.faultsVersion >= this.#faultsVersion) return true;
      if (client.closed || record.client !== client || record.state === 'paused') return false;
      const version = this.#faultsVersion;
      try {
        const reply = faultsReplySchema.parse(await client.request({ type: 'faults', plan: this.#faults, version }, FAULTS_ATTEMPT_TIMEOUT_MS));
        // A peer from before versions applies any plan it is sent: this one.
        record.faultsVersion = Math.max(record.faultsVersion, reply.version ?? version);
      } catch (error) {
        if (client.closed || record.client !== client) return false;
        this.#record({ kind: 'log', tick: this.#tick(), peer: record.id, text: `fault plan not taken (try ${attempt} of ${FAULTS_ATTEMPTS_MAX}): ${(error as Error).message}` });
      }
    }
    return record.faultsVersion >= this.#faultsVersion;
  }

  /** Ends the peers earlier sessions left behind (their manager and its reaper both gone), and says so. */
  #endOrphans(): void {
    // What sessions killed outright left behind: their temporary folders and secret records.
    const folders = sweepTemporaryFolders(['ringside-kv-', 'ringside-dht-']);
    sweepRegistry();
    if (folders.length > 0) {
      const text = `removed ${folders.length} temporary folder${folders.length === 1 ? '' : 's'} left by earlier sessions that were killed: ${folders.join(', ')}`;
      this.#record({ kind: 'log', tick: this.#tick(), peer: 'manager', text });
      process.stderr.write(`ringside: ${text}\n`);
    }
    let ended: EndedOrphan[];
    try {
      ended = endOrphans();
    } catch (error) {
      this.#record({ kind: 'log', tick: this.#tick(), peer: 'manager', text: `could not look for peers left by earlier sessions: ${(error as Error).message}` });
      return;
    }
    if (ended.length === 0) return;
    const text = describeOrphans(ended);
    this.#record({ kind: 'log', tick: this.#tick(), peer: 'manager', text });
    // The command line shows standard error: a user who wonders where those peers went reads it there.
    process.stderr.write(`ringside: ${text}\n`);
  }

  /**
   * One client operation through `via` (default: the running peers in turn). `timeoutMs`: how
   * long to wait for the answer (default 10 s); past it the operation's outcome is unknown.
   */
  async operate(op: KvOperation, key: string, value?: string, via?: string, timeoutMs?: number): Promise<KvResultWire> {
    this.#requireKind('kv');
    const coordinator = via ?? this.#coordinator();
    const client = this.#client(coordinator);
    const result = await client.request({ type: 'kv', op, key, ...(value !== undefined ? { value } : {}) }, timeoutMs);
    return kvResultSchema.parse(result);
  }

  put(key: string, value: string, via?: string): Promise<KvResultWire> {
    return this.operate('put', key, value, via);
  }

  create(key: string, value: string, via?: string): Promise<KvResultWire> {
    return this.operate('create', key, value, via);
  }

  get(key: string, via?: string): Promise<KvResultWire> {
    return this.operate('read', key, undefined, via);
  }

  update(key: string, value: string, via?: string): Promise<KvResultWire> {
    return this.operate('update', key, value, via);
  }

  delete(key: string, via?: string): Promise<KvResultWire> {
    return this.operate('delete', key, undefined, via);
  }

  /** A peer's membership view, store (with versions), counters and faults. */
  async inspect(id: string, records = 10_000): Promise<PeerInspection> {
    this.#requireKind('kv');
    return peerInspectionSchema.parse(await this.#client(id).request({ type: 'inspect', records }));
  }

  /**
   * Takes a gone key-value peer out of the ring for good (asked through a running peer): its key
   * ranges go to the others, which pull them. Until then a crashed peer stays an owner.
   */
  async removeFromRing(id: string, via?: string): Promise<void> {
    this.#requireKind('kv');
    const record = this.#peers.get(id);
    if (record !== undefined && (record.state === 'running' || record.state === 'paused' || record.state === 'starting')) {
      throw new ClusterError(`${id} is ${record.state}: stop it (it leaves the ring by itself) rather than remove it`);
    }
    const through = via ?? this.runningPeers().find((peer) => peer.id !== id)?.id;
    if (through === undefined) throw new ClusterError('no running peer to ask');
    await this.#oneRingChangeAtATime();
    await this.#client(through).request({ type: 'remove', peer: id });
    this.#record({ kind: 'log', tick: this.#tick(), peer: through, text: `removing ${id} from the ring: its key ranges go to the others` });
  }

  /** Each running key-value peer's ring state (who owns keys, the transition, its fingerprint). */
  async ringStates(): Promise<Map<string, NonNullable<PeerInspection['ring']>>> {
    this.#requireKind('kv');
    const states = new Map<string, NonNullable<PeerInspection['ring']>>();
    await Promise.all(
      this.runningPeers().map(async (peer) => {
        try {
          const ring = (await this.inspect(peer.id, 0)).ring;
          if (ring !== undefined) states.set(peer.id, ring);
        } catch {
          // A peer that vanished meanwhile has no ring state.
        }
      }),
    );
    return states;
  }

  /** What each running peer believes: its member list, by peer id. */
  async views(): Promise<Map<string, MemberViewWire[]>> {
    this.#requireKind('kv');
    const views = new Map<string, MemberViewWire[]>();
    await Promise.all(
      this.runningPeers().map(async (peer) => {
        try {
          views.set(peer.id, (await this.#client(peer.id).request<MemberViewWire[]>({ type: 'members' }, 3000)) ?? []);
        } catch {
          // A peer that vanished meanwhile has no view.
        }
      }),
    );
    return views;
  }

  /**
   * Stops every peer this manager started: gracefully, all at once, killing those that take
   * longer than the timeout; then closes the journal.
   */
  async shutdown(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    const graceful = options.graceful ?? true;
    const live = [...this.#peers.values()].filter((record) => record.managed && record.exited !== undefined);
    await Promise.all(
      live.map(async (record) => {
        if (graceful) {
          const timer = setTimeout(() => record.child?.kill('SIGKILL'), options.timeoutMs ?? STOP_TIMEOUT_MS);
          await this.stop(record.id, { alongside: true }).catch(() => record.child?.kill('SIGKILL'));
          clearTimeout(timer);
        } else await this.kill(record.id);
      }),
    );
    for (const record of this.#peers.values()) record.client?.close();
    this.journal.close();
    this.#ring.folders.close();
    this.#kvData.close();
    if (this.secretFile !== undefined) unregisterSecret(this.#secretName);
    process.off('exit', this.#onProcessExit);
  }

  // ------------------------------------------------------------------------------------------
  // The circular DHT

  async #startDht(count: number, identities: readonly number[] | undefined): Promise<PeerSummary[]> {
    if (this.#liveRecords().length > 0) {
      // A live ring: each joins in turn, so that each join request finds the ring settled.
      const joined: PeerSummary[] = [];
      for (let index = 0; index < count; index++) joined.push(await this.#joinDht(identities?.[index], undefined));
      return joined;
    }
    const starts = initStarts(identities ?? newRingIdentities(count));
    const numbers = starts.map(() => this.#nextNumber++);
    for (let attempt = 1; ; attempt++) {
      await this.#ensurePortBase();
      try {
        return await this.#startRing(starts, numbers);
      } catch (error) {
        // Another program (another session's ring) took a port since the base was picked.
        const portTaken = error instanceof SpawnError && error.exitCode === EXIT_PORT_IN_USE;
        if (!portTaken || attempt >= PORT_BASE_ATTEMPTS_MAX || !this.#ring.forgetPortBase()) throw error instanceof ClusterError ? error : new ClusterError((error as Error).message);
        this.#record({ kind: 'log', tick: this.#tick(), peer: 'manager', text: `${(error as Error).message}: starting the ring on other ports` });
      }
    }
  }

  /** Spawns every peer of a new ring, then begins them all: a ring's first pings find all of it there. */
  async #startRing(starts: readonly InitStart[], numbers: readonly number[]): Promise<PeerSummary[]> {
    const spawned: (PeerRecord | undefined)[] = new Array(starts.length);
    let next = 0;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      while (next < starts.length && failure === undefined) {
        const index = next++;
        try {
          spawned[index] = await this.#spawnDht(numbers[index] as number, (starts[index] as InitStart).identity);
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(starts.length, SPAWNS_AT_ONCE) }, worker));
    const records = spawned.filter((record) => record !== undefined);
    if (failure !== undefined) {
      // None of them began: they were never part of a ring, so the session forgets them.
      await Promise.all(records.map((record) => this.kill(record.id)));
      for (const record of records) this.#peers.delete(record.id);
      this.#changed();
      throw failure;
    }
    await Promise.all(
      records.map((record, index) => {
        const start = starts[index] as InitStart;
        return this.#begin(record, { type: 'dht.init', first: start.first, second: start.second });
      }),
    );
    return records.map(summary);
  }

  async #joinDht(identity: number | undefined, via: string | undefined): Promise<PeerSummary> {
    const taken = new Set(this.#liveRecords().map((record) => record.identity));
    if (identity === undefined) {
      identity = freeIdentity([...taken].filter((taken) => taken !== undefined));
      if (identity === undefined) throw new ClusterError('every identity from 0 to 255 is taken');
    } else if (taken.has(identity)) {
      throw new ClusterError(`peer ${identity} is in the ring already`);
    }
    return this.#enterRing(this.#nextNumber++, identity, this.#joinTarget(via, identity));
  }

  /** How peer `identity` enters the ring: a join through `via` or a running peer; alone if none runs. */
  #joinTarget(via: string | undefined, identity: number): DhtStart {
    if (via !== undefined) return { type: 'dht.join', known: this.#viaRecord(via) };
    const known = this.runningPeers()
      .map((peer) => peer.identity)
      .filter((other) => other !== undefined && other !== identity)
      .sort((a, b) => (a as number) - (b as number))[0];
    return known === undefined ? { type: 'dht.init', first: identity, second: identity } : { type: 'dht.join', known };
  }

  /** The identity of `via`, a running circular DHT peer a new one joins through. */
  #viaRecord(via: string): number {
    const record = this.#peers.get(via);
    if (record?.identity === undefined) throw new ClusterError(`no circular DHT peer ${via} to join through (peers: ${this.#dhtPeerList()})`);
    if (record.state !== 'running') throw new ClusterError(`${via} is ${record.state}: a peer joins through a running one`);
    return record.identity;
  }

  /** Spawns peer `identity` and begins it; a join answers once accepted (or after `JOIN_WAIT_MS`). */
  async #enterRing(number: number, identity: number, start: DhtStart): Promise<PeerSummary> {
    await this.#ensurePortBase();
    const record = await this.#spawnDht(number, identity);
    if (start.type === 'dht.init') {
      await this.#begin(record, start);
      return summary(record);
    }
    const answer = nextConsoleLine(this.journal, record.id, (text) => text === 'Join request has been accepted' || text.startsWith(`Join request to Peer ${start.known} had no answer`), JOIN_WAIT_MS);
    try {
      await this.#begin(record, start);
    } catch (error) {
      answer.cancel();
      throw error;
    }
    if ((await answer.line) === undefined) {
      this.#record({ kind: 'log', tick: this.#tick(), peer: record.id, text: `not in the ring ${JOIN_WAIT_MS / 1000} s after asking peer ${start.known}: it keeps asking` });
    }
    return summary(record);
  }

  async #begin(record: PeerRecord, start: DhtStart): Promise<void> {
    try {
      await this.#client(record.id).request({ type: 'begin', start });
    } catch (error) {
      throw new ClusterError(`peer ${record.identity} did not begin: ${(error as Error).message}`);
    }
  }

  async #ensurePortBase(): Promise<void> {
    try {
      await this.#ring.ensurePortBase();
    } catch (error) {
      throw new ClusterError((error as Error).message);
    }
  }

  #spawnDht(number: number, identity: number): Promise<PeerRecord> {
    return this.#spawn(number, this.#ring.launchArgs(identity, this.#tickMs, this.#dhtSettings), identity);
  }

  #dhtPeerList(): string {
    const peers = [...this.#peers.values()].filter((record) => record.identity !== undefined).map((record) => `${record.identity} at ${record.id}`);
    return peers.join(', ') || 'none';
  }

  // ------------------------------------------------------------------------------------------

  #liveRecords(): PeerRecord[] {
    return [...this.#peers.values()].filter((record) => LIVE_STATES.includes(record.state));
  }

  #requireKind(kind: ClusterKind): void {
    if (this.#kind !== kind) throw new ClusterError(kind === 'kv' ? KV_COMMAND_ON_DHT : DHT_COMMAND_ON_KV);
  }

  #introducers(): string[] {
    return this.runningPeers()
      .map((peer) => peer.id)
      .slice(0, 3);
  }

  #coordinator(): string {
    const running = this.runningPeers();
    if (running.length === 0) throw new ClusterError('no running peer to coordinate the operation: start one first');
    return (running[this.#nextCoordinator++ % running.length] as PeerSummary).id;
  }

  #client(id: string): PeerClient {
    const record = this.#peers.get(id);
    if (record === undefined) throw new ClusterError(`no peer ${id} in this session (peers: ${[...this.#peers.keys()].join(', ') || 'none'})`);
    if (record.state === 'paused') throw new ClusterError(`${id} is paused: resume it first`);
    if (record.client === undefined || record.client.closed) throw new ClusterError(`${id} is ${record.state}: it cannot answer`);
    return record.client;
  }

  #managed(id: string, action: string): PeerRecord {
    const record = this.#peers.get(id);
    if (record === undefined) throw new ClusterError(`no peer ${id} in this session (peers: ${[...this.#peers.keys()].join(', ') || 'none'})`);
    if (!record.managed) throw new ClusterError(`cannot ${action} ${id}: it is attached, not started by this session`);
    return record;
  }

  #tick(): number {
    return Math.floor(Date.now() / this.tickMs);
  }

  #record(event: JournalEvent): void {
    this.journal.append(Date.now(), event);
  }

  #setState(record: PeerRecord, state: PeerState): void {
    record.state = state;
    this.#changed();
  }

  #changed(): void {
    const peers = this.peers();
    for (const listener of this.#listeners) listener(peers);
  }

  /**
   * A new key-value cluster of `count` peers, whole from the start: their ports are picked first,
   * and each peer is told the others (`--ring-seed`), so they own keys at once with no ring change
   * to wait for. A port another program takes meanwhile means picking again (up to three times).
   */
  async #startSeededKv(count: number): Promise<PeerSummary[]> {
    const numbers = Array.from({ length: count }, () => this.#nextNumber++);
    const offsets = Array.from({ length: count }, (_, index) => index);
    for (let attempt = 1; ; attempt++) {
      const base = await freePortBase(this.host, offsets);
      const ids = offsets.map((offset) => `${this.host.includes(':') ? `[${this.host}]` : this.host}:${base + offset}`);
      const spawned: PeerRecord[] = [];
      let failure: unknown;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < count && failure === undefined) {
          const index = next++;
          try {
            spawned.push(await this.#spawnKv(numbers[index] as number, base + index, index === 0 ? [] : [ids[0] as string], 0, ids));
          } catch (error) {
            failure ??= error;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(count, SPAWNS_AT_ONCE) }, worker));
      if (failure === undefined) return spawned.sort((a, b) => a.number - b.number).map(summary);
      // None of them is kept: a cluster seeded with a peer that never ran would miss an owner.
      await Promise.all(spawned.map((record) => this.kill(record.id)));
      for (const record of spawned) this.#peers.delete(record.id);
      this.#changed();
      const portTaken = failure instanceof SpawnError && failure.exitCode === EXIT_PORT_IN_USE;
      if (!portTaken || attempt >= PORT_BASE_ATTEMPTS_MAX) throw failure instanceof ClusterError ? failure : new ClusterError((failure as Error).message);
      this.#record({ kind: 'log', tick: this.#tick(), peer: 'manager', text: `${(failure as Error).message}: starting the cluster on other ports` });
    }
  }

  #spawnKv(number: number, port: number, introducers: readonly string[], redisPort = 0, ringSeed?: readonly string[]): Promise<PeerRecord> {
    const args = ['--listen', `${this.host}:${port}`, '--protocol', this.protocol, '--tick-ms', String(this.tickMs)];
    if (ringSeed !== undefined) args.push('--ring-seed', ringSeed.join(','));
    for (const introducer of introducers) args.push('--join', introducer);
    if (this.#options.redis === false) args.push('--no-redis');
    else args.push('--redis-port', String(redisPort));
    args.push('--quorum', this.#quorum);
    // A peer's data folder goes with its cluster and number: a restart finds it, a new peer (and
    // a new cluster, whose numbers start again at 1) starts clean.
    if (this.#epoch < 1) throw new Error('assertion: a key-value peer spawned before any cluster began');
    if ((this.#options.storage ?? 'disk') === 'memory') args.push('--memory');
    else args.push('--data', this.#kvData.folder(`cluster-${this.#epoch}/peer-${number}`));
    return this.#spawn(number, args, undefined);
  }

  /** Spawns a peer process (a circular DHT peer when `identity` is given) and subscribes to it. */
  async #spawn(number: number, args: readonly string[], identity: number | undefined): Promise<PeerRecord> {
    if (this.#shuttingDown) throw new ClusterError('the cluster is shutting down');
    const stderrTail: string[] = [];
    const { child, info } = await spawnPeer({
      entry: this.#options.peerEntry ?? DEFAULT_PEER_ENTRY,
      args,
      secret: this.secret,
      onStderr: (line) => {
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
      },
    });
    if (this.#shuttingDown) {
      // Shutdown began while this peer was starting: it must not outlive the session.
      child.kill('SIGKILL');
      throw new ClusterError('the cluster is shutting down');
    }
    const previous = this.#peers.get(info.id);
    const record: PeerRecord = previous ?? {
      id: info.id,
      number,
      state: 'starting',
      managed: true,
      pid: undefined,
      port: 0,
      redisPort: 0,
      startedAt: 0,
      identity,
      child: undefined,
      client: undefined,
      expecting: undefined,
      faultsVersion: 0,
      exited: undefined,
    };
    Object.assign(record, { state: 'starting', managed: true, pid: info.pid, port: info.port, redisPort: info.redisPort, startedAt: Date.now(), identity, child, expecting: undefined, faultsVersion: 0 });
    this.#peers.set(record.id, record);
    record.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exited(record, child, code, signal, stderrTail);
        resolve();
      });
    });
    this.#record({ kind: 'process.started', tick: this.#tick(), peer: record.id, pid: info.pid, port: info.port, redisPort: info.redisPort, number: record.number, ...(identity === undefined ? {} : { identity }) });
    try {
      const client = await PeerClient.connect(record.id, this.secret, this.#options.tls);
      await this.#subscribe(record, client);
      // A new process starts with no faults: it gets the current plan before it counts as running.
      if (this.#faultsVersion > 0 && identity === undefined && !(await this.#deliverFaults(record))) throw new Error('it did not take the fault plan');
    } catch (error) {
      record.expecting = 'kill';
      child.kill('SIGKILL');
      throw new ClusterError(`peer ${record.id} started but its control port failed: ${(error as Error).message}`);
    }
    this.#setState(record, 'running');
    return record;
  }

  async #subscribe(record: PeerRecord, client: PeerClient): Promise<void> {
    record.client = client;
    client.onEvents = (events) => {
      for (const { at, event } of events) this.journal.append(at, event);
    };
    client.onClose = () => {
      if (record.managed || record.state !== 'attached') return;
      this.#record({ kind: 'log', tick: this.#tick(), peer: record.id, text: 'the attached peer closed its control connection' });
      this.#setState(record, 'detached');
    };
    await client.request({ type: 'subscribe', messages: this.#options.messages ?? true });
  }

  #exited(record: PeerRecord, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, stderrTail: readonly string[]): void {
    if (record.child !== child) return;
    const expected = record.expecting !== undefined || this.#shuttingDown;
    record.child = undefined;
    record.exited = undefined;
    record.client?.close();
    record.client = undefined;
    if (!expected) for (const line of stderrTail.slice(-5)) this.#record({ kind: 'log', tick: this.#tick(), peer: record.id, text: `stderr: ${line}` });
    this.#record({ kind: 'process.exited', tick: this.#tick(), peer: record.id, pid: child.pid ?? 0, code, signal, expected });
    const state: PeerState = record.expecting === 'kill' ? 'killed' : record.expecting === 'leave' && code === 0 ? 'left' : expected ? 'left' : 'crashed';
    record.expecting = undefined;
    this.#setState(record, state);
    if (!expected) {
      const reason = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
      for (const listener of this.#deathListeners) listener(summary(record), reason);
    }
  }
}

/** Refuses identities for a new circular DHT ring that are not `count` distinct identities. */
function checkIdentities(count: number, identities: readonly number[] | undefined): void {
  if (identities === undefined) return;
  if (identities.length !== count) throw new ClusterError(`give ${count} identit${count === 1 ? 'y' : 'ies'} for ${count} peer${count === 1 ? '' : 's'}, not ${identities.length}`);
  const wrong = identities.find((identity) => !isIdentity(identity));
  if (wrong !== undefined) throw new ClusterError(`${wrong} is not an identity: a peer is a whole number from 0 to 255`);
  if (new Set(identities).size !== identities.length) throw new ClusterError('the identities must all differ');
}

function summary(record: PeerRecord): PeerSummary {
  return {
    id: record.id,
    number: record.number,
    state: record.state,
    managed: record.managed,
    pid: record.pid,
    port: record.port,
    redisPort: record.redisPort,
    startedAt: record.startedAt,
    ...(record.identity !== undefined ? { identity: record.identity } : {}),
  };
}

/** The session's secret file in this user's secret registry, or undefined (and nothing kept) when it cannot be written. */
function keepSessionSecret(name: string, secret: string): string | undefined {
  try {
    return registerSecret(name, secret);
  } catch {
    return undefined;
  }
}
