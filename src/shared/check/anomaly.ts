/**
 * What every check returns: anomalies, each explained (the Elle and Jepsen habit: a verdict is not
 * enough). An anomaly names its kind, the key, the few operations that show it (ids into the
 * history, for a timeline) and a sentence in plain English. The report (`report.ts`) gathers them;
 * `format-report.ts` prints them for the command line.
 */

/** Kinds of anomaly, in the order a report lists them. */
export const ANOMALY_KINDS = ['invented-value', 'aborted-read', 'stale-read', 'lost-write', 'not-linearizable', 'not-converged'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly key: string;
  /** The few operation ids that show it (none for `not-converged`, which reads the stores, not the history). */
  readonly operations: readonly number[];
  readonly sentence: string;
  /** The peers involved, for `not-converged`. */
  readonly peers?: readonly string[];
}
