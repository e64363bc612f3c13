/**
 * The simulator's half of `bench/dht.ts`: lookup hops and repair times of the circular DHT, exact
 * and seeded (the same seed gives the same figures on any machine), from the DHT core itself
 * (`DhtPeer` in `DhtCluster`), every message one tick on its way.
 *
 * - Lookups: a ring of N peers started with `init` (every peer its two successors), left to run
 *   until every finger table is complete (when fingers are on), then Store and Request from
 *   random peers for random file names. The hops are those of each final line's `lookup`
 *   (`Store NNNN request accepted`, `File NNNN is stored here`); each is checked against the route
 *   the classroom's rules (and Chord's, with fingers) give on a perfect ring (`idealHops`), and
 *   the peer that said it against the file's owner.
 * - Repair: a ring of N peers started at random moments within one ping interval (so their ping
 *   rounds are out of step, as real peers' are), one peer killed at a random moment three
 *   intervals on, then time until its two predecessors hold the right successors again.
 */
import { inHalfOpen, inOpen } from '../src/shared/dht/circle.ts';
import { DHT_DEFAULTS, type DhtConfig } from '../src/shared/dht/config.ts';
import { FINGER_COUNT } from '../src/shared/dht/fingers.ts';
import { fileHash, ownerOf } from '../src/shared/dht/placement.ts';
import type { JournalEvent } from '../src/shared/journal/events.ts';
import { IDENTITY_COUNT } from '../src/shared/protocol/dht.ts';
import { RandomStream } from '../src/shared/random/stream.ts';
import { DhtCluster } from '../src/shared/sim/dht-cluster.ts';

export type Operation = 'store' | 'request';

/** `count` distinct identities drawn from `seed` (all 256 when `count` is 256), ascending. */
export function ringOf(count: number, seed: string): number[] {
  if (count >= IDENTITY_COUNT) return Array.from({ length: IDENTITY_COUNT }, (_, identity) => identity);
  const random = RandomStream.root(seed);
  const identities = new Set<number>();
  while (identities.size < count) identities.add(random.int(0, IDENTITY_COUNT - 1));
  return [...identities].sort((a, b) => a - b);
}

/** `count` distinct four-digit file names. */
export function fileNames(count: number, random: RandomStream): string[] {
  const names = new Set<string>();
  while (names.size < count) names.add(String(random.int(0, 9999)).padStart(4, '0'));
  return [...names];
}

/** Who each peer's successors and predecessor are on a ring (ascending identities). */
export class Ring {
  readonly identities: readonly number[];
  readonly #index = new Map<number, number>();

  constructor(identities: readonly number[]) {
    this.identities = identities;
    identities.forEach((identity, index) => this.#index.set(identity, index));
  }

  get size(): number {
    return this.identities.length;
  }

  /** The peer `steps` places clockwise (negative: anticlockwise). */
  at(identity: number, steps: number): number {
    const index = this.#index.get(identity) as number;
    const size = this.identities.length;
    return this.identities[(((index + steps) % size) + size) % size] as number;
  }

  owner(hash: number): number {
    return ownerOf(hash, this.identities) as number;
  }

  /** Finger i of `identity`: the owner of identity + 2^i, none when that is itself. */
  finger(identity: number, index: number): number | undefined {
    const owner = this.owner((identity + 2 ** index) % IDENTITY_COUNT);
    return owner === identity ? undefined : owner;
  }

  /** The ring without `identity`. */
  without(identity: number): Ring {
    return new Ring(this.identities.filter((peer) => peer !== identity));
  }
}

/**
 * The hops of a lookup typed at `origin` for `hash` on a perfect ring, by the rules of
 * `shared/dht/lookups.ts`: the origin keeps what it owns (0 hops); otherwise each hop goes to the
 * first successor, marked for it when it owns the hash, or (with fingers) to the farthest finger
 * strictly before the hash.
 */
export function idealHops(ring: Ring, fingers: boolean, origin: number, hash: number): number {
  if (ring.size === 1 || inHalfOpen(ring.at(origin, -1), hash, origin)) return 0;
  let at = origin;
  for (let hops = 1; hops <= IDENTITY_COUNT; hops++) {
    const first = ring.at(at, 1);
    if (inHalfOpen(at, hash, first)) return hops;
    let next = first;
    if (fingers) {
      for (let index = FINGER_COUNT - 1; index >= 0; index--) {
        const finger = index === 0 ? first : ring.finger(at, index);
        if (finger !== undefined && inOpen(at, finger, hash)) {
          next = finger;
          break;
        }
      }
    }
    at = next;
  }
  throw new Error(`no route from ${origin} to ${hash}`);
}

export interface Lookup {
  readonly operation: Operation;
  readonly origin: number;
  readonly file: string;
}

/** `count` lookups, alternately Store and Request, each from a random peer for a random file name. */
export function randomLookups(ring: Ring, count: number, random: RandomStream, files = fileNames(count, random.derive('files'))): Lookup[] {
  return files.slice(0, count).map((file, index) => ({ operation: index % 2 === 0 ? 'store' : 'request', origin: ring.identities[random.index(ring.size)] as number, file }));
}

export interface LookupRun {
  readonly peers: number;
  readonly fingers: boolean;
  readonly seed: string;
  /** Hops of each lookup, Store and Request apart. */
  readonly hops: Record<Operation, number[]>;
  /** Lookups whose final line came from another peer than the file's owner, or never came. */
  readonly wrongOwner: number;
  readonly unfinished: number;
  /** Lookups whose hops differ from `idealHops`. */
  readonly notIdeal: number;
  /** Ticks run before the first lookup (the finger tables complete). */
  readonly warmTicks: number;
  readonly seconds: number;
}

const FINAL = /^(?:Store (\d{4}) request accepted|File (\d{4}) is stored here)$/;
/** Lookups started in one tick, at most. */
const LOOKUPS_PER_TICK = 500;

export function simulateLookups(options: { peers: number; fingers: boolean; lookups: number; seed: string }): LookupRun {
  const began = performance.now();
  const ring = new Ring(ringOf(options.peers, `${options.seed}/ring/${options.peers}`));
  const lookups = randomLookups(ring, options.lookups, RandomStream.root(`${options.seed}/lookups/${options.peers}`));
  const expected = new Map<string, number[]>();
  for (const lookup of lookups) {
    const key = `${lookup.operation} ${lookup.origin} ${lookup.file}`;
    const list = expected.get(key) ?? [];
    list.push(idealHops(ring, options.fingers, lookup.origin, fileHash(lookup.file)));
    expected.set(key, list);
  }

  const hops: Record<Operation, number[]> = { store: [], request: [] };
  let wrongOwner = 0;
  let notIdeal = 0;
  let finished = 0;
  const onEvent = (event: JournalEvent): void => {
    if (event.kind !== 'console' || event.lookup === undefined) return;
    const match = FINAL.exec(event.text);
    if (match === null) return;
    const operation: Operation = match[1] !== undefined ? 'store' : 'request';
    const file = (match[1] ?? match[2]) as string;
    finished++;
    hops[operation].push(event.lookup.hops);
    if (DhtCluster.identityOf(event.peer) !== ring.owner(fileHash(file))) wrongOwner++;
    const ideal = expected.get(`${operation} ${event.lookup.route[0]} ${file}`)?.shift();
    if (ideal !== event.lookup.hops) notIdeal++;
  };
  const cluster = new DhtCluster({ seed: `${options.seed}/sim/${options.peers}/${options.fingers}`, config: { fingers: options.fingers }, onEvent });
  ring.identities.forEach((identity) => cluster.init(identity, ring.at(identity, 1), ring.at(identity, 2)));

  // Every finger is refreshed once every 7 × fingerIntervalTicks, each by a lookup along first
  // successors (one tick a hop): run until every table is the perfect one.
  let warmTicks = 2 * DHT_DEFAULTS.fingerIntervalTicks;
  cluster.runUntil(warmTicks);
  while (options.fingers && !fingersComplete(cluster, ring)) {
    if (warmTicks > 20 * DHT_DEFAULTS.pingIntervalTicks) throw new Error(`the finger tables of ${options.peers} peers were not complete after ${warmTicks} ticks`);
    warmTicks += DHT_DEFAULTS.fingerIntervalTicks;
    cluster.runUntil(warmTicks);
  }

  for (let start = 0; start < lookups.length; start += LOOKUPS_PER_TICK) {
    for (const lookup of lookups.slice(start, start + LOOKUPS_PER_TICK)) {
      if (lookup.operation === 'store') cluster.store(lookup.origin, lookup.file);
      else cluster.request(lookup.origin, lookup.file);
    }
    cluster.runUntil(cluster.now + 1);
  }
  const deadline = cluster.now + IDENTITY_COUNT + 2;
  while (finished < lookups.length && cluster.now < deadline) cluster.runUntil(cluster.now + 1);
  return {
    peers: options.peers,
    fingers: options.fingers,
    seed: options.seed,
    hops,
    wrongOwner,
    unfinished: lookups.length - finished,
    notIdeal,
    warmTicks,
    seconds: (performance.now() - began) / 1000,
  };
}

function fingersComplete(cluster: DhtCluster, ring: Ring): boolean {
  return ring.identities.every((identity) => {
    const fingers = cluster.machine(identity)?.fingers() ?? [];
    return Array.from({ length: FINGER_COUNT }, (_, index) => ring.finger(identity, index)).every((finger, index) => fingers[index] === finger);
  });
}

// ------------------------------------------------------------------------------------------
// Repair after an abrupt departure

export interface RepairSample {
  readonly victim: number;
  /** Ticks from the kill until its predecessors said `Peer V is no longer alive`: the first, and the second. */
  readonly detectFirst: number | undefined;
  readonly detectLast: number | undefined;
  /** Ticks from the kill until both predecessors hold the right two successors. */
  readonly repaired: number | undefined;
  /** `no longer alive` said of a peer still running. */
  readonly falseAlarms: number;
}

export interface RepairRun {
  readonly peers: number;
  readonly config: DhtConfig;
  readonly tickMs: number;
  readonly samples: RepairSample[];
  /** Samples after which some running peer's successors were still wrong. */
  readonly ringsWrong: number;
  readonly seconds: number;
}

/** Ticks after the kill before a sample gives up: the bound twice over. */
const REPAIR_TICKS_MAX = 2 * (DHT_DEFAULTS.pingIntervalTicks + DHT_DEFAULTS.lostPingsMax * DHT_DEFAULTS.pingTimeoutTicks) + 100;

export function simulateRepairs(options: { peers: number; samples: number; seed: string }): RepairRun {
  const began = performance.now();
  const config = DHT_DEFAULTS;
  const interval = config.pingIntervalTicks;
  const samples: RepairSample[] = [];
  let ringsWrong = 0;
  for (let sample = 0; sample < options.samples; sample++) {
    const random = RandomStream.root(`${options.seed}/repair/${options.peers}/${sample}`);
    const ring = new Ring(ringOf(options.peers, `${options.seed}/repair-ring/${options.peers}/${sample}`));
    const victim = ring.identities[random.index(ring.size)] as number;
    const killTick = 3 * interval + random.int(0, interval - 1);
    const noLongerAlive: { tick: number; peer: number; subject: number }[] = [];
    const cluster = new DhtCluster({
      seed: `${options.seed}/repair-sim/${options.peers}/${sample}`,
      onEvent: (event) => {
        if (event.kind !== 'console') return;
        const match = /^Peer (\d+) is no longer alive$/.exec(event.text);
        if (match !== null) noLongerAlive.push({ tick: event.tick, peer: DhtCluster.identityOf(event.peer) as number, subject: Number(match[1]) });
      },
    });
    // Each peer starts at its own moment within one interval, in random order.
    const starts = ring.identities.map((identity) => ({ identity, tick: random.int(0, interval - 1) })).sort((a, b) => a.tick - b.tick);
    for (const start of starts) {
      cluster.runUntil(start.tick);
      cluster.init(start.identity, ring.at(start.identity, 1), ring.at(start.identity, 2));
    }
    cluster.runUntil(killTick);
    cluster.kill(victim);
    const after = ring.without(victim);
    const first = ring.at(victim, -1);
    const second = ring.at(victim, -2);
    const right = (peer: number): boolean => {
      const successors = cluster.machine(peer)?.successors;
      return successors?.first === after.at(peer, 1) && successors.second === after.at(peer, 2);
    };
    let repaired: number | undefined;
    while (cluster.now < killTick + REPAIR_TICKS_MAX) {
      cluster.runUntil(cluster.now + 1);
      if (right(first) && right(second)) {
        // The tick just run is now - 1.
        repaired = cluster.now - 1 - killTick;
        break;
      }
    }
    cluster.runUntil(cluster.now + 2 * interval);
    if (after.identities.some((peer) => !right(peer))) ringsWrong++;
    const detections = noLongerAlive.filter((line) => line.subject === victim && line.tick >= killTick).map((line) => line.tick - killTick);
    samples.push({
      victim,
      detectFirst: detections.length > 0 ? Math.min(...detections) : undefined,
      detectLast: detections.length >= 2 ? Math.max(...detections) : undefined,
      repaired,
      falseAlarms: noLongerAlive.filter((line) => line.subject !== victim).length,
    });
  }
  return { peers: options.peers, config, tickMs: 100, samples, ringsWrong, seconds: (performance.now() - began) / 1000 };
}
