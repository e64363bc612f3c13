/**
 * What both membership machines share: the reused output buffer, decoding of raw bytes with
 * counted refusals, the message counters, and the life cycle of a peer (idle → joining, retrying
 * its introducers in turn → member → left). Protocol decisions live in the subclasses, which
 * say how to ask to join, what to do once in, and how to say goodbye.
 */
import type { JournalEvent, RejectReason } from '../journal/events.ts';
import { assert, type MachineInput, type MachineOutput, type PeerId, type Tick } from '../machine.ts';
import { membershipCodec } from '../protocol/codec.ts';
import type { MembershipMessage } from '../protocol/membership.ts';
import {
  emptyCounters,
  type MemberState,
  type MemberView,
  type MembershipCommand,
  type MembershipCounters,
  type MembershipMachine,
  type MembershipProtocol,
  type MembershipReply,
  type MembershipStatus,
} from './types.ts';

export type MembershipInput = MachineInput<MembershipMessage, MembershipCommand>;
export type MembershipOutput = MachineOutput<MembershipMessage, MembershipReply>;

/** The version of a peer's own row that its member events carry. */
export type SelfVersion = { readonly heartbeat: number } | { readonly incarnation: number };

export abstract class MembershipMachineBase implements MembershipMachine {
  abstract readonly protocol: MembershipProtocol;
  readonly id: PeerId;
  /** The largest message this peer sends or accepts, in bytes. */
  protected readonly messageBytesMax: number;
  protected readonly counts: MembershipCounters = emptyCounters();
  readonly #outputs: MembershipOutput[] = [];
  readonly #joinRetryTicks: number;
  readonly #joinTimeoutTicks: number;
  #status: MembershipStatus = 'idle';
  #joinStartTick: Tick = 0;
  #joinedTick: Tick = 0;
  #introducers: readonly PeerId[] = [];
  #nextJoinTick: Tick = 0;

  constructor(id: PeerId, messageBytesMax: number, joining: { readonly joinRetryTicks: number; readonly joinTimeoutTicks: number }) {
    this.id = id;
    this.messageBytesMax = messageBytesMax;
    this.#joinRetryTicks = joining.joinRetryTicks;
    this.#joinTimeoutTicks = joining.joinTimeoutTicks;
  }

  get status(): MembershipStatus {
    return this.#status;
  }

  step(input: MembershipInput, now: Tick): readonly MembershipOutput[] {
    this.#outputs.length = 0;
    switch (input.kind) {
      case 'tick':
        if (this.#status === 'joining') {
          // Nobody answers (every peer restarted at once, or the introducers are down): start a
          // group of one, as a memberlist node is, and keep asking, so groups merge when one answers.
          if (now >= this.#joinStartTick + this.#joinTimeoutTicks) this.becomeMember(now);
          else if (now >= this.#nextJoinTick) this.#askToJoin(now);
        } else if (this.#status === 'member') {
          if (this.#introducers.length > 0 && now >= this.#nextJoinTick) this.#askIntroducerOutsideTheGroup(now);
          this.onTick(now);
        }
        break;
      case 'receive':
        this.#receive(input.from, input.message, now);
        break;
      case 'receive-bytes': {
        const decoded = membershipCodec.decode(input.data, this.messageBytesMax);
        if (decoded.ok) this.#receive(input.from, decoded.message, now);
        else this.reject(input.from, decoded.error.reason, decoded.error.detail, now);
        break;
      }
      case 'command':
        this.#command(input.command, now);
        break;
    }
    return this.#outputs;
  }

  #command(command: MembershipCommand, now: Tick): void {
    if (command.type === 'join') {
      if (this.#status !== 'idle') return;
      this.#introducers = command.introducers.filter((id) => id !== this.id);
      if (this.#introducers.length === 0) {
        this.becomeMember(now); // the first peer: it is the group
        return;
      }
      this.#status = 'joining';
      this.#joinStartTick = now;
      this.#askToJoin(now);
      return;
    }
    if (this.#status === 'member') this.sayGoodbye(now);
    this.#status = 'left';
    this.reply({ type: 'left' });
  }

  /** Asks the next introducer in turn, and again every joinRetryTicks until one answers. */
  #askToJoin(now: Tick): void {
    const introducer = this.#introducers[this.counts.joinAttempts % this.#introducers.length];
    assert(introducer !== undefined, 'a joining peer has introducers');
    this.counts.joinAttempts++;
    this.#nextJoinTick = now + this.#joinRetryTicks;
    this.sendJoinRequest(introducer);
  }

  /**
   * Introducers are what holds separate groups together: a member asks one it does not count
   * as a member to join, now and then (at once while alone). When every introducer is a member
   * this sends nothing. It merges the groups a full restart or a partition may leave.
   */
  #askIntroducerOutsideTheGroup(now: Tick): void {
    const alone = this.memberCount() <= 1;
    this.#nextJoinTick = now + (alone ? this.#joinRetryTicks : this.#joinTimeoutTicks);
    for (let tried = 0; tried < this.#introducers.length; tried++) {
      const introducer = this.#introducers[this.counts.joinAttempts % this.#introducers.length] as PeerId;
      this.counts.joinAttempts++;
      if (this.isMember(introducer)) continue;
      this.sendJoinRequest(introducer);
      return;
    }
  }

  /** The group has let this peer in (a subclass calls this when an introducer answers). */
  protected becomeMember(now: Tick): void {
    this.#status = 'member';
    this.#joinedTick = now;
    this.onJoined(now);
    this.emit({ kind: 'member.added', tick: now, peer: this.id, subject: this.id, ...this.selfVersion() });
    this.reply({ type: 'joined' });
  }

  /** This peer's own row, once it has joined. */
  protected selfView(): MemberView | undefined {
    if (this.#status !== 'member' && this.#status !== 'left') return undefined;
    const state: MemberState = this.#status === 'left' ? 'left' : 'alive';
    return { id: this.id, state, sinceTick: this.#joinedTick, ...this.selfVersion() };
  }

  #receive(from: PeerId, message: MembershipMessage, now: Tick): void {
    if (!message.type.startsWith(`${this.protocol}.`)) {
      this.reject(from, 'wrong-protocol', `a ${this.protocol} peer got ${message.type}`, now);
      return;
    }
    this.counts.messagesReceived++;
    // Before joining and after leaving, a peer is not in the group: it hears nothing.
    if (this.#status === 'idle' || this.#status === 'left') return;
    this.onMessage(from, message, now);
  }

  protected reject(from: PeerId, reason: RejectReason, detail: string, now: Tick): void {
    this.counts.messagesRejected[reason]++;
    this.emit({ kind: 'message.rejected', tick: now, peer: this.id, from, reason, detail });
  }

  protected send(to: PeerId, message: MembershipMessage): void {
    this.counts.messagesSent++;
    this.#outputs.push({ kind: 'send', to, message });
  }

  protected emit(event: JournalEvent): void {
    this.#outputs.push({ kind: 'event', event });
  }

  protected reply(reply: MembershipReply): void {
    this.#outputs.push({ kind: 'reply', reply });
  }

  counters(): Readonly<MembershipCounters> {
    return this.counts;
  }

  /** A tick while a member. */
  protected abstract onTick(now: Tick): void;
  /** A message, while joining or a member. */
  protected abstract onMessage(from: PeerId, message: MembershipMessage, now: Tick): void;
  protected abstract sendJoinRequest(introducer: PeerId): void;
  /** Just admitted: start the periodic work. */
  protected abstract onJoined(now: Tick): void;
  /** Leaving gracefully: tell the group. */
  protected abstract sayGoodbye(now: Tick): void;
  protected abstract selfVersion(): SelfVersion;
  abstract members(): MemberView[];
  abstract isMember(id: PeerId): boolean;
  abstract stateOf(id: PeerId): MemberState | undefined;
  abstract memberCount(): number;
}
