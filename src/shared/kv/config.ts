/**
 * Tunables of the key-value store, in ticks. N (replicas) is the ring's; R and W are quorums.
 * With strict quorums, R + W > N makes every read quorum overlap every write quorum, and
 * W + W > N every two write quorums (see `quorum` for what that buys, and `coordinator.ts` for
 * how). Classroom and default: N 3, R 2, W 2.
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
   * Who owns a key (`ownership.ts`):
   * - 'explicit' (default): the ring state, changed only by joins, leaves and removals, one
   *   transition at a time; a crashed or partitioned owner stays an owner.
   * - 'membership' (classroom): every member the membership protocol counts; a failure it detects
   *   moves keys to the next peers, as the assignment's stabilization does.
   */
  readonly ownership: 'explicit' | 'membership';
  /**
   * - 'strict' (default): a read needs R and a write W of the key's N owners. With R + W > N and
   *   W + W > N, a read that starts after a write was acknowledged returns it or a later one, and a
   *   write that starts after another was acknowledged wins over it, whatever fails: an operation
   *   that cannot reach its quorum fails (`no-quorum`) instead. The minority side of a partition
   *   refuses keys whose owners are mostly on the other side.
   * - 'sloppy': Dynamo's availability. An owner that is not alive is replaced by the next live peer
   *   of the key's walk, which keeps the record and hands it back later (hinted handoff). Writes
   *   succeed on either side of a partition; reads may be stale, and concurrent writes on both
   *   sides are settled by version (last writer wins), so one of them is lost.
   */
  readonly quorum: 'strict' | 'sloppy';
  /** Every this many ticks, a peer sends its ring state to one other peer in turn. Default 10. */
  readonly ringSyncIntervalTicks: number;
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
  ringSyncIntervalTicks: 10,
} as const;

export const KV_DEFAULTS: KvConfig = { ...COMMON, ring: BALANCED_RING, ownership: 'explicit', quorum: 'strict', conditions: 'quorum' };
/** The assignment's store: one position per peer on a 512-place ring, membership ownership, strict quorums. */
export const CLASSROOM_KV: KvConfig = { ...COMMON, ring: CLASSROOM_RING, ownership: 'membership', quorum: 'strict', conditions: 'replica' };

/** Why a configuration cannot work, or undefined when it can. */
export function kvConfigProblem(config: KvConfig): string | undefined {
  const replicas = config.ring.replicas;
  for (const name of ['readQuorum', 'writeQuorum'] as const) {
    if (!Number.isInteger(config[name]) || config[name] < 1 || config[name] > replicas) {
      return `kv.${name} must be between 1 and N = ${replicas}, got ${config[name]}`;
    }
  }
  for (const name of ['replyTimeoutTicks', 'valueBytesMax', 'stabilizeIntervalTicks', 'antiEntropyIntervalTicks', 'tombstoneGraceTicks', 'transactionsMax', 'clockDriftMaxTicks', 'ringSyncIntervalTicks'] as const) {
    if (!Number.isInteger(config[name]) || config[name] < 1) return `kv.${name} must be a whole number ≥ 1, got ${config[name]}`;
  }
  return undefined;
}
