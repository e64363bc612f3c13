/**
 * Random histories for the DHT's property tests: a ring, then joins, quits, kills and stores,
 * never two neighbours killed at once, then time to heal.
 */
import fc from 'fast-check';
import { clockwiseFrom } from '../../src/shared/dht/circle.ts';
import { detectionTicksMax, DHT_DEFAULTS, type DhtConfig } from '../../src/shared/dht/config.ts';
import { dhtCluster } from './dht-ring.ts';

// Fast pings so a run heals in a few hundred ticks: detection ≤ 10 + 3 × 3 = 19 ticks.
const CONFIG: Partial<DhtConfig> = { pingIntervalTicks: 10, pingTimeoutTicks: 3, lostPingsMax: 3, joinRetryTicks: 30, joinAttemptsMax: 20 };
const DETECTION_TICKS = detectionTicksMax({ ...DHT_DEFAULTS, ...CONFIG });
/** Two departures closer than this in time count as "at once": the first is not yet repaired. */
export const REPAIR_WINDOW_TICKS = 2 * DETECTION_TICKS + 10;
/** Files move one hop back per ping round, and may go most of the way round a ring of ≤ 16 peers. */
const HEAL_TICKS = 40 * CONFIG.pingIntervalTicks!;
const LIVE_MIN = 3;

export type DhtAction =
  | { kind: 'join'; identity: number; via: number; gapTicks: number }
  | { kind: 'quit' | 'kill'; pick: number; gapTicks: number }
  | { kind: 'store'; pick: number; file: number; gapTicks: number };

// At least two ticks apart, so what one action sends has landed before the next (a quitting
// peer's files reach its successor before that one may quit too).
const gap = fc.integer({ min: 2, max: 30 });
const action: fc.Arbitrary<DhtAction> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('join' as const), identity: fc.nat(255), via: fc.nat(), gapTicks: gap }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('quit' as const), pick: fc.nat(), gapTicks: gap }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kill' as const), pick: fc.nat(), gapTicks: gap }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('store' as const), pick: fc.nat(), file: fc.nat(9999), gapTicks: gap }) },
);
export const dhtScenario = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  ring: fc.uniqueArray(fc.nat(255), { minLength: LIVE_MIN, maxLength: 12 }),
  actions: fc.array(action, { maxLength: 40 }),
  /** Chord finger tables on or off: lookups must find the owner either way. */
  fingers: fc.boolean(),
});

export type DhtScenario = { seed: number; ring: number[]; actions: DhtAction[]; fingers: boolean };

function fileName(file: number): string {
  return String(file).padStart(4, '0');
}

/** Runs the actions; returns the cluster healed, what it said, and whether any peer was killed. */
export function runDhtChaos({ seed, ring, actions, fingers }: DhtScenario) {
  const dht = dhtCluster({ seed, config: { ...CONFIG, fingers } });
  const { cluster } = dht;
  dht.init(ring);
  cluster.runUntil(5);
  /** Joiner → the peer it joins through, until it is in the ring. */
  const joining = new Map<number, number>();
  const departures: { identity: number; tick: number; killed: boolean }[] = [];
  /**
   * Whether `victim` has a neighbour (among the running and the recently departed peers) that
   * departed lately in a way that, with this departure, would leave a peer both of whose
   * successors vanished unannounced: two successors cannot repair that (the classroom's limit).
   */
  const besideRecent = (victim: number, kill: boolean): boolean => {
    const recent = departures.filter((departure) => cluster.now - departure.tick < REPAIR_WINDOW_TICKS && (kill || departure.killed));
    const circle = clockwiseFrom(victim, [...cluster.running(), ...recent.map((departure) => departure.identity)]);
    const neighbours = [circle[0], circle[circle.length - 2]];
    return recent.some((departure) => neighbours.includes(departure.identity));
  };
  for (const step of actions) {
    for (const [joiner] of joining) if (cluster.machine(joiner)?.status === 'member') joining.delete(joiner);
    const members = cluster.running().filter((identity) => cluster.machine(identity)?.status === 'member');
    // Never leave a joiner without the one peer it knows, nor the ring with fewer than three.
    const removable = members.filter((identity) => ![...joining.values()].includes(identity));
    const victim = removable[('pick' in step ? step.pick : 0) % Math.max(1, removable.length)];
    switch (step.kind) {
      case 'join':
        if (!cluster.isRunning(step.identity) && members.length > 0) {
          const via = members[step.via % members.length] as number;
          cluster.join(step.identity, via);
          joining.set(step.identity, via);
        }
        break;
      case 'quit':
      case 'kill': {
        // Never two neighbours gone at once when one was killed (two quits are fine).
        const kill = step.kind === 'kill';
        if (victim === undefined || members.length <= LIVE_MIN || besideRecent(victim, kill)) break;
        if (kill) cluster.kill(victim);
        else cluster.quit(victim);
        departures.push({ identity: victim, tick: cluster.now, killed: kill });
        break;
      }
      case 'store': {
        const origin = members[step.pick % members.length];
        if (origin !== undefined) cluster.store(origin, fileName(step.file));
        break;
      }
    }
    cluster.runUntil(cluster.now + step.gapTicks);
  }
  cluster.runUntil(cluster.now + HEAL_TICKS);
  return { ...dht, killed: departures.some((departure) => departure.killed) };
}

