/**
 * The journal: one event schema for everything a view, a grader or an export reads.
 *
 * Machines emit member events; drivers (the simulator, a peer process) add process, network and
 * fault events. Every event carries the tick it happened at. `peer` is the peer where it was
 * observed; for member events `subject` is the member it is about. Kinds are part of the
 * exported file format: add new ones, never rename or reuse one.
 *
 * A key-value event never carries the value itself (it may be 1 MiB, and the journal keeps
 * every event in memory for a while and on disk for good): it carries the value's `size` in
 * bytes, its `version`, and a `preview` of its first `VALUE_PREVIEW_CHARS` characters, with
 * `truncated` set when that is not the whole value. Journals written before (issue 12) carry the
 * whole `value` instead; the schema still accepts them, and `summarizeValue` turns an old event
 * into a new one.
 */
import { z } from 'zod';
import { fileNameSchema, HOPS_MAX, identitySchema } from '../protocol/dht.ts';
import { keySchema, kvFailureSchema, kvOperationSchema, replicaAnswerSchema, RING_ENTRIES_MAX, ringEntrySchema, utf8Bytes, versionSchema, type Version } from '../protocol/kv.ts';
import { peerIdSchema } from '../protocol/peer-id.ts';

const tick = z.number().int().nonnegative();

/** Why a message never reached its target (the emulated network or a real transport). */
export const dropReasonSchema = z.enum([
  'loss',
  'partition',
  'buffer-full',
  'oversize',
  'target-down',
]);
export type DropReason = z.infer<typeof dropReasonSchema>;

/** Why a peer refused bytes it received (see `protocol/codec.ts`). */
export const rejectReasonSchema = z.enum([
  'oversize',
  'malformed',
  'invalid',
  'unknown-type',
  'wrong-protocol',
  /** Replication traffic from a peer this one does not count as a member. */
  'not-a-member',
  /** A version stamped further in the future than clocks can drift. */
  'clock-skew',
  /** An answer that does not match the question (another key, another phase). */
  'mismatched',
  /** A real peer's transport: a connection without the shared secret, or a frame before it. */
  'unauthenticated',
]);
export type RejectReason = z.infer<typeof rejectReasonSchema>;

const memberFields = {
  tick,
  peer: peerIdSchema,
  subject: peerIdSchema,
  /** SWIM: the subject's incarnation number as the observer knows it. */
  incarnation: z.number().int().nonnegative().optional(),
  /** Gossip: the subject's heartbeat counter as the observer knows it. */
  heartbeat: z.number().int().nonnegative().optional(),
};

/** Characters of a value a journal event keeps: enough to recognise it, never the whole of a large one. */
export const VALUE_PREVIEW_CHARS = 64;

/** What an event says about a value (read, or written): never the value itself. */
const valueSummaryFields = {
  /** The value's size in bytes: UTF-8, or the decoded bytes when it is binary. */
  size: z.number().int().nonnegative().optional(),
  /** Its first `VALUE_PREVIEW_CHARS` characters (of the base64 text when binary). */
  preview: z.string().optional(),
  /** The preview is not the whole value. */
  truncated: z.literal(true).optional(),
  /** The value is binary (the preview is base64). */
  binary: z.literal(true).optional(),
  /** The record's version: the one written, or the one a read found. */
  version: versionSchema.optional(),
};

/** What a replica's and a coordinator's view of one operation share (the dbg.log line's fields). */
const kvOutcomeFields = {
  tick,
  peer: peerIdSchema,
  transaction: z.number().int().nonnegative(),
  op: kvOperationSchema,
  key: keySchema,
  /** The whole value: journals written before issue 12 only (read them; never write it). */
  value: z.string().optional(),
  ...valueSummaryFields,
  ok: z.boolean(),
  reason: kvFailureSchema.optional(),
};

export const journalEventSchema = z.discriminatedUnion('kind', [
  /** `peer` now counts `subject` as a member (its own join included). */
  z.object({ kind: z.literal('member.added'), ...memberFields }),
  /** `peer` suspects `subject` has failed; it is still a member. */
  z.object({ kind: z.literal('member.suspected'), ...memberFields }),
  /** A suspicion was cleared: `subject` proved it is alive (refutation, fresh heartbeat). */
  z.object({ kind: z.literal('member.alive'), ...memberFields }),
  /** `peer` removed `subject` as failed (dead). */
  z.object({ kind: z.literal('member.removed'), ...memberFields }),
  /** `peer` learned that `subject` left gracefully. */
  z.object({ kind: z.literal('member.left'), ...memberFields }),

  /**
   * A cluster manager started a new cluster (its first peers, with none live): an epoch of the
   * session. Peer numbers restart at #1 in each; what a view counts belongs to the current one.
   */
  z.object({
    kind: z.literal('cluster.started'),
    tick,
    peer: peerIdSchema,
    /** 1 for the session's first cluster, then 2, 3, … */
    epoch: z.number().int().min(1),
    cluster: z.enum(['kv', 'dht']),
    /** Peers asked for. */
    peers: z.number().int().nonnegative(),
    tickMs: z.number().int().positive(),
    /** Key-value clusters: the membership protocol and quorum mode. */
    protocol: z.enum(['gossip', 'swim']).optional(),
    quorum: z.enum(['strict', 'sloppy']).optional(),
    /** Key-value clusters: where the peers keep their stores. */
    storage: z.enum(['memory', 'disk']).optional(),
  }),
  /** A cluster manager stopped a peer process (SIGSTOP) and resumed it (SIGCONT). */
  z.object({ kind: z.literal('process.paused'), tick, peer: peerIdSchema }),
  z.object({ kind: z.literal('process.resumed'), tick, peer: peerIdSchema }),
  /** A cluster manager asked a peer to leave gracefully (it hands its keys on, then exits). */
  z.object({ kind: z.literal('process.leaving'), tick, peer: peerIdSchema }),

  z.object({ kind: z.literal('peer.started'), tick, peer: peerIdSchema }),
  z.object({ kind: z.literal('peer.crashed'), tick, peer: peerIdSchema }),
  z.object({ kind: z.literal('peer.restarted'), tick, peer: peerIdSchema }),
  z.object({ kind: z.literal('peer.left'), tick, peer: peerIdSchema }),

  z.object({
    kind: z.literal('message.sent'),
    tick,
    peer: peerIdSchema,
    to: peerIdSchema,
    type: z.string(),
    bytes: z.number().int().nonnegative(),
  }),
  z.object({
    kind: z.literal('message.delivered'),
    tick,
    peer: peerIdSchema,
    from: peerIdSchema,
    type: z.string(),
  }),
  z.object({
    kind: z.literal('message.dropped'),
    tick,
    peer: peerIdSchema,
    to: peerIdSchema,
    type: z.string(),
    reason: dropReasonSchema,
  }),
  /** `peer` refused what `from` sent; the peer counts it and carries on. */
  z.object({
    kind: z.literal('message.rejected'),
    tick,
    peer: peerIdSchema,
    from: peerIdSchema,
    reason: rejectReasonSchema,
    detail: z.string(),
  }),
  /** The emulated or injected network faults changed; `description` says to what. */
  z.object({ kind: z.literal('fault.changed'), tick, description: z.string() }),
  /** A free-form line, such as the classroom harness's `Node failed at time=100`. */
  z.object({ kind: z.literal('log'), tick, peer: peerIdSchema, text: z.string() }),

  /** A replica applied (or refused) one operation of a client transaction. */
  z.object({ kind: z.literal('kv.replica'), ...kvOutcomeFields }),
  /** A coordinator decided a client transaction: once, on quorum, failure or timeout. */
  z.object({
    kind: z.literal('kv.result'),
    ...kvOutcomeFields,
    latencyTicks: z.number().int().nonnegative(),
    /** The latency a real peer measured on its own clock, in ms (the simulator has only ticks). */
    latencyMs: z.number().nonnegative().optional(),
    /** Each replica asked, its answer when it came before the decision, and the role it was asked in. */
    replicas: z.array(replicaAnswerSchema),
  }),
  /** A record reached a replica outside client operations (repair, handoff, anti-entropy). */
  z.object({
    kind: z.literal('store.changed'),
    tick,
    peer: peerIdSchema,
    key: keySchema,
    reason: z.enum(['repair', 'handoff', 'sync']),
    deleted: z.boolean(),
    /** The record's version, size and preview (since issue 14; a tombstone has a version only). */
    ...valueSummaryFields,
  }),
  /** A replica let go of a key: handed off to its owners, or an expired tombstone. */
  z.object({
    kind: z.literal('store.dropped'),
    tick,
    peer: peerIdSchema,
    key: keySchema,
    reason: z.enum(['handed-off', 'tombstone-expired']),
  }),
  /** A cluster manager started a peer process (real peers only). */
  z.object({
    kind: z.literal('process.started'),
    tick,
    peer: peerIdSchema,
    pid: z.number().int(),
    port: z.number().int(),
    redisPort: z.number().int(),
    /** The peer's number in its cluster (#1, #2, …): absent in journals written before epochs. */
    number: z.number().int().positive().optional(),
    /** A circular DHT peer's identity. */
    identity: identitySchema.optional(),
  }),
  /** A peer process ended; `expected` is false when nobody asked it to (a crash, a kill from outside). */
  z.object({
    kind: z.literal('process.exited'),
    tick,
    peer: peerIdSchema,
    pid: z.number().int(),
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
    expected: z.boolean(),
  }),
  /**
   * The peer's ring changed: its owners (`members` of them), or with explicit ownership any entry
   * of its ring state (a join, a leave, a removal; the transition they make). Since issue 14 it
   * carries the state itself, so the ring at any moment can be drawn from the journal.
   */
  z.object({
    kind: z.literal('ring.changed'),
    tick,
    peer: peerIdSchema,
    members: z.number().int().nonnegative(),
    entries: z.array(ringEntrySchema).max(RING_ENTRIES_MAX).optional(),
    transition: z.object({ joining: z.array(peerIdSchema), leaving: z.array(peerIdSchema), gainers: z.array(peerIdSchema) }).optional(),
    /** A hash of the entries: equal fingerprints compute the same owners. */
    fingerprint: z.string().max(32).optional(),
  }),
  /**
   * A line a peer printed on its console, word for word: the circular DHT's classroom lines, which
   * the window, the exports and the command line all print. A Store or Request line also carries
   * its lookup: the route so far (identities, origin first) and the hops taken.
   */
  z.object({
    kind: z.literal('console'),
    tick,
    peer: peerIdSchema,
    text: z.string(),
    lookup: z
      .object({
        operation: z.enum(['store', 'request']),
        file: fileNameSchema,
        route: z.array(identitySchema).min(1).max(HOPS_MAX + 1),
        hops: z.number().int().nonnegative().max(HOPS_MAX),
      })
      .optional(),
  }),
]);

export type JournalEvent = z.infer<typeof journalEventSchema>;
export type JournalEventKind = JournalEvent['kind'];
export type MemberEvent = Extract<JournalEvent, { subject: string }>;
export type MemberEventKind = MemberEvent['kind'];

export function isMemberEvent(event: JournalEvent): event is MemberEvent {
  return event.kind.startsWith('member.');
}

export interface ValueSummary {
  readonly size: number;
  readonly preview: string;
  readonly truncated?: true;
  readonly binary?: true;
  readonly version?: Version;
}

/**
 * The fields a key-value event carries for `value`: its size, a preview and its version; none
 * when there is no value (a delete, a read that found nothing).
 */
export function summarizeValue(value: string | undefined, binary?: boolean, version?: Version): Partial<ValueSummary> {
  if (value === undefined) return version === undefined ? {} : { version };
  let preview = value.length > VALUE_PREVIEW_CHARS ? value.slice(0, VALUE_PREVIEW_CHARS) : value;
  // Never cut a character in two: a lone surrogate would not survive every JSON reader.
  const last = preview.charCodeAt(preview.length - 1);
  if (preview.length < value.length && last >= 0xd800 && last <= 0xdbff) preview = preview.slice(0, -1);
  return {
    size: binary === true ? base64Bytes(value) : utf8Bytes(value),
    preview,
    ...(preview.length < value.length ? { truncated: true as const } : {}),
    ...(binary === true ? { binary: true as const } : {}),
    ...(version === undefined ? {} : { version }),
  };
}

/** A base64 text's decoded length, padding counted. */
function base64Bytes(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
}

/**
 * The event as events are written now: an old event's whole `value` becomes its size and
 * preview. Events without one come back as they are (the same object).
 */
export function withoutValue(event: JournalEvent): JournalEvent {
  if ((event.kind !== 'kv.replica' && event.kind !== 'kv.result') || event.value === undefined) return event;
  const { value, ...rest } = event;
  return { ...rest, ...summarizeValue(value, event.binary === true, event.version) } as JournalEvent;
}

/**
 * A value as the text formats print it: the whole value when the event knows it (an old journal,
 * or a short value whose preview is all of it), else the preview and an ellipsis.
 */
export function shownValue(event: { value?: string | undefined; preview?: string | undefined; truncated?: true | undefined }): string {
  if (event.value !== undefined) return event.value;
  return `${event.preview ?? ''}${event.truncated === true ? '…' : ''}`;
}
