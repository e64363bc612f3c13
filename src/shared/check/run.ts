/**
 * What a `ringside check` run is and what it yields, for both runners (real peers in
 * `src/main/check`, the simulator in `sim-check.ts`): the spec, how a store's answer counts in
 * the history (Jepsen's ok / fail / info), the guarantees each quorum mode promises and is
 * judged against, and the run's result.
 */
import { z } from 'zod';
import type { KvFailure } from '../protocol/kv.ts';
import type { KeyPlacement } from './convergence.ts';
import { nemesisSpecSchema, type FaultPeriod } from './nemesis.ts';
import type { RegisterHistory, RegisterOperationKind, RegisterOutcome } from './register-history.ts';
import { checkHistory, type CheckReport } from './report.ts';
import type { AnomalyKind } from './anomaly.ts';
import { workloadSpecSchema } from './workload.ts';

export const checkSpecSchema = z.object({
  workload: workloadSpecSchema.default(workloadSpecSchema.parse({})),
  nemesis: nemesisSpecSchema.default(nemesisSpecSchema.parse({})),
  /** Peers of the cluster the check starts (a running cluster is used as it is). Default 5. */
  peers: z.number().int().min(1).max(64).default(5),
  protocol: z.enum(['gossip', 'swim']).default('swim'),
  quorum: z.enum(['strict', 'sloppy']).default('strict'),
  /** Tick length, ms (the simulator converts its ticks with it). Default 100. */
  tickMs: z.number().int().min(10).max(10_000).default(100),
  /** Seeds the workload, the nemesis and (simulated) everything else. */
  seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(1),
  /** Simulated runs only: each peer's clock runs up to this many ticks ahead (drawn from the seed). Default 0. */
  clockSkewTicks: z.number().int().min(0).max(10_000).default(0),
  /**
   * Simulated runs only: R and W (of N = 3) other than 2 and 2, to see what weaker quorums do
   * (R + W ≤ N loses real-time order, and the check says where).
   */
  readQuorum: z.number().int().min(1).max(3).default(2),
  writeQuorum: z.number().int().min(1).max(3).default(2),
});
export type CheckSpec = z.infer<typeof checkSpecSchema>;
export type CheckSpecInput = z.input<typeof checkSpecSchema>;

/** Failures a coordinator decides before sending anything, or after a condition read: no effect. */
const CERTAIN_FAILURES: ReadonlySet<KvFailure> = new Set<KvFailure>(['no-quorum', 'no-ring', 'too-large', 'invalid-key', 'invalid-request', 'duplicate', 'overloaded', 'exists', 'missing']);

/**
 * How a key-value answer counts: a read of a missing key is an ok read of nil; a delete that found
 * the key missing did nothing (fail); a failure decided before anything was sent did nothing
 * (fail); any other failure (a timeout, newer writes winning every round, a ring changing) may
 * have taken effect on the replicas it reached (info).
 */
export function outcomeOf(kind: RegisterOperationKind, answer: { ok: boolean; reason?: KvFailure | undefined; value?: string | undefined }): { outcome: RegisterOutcome; value?: string; error?: string } {
  if (answer.ok) return kind === 'read' ? (answer.value === undefined ? { outcome: 'ok' } : { outcome: 'ok', value: answer.value }) : { outcome: 'ok' };
  const reason = answer.reason ?? 'timeout';
  if (kind === 'read' && reason === 'missing') return { outcome: 'ok' };
  return { outcome: CERTAIN_FAILURES.has(reason) ? 'fail' : 'info', error: reason };
}

/** What each quorum mode promises: the anomalies that break it (and so fail the check). */
export const MODE_BREAKING_ANOMALIES: Readonly<Record<'strict' | 'sloppy', readonly AnomalyKind[]>> = {
  strict: ['invented-value', 'aborted-read', 'stale-read', 'lost-write', 'not-linearizable', 'not-converged'],
  // Sloppy quorums trade real-time order for availability: stale reads, writes lost to a
  // concurrent newer one on the other side of a partition, and histories that are not
  // linearizable are what they allow. Values never written and replicas that never agree are not.
  sloppy: ['invented-value', 'aborted-read', 'not-converged'],
};

export function modeGuarantees(quorum: 'strict' | 'sloppy', replicas: number, readQuorum: number, writeQuorum: number): string {
  if (quorum === 'strict' && readQuorum + writeQuorum <= replicas) {
    return `Strict quorums with R + W ≤ N (R = ${readQuorum}, W = ${writeQuorum} of each key's N = ${replicas} owners): a read quorum need not meet the last write's, so reads may miss acknowledged writes. Judged against every guarantee of strict quorums, to show where that breaks.`;
  }
  return quorum === 'strict'
    ? `Strict quorums (R = ${readQuorum}, W = ${writeQuorum} of each key's N = ${replicas} owners): a read that starts after a write was acknowledged returns it or a later one; a write that starts after another was acknowledged wins over it; an operation that cannot reach its quorum fails. Judged against: no value never written, no read of a failed write, no stale read, no lost write, linearizable keys, converged replicas.`
    : `Sloppy quorums with hinted handoff (R = ${readQuorum}, W = ${writeQuorum} of the first N = ${replicas} live peers of each key's walk): writes stay available through partitions, but reads may be stale and of two writes made on both sides of a partition the older version loses. Judged against: no value never written, no read of a failed write, converged replicas; stale reads, lost writes and non-linearizable keys are listed as what sloppy quorums allow.`;
}

export interface CheckRun {
  readonly spec: CheckSpec;
  /** 'real' (processes on this machine) or 'simulated'. */
  readonly driver: 'real' | 'simulated';
  readonly mode: string;
  /** The faults, at the times they were applied and healed (ms since the run began). */
  readonly faults: readonly FaultPeriod[];
  readonly history: RegisterHistory;
  readonly finalReadIds: readonly number[];
  readonly stores: readonly KeyPlacement[];
  readonly report: CheckReport;
  /** True when no anomaly the mode promises to prevent was found (and none was unknown). */
  readonly passed: boolean;
  /** Anomalies found that the mode allows (sloppy quorums), counted, not failing the run. */
  readonly allowed: number;
  /** The command that replays a simulated run. */
  readonly replay?: string;
  /** How long the run took, in ms (simulated: simulated time). */
  readonly elapsedMs: number;
  readonly notes: readonly string[];
}

/** Runs the checkers on a recorded run and judges it by its mode. */
export function judgeRun(
  base: Omit<CheckRun, 'report' | 'passed' | 'allowed' | 'mode'>,
  kv: { replicas: number; readQuorum: number; writeQuorum: number },
): CheckRun {
  const report = checkHistory(base.history, { finalReadIds: new Set(base.finalReadIds), stores: base.stores });
  const breaking = new Set(MODE_BREAKING_ANOMALIES[base.spec.quorum]);
  const broken = report.anomalies.filter((anomaly) => breaking.has(anomaly.kind)).length;
  const allowed = report.anomalies.length - broken;
  const linearizabilityMatters = breaking.has('not-linearizable');
  const passed = broken === 0 && (!linearizabilityMatters || report.valid !== 'unknown');
  return { ...base, report, passed, allowed, mode: modeGuarantees(base.spec.quorum, kv.replicas, kv.readQuorum, kv.writeQuorum) };
}

export type CheckVerdict = 'passed' | 'failed' | 'unknown';

/**
 * Passed; failed when an anomaly the mode rules out was found; otherwise unknown (a search ran out
 * of budget). The command line's exit status and the window's verdict both say this.
 */
export function verdictOf(run: CheckRun): CheckVerdict {
  if (run.passed) return 'passed';
  const breaking = new Set<AnomalyKind>(MODE_BREAKING_ANOMALIES[run.spec.quorum]);
  return run.report.anomalies.some((anomaly) => breaking.has(anomaly.kind)) ? 'failed' : 'unknown';
}

const seconds = (milliseconds: number): string => String(milliseconds / 1000);

/**
 * `ringside check --sim --seed 7 --read-quorum 1 --write-quorum 1 --nemesis partition`: the
 * options of the command line (`src/cli/check-command-line.ts`) for every value not a default.
 */
export function replayCommand(spec: CheckSpec): string {
  const defaults = checkSpecSchema.parse({});
  const parts = ['ringside check --sim', `--seed ${spec.seed}`];
  const add = (differs: boolean, option: string): void => {
    if (differs) parts.push(option);
  };
  const { workload, nemesis } = spec;
  add(spec.peers !== defaults.peers, `--peers ${spec.peers}`);
  add(spec.protocol !== defaults.protocol, `--protocol ${spec.protocol}`);
  add(spec.quorum !== defaults.quorum, `--quorum ${spec.quorum}`);
  add(spec.tickMs !== defaults.tickMs, `--tick-ms ${spec.tickMs}`);
  add(workload.clients !== defaults.workload.clients, `--clients ${workload.clients}`);
  add(workload.keys !== defaults.workload.keys, `--keys ${workload.keys}`);
  add(workload.rate !== defaults.workload.rate, `--rate ${workload.rate}`);
  add(workload.durationMs !== defaults.workload.durationMs, `--duration ${seconds(workload.durationMs)}`);
  const mix = workload.mix;
  const defaultMix = defaults.workload.mix;
  add(mix.read !== defaultMix.read || mix.write !== defaultMix.write || mix.delete !== defaultMix.delete, `--mix ${mix.read}:${mix.write}:${mix.delete}`);
  add(workload.valueBytes !== defaults.workload.valueBytes, `--value-bytes ${workload.valueBytes}`);
  add(workload.operationTimeoutMs !== defaults.workload.operationTimeoutMs, `--timeout ${seconds(workload.operationTimeoutMs)}`);
  const kinds = [...nemesis.kinds].sort().join(',');
  add(kinds !== [...defaults.nemesis.kinds].sort().join(','), `--nemesis ${nemesis.kinds.length === 0 ? 'none' : nemesis.kinds.join(',')}`);
  add(nemesis.intervalMs !== defaults.nemesis.intervalMs, `--interval ${seconds(nemesis.intervalMs)}`);
  add(nemesis.loss !== defaults.nemesis.loss, `--loss ${nemesis.loss}`);
  add(nemesis.combined, '--combined');
  add(spec.readQuorum !== defaults.readQuorum, `--read-quorum ${spec.readQuorum}`);
  add(spec.writeQuorum !== defaults.writeQuorum, `--write-quorum ${spec.writeQuorum}`);
  add(spec.clockSkewTicks !== defaults.clockSkewTicks, `--skew ${spec.clockSkewTicks}`);
  return parts.join(' ');
}

