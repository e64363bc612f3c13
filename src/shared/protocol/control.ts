/**
 * What crosses a peer process's WebSocket port besides protocol messages: the handshake every
 * connection starts with, and the control channel a cluster manager (or `ringside put --via`)
 * drives a peer through.
 *
 * Handshake (mutual, a shared secret never sent):
 *   peer → client   { t: 'hello', peer, nonce }
 *   client → peer   { t: 'auth', role, id?, nonce, proof }   proof = HMAC(secret, 'auth|…')
 *   peer → client   { t: 'welcome', proof }                   proof = HMAC(secret, 'welcome|…')
 * A connection that sends anything else first, or a wrong proof, is closed. After the handshake
 * a `peer` connection carries protocol messages (JSON, see `kv/peer.ts`) both ways, a `control`
 * connection carries the frames below, and a `file` connection one DHT file transfer
 * (`dht-transfer.ts`).
 *
 * A key-value peer's control channel takes `controlCommandSchema`; a circular DHT peer's takes
 * `dhtControlCommandSchema` (its own branch, below): the two peers share the handshake, the frames
 * and the event stream, not the commands.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { journalEventSchema } from '../journal/events.ts';
import { fileNameSchema, identitySchema } from './dht.ts';
import { faultPlanSchema, faultPlanVersionSchema } from './faults.ts';
import { keySchema, kvFailureSchema, kvOperationSchema, replicaAnswerSchema, ringEntrySchema, versionSchema } from './kv.ts';
import { peerIdSchema } from './peer-id.ts';

export const CONTROL_PROTOCOL_VERSION = 1;
/** Control frames are small; a peer refuses larger ones before parsing them. */
export const CONTROL_FRAME_BYTES_MAX = 2 * 1_048_576 + 4096;

const nonce = z.string().regex(/^[0-9a-f]{32}$/, 'a nonce is 16 bytes in hex');
const proof = z.string().regex(/^[0-9a-f]{64}$/, 'a proof is an HMAC-SHA256 in hex');

export const helloSchema = z.object({ t: z.literal('hello'), v: z.number().int(), peer: peerIdSchema, nonce });
export const authSchema = z.object({
  t: z.literal('auth'),
  /** Append only: the roles are part of the protocol. */
  role: z.enum(['peer', 'control', 'file']),
  /** A peer (or a file's sender) says who it is: the id its messages come from. */
  id: peerIdSchema.optional(),
  nonce,
  proof,
});
export const welcomeSchema = z.object({ t: z.literal('welcome'), proof });
export type Hello = z.infer<typeof helloSchema>;
export type Auth = z.infer<typeof authSchema>;
export type ConnectionRole = Auth['role'];

/** The client's proof: it knows the secret, for this server's nonce, role and id. */
export function authProof(secret: string, serverNonce: string, clientNonce: string, role: ConnectionRole, id: string | undefined): string {
  return mac(secret, `ringside/${CONTROL_PROTOCOL_VERSION}|auth|${serverNonce}|${clientNonce}|${role}|${id ?? ''}`);
}

/** The server's proof back: the client knows it talks to a peer of the same cluster. */
export function welcomeProof(secret: string, serverNonce: string, clientNonce: string, serverId: string): string {
  return mac(secret, `ringside/${CONTROL_PROTOCOL_VERSION}|welcome|${serverNonce}|${clientNonce}|${serverId}`);
}

function mac(secret: string, text: string): string {
  return bytesToHex(hmac(sha256, utf8ToBytes(secret), utf8ToBytes(text)));
}

/** Compares two proofs in time independent of where they differ. */
export function sameProof(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}

// ----------------------------------------------------------------------------------------------
// What a peer reports about itself

export const memberViewSchema = z.object({
  id: peerIdSchema,
  state: z.enum(['alive', 'suspect', 'dead', 'left']),
  sinceTick: z.number().int(),
  incarnation: z.number().int().optional(),
  heartbeat: z.number().int().optional(),
  generation: z.number().int().optional(),
});
export type MemberViewWire = z.infer<typeof memberViewSchema>;

/** Values are shown up to this many characters in an inspection (the store keeps them whole). */
export const VALUE_PREVIEW_MAX = 256;

export const storedRecordSchema = z.object({
  key: keySchema,
  value: z.string(),
  /** The value was cut to `VALUE_PREVIEW_MAX` characters for the inspection. */
  truncated: z.literal(true).optional(),
  binary: z.literal(true).optional(),
  deleted: z.literal(true).optional(),
  version: versionSchema,
});
export type StoredRecord = z.infer<typeof storedRecordSchema>;

const count = z.number().int().nonnegative();

export const transportCountersSchema = z.object({
  connectionsAccepted: count,
  connectionsRefused: count,
  framesReceived: count,
  framesRefused: z.record(z.string(), count),
  messagesSent: count,
  messagesDropped: z.record(z.string(), count),
  reconnects: count,
});
export type TransportCounters = z.infer<typeof transportCountersSchema>;

export const redisCountersSchema = z.object({
  connections: count,
  commands: count,
  errors: count,
  protocolErrors: count,
});
export type RedisCounters = z.infer<typeof redisCountersSchema>;

export const peerInspectionSchema = z.object({
  id: peerIdSchema,
  pid: z.number().int(),
  protocol: z.enum(['gossip', 'swim']),
  status: z.enum(['idle', 'joining', 'member', 'left']),
  tickMs: z.number().int().positive(),
  tick: z.number().int(),
  redisPort: z.number().int(),
  members: z.array(memberViewSchema),
  records: z.array(storedRecordSchema),
  recordsTotal: count,
  pendingHandoffs: count,
  /**
   * Who owns keys, as this peer's ring state says (explicit ownership; empty when ownership
   * follows membership), the transition in progress, and how this peer keeps its store.
   */
  ring: z
    .object({
      entries: z.array(ringEntrySchema),
      /** The ring change in progress: who joins, who leaves (or is removed), who takes over ranges. */
      transition: z.object({ joining: z.array(peerIdSchema), leaving: z.array(peerIdSchema), gainers: z.array(peerIdSchema) }).optional(),
      /** A hash of the entries: peers with equal fingerprints compute the same owners. */
      fingerprint: z.string().max(32),
      quorum: z.enum(['strict', 'sloppy']),
      storage: z.enum(['memory', 'disk']),
    })
    .optional(),
  faults: faultPlanSchema,
  /** The version of `faults` (0: none set yet); absent from peers before versions. */
  faultsVersion: faultPlanVersionSchema.optional(),
  counters: z.object({
    membership: z.record(z.string(), z.unknown()),
    kv: z.record(z.string(), count),
    transport: transportCountersSchema,
    redis: redisCountersSchema,
  }),
});
export type PeerInspection = z.infer<typeof peerInspectionSchema>;

export const kvResultSchema = z.object({
  type: z.literal('kv.result'),
  transaction: count,
  op: kvOperationSchema,
  key: z.string(),
  ok: z.boolean(),
  value: z.string().optional(),
  binary: z.literal(true).optional(),
  version: versionSchema.optional(),
  reason: kvFailureSchema.optional(),
  latencyTicks: count,
  replicas: z.array(replicaAnswerSchema),
});
export type KvResultWire = z.infer<typeof kvResultSchema>;

// ----------------------------------------------------------------------------------------------
// The control channel

export const controlCommandSchema = z.discriminatedUnion('type', [
  /** Membership view, store (first `records` keys in key order), counters and faults. */
  z.object({ type: z.literal('inspect'), records: z.number().int().min(0).max(100_000).default(10_000) }),
  z.object({ type: z.literal('members') }),
  /** One client operation, coordinated by this peer. */
  z.object({
    type: z.literal('kv'),
    op: kvOperationSchema,
    key: z.string().max(4096),
    value: z.string().optional(),
    binary: z.literal(true).optional(),
  }),
  /**
   * Replaces this peer's fault plan (the whole cluster's; it applies its own part). A plan with a
   * `version` no newer than the one the peer has is ignored (a resend, or one overtaken by a newer
   * plan); one without is always applied (clients before versions). The answer is
   * `faultsReplySchema`.
   */
  z.object({ type: z.literal('faults'), plan: faultPlanSchema, version: faultPlanVersionSchema.optional() }),
  /** Leave the group gracefully, hand off the keys, and exit. */
  z.object({ type: z.literal('leave') }),
  /** Take a gone peer out of the ring for good: its key ranges go to the others. */
  z.object({ type: z.literal('remove'), peer: peerIdSchema }),
  /**
   * Stream journal events on this connection. Messages sent, delivered and dropped are many;
   * they come only with `messages`.
   */
  z.object({ type: z.literal('subscribe'), messages: z.boolean().default(false) }),
]);
export type ControlCommand = z.infer<typeof controlCommandSchema>;
export type ControlCommandInput = z.input<typeof controlCommandSchema>;

/** A peer's answer to `faults`: the plan it now applies, described, and that plan's version. */
export const faultsReplySchema = z.object({ faults: z.string(), version: faultPlanVersionSchema.optional() });
export type FaultsReply = z.infer<typeof faultsReplySchema>;

export const controlRequestSchema = z.object({ t: z.literal('req'), id: count, command: controlCommandSchema });
export type ControlRequest = z.infer<typeof controlRequestSchema>;

export const controlResponseSchema = z.discriminatedUnion('ok', [
  z.object({ t: z.literal('res'), id: count, ok: z.literal(true), result: z.unknown() }),
  z.object({ t: z.literal('res'), id: count, ok: z.literal(false), error: z.string() }),
]);
export type ControlResponse = z.infer<typeof controlResponseSchema>;

/** A journal event as a peer streams it: with the wall-clock time it happened (ms since epoch). */
export const stampedEventSchema = z.object({ at: z.number(), event: journalEventSchema });
export type StampedEvent = z.infer<typeof stampedEventSchema>;

export const eventBatchSchema = z.object({ t: z.literal('events'), events: z.array(stampedEventSchema) });

export const controlFrameSchema = z.union([controlResponseSchema, eventBatchSchema]);

// ----------------------------------------------------------------------------------------------
// The control channel of a circular DHT peer (`peer/dht/control.ts`)

/** A line typed on a DHT peer's console is one line of at most this many characters. */
export const CONSOLE_LINE_CHARACTERS_MAX = 200;
export const consoleLineSchema = z
  .string()
  .max(CONSOLE_LINE_CHARACTERS_MAX, `a console line is at most ${CONSOLE_LINE_CHARACTERS_MAX} characters`)
  .regex(/^[^\r\n]*$/, 'a console line is one line: no line breaks');

/** How a DHT peer enters the ring: the classroom's `p2p init` (successors given) or `p2p join`. */
export const dhtStartSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dht.init'), first: identitySchema, second: identitySchema }),
  z.object({ type: z.literal('dht.join'), known: identitySchema }),
]);
export type DhtStart = z.infer<typeof dhtStartSchema>;

/** Append only: the command types are part of the protocol. */
export const dhtControlCommandSchema = z.discriminatedUnion('type', [
  /** Successors, predecessors, files held, the working folder, counters (`dhtInspectionSchema`). */
  z.object({ type: z.literal('inspect') }),
  /** Stream journal events (console lines among them), as a key-value peer does. */
  z.object({ type: z.literal('subscribe'), messages: z.boolean().default(false) }),
  /** Enter the ring, once: a peer spawned by a cluster manager waits for this (see `DhtPeerProcess.begin`). */
  z.object({ type: z.literal('begin'), start: dhtStartSchema }),
  /** A line typed on the peer's console: `Store NNNN`, `Request NNNN` or `Quit` (others print a refusal). */
  z.object({ type: z.literal('type'), line: consoleLineSchema }),
  /** `Quit`: tell the predecessors, hand the files on, and exit. */
  z.object({ type: z.literal('leave') }),
]);
export type DhtControlCommand = z.infer<typeof dhtControlCommandSchema>;
export type DhtControlCommandInput = z.input<typeof dhtControlCommandSchema>;
export const DHT_CONTROL_COMMANDS: readonly DhtControlCommand['type'][] = dhtControlCommandSchema.options.map((option) => option.shape.type.value);

export const dhtControlRequestSchema = z.object({ t: z.literal('req'), id: count, command: dhtControlCommandSchema });

/** What a typed line was taken for (the peer's console says the rest, word for word). */
export const dhtTypedSchema = z.object({
  line: z.string(),
  command: z.enum(['store', 'request', 'quit', 'unknown']),
  /** What followed Store or Request, as typed: a file name only if it is four digits. */
  file: z.string().optional(),
});
export type DhtTyped = z.infer<typeof dhtTypedSchema>;

/** Entries of a working folder listed in an inspection, at most. */
export const FOLDER_ENTRIES_MAX = 1000;

export const dhtInspectionSchema = z.object({
  id: peerIdSchema,
  pid: z.number().int(),
  identity: identitySchema,
  /** idle: spawned, not yet begun; joining: asked to join; member: in the ring; left: quit. */
  status: z.enum(['idle', 'joining', 'member', 'left']),
  tickMs: z.number().int().positive(),
  /** Ticks since the peer process started. */
  tick: z.number().int(),
  pingIntervalTicks: z.number().int().positive(),
  /** [first, second] as this peer believes them; itself while alone (or the first twice while repairing). */
  successors: z.tuple([identitySchema, identitySchema]),
  /** Its closest predecessors as its pings tell, closest first: none, one or two. */
  predecessors: z.array(identitySchema).max(2),
  /** The file names this peer holds (stored here or handed to it), sorted. */
  files: z.array(fileNameSchema),
  /** With finger tables on: finger i is the owner of identity + 2^i as last looked up (null: not yet). */
  fingers: z.array(identitySchema.nullable()).optional(),
  /** The working folder: the files it sends (`NNNN.ext`) and those it received (`received_NNNN.ext`). */
  folder: z.object({
    path: z.string(),
    /** Sorted by name, at most `FOLDER_ENTRIES_MAX`; hidden files (transfers under way) left out. */
    entries: z.array(z.object({ name: z.string(), bytes: count })),
    total: count,
  }),
  counters: z.object({ messagesRejected: count, lookupsDropped: count, transport: transportCountersSchema }),
});
export type DhtInspection = z.infer<typeof dhtInspectionSchema>;

// ----------------------------------------------------------------------------------------------
// The ready line

/** What a peer process prints on standard output once it listens: `READY_PREFIX` then JSON. */
export const READY_PREFIX = 'ringside-peer ready ';
export const readyInfoSchema = z.object({
  id: peerIdSchema,
  pid: z.number().int(),
  port: z.number().int().min(1).max(65_535),
  redisPort: z.number().int().min(0).max(65_535),
  /** Append only. `dht`: a circular DHT peer (no Redis front: `redisPort` 0). */
  protocol: z.enum(['gossip', 'swim', 'dht']),
  tickMs: z.number().int().positive(),
  /** A circular DHT peer's identity (0-255). */
  identity: identitySchema.optional(),
});
export type ReadyInfo = z.infer<typeof readyInfoSchema>;

/**
 * The id to answer a refused request with: its own when it is one a client could have sent (a
 * safe, non-negative integer), else 0, so the error reply is itself a valid response.
 */
export function replyId(value: unknown): number {
  const id = typeof value === 'object' && value !== null && 'id' in value ? value.id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : 0;
}

export function formatReadyLine(info: ReadyInfo): string {
  return `${READY_PREFIX}${JSON.stringify(info)}`;
}

/** The ready info in a line of a peer's output, or undefined if the line is something else. */
export function parseReadyLine(line: string): ReadyInfo | undefined {
  if (!line.startsWith(READY_PREFIX)) return undefined;
  try {
    const parsed = readyInfoSchema.safeParse(JSON.parse(line.slice(READY_PREFIX.length)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
