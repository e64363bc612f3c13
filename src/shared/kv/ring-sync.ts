/**
 * Spreading and acting on the ring state (`ring-state.ts`, balanced placement):
 *
 * - a change this peer makes (it joins, leaves, removes a gone peer, has caught up) goes to every
 *   peer it knows at once; every `ringSyncIntervalTicks` it also sends its state to one peer in
 *   turn, which answers with its own if it knows more (push-pull), so a lost message costs only
 *   time;
 * - a peer that is a member but owns nothing (new, or removed earlier) announces that it joins;
 *   the first peer of a group with no ring (no introducers, no seed) founds one;
 * - as a gainer of the active transition it pulls the keys it gains from their old owners
 *   (`kv.transfer`, answered in `kv.transfer.part`s), retrying sources that do not finish, and
 *   records that it has caught up once enough owners of every range have answered;
 * - as an old owner it answers a pull only when its ring state is the gainer's (fencing).
 *
 * The state is kept in the store (`ring` meta), so a restarted peer is the owner it was.
 */
import type { PeerId, Tick } from '../machine.ts';
import type { KvMessage, KvRecord, RingStateWire } from '../protocol/kv.ts';
import { recordBytes } from '../protocol/kv.ts';
import { ringStateSchema } from '../protocol/kv.ts';
import type { RingState, RingTransition } from './ring-state.ts';
import { transferIncludes } from './ring-state.ts';
import type { Replica } from './replica.ts';
import { chunk, type Stabilizer } from './stabilizer.ts';
import type { KvContext } from './types.ts';

type RingMessage = Extract<KvMessage, { type: 'kv.ring' | 'kv.transfer' | 'kv.transfer.part' }>;

const RING_META = 'ring';

interface Pull {
  readonly transition: string;
  /** Old owners that have sent every part. */
  readonly done: Set<PeerId>;
  /** Parts received from each old owner still sending. */
  readonly parts: Map<PeerId, { total: number; received: Set<number> }>;
  nextTick: Tick;
}

export class RingSync {
  readonly #context: KvContext;
  readonly #state: RingState;
  readonly #replica: Replica;
  readonly #stabilizer: Stabilizer;
  /** Founds a ring if none reaches it: the first peer of a group (joined with no introducers). */
  #founder = false;
  /** This peer is leaving: it must not rejoin when its entry is removed. */
  #leaving = false;
  /**
   * Peers that have sent this leaving peer a state holding its removal (at `#heardStamp`, the
   * stamp of that removal): they know it is out of the ring.
   */
  #heardBy = new Set<PeerId>();
  #heardStamp: number | undefined;
  /**
   * The peers that were still in the ring (not removed) in this leaver's state just before its own
   * entry became `removed`: when no peer stays in the ring (every owner left: it dissolved), each
   * of them must know before this one goes (see `leaveComplete`).
   */
  #fellows = new Set<PeerId>();
  #pull: Pull | undefined;
  #nextPushTick = 0;
  #pushTurn = 0;
  /** What the store holds of the state, to write it only when it changed. */
  #kept: string | undefined;
  /**
   * This peer knows a ring state it did not make up: kept from an earlier life, seeded, or heard
   * from another peer. Until then it announces nothing (a stamp drawn from nothing could jump
   * ahead of changes in progress).
   */
  #heard = false;
  /** The keys held were checked against the ring once it was known (handoffs are not kept). */
  #stabilized = false;

  constructor(context: KvContext, state: RingState, replica: Replica, stabilizer: Stabilizer, seed: readonly PeerId[] | undefined) {
    this.#context = context;
    this.#state = state;
    this.#replica = replica;
    this.#stabilizer = stabilizer;
    const kept = context.store.readMeta(RING_META);
    this.#kept = kept;
    if (kept !== undefined) {
      const parsed = ringStateSchema.safeParse(safeJson(kept));
      if (parsed.success) state.merge(parsed.data);
    }
    // A seed names the peers a cluster started with; a peer outside it learns the ring from them.
    if (seed !== undefined && seed.includes(context.id)) state.seed(seed);
    this.#heard = !state.isEmpty;
  }

  get leaving(): boolean {
    return this.#leaving;
  }

  /**
   * True once this peer's leave has ended (its ranges are with their new owners) and the peers that
   * stay have been shown it: a leaver that said goodbye before anyone heard would stay an owner,
   * gone, in every other peer's ring.
   *
   * - While some peer stays in the ring, one of them must have sent a state holding this removal
   *   (it spreads it to the others). Another leaver's word is not enough: it may go too, leaving a
   *   staying peer that never heard.
   * - When none stays (every owner left, the ring dissolved; or this peer was alone), every peer
   *   that was still in the ring when this one was removed (`#fellows`) must have sent it: the last
   *   leavers of a ring could otherwise tell each other, go, and leave a fellow that was cut off
   *   (or down) counting them as owners for good, its own leave never ending, a joiner through it
   *   waiting for ever. A fellow gone for good holds this leaver until its driver stops waiting.
   */
  get leaveComplete(): boolean {
    const me = this.#context.id;
    const mine = this.#state.entry(me);
    if (!this.#leaving || (mine !== undefined && mine.status !== 'removed')) return false;
    // Never in the ring: nobody counts it; it waits only for the members it could still meet.
    if (mine === undefined) return this.#livePeers().length === 0 && this.#state.entries().every((entry) => entry.status === 'removed');
    const heard = this.#heardStamp === mine.stamp ? this.#heardBy : new Set<PeerId>();
    const staying = this.#state.entries().filter((entry) => entry.peer !== me && entry.status !== 'removed');
    if (staying.length > 0) return staying.some((entry) => heard.has(entry.peer));
    return [...this.#fellows].every((peer) => heard.has(peer));
  }

  /** The membership protocol let this peer in; with no introducers it may found the ring. */
  joined(introducers: number, now: Tick): void {
    this.#founder = introducers === 0;
    this.#afterChange(now, false);
  }

  /** A new member: it hears this peer's state at once (a joiner learns the ring from it). */
  memberAdded(subject: PeerId): void {
    if (subject !== this.#context.id && !this.#state.isEmpty) this.#context.send(subject, { type: 'kv.ring', state: this.#state.toWire(), reply: false });
  }

  /** Takes another peer's state (`from` that peer, when known); acts on what changed. True if this peer's state changed. */
  merge(state: RingStateWire, now: Tick, from?: PeerId): boolean {
    const before = this.#snapshot();
    const changed = this.#state.merge(state);
    // Heard: the sender holds this very removal (not an older one still travelling).
    const mine = this.#state.entry(this.#context.id);
    if (this.#leaving && from !== undefined && from !== this.#context.id && mine?.status === 'removed' && state.entries.some((entry) => entry.peer === mine.peer && entry.status === 'removed' && entry.stamp === mine.stamp)) {
      if (this.#heardStamp !== mine.stamp) {
        this.#heardBy.clear();
        this.#heardStamp = mine.stamp;
      }
      this.#heardBy.add(from);
    }
    if (state.entries.length > 0 && !this.#heard) {
      this.#heard = true;
      this.#afterChange(now, false, before);
      return true;
    }
    if (!changed.entries && !changed.caughtUp) return false;
    this.#afterChange(now, false, before);
    return true;
  }

  onMessage(from: PeerId, message: RingMessage, now: Tick): void {
    switch (message.type) {
      case 'kv.ring': {
        this.merge(message.state, now, from);
        // Push-pull: the sender learns what this peer knows (a leaver learns it was heard).
        if (message.reply) this.#context.send(from, { type: 'kv.ring', state: this.#state.toWire(), reply: false });
        return;
      }
      case 'kv.transfer':
        this.#answerPull(from, message, now);
        return;
      case 'kv.transfer.part':
        this.#receivePart(from, message, now);
        return;
    }
  }

  /** This peer leaves: its ranges go to the others (a transition), then it is removed. */
  leave(now: Tick): void {
    this.#leaving = true;
    const entry = this.#state.entry(this.#context.id);
    if (entry?.status === 'removed') {
      // Out of the ring already: the peers still in it are the ones to tell.
      this.#fellows = new Set(this.#state.entries().filter((other) => other.peer !== this.#context.id && other.status !== 'removed').map((other) => other.peer));
      return;
    }
    if (entry === undefined || entry.status === 'leaving') return;
    const before = this.#snapshot();
    this.#takeOut(entry);
    this.#afterChange(now, true, before);
  }

  /** An operator takes a gone peer out of the ring; its ranges go to the others. */
  remove(peer: PeerId, now: Tick): { ok: boolean; reason?: string } {
    const entry = this.#state.entry(peer);
    if (entry === undefined) return { ok: false, reason: `${peer} is not in the ring` };
    if (entry.status === 'removed' || entry.status === 'leaving') return { ok: false, reason: `${peer} is already ${entry.status === 'removed' ? 'out of the ring' : 'leaving it'}` };
    const before = this.#snapshot();
    this.#takeOut(entry);
    this.#afterChange(now, true, before);
    return { ok: true };
  }

  /**
   * An owner leaves in a transition of its own. A join not yet complete is cancelled instead, at
   * its own stamp: if it has in fact completed somewhere, the completion wins, and the peer owns
   * keys (removing it then takes a second removal, as an owner's).
   */
  #takeOut(entry: { peer: PeerId; status: string; stamp: number }): void {
    if (entry.status === 'joining') this.#state.announce(entry.peer, 'removed', entry.stamp);
    else this.#state.announce(entry.peer, 'leaving');
  }

  tick(now: Tick): void {
    const context = this.#context;
    if (now >= this.#nextPushTick) {
      this.#nextPushTick = now + context.config.ringSyncIntervalTicks;
      const peers = this.#livePeers();
      if (peers.length > 0 && !this.#state.isEmpty) {
        // A leaver waiting to be heard asks everyone; otherwise one peer in turn.
        const targets = this.#leaving && !this.leaveComplete ? peers : [peers[this.#pushTurn++ % peers.length] as PeerId];
        const wire = this.#state.toWire();
        for (const target of targets) context.send(target, { type: 'kv.ring', state: wire, reply: true });
      }
      // A lone founder whose introducers never came, or a member nobody has told: act on what is known.
      this.#afterChange(now, false);
    }
    const pull = this.#pull;
    if (pull !== undefined && now >= pull.nextTick) this.#askSources(pull, now);
  }

  // ------------------------------------------------------------------------------------------

  #snapshot(): { ring: string; transition: string | undefined; fingerprint: string; removed: boolean; others: PeerId[]; holds: (peer: PeerId, key: string) => boolean } {
    const ring = this.#state.ring;
    const transition = this.#state.transition;
    const me = this.#context.id;
    return {
      ring: ring.peers.join(','),
      transition: transition?.id,
      fingerprint: this.#state.fingerprint,
      removed: (this.#state.entry(me)?.status ?? 'removed') === 'removed',
      others: this.#state.entries().filter((entry) => entry.peer !== me && entry.status !== 'removed').map((entry) => entry.peer),
      holds: (peer, key) => ring.owns(peer, key) || (transition?.after.owns(peer, key) ?? false),
    };
  }

  /** After any change: complete transitions, join if owning nothing, persist, pull, tell others. */
  #afterChange(now: Tick, broadcast: boolean, before = this.#snapshot()): void {
    const context = this.#context;
    const state = this.#state;
    const me = context.id;
    if (context.membership.status === 'member' && !this.#leaving) {
      const entry = state.entry(me);
      if (state.isEmpty && this.#founder) {
        state.seed([me]);
        this.#heard = true;
        broadcast = true;
      } else if (this.#heard && !state.isEmpty && (entry === undefined || entry.status === 'removed')) {
        state.announce(me, 'joining');
        broadcast = true;
      }
    }
    if (state.completeIfDone()) broadcast = true;
    const wire = JSON.stringify(state.toWire());
    if (wire !== this.#kept) {
      context.store.writeMeta(RING_META, wire);
      this.#kept = wire;
    }
    const after = this.#snapshot();
    // A leaver just taken out of the ring: the peers still in it then are its fellows.
    if (this.#leaving && !before.removed && after.removed) this.#fellows = new Set(before.others);
    // Handoffs live in memory: a restarted peer checks what it holds once it knows the ring again.
    const firstRing = !this.#stabilized && !state.isEmpty;
    this.#stabilized ||= firstRing;
    // The journal gets every change of the state (owners, statuses, transition), with the state.
    if (firstRing || after.fingerprint !== before.fingerprint) {
      const transition = state.transition;
      context.emit({
        kind: 'ring.changed',
        tick: now,
        peer: me,
        members: state.ring.peers.length,
        entries: state.entries(),
        ...(transition === undefined ? {} : { transition: { joining: [...transition.joining], leaving: [...transition.leaving], gainers: [...transition.gainers] } }),
        fingerprint: after.fingerprint,
      });
    }
    if (firstRing || after.ring !== before.ring || after.transition !== before.transition) {
      const transition = state.transition;
      if (after.transition !== before.transition && transition !== undefined) {
        context.emit({ kind: 'log', tick: now, peer: me, text: `ring: ${describeTransition(transition)}` });
      }
      // Keys this peer no longer holds go to their owners (new co-owners pull what they gain).
      this.#stabilizer.stabilize(undefined, now);
    }
    this.#startPullIfGainer(now);
    if (broadcast) this.#broadcast();
  }

  #broadcast(): void {
    const context = this.#context;
    const wire = this.#state.toWire();
    const targets = new Set<PeerId>(this.#livePeers());
    for (const entry of wire.entries) if (entry.status !== 'removed') targets.add(entry.peer);
    targets.delete(context.id);
    for (const peer of targets) context.send(peer, { type: 'kv.ring', state: wire, reply: false });
  }

  /** Members the membership protocol counts alive or suspect, this peer excluded, sorted. */
  #livePeers(): PeerId[] {
    return this.#context.membership
      .members()
      .filter((view) => view.id !== this.#context.id && (view.state === 'alive' || view.state === 'suspect'))
      .map((view) => view.id)
      .sort();
  }

  // ------------------------------------------------------------------------------------------
  // Pulls

  #startPullIfGainer(now: Tick): void {
    const context = this.#context;
    const transition = this.#state.transition;
    if (transition === undefined || !transition.gainers.includes(context.id) || this.#state.caughtUp(context.id)?.transition === transition.id) {
      this.#pull = undefined;
      return;
    }
    if (this.#pull?.transition === transition.id) return;
    // A staying owner that must pull (a shrinking range) is one source already: what it holds.
    this.#pull = { transition: transition.id, done: new Set([context.id]), parts: new Map(), nextTick: now };
    // Nothing to pull (the old owners were too few for any write to be acknowledged), or nothing
    // but what this staying owner holds itself: caught up at once.
    if (this.#covered(this.#pull)) {
      this.#caughtUp(this.#pull, now);
      return;
    }
    this.#askSources(this.#pull, now);
  }

  /** Enough old owners of every range this peer gains have sent it all they hold. */
  #covered(pull: Pull): boolean {
    return this.#state.pullSources(this.#context.id).every((group) => group.owners.filter((owner) => pull.done.has(owner)).length >= group.needed);
  }

  /** Asks every old owner not yet done (and reachable) for the ranges; again after a while. */
  #askSources(pull: Pull, now: Tick): void {
    const context = this.#context;
    pull.nextTick = now + 2 * context.config.replyTimeoutTicks;
    const sources = new Set(this.#state.pullSources(context.id).flatMap((group) => group.owners));
    const live = new Set(this.#livePeers());
    for (const source of sources) {
      if (pull.done.has(source) || !live.has(source)) continue;
      pull.parts.delete(source);
      context.send(source, { type: 'kv.transfer', transition: pull.transition, ring: this.#state.fingerprint });
    }
  }

  #answerPull(from: PeerId, message: Extract<RingMessage, { type: 'kv.transfer' }>, now: Tick): void {
    const context = this.#context;
    const transition = this.#state.transition;
    if (message.ring !== this.#state.fingerprint || transition === undefined || transition.id !== message.transition) {
      // Not the same rings: exchange states; the gainer asks again.
      context.send(from, { type: 'kv.ring', state: this.#state.toWire(), reply: true });
      return;
    }
    const records: KvRecord[] = [];
    for (const record of context.store.records()) if (transferIncludes(transition, context.id, from, record.key)) records.push(record);
    const parts = chunk(records, recordBytes, context.messageBytesMax);
    const total = Math.max(1, parts.length);
    for (let index = 0; index < total; index++) {
      context.send(from, { type: 'kv.transfer.part', transition: transition.id, index, total, records: parts[index] ?? [] });
    }
    context.emit({ kind: 'log', tick: now, peer: context.id, text: `ring: sent ${records.length} keys to ${from}, which takes them over` });
  }

  #receivePart(from: PeerId, message: Extract<RingMessage, { type: 'kv.transfer.part' }>, now: Tick): void {
    const context = this.#context;
    const pull = this.#pull;
    if (pull === undefined || pull.transition !== message.transition || pull.done.has(from) || message.index >= message.total) return;
    for (const record of message.records) {
      if (context.tooLarge(record.key, record.value, record.binary === true) || !this.#stabilizer.believable(from, record.version, now)) continue;
      if (this.#replica.accept(record, 'handoff', now)) context.counters.recordsTransferred++;
    }
    let parts = pull.parts.get(from);
    if (parts === undefined || parts.total !== message.total) pull.parts.set(from, (parts = { total: message.total, received: new Set() }));
    parts.received.add(message.index);
    if (parts.received.size < parts.total) return;
    pull.done.add(from);
    pull.parts.delete(from);
    if (this.#covered(pull)) this.#caughtUp(pull, now);
  }

  #caughtUp(pull: Pull, now: Tick): void {
    const context = this.#context;
    const before = this.#snapshot();
    this.#state.markCaughtUp(context.id, pull.transition);
    const from = [...pull.done].filter((peer) => peer !== context.id);
    context.emit({ kind: 'log', tick: now, peer: context.id, text: from.length === 0 ? 'ring: nothing to take over' : `ring: caught up from ${from.join(', ')}` });
    this.#pull = undefined;
    this.#afterChange(now, true, before);
  }
}

/** `127.0.0.1:7006 joins; 127.0.0.1:7001 takes over key ranges`. */
export function describeTransition(transition: RingTransition): string {
  const changes = [...transition.joining.map((peer) => `${peer} joins`), ...transition.leaving.map((peer) => `${peer} leaves`)].join(', ');
  const gainers = transition.gainers;
  return `${changes}; ${gainers.length === 0 ? 'no key moves' : `${gainers.join(', ')} take${gainers.length === 1 ? 's' : ''} over key ranges`}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
