/**
 * Tunables of the heartbeat gossip protocol, in ticks. Defaults are the classroom skeleton's
 * (TFAIL = 5, TREMOVE = 20), which remove a crashed peer about `removeTicks` + 1-2 ticks after
 * its last heartbeat.
 */
export interface GossipConfig {
  /**
   * TFAIL: a member whose heartbeat has not grown for this many ticks is suspected, and this
   * peer stops gossiping its row so stale heartbeats do not travel. Default 5.
   */
  readonly failTicks: number;
  /**
   * TREMOVE: a member whose heartbeat has not grown for this many ticks is removed as failed.
   * Detection time ≈ removeTicks + the time a heartbeat takes to reach everyone. Default 20.
   */
  readonly removeTicks: number;
  /** Members each gossip round sends this peer's list to, chosen at random. Default 3. */
  readonly fanout: number;
  /** Ticks between gossip rounds. Default 1. */
  readonly gossipIntervalTicks: number;
  /** Ticks between join requests until an introducer answers. Default 5. */
  readonly joinRetryTicks: number;
  /**
   * A peer no introducer has answered for this long starts a group of its own and keeps asking
   * them; the groups merge when one answers (every peer restarted at once, say). Default 50.
   */
  readonly joinTimeoutTicks: number;
  /**
   * After removing a member, second-hand rows about it with the same generation are ignored for
   * this long, so stale gossip cannot resurrect a crashed peer. Rows from the member itself are
   * always believed (a healed partition rejoins at once). Default 2 × removeTicks = 40.
   */
  readonly tombstoneTicks: number;
  /**
   * Every this many ticks, send a join request to one random member removed as failed, so a
   * healed partition merges again (Serf's reconnect). Default 50.
   */
  readonly reconnectIntervalTicks: number;
  /** How long a failed member stays a reconnect candidate. Default 3000 (5 minutes at 100 ms). */
  readonly reconnectTimeoutTicks: number;
  /**
   * Members this peer keeps at most; rows about more are refused and counted. The whole list
   * travels in every gossip message, so the protocol is for small groups. Default 4,096.
   */
  readonly membersMax: number;
}

export const GOSSIP_DEFAULTS: GossipConfig = {
  failTicks: 5,
  removeTicks: 20,
  fanout: 3,
  gossipIntervalTicks: 1,
  joinRetryTicks: 5,
  joinTimeoutTicks: 50,
  tombstoneTicks: 40,
  reconnectIntervalTicks: 50,
  reconnectTimeoutTicks: 3000,
  membersMax: 4096,
};

/** Why a configuration cannot work, or undefined when it can. */
export function gossipConfigProblem(config: GossipConfig): string | undefined {
  for (const [name, value] of Object.entries(config)) {
    if (!Number.isInteger(value) || value < 1) return `gossip.${name} must be a whole number ≥ 1, got ${value}`;
  }
  if (config.failTicks >= config.removeTicks) {
    return `gossip.failTicks (${config.failTicks}) must be below gossip.removeTicks (${config.removeTicks})`;
  }
  return undefined;
}
