/**
 * Tunables of the key-value store, in ticks. N (replicas) is the ring's; R and W are quorums:
 * R + W > N makes every read overlap the last acknowledged write. Classroom: N 3, R 2, W 2.
 */
import { BALANCED_RING, CLASSROOM_RING, type RingConfig } from '../ring/ring.ts';
import { VALUE_BYTES_MAX_DEFAULT } from '../protocol/kv.ts';

export interface KvConfig {
  readonly ring: RingConfig;
  /** R: replies a read needs. Default 2. */
  readonly readQuorum: number;
  /** W: acknowledgements a create, update or delete needs. Default 2. */
  readonly writeQuorum: number;
  /** A coordinator fails a transaction that has no quorum after this long. Default 10 (< 50). */
  readonly replyTimeoutTicks: number;
  /** Larger values are refused with a clear error. Default 1 MiB. */
  readonly valueBytesMax: number;
  /**
   * Sloppy quorum: a suspected owner is replaced by the next peer of the preference list, which
   * keeps the record and hands it back when the owner answers again. Default: balanced only.
   */
  readonly hintedHandoff: boolean;
  /** Every this many ticks, retry unacknowledged handoffs and collect expired tombstones. Default 10. */
  readonly stabilizeIntervalTicks: number;
  /** Every this many ticks, compare versions with each co-owner (anti-entropy). Default 100. */
  readonly antiEntropyIntervalTicks: number;
  /**
   * A tombstone is kept this long after its delete, long enough for repair and handoff to carry
   * it to every replica (Cassandra's gc_grace); a replica cut off longer than that could bring
   * the old value back. Default 600 (a minute at 100 ms).
   */
  readonly tombstoneGraceTicks: number;
  /** Transactions one peer coordinates at once; more are refused as overloaded. Default 100,000. */
  readonly transactionsMax: number;
  /**
   * Where a write's condition (create: absent; update, delete: present) is judged.
   * - 'replica' (classroom): each replica judges for itself, as the assignment does. A write the
   *   quorum refused may still be applied by a lagging replica and later win (last writer wins):
   *   a delete can come back. Kept for fidelity to the assignment.
   * - 'quorum' (default): the coordinator reads R replicas first and judges the newest record;
   *   only a write that passes is sent, applied by version alone. A refused write writes nothing.
   */
  readonly conditions: 'replica' | 'quorum';
  /** Versions stamped further ahead of this peer's clock are refused. Default 600 (a minute). */
  readonly clockDriftMaxTicks: number;
}

const COMMON = {
  readQuorum: 2,
  writeQuorum: 2,
  replyTimeoutTicks: 10,
  valueBytesMax: VALUE_BYTES_MAX_DEFAULT,
  stabilizeIntervalTicks: 10,
  antiEntropyIntervalTicks: 100,
  tombstoneGraceTicks: 600,
  transactionsMax: 100_000,
  clockDriftMaxTicks: 600,
} as const;

export const KV_DEFAULTS: KvConfig = { ...COMMON, ring: BALANCED_RING, hintedHandoff: true, conditions: 'quorum' };
/** The assignment's store: one position per peer on a 512-place ring, strict quorums. */
export const CLASSROOM_KV: KvConfig = { ...COMMON, ring: CLASSROOM_RING, hintedHandoff: false, conditions: 'replica' };

/** Why a configuration cannot work, or undefined when it can. */
export function kvConfigProblem(config: KvConfig): string | undefined {
  const replicas = config.ring.replicas;
  for (const name of ['readQuorum', 'writeQuorum'] as const) {
    if (!Number.isInteger(config[name]) || config[name] < 1 || config[name] > replicas) {
      return `kv.${name} must be between 1 and N = ${replicas}, got ${config[name]}`;
    }
  }
  for (const name of ['replyTimeoutTicks', 'valueBytesMax', 'stabilizeIntervalTicks', 'antiEntropyIntervalTicks', 'tombstoneGraceTicks', 'transactionsMax', 'clockDriftMaxTicks'] as const) {
    if (!Number.isInteger(config[name]) || config[name] < 1) return `kv.${name} must be a whole number ≥ 1, got ${config[name]}`;
  }
  return undefined;
}
