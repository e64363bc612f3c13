/**
 * A key-value peer: a membership machine (gossip or SWIM) and a Dynamo-style replica store on
 * a consistent-hashing ring built from what the membership believes.
 *
 * - Any peer coordinates a client transaction: it sends the operation to the key's N owners and
 *   decides once, when R (reads) or W (writes) of them succeeded, when that can no longer happen,
 *   or when the reply timeout expires. A read returns the newest version it saw and repairs the
 *   replicas that answered with an older one (read repair).
 * - A write's condition (create: the key is absent; update and delete: present) is judged, by
 *   default, on a read quorum first: the coordinator asks R replicas for their records, judges the
 *   newest, and only then sends the write, which replicas apply by version alone. A refused write
 *   writes nothing. The classroom placement keeps the assignment's way instead: each replica
 *   judges for itself and journals a success or a fail (see `config.ts` for what that costs).
 * - Stabilization: when the ring changes, each peer gives its keys to their new owners, and
 *   hands off, then drops once every owner has acknowledged that version, the keys it no longer
 *   owns; unacknowledged handoffs are retried with backoff, and co-owners compare versions
 *   periodically (anti-entropy). None of this is journaled as a client operation.
 * - Hinted handoff (balanced placement): a write whose owner is suspected goes to the next peer
 *   of the preference list, which holds it as a non-owner and hands it back like any other key.
 * - Nothing off the network is trusted: records are checked for size, key and clock drift, and
 *   replication traffic from peers that are not members is refused, counted and journaled.
 *
 * The caller's duties are those of `machine.ts`; tunables are in `config.ts`.
 */
import { z } from 'zod';
import { assert, type Machine, type MachineInput, type MachineOutput, type PeerId, type Tick } from '../machine.ts';
import type { JournalEvent, RejectReason } from '../journal/events.ts';
import { createMembership, type MembershipOptions } from '../membership/create.ts';
import type { MembershipCommand, MembershipMachine, MembershipReply } from '../membership/types.ts';
import { createCodec } from '../protocol/codec.ts';
import {
  KV_ENVELOPE_BYTES,
  KV_MESSAGE_BYTES_MAX_DEFAULT,
  KV_MESSAGE_TYPES,
  RECORDS_PER_MESSAGE_MAX,
  compareVersions,
  isNewer,
  jsonStringBytes,
  keySchema,
  kvMessageSchema,
  kvOperationSchema,
  recordBytes,
  utf8Bytes,
  versionEntryBytes,
  type KvFailure,
  type KvMessage,
  type KvOperation,
  type KvRecord,
  type Version,
} from '../protocol/kv.ts';
import { gossipMessageSchema, MEMBERSHIP_MESSAGE_TYPES, swimMessageSchema, type MembershipMessage } from '../protocol/membership.ts';
import { HashCache } from '../ring/hash.ts';
import { Ring } from '../ring/ring.ts';
import { KV_DEFAULTS, kvConfigProblem, type KvConfig } from './config.ts';

export { KV_MESSAGE_BYTES_MAX_DEFAULT } from '../protocol/kv.ts';

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
type Request = Extract<KvMessage, { type: 'kv.request' }>;

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
  readonly startTick: Tick;
  /** 'check': asking R replicas for the records the condition is judged on; 'apply': the operation. */
  phase: 'check' | 'apply';
  phaseStartTick: Tick;
  quorum: number;
  version: Version | undefined;
  /** `answers[i]` is what `targets[i]` said in this phase, once it did. */
  answers: (ReplicaAnswer | undefined)[];
  answered: number;
  decided: boolean;
}

/** A key this peer holds but does not own, on its way to its owners. */
interface Handoff {
  /** The owners that have acknowledged the version held now. */
  readonly acknowledged: Set<PeerId>;
  attempts: number;
  nextTick: Tick;
}

const HANDOFF_BACKOFF_MAX = 32;

// Discriminated on `type`: each frame is checked against its own schema only (a plain union
// tries the membership schemas first and builds their errors for every key-value message).
const peerCodec = createCodec<PeerMessage>(
  z.discriminatedUnion('type', [gossipMessageSchema, swimMessageSchema, kvMessageSchema]) as unknown as z.ZodType<PeerMessage>,
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
  /** The largest message this peer sends or accepts (membership shares it). */
  readonly #messageBytesMax: number;
  readonly #hashes: HashCache;
  readonly #outputs: Output[] = [];
  readonly #store = new Map<string, KvRecord>();
  /** When each tombstone reached this replica: collection counts from here, not from its stamp. */
  readonly #tombstoneSince = new Map<string, Tick>();
  readonly #transactions = new Map<number, Transaction>();
  readonly #handoffs = new Map<string, Handoff>();
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

  /** Keys held here that wait for their owners' acknowledgement. */
  get pendingHandoffs(): number {
    return this.#handoffs.size;
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
        else this.#reject(input.from, decoded.error.reason, decoded.error.detail, now);
        break;
      }
      case 'command':
        if (input.command.type === 'kv.client') {
          this.#coordinate(input.command, now);
          break;
        }
        if (input.command.type === 'leave') this.#handOffBeforeLeaving(now);
        this.#membershipStep(input as MachineInput<MembershipMessage, MembershipCommand>, now);
        break;
    }
    return this.#outputs;
  }

  #receive(from: PeerId, message: PeerMessage, now: Tick): void {
    if (KV_MESSAGE_TYPES.has(message.type)) this.#onKvMessage(from, message as KvMessage, now);
    else this.#membershipStep({ kind: 'receive', from, message: message as MembershipMessage }, now);
  }

  #reject(from: PeerId, reason: RejectReason, detail: string, now: Tick): void {
    this.counters.messagesRejected++;
    this.#emit({ kind: 'message.rejected', tick: now, peer: this.id, from, reason, detail });
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
    this.#stabilize(previous, now);
  }

  /**
   * After a ring change: new co-owners of the keys this peer owns get them; keys it no longer
   * owns are handed off to their owners and dropped once they acknowledge.
   */
  #stabilize(previous: Ring, now: Tick): void {
    if (!this.#ring.placesKeys) return;
    const batches = new Batches();
    for (const [key, record] of this.#store) {
      const owners = this.#ring.preferenceList(key);
      if (owners.includes(this.id)) {
        this.#handoffs.delete(key);
        const before = previous.preferenceList(key);
        for (const owner of owners) if (owner !== this.id && !before.includes(owner)) batches.add(owner, record);
      } else {
        const handoff = this.#handoff(key, now);
        for (const owner of owners) if (!handoff.acknowledged.has(owner)) batches.add(owner, record, true);
      }
    }
    this.#sendRecords(batches, 'handoff');
  }

  /**
   * A graceful leave: every record goes to its owners on the ring without this peer, before the
   * group hears goodbye. After leaving the peer still takes their acknowledgements (and retries),
   * so its driver can wait for `pendingHandoffs` to reach zero before it exits.
   */
  #handOffBeforeLeaving(now: Tick): void {
    if (this.membership.status !== 'member') return;
    const previous = this.#ring;
    this.#ring = new Ring(this.config.ring, previous.peers.filter((peer) => peer !== this.id), this.#hashes);
    this.#stabilize(previous, now);
  }

  #handoff(key: string, now: Tick): Handoff {
    let handoff = this.#handoffs.get(key);
    if (handoff === undefined) {
      handoff = { acknowledged: new Set(), attempts: 0, nextTick: now + this.config.stabilizeIntervalTicks };
      this.#handoffs.set(key, handoff);
    }
    return handoff;
  }

  // ------------------------------------------------------------------------------------------
  // Coordinator

  #coordinate(command: KvCommand, now: Tick): void {
    const refuse = (reason: KvFailure): void => this.#refuseEarly(command, now, reason);
    if (!kvOperationSchema.safeParse(command.op).success || (command.value !== undefined && typeof command.value !== 'string')) return refuse('invalid-request');
    if (!keySchema.safeParse(command.key).success) return refuse('invalid-key');
    if (this.#transactions.has(command.transaction)) return refuse('duplicate');
    if (this.#transactions.size >= this.config.transactionsMax) return refuse('overloaded');
    if (writesValue(command.op) && this.#tooLarge(command.key, command.value ?? '', command.binary === true)) return refuse('too-large');
    if (this.membership.status !== 'member' || !this.#ring.placesKeys) return refuse('no-ring');

    // A put has no condition; the others are judged on a read quorum first, unless the classroom
    // way (each replica judges) is configured.
    const checkFirst = command.op !== 'read' && command.op !== 'put' && this.config.conditions === 'quorum';
    const transaction: Transaction = {
      command,
      targets: this.#targets(command.key),
      startTick: now,
      phase: checkFirst ? 'check' : 'apply',
      phaseStartTick: now,
      quorum: checkFirst || command.op === 'read' ? this.config.readQuorum : this.config.writeQuorum,
      version: undefined,
      answers: [],
      answered: 0,
      decided: false,
    };
    this.#transactions.set(command.transaction, transaction);
    if (checkFirst) this.#ask(transaction, { type: 'kv.request', transaction: command.transaction, op: 'read', key: command.key, check: true }, now);
    else this.#apply(transaction, now);
  }

  /** Sends the operation itself: reads, writes judged by each replica, or writes that passed. */
  #apply(transaction: Transaction, now: Tick): void {
    const { command } = transaction;
    const isWrite = command.op !== 'read';
    transaction.phase = 'apply';
    transaction.phaseStartTick = now;
    transaction.quorum = isWrite ? this.config.writeQuorum : this.config.readQuorum;
    transaction.answers = [];
    transaction.answered = 0;
    transaction.version = isWrite ? this.#nextVersion(now) : undefined;
    this.#ask(
      transaction,
      {
        type: 'kv.request',
        transaction: command.transaction,
        op: command.op,
        key: command.key,
        value: writesValue(command.op) ? (command.value ?? '') : undefined,
        binary: command.binary,
        version: transaction.version,
        blind: isWrite && (command.op === 'put' || this.config.conditions === 'quorum') ? true : undefined,
      },
      now,
    );
  }

  #ask(transaction: Transaction, request: Request, now: Tick): void {
    for (const target of transaction.targets) {
      if (target === this.id) this.#record(transaction, this.id, this.#serve(request, now));
      else this.#send(target, request);
    }
    this.#evaluate(transaction, now);
  }

  /** The key's owners; with hinted handoff, a suspected owner gives way to the next peer. */
  #targets(key: string): PeerId[] {
    const owners = this.#ring.preferenceList(key);
    if (!this.config.hintedHandoff || owners.every((owner) => this.#isAlive(owner))) return owners;
    const fallbacks = this.#ring.preferenceList(key, 2 * this.config.ring.replicas).slice(owners.length).filter((peer) => this.#isAlive(peer));
    return owners.map((owner) => (this.#isAlive(owner) ? owner : (fallbacks.shift() ?? owner)));
  }

  #isAlive(peer: PeerId): boolean {
    return this.membership.stateOf(peer) === 'alive';
  }

  #onAnswer(from: PeerId, message: Extract<KvMessage, { type: 'kv.reply' }>, now: Tick): void {
    const transaction = this.#transactions.get(message.transaction);
    if (transaction === undefined) return; // late: already decided and finished
    if ((message.check === true) !== (transaction.phase === 'check') || (message.record !== undefined && message.record.key !== transaction.command.key)) {
      this.#reject(from, 'mismatched', `an answer for transaction ${message.transaction} that is not for this phase or key`, now);
      return;
    }
    if (message.record !== undefined && !this.#believable(from, message.record.version, now)) return;
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
    if (transaction.decided) {
      if (transaction.answered === transaction.targets.length) this.#finish(transaction);
      return;
    }
    let successes = 0;
    let failures = 0;
    for (const answer of transaction.answers) {
      if (answer === undefined) continue;
      if (answer.ok) successes++;
      else failures++;
    }
    if (transaction.phase === 'check') {
      if (successes >= transaction.quorum) this.#judge(transaction, now);
      return;
    }
    if (successes >= transaction.quorum) this.#decide(transaction, true, now);
    else if (failures > transaction.targets.length - transaction.quorum) this.#decide(transaction, false, now, commonReason(transaction));
    if (transaction.answered === transaction.targets.length) this.#finish(transaction);
  }

  /** A write's condition, judged on the newest record a read quorum holds. */
  #judge(transaction: Transaction, now: Tick): void {
    const newest = newestRecord(transaction, true);
    const present = newest !== undefined && newest.deleted !== true;
    const wanted = transaction.command.op === 'create' ? !present : present;
    if (wanted) this.#apply(transaction, now);
    else {
      this.#decide(transaction, false, now, transaction.command.op === 'create' ? 'exists' : 'missing');
      this.#finish(transaction);
    }
  }

  #decide(transaction: Transaction, ok: boolean, now: Tick, reason?: KvFailure): void {
    transaction.decided = true;
    const { command } = transaction;
    const newest = newestRecord(transaction, false);
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

  /** Read repair: replicas that answered a read with an older version, or with nothing, get the newest. */
  #finish(transaction: Transaction): void {
    this.#transactions.delete(transaction.command.transaction);
    if (transaction.command.op !== 'read') return;
    const newest = newestRecord(transaction, false);
    if (newest === undefined) return;
    for (const [index, answer] of transaction.answers.entries()) {
      if (answer === undefined) continue; // no answer, no knowledge: handoff and anti-entropy cover it
      const stale = answer.ok ? answer.record !== undefined && compareVersions(answer.record.version, newest.version) < 0 : answer.reason === 'missing';
      if (!stale) continue;
      const peer = transaction.targets[index] as PeerId;
      this.counters.repairsSent++;
      if (peer === this.id) this.#accept(newest, 'repair', transaction.startTick);
      else this.#send(peer, { type: 'kv.store', reason: 'repair', records: [newest], ack: false });
    }
  }

  /** A transaction refused before any replica was asked: decided at once. */
  #refuseEarly(command: KvCommand, now: Tick, reason: KvFailure): void {
    this.counters.transactionsFailed++;
    // The journal holds valid keys and operations only: invalid ones are named as such.
    const key = reason === 'invalid-key' || !keySchema.safeParse(command.key).success ? '(invalid key)' : command.key;
    const op = kvOperationSchema.safeParse(command.op).success ? command.op : 'read';
    this.#emit({ kind: 'kv.result', tick: now, peer: this.id, transaction: command.transaction, op, key, ok: false, reason, latencyTicks: 0, replicas: [] });
    this.#reply({ type: 'kv.result', transaction: command.transaction, op, key: command.key, ok: false, reason, latencyTicks: 0, replicas: [] });
  }

  #tooLarge(key: string, value: string, binary: boolean): boolean {
    // At most 3 UTF-8 bytes and 6 JSON bytes a character: short values need no scan.
    if (3 * value.length <= this.config.valueBytesMax && 6 * (key.length + value.length) + 4 + KV_ENVELOPE_BYTES <= this.#messageBytesMax) return false;
    return valueBytes(value, binary) > this.config.valueBytesMax || jsonStringBytes(key) + jsonStringBytes(value) + KV_ENVELOPE_BYTES > this.#messageBytesMax;
  }

  // ------------------------------------------------------------------------------------------
  // Replica

  #onKvMessage(from: PeerId, message: KvMessage, now: Tick): void {
    if (this.membership.status !== 'member') {
      // Having left, a peer only hears the owners acknowledge the records it handed them.
      if (this.membership.status === 'left' && message.type === 'kv.stored') this.#onReplication(from, message, now);
      return;
    }
    switch (message.type) {
      case 'kv.request': {
        const answer = this.#serve(message, now);
        this.#send(from, { type: 'kv.reply', transaction: message.transaction, ok: answer.ok, reason: answer.reason, record: answer.record, check: message.check });
        return;
      }
      case 'kv.reply':
        this.#onAnswer(from, message, now);
        return;
      case 'kv.store':
      case 'kv.digest':
      case 'kv.pull':
      case 'kv.stored':
        // Replication traffic comes from members only.
        if (!this.membership.isMember(from)) {
          this.#reject(from, 'not-a-member', `${message.type} from a peer that is not a member`, now);
          return;
        }
        this.#onReplication(from, message, now);
        return;
    }
  }

  #onReplication(from: PeerId, message: Extract<KvMessage, { type: 'kv.store' | 'kv.digest' | 'kv.pull' | 'kv.stored' }>, now: Tick): void {
    switch (message.type) {
      case 'kv.store': {
        const kept: { key: string; version: Version }[] = [];
        for (const record of message.records) {
          if (this.#tooLarge(record.key, record.value, record.binary === true) || !this.#believable(from, record.version, now)) continue;
          this.#accept(record, message.reason, now);
          kept.push({ key: record.key, version: record.version });
        }
        if (message.ack && kept.length > 0) this.#send(from, { type: 'kv.stored', entries: kept });
        return;
      }
      case 'kv.stored':
        for (const entry of message.entries) this.#acknowledged(from, entry.key, entry.version, now);
        return;
      case 'kv.digest': {
        const pull: string[] = [];
        const push = new Batches();
        for (const entry of message.entries) {
          // Only keys the two share: a digest is no way to read what one does not own.
          if (!this.#ring.owns(from, entry.key)) continue;
          const mine = this.#store.get(entry.key);
          if (mine === undefined || compareVersions(entry.version, mine.version) > 0) pull.push(entry.key);
          else if (compareVersions(mine.version, entry.version) > 0) push.add(from, mine);
        }
        this.#sendRecords(push, 'sync');
        for (let index = 0; index < pull.length; index += RECORDS_PER_MESSAGE_MAX) this.#send(from, { type: 'kv.pull', keys: pull.slice(index, index + RECORDS_PER_MESSAGE_MAX) });
        return;
      }
      case 'kv.pull': {
        const push = new Batches();
        for (const key of message.keys) {
          const record = this.#store.get(key);
          if (record !== undefined && this.#ring.owns(from, key)) push.add(from, record);
        }
        this.#sendRecords(push, 'sync');
        return;
      }
    }
  }

  /** Applies one client operation as a replica, and journals it (a condition check is neither). */
  #serve(request: Request, now: Tick): ReplicaAnswer {
    this.counters.requestsServed++;
    const stored = this.#store.get(request.key);
    if (request.check) return { ok: true, record: stored };
    let answer: ReplicaAnswer;
    if (request.version !== undefined && request.version.tick > now + this.config.clockDriftMaxTicks) {
      answer = { ok: false, reason: 'clock-skew' };
    } else if (writesValue(request.op) && this.#tooLarge(request.key, request.value ?? '', request.binary === true)) {
      answer = { ok: false, reason: 'too-large' };
    } else {
      if (request.version) this.#observe(request.version);
      answer = request.blind ? this.#applyBlind(request, stored, now) : this.#applyConditional(request, stored, now);
    }
    const value = request.op === 'read' ? answer.record?.value : request.op === 'delete' ? undefined : request.value;
    this.#emit({ kind: 'kv.replica', tick: now, peer: this.id, transaction: request.transaction, op: request.op, key: request.key, value, ok: answer.ok, reason: answer.reason });
    return answer;
  }

  /** The classroom's semantics: each replica judges the condition on what it holds. */
  #applyConditional(request: Request, stored: KvRecord | undefined, now: Tick): ReplicaAnswer {
    const live = stored !== undefined && stored.deleted !== true;
    const version = request.version;
    switch (request.op) {
      case 'read':
        return live ? { ok: true, record: stored } : { ok: false, reason: 'missing' };
      case 'create':
        if (live) return { ok: false, reason: 'exists' };
        if (version === undefined || (stored !== undefined && !isNewer(version, stored.version))) return { ok: false, reason: 'stale' };
        return { ok: true, record: this.#put(request, version, false, now) };
      case 'put':
        return this.#applyBlind(request, stored, now);
      case 'update':
      case 'delete':
        if (!live || version === undefined) return { ok: false, reason: 'missing' };
        // A concurrent newer write already won: this one is accepted and loses (last writer wins).
        return { ok: true, record: isNewer(version, stored.version) ? this.#put(request, version, request.op === 'delete', now) : stored };
    }
  }

  /** A write whose condition passed at the coordinator: applied by version alone. */
  #applyBlind(request: Request, stored: KvRecord | undefined, now: Tick): ReplicaAnswer {
    if (request.op === 'read' || request.version === undefined) return { ok: false, reason: 'stale' };
    const record = stored === undefined || isNewer(request.version, stored.version) ? this.#put(request, request.version, request.op === 'delete', now) : stored;
    return { ok: true, record };
  }

  #put(request: { key: string; value?: string | undefined; binary?: true | undefined }, version: Version, deleted: boolean, now: Tick): KvRecord {
    const record: KvRecord = { key: request.key, value: deleted ? '' : (request.value ?? ''), binary: request.binary && !deleted ? true : undefined, deleted: deleted ? true : undefined, version };
    this.#keep(record, now);
    return record;
  }

  /** A record from another replica: kept when newer. Never a client operation. */
  #accept(record: KvRecord, reason: 'repair' | 'handoff' | 'sync', now: Tick): void {
    this.#observe(record.version);
    const stored = this.#store.get(record.key);
    if (stored !== undefined && !isNewer(record.version, stored.version)) return;
    this.#keep(record, now);
    this.#emit({ kind: 'store.changed', tick: now, peer: this.id, key: record.key, reason, deleted: record.deleted === true });
  }

  /**
   * Every way a record enters the store. A new version needs every owner's acknowledgement
   * afresh; and a non-owner can come to hold a key outside a ring change (a coordinator whose
   * ring differs, a sloppy quorum), so it starts handing it off at once.
   */
  #keep(record: KvRecord, now: Tick): void {
    this.#store.set(record.key, record);
    if (record.deleted) this.#tombstoneSince.set(record.key, now);
    else this.#tombstoneSince.delete(record.key);
    this.#handoffs.delete(record.key);
    if (this.#ring.placesKeys && !this.#ring.owns(this.id, record.key)) this.#handoff(record.key, now);
  }

  /** An owner holds this version: once every owner does, this non-owner lets the key go. */
  #acknowledged(owner: PeerId, key: string, version: Version, now: Tick): void {
    const handoff = this.#handoffs.get(key);
    const record = this.#store.get(key);
    if (handoff === undefined || record === undefined || compareVersions(record.version, version) !== 0) return;
    handoff.acknowledged.add(owner);
    const owners = this.#ring.preferenceList(key);
    if (owners.length === 0) return; // no ring to hand off to: keep it
    if (owners.includes(this.id)) {
      this.#handoffs.delete(key);
      return;
    }
    if (owners.every((peer) => handoff.acknowledged.has(peer))) {
      this.#handoffs.delete(key);
      this.#store.delete(key);
      this.#tombstoneSince.delete(key);
      this.counters.recordsHandedOff++;
      this.#emit({ kind: 'store.dropped', tick: now, peer: this.id, key, reason: 'handed-off' });
    }
  }

  /** A version stamped further ahead than clocks drift is refused, counted and journaled. */
  #believable(from: PeerId, version: Version, now: Tick): boolean {
    if (version.tick <= now + this.config.clockDriftMaxTicks) return true;
    this.#reject(from, 'clock-skew', `a version at tick ${version.tick}, ${version.tick - now} ticks ahead`, now);
    return false;
  }

  // ------------------------------------------------------------------------------------------
  // Time

  #tick(now: Tick): void {
    for (const transaction of this.#transactions.values()) {
      if (now < transaction.phaseStartTick + this.config.replyTimeoutTicks) continue;
      if (!transaction.decided) this.#decide(transaction, false, now, 'timeout');
      this.#finish(transaction);
    }
    if (this.membership.status === 'left' && this.#handoffs.size > 0 && now >= this.#nextStabilizeTick) {
      this.#nextStabilizeTick = now + this.config.stabilizeIntervalTicks;
      this.#retryHandoffs(now);
    }
    if (this.membership.status !== 'member') return;
    if (now >= this.#nextStabilizeTick) {
      this.#nextStabilizeTick = now + this.config.stabilizeIntervalTicks;
      this.#retryHandoffs(now);
      this.#collectTombstones(now);
    }
    if (now >= this.#nextAntiEntropyTick) {
      this.#nextAntiEntropyTick = now + this.config.antiEntropyIntervalTicks;
      this.#antiEntropy();
    }
  }

  /** Resends what owners have not acknowledged, backing off so an unreachable owner costs little. */
  #retryHandoffs(now: Tick): void {
    if (this.#handoffs.size === 0 || !this.#ring.placesKeys) return;
    const batches = new Batches();
    for (const [key, handoff] of this.#handoffs) {
      const record = this.#store.get(key);
      const owners = this.#ring.preferenceList(key);
      if (record === undefined || owners.includes(this.id)) {
        this.#handoffs.delete(key);
        continue;
      }
      if (now < handoff.nextTick) continue;
      handoff.attempts++;
      handoff.nextTick = now + this.config.stabilizeIntervalTicks * Math.min(HANDOFF_BACKOFF_MAX, 2 ** (handoff.attempts - 1));
      for (const owner of owners) if (!handoff.acknowledged.has(owner)) batches.add(owner, record, true);
    }
    this.#sendRecords(batches, 'handoff');
  }

  #collectTombstones(now: Tick): void {
    for (const [key, since] of this.#tombstoneSince) {
      if (now < since + this.config.tombstoneGraceTicks) continue;
      this.#store.delete(key);
      this.#tombstoneSince.delete(key);
      this.#handoffs.delete(key);
      this.#emit({ kind: 'store.dropped', tick: now, peer: this.id, key, reason: 'tombstone-expired' });
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
      for (const part of this.#chunk(entries, versionEntryBytes)) this.#send(owner, { type: 'kv.digest', entries: part });
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

  /** Hybrid logical clock: never stamp a version older than one already seen (and believed). */
  #observe(version: Version): void {
    if (version.tick > this.#clockTick || (version.tick === this.#clockTick && version.counter > this.#clockCounter)) {
      this.#clockTick = version.tick;
      this.#clockCounter = version.counter;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Output

  /** Splits items into messages that respect both the record count and the byte limits. */
  #chunk<T>(items: readonly T[], bytesOf: (item: T) => number): T[][] {
    const budget = this.#messageBytesMax - KV_ENVELOPE_BYTES;
    const chunks: T[][] = [];
    let chunk: T[] = [];
    let bytes = 0;
    for (const item of items) {
      const size = bytesOf(item);
      if (chunk.length > 0 && (bytes + size > budget || chunk.length >= RECORDS_PER_MESSAGE_MAX)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(item);
      bytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
    return chunks;
  }

  #sendRecords(batches: Batches, reason: 'handoff' | 'sync'): void {
    for (const [peer, { records, ack }] of batches.byPeer) {
      for (const part of this.#chunk(records, recordBytes)) this.#send(peer, { type: 'kv.store', reason, records: part, ack });
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

/** Records to send, grouped by peer. */
class Batches {
  readonly byPeer = new Map<PeerId, { records: KvRecord[]; ack: boolean }>();

  add(peer: PeerId, record: KvRecord, ack = false): void {
    let batch = this.byPeer.get(peer);
    if (batch === undefined) this.byPeer.set(peer, (batch = { records: [], ack }));
    batch.records.push(record);
  }
}

/** The newest record among the answers: of the ok ones, or (a condition check) of all. */
function newestRecord(transaction: Transaction, includeTombstones: boolean): KvRecord | undefined {
  let newest: KvRecord | undefined;
  for (const answer of transaction.answers) {
    const record = answer?.ok ? answer.record : undefined;
    if (record === undefined || (!includeTombstones && record.deleted)) continue;
    if (newest === undefined || compareVersions(record.version, newest.version) > 0) newest = record;
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

function writesValue(op: KvOperation): boolean {
  return op === 'create' || op === 'update' || op === 'put';
}

/** A value's size in bytes: decoded base64 (padding counted), or UTF-8. */
function valueBytes(value: string, binary: boolean): number {
  if (!binary) return utf8Bytes(value);
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return Math.floor((value.length * 3) / 4) - padding;
}
