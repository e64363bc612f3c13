/**
 * A peer of the classroom circular DHT (`docs/classroom.md`) as a pure state
 * machine. Each peer has an identity in [0, 256), knows its first and second successors, and
 * learns its predecessors from the pings it receives.
 *
 * - Pinging: a peer pings both successors when it starts, whenever they change, and every
 *   `pingIntervalTicks`; a successor that leaves `lostPingsMax` pings in a row unanswered is
 *   declared gone (`config.ts` has the bound) and the peer repairs its pair by asking the next
 *   live peer for its successors. A peer started with `init` counts no lost ping in its first
 *   interval: the other peers of the ring may still be starting.
 * - Joining: a join request travels along first successors to the peer after which the joiner
 *   belongs; that peer takes the joiner as its first successor, tells its predecessor (a
 *   successor-change request, applied only by a peer whose first successor it is) and tells the
 *   joiner its successors.
 * - Quit: the peer tells its predecessors (and anyone else that pinged it lately, and its
 *   successors, so they forget it) its two successors, and hands its files to its first successor.
 * - Store and Request (`lookups.ts`) travel along first successors one hop at a time, or along
 *   fingers (`fingers.ts`, an option), each hop printing its line.
 *
 * Beyond the classroom, silently, so that any joins, quits and (never two neighbouring) kills heal:
 *   - a first successor corrects a pinger whose second successor is wrong (a join or quit notice
 *     it missed), once it has checked its own first successor is alive;
 *   - a peer that hears of a peer joined between it and its first successor takes it as its first
 *     (Chord's stabilization: ping responses name a closer predecessor);
 *   - a neighbour relays a departure notice to a peer that joined too late to be told;
 *   - files follow their owners: a peer hands a predecessor that pings it the files it does not
 *     own, and keeps them until acknowledged. Files held by a peer that is killed are lost, as in
 *     the classroom.
 *
 * Every console line is a `console` journal event, word for word (`lines.ts`).
 *
 * The caller's duties are those of `machine.ts`, and:
 *   - send each `send` to the address it names (`AddressBook`); a `dht.file` message stands for the
 *     file itself: a real peer streams the file's bytes to the requester on a connection of their
 *     own instead, and delivers the message to the requester's machine once they are saved;
 *   - print each `console` event's text on the peer's console;
 *   - when it cannot send a file (its folder has none of that name), step the command
 *     `dht.file-missing`; when a transfer breaks off at either end, `dht.transfer-failed`;
 *   - on the reply `dht.left`, deliver the outputs and then stop the peer.
 */
import type { RejectReason } from '../journal/events.ts';
import { assert, type Machine, type MachineInput, type MachineOutput, type PeerId, type Tick } from '../machine.ts';
import {
  dhtCodec,
  DHT_MESSAGE_BYTES_MAX,
  FILES_PER_MESSAGE_MAX,
  HOPS_MAX,
  isIdentity,
  type DhtMessage,
} from '../protocol/dht.ts';
import { CLASSROOM_ADDRESSES, type AddressBook } from './address-book.ts';
import { inHalfOpen, inOpen } from './circle.ts';
import type { DhtCommand, DhtReply } from './commands.ts';
import { DHT_DEFAULTS, dhtConfigProblem, goneMemoryTicks, predecessorTimeoutTicks, type DhtConfig } from './config.ts';
import { FileShelf } from './file-shelf.ts';
import type { ConsoleLookup, PeerContext } from './context.ts';
import { FingerTable, passFindSuccessor } from './fingers.ts';
import { Lookups } from './lookups.ts';
import { lines } from './lines.ts';
import { PingWatch } from './ping-watch.ts';
import { fileHash, isFileName } from './placement.ts';
import { Predecessors } from './predecessors.ts';

export type { DhtCommand, DhtReply } from './commands.ts';

/** idle: not started; joining: asked to join, not yet accepted; member: in the ring; left: quit. */
export type DhtStatus = 'idle' | 'joining' | 'member' | 'left';

export interface DhtPeerOptions {
  readonly identity: number;
  /** Where every identity listens. Default: the classroom's 127.0.0.1:12000 + i. */
  readonly addresses?: AddressBook;
  readonly config?: Partial<DhtConfig>;
}

export interface DhtCounters {
  messagesRejected: number;
  lookupsDropped: number;
}

type Input = MachineInput<DhtMessage, DhtCommand>;

/** A driver's words on a broken transfer are cut to this many characters. */
const DETAIL_CHARACTERS_MAX = 200;
type Output = MachineOutput<DhtMessage, DhtReply>;

/** Asking the next live peer for its successors, after `gone` was declared gone. */
interface Repair {
  readonly target: number;
  readonly gone: number;
  sequence: number;
  sentTick: Tick;
  attempts: number;
}

export class DhtPeer implements Machine<DhtMessage, DhtCommand, DhtReply> {
  readonly id: PeerId;
  readonly identity: number;
  readonly config: DhtConfig;
  readonly counters: DhtCounters = { messagesRejected: 0, lookupsDropped: 0 };
  readonly #addresses: AddressBook;
  readonly #outputs: Output[] = [];
  readonly #watch = new PingWatch();
  readonly #predecessors: Predecessors;
  readonly #files = new FileShelf();
  readonly #context: PeerContext;
  readonly #fingers: FingerTable | undefined;
  readonly #lookups: Lookups;
  #status: DhtStatus = 'idle';
  /** While alone, or repairing, the second successor equals the first (unknown). */
  #first: number;
  #second: number;
  #sequence = 0;
  #nextPingTick: Tick = Infinity;
  /** Lost pings count from this tick: a ring started with `init` has a round to come up. */
  #countLostFromTick: Tick = 0;
  #repair: Repair | undefined;
  #join: { known: number; attempts: number; nextTick: Tick } | undefined;
  /** When a pinger's second successor first disagreed with this peer's first (see `#correctSecond`). */
  #doubtTick: Tick | undefined;
  /** Peers this one declared gone, and when: not to be taken back from a stale answer. */
  readonly #gone = new Map<number, Tick>();

  constructor(options: DhtPeerOptions) {
    this.config = { ...DHT_DEFAULTS, ...options.config };
    const problem = dhtConfigProblem(this.config);
    assert(problem === undefined, problem ?? '');
    this.#addresses = options.addresses ?? CLASSROOM_ADDRESSES;
    this.identity = options.identity;
    this.id = this.#addresses.addressOf(options.identity);
    this.#first = this.identity;
    this.#second = this.identity;
    this.#predecessors = new Predecessors(this.identity, predecessorTimeoutTicks(this.config));
    this.#context = {
      identity: this.identity,
      first: () => this.#first,
      isMember: () => this.#status === 'member',
      send: (to, message) => this.#send(to, message),
      print: (text, now, lookup) => this.#print(text, now, lookup),
      countDropped: () => this.counters.lookupsDropped++,
    };
    this.#fingers = this.config.fingers ? new FingerTable(this.#context, this.config.fingerIntervalTicks) : undefined;
    this.#lookups = new Lookups(this.#context, this.#files, this.#fingers, (hash, now) => this.#ownsHere(hash, now));
  }

  get status(): DhtStatus {
    return this.#status;
  }

  /** This peer's successors as it believes them now. */
  get successors(): { readonly first: number; readonly second: number } {
    return { first: this.#first, second: this.#second };
  }

  /** Its closest predecessors as its pings tell. */
  predecessors(now: Tick): { readonly first: number | undefined; readonly second: number | undefined } {
    return { first: this.#predecessors.closest(now, 1), second: this.#predecessors.closest(now, 2) };
  }

  /** The file names held here, sorted. */
  files(): string[] {
    return this.#files.list();
  }

  /** Finger i (with finger tables on): the owner of identity + 2^i as last looked up. */
  fingers(): readonly (number | undefined)[] {
    return this.#fingers?.list() ?? [];
  }

  step(input: Input, now: Tick): readonly Output[] {
    this.#outputs.length = 0;
    if (this.#status === 'left') return this.#outputs;
    switch (input.kind) {
      case 'tick':
        this.#tick(now);
        break;
      case 'receive':
        this.#receive(input.from, input.message, now);
        break;
      case 'receive-bytes': {
        const decoded = dhtCodec.decode(input.data, DHT_MESSAGE_BYTES_MAX);
        if (decoded.ok) this.#receive(input.from, decoded.message, now);
        else this.#reject(input.from, decoded.error.reason, decoded.error.detail, now);
        break;
      }
      case 'command':
        this.#command(input.command, now);
        break;
    }
    return this.#outputs;
  }

  // ------------------------------------------------------------------------------------------
  // Outputs

  #send(to: number, message: DhtMessage): void {
    if (to === this.identity) return;
    this.#outputs.push({ kind: 'send', to: this.#addresses.addressOf(to), message });
  }

  #print(text: string, now: Tick, lookup?: ConsoleLookup): void {
    this.#outputs.push({ kind: 'event', event: { kind: 'console', tick: now, peer: this.id, text, ...(lookup ? { lookup } : {}) } });
  }

  #reject(from: PeerId, reason: RejectReason, detail: string, now: Tick): void {
    this.counters.messagesRejected++;
    this.#outputs.push({ kind: 'event', event: { kind: 'message.rejected', tick: now, peer: this.id, from, reason, detail } });
  }

  /** Sets both successors and prints them: every change of the pair prints both lines. */
  #setSuccessors(first: number, second: number, now: Tick, joined = false): void {
    this.#first = first;
    this.#second = second;
    this.#doubtTick = undefined;
    this.#watch.retain([first, second]);
    // Ping the new pair now, so they learn their new predecessor before anything else happens.
    this.#nextPingTick = now;
    this.#print(joined ? lines.firstSuccessor(first) : lines.newFirstSuccessor(first), now);
    this.#print(joined ? lines.secondSuccessor(second) : lines.newSecondSuccessor(second), now);
  }

  // ------------------------------------------------------------------------------------------
  // Commands

  #command(command: DhtCommand, now: Tick): void {
    switch (command.type) {
      case 'dht.init':
        if (this.#status !== 'idle') return;
        this.#first = command.first;
        this.#second = command.second;
        this.#countLostFromTick = now + this.config.pingIntervalTicks;
        this.#becomeMember(now);
        return;
      case 'dht.join':
        if (this.#status !== 'idle') return;
        if (command.known === this.identity) {
          // Joining through itself: a ring of one.
          this.#becomeMember(now);
          return;
        }
        this.#status = 'joining';
        this.#join = { known: command.known, attempts: 0, nextTick: now };
        this.#retryJoin(now);
        return;
      case 'dht.store':
      case 'dht.request':
        this.#lookups.command(command.type === 'dht.store' ? 'store' : 'request', command.file, now);
        return;
      case 'dht.quit':
        this.#quit(now);
        return;
      case 'dht.unknown':
        this.#print(lines.unknownCommand(command.line), now);
        return;
      case 'dht.file-missing':
        if (isFileName(command.file) && isIdentity(command.requester)) this.#lookups.fileMissing(command.file, command.requester, now);
        return;
      case 'dht.transfer-failed': {
        if (!isFileName(command.file) || !isIdentity(command.peer)) return;
        // The detail is the driver's, in words; a line stays a line.
        const detail = command.detail.replace(/\s+/g, ' ').slice(0, DETAIL_CHARACTERS_MAX);
        this.#print(command.sending ? lines.sendFailed(command.file, command.peer, detail) : lines.receiveFailed(command.file, command.peer, detail), now);
        return;
      }
    }
  }

  #becomeMember(now: Tick): void {
    this.#status = 'member';
    this.#nextPingTick = now;
    this.#fingers?.start(now);
  }

  #quit(now: Tick): void {
    if (this.#status === 'member') {
      // Its two predecessors first, as the classroom has it; then anyone else that pinged it
      // lately (a pinger that missed a join), and its successors, so they forget it at once.
      const predecessors = this.predecessors(now);
      const told = new Set([predecessors.first, predecessors.second, ...this.#predecessors.fresh(now), this.#first, this.#second]);
      told.delete(undefined);
      for (const peer of told) this.#send(peer as number, { type: 'dht.depart', first: this.#first, second: this.#second });
      this.#handOver(this.#files.list(), this.#first);
    }
    this.#status = 'left';
    this.#outputs.push({ kind: 'reply', reply: { type: 'dht.left' } });
  }

  // ------------------------------------------------------------------------------------------
  // Time

  #tick(now: Tick): void {
    if (this.#status === 'joining') {
      if (this.#join !== undefined && now >= this.#join.nextTick) this.#retryJoin(now);
      return;
    }
    if (this.#status !== 'member') return;
    const expired = now >= this.#countLostFromTick ? this.#watch.expire(now, this.config.pingTimeoutTicks) : [];
    for (const { peer, lost } of expired) {
      if (peer !== this.#first && peer !== this.#second) continue;
      if (lost >= this.config.lostPingsMax) this.#declareGone(peer, now);
      else this.#ping(peer, now);
    }
    if (this.#repair !== undefined && now - this.#repair.sentTick >= this.config.pingTimeoutTicks) this.#retryRepair(now);
    if (now >= this.#nextPingTick) this.#pingRound(now);
    this.#fingers?.tick(now);
    this.#forgetOldGone(now);
  }

  // ------------------------------------------------------------------------------------------
  // Pinging successors

  #pingRound(now: Tick): void {
    this.#nextPingTick = now + this.config.pingIntervalTicks;
    const targets = [...new Set([this.#first, this.#second])].filter((peer) => peer !== this.identity);
    if (targets.length === 2) this.#print(lines.pingRequestsSent(targets[0] as number, targets[1] as number), now);
    else if (targets.length === 1) this.#print(lines.pingRequestSent(targets[0] as number), now);
    // A ping that counts as lost may change the successors half way.
    for (const peer of targets) if (peer === this.#first || peer === this.#second) this.#ping(peer, now);
  }

  #ping(peer: number, now: Tick): void {
    const sequence = ++this.#sequence;
    const rank = peer === this.#first ? 1 : 2;
    // While repairing, the second successor is unknown: nothing for the first to correct.
    const second = rank === 1 && this.#repair === undefined && this.#second !== this.#first ? { second: this.#second } : {};
    this.#send(peer, { type: 'dht.ping-request', rank, sequence, ...second });
    // A ping still unanswered when the next one goes counts as lost.
    if (this.#watch.sent(peer, sequence, now, now < this.#countLostFromTick) >= this.config.lostPingsMax) this.#declareGone(peer, now);
  }

  #onPingRequest(from: number, message: Extract<DhtMessage, { type: 'dht.ping-request' }>, now: Tick): void {
    this.#print(lines.pingRequestReceived(from), now);
    this.#predecessors.heard(from, message.rank, now);
    const closer = message.rank === 1 ? this.#predecessors.closest(now, 1) : undefined;
    this.#send(from, { type: 'dht.ping-response', sequence: message.sequence, ...(closer !== undefined && closer !== from ? { predecessor: closer } : {}) });
    if (message.rank !== 1) return;
    this.#handOverNotOwned(from);
    this.#correctSecond(from, message.second, now);
  }

  /**
   * The first-rank pinger's second successor must be this peer's first. It is not when the pinger
   * missed a join or a quit notice, and then this peer tells it; or when the pinger knows better
   * (it found this peer's first successor dead before this peer did). So this peer first checks
   * its first successor is alive: it pings it, and corrects the pinger's next ping only once its
   * first has answered since. A successor this peer declared gone is left alone: the pinger
   * detects it too and repairs the classroom way.
   */
  #correctSecond(pinger: number, second: number | undefined, now: Tick): void {
    if (second === undefined || second === this.#first || this.#repair !== undefined || this.#first === this.identity) return;
    // Each the other's first successor: one of the two is wrong, and stabilization finds which.
    if (this.#first === pinger || this.#gone.has(second)) return;
    if (this.#doubtTick === undefined) {
      this.#doubtTick = now;
      if (!this.#watch.outstanding(this.#first)) this.#ping(this.#first, now);
      return;
    }
    if (!this.#watch.answeredSince(this.#first, this.#doubtTick)) return;
    this.#doubtTick = undefined;
    this.#send(pinger, { type: 'dht.successor-change', first: this.identity, second: this.#first });
  }

  #onPingResponse(from: number, message: Extract<DhtMessage, { type: 'dht.ping-response' }>, now: Tick): void {
    this.#print(lines.pingResponseReceived(from), now);
    this.#watch.answered(from, message.sequence, now);
    // Chord's stabilization: a peer between this one and its first successor joined unannounced
    // (the peer that accepted it did not know its own predecessor yet): it is the first successor.
    const closer = message.predecessor;
    if (from !== this.#first || closer === undefined || this.#repair !== undefined || this.#gone.has(closer)) return;
    if (inOpen(this.identity, closer, from)) this.#setSuccessors(closer, from, now);
  }

  // ------------------------------------------------------------------------------------------
  // Abrupt departure

  #declareGone(peer: number, now: Tick): void {
    if (peer !== this.#first && peer !== this.#second) return;
    this.#gone.set(peer, now);
    this.#forget(peer);
    this.#print(lines.noLongerAlive(peer), now);
    const next = peer === this.#first ? this.#second : this.#first;
    if (next === peer || next === this.identity) {
      this.#first = this.identity;
      this.#second = this.identity;
      this.#repair = undefined;
      return;
    }
    this.#repairVia(next, peer, now);
  }

  /** `next` is the first successor now; its answer will tell the second. */
  #repairVia(next: number, gone: number, now: Tick): void {
    // Until it answers, it is both successors (the second is unknown).
    this.#first = next;
    this.#second = next;
    this.#doubtTick = undefined;
    this.#repair = { target: next, gone, sequence: 0, sentTick: now, attempts: 0 };
    this.#askSuccessors(this.#repair, now);
  }

  #askSuccessors(repair: Repair, now: Tick): void {
    repair.sequence = ++this.#sequence;
    repair.sentTick = now;
    repair.attempts++;
    this.#send(repair.target, { type: 'dht.successors-request', sequence: repair.sequence });
  }

  #retryRepair(now: Tick): void {
    const repair = this.#repair as Repair;
    if (repair.attempts < this.config.lostPingsMax) {
      this.#askSuccessors(repair, now);
      return;
    }
    // The next live peer is silent too: two neighbours gone at once, which two successors
    // cannot repair (the classroom's limit).
    this.#repair = undefined;
    this.#declareGone(repair.target, now);
  }

  #onSuccessorsResponse(from: number, message: Extract<DhtMessage, { type: 'dht.successors-response' }>, now: Tick): void {
    const repair = this.#repair;
    if (repair === undefined || repair.sequence !== message.sequence || repair.target !== from) return;
    // The asked peer may not have noticed the departure yet: skip what it still names. Naming this
    // peer or itself, it says the ring has two peers left.
    const second = [message.first, message.second].find((peer) => peer !== repair.gone && !this.#gone.has(peer) && peer !== this.identity);
    this.#repair = undefined;
    this.#setSuccessors(from, second === undefined || second === from ? this.identity : second, now);
  }

  #forget(peer: number): void {
    this.#predecessors.forget(peer);
    this.#fingers?.forget(peer);
  }

  #forgetOldGone(now: Tick): void {
    if (this.#gone.size === 0) return;
    const memory = goneMemoryTicks(this.config);
    for (const [peer, tick] of this.#gone) if (now - tick > memory) this.#gone.delete(peer);
  }

  // ------------------------------------------------------------------------------------------
  // Joining

  #retryJoin(now: Tick): void {
    const join = this.#join as { known: number; attempts: number; nextTick: Tick };
    if (join.attempts >= this.config.joinAttemptsMax) {
      this.#print(lines.joinUnanswered(join.known, join.attempts), now);
      this.#join = undefined;
      this.#status = 'idle';
      return;
    }
    join.attempts++;
    join.nextTick = now + this.config.joinRetryTicks;
    this.#send(join.known, { type: 'dht.join-request', joiner: this.identity, hops: 0 });
  }

  #onJoinRequest(message: Extract<DhtMessage, { type: 'dht.join-request' }>, now: Tick): void {
    const joiner = message.joiner;
    // Its own request come round, or a retry of a join already accepted here.
    if (joiner === this.identity || joiner === this.#first) return;
    if (this.#first === this.identity || inOpen(this.identity, joiner, this.#first)) {
      // Not knowing its second successor while repairing, it cannot tell the joiner its own: the
      // joiner asks again (joinRetryTicks).
      if (this.#repair === undefined) this.#accept(joiner, now);
      return;
    }
    if (message.hops >= HOPS_MAX) {
      this.counters.lookupsDropped++;
      return;
    }
    this.#print(lines.joinForwarded(joiner), now);
    this.#send(this.#first, { type: 'dht.join-request', joiner, hops: message.hops + 1 });
  }

  #accept(joiner: number, now: Tick): void {
    this.#print(lines.joinReceived(joiner), now);
    const oldFirst = this.#first;
    const oldSecond = this.#second;
    this.#setSuccessors(joiner, oldFirst === this.identity ? this.identity : oldFirst, now);
    // Applied only by the pinger whose first successor this peer still is.
    for (const pinger of this.#predecessors.fresh(now, 1)) {
      if (pinger !== joiner) this.#send(pinger, { type: 'dht.successor-change', first: this.identity, second: joiner });
    }
    const predecessor = this.#predecessors.closest(now, 1);
    this.#send(joiner, {
      type: 'dht.join-accepted',
      first: oldFirst,
      second: oldFirst === this.identity ? joiner : oldSecond,
      predecessors: predecessor === undefined || predecessor === joiner ? [this.identity] : [this.identity, predecessor],
    });
  }

  #onJoinAccepted(message: Extract<DhtMessage, { type: 'dht.join-accepted' }>, now: Tick): void {
    if (this.#status !== 'joining' || !this.#plausible(message.first, message.second)) return;
    this.#join = undefined;
    this.#becomeMember(now);
    this.#print(lines.joinAccepted(), now);
    this.#setSuccessors(message.first, message.second, now, true);
    message.predecessors.forEach((peer, index) => this.#predecessors.heard(peer, index === 0 ? 1 : 2, now));
  }

  #onSuccessorChange(from: number, message: Extract<DhtMessage, { type: 'dht.successor-change' }>, now: Tick): void {
    if (from !== this.#first || message.first !== from || !this.#plausible(message.first, message.second)) return;
    this.#repair = undefined;
    this.#print(lines.successorChangeReceived(), now);
    this.#setSuccessors(message.first, message.second, now);
  }

  // ------------------------------------------------------------------------------------------
  // Graceful departure

  #onDepart(from: number, message: Extract<DhtMessage, { type: 'dht.depart' }>, now: Tick): void {
    const departing = message.peer ?? from;
    this.#forget(departing);
    if (departing === this.identity || (departing !== this.#first && departing !== this.#second)) return;
    if (message.peer === undefined) this.#relayDeparture(departing, message, now);
    this.#print(lines.willDepart(departing), now);
    this.#repair = undefined;
    if (departing !== this.#first) {
      this.#setSuccessors(this.#first, message.first, now);
    } else if (message.first === this.identity) {
      this.#setSuccessors(this.identity, this.identity, now);
    } else if (message.second === message.first) {
      // It left while repairing, its second successor unknown: ask its first.
      this.#repairVia(message.first, departing, now);
    } else {
      this.#setSuccessors(message.first, message.second === departing ? this.identity : message.second, now);
    }
  }

  /**
   * The departing peer told those it knew pinged it; one that joined a moment ago may not have
   * yet. Its neighbours pass the news on once: the peers that ping this one (whose second successor
   * it was), or this peer's first successor (whose first it was).
   */
  #relayDeparture(departing: number, message: Extract<DhtMessage, { type: 'dht.depart' }>, now: Tick): void {
    const relay = { type: 'dht.depart' as const, first: message.first, second: message.second, peer: departing };
    if (departing === this.#first) {
      for (const pinger of this.#predecessors.fresh(now, 1)) if (pinger !== departing) this.#send(pinger, relay);
    } else if (this.#first !== departing) {
      this.#send(this.#first, relay);
    }
  }

  /** A pair of successors another peer says this one has: never one peer twice but itself. */
  #plausible(first: number, second: number): boolean {
    return first !== second || first === this.identity;
  }

  // ------------------------------------------------------------------------------------------
  // Files

  /** Files go to the peer that owns them; they stay here until it acknowledges them. */
  #handOver(files: readonly string[], peer: number): void {
    if (peer === this.identity || files.length === 0) return;
    for (let start = 0; start < files.length; start += FILES_PER_MESSAGE_MAX) {
      this.#send(peer, { type: 'dht.files', files: [...this.#files.handOver(files.slice(start, start + FILES_PER_MESSAGE_MAX), peer)] });
    }
  }

  /** To a first-rank pinger: the files outside (pinger, this peer], which this peer does not own. */
  #handOverNotOwned(pinger: number): void {
    if (this.#files.size === 0) return;
    this.#handOver(
      this.#files.list().filter((file) => !inHalfOpen(pinger, fileHash(file), this.identity)),
      pinger,
    );
  }

  /** Whether this peer owns `hash`, as far as it knows: alone, or behind it is its predecessor. */
  #ownsHere(hash: number, now: Tick): boolean {
    if (this.#first === this.identity) return true;
    const predecessor = this.#predecessors.closest(now, 1);
    return predecessor !== undefined && inHalfOpen(predecessor, hash, this.identity);
  }

  // ------------------------------------------------------------------------------------------
  // Messages

  #receive(address: PeerId, message: DhtMessage, now: Tick): void {
    const from = this.#addresses.identityOf(address);
    if (from === undefined) {
      this.#reject(address, 'not-a-member', `${address} is no DHT peer's address`, now);
      return;
    }
    if (this.#status === 'joining') {
      if (message.type === 'dht.join-accepted') this.#onJoinAccepted(message, now);
      return;
    }
    if (this.#status !== 'member') return;
    switch (message.type) {
      case 'dht.ping-request':
        return this.#onPingRequest(from, message, now);
      case 'dht.ping-response':
        return this.#onPingResponse(from, message, now);
      case 'dht.join-request':
        return this.#onJoinRequest(message, now);
      case 'dht.join-accepted':
        return;
      case 'dht.successor-change':
        return this.#onSuccessorChange(from, message, now);
      case 'dht.depart':
        return this.#onDepart(from, message, now);
      case 'dht.successors-request':
        return this.#send(from, { type: 'dht.successors-response', sequence: message.sequence, first: this.#first, second: this.#second });
      case 'dht.successors-response':
        return this.#onSuccessorsResponse(from, message, now);
      case 'dht.store':
      case 'dht.request':
      case 'dht.file':
      case 'dht.file-received':
      case 'dht.file-missing':
        return this.#lookups.receive(from, message, now);
      case 'dht.files':
        for (const file of message.files) this.#files.add(file);
        return this.#send(from, { type: 'dht.files-received', files: message.files });
      case 'dht.files-received':
        return this.#files.acknowledged(message.files, from);
      case 'dht.find-successor':
        return passFindSuccessor(this.#context, message);
      case 'dht.successor-found':
        return this.#fingers?.found(from, message.sequence);
    }
  }
}
