/**
 * `checkHistory`: runs the chosen checks over a register history and gathers one report, for
 * `ringside check` (which prints it with `formatReport`) and for tests. The caller passes the
 * history, and optionally the ids of the final reads (for the lost-write check) and a snapshot of
 * the stores (for the convergence check); a check whose input is missing is skipped and the
 * report says so.
 *
 * `valid` is false if any anomaly was found, 'unknown' if none was but some key's linearizability
 * search ran out of budget, true otherwise. `guarantees` lists, in plain English, what the checks
 * that ran established.
 */
import { ANOMALY_KINDS, type Anomaly, type AnomalyKind } from './anomaly.ts';
import { checkConvergence, type KeyPlacement } from './convergence.ts';
import { checkLinearizability, type KeyLinearizability, type LinearizabilityOptions } from './linearizability.ts';
import { checkLostWrites } from './lost-writes.ts';
import { checkAbortedReads, checkInventedValues } from './read-origins.ts';
import type { RegisterHistory, RegisterOperation, RegisterOperationKind, RegisterOutcome } from './register-history.ts';
import { checkStaleReads } from './stale-reads.ts';
import { count } from './wording.ts';

export const CHECK_NAMES = ['invented-value', 'aborted-read', 'stale-read', 'lost-write', 'linearizability', 'convergence'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** Anomalies of one kind a report keeps; the rest are counted in `anomalyCounts`. */
export const ANOMALIES_PER_KIND_MAX = 1000;

export interface CheckOptions {
  /** Which checks to run. Default: all of them (lost-write needs `finalReadIds`, convergence needs `stores`). */
  readonly checks?: readonly CheckName[];
  /**
   * The final reads: ordinary ok reads, one or more per key, sent after every fault healed and
   * every other operation completed. The lost-write check judges them (and the stale-read check
   * then leaves them to it, so a loss is reported once).
   */
  readonly finalReadIds?: ReadonlySet<number>;
  /** What each key's owners and holders are after healing, for the convergence check. */
  readonly stores?: readonly KeyPlacement[];
  readonly linearizability?: LinearizabilityOptions;
}

export interface OperationCounts {
  readonly operations: number;
  readonly ok: number;
  readonly fail: number;
  readonly info: number;
  readonly byKind: Readonly<Record<RegisterOperationKind, number>>;
}

export interface CheckReport {
  readonly valid: true | false | 'unknown';
  /** At most `ANOMALIES_PER_KIND_MAX` of each kind, in the order of `ANOMALY_KINDS`. */
  readonly anomalies: readonly Anomaly[];
  /** How many anomalies of each kind were found (kept or not). */
  readonly anomalyCounts: Readonly<Record<AnomalyKind, number>>;
  /** Per key, when the linearizability check ran. */
  readonly linearizability: readonly KeyLinearizability[];
  readonly counts: OperationCounts;
  readonly guarantees: readonly string[];
  readonly checksRun: readonly CheckName[];
  /** Checks or keys not judged, and why. */
  readonly notes: readonly string[];
  /** The operations the anomalies name, for timelines (`formatReport` needs nothing else). */
  readonly involvedOperations: readonly RegisterOperation[];
}

const GUARANTEES: Readonly<Record<Exclude<CheckName, 'linearizability'>, string>> = {
  'invented-value': 'Every read returned nil or a value some write of its key carried.',
  'aborted-read': 'No read returned a value whose only writes failed.',
  'stale-read': 'No read returned a value older than a write acknowledged before the read began.',
  'lost-write': 'No acknowledged write was lost: each final read returned a value that could have won.',
  convergence: 'Every key is held by exactly its owners, all at the same version.',
};

export function checkHistory(history: RegisterHistory, options: CheckOptions = {}): CheckReport {
  const requested = new Set<CheckName>(options.checks ?? CHECK_NAMES);
  const found: Anomaly[] = [];
  const notes: string[] = [];
  const checksRun: CheckName[] = [];
  let linearizability: readonly KeyLinearizability[] = [];
  const finalReadIds = options.finalReadIds;

  if (requested.has('invented-value')) {
    checksRun.push('invented-value');
    found.push(...checkInventedValues(history));
  }
  if (requested.has('aborted-read')) {
    checksRun.push('aborted-read');
    found.push(...checkAbortedReads(history));
  }
  const lostWritesJudged = requested.has('lost-write') && finalReadIds !== undefined;
  if (requested.has('stale-read')) {
    checksRun.push('stale-read');
    found.push(...checkStaleReads(history, lostWritesJudged ? { excludedReadIds: finalReadIds } : {}));
  }
  if (requested.has('lost-write')) {
    if (finalReadIds === undefined) notes.push('lost-write: not run, no final reads were marked.');
    else {
      checksRun.push('lost-write');
      const result = checkLostWrites(history, finalReadIds);
      found.push(...result.anomalies);
      notes.push(...result.notes.map((note) => `lost-write: ${note}`));
    }
  }
  if (requested.has('linearizability')) {
    checksRun.push('linearizability');
    const result = checkLinearizability(history, options.linearizability);
    linearizability = result.keys;
    found.push(...result.anomalies);
    for (const key of result.keys) if (key.verdict === 'unknown') notes.push(`linearizability: ${key.key} unknown, ${key.reason}.`);
  }
  if (requested.has('convergence')) {
    if (options.stores === undefined) notes.push('convergence: not run, no store snapshot was given.');
    else {
      checksRun.push('convergence');
      found.push(...checkConvergence(options.stores));
    }
  }

  const anomalyCounts = Object.fromEntries(ANOMALY_KINDS.map((kind) => [kind, 0])) as Record<AnomalyKind, number>;
  const anomalies: Anomaly[] = [];
  for (const kind of ANOMALY_KINDS) {
    const ofKind = found.filter((anomaly) => anomaly.kind === kind);
    anomalyCounts[kind] = ofKind.length;
    anomalies.push(...ofKind.slice(0, ANOMALIES_PER_KIND_MAX));
  }
  const unknownKeys = linearizability.filter((key) => key.verdict === 'unknown');
  const valid = anomalies.length > 0 ? false : unknownKeys.length > 0 ? 'unknown' : true;

  const guarantees: string[] = [];
  for (const check of checksRun) {
    if (check === 'linearizability') {
      if (linearizability.every((key) => key.verdict === 'ok')) guarantees.push(`Every key's history is linearizable (${count(linearizability.length)} key${linearizability.length === 1 ? '' : 's'}).`);
      continue;
    }
    const kind: AnomalyKind = check === 'convergence' ? 'not-converged' : check;
    if (anomalyCounts[kind] === 0) guarantees.push(GUARANTEES[check]);
  }

  const involvedIds = new Set(anomalies.flatMap((anomaly) => anomaly.operations));
  return {
    valid,
    anomalies,
    anomalyCounts,
    linearizability,
    counts: countOperations(history),
    guarantees,
    checksRun,
    notes,
    involvedOperations: history.operations.filter((operation) => involvedIds.has(operation.id)),
  };
}

export function countOperations(history: RegisterHistory): OperationCounts {
  const byOutcome: Record<RegisterOutcome, number> = { ok: 0, fail: 0, info: 0 };
  const byKind: Record<RegisterOperationKind, number> = { read: 0, write: 0, delete: 0 };
  for (const operation of history.operations) {
    byOutcome[operation.outcome]++;
    byKind[operation.kind]++;
  }
  return { operations: history.operations.length, ...byOutcome, byKind };
}
