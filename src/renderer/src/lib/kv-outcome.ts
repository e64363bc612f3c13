/** An operation's outcome in words: the quorum's rule and why it failed, in the store's terms. */
import type { KvFailure, KvOperation } from '../../../shared/protocol/kv.ts';
import type { KvResultWire } from '../../../shared/protocol/control.ts';
import { KV_DEFAULTS } from '../../../shared/kv/config.ts';

export const REASON_TEXT: Record<KvFailure, string> = {
  exists: 'the key already exists (create writes only an absent key)',
  missing: 'the key does not exist: never written, or deleted',
  stale: 'a replica holds a newer version',
  'too-large': 'the value is larger than a peer accepts',
  'no-quorum': "too few of the key's owners are reachable for a quorum (across a partition, down, or the coordinator is still joining the group): nothing was sent, nothing written",
  timeout: 'no quorum before the reply timeout: a write may still take effect on the replicas it reached',
  'no-ring': 'the coordinator knows no ring that places the key: it has not heard the ring yet (new, or restarted without its data), the ring has fewer owners than the quorum, or it is leaving',
  duplicate: 'the coordinator already runs this transaction',
  overloaded: 'the coordinator runs too many transactions at once',
  'invalid-key': 'keys are 1–1024 characters without control characters',
  'invalid-request': 'the request is not valid',
  'clock-skew': "a version is stamped too far ahead of the coordinator's clock",
  'ring-changed': 'the ring kept changing (a peer joining or leaving) while the coordinator asked: retry',
};

/** R for a read, W for a write: the replies a decision needs. */
export function quorumOf(op: KvOperation): { name: 'R' | 'W'; size: number } {
  return op === 'read' ? { name: 'R', size: KV_DEFAULTS.readQuorum } : { name: 'W', size: KV_DEFAULTS.writeQuorum };
}

/** `ok`, or the failure reason; a read of an absent key is an answer, not an error. */
export type OutcomeTone = 'ok' | 'absent' | 'failed';

export function outcomeTone(result: KvResultWire): OutcomeTone {
  if (result.ok) return 'ok';
  if (result.reason === 'missing' || result.reason === 'exists') return 'absent';
  return 'failed';
}

export function outcomeLabel(result: KvResultWire): string {
  if (result.ok) return 'OK';
  return (result.reason ?? 'failed').toUpperCase();
}

/** `W = 2 of N = 3: 3 replicas succeeded, 0 refused, 0 not heard before the decision`. */
export function quorumSummary(result: KvResultWire): string {
  const quorum = quorumOf(result.op);
  const succeeded = result.replicas.filter((replica) => replica.ok === true).length;
  const refused = result.replicas.filter((replica) => replica.ok === false).length;
  const silent = result.replicas.length - succeeded - refused;
  const parts = [`${succeeded} succeeded`];
  if (refused > 0) parts.push(`${refused} refused`);
  if (silent > 0) parts.push(`${silent} not heard before the decision`);
  return `${quorum.name} = ${quorum.size} of N = ${KV_DEFAULTS.ring.replicas}: ${parts.join(', ')}`;
}
