/**
 * The emulated network of the simulator: it decides, at send time, whether and when each
 * message arrives.
 *
 * A message sent at tick T arrives at T + delay (delay ≥ 1), unless it is lost (global or
 * per-link probability), blocked by a partition, larger than `messageBytesMax`, or the in-flight
 * buffer is full. It may also be duplicated (the copy has its own delay) or held back a few extra
 * ticks (reordering). Random draws come from a sequence per directed link (`KeyedDraws`),
 * derived from the network's stream, so traffic on one link never changes the fate of messages
 * on another.
 *
 * The simulator's duty: call `send` for every message a machine sends, and each tick deliver
 * what `takeDue(now)` returns, in order.
 */
import type { DropReason } from '../journal/events.ts';
import { assert, type PeerId, type Tick } from '../machine.ts';
import { KeyedDraws, type RandomStream } from '../random/stream.ts';

export type DelayModel =
  | { readonly kind: 'constant'; readonly ticks: number }
  | { readonly kind: 'uniform'; readonly minTicks: number; readonly maxTicks: number }
  /** 1 + an exponential draw of mean `meanTicks − 1`, capped at `maxTicks`. */
  | { readonly kind: 'exponential'; readonly meanTicks: number; readonly maxTicks: number };

/** Faults of one directed link; what is unset falls back to the network's global setting. */
export interface LinkFaults {
  readonly loss?: number;
  readonly delay?: DelayModel;
  readonly duplicate?: number;
}

export interface NetworkConfig {
  /** Probability a message is lost. Default 0. */
  readonly loss: number;
  /** Default: every message arrives the next tick, as in the classroom emulator. */
  readonly delay: DelayModel;
  /** Probability a message is delivered twice. Default 0. */
  readonly duplicate: number;
  /** Probability a message is held back 1..`reorderWindowTicks` extra ticks. Default 0. */
  readonly reorder: number;
  readonly reorderWindowTicks: number;
  /** Messages in flight at most; more are dropped (the classroom's ENBUFFSIZE). Default 30,000. */
  readonly inFlightMax: number;
  /** Larger messages are dropped. Default 65,536 bytes; the classroom uses 4,000. */
  readonly messageBytesMax: number;
}

export const NETWORK_DEFAULTS: NetworkConfig = {
  loss: 0,
  delay: { kind: 'constant', ticks: 1 },
  duplicate: 0,
  reorder: 0,
  reorderWindowTicks: 3,
  inFlightMax: 30_000,
  messageBytesMax: 65_536,
};

export interface Envelope<Message> {
  readonly from: PeerId;
  readonly to: PeerId;
  readonly message: Message;
  readonly sentTick: Tick;
}

interface Partition {
  readonly sources: ReadonlySet<PeerId>;
  readonly targets: ReadonlySet<PeerId>;
  readonly oneWay: boolean;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  duplicated: number;
  dropped: Record<DropReason, number>;
}

export class EmulatedNetwork<Message> {
  #config: NetworkConfig;
  /** Every draw for a message comes from its directed link's own sequence. */
  readonly #draws: KeyedDraws;
  readonly #sizeOf: (message: Message) => number;
  readonly #sizeBound: (message: Message) => number;
  readonly #links = new Map<string, LinkFaults>();
  #partitions: Partition[] = [];
  readonly #due = new Map<Tick, Envelope<Message>[]>();
  #inFlight = 0;
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    duplicated: 0,
    dropped: { loss: 0, partition: 0, 'buffer-full': 0, oversize: 0, 'target-down': 0 },
  };

  /**
   * `sizeOf` gives a message's encoded size; `sizeBound`, if given, a cheap upper bound of it, so
   * the exact size is computed only for messages near the limit.
   */
  constructor(random: RandomStream, sizeOf: (message: Message) => number, config: Partial<NetworkConfig> = {}, sizeBound: (message: Message) => number = sizeOf) {
    this.#draws = new KeyedDraws(random, 'links');
    this.#sizeOf = sizeOf;
    this.#sizeBound = sizeBound;
    this.#config = validate({ ...NETWORK_DEFAULTS, ...config });
  }

  get config(): NetworkConfig {
    return this.#config;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  configure(changes: Partial<NetworkConfig>): void {
    this.#config = validate({ ...this.#config, ...changes });
  }

  setLinkFaults(from: PeerId, to: PeerId, faults: LinkFaults | undefined): void {
    const key = linkKey(from, to);
    if (faults === undefined) this.#links.delete(key);
    else {
      validateLink(faults);
      this.#links.set(key, faults);
    }
  }

  /** Blocks messages from `sources` to `targets`, and back unless `oneWay`. */
  partition(sources: readonly PeerId[], targets: readonly PeerId[], oneWay: boolean): void {
    this.#partitions.push({ sources: new Set(sources), targets: new Set(targets), oneWay });
  }

  /** Removes every partition and link fault, and sets loss, duplication and reordering to zero. */
  healAll(): void {
    this.#partitions = [];
    this.#links.clear();
    this.configure({ loss: 0, duplicate: 0, reorder: 0 });
  }

  isBlocked(from: PeerId, to: PeerId): boolean {
    for (const partition of this.#partitions) {
      if (partition.sources.has(from) && partition.targets.has(to)) return true;
      if (!partition.oneWay && partition.targets.has(from) && partition.sources.has(to)) return true;
    }
    return false;
  }

  /** Accepts a message at tick `now`; returns why it was dropped, or undefined if it is on its way. */
  send(from: PeerId, to: PeerId, message: Message, now: Tick): DropReason | undefined {
    this.stats.sent++;
    const config = this.#config;
    const drop = this.#dropReason(from, to, message);
    if (drop !== undefined) {
      this.stats.dropped[drop]++;
      return drop;
    }
    const link = this.#links.size > 0 ? this.#links.get(linkKey(from, to)) : undefined;
    const envelope: Envelope<Message> = { from, to, message, sentTick: now };
    this.#schedule(envelope, now + this.#delay(from, to, link));
    const duplicate = link?.duplicate ?? config.duplicate;
    if (duplicate > 0 && this.#draws.chance(from, to, duplicate)) {
      if (this.#inFlight >= config.inFlightMax) this.stats.dropped['buffer-full']++;
      else {
        this.stats.duplicated++;
        this.#schedule(envelope, now + this.#delay(from, to, link));
      }
    }
    return undefined;
  }

  /** Removes and returns the messages due at `now`, in the order they were scheduled. */
  takeDue(now: Tick): readonly Envelope<Message>[] | undefined {
    const due = this.#due.get(now);
    if (due === undefined) return undefined;
    this.#due.delete(now);
    this.#inFlight -= due.length;
    this.stats.delivered += due.length;
    return due;
  }

  /** A message that arrived at a peer that is not running: counted as dropped there. */
  countTargetDown(): void {
    this.stats.delivered--;
    this.stats.dropped['target-down']++;
  }

  #dropReason(from: PeerId, to: PeerId, message: Message): DropReason | undefined {
    const config = this.#config;
    if (this.#partitions.length > 0 && this.isBlocked(from, to)) return 'partition';
    if (Number.isFinite(config.messageBytesMax) && this.#sizeBound(message) > config.messageBytesMax && this.#sizeOf(message) > config.messageBytesMax) {
      return 'oversize';
    }
    const link = this.#links.size > 0 ? this.#links.get(linkKey(from, to)) : undefined;
    const loss = link?.loss ?? config.loss;
    if (loss > 0 && this.#draws.chance(from, to, loss)) return 'loss';
    if (this.#inFlight >= config.inFlightMax) return 'buffer-full';
    return undefined;
  }

  #delay(from: PeerId, to: PeerId, link: LinkFaults | undefined): number {
    const model = link?.delay ?? this.#config.delay;
    let ticks: number;
    switch (model.kind) {
      case 'constant':
        ticks = model.ticks;
        break;
      case 'uniform':
        ticks = this.#draws.int(from, to, model.minTicks, model.maxTicks);
        break;
      case 'exponential':
        ticks = Math.min(model.maxTicks, 1 + Math.floor(this.#draws.exponential(from, to, model.meanTicks - 1)));
        break;
    }
    const reorder = this.#config.reorder;
    if (reorder > 0 && this.#draws.chance(from, to, reorder)) {
      ticks += this.#draws.int(from, to, 1, this.#config.reorderWindowTicks);
    }
    return ticks;
  }

  #schedule(envelope: Envelope<Message>, tick: Tick): void {
    let bucket = this.#due.get(tick);
    if (bucket === undefined) {
      bucket = [];
      this.#due.set(tick, bucket);
    }
    bucket.push(envelope);
    this.#inFlight++;
  }

}

function linkKey(from: PeerId, to: PeerId): string {
  return `${from}>${to}`;
}

function validate(config: NetworkConfig): NetworkConfig {
  assertProbability(config.loss, 'loss');
  assertProbability(config.duplicate, 'duplicate');
  assertProbability(config.reorder, 'reorder');
  validateDelay(config.delay);
  assert(Number.isInteger(config.reorderWindowTicks) && config.reorderWindowTicks >= 1, 'reorderWindowTicks ≥ 1');
  assert(config.inFlightMax >= 1, 'inFlightMax ≥ 1');
  assert(config.messageBytesMax >= 1, 'messageBytesMax ≥ 1');
  return config;
}

function validateLink(faults: LinkFaults): void {
  if (faults.loss !== undefined) assertProbability(faults.loss, 'loss');
  if (faults.duplicate !== undefined) assertProbability(faults.duplicate, 'duplicate');
  if (faults.delay !== undefined) validateDelay(faults.delay);
}

function assertProbability(value: number, name: string): void {
  assert(value >= 0 && value <= 1, `${name} must be a probability in [0, 1], got ${value}`);
}

/** Delays are whole ticks, at least 1: nothing arrives in the tick it was sent. */
export function validateDelay(delay: DelayModel): void {
  switch (delay.kind) {
    case 'constant':
      assert(Number.isInteger(delay.ticks) && delay.ticks >= 1, 'a constant delay is a whole number of ticks ≥ 1');
      return;
    case 'uniform':
      assert(
        Number.isInteger(delay.minTicks) && Number.isInteger(delay.maxTicks) && delay.minTicks >= 1 && delay.maxTicks >= delay.minTicks,
        'a uniform delay is 1 ≤ minTicks ≤ maxTicks, whole ticks',
      );
      return;
    case 'exponential':
      assert(
        delay.meanTicks >= 1 && Number.isInteger(delay.maxTicks) && delay.maxTicks >= 1,
        'an exponential delay has meanTicks ≥ 1 and a whole maxTicks ≥ 1',
      );
      return;
  }
}

/** `2`, `1-4` (uniform) or `exponential 3 20`: the command line's and the scripts' spelling. */
export function describeDelay(delay: DelayModel): string {
  switch (delay.kind) {
    case 'constant':
      return `${delay.ticks}`;
    case 'uniform':
      return `${delay.minTicks}-${delay.maxTicks}`;
    case 'exponential':
      return `exponential ${delay.meanTicks} ${delay.maxTicks}`;
  }
}
