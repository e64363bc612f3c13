/**
 * Where each read's value came from. Two checks, for the report:
 * - `invented-value`: an ok read returned a value that no write of that key carried (whatever the
 *   write's outcome). The store made it up, or mixed up keys.
 * - `aborted-read`: an ok read returned a value whose only writes failed definitely (outcome
 *   fail): a write that certainly did not happen was seen (Adya's G1a).
 * A nil result always has an origin (the initial state), so it is never either.
 */
import type { Anomaly } from './anomaly.ts';
import { operationsByKey, type RegisterHistory, type RegisterOperation } from './register-history.ts';
import { capitalize, describeInterval, describeUpdate, listed, valueText } from './wording.ts';
import { KeyWriters } from './writers.ts';

/** Failed writes named in one aborted-read sentence; the rest are counted. */
const WRITES_NAMED_MAX = 3;

export function checkInventedValues(history: RegisterHistory): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const [key, operations] of operationsByKey(history)) {
    const writers = new KeyWriters(operations);
    for (const read of okReadsOfValues(operations)) {
      if (writers.everyWriteOf(read.value as string).length > 0) continue;
      anomalies.push({
        kind: 'invented-value',
        key,
        operations: [read.id],
        sentence: `${capitalize(describeInterval(read))}, returned ${valueText(read.value)}, but no write of ${key} ever carried ${valueText(read.value)}.`,
      });
    }
  }
  return anomalies;
}

export function checkAbortedReads(history: RegisterHistory): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const [key, operations] of operationsByKey(history)) {
    const writers = new KeyWriters(operations);
    for (const read of okReadsOfValues(operations)) {
      const writes = writers.everyWriteOf(read.value as string);
      if (writes.length === 0 || writes.some((write) => write.outcome !== 'fail')) continue;
      const named = writes.slice(0, WRITES_NAMED_MAX);
      const which =
        writes.length === 1
          ? `the only write of ${valueText(read.value)} was ${describeUpdate(writes[0] as RegisterOperation)}`
          : `all ${writes.length} writes of ${valueText(read.value)} failed: ${listed(named.map(describeUpdate), WRITES_NAMED_MAX)}`;
      anomalies.push({
        kind: 'aborted-read',
        key,
        operations: [read.id, ...named.map((write) => write.id)],
        sentence: `${capitalize(describeInterval(read))}, returned ${valueText(read.value)}, but ${which}: a failed write certainly did not happen, so no read may see it.`,
      });
    }
  }
  return anomalies;
}

function okReadsOfValues(operations: readonly RegisterOperation[]): RegisterOperation[] {
  return operations.filter((operation) => operation.kind === 'read' && operation.outcome === 'ok' && operation.value !== undefined);
}
