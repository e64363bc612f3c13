/**
 * What the parts of a key-value peer (coordinator, replica, stabilizer, ring sync) share: the
 * commands a client hands a peer, the results it gets back, and the context each part works in.
 */
import type { JournalEvent, RejectReason } from '../journal/events.ts';
import type { PeerId, Tick } from '../machine.ts';
import type { MembershipCommand, MembershipMachine, MembershipReply } from '../membership/types.ts';
import type { KvFailure, KvMessage, KvOperation, KvRecord, ReplicaAnswer as ReplicaAnswerWire, RingStateWire, Version } from '../protocol/kv.ts';
import type { MembershipMessage } from '../protocol/membership.ts';
import type { VersionClock } from './clock.ts';
import type { KvConfig } from './config.ts';
import type { Ownership } from './ownership.ts';
import type { ReplicaStore } from './store.ts';

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

/** Operator commands on the ring state (balanced placement): take a peer out of the ring for good. */
export interface KvRingCommand {
  readonly type: 'kv.remove';
  /** A peer that is gone and will not come back: its key ranges go to the others. */
  readonly peer: PeerId;
}

export type PeerCommand = MembershipCommand | KvCommand | KvRingCommand;

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
  /** Each replica asked, its answer if it came before the decision, and the role it was asked in. */
  readonly replicas: readonly ReplicaAnswerWire[];
}

export type PeerReply = MembershipReply | KvResult | { readonly type: 'kv.removed'; readonly peer: PeerId; readonly ok: boolean; readonly reason?: string };

export interface KvCounters {
  transactionsOk: number;
  transactionsFailed: number;
  requestsServed: number;
  repairsSent: number;
  recordsHandedOff: number;
  messagesRejected: number;
  /** Write rounds retried because a replica held a newer version. */
  writesRetried: number;
  /** Rounds retried because a replica's ring state differed (fencing). */
  ringRetries: number;
  /** Reads that wrote their value back before answering (replicas disagreed). */
  readWriteBacks: number;
  /** Records received from old owners in ring transitions. */
  recordsTransferred: number;
}

export function emptyKvCounters(): KvCounters {
  return {
    transactionsOk: 0,
    transactionsFailed: 0,
    requestsServed: 0,
    repairsSent: 0,
    recordsHandedOff: 0,
    messagesRejected: 0,
    writesRetried: 0,
    ringRetries: 0,
    readWriteBacks: 0,
    recordsTransferred: 0,
  };
}

/** A replica's answer to one request. */
export interface ReplicaAnswer {
  readonly ok: boolean;
  readonly reason?: KvFailure | undefined;
  readonly record?: KvRecord | undefined;
  readonly ringState?: RingStateWire | undefined;
}

/** Where every part of a peer reads its state and writes its outputs. */
export interface KvContext {
  readonly id: PeerId;
  readonly config: KvConfig;
  readonly counters: KvCounters;
  readonly store: ReplicaStore;
  readonly clock: VersionClock;
  readonly ownership: Ownership;
  readonly membership: MembershipMachine;
  readonly messageBytesMax: number;
  send(to: PeerId, message: KvMessage): void;
  emit(event: JournalEvent): void;
  reply(reply: PeerReply): void;
  reject(from: PeerId, reason: RejectReason, detail: string, now: Tick): void;
  /** Takes a ring state another peer sent (balanced placement); true if this peer's changed. */
  mergeRing(state: RingStateWire, from: PeerId, now: Tick): boolean;
  /** A record entered the store (a client write, repair, handoff or transfer). */
  kept(record: KvRecord, now: Tick): void;
  /** True when a value (with its key) is over the value or message size limit. */
  tooLarge(key: string, value: string, binary: boolean): boolean;
}
