/**
 * Wire messages of the key-value store. A record carries its version, a hybrid logical clock
 * stamp (tick, counter, writer), so replicas can be compared and repaired: the newest version
 * wins (last writer wins), and a delete is a record too (a tombstone), so it wins over the value
 * it deleted wherever the two meet.
 */
import { z } from 'zod';
import { peerIdSchema } from './peer-id.ts';

const counter = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Keys: 1-1024 characters, no control characters. */
export const KEY_LENGTH_MAX = 1024;
export const keySchema = z
  .string()
  .min(1)
  .max(KEY_LENGTH_MAX)
  .refine((key) => !hasControlCharacter(key), 'a key has no control characters');

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Values up to this size are stored; larger ones are refused with a clear error. 1 MiB. */
export const VALUE_BYTES_MAX_DEFAULT = 1_048_576;
/** Records one store message carries at most; handoffs and syncs are chunked. */
export const RECORDS_PER_MESSAGE_MAX = 4096;

/**
 * The classroom's four operations, and put: write whether or not the key exists (Dynamo's put,
 * Redis's SET), applied by version alone in one round trip.
 */
export const kvOperationSchema = z.enum(['create', 'read', 'update', 'delete', 'put']);
export type KvOperation = z.infer<typeof kvOperationSchema>;

/** Why a replica or a coordinator said no. Wire values: append only. */
export const kvFailureSchema = z.enum([
  'exists',
  'missing',
  'stale',
  'too-large',
  'no-quorum',
  'timeout',
  'no-ring',
  'duplicate',
  'overloaded',
  'invalid-key',
  'invalid-request',
  'clock-skew',
  /** The coordinator's ring state differs from the replica's: they exchange it and retry. */
  'ring-changed',
]);
export type KvFailure = z.infer<typeof kvFailureSchema>;

/** A hybrid logical clock stamp: compare tick, then counter, then writer. */
export const versionSchema = z.object({ tick: counter, counter, peer: peerIdSchema });
export type Version = z.infer<typeof versionSchema>;

export const recordSchema = z.object({
  key: keySchema,
  /** Text, or base64 when `binary`. Empty for a tombstone. */
  value: z.string(),
  binary: z.literal(true).optional(),
  deleted: z.literal(true).optional(),
  version: versionSchema,
});
export type KvRecord = z.infer<typeof recordSchema>;

const records = z.array(recordSchema).max(RECORDS_PER_MESSAGE_MAX);

/**
 * The ring state (`kv/ring-state.ts`): who owns keys, and who is joining or leaving. Each peer's
 * entry is a last-writer-wins register ordered by stamp, then status (a transition's end has the
 * stamp of its start and a later status). Wire values: append only.
 */
export const ringStatusSchema = z.enum(['joining', 'normal', 'leaving', 'removed']);
export type RingStatus = z.infer<typeof ringStatusSchema>;
/** Peers a ring state holds at most (joined ever, left included). */
export const RING_ENTRIES_MAX = 4096;
export const ringEntrySchema = z.object({ peer: peerIdSchema, status: ringStatusSchema, stamp: counter });
export type RingEntry = z.infer<typeof ringEntrySchema>;
/** A peer that has received every key range a transition gives it (written by that peer only). */
export const caughtUpSchema = z.object({ peer: peerIdSchema, transition: z.string().max(64), stamp: counter });
export type CaughtUp = z.infer<typeof caughtUpSchema>;
export const ringStateSchema = z.object({
  entries: z.array(ringEntrySchema).max(RING_ENTRIES_MAX),
  caughtUp: z.array(caughtUpSchema).max(RING_ENTRIES_MAX),
});
export type RingStateWire = z.infer<typeof ringStateSchema>;
/** The fingerprint of a ring state's entries, carried by every request so replicas can fence. */
const ringHash = z.string().max(32);
const keys = z.array(keySchema).max(RECORDS_PER_MESSAGE_MAX);

export const kvMessageSchema = z.discriminatedUnion('type', [
  /**
   * Coordinator → replica: apply one operation. Writes carry the coordinator's version.
   * `check`: only answer with the stored record (tombstones included), apply and journal nothing:
   * the first phase of a write whose condition is judged on a read quorum. `blind`: apply by
   * version alone (last writer wins), the condition having passed at the coordinator.
   */
  z.object({
    type: z.literal('kv.request'),
    transaction: counter,
    op: kvOperationSchema,
    key: keySchema,
    value: z.string().optional(),
    binary: z.literal(true).optional(),
    version: versionSchema.optional(),
    check: z.literal(true).optional(),
    blind: z.literal(true).optional(),
    /**
     * A read's write-back (ABD): keep this record if it is newer, and answer ok when the replica
     * then holds this version or a newer one. Never journaled as a client operation.
     */
    writeBack: z.literal(true).optional(),
    /** Which of the transaction's rounds this is; the reply echoes it, so a late one is ignored. */
    attempt: counter.optional(),
    /** The coordinator's ring state fingerprint (balanced placement): a replica refuses a mismatch. */
    ring: ringHash.optional(),
    /** The coordinator's ring state, sent again after a `ring-changed` refusal. */
    ringState: ringStateSchema.optional(),
  }),
  /** Replica → coordinator: what happened; a read or a write that succeeded carries the record. */
  z.object({
    type: z.literal('kv.reply'),
    transaction: counter,
    ok: z.boolean(),
    reason: kvFailureSchema.optional(),
    record: recordSchema.optional(),
    /** Echoes the request's `check`, so a late answer is never taken for the other phase. */
    check: z.literal(true).optional(),
    /** Echoes the request's `attempt`. */
    attempt: counter.optional(),
    /** With `ring-changed`: the replica's ring state, for the coordinator to merge. */
    ringState: ringStateSchema.optional(),
  }),
  /**
   * Records moving between replicas outside client operations: read repair, handoff to new owners
   * (stabilization, hinted handoff) and anti-entropy. Never logged as a CRUD operation.
   */
  z.object({
    type: z.literal('kv.store'),
    reason: z.enum(['repair', 'handoff', 'sync']),
    records,
    /** Answer with kv.stored so the sender may drop what it no longer owns. */
    ack: z.boolean(),
  }),
  /** The records of a kv.store with `ack` that the receiver now holds, by version. */
  z.object({
    type: z.literal('kv.stored'),
    entries: z.array(z.object({ key: keySchema, version: versionSchema })).max(RECORDS_PER_MESSAGE_MAX),
  }),
  /** Anti-entropy between co-owners: the versions of shared keys. */
  z.object({
    type: z.literal('kv.digest'),
    /** `deleted`: the sender holds a tombstone of this version. */
    entries: z.array(z.object({ key: keySchema, version: versionSchema, deleted: z.literal(true).optional() })).max(RECORDS_PER_MESSAGE_MAX),
  }),
  /** Asks for the records of `keys` (the sender's digest showed newer ones). */
  z.object({ type: z.literal('kv.pull'), keys }),
  /** The sender's ring state (on a change, and periodically to one peer): merge it. */
  z.object({ type: z.literal('kv.ring'), state: ringStateSchema, reply: z.boolean() }),
  /**
   * A peer that a ring transition gives key ranges asks an old owner for them: every record the
   * old owner holds in those ranges, in `kv.transfer.part`s.
   */
  z.object({ type: z.literal('kv.transfer'), transition: z.string().max(64), ring: ringHash }),
  /** One part of an old owner's answer to `kv.transfer`: part `index` of `total`. */
  z.object({
    type: z.literal('kv.transfer.part'),
    transition: z.string().max(64),
    index: z.number().int().nonnegative(),
    total: z.number().int().positive().max(1_000_000),
    records,
  }),
]);
export type KvMessage = z.infer<typeof kvMessageSchema>;
export type KvMessageType = KvMessage['type'];

export const KV_MESSAGE_TYPES: ReadonlySet<string> = new Set<KvMessageType>([
  'kv.request',
  'kv.reply',
  'kv.store',
  'kv.stored',
  'kv.digest',
  'kv.pull',
  'kv.ring',
  'kv.transfer',
  'kv.transfer.part',
]);

// ---------------------------------------------------------------------------------------------
// Versions

export function compareVersions(a: Version, b: Version): number {
  return a.tick - b.tick || a.counter - b.counter || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0);
}

export function isNewer(candidate: Version, known: Version | undefined): boolean {
  return known === undefined || compareVersions(candidate, known) > 0;
}

// ---------------------------------------------------------------------------------------------
// Sizes: the exact length of a string's JSON encoding in UTF-8, without encoding it.

export function jsonStringBytes(text: string): number {
  let bytes = 2; // the quotes
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22 || code === 0x5c) bytes += 2;
    else if (code < 0x20) bytes += code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d ? 2 : 6;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index++;
      } else bytes += 6; // a lone surrogate is escaped
    } else if (code >= 0xd800 && code <= 0xdfff) bytes += 6;
    else bytes += 3;
  }
  return bytes;
}

const VERSION_BYTES = 80; // {"tick":…,"counter":…,"peer":"…"} less the peer id
export function versionBytes(version: Version): number {
  return VERSION_BYTES + version.peer.length;
}

/** `{"key":"…","version":{…}},` in a digest or an acknowledgement. */
export function versionEntryBytes(entry: { key: string; version: Version; deleted?: true | undefined }): number {
  return 16 + jsonStringBytes(entry.key) + versionBytes(entry.version) + (entry.deleted ? 16 : 0);
}

/** A string's UTF-8 length: what the value size limit counts. */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}

export function recordBytes(record: KvRecord): number {
  return 64 + jsonStringBytes(record.key) + jsonStringBytes(record.value) + versionBytes(record.version);
}

/** `"attempt":…,"ring":"…","writeBack":true` and the like. */
const REQUEST_EXTRAS_BYTES = 96;

/**
 * A cheap upper bound of the message's encoded length: six bytes a character at worst (an
 * escaped control character), no scanning. When it is under a limit, the exact size need not be
 * computed.
 */
export function kvMessageBytesBound(message: KvMessage): number {
  const envelope = 96;
  switch (message.type) {
    case 'kv.request':
      return (
        envelope +
        REQUEST_EXTRAS_BYTES +
        6 * (message.key.length + (message.value?.length ?? 0)) +
        4 +
        (message.version ? versionBytes(message.version) : 0) +
        (message.ringState ? ringStateBytes(message.ringState) : 0)
      );
    case 'kv.reply':
      return envelope + REQUEST_EXTRAS_BYTES + (message.record ? recordBytesBound(message.record) : 0) + (message.ringState ? ringStateBytes(message.ringState) : 0);
    case 'kv.store':
      return message.records.reduce((sum, record) => sum + recordBytesBound(record) + 1, envelope);
    default:
      return kvMessageBytes(message);
  }
}

function recordBytesBound(record: KvRecord): number {
  return 68 + 6 * (record.key.length + record.value.length) + versionBytes(record.version);
}

/** An upper bound of the message's encoded length in bytes (exact for the strings). */
export function kvMessageBytes(message: KvMessage): number {
  const envelope = 96;
  switch (message.type) {
    case 'kv.request':
      return (
        envelope +
        REQUEST_EXTRAS_BYTES +
        jsonStringBytes(message.key) +
        (message.value === undefined ? 0 : jsonStringBytes(message.value)) +
        (message.version ? versionBytes(message.version) : 0) +
        (message.ringState ? ringStateBytes(message.ringState) : 0)
      );
    case 'kv.reply':
      return envelope + REQUEST_EXTRAS_BYTES + (message.record ? recordBytes(message.record) : 0) + (message.ringState ? ringStateBytes(message.ringState) : 0);
    case 'kv.store':
      return message.records.reduce((sum, record) => sum + recordBytes(record) + 1, envelope);
    case 'kv.pull':
      return message.keys.reduce((sum, key) => sum + jsonStringBytes(key) + 1, envelope);
    case 'kv.stored':
    case 'kv.digest':
      return message.entries.reduce((sum, entry) => sum + versionEntryBytes(entry), envelope);
    case 'kv.ring':
      return envelope + ringStateBytes(message.state);
    case 'kv.transfer':
      return envelope + 128;
    case 'kv.transfer.part':
      return message.records.reduce((sum, record) => sum + recordBytes(record) + 1, envelope + 128);
  }
}

/** An upper bound of a ring state's encoded length. */
export function ringStateBytes(state: RingStateWire): number {
  let bytes = 32;
  for (const entry of state.entries) bytes += 64 + entry.peer.length;
  for (const entry of state.caughtUp) bytes += 144 + entry.peer.length;
  return bytes;
}

/** The wire bound of a key-value peer: a 1 MiB value fits with room for JSON escaping. */
export const KV_MESSAGE_BYTES_MAX_DEFAULT = 8 * 1_048_576;
/** Room a kv.request or kv.store needs beside the key and the value. */
export const KV_ENVELOPE_BYTES = 1024;

/**
 * A replica a coordinator asked, its answer when it came before the decision, and the role it was
 * asked in, as the coordinator's ring said at the time: `home` at `place` (0: the key's primary)
 * of the key's preference list, or a `fallback` standing in for a home replica it could not reach
 * (sloppy quorums). Results keep these roles: a later ring never relabels them. Absent in
 * results written before roles were recorded.
 */
export const replicaAnswerSchema = z.object({
  peer: peerIdSchema,
  ok: z.boolean().optional(),
  role: z.enum(['home', 'fallback']).optional(),
  /** A home replica's place in the key's preference list (0: primary). */
  place: z.number().int().nonnegative().optional(),
  /** The home replica a fallback stands in for. */
  for: peerIdSchema.optional(),
});
export type ReplicaAnswer = z.infer<typeof replicaAnswerSchema>;
