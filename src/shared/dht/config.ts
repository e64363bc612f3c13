/**
 * Tunables of the circular DHT, in ticks. The classroom gives the ping interval in seconds
 * (`p2p init 2 4 5 30`); a driver turns it into ticks with `ticksFromSeconds` and its tick length
 * (100 ms by default, as for every real peer).
 *
 * A successor that stops answering is declared gone after `lostPingsMax` consecutive lost pings.
 * A ping is lost when unanswered after `pingTimeoutTicks` (or when the next round comes first),
 * and a lost ping is retried at once rather than a whole interval later, so
 *   detection ≤ pingIntervalTicks + lostPingsMax × min(pingTimeoutTicks, pingIntervalTicks)
 * after the successor's last answer: 300 + 3 × 50 = 450 ticks (45 s) at the defaults, within the
 * classroom's 60 s even at its 30 s interval.
 */
export interface DhtConfig {
  /** Ticks between ping rounds (both successors). Default 300: the reference ring's 30 s. */
  readonly pingIntervalTicks: number;
  /** A ping unanswered this long is lost, and the successor is pinged again. Default 50 (5 s). */
  readonly pingTimeoutTicks: number;
  /** Consecutive lost pings before a successor is declared gone. Default 3 (the classroom: 2 or 3). */
  readonly lostPingsMax: number;
  /** A joining peer asks again after this long without an answer. Default 100 (10 s). */
  readonly joinRetryTicks: number;
  /** Join requests sent at most, the first included; then the peer says so and stops. Default 10. */
  readonly joinAttemptsMax: number;
  /**
   * Beyond the classroom: Chord finger tables, so Store and Request take O(log N) hops instead
   * of O(N). Off by default: the classroom forwards along first successors only.
   */
  readonly fingers: boolean;
  /** With fingers: ticks between refreshing one finger (round robin over 8). Default 10. */
  readonly fingerIntervalTicks: number;
}

export const DHT_DEFAULTS: DhtConfig = {
  pingIntervalTicks: 300,
  pingTimeoutTicks: 50,
  lostPingsMax: 3,
  joinRetryTicks: 100,
  joinAttemptsMax: 10,
  fingers: false,
  fingerIntervalTicks: 10,
};

/** The real peers' default tick length. */
export const TICK_MS_DEFAULT = 100;

/** A classroom interval in seconds, in ticks of `tickMs` (at least one tick). */
export function ticksFromSeconds(seconds: number, tickMs = TICK_MS_DEFAULT): number {
  return Math.max(1, Math.round((seconds * 1000) / tickMs));
}

/** The longest a successor can be gone before its predecessors declare it (formula above). */
export function detectionTicksMax(config: DhtConfig): number {
  return config.pingIntervalTicks + config.lostPingsMax * Math.min(config.pingTimeoutTicks, config.pingIntervalTicks);
}

/**
 * How long a ping keeps its sender counted as a predecessor: a round, and time for two retries,
 * so one lost ping does not make a peer forget its predecessor.
 */
export function predecessorTimeoutTicks(config: DhtConfig): number {
  return config.pingIntervalTicks + 2 * Math.min(config.pingTimeoutTicks, config.pingIntervalTicks);
}

/**
 * How long a peer remembers one it declared gone: long enough for that peer's other predecessor
 * to detect it too, so neither takes the dead peer back from a stale answer.
 */
export function goneMemoryTicks(config: DhtConfig): number {
  return 2 * detectionTicksMax(config);
}

/** Why a configuration cannot work, or undefined when it can. */
export function dhtConfigProblem(config: DhtConfig): string | undefined {
  for (const name of ['pingIntervalTicks', 'pingTimeoutTicks', 'lostPingsMax', 'joinRetryTicks', 'joinAttemptsMax', 'fingerIntervalTicks'] as const) {
    const value = config[name];
    if (!Number.isInteger(value) || value < 1) return `dht.${name} must be a whole number ≥ 1, got ${value}`;
  }
  if (typeof config.fingers !== 'boolean') return `dht.fingers must be true or false, got ${String(config.fingers)}`;
  return undefined;
}
