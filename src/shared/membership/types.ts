/**
 * What the two membership protocols have in common: the commands they take, the view of the
 * group each peer holds, and their counters. Both emit the same member events
 * (`member.added`, `member.suspected`, `member.alive`, `member.removed`, `member.left`), each with
 * the observer (`peer`), the `subject` and the tick, so every view and grader reads either.
 */
import type { RejectReason } from '../journal/events.ts';
import type { Machine, PeerId, Tick } from '../machine.ts';
import type { MembershipMessage } from '../protocol/membership.ts';

export type MembershipProtocol = 'gossip' | 'swim';
export const MEMBERSHIP_PROTOCOLS: readonly MembershipProtocol[] = ['gossip', 'swim'];

/** A member's state as one peer believes it (the words of the SWIM paper). */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export interface MemberView {
  readonly id: PeerId;
  readonly state: MemberState;
  /** The tick this peer last changed its belief about the member's state. */
  readonly sinceTick: Tick;
  /** SWIM only. */
  readonly incarnation?: number;
  /** Gossip only. */
  readonly heartbeat?: number;
  readonly generation?: number;
}

export type MembershipCommand =
  /** Join the group through the first introducer that answers (retried until one does). */
  | { readonly type: 'join'; readonly introducers: readonly PeerId[] }
  /** Leave gracefully: tell the group, then stop. */
  | { readonly type: 'leave' };

export type MembershipReply = { readonly type: 'joined' } | { readonly type: 'left' };

/** Where a peer is in its life: before joining, a member, or gone after a graceful leave. */
export type MembershipStatus = 'idle' | 'joining' | 'member' | 'left';

export interface MembershipCounters {
  messagesSent: number;
  messagesReceived: number;
  messagesRejected: Record<RejectReason, number>;
  /**
   * Well-formed news this peer would not take: a member beyond `membersMax`, an incarnation it
   * cannot outbid, an indirect probe of itself. Counted, never fatal.
   */
  updatesRefused: number;
  joinAttempts: number;
}

export function emptyCounters(): MembershipCounters {
  return {
    messagesSent: 0,
    messagesReceived: 0,
    messagesRejected: {
      oversize: 0,
      malformed: 0,
      invalid: 0,
      'unknown-type': 0,
      'wrong-protocol': 0,
      'not-a-member': 0,
      'clock-skew': 0,
      mismatched: 0,
      unauthenticated: 0,
    },
    updatesRefused: 0,
    joinAttempts: 0,
  };
}

export interface MembershipMachine
  extends Machine<MembershipMessage, MembershipCommand, MembershipReply> {
  readonly protocol: MembershipProtocol;
  readonly status: MembershipStatus;
  /** What this peer believes about every peer it knows, itself included. */
  members(): MemberView[];
  /** True when this peer counts `id` as a member of the group (alive or suspect). */
  isMember(id: PeerId): boolean;
  /** What this peer believes about `id` (itself included), or undefined if it has no row. */
  stateOf(id: PeerId): MemberState | undefined;
  /** How many peers this peer counts as members, itself included. */
  memberCount(): number;
  counters(): Readonly<MembershipCounters>;
}
