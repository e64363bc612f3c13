/**
 * A key-value peer: a membership machine (gossip or SWIM) and a Dynamo-style replica store on a
 * consistent-hashing ring. One machine, in parts with one concept each:
 *
 * - `coordinator.ts`: any peer coordinates a client's operation in quorum rounds, and decides it
 *   once (strict or sloppy quorums; versions that respect real-time order; reads that write back);
 * - `replica.ts`: answers requests on what the store holds, never ok for a write it did not apply;
 * - `stabilizer.ts`: handoff, anti-entropy and tombstones keep every key on its owners;
 * - `ownership.ts`, `ring-state.ts`, `ring-sync.ts`: who owns a key. With the balanced placement,
 *   an explicit ring changed only by joins, leaves and removals (never by a failure detected),
 *   one fenced transition at a time; the classroom placement follows membership instead;
 * - `store.ts`: where the records live (memory here; a database in a peer process).
 *
 * Nothing off the network is trusted: records are checked for size, key and clock drift, and
 * replication traffic from peers that are not members is refused, counted and journaled.
 *
 * The caller's duties are those of `machine.ts`, and one more: a change the machine makes to its
 * store during a step must be durable before that step's outputs leave (the store's contract).
 * Tunables are in `config.ts`.
 */
import { z } from 'zod';
import { assert, type Machine, type MachineInput, type MachineOutput, type PeerId, type Tick } from '../machine.ts';
import type { JournalEvent, RejectReason } from '../journal/events.ts';
import { createMembership, type MembershipOptions } from '../membership/create.ts';
import type { MembershipCommand, MembershipMachine } from '../membership/types.ts';
import { createCodec } from '../protocol/codec.ts';
import { KV_ENVELOPE_BYTES, KV_MESSAGE_BYTES_MAX_DEFAULT, KV_MESSAGE_TYPES, jsonStringBytes, kvMessageSchema, utf8Bytes, type KvMessage, type KvRecord, type RingEntry, type RingStateWire } from '../protocol/kv.ts';
import { gossipMessageSchema, MEMBERSHIP_MESSAGE_TYPES, swimMessageSchema, type MembershipMessage } from '../protocol/membership.ts';
import { HashCache } from '../ring/hash.ts';
import { Ring } from '../ring/ring.ts';
import { VersionClock } from './clock.ts';
import { KV_DEFAULTS, kvConfigProblem, type KvConfig } from './config.ts';
import { Coordinator } from './coordinator.ts';
import { Ownership } from './ownership.ts';
import { Replica } from './replica.ts';
import type { RingTransition } from './ring-state.ts';
import { RingSync } from './ring-sync.ts';
import { Stabilizer } from './stabilizer.ts';
import { MemoryStore, type ReplicaStore } from './store.ts';
import { emptyKvCounters, type KvContext, type KvCounters, type PeerCommand, type PeerMessage, type PeerReply } from './types.ts';

export { KV_MESSAGE_BYTES_MAX_DEFAULT } from '../protocol/kv.ts';
export type { KvCommand, KvCounters, KvResult, PeerCommand, PeerMessage, PeerReply } from './types.ts';

type Input = MachineInput<PeerMessage, PeerCommand>;
type Output = MachineOutput<PeerMessage, PeerReply>;

export interface KvPeerOptions extends MembershipOptions {
  readonly kv?: Partial<KvConfig>;
  /** Where the records live; default a new memory store (nothing survives the machine). */
  readonly store?: ReplicaStore;
  /** Explicit ownership: the peers that own keys from the start (a cluster started whole). */
  readonly ringSeed?: readonly PeerId[];
}

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
  readonly counters: KvCounters = emptyKvCounters();
  readonly store: ReplicaStore;
  /** The largest message this peer sends or accepts (membership shares it). */
  readonly #messageBytesMax: number;
  readonly #hashes: HashCache;
  readonly #outputs: Output[] = [];
  readonly #ownership: Ownership;
  readonly #replica: Replica;
  readonly #coordinator: Coordinator;
  readonly #stabilizer: Stabilizer;
  readonly #ringSync: RingSync | undefined;
  #joinIntroducers = 0;
  /** A leave asked for while this peer still owns keys: the group hears goodbye once it does not. */
  #leaveWhenOutOfRing = false;

  constructor(options: KvPeerOptions, hashes: HashCache = new HashCache()) {
    this.id = options.id;
    this.config = { ...KV_DEFAULTS, ...options.kv };
    const problem = kvConfigProblem(this.config);
    assert(problem === undefined, problem ?? '');
    this.#messageBytesMax = options.messageBytesMax ?? KV_MESSAGE_BYTES_MAX_DEFAULT;
    this.membership = createMembership({ ...options, messageBytesMax: this.#messageBytesMax });
    this.#hashes = hashes;
    this.store = options.store ?? new MemoryStore();
    this.#ownership = new Ownership(this.config.ownership, this.config.ring, this.config, hashes);
    const clock = new VersionClock(this.id);
    // What was kept: the clock never stamps below it, handoffs resume once the ring is known.
    for (const record of this.store.records()) clock.observe(record.version);
    const context: KvContext = {
      id: this.id,
      config: this.config,
      counters: this.counters,
      store: this.store,
      clock,
      ownership: this.#ownership,
      membership: this.membership,
      messageBytesMax: this.#messageBytesMax,
      send: (to, message) => this.#outputs.push({ kind: 'send', to, message }),
      emit: (event) => this.#emit(event),
      reply: (reply) => this.#outputs.push({ kind: 'reply', reply }),
      reject: (from, reason, detail, now) => this.#reject(from, reason, detail, now),
      mergeRing: (state, from, now) => this.#ringSync?.merge(state, now, from) ?? false,
      kept: (record, now) => this.#stabilizer.kept(record, now),
      tooLarge: (key, value, binary) => this.#tooLarge(key, value, binary),
    };
    this.#replica = new Replica(context);
    this.#stabilizer = new Stabilizer(context, this.#replica);
    this.#coordinator = new Coordinator(context, this.#replica);
    this.#ringSync = this.#ownership.state === undefined ? undefined : new RingSync(context, this.#ownership.state, this.#replica, this.#stabilizer, options.ringSeed);
  }

  /** The ring keys belong to now (during a transition, the ring before it). */
  get ring(): Ring {
    return this.#ownership.ring;
  }

  /** The ring transition in progress, if any (explicit ownership). */
  get transition(): RingTransition | undefined {
    return this.#ownership.transition;
  }

  /** The ring state's entries (explicit ownership): who owns keys, who joins or leaves. */
  ringEntries(): RingEntry[] {
    return this.#ownership.state?.entries() ?? [];
  }

  ringState(): RingStateWire | undefined {
    return this.#ownership.state?.toWire();
  }

  /** What this peer's requests carry for fencing (explicit ownership). */
  get ringFingerprint(): string | undefined {
    return this.#ownership.fingerprint;
  }

  /** What this replica holds, tombstones included. */
  records(): KvRecord[] {
    return [...this.store.records()];
  }

  record(key: string): KvRecord | undefined {
    return this.store.get(key);
  }

  /** Keys held here that wait for their owners' acknowledgement. */
  get pendingHandoffs(): number {
    return this.#stabilizer.pendingHandoffs;
  }

  /** A leave was asked for and the group has not heard goodbye yet (its ranges are still moving). */
  get leaving(): boolean {
    return this.#leaveWhenOutOfRing;
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
        this.#command(input.command, now);
        break;
    }
    return this.#outputs;
  }

  #command(command: PeerCommand, now: Tick): void {
    switch (command.type) {
      case 'kv.client':
        this.#coordinator.coordinate(command, now);
        return;
      case 'kv.remove': {
        const outcome = this.#ringSync?.remove(command.peer, now) ?? { ok: false, reason: 'ownership follows membership here: a gone peer leaves the ring when it is found failed' };
        this.#outputs.push({ kind: 'reply', reply: { type: 'kv.removed', peer: command.peer, ...outcome } });
        return;
      }
      case 'join':
        this.#joinIntroducers = command.introducers.length;
        this.#membershipStep({ kind: 'command', command }, now);
        return;
      case 'leave':
        if (this.#ringSync !== undefined && this.membership.status === 'member') {
          // The ring lets it go first (its ranges reach their new owners), then the group.
          this.#ringSync.leave(now);
          this.#leaveWhenOutOfRing = true;
          this.#leaveIfOutOfRing(now);
          return;
        }
        this.#handOffBeforeLeaving(now);
        this.#membershipStep({ kind: 'command', command }, now);
        return;
    }
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
    const statusBefore = this.membership.status;
    let changed = false;
    const added: PeerId[] = [];
    for (const output of this.membership.step(input, now)) {
      this.#outputs.push(output);
      if (output.kind !== 'event') continue;
      const kind = output.event.kind;
      if (kind === 'member.added' || kind === 'member.removed' || kind === 'member.left') changed = true;
      if (kind === 'member.added') added.push(output.event.subject);
    }
    if (this.#ringSync !== undefined) {
      if (statusBefore !== 'member' && this.membership.status === 'member') this.#ringSync.joined(this.#joinIntroducers, now);
      for (const subject of added) this.#ringSync.memberAdded(subject);
    } else if (changed) this.#rebuildMembershipRing(now);
  }

  /** Membership ownership: the ring is the members; keys move when it changes. */
  #rebuildMembershipRing(now: Tick): void {
    const members = this.membership.members().filter((view) => view.state === 'alive' || view.state === 'suspect').map((view) => view.id);
    const next = new Ring(this.config.ring, members, this.#hashes);
    const previous = this.#ownership.ring;
    if (next.peers.length === previous.peers.length && next.peers.every((peer, index) => peer === previous.peers[index])) return;
    this.#ownership.setMembershipRing(next);
    this.#emit({ kind: 'ring.changed', tick: now, peer: this.id, members: next.peers.length });
    this.#stabilizer.stabilize((peer, key) => previous.owns(peer, key), now);
  }

  /**
   * A graceful leave, membership ownership: every record goes to its owners on the ring without
   * this peer, before the group hears goodbye. After leaving the peer still takes their
   * acknowledgements (and retries), so its driver can wait for `pendingHandoffs` to reach zero.
   */
  #handOffBeforeLeaving(now: Tick): void {
    if (this.membership.status !== 'member' || this.#ringSync !== undefined) return;
    const previous = this.#ownership.ring;
    this.#ownership.setMembershipRing(new Ring(this.config.ring, previous.peers.filter((peer) => peer !== this.id), this.#hashes));
    this.#stabilizer.stabilize((peer, key) => previous.owns(peer, key), now);
  }

  /**
   * Explicit ownership: once the ring no longer has this leaving peer (its gainers have pulled its
   * ranges, and it hands what it held to the owners), it says goodbye to the group.
   */
  #leaveIfOutOfRing(now: Tick): void {
    if (!this.#leaveWhenOutOfRing || this.#ringSync?.leaveComplete !== true) return;
    this.#leaveWhenOutOfRing = false;
    this.#membershipStep({ kind: 'command', command: { type: 'leave' } }, now);
  }

  // ------------------------------------------------------------------------------------------
  // Messages and time

  #onKvMessage(from: PeerId, message: KvMessage, now: Tick): void {
    if (this.membership.status !== 'member') {
      // Having left, a peer only hears the owners acknowledge the records it handed them; joining,
      // it may hear the ring state from the peer that let it in (before its own welcome arrives).
      if (this.membership.status === 'left' && message.type === 'kv.stored') this.#stabilizer.onReplication(from, message, now);
      else if (this.membership.status === 'joining' && message.type === 'kv.ring') this.#ringSync?.merge(message.state, now);
      return;
    }
    switch (message.type) {
      case 'kv.request': {
        const answer = this.#replica.serve(from, message, now);
        this.#outputs.push({
          kind: 'send',
          to: from,
          message: {
            type: 'kv.reply',
            transaction: message.transaction,
            ok: answer.ok,
            reason: answer.reason,
            record: answer.record,
            check: message.check,
            ...(message.attempt !== undefined ? { attempt: message.attempt } : {}),
            ...(answer.ringState !== undefined ? { ringState: answer.ringState } : {}),
          },
        });
        return;
      }
      case 'kv.reply':
        this.#coordinator.onAnswer(from, message, now);
        return;
      case 'kv.ring':
      case 'kv.transfer':
      case 'kv.transfer.part':
        if (!this.#replicationFromMember(from, message.type, now)) return;
        if (this.#ringSync === undefined) this.#reject(from, 'wrong-protocol', `${message.type} to a peer whose ownership follows membership`, now);
        else this.#ringSync.onMessage(from, message, now);
        return;
      case 'kv.store':
      case 'kv.digest':
      case 'kv.pull':
      case 'kv.stored':
        if (this.#replicationFromMember(from, message.type, now)) this.#stabilizer.onReplication(from, message, now);
        return;
    }
  }

  /** Replication traffic comes from members only. */
  #replicationFromMember(from: PeerId, type: string, now: Tick): boolean {
    if (this.membership.isMember(from)) return true;
    this.#reject(from, 'not-a-member', `${type} from a peer that is not a member`, now);
    return false;
  }

  #tick(now: Tick): void {
    this.#coordinator.tick(now);
    const status = this.membership.status;
    if (this.#ringSync !== undefined && status === 'member') this.#ringSync.tick(now);
    this.#leaveIfOutOfRing(now);
    this.#stabilizer.tick(now, status === 'member' ? 'member' : status === 'left' ? 'left' : 'other');
  }

  #tooLarge(key: string, value: string, binary: boolean): boolean {
    // At most 3 UTF-8 bytes and 6 JSON bytes a character: short values need no scan.
    if (3 * value.length <= this.config.valueBytesMax && 6 * (key.length + value.length) + 4 + KV_ENVELOPE_BYTES <= this.#messageBytesMax) return false;
    return valueBytes(value, binary) > this.config.valueBytesMax || jsonStringBytes(key) + jsonStringBytes(value) + KV_ENVELOPE_BYTES > this.#messageBytesMax;
  }

  #emit(event: JournalEvent): void {
    this.#outputs.push({ kind: 'event', event });
  }
}

/** A value's size in bytes: decoded base64 (padding counted), or UTF-8. */
function valueBytes(value: string, binary: boolean): number {
  if (!binary) return utf8Bytes(value);
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return Math.floor((value.length * 3) / 4) - padding;
}
