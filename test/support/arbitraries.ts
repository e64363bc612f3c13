/** fast-check arbitraries for every membership wire message: any message the decoder accepts. */
import fc from 'fast-check';
import {
  INCARNATION_MAX,
  type HeartbeatEntry,
  type MembershipMessage,
  type SwimStateEntry,
  type SwimUpdate,
} from '../../src/shared/protocol/membership.ts';
import { PEER_ID_LENGTH_MAX } from '../../src/shared/protocol/peer-id.ts';

export const PEER_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-[]';
export const peerId = fc.oneof(
  fc.string({
    unit: fc.constantFrom(...PEER_ID_ALPHABET.split('')),
    minLength: 1,
    maxLength: PEER_ID_LENGTH_MAX,
  }),
  fc.integer({ min: 1, max: 1000 }).map((k) => `${k}.0.0.0:0`),
);
export const counter = fc.oneof(
  fc.integer({ min: 0, max: 1000 }),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
/** SWIM incarnations are bounded on the wire (they share a word with the state in the table). */
const incarnation = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(INCARNATION_MAX), fc.integer({ min: 0, max: INCARNATION_MAX }));
const swimState = fc.constantFrom('alive', 'suspect', 'dead', 'left') as fc.Arbitrary<SwimUpdate['kind']>;

const heartbeatEntry: fc.Arbitrary<HeartbeatEntry> = fc.record(
  { id: peerId, generation: counter, heartbeat: counter, left: fc.constant(true as const) },
  { requiredKeys: ['id', 'generation', 'heartbeat'] },
);
export const swimUpdate: fc.Arbitrary<SwimUpdate> = fc.record({
  kind: swimState,
  member: peerId,
  incarnation,
  from: peerId,
});
export const swimStateEntry: fc.Arbitrary<SwimStateEntry> = fc.record({ member: peerId, incarnation, state: swimState });
const piggyback = fc.array(swimUpdate, { maxLength: 6 });
const heartbeats = fc.array(heartbeatEntry, { maxLength: 6 });

export const arbitraries = {
  'gossip.join-request': fc.record({
    type: fc.constant('gossip.join-request' as const),
    generation: counter,
    heartbeat: counter,
  }),
  'gossip.join-reply': fc.record({ type: fc.constant('gossip.join-reply' as const), members: heartbeats }),
  'gossip.heartbeats': fc.record({ type: fc.constant('gossip.heartbeats' as const), members: heartbeats }),
  'swim.ping': fc.record({ type: fc.constant('swim.ping' as const), sequence: counter, piggyback }),
  'swim.ping-req': fc.record({
    type: fc.constant('swim.ping-req' as const),
    sequence: counter,
    target: peerId,
    piggyback,
  }),
  'swim.ack': fc.record({ type: fc.constant('swim.ack' as const), sequence: counter, piggyback }),
  'swim.gossip': fc.record({ type: fc.constant('swim.gossip' as const), piggyback }),
  'swim.sync': fc.record({
    type: fc.constant('swim.sync' as const),
    reply: fc.boolean(),
    final: fc.boolean(),
    members: fc.array(swimStateEntry, { maxLength: 6 }),
  }),
  'swim.introduce': fc.record({
    type: fc.constant('swim.introduce' as const),
    reply: fc.boolean(),
    rows: fc.array(swimStateEntry, { maxLength: 2 }),
  }),
} satisfies Record<MembershipMessage['type'], fc.Arbitrary<MembershipMessage>>;

export const membershipMessage: fc.Arbitrary<MembershipMessage> = fc.oneof(...Object.values(arbitraries));
