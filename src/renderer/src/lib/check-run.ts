/**
 * A finished check in words, as the Check view shows it: the verdict (passed, failed, unknown:
 * the command line's exit status, `src/cli/commands/check.ts`), the sentence that goes with it,
 * the command that replays a simulated run with every option that differs from the defaults, and
 * the names of the files a history downloads as.
 */
import { ANOMALY_KINDS, type AnomalyKind } from '../../../shared/check/anomaly.ts';
import { MODE_BREAKING_ANOMALIES, verdictOf, type CheckRun } from '../../../shared/check/run.ts';

export { replayCommand, verdictOf, type CheckVerdict } from '../../../shared/check/run.ts';

/** Anomalies the Check view draws with their timelines; the rest are counted. */
export const ANOMALIES_DRAWN_MAX = 50;

const plural = (count: number, noun: string, nouns = `${noun}s`): string => `${count.toLocaleString('en-US')} ${count === 1 ? noun : nouns}`;

/** The anomalies found, by kind: "1 stale-read, 2 not-linearizable". */
export function anomalyCountsText(counts: Readonly<Record<AnomalyKind, number>>, kinds: readonly AnomalyKind[] = ANOMALY_KINDS): string {
  return kinds
    .filter((kind) => counts[kind] > 0)
    .map((kind) => `${counts[kind].toLocaleString('en-US')} ${kind}`)
    .join(', ');
}

/** One sentence under the verdict. */
export function verdictSentence(run: CheckRun): string {
  const operations = plural(run.report.counts.operations, 'operation');
  const where = `${run.driver === 'simulated' ? 'simulated' : 'real'} run, seed ${run.spec.seed}, ${operations} in ${(run.elapsedMs / 1000).toFixed(1)} s${run.driver === 'simulated' ? ' of simulated time' : ''}`;
  const breaking = MODE_BREAKING_ANOMALIES[run.spec.quorum];
  const verdict = verdictOf(run);
  if (verdict === 'failed') {
    const broken = breaking.reduce((sum, kind) => sum + run.report.anomalyCounts[kind], 0);
    return `${plural(broken, 'anomaly', 'anomalies')} that ${run.spec.quorum} quorums rule out (${anomalyCountsText(run.report.anomalyCounts, breaking)}): ${where}.`;
  }
  if (verdict === 'unknown') {
    const unknown = run.report.linearizability.filter((key) => key.verdict === 'unknown').length;
    return `No anomaly found, but the linearizability search ran out of budget on ${plural(unknown, 'key')}: ${where}.`;
  }
  const allowed = run.allowed > 0 ? ` ${plural(run.allowed, 'anomaly', 'anomalies')} that ${run.spec.quorum} quorums allow ${run.allowed === 1 ? 'was' : 'were'} found: listed below, not failing the run.` : '';
  return `No anomaly that ${run.spec.quorum} quorums rule out: ${where}.${allowed}`;
}

/** `ringside-check-sim-seed-7-history.json`. */
export function checkFileName(run: CheckRun, what: string, extension: string): string {
  return `ringside-check-${run.driver === 'simulated' ? 'sim' : 'real'}-seed-${run.spec.seed}-${what}.${extension}`;
}
