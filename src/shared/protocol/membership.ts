/**
 * Wire messages of the two membership protocols. Each message is a JSON object whose `type` names
 * it; the schemas below are the single definition of every message a peer may receive, and the
 * TypeScript types come from them. `type` values are part of the protocol: add, never rename.
 *
 * The sender is not in the message: the transport knows who sent it (the simulator's envelope, the
 * authenticated connection of a real peer).
 */
import { z } from 'zod';
import { peerIdSchema } from './peer-id.ts';

const counter = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * The largest SWIM incarnation: 2^29 − 1, so a member row packs incarnation and state into one
 * 32-bit word (`swim/member-table.ts`). Half a billion refutations; larger values are refused.
 */
export const INCARNATION_MAX = 2 ** 29 - 1;
const incarnation = z.number().int().nonnegative().max(INCARNATION_MAX);

/** Entries a single gossip list or state-sync message may carry; larger lists are chunked. */
export const MEMBERS_PER_MESSAGE_MAX = 4096;
/** Updates a single SWIM message may piggyback. */
export const PIGGYBACK_PER_MESSAGE_MAX = 256;

// ---------------------------------------------------------------------------------------------
// Heartbeat gossip (the classroom protocol)

/**
 * One row of a gossiped membership list. `(generation, heartbeat)` orders rows about one peer:
 * the heartbeat grows every tick; the generation grows when the peer restarts, so a restarted
 * peer's fresh heartbeats outrank its old ones.
 */
export const heartbeatEntrySchema = z.object({
  id: peerIdSchema,
  generation: counter,
  heartbeat: counter,
  /** Present when the peer has left gracefully: spread the news, do not count it as a member. */
  left: z.literal(true).optional(),
});
export type HeartbeatEntry = z.infer<typeof heartbeatEntrySchema>;

const heartbeatList = z.array(heartbeatEntrySchema).max(MEMBERS_PER_MESSAGE_MAX);

export const gossipMessageSchema = z.discriminatedUnion('type', [
  /** Asks to join (sent to an introducer) or to reconnect (sent to a member removed as failed). */
  z.object({ type: z.literal('gossip.join-request'), generation: counter, heartbeat: counter }),
  /** The answer to a join request: the replier's membership list. */
  z.object({ type: z.literal('gossip.join-reply'), members: heartbeatList }),
  /** A gossip round: the sender's membership list (its own row included). */
  z.object({ type: z.literal('gossip.heartbeats'), members: heartbeatList }),
]);
export type GossipMessage = z.infer<typeof gossipMessageSchema>;

// ---------------------------------------------------------------------------------------------
// SWIM

/** A member's state as SWIM disseminates it. Values are wire values: append only. */
export const swimStateSchema = z.enum(['alive', 'suspect', 'dead', 'left']);
export type SwimState = z.infer<typeof swimStateSchema>;

/**
 * A membership update, piggybacked on pings, acks and gossip: `from` declares `member` to be in
 * state `kind` at `incarnation`. Only the member itself raises its incarnation (to refute).
 */
export const swimUpdateSchema = z.object({
  kind: swimStateSchema,
  member: peerIdSchema,
  incarnation,
  from: peerIdSchema,
});
export type SwimUpdate = z.infer<typeof swimUpdateSchema>;

/** One row of a full-state exchange (push-pull anti-entropy and join). */
export const swimStateEntrySchema = z.object({
  member: peerIdSchema,
  incarnation,
  state: swimStateSchema,
});
export type SwimStateEntry = z.infer<typeof swimStateEntrySchema>;

const piggyback = z.array(swimUpdateSchema).max(PIGGYBACK_PER_MESSAGE_MAX);

export const swimMessageSchema = z.discriminatedUnion('type', [
  /** A direct probe; answered by an ack with the same sequence number. */
  z.object({ type: z.literal('swim.ping'), sequence: counter, piggyback }),
  /** Asks the receiver to probe `target` and forward its ack (an indirect probe). */
  z.object({ type: z.literal('swim.ping-req'), sequence: counter, target: peerIdSchema, piggyback }),
  z.object({ type: z.literal('swim.ack'), sequence: counter, piggyback }),
  /** Dissemination only: updates sent to random members between probes. */
  z.object({ type: z.literal('swim.gossip'), piggyback }),
  /**
   * Full-state exchange in chunks: a request (`reply: false`) is answered, once its `final` chunk
   * arrives, by the receiver's own state (`reply: true`). A join is a request to an introducer.
   */
  z.object({
    type: z.literal('swim.sync'),
    reply: z.boolean(),
    final: z.boolean(),
    members: z.array(swimStateEntrySchema).max(MEMBERS_PER_MESSAGE_MAX),
  }),
  /**
   * Two peers that find they do not count each other as members exchange their own rows and what
   * each believes about the other (so one thought dead can refute): O(1), unlike a full sync.
   */
  z.object({ type: z.literal('swim.introduce'), reply: z.boolean(), rows: z.array(swimStateEntrySchema).max(2) }),
]);
export type SwimMessage = z.infer<typeof swimMessageSchema>;

// ---------------------------------------------------------------------------------------------

export const membershipMessageSchema = z.union([gossipMessageSchema, swimMessageSchema]);
export type MembershipMessage = GossipMessage | SwimMessage;
export type MembershipMessageType = MembershipMessage['type'];

export const MEMBERSHIP_MESSAGE_TYPES: ReadonlySet<string> = new Set<MembershipMessageType>([
  'gossip.join-request',
  'gossip.join-reply',
  'gossip.heartbeats',
  'swim.ping',
  'swim.ping-req',
  'swim.ack',
  'swim.gossip',
  'swim.sync',
  'swim.introduce',
]);

// ---------------------------------------------------------------------------------------------
// Encoded sizes, computed without encoding. Each is an upper bound of the JSON encoding's length
// in bytes (a test checks it): peer ids never need escaping and counters have at most 16 digits.

const COUNTER_DIGITS_MAX = 16;
/** `{"type":"swim.ping-req","sequence":…,"target":"…","piggyback":[`…`]}` and the like. */
export const ENVELOPE_BYTES = 64 + COUNTER_DIGITS_MAX;

export function heartbeatEntryBytes(entry: HeartbeatEntry): number {
  // {"id":"…","generation":…,"heartbeat":…,"left":true},
  return 56 + entry.id.length + 2 * COUNTER_DIGITS_MAX;
}

export function swimUpdateBytes(update: SwimUpdate): number {
  // {"kind":"suspect","member":"…","incarnation":…,"from":"…"},
  return 56 + update.member.length + update.from.length + COUNTER_DIGITS_MAX;
}

export function swimStateEntryBytes(entry: SwimStateEntry): number {
  // {"member":"…","incarnation":…,"state":"suspect"},
  return 48 + entry.member.length + COUNTER_DIGITS_MAX;
}

/** An upper bound of `encodeMembershipMessage(message)`'s length in bytes. */
export function membershipMessageBytes(message: MembershipMessage): number {
  let bytes = ENVELOPE_BYTES;
  switch (message.type) {
    case 'gossip.join-request':
      return bytes + 2 * COUNTER_DIGITS_MAX;
    case 'gossip.join-reply':
    case 'gossip.heartbeats':
      for (const entry of message.members) bytes += heartbeatEntryBytes(entry);
      return bytes;
    case 'swim.ping-req':
      bytes += message.target.length + 16;
      for (const update of message.piggyback) bytes += swimUpdateBytes(update);
      return bytes;
    case 'swim.ping':
    case 'swim.ack':
    case 'swim.gossip':
      for (const update of message.piggyback) bytes += swimUpdateBytes(update);
      return bytes;
    case 'swim.sync':
      bytes += 32;
      for (const entry of message.members) bytes += swimStateEntryBytes(entry);
      return bytes;
    case 'swim.introduce':
      bytes += 16;
      for (const entry of message.rows) bytes += swimStateEntryBytes(entry);
      return bytes;
  }
}
