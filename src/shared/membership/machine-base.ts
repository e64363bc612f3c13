/**
 * The plumbing both membership machines share: the reused output buffer, decoding of raw bytes
 * with counted refusals, and the message counters. Protocol decisions live in the subclasses.
 */
import type { JournalEvent, RejectReason } from '../journal/events.ts';
import type { MachineInput, MachineOutput, PeerId, Tick } from '../machine.ts';
import { membershipCodec } from '../protocol/codec.ts';
import type { MembershipMessage } from '../protocol/membership.ts';
import {
  emptyCounters,
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

export abstract class MembershipMachineBase implements MembershipMachine {
  abstract readonly protocol: MembershipProtocol;
  abstract readonly status: MembershipStatus;
  readonly id: PeerId;
  /** The largest message this peer sends or accepts, in bytes. */
  protected readonly messageBytesMax: number;
  protected readonly counts: MembershipCounters = emptyCounters();
  readonly #outputs: MembershipOutput[] = [];

  constructor(id: PeerId, messageBytesMax: number) {
    this.id = id;
    this.messageBytesMax = messageBytesMax;
  }

  step(input: MembershipInput, now: Tick): readonly MembershipOutput[] {
    this.#outputs.length = 0;
    switch (input.kind) {
      case 'tick':
        this.onTick(now);
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
        this.onCommand(input.command, now);
        break;
    }
    return this.#outputs;
  }

  #receive(from: PeerId, message: MembershipMessage, now: Tick): void {
    if (!message.type.startsWith(`${this.protocol}.`)) {
      this.reject(from, 'wrong-protocol', `a ${this.protocol} peer got ${message.type}`, now);
      return;
    }
    this.counts.messagesReceived++;
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

  protected abstract onTick(now: Tick): void;
  protected abstract onMessage(from: PeerId, message: MembershipMessage, now: Tick): void;
  protected abstract onCommand(command: MembershipCommand, now: Tick): void;
  abstract members(): MemberView[];
  abstract isMember(id: PeerId): boolean;
  abstract memberCount(): number;
}
