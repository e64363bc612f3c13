/**
 * The cluster API: the one contract between a cluster (the manager in the main process) and its
 * clients: the web server's HTTP and WebSocket routes, the Electron bridge, the renderer and
 * scripts. Commands and replies have schemas; so does the event stream.
 *
 *   request   { t: 'req', id, command }                  (WebSocket) or the command as a POST body
 *   reply     { t: 'res', id, ok: true, result } | { t: 'res', id, ok: false, error }
 *   events    { t: 'events', entries, peers? }           at most one per 50 ms per client
 */
import { z } from 'zod';
import { sessionEntrySchema, EXPORT_FORMATS } from '../journal/session.ts';
import { consoleLineSchema } from '../protocol/control.ts';
import { fileNameSchema, identitySchema } from '../protocol/dht.ts';
import { folderFileNameSchema } from '../protocol/dht-transfer.ts';
import { faultPlanSchema } from '../protocol/faults.ts';
import { kvOperationSchema } from '../protocol/kv.ts';
import { peerIdSchema } from '../protocol/peer-id.ts';
import { checkSpecSchema } from '../check/run.ts';

export const API_VERSION = 1;
/** Base64 characters of a file put in a DHT peer's folder, at most: 2 MiB of bytes. */
export const DHT_PUT_CONTENT_BASE64_MAX = Math.ceil((2 * 1_048_576) / 3) * 4;
/** Clients get event batches no more often than this. */
export const EVENT_BATCH_INTERVAL_MS = 50;

const peer = peerIdSchema;

export const peerStateSchema = z.enum(['starting', 'running', 'paused', 'leaving', 'left', 'killed', 'crashed', 'attached', 'detached']);

export const peerSummarySchema = z.object({
  id: peer,
  number: z.number().int().positive(),
  state: peerStateSchema,
  managed: z.boolean(),
  pid: z.number().int().optional(),
  port: z.number().int(),
  redisPort: z.number().int(),
  startedAt: z.number(),
  /** A circular DHT peer's identity (0-255); absent for key-value peers. */
  identity: identitySchema.optional(),
});
export type PeerSummaryWire = z.infer<typeof peerSummarySchema>;

/** What a cluster runs: the quorum key-value ring (`kv`, over gossip or SWIM) or the classroom's circular DHT (`dht`). */
export const CLUSTER_KINDS = ['kv', 'dht'] as const;
export const clusterKindSchema = z.enum(CLUSTER_KINDS);
export type ClusterKind = z.infer<typeof clusterKindSchema>;

/** The classroom's ping interval is in seconds; a circular DHT peer pings both successors this often. */
export const pingIntervalSecondsSchema = z.number().positive().max(3600);

/**
 * How a cluster's peers run; chosen when the cluster starts (with no peer running). The fields
 * after `tickMs` are optional: absent, a cluster keeps what it has (at first: `kv`, 5 s, no fingers).
 */
export const clusterSettingsSchema = z.object({
  /** The membership protocol: SWIM (default) or the classroom's heartbeat gossip. */
  protocol: z.enum(['gossip', 'swim']),
  /** The length of one protocol tick, in ms (default 100): every protocol timeout counts ticks. */
  tickMs: z.number().int().min(10).max(10_000),
  /** Key-value ring (default) or circular DHT. */
  kind: clusterKindSchema.optional(),
  /**
   * Circular DHT: seconds between pings of the successors (default 5; the classroom's 30). A gone
   * successor is declared within interval + 3 × min(5 s, interval).
   */
  pingIntervalSeconds: pingIntervalSecondsSchema.optional(),
  /** Circular DHT, beyond the classroom: Chord finger tables, so lookups take O(log N) hops (default off). */
  fingers: z.boolean().optional(),
  /**
   * Key-value: strict quorums (default: R and W of each key's N owners; an operation that cannot
   * reach them fails) or sloppy ones (stand-ins for dead owners, hinted handoff; reads may be stale).
   */
  quorum: z.enum(['strict', 'sloppy']).optional(),
});
export type ClusterSettings = z.infer<typeof clusterSettingsSchema>;
export const CLUSTER_SETTINGS_DEFAULTS: ClusterSettings = { protocol: 'swim', tickMs: 100, kind: 'kv', pingIntervalSeconds: 5, fingers: false, quorum: 'strict' };
/** A circular DHT cluster's ping interval unless one is chosen: quick enough to watch, slow enough to read. */
export const DHT_PING_INTERVAL_SECONDS_DEFAULT = 5;

/**
 * The session journal's size: in the manager's memory (the window the views load from, bounded
 * by entries and bytes) and on disk (with a cap, in parts, the oldest dropped first). The fields
 * after `writeError` are always sent; optional only for sessions of older servers.
 */
export const journalInfoSchema = z.object({
  /** Entries ever recorded. */
  entries: z.number().int(),
  path: z.string().optional(),
  /** Bytes this session wrote to disk (dropped parts included). */
  bytesWritten: z.number().int(),
  writeError: z.string().optional(),
  /** Entries in the manager's memory window, their estimated bytes, and the window's bounds. */
  window: z.object({ entries: z.number().int(), bytes: z.number().int(), entriesMax: z.number().int(), bytesMax: z.number().int() }).optional(),
  /** Bytes on disk now (every part kept) and in how many parts. */
  bytesOnDisk: z.number().int().optional(),
  parts: z.number().int().optional(),
  /** The size cap on disk, when there is one (`--journal-max-mb`). */
  maxBytes: z.number().int().optional(),
  /** What rotation has deleted to stay under the cap. */
  partsDropped: z.number().int().optional(),
  bytesDropped: z.number().int().optional(),
  entriesDropped: z.number().int().optional(),
});
export type JournalInfo = z.infer<typeof journalInfoSchema>;

export const sessionInfoSchema = z.object({
  api: z.literal(API_VERSION),
  /**
   * What the cluster runs: new peers are of this kind. Always sent; optional in the type only so
   * that sessions written before it existed (the renderer's test fixtures) still type-check: absent is `kv`.
   */
  kind: clusterKindSchema.optional(),
  protocol: z.enum(['gossip', 'swim']),
  tickMs: z.number().int().positive(),
  /** Key-value clusters' quorum mode (new peers use it). Always sent (optional as `kind`). */
  quorum: z.enum(['strict', 'sloppy']).optional(),
  /** Where key-value peers keep their stores: on disk (in `folder`: `cluster-<epoch>/peer-<number>` each) or in memory. Always sent. */
  storage: z.object({ kind: z.enum(['disk', 'memory']), folder: z.string().optional() }).optional(),
  startedAt: z.number(),
  /**
   * The session's current cluster (its epoch): 1 for the first started, then 2, 3, …; 0 before
   * any. `peers` are this cluster's, numbered from #1. Always sent (optional for older servers).
   */
  epoch: z.number().int().nonnegative().optional(),
  peers: z.array(peerSummarySchema),
  journal: journalInfoSchema,
  /** The circular DHT's settings (new peers use them), where its peers listen and keep their files. Always sent (optional as `kind`). */
  dht: z
    .object({
      pingIntervalSeconds: pingIntervalSecondsSchema,
      fingers: z.boolean(),
      /** Peer i listens on portBase + i; absent until the first DHT peer starts. */
      portBase: z.number().int().optional(),
      /** The root of the peers' working folders (`peer-<identity>` each); absent until made. */
      folder: z.string().optional(),
    })
    .optional(),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const apiCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session') }),
  z.object({ type: z.literal('peers') }),
  /**
   * Starts `peers` more peers (the first starts a group when none runs). Settings may change only
   * while no peer runs.
   */
  z.object({
    type: z.literal('cluster.start'),
    peers: z.number().int().min(1).max(64),
    ...clusterSettingsSchema.partial().shape,
    /**
     * Circular DHT: the identities to start, as many as `peers`. Default: a new ring of 7 is the
     * spec's reference ring (2, 4, 5, 8, 9, 14, 19), of n others spread evenly; each starts as
     * `p2p init` with its successors. Peers added to a live ring join, one after the other.
     */
    identities: z.array(identitySchema).min(1).max(64).optional(),
  }),
  /** Stops every peer gracefully; the session and its journal stay. */
  z.object({ type: z.literal('cluster.stop') }),
  /**
   * One more peer. Circular DHT: it joins (`p2p join`) through `via` (default: the running peer
   * with the smallest identity) as `identity` (default: the middle of the largest gap), and the
   * answer comes once the join is accepted (or after 15 s without).
   */
  z.object({ type: z.literal('peer.add'), identity: identitySchema.optional(), via: peer.optional() }),
  z.object({ type: z.literal('peer.stop'), peer }),
  z.object({ type: z.literal('peer.kill'), peer }),
  z.object({ type: z.literal('peer.pause'), peer }),
  z.object({ type: z.literal('peer.resume'), peer }),
  z.object({ type: z.literal('peer.restart'), peer }),
  z.object({ type: z.literal('peer.attach'), address: peer }),
  /**
   * Key-value: takes a gone peer (killed, crashed) out of the ring for good; its key ranges go to
   * the others, which take them from the remaining owners. Until then it stays an owner.
   */
  z.object({ type: z.literal('peer.remove'), peer }),
  /** Key-value: each running peer's ring state (owners, the transition in progress, its fingerprint). */
  z.object({ type: z.literal('ring.states') }),
  /**
   * Starts a check (`ringside check`): a workload under a seeded nemesis, then the history judged.
   * `simulated`: on a simulated cluster of the spec (answers at once, done); otherwise on this
   * cluster's running peers (or a fresh one of `spec.peers`), for the workload's duration.
   */
  z.object({ type: z.literal('check.start'), spec: checkSpecSchema, simulated: z.boolean().default(false) }),
  /** The check's state: running (with its progress), done (with the run), failed (with why). */
  z.object({ type: z.literal('check.status') }),
  /** Stops a running check's workload early; it still heals, settles and is judged. */
  z.object({ type: z.literal('check.cancel') }),
  z.object({ type: z.literal('peer.inspect'), peer, records: z.number().int().min(0).max(100_000).default(10_000) }),
  /** What every running peer believes: `{ [observer]: MemberView[] }`. */
  z.object({ type: z.literal('views') }),
  z.object({ type: z.literal('faults.set'), plan: faultPlanSchema }),
  z.object({ type: z.literal('faults.get') }),
  z.object({
    type: z.literal('kv'),
    op: kvOperationSchema,
    key: z.string().max(4096),
    value: z.string().optional(),
    /** The coordinator; default: the running peers in turn. */
    via: peer.optional(),
  }),
  /** Entries of the journal's memory window after `since` (a seq), at most `limit`. */
  z.object({ type: z.literal('journal.entries'), since: z.number().int().min(-1).default(-1), limit: z.number().int().min(1).max(100_000).default(10_000) }),
  /**
   * The whole session in one format, as one string: at most 64 MiB of it (past that the answer
   * is an error that says to download it from `/api/export/FORMAT`, which streams any size).
   */
  z.object({ type: z.literal('journal.export'), format: z.enum(EXPORT_FORMATS) }),

  // The circular DHT (a cluster of kind `dht`). Quit is `peer.stop`, the classroom's kill `peer.kill`.
  /** One peer's successors, predecessors, files held, fingers and working folder (`DhtInspection`). */
  z.object({ type: z.literal('dht.inspect'), peer }),
  /** Every running peer's inspection, sorted by identity: the ring as each peer believes it. */
  z.object({ type: z.literal('dht.ring') }),
  /** A line typed on a peer's console, as it is (`Store 2067`, `Request 4103`, `Quit`; others print a refusal line). */
  z.object({ type: z.literal('dht.type'), peer, line: consoleLineSchema }),
  /** `Store NNNN` at `peer`: its route shows in the console events' `lookup`. */
  z.object({ type: z.literal('dht.store'), peer, file: fileNameSchema }),
  /** `Request NNNN` at `peer`: the holder sends `NNNN.ext` from its folder; `peer` saves `received_NNNN.ext`. */
  z.object({ type: z.literal('dht.request'), peer, file: fileNameSchema }),
  /**
   * Puts a file (`NNNN.ext`) in `peer`'s working folder for a Request to find: the bytes of
   * `contentBase64` (at most 2 MiB), or a sample text when it is absent.
   */
  z.object({
    type: z.literal('dht.file.put'),
    peer,
    name: folderFileNameSchema,
    contentBase64: z
      .string()
      .max(DHT_PUT_CONTENT_BASE64_MAX, 'a file put through the window is at most 2 MiB')
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'contentBase64 is base64')
      .optional(),
  }),
]);
export type ApiCommand = z.infer<typeof apiCommandSchema>;
export type ApiCommandInput = z.input<typeof apiCommandSchema>;

export const apiRequestSchema = z.object({ t: z.literal('req'), id: z.number().int().nonnegative(), command: apiCommandSchema });

export const apiResponseSchema = z.discriminatedUnion('ok', [
  z.object({ t: z.literal('res'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ t: z.literal('res'), id: z.number().int(), ok: z.literal(false), error: z.string() }),
]);
export type ApiResponse = z.infer<typeof apiResponseSchema>;

export const apiEventsSchema = z.object({
  t: z.literal('events'),
  entries: z.array(sessionEntrySchema),
  /** Present when a peer's summary changed since the last batch. */
  peers: z.array(peerSummarySchema).optional(),
  /** Entries this client missed because it read too slowly. */
  dropped: z.number().int().optional(),
});
export type ApiEvents = z.infer<typeof apiEventsSchema>;

export const apiServerFrameSchema = z.union([apiResponseSchema, apiEventsSchema]);
