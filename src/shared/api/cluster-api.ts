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
import { faultPlanSchema } from '../protocol/faults.ts';
import { kvOperationSchema } from '../protocol/kv.ts';
import { peerIdSchema } from '../protocol/peer-id.ts';

export const API_VERSION = 1;
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
});
export type PeerSummaryWire = z.infer<typeof peerSummarySchema>;

/** How a cluster's peers run; chosen when the cluster starts (with no peer running). */
export const clusterSettingsSchema = z.object({
  /** The membership protocol: SWIM (default) or the classroom's heartbeat gossip. */
  protocol: z.enum(['gossip', 'swim']),
  /** The length of one protocol tick, in ms (default 100): every protocol timeout counts ticks. */
  tickMs: z.number().int().min(10).max(10_000),
});
export type ClusterSettings = z.infer<typeof clusterSettingsSchema>;
export const CLUSTER_SETTINGS_DEFAULTS: ClusterSettings = { protocol: 'swim', tickMs: 100 };

export const sessionInfoSchema = z.object({
  api: z.literal(API_VERSION),
  protocol: z.enum(['gossip', 'swim']),
  tickMs: z.number().int().positive(),
  startedAt: z.number(),
  peers: z.array(peerSummarySchema),
  journal: z.object({ entries: z.number().int(), path: z.string().optional(), bytesWritten: z.number().int(), writeError: z.string().optional() }),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const apiCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session') }),
  z.object({ type: z.literal('peers') }),
  /**
   * Starts `peers` more peers (the first starts a group when none runs). Settings may change only
   * while no peer runs.
   */
  z.object({ type: z.literal('cluster.start'), peers: z.number().int().min(1).max(64), ...clusterSettingsSchema.partial().shape }),
  /** Stops every peer gracefully; the session and its journal stay. */
  z.object({ type: z.literal('cluster.stop') }),
  z.object({ type: z.literal('peer.add') }),
  z.object({ type: z.literal('peer.stop'), peer }),
  z.object({ type: z.literal('peer.kill'), peer }),
  z.object({ type: z.literal('peer.pause'), peer }),
  z.object({ type: z.literal('peer.resume'), peer }),
  z.object({ type: z.literal('peer.restart'), peer }),
  z.object({ type: z.literal('peer.attach'), address: peer }),
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
  z.object({ type: z.literal('journal.export'), format: z.enum(EXPORT_FORMATS) }),
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
