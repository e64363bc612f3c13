/**
 * One peer process: the core's key-value peer (membership + store), driven by a real timer,
 * over the WebSocket transport, with a control channel and a Redis-protocol front.
 *
 * Time: tick t is the t-th `tickMs` slice since the Unix epoch, so every peer of a cluster
 * stamps versions on one clock and a restarted peer's ticks keep growing. Inputs (messages,
 * commands) are stepped the moment they arrive; the timer steps one tick per elapsed tick.
 */
import { randomBytes } from 'node:crypto';
import type { DropReason, JournalEvent, RejectReason } from '../shared/journal/events.ts';
import type { KvConfig } from '../shared/kv/config.ts';
import { KvPeer, type KvResult, type PeerCommand, type PeerMessage, type PeerReply } from '../shared/kv/peer.ts';
import type { MachineInput, MachineOutput } from '../shared/machine.ts';
import type { GossipConfig } from '../shared/membership/gossip/config.ts';
import type { SwimConfig } from '../shared/membership/swim/config.ts';
import type { MembershipProtocol } from '../shared/membership/types.ts';
import { controlRequestSchema, replyId, VALUE_PREVIEW_MAX, type ControlCommand, type FaultsReply, type PeerInspection, type ReadyInfo } from '../shared/protocol/control.ts';
import { describeFaultPlan, type FaultPlan, type FaultPlanVersion } from '../shared/protocol/faults.ts';
import { KV_MESSAGE_BYTES_MAX_DEFAULT, type KvOperation } from '../shared/protocol/kv.ts';
import { RandomStream } from '../shared/random/stream.ts';
import { MemoryStore } from '../shared/kv/store.ts';
import { describeTransition } from '../shared/kv/ring-sync.ts';
import { EventStream } from './event-stream.ts';
import type { SqliteStore } from './kv/sqlite-store.ts';
import { FaultInjector } from './faults.ts';
import { RedisFront, type KvAnswer } from './redis.ts';
import { WsTransport, type ControlChannel, type TransportOptions } from './transport.ts';

export interface PeerOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** The Redis front's port (0: any free one); undefined: no Redis front. */
  readonly redisPort?: number | undefined;
  /** Where the Redis front listens; default 127.0.0.1 (not `host`: it is a door of its own). */
  readonly redisHost?: string | undefined;
  /** The password Redis clients send with AUTH; undefined: none. */
  readonly redisPassword?: string | undefined;
  /** The host other peers dial; needed when `host` is 0.0.0.0 or :: (see `advertisedHost`). */
  readonly advertise?: string | undefined;
  /** Peer links over TLS (`wss://`): this peer's certificate and key, and the CA to trust. */
  readonly tls?: TransportOptions['tls'];
  /** Peers to join through (their addresses); none: start a group. */
  readonly join: readonly string[];
  readonly protocol: MembershipProtocol;
  readonly tickMs: number;
  readonly secret: string;
  /** Seeds the peer's random streams (gossip targets, fault draws); default: random. */
  readonly seed?: string | undefined;
  readonly kv?: Partial<KvConfig>;
  /** The peers a cluster starts with, this one among them: they own keys from the start. */
  readonly ringSeed?: readonly string[] | undefined;
  readonly swim?: Partial<SwimConfig>;
  readonly gossip?: Partial<GossipConfig>;
  /**
   * The folder the store lives in (SQLite, durable across crashes), or how to name it from the
   * peer's id once it listens; undefined: in memory, lost when the process ends (`--memory`).
   */
  readonly dataFolder?: string | ((id: string) => string) | undefined;
  /** Where human-readable log lines go (the CLI: standard error). */
  readonly log?: (line: string) => void;
}

/**
 * How long a graceful leave waits for its key ranges to reach their new owners and for the owners
 * to acknowledge what it hands them (the manager kills a peer that takes 10 s).
 */
const LEAVE_HANDOFF_WAIT_MS = 8000;

type Input = MachineInput<PeerMessage, PeerCommand>;
type Output = MachineOutput<PeerMessage, PeerReply>;

export class PeerProcess {
  readonly machine: KvPeer;
  readonly transport: WsTransport;
  readonly redis: RedisFront | undefined;
  readonly tickMs: number;
  readonly #options: PeerOptions;
  readonly #faults: FaultInjector;
  /** Journal events on their way to the control clients (`event-stream.ts`). */
  readonly #events: EventStream;
  readonly #results = new Map<number, (result: KvResult) => void>();
  /** When each operation coordinated here began (performance.now(), ms); taken off by its result. */
  readonly #operationStartedAt = new Map<number, number>();
  readonly #log: (line: string) => void;
  /** The store on disk, when there is one: outputs wait for its commit (group commit). */
  readonly #disk: SqliteStore | undefined;
  /** Outputs of steps whose changes are not yet durable, in order, with the tick they were made at. */
  #held: { output: Output; now: number }[] = [];
  #commitScheduled = false;
  /** Why the peer stopped on its own (a store that could not be written), if it did. */
  stoppedBecause: string | undefined;
  #nextTransaction = 1;
  #lastTick: number;
  #timer: NodeJS.Timeout | undefined;
  #leaving: Promise<void> | undefined;
  #closed = false;
  /** Called once the peer has stopped (after a graceful leave or `close`). */
  onStopped: () => void = () => undefined;

  private constructor(options: PeerOptions, transport: WsTransport, redis: RedisFront | undefined, disk: SqliteStore | undefined) {
    this.#options = options;
    this.#disk = disk;
    this.transport = transport;
    this.redis = redis;
    this.tickMs = options.tickMs;
    this.#log = options.log ?? (() => undefined);
    const root = RandomStream.root(options.seed ?? randomBytes(16).toString('hex'));
    this.#faults = new FaultInjector(transport.id, root.derive('faults'));
    this.#events = new EventStream({ peer: transport.id, now: () => this.now() });
    this.#lastTick = this.now();
    this.machine = new KvPeer({
      protocol: options.protocol,
      id: transport.id,
      random: root.derive(`peer:${transport.id}`),
      generation: this.#lastTick,
      messageBytesMax: KV_MESSAGE_BYTES_MAX_DEFAULT,
      store: disk ?? new MemoryStore(),
      ...(options.ringSeed ? { ringSeed: options.ringSeed } : {}),
      ...(options.kv ? { kv: options.kv } : {}),
      ...(options.swim ? { swim: options.swim } : {}),
      ...(options.gossip ? { gossip: options.gossip } : {}),
    });
  }

  /** Listens, joins (or starts a group) and starts the timer. */
  static async start(options: PeerOptions): Promise<PeerProcess> {
    // The transport and the front call in before the peer exists: they find it here.
    const started: { peer?: PeerProcess } = {};
    const transport = await WsTransport.listen({
      host: options.host,
      port: options.port,
      advertise: options.advertise,
      tls: options.tls,
      secret: options.secret,
      messageBytesMax: KV_MESSAGE_BYTES_MAX_DEFAULT,
      onMessage: (from, data) => {
        if (started.peer !== undefined) started.peer.#onMessage(from, data);
      },
      onControl: (channel) => {
        if (started.peer !== undefined) started.peer.#onControl(channel);
        else channel.close();
      },
      onRefused: (from, reason, detail) => {
        if (started.peer !== undefined) started.peer.#refused(from, reason, detail);
      },
    });
    // The store, named after the address once it is known; a folder that cannot be opened is said.
    let disk: SqliteStore | undefined;
    try {
      if (options.dataFolder !== undefined) {
        const { SqliteStore } = await import('./kv/sqlite-store.ts');
        disk = await SqliteStore.open(typeof options.dataFolder === 'string' ? options.dataFolder : options.dataFolder(transport.id));
      }
    } catch (error) {
      await transport.close();
      throw error;
    }
    let redis: RedisFront | undefined;
    if (options.redisPort !== undefined) {
      redis = new RedisFront({
        execute: (op, key, value, binary) => {
          if (started.peer === undefined) return Promise.reject(new Error('the peer is starting'));
          return started.peer.execute(op, key, value, binary);
        },
        info: () => (started.peer === undefined ? [] : started.peer.#info()),
        get readQuorum() {
          return started.peer?.machine.config.readQuorum ?? 2;
        },
        get writeQuorum() {
          return started.peer?.machine.config.writeQuorum ?? 2;
        },
        get replicas() {
          return started.peer?.machine.config.ring.replicas ?? 3;
        },
      }, { password: options.redisPassword });
      try {
        await redis.listen(options.redisHost ?? '127.0.0.1', options.redisPort);
      } catch (error) {
        await transport.close();
        disk?.close();
        throw error;
      }
    }
    const peer = new PeerProcess(options, transport, redis, disk);
    started.peer = peer;
    peer.#begin();
    return peer;
  }

  get id(): string {
    return this.transport.id;
  }

  /** The current tick: whole `tickMs` slices since the Unix epoch. */
  now(): number {
    return Math.floor(Date.now() / this.tickMs);
  }

  readyInfo(): ReadyInfo {
    return {
      id: this.id,
      pid: process.pid,
      port: this.transport.port,
      redisPort: this.redis?.port ?? 0,
      protocol: this.#options.protocol,
      tickMs: this.tickMs,
    };
  }

  #begin(): void {
    const now = this.#lastTick;
    this.#emit({ kind: 'peer.started', tick: now, peer: this.id });
    this.#step({ kind: 'command', command: { type: 'join', introducers: this.#options.join.filter((id) => id !== this.id) } }, now);
    this.#schedule();
  }

  #schedule(): void {
    const wait = this.tickMs - (Date.now() % this.tickMs);
    this.#timer = setTimeout(() => {
      this.#onTimer();
      if (!this.#closed) this.#schedule();
    }, wait);
  }

  #onTimer(): void {
    const now = this.now();
    // One tick per elapsed tick; after a long stall (SIGSTOP) only the last few matter.
    for (let tick = Math.max(this.#lastTick + 1, now - 10); tick <= now; tick++) this.#step({ kind: 'tick' }, tick);
    this.#lastTick = Math.max(this.#lastTick, now);
  }

  #step(input: Input, now: number): void {
    if (this.#closed) return;
    this.#handleOutputs(this.machine.step(input, now), now);
  }

  /** A step's outputs: out at once, or once the store has made the step's changes durable. */
  #handleOutputs(outputs: readonly Output[], now: number): void {
    if (this.#disk !== undefined) {
      if (this.#disk.failure !== undefined) {
        this.#fail(this.#disk.failure);
        return;
      }
      // Nothing leaves before the changes behind it are on disk: an acknowledgement, a reply, an
      // event. Outputs of later steps wait behind them, so the order is kept.
      if (this.#disk.dirty || this.#held.length > 0) {
        for (const output of outputs) this.#held.push({ output, now });
        if (!this.#commitScheduled) {
          this.#commitScheduled = true;
          setImmediate(() => this.#commit());
        }
        return;
      }
    }
    // The outputs array is reused by the next step: copy what a send may re-enter with.
    for (const output of outputs.length > 0 ? [...outputs] : outputs) this.#output(output, now);
  }

  /** Group commit: one fsync for every step of this event-loop turn, then their outputs. */
  #commit(): void {
    this.#commitScheduled = false;
    if (this.#closed || this.#disk === undefined) return;
    try {
      this.#disk.commit();
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    const held = this.#held;
    this.#held = [];
    for (const { output, now } of held) this.#output(output, now);
  }

  /** The store cannot be written: stop before acknowledging anything more. */
  #fail(error: Error): void {
    if (this.stoppedBecause !== undefined) return;
    this.stoppedBecause = error.message;
    this.#held = [];
    this.#log(`error: ${error.message}; stopping (nothing unsaved was acknowledged)`);
    void this.close();
  }

  #output(output: Output, now: number): void {
    switch (output.kind) {
      case 'send':
        this.#send(output.to, output.message, now);
        return;
      case 'event':
        if (output.event.kind === 'kv.result' && output.event.peer === this.id) {
          // Ticks are too coarse for a quorum that answers in a fraction of a millisecond.
          const startedAt = this.#operationStartedAt.get(output.event.transaction);
          this.#operationStartedAt.delete(output.event.transaction);
          if (startedAt !== undefined) {
            this.#emit({ ...output.event, latencyMs: Math.round((performance.now() - startedAt) * 1000) / 1000 });
            return;
          }
        }
        this.#emit(output.event);
        return;
      case 'reply':
        if (output.reply.type === 'kv.result') {
          const resolve = this.#results.get(output.reply.transaction);
          this.#results.delete(output.reply.transaction);
          resolve?.(output.reply);
        }
        return;
    }
  }

  #send(to: string, message: PeerMessage, now: number): void {
    const data = JSON.stringify(message);
    const decision = this.#faults.decide(to);
    if (decision.drop !== undefined) {
      this.#messageDropped(to, message.type, decision.drop, now);
      return;
    }
    for (const delay of decision.delays) {
      if (delay === 0) this.#transmit(to, message.type, data, now);
      else setTimeout(() => this.#transmit(to, message.type, data, this.now()), delay).unref();
    }
  }

  #transmit(to: string, type: string, data: string, now: number): void {
    if (this.#closed) return;
    const dropped = this.transport.send(to, data);
    if (dropped !== undefined) this.#messageDropped(to, type, dropped, now);
    else if (this.#events.wantsMessages) this.#emit({ kind: 'message.sent', tick: now, peer: this.id, to, type, bytes: Buffer.byteLength(data) });
  }

  #messageDropped(to: string, type: string, reason: DropReason, now: number): void {
    if (this.#events.wantsMessages) this.#emit({ kind: 'message.dropped', tick: now, peer: this.id, to, type, reason });
  }

  #onMessage(from: string, data: string): void {
    if (this.#closed) return;
    const now = Math.max(this.#lastTick, this.now());
    if (this.#events.wantsMessages) {
      const type = /"type":"([A-Za-z.-]{1,40})"/.exec(data.slice(0, 200))?.[1] ?? 'unknown';
      this.#emit({ kind: 'message.delivered', tick: now, peer: this.id, from, type });
    }
    this.#step({ kind: 'receive-bytes', from, data }, now);
  }

  #refused(from: string, reason: RejectReason, detail: string): void {
    const event: JournalEvent = { kind: 'message.rejected', tick: this.now(), peer: this.id, from, reason, detail };
    this.#emit(event);
    this.#log(`refused ${reason} from ${from}: ${detail}`);
  }

  // ------------------------------------------------------------------------------------------
  // Operations

  /** One client operation, coordinated here; resolves with the quorum's outcome. */
  execute(op: KvOperation, key: string, value?: string, binary?: true): Promise<KvAnswer & KvResult> {
    if (this.#closed || this.#leaving) {
      return Promise.resolve({ type: 'kv.result', transaction: 0, op, key, ok: false, reason: 'no-ring', latencyTicks: 0, replicas: [] });
    }
    const transaction = this.#nextTransaction++;
    if (this.#nextTransaction > Number.MAX_SAFE_INTEGER) this.#nextTransaction = 1;
    return new Promise((resolve) => {
      this.#results.set(transaction, resolve);
      this.#operationStartedAt.set(transaction, performance.now());
      const command: PeerCommand = {
        type: 'kv.client',
        transaction,
        op,
        key,
        ...(value !== undefined ? { value } : {}),
        ...(binary ? { binary } : {}),
      };
      this.#step({ kind: 'command', command }, Math.max(this.#lastTick, this.now()));
    });
  }

  /** Takes a gone peer out of the ring (explicit ownership); its ranges go to the others. */
  remove(peer: string): { removed: string } {
    let outcome: { ok: boolean; reason?: string | undefined } = { ok: false, reason: 'no answer' };
    const outputs = this.machine.step({ kind: 'command', command: { type: 'kv.remove', peer } }, Math.max(this.#lastTick, this.now()));
    for (const output of outputs) if (output.kind === 'reply' && output.reply.type === 'kv.removed') outcome = output.reply;
    // The rest (the ring state on its way to every peer) goes out as any step's outputs do.
    this.#handleOutputs(outputs.filter((output) => output.kind !== 'reply'), Math.max(this.#lastTick, this.now()));
    if (!outcome.ok) throw new Error(`cannot remove ${peer}: ${outcome.reason ?? 'refused'}`);
    return { removed: peer };
  }

  /** Puts `plan` in force unless its version is no newer than the one in force; says what is in force. */
  setFaults(plan: FaultPlan, version?: FaultPlanVersion): FaultsReply {
    if (this.#faults.set(plan, version)) this.#emit({ kind: 'fault.changed', tick: this.now(), description: `${this.id}: ${describeFaultPlan(plan)}` });
    return { faults: describeFaultPlan(this.#faults.plan), version: this.#faults.version };
  }

  inspect(recordsMax = 10_000): PeerInspection {
    const records = this.machine.records().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return {
      id: this.id,
      pid: process.pid,
      protocol: this.#options.protocol,
      status: this.machine.membership.status,
      tickMs: this.tickMs,
      tick: this.now(),
      redisPort: this.redis?.port ?? 0,
      members: this.machine.membership.members().map((view) => ({ ...view })),
      records: records.slice(0, recordsMax).map((record) =>
        record.value.length > VALUE_PREVIEW_MAX ? { ...record, value: record.value.slice(0, VALUE_PREVIEW_MAX), truncated: true as const } : record,
      ),
      recordsTotal: records.length,
      pendingHandoffs: this.machine.pendingHandoffs,
      ring: {
        entries: this.machine.ringEntries(),
        ...(this.machine.transition
          ? { transition: { joining: [...this.machine.transition.joining], leaving: [...this.machine.transition.leaving], gainers: [...this.machine.transition.gainers] } }
          : {}),
        fingerprint: this.machine.ringFingerprint ?? '',
        quorum: this.machine.config.quorum,
        storage: this.#disk === undefined ? 'memory' : 'disk',
      },
      faults: this.#faults.plan,
      faultsVersion: this.#faults.version,
      counters: {
        membership: { ...this.machine.membership.counters() },
        kv: { ...this.machine.counters },
        transport: this.transport.counters,
        redis: this.redis?.counters ?? { connections: 0, commands: 0, errors: 0, protocolErrors: 0 },
      },
    };
  }

  #info(): [string, string | number][] {
    const membership = this.machine.membership;
    return [
      ['peer_id', this.id],
      ['protocol', this.#options.protocol],
      ['status', membership.status],
      ['members', membership.memberCount()],
      ['replicas', this.machine.config.ring.replicas],
      ['read_quorum', this.machine.config.readQuorum],
      ['write_quorum', this.machine.config.writeQuorum],
      ['keys_held', this.machine.records().length],
      ['pending_handoffs', this.machine.pendingHandoffs],
      ['quorum', this.machine.config.quorum],
      ['storage', this.#disk === undefined ? 'memory' : `disk ${this.#disk.path}`],
      ['ring_owners', this.machine.ring.peers.length],
      ['ring_transition', this.machine.transition === undefined ? 'none' : describeTransition(this.machine.transition)],
      ['tick_ms', this.tickMs],
    ];
  }

  /**
   * A graceful stop: hand the keys to their owners, say goodbye to the group, wait (up to 5 s)
   * for the owners' acknowledgements, then close. Resolves once stopped.
   */
  leave(): Promise<void> {
    if (this.#leaving) return this.#leaving;
    this.#leaving = (async () => {
      const held = this.machine.records().length;
      this.#emit({ kind: 'log', tick: this.now(), peer: this.id, text: `leaving: handing ${held} keys to their owners` });
      this.#step({ kind: 'command', command: { type: 'leave' } }, Math.max(this.#lastTick, this.now()));
      const deadline = Date.now() + LEAVE_HANDOFF_WAIT_MS;
      while ((this.machine.leaving || this.machine.pendingHandoffs > 0) && Date.now() < deadline) await sleep(20);
      const pending = this.machine.pendingHandoffs;
      const text = this.machine.leaving
        ? `left without waiting longer: its key ranges had not all reached their new owners within ${LEAVE_HANDOFF_WAIT_MS / 1000} s (they take them from the other owners)`
        : pending === 0
          ? 'left the group; every key acknowledged by its owners'
          : `left the group; ${pending} keys not acknowledged within ${LEAVE_HANDOFF_WAIT_MS / 1000} s`;
      this.#emit({ kind: 'log', tick: this.now(), peer: this.id, text });
      this.#emit({ kind: 'peer.left', tick: this.now(), peer: this.id });
      await this.close();
    })();
    return this.#leaving;
  }

  /** Stops at once (no goodbye): closes the ports after sending what is pending. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#events.close();
    this.#closed = true;
    clearTimeout(this.#timer);
    await sleep(20); // let the last frames leave
    await Promise.all([this.transport.close(), this.redis?.close()]);
    try {
      this.#disk?.close();
    } catch (error) {
      this.#log(`error closing the store: ${(error as Error).message}`);
    }
    for (const resolve of this.#results.values()) resolve({ type: 'kv.result', transaction: 0, op: 'read', key: '-', ok: false, reason: 'no-ring', latencyTicks: 0, replicas: [] });
    this.#results.clear();
    this.#operationStartedAt.clear();
    this.onStopped();
  }

  // ------------------------------------------------------------------------------------------
  // Control clients and the event stream

  #onControl(channel: ControlChannel): void {
    channel.onMessage((text) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const request = controlRequestSchema.safeParse(parsed);
      if (!request.success) {
        const id = replyId(parsed);
        this.transport.counters.framesRefused.invalid = (this.transport.counters.framesRefused.invalid ?? 0) + 1;
        channel.send(JSON.stringify({ t: 'res', id, ok: false, error: `invalid control request: ${request.error.issues[0]?.message ?? 'not JSON'}` }));
        return;
      }
      const { id, command } = request.data;
      if (command.type === 'subscribe') this.#events.subscribe(channel, command.messages);
      this.#control(command).then(
        (result) => channel.send(JSON.stringify({ t: 'res', id, ok: true, result })),
        (error: Error) => channel.send(JSON.stringify({ t: 'res', id, ok: false, error: error.message })),
      );
    });
  }

  async #control(command: ControlCommand): Promise<unknown> {
    switch (command.type) {
      case 'inspect':
        return this.inspect(command.records);
      case 'members':
        return this.machine.membership.members();
      case 'kv':
        return this.execute(command.op, command.key, command.value, command.binary);
      case 'faults':
        return this.setFaults(command.plan, command.version);
      case 'leave':
        setImmediate(() => void this.leave());
        return { leaving: true };
      case 'remove':
        return this.remove(command.peer);
      case 'subscribe':
        return this.readyInfo();
    }
  }

  #emit(event: JournalEvent): void {
    this.#events.emit(event);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
