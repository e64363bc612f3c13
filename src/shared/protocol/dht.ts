/**
 * Wire messages of the classroom circular DHT (the "p2p" protocol). Each message is a JSON object
 * whose `type` names it; the schemas are the single definition of every message a DHT peer may
 * receive. `type` values are part of the protocol: add, never rename.
 *
 * The sender is not in the message: the transport knows who sent it, and a peer's address names
 * its identity (see `dht/address-book.ts`). Identities that travel on (a joiner, a lookup's
 * route) are in the message.
 */
import { z } from 'zod';
import { createCodec, type Codec } from './codec.ts';

/** Identities are integers in [0, IDENTITY_COUNT). */
export const IDENTITY_COUNT = 256;
export const identitySchema = z.number().int().min(0).max(IDENTITY_COUNT - 1);

export function isIdentity(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < IDENTITY_COUNT;
}

/** A forwarded message (join, store, request, lookup) is dropped after this many hops. */
export const HOPS_MAX = IDENTITY_COUNT;

/** File names are exactly four decimal digits, 0000 to 9999. */
export const fileNameSchema = z.string().regex(/^\d{4}$/, 'a file name is four digits');

/** File names one handover message carries; more are sent in several. */
export const FILES_PER_MESSAGE_MAX = 1024;

/** Large enough for a full route and a full handover chunk. */
export const DHT_MESSAGE_BYTES_MAX = 16_384;

const sequence = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** The identities a lookup visited, its origin first. */
const route = z.array(identitySchema).min(1).max(HOPS_MAX + 1);
const files = z.array(fileNameSchema).max(FILES_PER_MESSAGE_MAX);

export const dhtMessageSchema = z.discriminatedUnion('type', [
  /**
   * The pinger's status check. `rank` says which successor the receiver is to the pinger (1:
   * first, 2: second), so the receiver learns its two predecessors. A first-rank ping carries the
   * pinger's second successor, which the receiver corrects if it is not the receiver's own first.
   */
  z.object({ type: z.literal('dht.ping-request'), rank: z.union([z.literal(1), z.literal(2)]), sequence, second: identitySchema.optional() }),
  /**
   * `predecessor`: to a first-rank pinger, a closer predecessor the receiver has heard from, which
   * the pinger takes as its first successor (it joined between them unannounced).
   */
  z.object({ type: z.literal('dht.ping-response'), sequence, predecessor: identitySchema.optional() }),
  /** Travels along first successors until the peer after which `joiner` belongs. */
  z.object({ type: z.literal('dht.join-request'), joiner: identitySchema, hops: z.number().int().nonnegative().max(HOPS_MAX) }),
  /** To the joiner: its successors, and its predecessors as the accepting peer knows them. */
  z.object({ type: z.literal('dht.join-accepted'), first: identitySchema, second: identitySchema, predecessors: z.array(identitySchema).max(2) }),
  /** "Your successors are now these": applied only by a peer whose first successor is the sender. */
  z.object({ type: z.literal('dht.successor-change'), first: identitySchema, second: identitySchema }),
  /**
   * A graceful departure: the departing peer's successors, for the peers that had it as a
   * successor. `peer` is there when a neighbour relays the news (then it names the departing peer).
   */
  z.object({ type: z.literal('dht.depart'), first: identitySchema, second: identitySchema, peer: identitySchema.optional() }),
  /** Abrupt-departure repair: "what are your successors?" */
  z.object({ type: z.literal('dht.successors-request'), sequence }),
  z.object({ type: z.literal('dht.successors-response'), sequence, first: identitySchema, second: identitySchema }),
  /** `owner`: the sender found that the receiver owns the file's hash. */
  z.object({ type: z.literal('dht.store'), file: fileNameSchema, owner: z.boolean(), route }),
  z.object({ type: z.literal('dht.request'), file: fileNameSchema, owner: z.boolean(), route }),
  /**
   * Holder → requester: the file itself. In the simulator this message is the transfer; a real
   * peer's driver streams the bytes on a connection of their own and delivers this message to the
   * requester's machine once they are saved.
   */
  z.object({ type: z.literal('dht.file'), file: fileNameSchema }),
  /** Requester → holder: the file arrived. */
  z.object({ type: z.literal('dht.file-received'), file: fileNameSchema }),
  /** Stored file names handed to the peer that now owns them (kept by the sender until acknowledged). */
  z.object({ type: z.literal('dht.files'), files }),
  z.object({ type: z.literal('dht.files-received'), files }),
  /** Finger tables (beyond the classroom): who owns `target`? Travels along first successors. */
  z.object({ type: z.literal('dht.find-successor'), target: identitySchema, sequence, owner: z.boolean(), route }),
  /** From the owner of `target` to the lookup's origin. */
  z.object({ type: z.literal('dht.successor-found'), target: identitySchema, sequence }),
  /**
   * Holder → requester, instead of `dht.file`: a real peer's folder has no file of that name, so
   * nothing was sent (the simulator's peers hold every file they own).
   */
  z.object({ type: z.literal('dht.file-missing'), file: fileNameSchema }),
]);
export type DhtMessage = z.infer<typeof dhtMessageSchema>;
export type DhtMessageType = DhtMessage['type'];

export const DHT_MESSAGE_TYPES: ReadonlySet<string> = new Set<DhtMessageType>(
  dhtMessageSchema.options.map((option) => option.shape.type.value),
);

export const dhtCodec: Codec<DhtMessage> = createCodec<DhtMessage>(dhtMessageSchema as z.ZodType<DhtMessage>, DHT_MESSAGE_TYPES);

/** The encoded size in bytes: DHT messages are small and ASCII, so the JSON length is exact. */
export function dhtMessageBytes(message: DhtMessage): number {
  return JSON.stringify(message).length;
}
