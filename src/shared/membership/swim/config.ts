/**
 * Tunables of SWIM, in ticks. The defaults are memberlist's LAN profile at the real peers'
 * default of 100 ms a tick (probe every second, 500 ms probe timeout, three indirect probes).
 *
 * With N members (this peer included):
 *   suspicionMinTicks = ceil(suspicionMult × max(1, log10(N + 1)) × probeIntervalTicks)
 *   suspicionMaxTicks = suspicionMaxTimeoutMult × suspicionMinTicks
 *   a suspicion with c independent confirmations times out after
 *     max(min, max − (max − min) × ln(c + 1) / ln(k + 1)),  k = suspicionMult − 2 expected
 *   (Lifeguard: a lone suspicion waits longest, confirmed ones resolve fast; k = 0 when N − 2 < k)
 *   each update is piggybacked at most retransmitMult × ceil(log10(N + 1)) times;
 *   push-pull runs every pushPullIntervalTicks × (1 + max(0, ceil(log2(N) − log2(32)))) ticks
 *   (memberlist's scaling: a full-state exchange costs O(N), so big groups do it less often).
 */
export interface SwimConfig {
  /** Ticks between probes: each probe picks the next member in a shuffled round-robin. Default 10. */
  readonly probeIntervalTicks: number;
  /** Ticks to wait for a direct ack before asking `indirectChecks` members to probe. Default 5. */
  readonly probeTimeoutTicks: number;
  /** k of the SWIM paper: members asked to probe indirectly. Default 3. */
  readonly indirectChecks: number;
  /** Scales the suspicion timeout (formula above). Default 4. */
  readonly suspicionMult: number;
  /** How much longer than the minimum an unconfirmed suspicion waits. Default 6. */
  readonly suspicionMaxTimeoutMult: number;
  /** Scales how many times each update is piggybacked (formula above). Default 4. */
  readonly retransmitMult: number;
  /** Updates one message may piggyback. Default 32. */
  readonly piggybackMax: number;
  /** Bound on updates waiting to be piggybacked; the most-sent go first. Default 1024. */
  readonly broadcastQueueMax: number;
  /** Ticks between gossip messages (sent only when updates are waiting). Default 2. */
  readonly gossipIntervalTicks: number;
  /** Members each gossip round sends to. Default 3. */
  readonly gossipFanout: number;
  /**
   * Dead members still receive gossip this long, so a live one can learn and refute; then they
   * are forgotten (a reconnect candidate remains, below). Default 300 (30 s).
   */
  readonly gossipToTheDeadTicks: number;
  /** Ticks between full-state exchanges with one random member (anti-entropy). Default 300. */
  readonly pushPullIntervalTicks: number;
  /** Ticks between join attempts until an introducer answers. Default 5. */
  readonly joinRetryTicks: number;
  /**
   * A peer no introducer has answered for this long starts a group of its own and keeps asking
   * them; the groups merge when one answers (every peer restarted at once, say). Default 50.
   */
  readonly joinTimeoutTicks: number;
  /** Every this many ticks, exchange state with one random dead member (Serf's reconnect). Default 50. */
  readonly reconnectIntervalTicks: number;
  /** How long a dead member stays a reconnect candidate. Default 3000 (5 minutes). */
  readonly reconnectTimeoutTicks: number;
  /** Members this peer keeps at most; news of more is refused and counted. Default 65,536. */
  readonly membersMax: number;
  /** Indirect probes this peer runs for others at once; more ping-reqs are refused. Default 256. */
  readonly indirectProbesMax: number;
}

export const SWIM_DEFAULTS: SwimConfig = {
  probeIntervalTicks: 10,
  probeTimeoutTicks: 5,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  retransmitMult: 4,
  piggybackMax: 32,
  broadcastQueueMax: 1024,
  gossipIntervalTicks: 2,
  gossipFanout: 3,
  gossipToTheDeadTicks: 300,
  pushPullIntervalTicks: 300,
  joinRetryTicks: 5,
  joinTimeoutTicks: 50,
  reconnectIntervalTicks: 50,
  reconnectTimeoutTicks: 3000,
  membersMax: 65_536,
  indirectProbesMax: 256,
};

/** Why a configuration cannot work, or undefined when it can. */
export function swimConfigProblem(config: SwimConfig): string | undefined {
  for (const [name, value] of Object.entries(config)) {
    if (!Number.isInteger(value) || value < 0) return `swim.${name} must be a whole number ≥ 0, got ${value}`;
  }
  if (config.probeIntervalTicks < 1) return 'swim.probeIntervalTicks must be at least 1';
  if (config.probeTimeoutTicks >= config.probeIntervalTicks) {
    return `swim.probeTimeoutTicks (${config.probeTimeoutTicks}) must be below swim.probeIntervalTicks (${config.probeIntervalTicks})`;
  }
  for (const name of ['suspicionMult', 'suspicionMaxTimeoutMult', 'retransmitMult', 'piggybackMax', 'broadcastQueueMax', 'gossipIntervalTicks', 'gossipFanout', 'pushPullIntervalTicks', 'joinRetryTicks', 'reconnectIntervalTicks', 'membersMax'] as const) {
    if (config[name] < 1) return `swim.${name} must be at least 1`;
  }
  return undefined;
}

/** The smallest suspicion timeout for a group of `memberCount` members (formula above). */
export function suspicionMinTicks(config: SwimConfig, memberCount: number): number {
  const scale = Math.max(1, Math.log10(memberCount + 1));
  return Math.ceil(config.suspicionMult * scale * config.probeIntervalTicks);
}

/** The timeout of a suspicion with `confirmations` independent confirmations (formula above). */
export function suspicionTimeoutTicks(
  config: SwimConfig,
  memberCount: number,
  confirmations: number,
): number {
  const min = suspicionMinTicks(config, memberCount);
  const expected = expectedConfirmations(config, memberCount);
  if (expected === 0) return min;
  const max = config.suspicionMaxTimeoutMult * min;
  const fraction = Math.log(confirmations + 1) / Math.log(expected + 1);
  return Math.max(min, Math.floor(max - fraction * (max - min)));
}

/** k: confirmations that bring a suspicion down to its minimum timeout. */
export function expectedConfirmations(config: SwimConfig, memberCount: number): number {
  const expected = config.suspicionMult - 2;
  // Neither this peer nor the suspect can confirm.
  return memberCount - 2 < expected ? 0 : Math.max(0, expected);
}

export function retransmitLimit(config: SwimConfig, memberCount: number): number {
  return config.retransmitMult * Math.ceil(Math.log10(memberCount + 1));
}

/** memberlist's push-pull scaling: no change up to 32 members, then one more interval per doubling. */
export function pushPullIntervalTicks(config: SwimConfig, memberCount: number): number {
  const doublings = memberCount <= 32 ? 0 : Math.ceil(Math.log2(memberCount) - Math.log2(32));
  return config.pushPullIntervalTicks * (1 + doublings);
}
