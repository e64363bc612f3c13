/**
 * The coordinator side of a key-value peer: any peer coordinates a client's operation, in rounds
 * of requests to the key's owners, and decides it once.
 *
 * Rounds (each waits for its quorum, or fails when the quorum is out of reach or its reply timeout
 * expires; a late answer of an earlier round is ignored by its `attempt`):
 * - check: R owners' versions (and whether the key is there), before any write;
 * - write: the value with a version above every one the check saw; W owners must hold that
 *   version or a newer one;
 * - read: R owners' records; the newest wins. If fewer than W owners hold it, the read first
 *   writes it back to them before it answers.
 *
 * This is the ABD algorithm for a register that many clients write (Attiya, Bar-Noy and Dolev;
 * Lynch and Shvartsman's multi-writer form). Why each part:
 * - Versions are stamped on each coordinator's clock, and two coordinators that have not met can
 *   stamp out of real-time order (a 100 ms tick holds many writes). A check quorum meets every
 *   write quorum (R + W > N), so the check sees every write acknowledged before this one began, and
 *   the new version is above them all: a write that starts after another was acknowledged wins.
 * - A write the check did not see is concurrent with this one. A replica holding its newer version
 *   refuses ours as `stale` (a replica never answers ok for a write it did not apply), and counts
 *   towards the quorum as holding a newer version: ours is ordered just before it. Writing again
 *   with a fresh version instead would let one write take effect twice, once before a concurrent
 *   write and once after it (the checker found such a history).
 * - The write-back makes a read's value stay: a read that starts after it ended cannot return an
 *   older one.
 * The classroom placement keeps the assignment's one round, each replica judging the condition;
 * there a refusal as stale is written again with a newer version (up to `WRITE_ROUNDS_MAX` times).
 *
 * Strict quorums (the default) count only the key's owners: an owner the membership protocol
 * holds dead is a missing answer, and a quorum out of reach fails at once with nothing sent
 * (`no-quorum`: a write that certainly did not happen; so does any operation through a peer still
 * joining the group, which reaches nobody yet). `no-ring` is for a coordinator that knows no ring
 * placing the key (it has not heard one yet, or the ring has fewer owners than the quorum), or one
 * that has left. A round that went out and heard too few
 * answers fails with `timeout`: its writes may still take effect where they arrived. Sloppy
 * quorums (`quorum: 'sloppy'`) send to the next live peers instead, which keep the record and hand
 * it back (hinted handoff): writes stay available in a partition, reads may be stale.
 *
 * During a ring transition every round needs its quorum from the key's owners on each ring
 * (`ring-state.ts`). Requests carry the ring state's fingerprint; a `ring-changed` refusal brings
 * the replica's state, which is merged before the round is sent again.
 *
 * A result lists each replica its round asked with the role this coordinator's ring gave it when
 * the round went out (`replicaAnswerSchema`): a home replica and its place in the key's preference
 * list, or a fallback and the owner it stood in for. The caller keeps them as they are: a later
 * ring must not relabel a past decision.
 */
import { assert, type PeerId, type Tick } from '../machine.ts';
import { summarizeValue } from '../journal/events.ts';
import { compareVersions, keySchema, kvOperationSchema, type KvFailure, type KvRecord, type ReplicaAnswer as ReplicaAnswerWire, type Version } from '../protocol/kv.ts';
import type { Replica, Request } from './replica.ts';
import { writesValue } from './replica.ts';
import type { KvCommand, KvContext, ReplicaAnswer } from './types.ts';

/** Classroom: write rounds one operation may take before it fails as `stale` (newer writes kept winning). */
export const WRITE_ROUNDS_MAX = 5;
/** Rounds sent again after `ring-changed` refusals before the operation fails. */
export const RING_RETRIES_MAX = 3;

type Phase = 'check' | 'read' | 'write' | 'write-back';

/** The role a round asked a target in, as results carry it. */
type TargetRole = Required<Pick<ReplicaAnswerWire, 'role' | 'place'>> | Required<Pick<ReplicaAnswerWire, 'role' | 'for'>>;

interface Round {
  readonly attempt: number;
  readonly phase: Phase;
  readonly startTick: Tick;
  readonly targets: readonly PeerId[];
  /** Each target's role when the round went out: what the result shows, whatever the ring becomes. */
  readonly roles: ReadonlyMap<PeerId, TargetRole>;
  /** Each set needs `quorum` ok answers (two sets during a ring transition). */
  readonly sets: readonly (readonly PeerId[])[];
  readonly quorum: number;
  readonly answers: Map<PeerId, ReplicaAnswer>;
  /** Targets that will not answer: dead to the membership protocol, or silent past the timeout. */
  readonly silent: Set<PeerId>;
}

interface Transaction {
  readonly command: KvCommand;
  readonly startTick: Tick;
  /** A write whose condition (or version) is read first. */
  readonly checkFirst: boolean;
  /** The round in progress (set by the first round: read `attempts` before it). */
  round: Round;
  attempts: number;
  writeRounds: number;
  ringRetries: number;
  version: Version | undefined;
  /** A write round went out: a failure after that may still have taken effect. */
  wrote: boolean;
  /** A read's answer: the newest record its quorum held. */
  newest: KvRecord | undefined;
  /** The round whose answers the result lists (a read's, not its write-back's). */
  shownRound: Round | undefined;
  decided: boolean;
}

export class Coordinator {
  readonly #context: KvContext;
  readonly #replica: Replica;
  readonly #transactions = new Map<number, Transaction>();

  constructor(context: KvContext, replica: Replica) {
    this.#context = context;
    this.#replica = replica;
  }

  get inFlight(): number {
    return this.#transactions.size;
  }

  coordinate(command: KvCommand, now: Tick): void {
    const context = this.#context;
    const refuse = (reason: KvFailure): void => this.#refuseEarly(command, now, reason);
    if (!kvOperationSchema.safeParse(command.op).success || (command.value !== undefined && typeof command.value !== 'string')) return refuse('invalid-request');
    if (!keySchema.safeParse(command.key).success) return refuse('invalid-key');
    if (this.#transactions.has(command.transaction)) return refuse('duplicate');
    if (this.#transactions.size >= context.config.transactionsMax) return refuse('overloaded');
    if (writesValue(command.op) && context.tooLarge(command.key, command.value ?? '', command.binary === true)) return refuse('too-large');
    if (context.ownership.ownerSets(command.key).length === 0 || (context.membership.status !== 'member' && context.membership.status !== 'joining')) return refuse('no-ring');
    // Joining (a peer restarted with its ring on disk, perhaps on the minority side of a
    // partition): it knows the key's owners, but no member of the group yet and hears no replica,
    // so none of them is reachable. That is a missing quorum, with nothing sent, not a missing ring.
    if (context.membership.status === 'joining') return refuse('no-quorum');

    // Every write checks versions (and its condition) on a read quorum first, but the classroom's.
    const checkFirst = context.config.conditions === 'quorum';
    const transaction: Transaction = {
      command,
      startTick: now,
      checkFirst,
      round: undefined as unknown as Round,
      attempts: 0,
      writeRounds: 0,
      ringRetries: 0,
      version: undefined,
      wrote: false,
      newest: undefined,
      shownRound: undefined,
      decided: false,
    };
    this.#transactions.set(command.transaction, transaction);
    this.#startRound(transaction, command.op === 'read' ? 'read' : checkFirst ? 'check' : 'write', now);
  }

  /** Sends one round; `sameVersion` keeps the write's version (a ring retry is the same write). */
  #startRound(transaction: Transaction, phase: Phase, now: Tick, options: { sameVersion?: boolean; withRingState?: boolean } = {}): void {
    const context = this.#context;
    const { command } = transaction;
    const writing = phase === 'write' || phase === 'write-back';
    const sets = context.ownership.ownerSets(command.key);
    const quorum = writing ? context.config.writeQuorum : context.config.readQuorum;
    // No ring, or one with fewer owners than a quorum (a cluster of one, or shrinking below W).
    if (sets.length === 0 || sets.some((set) => set.length < quorum)) {
      this.#decide(transaction, false, now, transaction.wrote ? 'timeout' : 'no-ring');
      this.#finish(transaction);
      return;
    }
    const { targets, sets: counted, roles } = this.#targets(command.key, sets);
    if (phase === 'write' && !options.sameVersion) {
      transaction.version = context.clock.next(now);
      transaction.writeRounds++;
    }
    const round: Round = { attempt: ++transaction.attempts, phase, startTick: now, targets, roles, sets: counted, quorum, answers: new Map(), silent: new Set() };
    transaction.round = round;
    // Strict quorums: owners the membership protocol holds dead will not answer. If too few are
    // left, nothing is sent: the operation fails at once and, a write, certainly wrote nothing.
    if (context.config.quorum === 'strict' && context.ownership.fingerprint !== undefined) {
      for (const target of targets) if (target !== context.id && !this.#reachable(target)) round.silent.add(target);
      if (counted.some((set) => set.filter((peer) => !round.silent.has(peer)).length < quorum)) {
        // An earlier write round may have reached replicas: then nobody knows what happened.
        this.#decide(transaction, false, now, transaction.wrote ? 'timeout' : 'no-quorum');
        this.#finish(transaction);
        return;
      }
    }
    const request = this.#request(transaction, phase, options.withRingState === true);
    if (phase === 'write') transaction.wrote = true;
    for (const target of targets) {
      if (round.silent.has(target)) continue;
      if (target === context.id) this.#record(round, target, this.#replica.serve(target, request, now));
      else context.send(target, request);
    }
    this.#evaluate(transaction, now);
  }

  /**
   * Whom a round asks: the owners (strict), or live stand-ins for dead owners (sloppy); and the
   * role each is asked in. An owner is `home` at its place in `sets`; a stand-in is a `fallback`
   * for the owner it replaces.
   */
  #targets(key: string, sets: readonly (readonly PeerId[])[]): { targets: PeerId[]; sets: (readonly PeerId[])[]; roles: Map<PeerId, TargetRole> } {
    const context = this.#context;
    const owners = sets.length === 1 ? (sets[0] as PeerId[]) : [...new Set(sets.flat())];
    const places = placesOf(sets);
    const homeRole = (owner: PeerId): TargetRole => {
      const place = places.get(owner);
      assert(place !== undefined, `owner ${owner} of ${key} has a place in its owner sets`);
      return { role: 'home', place };
    };
    const home = (targets: readonly PeerId[]): Map<PeerId, TargetRole> => new Map(targets.map((peer) => [peer, homeRole(peer)]));
    if (context.config.quorum === 'strict') return { targets: owners, sets: sets as (readonly PeerId[])[], roles: home(owners) };
    // Sloppy: a suspected or dead owner gives way to the next live peer of the key's walk.
    if (owners.every((owner) => this.#isAlive(owner))) return { targets: owners, sets: [owners], roles: home(owners) };
    const ring = context.ownership.transition?.after ?? context.ownership.ring;
    const fallbacks = ring.preferenceList(key, 2 * context.config.ring.replicas + owners.length).filter((peer) => !owners.includes(peer) && this.#isAlive(peer));
    const roles = new Map<PeerId, TargetRole>();
    const targets = owners.map((owner) => {
      // With no live peer left to stand in, the dead owner itself is asked (and stays home).
      const standIn = this.#isAlive(owner) ? undefined : fallbacks.shift();
      if (standIn === undefined) {
        roles.set(owner, homeRole(owner));
        return owner;
      }
      roles.set(standIn, { role: 'fallback', for: owner });
      return standIn;
    });
    return { targets, sets: [targets], roles };
  }

  #isAlive(peer: PeerId): boolean {
    return peer === this.#context.id || this.#context.membership.stateOf(peer) === 'alive';
  }

  /** A peer the membership protocol counts as a member (alive or suspect): worth asking. */
  #reachable(peer: PeerId): boolean {
    const state = this.#context.membership.stateOf(peer);
    return state === 'alive' || state === 'suspect';
  }

  #request(transaction: Transaction, phase: Phase, withRingState: boolean): Request {
    const context = this.#context;
    const { command } = transaction;
    const base = {
      type: 'kv.request' as const,
      transaction: command.transaction,
      key: command.key,
      attempt: transaction.attempts,
      ...(context.ownership.fingerprint !== undefined ? { ring: context.ownership.fingerprint } : {}),
      ...(withRingState && context.ownership.state ? { ringState: context.ownership.state.toWire() } : {}),
    };
    const quorumConditions = context.config.conditions === 'quorum';
    switch (phase) {
      case 'check':
        return { ...base, op: 'read', check: true };
      case 'read':
        return { ...base, op: 'read', ...(quorumConditions ? { blind: true as const } : {}) };
      case 'write':
        return {
          ...base,
          op: command.op,
          value: writesValue(command.op) ? (command.value ?? '') : undefined,
          binary: command.binary,
          version: transaction.version,
          blind: command.op === 'put' || quorumConditions ? true : undefined,
        };
      case 'write-back': {
        const newest = transaction.newest as KvRecord;
        return {
          ...base,
          op: newest.deleted ? 'delete' : 'put',
          ...(newest.deleted ? {} : { value: newest.value }),
          ...(newest.binary ? { binary: true as const } : {}),
          version: newest.version,
          blind: true,
          writeBack: true,
        };
      }
    }
  }

  onAnswer(from: PeerId, message: { transaction: number; attempt?: number | undefined; ok: boolean; reason?: KvFailure | undefined; record?: KvRecord | undefined; check?: true | undefined; ringState?: ReplicaAnswer['ringState'] }, now: Tick): void {
    const context = this.#context;
    const transaction = this.#transactions.get(message.transaction);
    if (transaction === undefined) return; // late: already decided and finished
    const round = transaction.round;
    if ((message.attempt ?? 1) !== round.attempt) return; // an earlier round's
    if ((message.check === true) !== (round.phase === 'check') || (message.record !== undefined && message.record.key !== transaction.command.key)) {
      context.reject(from, 'mismatched', `an answer for transaction ${message.transaction} that is not for this round or key`, now);
      return;
    }
    if (message.record !== undefined && message.record.version.tick > now + context.config.clockDriftMaxTicks) {
      context.reject(from, 'clock-skew', `a version at tick ${message.record.version.tick}, ${message.record.version.tick - now} ticks ahead`, now);
      return;
    }
    if (!this.#record(round, from, { ok: message.ok, reason: message.reason, record: message.record })) return;
    if (message.record) context.clock.observe(message.record.version);
    if (message.reason === 'ring-changed' && message.ringState !== undefined && !transaction.decided) {
      context.mergeRing(message.ringState, from, now);
      this.#ringRetry(transaction, now);
      return;
    }
    this.#evaluate(transaction, now);
  }

  #ringRetry(transaction: Transaction, now: Tick): void {
    if (transaction.ringRetries >= RING_RETRIES_MAX) {
      this.#decide(transaction, false, now, 'ring-changed');
      this.#finish(transaction);
      return;
    }
    transaction.ringRetries++;
    this.#context.counters.ringRetries++;
    // A write-back's value came from a read on the old rings: read again on the new ones. A write
    // keeps its version: the check before it met every quorum of its own and adjacent states.
    const phase = transaction.round.phase === 'write-back' ? 'read' : transaction.round.phase;
    this.#startRound(transaction, phase, now, { sameVersion: true, withRingState: true });
  }

  /** Keeps a target's first answer; false for a peer that was not asked or already answered. */
  #record(round: Round, from: PeerId, answer: ReplicaAnswer): boolean {
    if (!round.targets.includes(from) || round.answers.has(from) || round.silent.has(from)) return false;
    round.answers.set(from, answer);
    return true;
  }

  /** Moves on once every set has its quorum, or once one cannot have it. */
  #evaluate(transaction: Transaction, now: Tick): void {
    const round = transaction.round;
    if (transaction.decided) {
      if (round.answers.size + round.silent.size >= round.targets.length) this.#finish(transaction);
      return;
    }
    let reached = true;
    let impossible = false;
    for (const set of round.sets) {
      let ok = 0;
      let failed = 0;
      for (const peer of set) {
        const answer = round.answers.get(peer);
        if (answer !== undefined && this.#succeeded(transaction, answer)) ok++;
        else if (answer !== undefined || round.silent.has(peer)) failed++;
      }
      if (ok < round.quorum) reached = false;
      if (set.length - failed < round.quorum) impossible = true;
    }
    if (reached) this.#onQuorum(transaction, now);
    else if (impossible) this.#onNoQuorum(transaction, now, now >= round.startTick + this.#context.config.replyTimeoutTicks);
  }

  /**
   * An answer that counts towards the round's quorum: ok; or, for a write whose version was checked
   * first, a replica that holds a newer version (a concurrent write, which ours precedes).
   */
  #succeeded(transaction: Transaction, answer: ReplicaAnswer): boolean {
    if (answer.ok) return true;
    return (
      transaction.round.phase === 'write' &&
      transaction.checkFirst &&
      answer.reason === 'stale' &&
      answer.record !== undefined &&
      transaction.version !== undefined &&
      compareVersions(answer.record.version, transaction.version) > 0
    );
  }

  #onQuorum(transaction: Transaction, now: Tick): void {
    const { command } = transaction;
    const round = transaction.round;
    switch (round.phase) {
      case 'check': {
        const newest = newestOf(round, true);
        if (command.op !== 'put') {
          const present = newest !== undefined && newest.deleted !== true;
          if ((command.op === 'create') === present) {
            this.#decide(transaction, false, now, command.op === 'create' ? 'exists' : 'missing');
            this.#finish(transaction);
            return;
          }
        }
        this.#startRound(transaction, 'write', now);
        return;
      }
      case 'read': {
        transaction.shownRound = round;
        if (this.#context.config.conditions !== 'quorum') {
          transaction.newest = newestOf(round, false);
          this.#decide(transaction, true, now);
          this.#evaluate(transaction, now);
          return;
        }
        const newest = newestOf(round, true);
        transaction.newest = newest;
        if (newest !== undefined && this.#needsWriteBack(round, newest)) {
          this.#context.counters.readWriteBacks++;
          this.#startRound(transaction, 'write-back', now);
          return;
        }
        this.#decideRead(transaction, now);
        return;
      }
      case 'write-back':
        this.#decideRead(transaction, now);
        return;
      case 'write':
        this.#decide(transaction, true, now);
        this.#evaluate(transaction, now);
        return;
    }
  }

  /** A read's newest record must be on W owners of every write set before it is answered. */
  #needsWriteBack(round: Round, newest: KvRecord): boolean {
    const holders = new Set<PeerId>();
    for (const [peer, answer] of round.answers) if (answer.ok && answer.record !== undefined && compareVersions(answer.record.version, newest.version) === 0) holders.add(peer);
    const writeQuorum = this.#context.config.writeQuorum;
    const sets = this.#context.config.quorum === 'strict' ? this.#context.ownership.ownerSets(newest.key) : [round.targets];
    return sets.some((set) => set.filter((peer) => holders.has(peer)).length < writeQuorum);
  }

  #decideRead(transaction: Transaction, now: Tick): void {
    const newest = transaction.newest;
    if (newest === undefined || newest.deleted) this.#decide(transaction, false, now, 'missing');
    else this.#decide(transaction, true, now);
    this.#evaluate(transaction, now);
  }

  /** `timedOut`: the round's reply timeout expired (its silent targets were counted as failed). */
  #onNoQuorum(transaction: Transaction, now: Tick, timedOut: boolean): void {
    const round = transaction.round;
    if (round.phase === 'write' && !transaction.checkFirst) {
      const refusedAsStale = [...round.answers.values()].some((answer) => !answer.ok && answer.reason === 'stale');
      if (refusedAsStale && transaction.writeRounds < WRITE_ROUNDS_MAX) {
        // The classroom's one round: a replica holds a newer version, the clock has moved past it.
        this.#context.counters.writesRetried++;
        this.#startRound(transaction, 'write', now);
        return;
      }
    }
    // A refusal with a reason says more than silence. Otherwise requests went out and too few
    // answers came back: a timeout, whose writes may still take effect where they arrived.
    const reason = commonReason(round);
    this.#decide(transaction, false, now, reason === 'no-quorum' && (timedOut || round.answers.size > 0 || round.silent.size > 0) ? 'timeout' : reason);
    this.#evaluate(transaction, now);
  }

  /** Every tick: rounds whose reply timeout expired count their silent targets as failed. */
  tick(now: Tick): void {
    for (const transaction of [...this.#transactions.values()]) {
      const round = transaction.round;
      if (now < round.startTick + this.#context.config.replyTimeoutTicks) continue;
      if (transaction.decided) {
        this.#finish(transaction);
        continue;
      }
      for (const peer of round.targets) if (!round.answers.has(peer)) round.silent.add(peer);
      this.#evaluate(transaction, now);
      // Still undecided in the same round (a new round has its own timeout): it timed out.
      if (!transaction.decided && transaction.round === round) {
        this.#decide(transaction, false, now, 'timeout');
        this.#finish(transaction);
      }
    }
  }

  #decide(transaction: Transaction, ok: boolean, now: Tick, reason?: KvFailure): void {
    const context = this.#context;
    transaction.decided = true;
    const { command } = transaction;
    const read = command.op === 'read';
    const newest = transaction.newest;
    const value = read ? (ok ? newest?.value : undefined) : command.op === 'delete' ? undefined : command.value;
    const binary = read ? (ok ? newest?.binary : undefined) : command.binary;
    if (ok) context.counters.transactionsOk++;
    else context.counters.transactionsFailed++;
    // A transaction refused before its first round has asked nobody.
    const shown = transaction.shownRound ?? (transaction.attempts > 0 ? transaction.round : undefined);
    const replicas: ReplicaAnswerWire[] = shown === undefined ? [] : shown.targets.map((peer) => ({ peer, ok: shown.answers.get(peer)?.ok, ...shown.roles.get(peer) }));
    const latencyTicks = now - transaction.startTick;
    // A read that found a tombstone says which delete it saw.
    const version = ok ? (read ? newest?.version : transaction.version) : read && reason === 'missing' ? newest?.version : undefined;
    // The journal gets the value's size and a preview; the whole value goes only to the client.
    context.emit({ kind: 'kv.result', tick: now, peer: context.id, transaction: command.transaction, op: command.op, key: command.key, ...summarizeValue(value, binary === true, version), ok, reason, latencyTicks, replicas });
    context.reply({
      type: 'kv.result',
      transaction: command.transaction,
      op: command.op,
      key: command.key,
      ok,
      value,
      binary,
      version,
      reason,
      latencyTicks,
      replicas,
    });
  }

  /** Read repair: replicas that answered a read with an older version, or with nothing, get the newest. */
  #finish(transaction: Transaction): void {
    const context = this.#context;
    this.#transactions.delete(transaction.command.transaction);
    const round = transaction.shownRound;
    if (transaction.command.op !== 'read' || round === undefined || round !== transaction.round) return;
    const newest = newestOf(round, context.config.conditions === 'quorum');
    if (newest === undefined) return;
    for (const [peer, answer] of round.answers) {
      const stale = answer.ok ? answer.record === undefined || compareVersions(answer.record.version, newest.version) < 0 : answer.reason === 'missing';
      if (!stale) continue;
      context.counters.repairsSent++;
      if (peer === context.id) this.#replica.accept(newest, 'repair', transaction.startTick);
      else context.send(peer, { type: 'kv.store', reason: 'repair', records: [newest], ack: false });
    }
  }

  /** A transaction refused before any replica was asked: decided at once. */
  #refuseEarly(command: KvCommand, now: Tick, reason: KvFailure): void {
    const context = this.#context;
    context.counters.transactionsFailed++;
    // The journal holds valid keys and operations only: invalid ones are named as such.
    const key = reason === 'invalid-key' || !keySchema.safeParse(command.key).success ? '(invalid key)' : command.key;
    const op = kvOperationSchema.safeParse(command.op).success ? command.op : 'read';
    context.emit({ kind: 'kv.result', tick: now, peer: context.id, transaction: command.transaction, op, key, ok: false, reason, latencyTicks: 0, replicas: [] });
    context.reply({ type: 'kv.result', transaction: command.transaction, op, key: command.key, ok: false, reason, latencyTicks: 0, replicas: [] });
  }
}

/**
 * Each owner's place in the key's preference list (0: primary). Out of a ring transition there is
 * one list. During one, `sets` is [owners on the ring before, owners on the ring after] (as
 * `Ownership.ownerSets` gives them): an owner on the ring after takes its place there, since that
 * is where the transition leads and the key's list once it ends; an owner only on the ring before
 * (one giving the key up) keeps its place there. Two owners may then share a place: one giving
 * the key up and the one taking its place over.
 */
function placesOf(sets: readonly (readonly PeerId[])[]): Map<PeerId, number> {
  const places = new Map<PeerId, number>();
  for (let index = sets.length - 1; index >= 0; index--) {
    for (const [place, peer] of (sets[index] ?? []).entries()) if (!places.has(peer)) places.set(peer, place);
  }
  return places;
}

/** The newest record among a round's ok answers (tombstones included when asked). */
function newestOf(round: Round, includeTombstones: boolean): KvRecord | undefined {
  let newest: KvRecord | undefined;
  for (const answer of round.answers.values()) {
    const record = answer.ok ? answer.record : undefined;
    if (record === undefined || (!includeTombstones && record.deleted)) continue;
    if (newest === undefined || compareVersions(record.version, newest.version) > 0) newest = record;
  }
  return newest;
}

/** The failure most replicas gave (missing, exists, …), for the coordinator's verdict. */
function commonReason(round: Round): KvFailure {
  const counts = new Map<KvFailure, number>();
  for (const answer of round.answers.values()) if (!answer.ok && answer.reason && answer.reason !== 'ring-changed') counts.set(answer.reason, (counts.get(answer.reason) ?? 0) + 1);
  let best: KvFailure = 'no-quorum';
  let bestCount = 0;
  for (const [reason, count] of counts) if (count > bestCount) [best, bestCount] = [reason, count];
  return best;
}
