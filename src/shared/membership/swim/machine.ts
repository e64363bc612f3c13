/**
 * SWIM membership (Das, Gupta, Motivala 2002) with the Lifeguard refinements, shaped after
 * HashiCorp memberlist.
 *
 * - Failure detection: every `probeIntervalTicks` a member pings the next member of a shuffled
 *   round-robin. Without an ack after `probeTimeoutTicks` it asks `indirectChecks` others to ping
 *   the target for it (ping-req); without any ack by the end of the interval it suspects the target.
 * - Suspicion: a suspected member is declared dead when its suspicion times out, unless it refutes
 *   by raising its incarnation number. The timeout starts long and shrinks with every independent
 *   confirmation (Lifeguard); the formulas are in `config.ts`. A suspect that is pinged hears of
 *   the suspicion at once (Lifeguard's buddy system).
 * - Dissemination: updates (alive, suspect, dead, left) ride piggyback on pings, acks and gossip
 *   messages, each a bounded number of times (`broadcast-queue.ts`).
 * - Anti-entropy: every `pushPullIntervalTicks` a member exchanges its full state with a random
 *   member. A join is such an exchange with an introducer, retried until one answers.
 * - Leave: a leaving member disseminates `left` about itself, then stops.
 *
 * The caller's duties are those of `machine.ts`.
 */
import { assert, type PeerId, type Tick } from '../../machine.ts';
import {
  ENVELOPE_BYTES,
  INCARNATION_MAX,
  swimStateEntryBytes,
  swimUpdateBytes,
  type MembershipMessage,
  type SwimMessage,
  type SwimState,
  type SwimStateEntry,
  type SwimUpdate,
} from '../../protocol/membership.ts';
import type { RandomStream } from '../../random/stream.ts';
import { MembershipMachineBase, type SelfVersion } from '../machine-base.ts';
import type { MemberState, MemberView } from '../types.ts';
import { BroadcastQueue } from './broadcast-queue.ts';
import {
  SWIM_DEFAULTS,
  swimConfigProblem,
  expectedConfirmations,
  pushPullIntervalTicks,
  retransmitLimit,
  suspicionTimeoutTicks,
  type SwimConfig,
} from './config.ts';
import { MemberTable, SlotRegistry } from './member-table.ts';

export interface SwimOptions {
  readonly id: PeerId;
  readonly random: RandomStream;
  readonly messageBytesMax: number;
  /** Shared by the simulator's peers to save memory; a real peer gets its own. */
  readonly slots?: SlotRegistry;
  readonly config?: Partial<SwimConfig>;
}

interface Probe {
  readonly slot: number;
  readonly target: PeerId;
  readonly sequence: number;
  readonly startTick: Tick;
  acked: boolean;
  indirectSent: boolean;
}

interface Suspicion {
  readonly incarnation: number;
  readonly startTick: Tick;
  /** When this peer last probed the suspect (-Infinity: not since the suspicion began). */
  lastProbeTick: Tick;
  /** Who suspected it: the first suspecter and every independent confirmation. */
  readonly suspecters: Set<PeerId>;
  timeoutTicks: number;
}

/** A ping this peer sends on behalf of another (a ping-req), whose ack it must forward. */
interface IndirectProbe {
  readonly origin: PeerId;
  readonly originSequence: number;
  readonly expiresTick: Tick;
}

export class SwimMachine extends MembershipMachineBase {
  readonly protocol = 'swim';
  readonly config: SwimConfig;
  readonly #random: RandomStream;
  readonly #table: MemberTable;
  readonly #queue: BroadcastQueue;
  readonly #suspicions = new Map<number, Suspicion>();
  readonly #indirect = new Map<number, IndirectProbe>();
  /** The last tick this peer introduced itself to a stranger (see `#introduceIfStranger`). */
  #lastIntroductionTick: Tick = -Infinity;
  /** Dead members that may still be reachable, and the tick they were declared dead. */
  readonly #reconnectCandidates = new Map<PeerId, Tick>();
  /** Dead and departed members in the order they were declared, to forget them later. */
  readonly #graveyard: { slot: number; tick: Tick }[] = [];
  #graveyardHead = 0;
  #incarnation = 0;
  #sequence = 0;
  #probe: Probe | null = null;
  #probeCursor = 0;
  /** Whether the last probe went to a suspect out of turn (the next one follows the round-robin). */
  #lastProbeOutOfTurn = false;
  #nextProbeTick: Tick = 0;
  #nextGossipTick: Tick = 0;
  #nextPushPullTick: Tick = 0;
  #nextReconnectTick: Tick = 0;

  constructor(options: SwimOptions) {
    const config = { ...SWIM_DEFAULTS, ...options.config };
    super(options.id, options.messageBytesMax, config);
    this.config = config;
    const problem = swimConfigProblem(config);
    assert(problem === undefined, problem ?? '');
    this.#random = options.random;
    this.#table = new MemberTable(options.slots ?? new SlotRegistry());
    this.#queue = new BroadcastQueue(this.config.broadcastQueueMax);
  }

  get incarnation(): number {
    return this.#incarnation;
  }

  // ------------------------------------------------------------------------------------------
  // Inputs

  protected onMessage(from: PeerId, message: MembershipMessage, now: Tick): void {
    const swim = message as SwimMessage;
    // A joining peer only listens for the answer to its join: were it to answer another
    // joiner's request, two peers restarting together would found a group of their own.
    if (this.status === 'joining' && !(swim.type === 'swim.sync' && swim.reply)) return;
    if (swim.type !== 'swim.sync' && swim.type !== 'swim.introduce') this.#introduceIfStranger(from, now);
    switch (swim.type) {
      case 'swim.ping': {
        // The buddy system's second half: a pinger that still suspects this peer at an older
        // incarnation gets the refutation in the ack, even if it missed the broadcast.
        const stale = this.#applyUpdates(swim.piggyback, now);
        this.#sendWithPiggyback(
          from,
          0,
          (piggyback) => ({ type: 'swim.ack', sequence: swim.sequence, piggyback }),
          stale ? this.#selfAlive() : undefined,
        );
        return;
      }
      case 'swim.ping-req': {
        if (this.#applyUpdates(swim.piggyback, now)) this.#sendGossip(from, this.#selfAlive());
        // Probing itself or the asker makes no sense, and the table of probes run for others is
        // bounded: such requests are refused, not obeyed.
        if (swim.target === this.id || swim.target === from || this.#indirect.size >= this.config.indirectProbesMax) {
          this.counts.updatesRefused++;
          return;
        }
        const sequence = ++this.#sequence;
        this.#indirect.set(sequence, {
          origin: from,
          originSequence: swim.sequence,
          expiresTick: now + this.config.probeIntervalTicks,
        });
        this.#sendWithPiggyback(swim.target, 0, (piggyback) => ({ type: 'swim.ping', sequence, piggyback }));
        return;
      }
      case 'swim.ack': {
        if (this.#applyUpdates(swim.piggyback, now)) this.#sendGossip(from, this.#selfAlive());
        if (this.#probe !== null && swim.sequence === this.#probe.sequence) {
          this.#probe.acked = true;
          return;
        }
        const indirect = this.#indirect.get(swim.sequence);
        if (indirect !== undefined) {
          this.#indirect.delete(swim.sequence);
          this.#sendWithPiggyback(indirect.origin, 0, (piggyback) => ({
            type: 'swim.ack',
            sequence: indirect.originSequence,
            piggyback,
          }));
        }
        return;
      }
      case 'swim.gossip':
        if (this.#applyUpdates(swim.piggyback, now)) this.#sendGossip(from, this.#selfAlive());
        return;
      case 'swim.sync':
        if (swim.reply && this.status === 'joining') this.becomeMember(now);
        for (const entry of swim.members) this.#applyRemoteState(from, entry, now);
        if (!swim.reply && swim.final) this.#sendState(from, true);
        return;
      case 'swim.introduce':
        for (const row of swim.rows) this.#applyRemoteState(from, row, now);
        if (!swim.reply) this.send(from, { type: 'swim.introduce', reply: true, rows: this.#introductionRows(from) });
        return;
    }
  }

  protected onTick(now: Tick): void {
    this.#advanceProbe(now);
    this.#expireSuspicions(now);
    if (now >= this.#nextGossipTick) {
      this.#nextGossipTick = now + this.config.gossipIntervalTicks;
      this.#gossip(now);
    }
    if (now >= this.#nextPushPullTick) {
      this.#nextPushPullTick = now + pushPullIntervalTicks(this.config, this.memberCount());
      const [target] = this.#randomMembers(1, 'alive', now);
      if (target !== undefined) this.#sendState(target, false);
    }
    if (now >= this.#nextReconnectTick) {
      this.#nextReconnectTick = now + this.config.reconnectIntervalTicks;
      this.#reconnect(now);
    }
    this.#forget(now);
  }

  // ------------------------------------------------------------------------------------------
  // Life cycle (see machine-base.ts)

  /** A join is a state exchange with an introducer that carries only this peer's row. */
  protected sendJoinRequest(introducer: PeerId): void {
    this.send(introducer, {
      type: 'swim.sync',
      reply: false,
      final: true,
      members: [{ member: this.id, incarnation: this.#incarnation, state: 'alive' }],
    });
  }

  protected onJoined(now: Tick): void {
    // Spread out periodic work so that peers started together do not act in lockstep.
    this.#nextProbeTick = now + 1 + this.#random.index(this.config.probeIntervalTicks);
    this.#nextGossipTick = now + 1;
    this.#nextPushPullTick = now + 1 + this.#random.index(pushPullIntervalTicks(this.config, this.memberCount()));
    this.#nextReconnectTick = now + this.config.reconnectIntervalTicks;
  }

  /** Tells a few members directly; they pass it on. Losing all of them is unlikely. */
  protected sayGoodbye(now: Tick): void {
    const farewell = this.#update('left', this.id, this.#incarnation, this.id);
    const targets = this.#randomMembers(2 * this.config.gossipFanout, 'members', now);
    for (const target of targets) this.#sendGossip(target, farewell);
  }

  protected selfVersion(): SelfVersion {
    return { incarnation: this.#incarnation };
  }

  /**
   * A peer that talks to this one but is not counted as a member (two joins raced and every
   * broadcast about it was missed; a partition healed; it restarted) gets an introduction: this
   * peer's row and what it believes about the stranger. O(1), and at most one per probe interval,
   * since in a large join storm every peer meets strangers that dissemination will introduce.
   */
  #introduceIfStranger(from: PeerId, now: Tick): void {
    if (this.status !== 'member' || now < this.#lastIntroductionTick + this.config.probeIntervalTicks) return;
    if (this.isMember(from)) return;
    this.#lastIntroductionTick = now;
    this.send(from, { type: 'swim.introduce', reply: false, rows: this.#introductionRows(from) });
  }

  /** This peer's own row, and its row about `other` if it has one. */
  #introductionRows(other: PeerId): SwimStateEntry[] {
    const rows: SwimStateEntry[] = [{ member: this.id, incarnation: this.#incarnation, state: 'alive' }];
    const slot = this.#table.registry.find(other);
    const state = slot === undefined ? undefined : this.#table.state(slot);
    if (slot !== undefined && state !== undefined) {
      rows.push({ member: other, incarnation: this.#table.incarnation(slot), state });
    }
    return rows;
  }

  /** Sends this peer's whole table, in as many chunks as the message size requires. */
  #sendState(to: PeerId, reply: boolean): void {
    const budget = this.messageBytesMax - ENVELOPE_BYTES - 32;
    let chunk: SwimStateEntry[] = [{ member: this.id, incarnation: this.#incarnation, state: 'alive' }];
    let bytes = swimStateEntryBytes(chunk[0] as SwimStateEntry);
    const table = this.#table;
    for (let index = 0; index < table.length; index++) {
      const slot = table.slotAt(index);
      const entry: SwimStateEntry = {
        member: table.registry.idOf(slot),
        incarnation: table.incarnation(slot),
        state: table.state(slot) as SwimState,
      };
      const entryBytes = swimStateEntryBytes(entry);
      if (bytes + entryBytes > budget) {
        this.send(to, { type: 'swim.sync', reply, final: false, members: chunk });
        chunk = [];
        bytes = 0;
      }
      chunk.push(entry);
      bytes += entryBytes;
    }
    this.send(to, { type: 'swim.sync', reply, final: true, members: chunk });
  }

  // ------------------------------------------------------------------------------------------
  // Failure detection

  #advanceProbe(now: Tick): void {
    const probe = this.#probe;
    if (probe !== null && !probe.acked && !probe.indirectSent && now >= probe.startTick + this.config.probeTimeoutTicks) {
      probe.indirectSent = true;
      const helpers = this.#randomMembers(this.config.indirectChecks, 'alive', now, probe.slot);
      for (const helper of helpers) {
        this.#sendWithPiggyback(helper, probe.target.length + 16, (piggyback) => ({
          type: 'swim.ping-req',
          sequence: probe.sequence,
          target: probe.target,
          piggyback,
        }));
      }
    }
    if (now < this.#nextProbeTick) return;
    this.#nextProbeTick = now + this.config.probeIntervalTicks;
    if (probe !== null && !probe.acked) {
      const state = this.#table.state(probe.slot);
      if (state === 'alive' || state === 'suspect') {
        this.#suspect(probe.target, this.#table.incarnation(probe.slot), this.id, now);
      }
    }
    this.#probe = null;
    this.#startProbe(now);
  }

  #startProbe(now: Tick): void {
    // A suspect this peer has not probed for two intervals goes out of turn: if it is alive, its
    // ack carries the refutation (buddy system) even if this peer missed the broadcast; if not,
    // this peer's failed probe is an independent confirmation that shortens the suspicion. At
    // most every other probe, so suspects never starve the round-robin.
    if (!this.#lastProbeOutOfTurn) {
      for (const [slot, suspicion] of this.#suspicions) {
        if (now - suspicion.lastProbeTick < 2 * this.config.probeIntervalTicks) continue;
        suspicion.lastProbeTick = now;
        this.#lastProbeOutOfTurn = true;
        this.#ping(slot, now);
        return;
      }
    }
    this.#lastProbeOutOfTurn = false;
    const table = this.#table;
    for (let attempts = 0; attempts < table.length; attempts++) {
      if (this.#probeCursor >= table.length) {
        this.#probeCursor = 0;
        table.shuffle((length) => this.#random.index(length));
      }
      const slot = table.slotAt(this.#probeCursor++);
      const state = table.state(slot);
      if (state !== 'alive' && state !== 'suspect') continue;
      this.#ping(slot, now);
      return;
    }
  }

  #ping(slot: number, now: Tick): void {
    const target = this.#table.registry.idOf(slot);
    const sequence = ++this.#sequence;
    this.#probe = { slot, target, sequence, startTick: now, acked: false, indirectSent: false };
    // Lifeguard's buddy system: a suspect learns of the suspicion from the ping itself.
    const buddy = this.#table.state(slot) === 'suspect' ? this.#suspicionNotice(slot, target) : undefined;
    this.#sendWithPiggyback(target, 0, (piggyback) => ({ type: 'swim.ping', sequence, piggyback }), buddy);
  }

  #suspicionNotice(slot: number, target: PeerId): SwimUpdate {
    return this.#update('suspect', target, this.#table.incarnation(slot), this.id);
  }

  #expireSuspicions(now: Tick): void {
    for (const [slot, suspicion] of this.#suspicions) {
      if (now < suspicion.startTick + suspicion.timeoutTicks) continue;
      this.#suspicions.delete(slot);
      if (this.#table.state(slot) !== 'suspect') continue;
      const member = this.#table.registry.idOf(slot);
      this.#declare('dead', slot, member, suspicion.incarnation, this.id, now);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Updates: the rules of SWIM for alive, suspect, dead and left

  /**
   * Applies every update. Returns true when the sender still believes an older suspicion or death
   * of this peer, which this peer then corrects directly (see `onMessage`).
   */
  #applyUpdates(updates: readonly SwimUpdate[], now: Tick): boolean {
    let senderHasStaleNewsOfSelf = false;
    for (const update of updates) {
      if (update.incarnation > INCARNATION_MAX) {
        // Only a decoded message is checked against the schema; this guards the rest.
        this.counts.updatesRefused++;
        continue;
      }
      if (update.member === this.id && update.kind !== 'alive' && update.incarnation < this.#incarnation) {
        senderHasStaleNewsOfSelf = true;
      }
      this.#apply(update, now);
    }
    return senderHasStaleNewsOfSelf;
  }

  /** This peer as it is now: what a stale suspecter needs to hear. */
  #selfAlive(): SwimUpdate {
    return this.#update('alive', this.id, this.#incarnation, this.id);
  }

  #apply(update: SwimUpdate, now: Tick): void {
    switch (update.kind) {
      case 'alive':
        this.#alive(update, now);
        return;
      case 'suspect':
        this.#suspect(update.member, update.incarnation, update.from, now, update);
        return;
      case 'dead':
      case 'left':
        this.#deadOrLeft(update, now);
        return;
    }
  }

  /** A full-state row from `from`: alive and left as they are; dead only as a suspicion. */
  #applyRemoteState(from: PeerId, entry: SwimStateEntry, now: Tick): void {
    if (entry.incarnation > INCARNATION_MAX) {
      this.counts.updatesRefused++;
      return;
    }
    switch (entry.state) {
      case 'alive':
        this.#alive(this.#update('alive', entry.member, entry.incarnation, entry.member), now);
        return;
      case 'suspect':
      case 'dead':
        // memberlist's rule: another peer's "dead" is only grounds to suspect, so a member the
        // two sides of a healed partition disagree about gets the chance to refute. A state row
        // says what `from` believes, not that it probed the member: it never confirms.
        this.#suspect(entry.member, entry.incarnation, from, now, undefined, false);
        return;
      case 'left':
        this.#deadOrLeft(this.#update('left', entry.member, entry.incarnation, entry.member), now);
        return;
    }
  }

  #alive(update: SwimUpdate, now: Tick): void {
    if (update.member === this.id) {
      // Someone vouches for an incarnation of this peer it never announced (an earlier life of
      // this peer before a restart): announce a newer one.
      if (update.incarnation > this.#incarnation) this.#refute(update.incarnation, now);
      return;
    }
    const known = this.#table.registry.find(update.member);
    // The common case in a busy group: news this peer already has.
    if (known !== undefined && this.#table.knowsAtLeast(known, update.incarnation)) return;
    const state = known === undefined ? undefined : this.#table.state(known);
    if (state === undefined && this.#table.length >= this.config.membersMax) {
      this.counts.updatesRefused++;
      return;
    }
    const slot = known ?? this.#table.registry.slotOf(update.member);
    this.#table.set(slot, 'alive', update.incarnation, now);
    // A newcomer takes a random place in the probe order (memberlist does the same), so peers
    // that learned of members in the same order do not all probe the same member at once.
    if (state === undefined) this.#table.swapTo(slot, this.#random.index(this.#table.length));
    this.#suspicions.delete(slot);
    this.#reconnectCandidates.delete(update.member);
    const event = state === 'suspect' ? 'member.alive' : state === 'alive' ? undefined : 'member.added';
    if (event !== undefined) {
      this.emit({ kind: event, tick: now, peer: this.id, subject: update.member, incarnation: update.incarnation });
    }
    this.#enqueue(update);
  }

  #suspect(
    member: PeerId,
    incarnation: number,
    from: PeerId,
    now: Tick,
    received?: SwimUpdate,
    confirms = true,
  ): void {
    if (member === this.id) {
      if (incarnation >= this.#incarnation) this.#refute(incarnation, now);
      return;
    }
    // Suspicions of members this peer does not know are not news: nothing to suspect.
    const slot = this.#table.registry.find(member);
    const state = slot === undefined ? undefined : this.#table.state(slot);
    if (slot === undefined || state === undefined || state === 'dead' || state === 'left') return;
    if (incarnation < this.#table.incarnation(slot)) return;
    const memberCount = this.memberCount();
    const existing = this.#suspicions.get(slot);
    if (state === 'suspect' && existing !== undefined && incarnation === existing.incarnation) {
      // An independent confirmation shortens the wait (Lifeguard).
      if (!confirms || existing.suspecters.has(from)) return;
      existing.suspecters.add(from);
      existing.timeoutTicks = suspicionTimeoutTicks(this.config, memberCount, existing.suspecters.size - 1);
      this.#enqueue(received ?? this.#update('suspect', member, incarnation, from));
      return;
    }
    this.#table.set(slot, 'suspect', incarnation, now);
    this.#suspicions.set(slot, {
      incarnation,
      startTick: now,
      suspecters: new Set([from]),
      timeoutTicks: suspicionTimeoutTicks(this.config, memberCount, 0),
      lastProbeTick: from === this.id ? now : -Infinity,
    });
    if (state === 'alive') {
      this.emit({ kind: 'member.suspected', tick: now, peer: this.id, subject: member, incarnation });
    }
    this.#enqueue(received ?? this.#update('suspect', member, incarnation, from));
  }

  #deadOrLeft(update: SwimUpdate, now: Tick): void {
    if (update.member === this.id) {
      // Declared dead while alive: refute. (A `left` about this peer is an earlier life's.)
      if (update.incarnation >= this.#incarnation) this.#refute(update.incarnation, now);
      return;
    }
    const slot = this.#table.registry.find(update.member);
    const state = slot === undefined ? undefined : this.#table.state(slot);
    if (slot === undefined || state === undefined || state === 'dead' || state === 'left') return;
    if (update.incarnation < this.#table.incarnation(slot)) return;
    // A member that announces its own death is leaving (memberlist's convention, kept on the wire
    // as its own kind).
    const kind = update.kind === 'left' || update.from === update.member ? 'left' : 'dead';
    this.#declare(kind, slot, update.member, update.incarnation, update.from, now, update);
  }

  #declare(
    kind: 'dead' | 'left',
    slot: number,
    member: PeerId,
    incarnation: number,
    from: PeerId,
    now: Tick,
    received?: SwimUpdate,
  ): void {
    this.#table.set(slot, kind, incarnation, now);
    this.#suspicions.delete(slot);
    this.#graveyard.push({ slot, tick: now });
    if (kind === 'dead') this.#reconnectCandidates.set(member, now);
    this.emit({
      kind: kind === 'dead' ? 'member.removed' : 'member.left',
      tick: now,
      peer: this.id,
      subject: member,
      incarnation,
    });
    this.#enqueue(received ?? this.#update(kind, member, incarnation, from));
  }

  #refute(incarnation: number, now: Tick): void {
    if (incarnation >= INCARNATION_MAX) {
      // Nothing can outbid it; a real member never gets here by refuting a billion times.
      this.counts.updatesRefused++;
      return;
    }
    this.#incarnation = Math.max(this.#incarnation, incarnation) + 1;
    this.emit({ kind: 'member.alive', tick: now, peer: this.id, subject: this.id, incarnation: this.#incarnation });
    this.#enqueue(this.#update('alive', this.id, this.#incarnation, this.id));
  }

  #update(kind: SwimState, member: PeerId, incarnation: number, from: PeerId): SwimUpdate {
    return { kind, member, incarnation, from };
  }

  // ------------------------------------------------------------------------------------------
  // Dissemination

  #enqueue(update: SwimUpdate): void {
    this.#queue.enqueue(update, swimUpdateBytes(update));
  }

  /**
   * Sends the message `build` makes around as many waiting updates as fit; `first`, if given,
   * rides first (the buddy system's suspicion notice, a farewell).
   */
  #sendWithPiggyback(
    to: PeerId,
    extraBytes: number,
    build: (piggyback: SwimUpdate[]) => SwimMessage,
    first?: SwimUpdate,
  ): void {
    const piggyback: SwimUpdate[] = [];
    let budget = this.messageBytesMax - ENVELOPE_BYTES - extraBytes;
    if (first !== undefined) {
      piggyback.push(first);
      budget -= swimUpdateBytes(first);
    }
    if (this.#queue.size > 0) {
      const limit = retransmitLimit(this.config, this.memberCount());
      this.#queue.take(piggyback, this.config.piggybackMax - piggyback.length, budget, limit);
    }
    this.send(to, build(piggyback));
  }

  #sendGossip(to: PeerId, first?: SwimUpdate): void {
    this.#sendWithPiggyback(to, 0, (piggyback) => ({ type: 'swim.gossip', piggyback }), first);
  }

  #gossip(now: Tick): void {
    if (this.#queue.size === 0) return;
    // Updates go to live members, where they spread further, and to one suspect or recently dead
    // member, which may be alive and need to hear it is suspected (gossip to the dead).
    const targets = this.#randomMembers(this.config.gossipFanout, 'alive', now);
    targets.push(...this.#randomMembers(1, 'suspect-or-dead', now));
    for (const target of targets) {
      if (this.#queue.size === 0) return;
      this.#sendGossip(target);
    }
  }

  #reconnect(now: Tick): void {
    for (const [member, deadTick] of this.#reconnectCandidates) {
      if (now >= deadTick + this.config.reconnectTimeoutTicks) this.#reconnectCandidates.delete(member);
    }
    if (this.#reconnectCandidates.size === 0) return;
    // A ping, not the whole table: most dead members are really dead. One that is alive acks,
    // and an ack from a non-member brings an introduction (`#introduceIfStranger`).
    const candidates = [...this.#reconnectCandidates.keys()];
    const target = candidates[this.#random.index(candidates.length)] as PeerId;
    const sequence = ++this.#sequence;
    this.#sendWithPiggyback(target, 0, (piggyback) => ({ type: 'swim.ping', sequence, piggyback }));
  }

  /** Forgets dead and departed members once nobody needs to gossip to them any more. */
  #forget(now: Tick): void {
    const graveyard = this.#graveyard;
    while (this.#graveyardHead < graveyard.length) {
      const grave = graveyard[this.#graveyardHead] as { slot: number; tick: Tick };
      if (now < grave.tick + this.config.gossipToTheDeadTicks) break;
      this.#graveyardHead++;
      const state = this.#table.state(grave.slot);
      // Still dead since that very tick: nobody revived it in between.
      if ((state === 'dead' || state === 'left') && this.#table.sinceTick(grave.slot) === grave.tick) {
        this.#table.delete(grave.slot);
      }
    }
    if (this.#graveyardHead > 1024 && this.#graveyardHead * 2 > graveyard.length) {
      graveyard.splice(0, this.#graveyardHead);
      this.#graveyardHead = 0;
    }
    for (const [sequence, indirect] of this.#indirect) {
      if (now >= indirect.expiresTick) this.#indirect.delete(sequence);
    }
  }

  /**
   * Up to `count` distinct random members, never `excludeSlot`: members (alive or suspect),
   * only alive ones, or suspects and recently dead ones. Bounded tries, not a full scan.
   */
  #randomMembers(
    count: number,
    which: 'members' | 'alive' | 'suspect-or-dead',
    now: Tick,
    excludeSlot = -1,
  ): PeerId[] {
    const table = this.#table;
    const chosen: PeerId[] = [];
    if (table.length === 0 || count === 0) return chosen;
    if (which === 'suspect-or-dead' && table.count('suspect') + table.count('dead') === 0) return chosen;
    const picked = new Set<number>();
    for (let tries = 0; tries < 4 * count + 8 && chosen.length < count; tries++) {
      const slot = table.slotAt(this.#random.index(table.length));
      if (slot === excludeSlot || picked.has(slot)) continue;
      const state = table.state(slot);
      const recentlyDead = state === 'dead' && now < table.sinceTick(slot) + this.config.gossipToTheDeadTicks;
      const eligible =
        which === 'alive'
          ? state === 'alive'
          : which === 'members'
            ? state === 'alive' || state === 'suspect'
            : state === 'suspect' || recentlyDead;
      if (!eligible) continue;
      picked.add(slot);
      chosen.push(table.registry.idOf(slot));
    }
    return chosen;
  }

  // ------------------------------------------------------------------------------------------
  // Views

  members(): MemberView[] {
    const views: MemberView[] = [];
    const self = this.selfView();
    if (self !== undefined) views.push(self);
    const table = this.#table;
    for (let index = 0; index < table.length; index++) {
      const slot = table.slotAt(index);
      views.push({
        id: table.registry.idOf(slot),
        state: table.state(slot) as SwimState,
        sinceTick: table.sinceTick(slot),
        incarnation: table.incarnation(slot),
      });
    }
    return views;
  }

  isMember(id: PeerId): boolean {
    if (id === this.id) return this.status === 'member';
    const slot = this.#table.registry.find(id);
    const state = slot === undefined ? undefined : this.#table.state(slot);
    return state === 'alive' || state === 'suspect';
  }

  stateOf(id: PeerId): MemberState | undefined {
    if (id === this.id) return this.selfView()?.state;
    const slot = this.#table.registry.find(id);
    return slot === undefined ? undefined : this.#table.state(slot);
  }

  memberCount(): number {
    if (this.status !== 'member') return 0;
    return 1 + this.#table.count('alive') + this.#table.count('suspect');
  }

  /** k for the current group size: how many confirmations make a suspicion short. */
  expectedConfirmations(): number {
    return expectedConfirmations(this.config, this.memberCount());
  }
}
