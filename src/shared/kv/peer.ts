/**
 * A key-value peer: a membership machine (gossip or SWIM) and a Dynamo-style replica store on
 * a consistent-hashing ring built from what the membership believes.
 *
 * - Any peer coordinates a client transaction: it sends the operation to the key's N owners and
 *   decides once, when R (reads) or W (writes) of them succeeded, when that can no longer happen,
 *   or when the reply timeout expires. A read returns the newest version it saw and repairs the
 *   replicas that answered with an older one (read repair).
 * - A replica applies create, read, update and delete with the classroom's semantics: creating an
 *   existing key, or reading, updating or deleting a missing one, fails at that replica. Every
 *   request a replica gets is journaled as a success or a fail.
 * - Stabilization: when the ring changes, each peer gives its keys to their new owners, and
 *   hands off, then drops once acknowledged, the keys it no longer owns; periodically it retries
 *   what was not acknowledged and compares versions with co-owners (anti-entropy). None of this is
 *   journaled as a client operation.
 * - Hinted handoff (balanced placement): a write whose owner is suspected goes to the next peer
 *   of the preference list, which holds it as a non-owner and hands it back like any other key.
 *
 * The caller's duties are those of `machine.ts`; tunables are in `config.ts`.
 */
import { z } from 'zod';
import { assert, type Machine, type MachineInput, type MachineOutput, type PeerId, type Tick } from '../machine.ts';
import type { JournalEvent } from '../journal/events.ts';
import { createMembership, type MembershipOptions } from '../membership/create.ts';
import type { MembershipCommand, MembershipMachine, MembershipReply } from '../membership/types.ts';
import { createCodec } from '../protocol/codec.ts';
import {
  KV_MESSAGE_TYPES,
  compareVersions,
  isNewer,
  keySchema,
  kvMessageSchema,
  recordBytes,
  type KvFailure,
  type KvMessage,
  type KvOperation,
  type KvRecord,
  type Version,
} from '../protocol/kv.ts';
import { MEMBERSHIP_MESSAGE_TYPES, membershipMessageSchema, type MembershipMessage } from '../protocol/membership.ts';
import { HashCache } from '../ring/hash.ts';
import { Ring } from '../ring/ring.ts';
import { KV_DEFAULTS, kvConfigProblem, type KvConfig } from './config.ts';

export type PeerMessage = MembershipMessage | KvMessage;

/** A client's operation, handed to the peer that is to coordinate it. */
export interface KvCommand {
  readonly type: 'kv.client';
  /** Chosen by the client; unique among the transactions this peer coordinates at once. */
  readonly transaction: number;
  readonly op: KvOperation;
  readonly key: string;
  readonly value?: string;
  /** `value` is base64-encoded bytes. */
  readonly binary?: true;
}
export type PeerCommand = MembershipCommand | KvCommand;

export interface KvResult {
  readonly type: 'kv.result';
  readonly transaction: number;
  readonly op: KvOperation;
  readonly key: string;
  readonly ok: boolean;
  /** A read's value, or the value written. */
  readonly value?: string | undefined;
  readonly binary?: true | undefined;
  readonly version?: Version | undefined;
  readonly reason?: KvFailure | undefined;
  readonly latencyTicks: number;
  /** Each replica asked, and its answer if it came before the decision. */
  readonly replicas: readonly { readonly peer: PeerId; readonly ok?: boolean | undefined }[];
}
export type PeerReply = MembershipReply | KvResult;

type Input = MachineInput<PeerMessage, PeerCommand>;
type Output = MachineOutput<PeerMessage, PeerReply>;

export interface KvPeerOptions extends MembershipOptions {
  readonly kv?: Partial<KvConfig>;
}

export interface KvCounters {
  transactionsOk: number;
  transactionsFailed: number;
  requestsServed: number;
  repairsSent: number;
  recordsHandedOff: number;
  messagesRejected: number;
}

interface ReplicaAnswer {
  readonly ok: boolean;
  readonly reason?: KvFailure | undefined;
  readonly record?: KvRecord | undefined;
}

interface Transaction {
  readonly command: KvCommand;
  readonly targets: readonly PeerId[];
  readonly quorum: number;
  readonly version: Version | undefined;
  readonly startTick: Tick;
  /** `answers[i]` is what `targets[i]` said, once it did. */
  readonly answers: (ReplicaAnswer | undefined)[];
  answered: number;
  decided: boolean;
}

const peerCodec = createCodec<PeerMessage>(
  z.union([membershipMessageSchema, kvMessageSchema]) as unknown as z.ZodType<PeerMessage>,
  new Set([...MEMBERSHIP_MESSAGE_TYPES, ...KV_MESSAGE_TYPES]),
);

export class KvPeer implements Machine<PeerMessage, PeerCommand, PeerReply> {
  readonly id: PeerId;
  readonly membership: MembershipMachine;
  readonly config: KvConfig;
  readonly counters: KvCounters = {
    transactionsOk: 0,
    transactionsFailed: 0,
    requestsServed: 0,
    repairsSent: 0,
    recordsHandedOff: 0,
    messagesRejected: 0,
  };
  readonly #messageBytesMax: number;
  readonly #hashes: HashCache;
  readonly #outputs: Output[] = [];
  readonly #store = new Map<string, KvRecord>();
  readonly #transactions = new Map<number, Transaction>();
  /** Keys this peer no longer owns and is handing off: the owners that have acknowledged. */
  readonly #handoffs = new Map<string, Set<PeerId>>();
  #ring: Ring;
  /** The hybrid logical clock behind every version this peer stamps. */
  #clockTick = 0;
  #clockCounter = 0;
  #nextStabilizeTick = 0;
  #nextAntiEntropyTick = 0;

  constructor(options: KvPeerOptions, hashes: HashCache = new HashCache()) {
    this.id = options.id;
    this.config = { ...KV_DEFAULTS, ...options.kv };
    const problem = kvConfigProblem(this.config);
    assert(problem === undefined, problem ?? '');
    this.#messageBytesMax = options.messageBytesMax ?? KV_MESSAGE_BYTES_MAX_DEFAULT;
    this.membership = createMembership({ ...options, messageBytesMax: this.#messageBytesMax });
    this.#hashes = hashes;
    this.#ring = new Ring(this.config.ring, [], hashes);
  }

  get ring(): Ring {
    return this.#ring;
  }

  /** What this replica holds, tombstones included. */
  records(): KvRecord[] {
    return [...this.#store.values()];
  }

  record(key: string): KvRecord | undefined {
    return this.#store.get(key);
  }

  step(input: Input, now: Tick): readonly Output[] {
    this.#outputs.length = 0;
    switch (input.kind) {
      case 'tick':
        this.#membershipStep(input, now);
        this.#tick(now);
        break;
      case 'receive':
        this.#receive(input.from, input.message, now);
        break;
      case 'receive-bytes': {
        const decoded = peerCodec.decode(input.data, this.#messageBytesMax);
        if (decoded.ok) this.#receive(input.from, decoded.message, now);
        else {
          this.counters.messagesRejected++;
          this.#emit({ kind: 'message.rejected', tick: now, peer: this.id, from: input.from, reason: decoded.error.reason, detail: decoded.error.detail });
        }
        break;
      }
      case 'command':
        if (input.command.type === 'kv.client') this.#coordinate(input.command, now);
        else this.#membershipStep(input as MachineInput<MembershipMessage, MembershipCommand>, now);
        break;
    }
    return this.#outputs;
  }

  #receive(from: PeerId, message: PeerMessage, now: Tick): void {
    if (KV_MESSAGE_TYPES.has(message.type)) this.#onKvMessage(from, message as KvMessage, now);
    else this.#membershipStep({ kind: 'receive', from, message: message as MembershipMessage }, now);
  }

  // ------------------------------------------------------------------------------------------
  // Membership and the ring

  #membershipStep(input: MachineInput<MembershipMessage, MembershipCommand>, now: Tick): void {
    let changed = false;
    for (const output of this.membership.step(input, now)) {
      this.#outputs.push(output);
      if (output.kind === 'event' && (output.event.kind === 'member.added' || output.event.kind === 'member.removed' || output.event.kind === 'member.left')) {
        changed = true;
      }
    }
    if (changed) this.#rebuildRing(now);
  }

  #rebuildRing(now: Tick): void {
    const members = this.membership.members().filter((view) => view.state === 'alive' || view.state === 'suspect').map((view) => view.id);
    const next = new Ring(this.config.ring, members, this.#hashes);
    if (next.peers.length === this.#ring.peers.length && next.peers.every((peer, index) => peer === this.#ring.peers[index])) return;
    const previous = this.#ring;
    this.#ring = next;
    this.#emit({ kind: 'ring.changed', tick: now, peer: this.id, members: next.peers.length });
    this.#stabilize(previous);
  }

  /**
   * After a ring change: new co-owners of the keys this peer owns get them; keys it no longer
   * owns are handed off to their owners and dropped once they acknowledge.
   */
  #stabilize(previous: Ring): void {
    if (!this.#ring.placesKeys) return;
    const batches = new Batches();
    for (const [key, record] of this.#store) {
      const owners = this.#ring.preferenceList(key);
      if (owners.includes(this.id)) {
        this.#handoffs.delete(key);
        const before = previous.preferenceList(key);
        for (const owner of owners) if (owner !== this.id && !before.includes(owner)) batches.add(owner, record);
      } else {
        const acknowledged = this.#handoffs.get(key) ?? new Set<PeerId>();
        this.#handoffs.set(key, acknowledged);
        for (const owner of owners) if (!acknowledged.has(owner)) batches.add(owner, record, true);
      }
    }
    this.#sendBatches(batches, 'handoff');
  }

  // ------------------------------------------------------------------------------------------
  // Coordinator

  #coordinate(command: KvCommand, now: Tick): void {
    const refuse = (reason: KvFailure): void => this.#finishEarly(command, now, reason);
    if (!keySchema.safeParse(command.key).success) return refuse('invalid-key');
    if (this.#transactions.has(command.transaction)) return refuse('duplicate');
    if (this.#transactions.size >= this.config.transactionsMax) return refuse('overloaded');
    if ((command.op === 'create' || command.op === 'update') && valueBytes(command.value ?? '', command.binary === true) > this.config.valueBytesMax) {
      return refuse('too-large');
    }
    if (this.membership.status !== 'member' || !this.#ring.placesKeys) return refuse('no-ring');

    const isWrite = command.op !== 'read';
    const version = isWrite ? this.#nextVersion(now) : undefined;
    const transaction: Transaction = {
      command,
      targets: this.#targets(command.key),
      quorum: isWrite ? this.config.writeQuorum : this.config.readQuorum,
      version,
      startTick: now,
      answers: [],
      answered: 0,
      decided: false,
    };
    this.#transactions.set(command.transaction, transaction);
    const request: KvMessage = {
      type: 'kv.request',
      transaction: command.transaction,
      op: command.op,
      key: command.key,
      ...(isWrite && command.op !== 'delete' ? { value: command.value ?? '' } : {}),
      ...(command.binary ? { binary: true as const } : {}),
      ...(version ? { version } : {}),
    };
    for (const target of transaction.targets) {
      if (target === this.id) this.#record(transaction, this.id, this.#serve(request, now));
      else this.#send(target, request);
    }
    this.#evaluate(transaction, now);
  }

  /** The key's owners; with hinted handoff, a suspected owner gives way to the next peer. */
  #targets(key: string): PeerId[] {
    const replicas = this.config.ring.replicas;
    if (!this.config.hintedHandoff) return this.#ring.preferenceList(key);
    const candidates = this.#ring.preferenceList(key, 2 * replicas);
    const owners = candidates.slice(0, replicas);
    const fallbacks = candidates.slice(replicas).filter((peer) => this.#isAlive(peer));
    return owners.map((owner) => (this.#isAlive(owner) ? owner : (fallbacks.shift() ?? owner)));
  }

  #isAlive(peer: PeerId): boolean {
    return this.membership.stateOf(peer) === 'alive';
  }

  #onAnswer(from: PeerId, message: Extract<KvMessage, { type: 'kv.reply' }>, now: Tick): void {
    const transaction = this.#transactions.get(message.transaction);
    if (transaction === undefined) return;
    if (!this.#record(transaction, from, { ok: message.ok, reason: message.reason, record: message.record })) return;
    if (message.record) this.#observe(message.record.version);
    this.#evaluate(transaction, now);
  }

  /** Keeps a target's first answer; false for a peer that was not asked or already answered. */
  #record(transaction: Transaction, from: PeerId, answer: ReplicaAnswer): boolean {
    const index = transaction.targets.indexOf(from);
    if (index === -1 || transaction.answers[index] !== undefined) return false;
    transaction.answers[index] = answer;
    transaction.answered++;
    return true;
  }

  /** Decides once quorum is reached or out of reach; finishes when every replica has answered. */
  #evaluate(transaction: Transaction, now: Tick): void {
    if (!transaction.decided) {
      let successes = 0;
      let failures = 0;
      for (const answer of transaction.answers) {
        if (answer === undefined) continue;
        if (answer.ok) successes++;
        else failures++;
      }
      if (successes >= transaction.quorum) this.#decide(transaction, true, now);
      else if (failures > transaction.targets.length - transaction.quorum) this.#decide(transaction, false, now, commonReason(transaction));
    }
    if (transaction.answered === transaction.targets.length) this.#finish(transaction);
  }

  #decide(transaction: Transaction, ok: boolean, now: Tick, reason?: KvFailure): void {
    transaction.decided = true;
    const { command } = transaction;
    const newest = newestRecord(transaction);
    const read = command.op === 'read';
    const value = read ? (ok ? newest?.value : undefined) : command.op === 'delete' ? undefined : command.value;
    const binary = read ? newest?.binary : command.binary;
    if (ok) this.counters.transactionsOk++;
    else this.counters.transactionsFailed++;
    const replicas = transaction.targets.map((peer, index) => ({ peer, ok: transaction.answers[index]?.ok }));
    const latencyTicks = now - transaction.startTick;
    this.#emit({ kind: 'kv.result', tick: now, peer: this.id, transaction: command.transaction, op: command.op, key: command.key, value, ok, reason, latencyTicks, replicas });
    this.#reply({
      type: 'kv.result',
      transaction: command.transaction,
      op: command.op,
      key: command.key,
      ok,
      value,
      binary,
      version: ok ? (read ? newest?.version : transaction.version) : undefined,
      reason,
      latencyTicks,
      replicas,
    });
  }

  /** Read repair: replicas that answered with an older version, or not at all, get the newest. */
  #finish(transaction: Transaction): void {
    this.#transactions.delete(transaction.command.transaction);
    if (transaction.command.op !== 'read') return;
    const newest = newestRecord(transaction);
    if (newest === undefined) return;
    for (const [index, answer] of transaction.answers.entries()) {
      if (answer === undefined) continue;
      const peer = transaction.targets[index] as PeerId;
      const stale = answer.ok ? answer.record !== undefined && compareVersions(answer.record.version, newest.version) < 0 : answer.reason === 'missing';
      if (!stale) continue;
      this.counters.repairsSent++;
      if (peer === this.id) this.#accept(newest, 'repair', transaction.startTick);
      else this.#send(peer, { type: 'kv.store', reason: 'repair', records: [newest], ack: false });
    }
  }

  /** A transaction refused before any replica was asked: decided at once. */
  #finishEarly(command: KvCommand, now: Tick, reason: KvFailure): void {
    this.counters.transactionsFailed++;
    // The journal holds valid keys only: an invalid one is named as such.
    const key = reason === 'invalid-key' ? '(invalid key)' : command.key;
    this.#emit({ kind: 'kv.result', tick: now, peer: this.id, transaction: command.transaction, op: command.op, key, ok: false, reason, latencyTicks: 0, replicas: [] });
    this.#reply({ type: 'kv.result', transaction: command.transaction, op: command.op, key: command.key, ok: false, reason, latencyTicks: 0, replicas: [] });
  }

  // ------------------------------------------------------------------------------------------
  // Replica

  #onKvMessage(from: PeerId, message: KvMessage, now: Tick): void {
    if (this.membership.status !== 'member') return;
    switch (message.type) {
      case 'kv.request': {
        const answer = this.#serve(message, now);
        this.#send(from, { type: 'kv.reply', transaction: message.transaction, ok: answer.ok, reason: answer.reason, record: answer.record });
        return;
      }
      case 'kv.reply':
        this.#onAnswer(from, message, now);
        return;
      case 'kv.store': {
        for (const record of message.records) this.#accept(record, message.reason, now);
        if (message.ack) this.#send(from, { type: 'kv.stored', keys: message.records.map((record) => record.key) });
        return;
      }
      case 'kv.stored':
        for (const key of message.keys) this.#acknowledged(from, key, now);
        return;
      case 'kv.digest': {
        const pull: string[] = [];
        const push = new Batches();
        for (const entry of message.entries) {
          const mine = this.#store.get(entry.key);
          if (mine === undefined || compareVersions(entry.version, mine.version) > 0) pull.push(entry.key);
          else if (compareVersions(mine.version, entry.version) > 0) push.add(from, mine);
        }
        this.#sendBatches(push, 'sync');
        for (const keys of chunks(pull, 1024)) this.#send(from, { type: 'kv.pull', keys });
        return;
      }
      case 'kv.pull': {
        const push = new Batches();
        for (const key of message.keys) {
          const record = this.#store.get(key);
          if (record !== undefined) push.add(from, record);
        }
        this.#sendBatches(push, 'sync');
        return;
      }
    }
  }

  /** Applies one client operation as a replica, with the classroom's semantics, and journals it. */
  #serve(request: Extract<KvMessage, { type: 'kv.request' }>, now: Tick): ReplicaAnswer {
    this.counters.requestsServed++;
    if (request.version) this.#observe(request.version);
    const stored = this.#store.get(request.key);
    const live = stored !== undefined && stored.deleted !== true;
    let answer: ReplicaAnswer;
    switch (request.op) {
      case 'read':
        answer = live ? { ok: true, record: stored } : { ok: false, reason: 'missing' };
        break;
      case 'create':
        if (live) answer = { ok: false, reason: 'exists' };
        else if (request.version === undefined || (stored !== undefined && !isNewer(request.version, stored.version))) answer = { ok: false, reason: 'stale' };
        else answer = { ok: true, record: this.#put(request, request.version) };
        break;
      case 'update':
        if (!live || request.version === undefined) answer = { ok: false, reason: 'missing' };
        // A concurrent newer write already won: this one is accepted and loses (last writer wins).
        else answer = { ok: true, record: isNewer(request.version, stored.version) ? this.#put(request, request.version) : stored };
        break;
      case 'delete':
        if (!live || request.version === undefined) answer = { ok: false, reason: 'missing' };
        else answer = { ok: true, record: isNewer(request.version, stored.version) ? this.#put(request, request.version, true) : stored };
        break;
    }
    const value = request.op === 'read' ? answer.record?.value : request.op === 'delete' ? undefined : request.value;
    this.#emit({ kind: 'kv.replica', tick: now, peer: this.id, transaction: request.transaction, op: request.op, key: request.key, value, ok: answer.ok, reason: answer.reason });
    return answer;
  }

  #put(request: { key: string; value?: string | undefined; binary?: true | undefined }, version: Version, deleted = false): KvRecord {
    const record: KvRecord = {
      key: request.key,
      value: deleted ? '' : (request.value ?? ''),
      ...(request.binary && !deleted ? { binary: true as const } : {}),
      ...(deleted ? { deleted: true as const } : {}),
      version,
    };
    this.#store.set(request.key, record);
    this.#handOffIfNotOwner(request.key);
    return record;
  }

  /**
   * A non-owner can come to hold a key outside a ring change: a coordinator whose ring differs, a
   * sloppy quorum, a sync from a peer with another view. It hands the key off like any other.
   */
  #handOffIfNotOwner(key: string): void {
    if (this.#handoffs.has(key) || !this.#ring.placesKeys || this.#ring.owns(this.id, key)) return;
    this.#handoffs.set(key, new Set());
  }

  /** A record from another replica: kept when newer. Never a client operation. */
  #accept(record: KvRecord, reason: 'repair' | 'handoff' | 'sync', now: Tick): void {
    this.#observe(record.version);
    const stored = this.#store.get(record.key);
    if (stored !== undefined && !isNewer(record.version, stored.version)) return;
    this.#store.set(record.key, record);
    this.#handOffIfNotOwner(record.key);
    this.#emit({ kind: 'store.changed', tick: now, peer: this.id, key: record.key, reason, deleted: record.deleted === true });
  }

  /** An owner has a key this peer handed off: once every owner has it, it is dropped here. */
  #acknowledged(owner: PeerId, key: string, now: Tick): void {
    const acknowledged = this.#handoffs.get(key);
    if (acknowledged === undefined) return;
    acknowledged.add(owner);
    const owners = this.#ring.preferenceList(key);
    if (owners.includes(this.id)) {
      this.#handoffs.delete(key);
      return;
    }
    if (owners.every((peer) => acknowledged.has(peer))) {
      this.#handoffs.delete(key);
      this.#store.delete(key);
      this.counters.recordsHandedOff++;
      this.#emit({ kind: 'store.dropped', tick: now, peer: this.id, key, reason: 'handed-off' });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Time

  #tick(now: Tick): void {
    for (const transaction of this.#transactions.values()) {
      if (now < transaction.startTick + this.config.replyTimeoutTicks) continue;
      if (!transaction.decided) this.#decide(transaction, false, now, 'timeout');
      this.#finish(transaction);
    }
    if (this.membership.status !== 'member') return;
    if (now >= this.#nextStabilizeTick) {
      this.#nextStabilizeTick = now + this.config.stabilizeIntervalTicks;
      this.#retryHandoffs();
      this.#collectTombstones(now);
    }
    if (now >= this.#nextAntiEntropyTick) {
      this.#nextAntiEntropyTick = now + this.config.antiEntropyIntervalTicks;
      this.#antiEntropy();
    }
  }

  #retryHandoffs(): void {
    if (this.#handoffs.size === 0 || !this.#ring.placesKeys) return;
    const batches = new Batches();
    for (const [key, acknowledged] of this.#handoffs) {
      const record = this.#store.get(key);
      const owners = this.#ring.preferenceList(key);
      if (record === undefined || owners.includes(this.id)) {
        this.#handoffs.delete(key);
        continue;
      }
      for (const owner of owners) if (!acknowledged.has(owner)) batches.add(owner, record, true);
    }
    this.#sendBatches(batches, 'handoff');
  }

  #collectTombstones(now: Tick): void {
    for (const [key, record] of this.#store) {
      if (record.deleted && now >= record.version.tick + this.config.tombstoneGraceTicks) {
        this.#store.delete(key);
        this.#handoffs.delete(key);
        this.#emit({ kind: 'store.dropped', tick: now, peer: this.id, key, reason: 'tombstone-expired' });
      }
    }
  }

  /** Sends each co-owner the versions of the keys the two share; it pulls or pushes the difference. */
  #antiEntropy(): void {
    if (!this.#ring.placesKeys) return;
    const digests = new Map<PeerId, { key: string; version: Version }[]>();
    for (const [key, record] of this.#store) {
      const owners = this.#ring.preferenceList(key);
      if (!owners.includes(this.id)) continue;
      for (const owner of owners) {
        if (owner === this.id) continue;
        let entries = digests.get(owner);
        if (entries === undefined) digests.set(owner, (entries = []));
        entries.push({ key, version: record.version });
      }
    }
    for (const [owner, entries] of digests) {
      for (const part of chunks(entries, Math.max(1, Math.floor(this.#messageBytesMax / 1200)))) {
        this.#send(owner, { type: 'kv.digest', entries: part });
      }
    }
  }

  #nextVersion(now: Tick): Version {
    if (now > this.#clockTick) {
      this.#clockTick = now;
      this.#clockCounter = 0;
    } else {
      this.#clockCounter++;
    }
    return { tick: this.#clockTick, counter: this.#clockCounter, peer: this.id };
  }

  /** Hybrid logical clock: never stamp a version older than one already seen. */
  #observe(version: Version): void {
    if (version.tick > this.#clockTick || (version.tick === this.#clockTick && version.counter > this.#clockCounter)) {
      this.#clockTick = version.tick;
      this.#clockCounter = version.counter;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Output

  #sendBatches(batches: Batches, reason: 'handoff' | 'sync'): void {
    const budget = this.#messageBytesMax - 256;
    for (const [peer, { records, ack }] of batches.byPeer) {
      let chunk: KvRecord[] = [];
      let bytes = 0;
      for (const record of records) {
        const size = recordBytes(record);
        if (chunk.length > 0 && (bytes + size > budget || chunk.length >= 1024)) {
          this.#send(peer, { type: 'kv.store', reason, records: chunk, ack });
          chunk = [];
          bytes = 0;
        }
        chunk.push(record);
        bytes += size;
      }
      if (chunk.length > 0) this.#send(peer, { type: 'kv.store', reason, records: chunk, ack });
    }
  }

  #send(to: PeerId, message: KvMessage): void {
    this.#outputs.push({ kind: 'send', to, message });
  }

  #emit(event: JournalEvent): void {
    this.#outputs.push({ kind: 'event', event });
  }

  #reply(reply: KvResult): void {
    this.#outputs.push({ kind: 'reply', reply });
  }
}

/** The wire bound of a key-value peer: a 1 MiB value fits with room for escaping. */
export const KV_MESSAGE_BYTES_MAX_DEFAULT = 8 * 1_048_576;

/** Records to send, grouped by peer. */
class Batches {
  readonly byPeer = new Map<PeerId, { records: KvRecord[]; ack: boolean }>();

  add(peer: PeerId, record: KvRecord, ack = false): void {
    let batch = this.byPeer.get(peer);
    if (batch === undefined) this.byPeer.set(peer, (batch = { records: [], ack }));
    batch.records.push(record);
  }
}

function newestRecord(transaction: Transaction): KvRecord | undefined {
  let newest: KvRecord | undefined;
  for (const answer of transaction.answers) {
    if (answer?.ok && answer.record && (newest === undefined || compareVersions(answer.record.version, newest.version) > 0)) newest = answer.record;
  }
  return newest;
}

/** The failure most replicas gave (missing, exists, …), for the coordinator's verdict. */
function commonReason(transaction: Transaction): KvFailure {
  const counts = new Map<KvFailure, number>();
  for (const answer of transaction.answers) if (answer && !answer.ok && answer.reason) counts.set(answer.reason, (counts.get(answer.reason) ?? 0) + 1);
  let best: KvFailure = 'no-quorum';
  let bestCount = 0;
  for (const [reason, count] of counts) if (count > bestCount) [best, bestCount] = [reason, count];
  return best;
}

/** A value's size in bytes: decoded base64, or UTF-8 (a surrogate pair is 4 bytes, 2 + 2 here). */
function valueBytes(value: string, binary: boolean): number {
  if (binary) {
    const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
    return Math.floor((value.length * 3) / 4) - padding;
  }
  let bytes = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    bytes += code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code <= 0xdfff) ? 2 : 3;
  }
  return bytes;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let index = 0; index < items.length; index += size) parts.push(items.slice(index, index + size));
  return parts;
}
