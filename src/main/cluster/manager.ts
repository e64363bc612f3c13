/**
 * The cluster manager: starts, watches and breaks real peer processes, and keeps the session
 * journal of everything they do. Plain Node (no Electron): the command line, the web server,
 * the window and the tests all drive clusters through it.
 *
 * Each peer is a child process (see `spawn.ts`) with a control connection (`peer-client.ts`)
 * over which the manager subscribes to its events, sends operations and faults, and asks for
 * its state. Peers it did not start can be attached: observed and driven, never killed.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { JournalEvent } from '../../shared/journal/events.ts';
import type { MembershipProtocol } from '../../shared/membership/types.ts';
import { kvResultSchema, peerInspectionSchema, type KvResultWire, type MemberViewWire, type PeerInspection } from '../../shared/protocol/control.ts';
import { describeFaultPlan, faultPlanSchema, NO_FAULTS, type FaultPlan } from '../../shared/protocol/faults.ts';
import type { KvOperation } from '../../shared/protocol/kv.ts';
import { SessionJournal } from './journal.ts';
import { PeerClient } from './peer-client.ts';
import { DEFAULT_PEER_ENTRY, spawnPeer } from './spawn.ts';

export type PeerState = 'starting' | 'running' | 'paused' | 'leaving' | 'left' | 'killed' | 'crashed' | 'attached' | 'detached';

export interface PeerSummary {
  readonly id: string;
  /** 1, 2, 3… in the order this session added peers. */
  readonly number: number;
  readonly state: PeerState;
  /** False for attached peers: the manager observes them but did not start them. */
  readonly managed: boolean;
  readonly pid: number | undefined;
  readonly port: number;
  readonly redisPort: number;
  /** When the current process started (ms since the epoch). */
  readonly startedAt: number;
}

export interface ClusterOptions {
  readonly protocol?: MembershipProtocol;
  readonly tickMs?: number;
  readonly host?: string;
  /** The shared secret of this cluster; default: a fresh random one per session. */
  readonly secret?: string;
  /** Record the journal to this NDJSON file as it happens. */
  readonly journalPath?: string | undefined;
  readonly journalWindow?: number;
  /** Journal every message sent, delivered and dropped (default true). */
  readonly messages?: boolean;
  /** Give every peer a Redis-protocol front (default true). */
  readonly redis?: boolean;
  /** The script a peer process runs (default: the command line's peer entry). */
  readonly peerEntry?: string;
}

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
  child: ChildProcess | undefined;
  client: PeerClient | undefined;
  /** What the manager asked of the process, so its exit is expected. */
  expecting: 'leave' | 'kill' | undefined;
  exited: Promise<void> | undefined;
}

/** Peers started at once by `start`: about one per core. */
const SPAWNS_AT_ONCE = Math.max(2, availableParallelism());
/** How long a graceful stop may take before the peer is killed. */
const STOP_TIMEOUT_MS = 10_000;

export class ClusterManager {
  readonly journal: SessionJournal;
  #protocol: MembershipProtocol;
  #tickMs: number;
  readonly host: string;
  readonly secret: string;
  readonly #options: ClusterOptions;
  readonly #peers = new Map<string, PeerRecord>();
  readonly #listeners = new Set<(peers: PeerSummary[]) => void>();
  readonly #deathListeners = new Set<(peer: PeerSummary, reason: string) => void>();
  #faults: FaultPlan = NO_FAULTS;
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
    this.secret = options.secret ?? randomBytes(24).toString('hex');
    this.journal = new SessionJournal({ path: options.journalPath, ...(options.journalWindow ? { windowMax: options.journalWindow } : {}) });
    process.on('exit', this.#onProcessExit);
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
   * Changes how new peers run. Peers of one group must agree on both, so this is refused while
   * a peer of this manager is live.
   */
  configure(settings: { protocol?: MembershipProtocol | undefined; tickMs?: number | undefined }): void {
    const protocol = settings.protocol ?? this.#protocol;
    const tickMs = settings.tickMs ?? this.#tickMs;
    if (protocol === this.#protocol && tickMs === this.#tickMs) return;
    const live = [...this.#peers.values()].filter((record) => ['starting', 'running', 'paused', 'leaving', 'attached'].includes(record.state));
    if (live.length > 0) throw new ClusterError(`stop the cluster before changing its protocol or tick (${live.length} peer${live.length === 1 ? '' : 's'} live)`);
    if (!Number.isInteger(tickMs) || tickMs < 10 || tickMs > 10_000) throw new ClusterError('a tick is between 10 and 10000 ms');
    this.#protocol = protocol;
    this.#tickMs = tickMs;
    this.#record({ kind: 'log', tick: this.#tick(), peer: 'manager', text: `new peers run ${protocol} with ${tickMs} ms ticks` });
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

  /** Starts `count` peers: the first starts a group (unless one runs), the others join it. */
  async start(count: number): Promise<PeerSummary[]> {
    if (!Number.isInteger(count) || count < 1 || count > 256) throw new ClusterError('start between 1 and 256 peers');
    const started: PeerSummary[] = [];
    if (this.runningPeers().length === 0) {
      started.push(await this.addPeer());
      count--;
    }
    // A peer takes a few hundred ms of CPU to start: start a few at a time (one per core), so
    // thirty of them on a small machine each still say they are ready within the timeout.
    const numbers = Array.from({ length: count }, () => this.#nextNumber++);
    const more: PeerSummary[] = new Array(count);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const index = next++;
        more[index] = summary(await this.#spawn(numbers[index] as number, 0, this.#introducers()));
      }
    };
    await Promise.all(Array.from({ length: Math.min(count, SPAWNS_AT_ONCE) }, worker));
    return [...started, ...more];
  }

  /** Starts one peer that joins through the running peers (up to three of them). */
  async addPeer(): Promise<PeerSummary> {
    const number = this.#nextNumber++;
    return summary(await this.#spawn(number, 0, this.#introducers()));
  }

  /** A graceful stop: the peer leaves the group, hands off its keys and exits. */
  async stop(id: string): Promise<void> {
    const record = this.#managed(id, 'stop');
    if (record.child === undefined || record.exited === undefined) return;
    if (record.state === 'paused') this.resume(id);
    record.expecting = 'leave';
    this.#setState(record, 'leaving');
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
    this.#record({ kind: 'log', tick: this.#tick(), peer: id, text: 'paused (SIGSTOP)' });
  }

  resume(id: string): void {
    const record = this.#managed(id, 'resume');
    if (record.state !== 'paused') throw new ClusterError(`${id} is ${record.state}, not paused`);
    record.child?.kill('SIGCONT');
    this.#setState(record, 'running');
    this.#record({ kind: 'log', tick: this.#tick(), peer: id, text: 'resumed (SIGCONT)' });
  }

  /** Starts the peer again on the same address (killing it first if it runs). */
  async restart(id: string): Promise<PeerSummary> {
    const record = this.#managed(id, 'restart');
    if (record.child !== undefined && record.exited !== undefined) {
      if (record.state === 'paused') record.child.kill('SIGCONT');
      await this.kill(id);
    }
    const introducers = this.#introducers().filter((peer) => peer !== id);
    const restarted = await this.#spawn(record.number, record.port, introducers, record.redisPort);
    this.#record({ kind: 'peer.restarted', tick: this.#tick(), peer: id });
    return summary(restarted);
  }

  /** Observes (and drives) a peer this manager did not start, at `address`. */
  async attach(address: string): Promise<PeerSummary> {
    const client = await PeerClient.connect(address, this.secret);
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
      child: undefined,
      client,
      expecting: undefined,
      exited: undefined,
    };
    this.#peers.set(record.id, record);
    await this.#subscribe(record, client);
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

  /** Replaces the cluster's fault plan on every peer (and on peers started later). */
  async setFaults(plan: unknown): Promise<FaultPlan> {
    const parsed = faultPlanSchema.safeParse(plan);
    if (!parsed.success) throw new ClusterError(`invalid faults: ${parsed.error.issues[0]?.message ?? 'not a fault plan'}`);
    this.#faults = parsed.data;
    this.#record({ kind: 'fault.changed', tick: this.#tick(), description: describeFaultPlan(parsed.data) });
    await Promise.all(
      [...this.#peers.values()].filter((record) => record.client !== undefined && !record.client.closed && record.state !== 'paused').map((record) => record.client?.request({ type: 'faults', plan: parsed.data })),
    );
    return parsed.data;
  }

  /** One client operation through `via` (default: the running peers in turn). */
  async operate(op: KvOperation, key: string, value?: string, via?: string): Promise<KvResultWire> {
    const coordinator = via ?? this.#coordinator();
    const client = this.#client(coordinator);
    const result = await client.request({ type: 'kv', op, key, ...(value !== undefined ? { value } : {}) });
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
    return peerInspectionSchema.parse(await this.#client(id).request({ type: 'inspect', records }));
  }

  /** What each running peer believes: its member list, by peer id. */
  async views(): Promise<Map<string, MemberViewWire[]>> {
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
          await this.stop(record.id).catch(() => record.child?.kill('SIGKILL'));
          clearTimeout(timer);
        } else await this.kill(record.id);
      }),
    );
    for (const record of this.#peers.values()) record.client?.close();
    this.journal.close();
    process.off('exit', this.#onProcessExit);
  }

  // ------------------------------------------------------------------------------------------

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

  async #spawn(number: number, port: number, introducers: readonly string[], redisPort = 0): Promise<PeerRecord> {
    if (this.#shuttingDown) throw new ClusterError('the cluster is shutting down');
    const args = ['--listen', `${this.host}:${port}`, '--protocol', this.protocol, '--tick-ms', String(this.tickMs)];
    for (const introducer of introducers) args.push('--join', introducer);
    if (this.#options.redis === false) args.push('--no-redis');
    else args.push('--redis-port', String(redisPort));
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
      child: undefined,
      client: undefined,
      expecting: undefined,
      exited: undefined,
    };
    Object.assign(record, { state: 'starting', managed: true, pid: info.pid, port: info.port, redisPort: info.redisPort, startedAt: Date.now(), child, expecting: undefined });
    this.#peers.set(record.id, record);
    record.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exited(record, child, code, signal, stderrTail);
        resolve();
      });
    });
    this.#record({ kind: 'process.started', tick: this.#tick(), peer: record.id, pid: info.pid, port: info.port, redisPort: info.redisPort });
    try {
      const client = await PeerClient.connect(record.id, this.secret);
      await this.#subscribe(record, client);
      if (this.#faults !== NO_FAULTS) await client.request({ type: 'faults', plan: this.#faults });
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
  };
}
