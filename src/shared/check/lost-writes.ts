/**
 * The lost-write check (`lost-write`), for the report. The workload ends with a final read of
 * every key, sent after all faults healed and every other operation completed; the caller marks
 * those reads by id (`finalReadIds`: ordinary ok reads in the history). An acknowledged write or
 * delete is lost when the final read of its key returned a result whose every possible source had
 * certainly taken effect before that acknowledged update began: last writer wins, so the update
 * should have replaced it. Precedence is `precedes` (register-history.ts), as in the stale-read
 * check.
 *
 * Only updates acknowledged before the final read began are judged, so a read wrongly marked final
 * can make the check miss a loss but never invent one. Anomalies are grouped per final read: one
 * per key, listing the lost updates. A key without an ok final read is not judged; `notes` says so.
 */
import type { Anomaly } from './anomaly.ts';
import { operationsByKey, precedes, type RegisterHistory, type RegisterOperation } from './register-history.ts';
import { acknowledgedUpdatesByCompletion, sourceText } from './stale-reads.ts';
import { action, capitalize, client, listed, seconds, valueText } from './wording.ts';
import { allPrecede, KeyWriters, newestWriter } from './writers.ts';

/** Lost updates named in one anomaly (its operations and its sentence); the rest are counted. */
const LOST_NAMED_MAX = 8;

export interface LostWriteResult {
  readonly anomalies: Anomaly[];
  /** Keys the check could not judge, and why. */
  readonly notes: string[];
}

export function checkLostWrites(history: RegisterHistory, finalReadIds: ReadonlySet<number>): LostWriteResult {
  const anomalies: Anomaly[] = [];
  const notes: string[] = [];
  for (const [key, operations] of operationsByKey(history)) {
    const finals = operations.filter((operation) => finalReadIds.has(operation.id));
    const acknowledged = acknowledgedUpdatesByCompletion(operations);
    const judged = finals.filter((read) => read.kind === 'read' && read.outcome === 'ok');
    if (judged.length === 0) {
      if (acknowledged.length > 0) notes.push(`${key}: no successful final read, so its lost writes were not judged.`);
      continue;
    }
    const writers = new KeyWriters(operations);
    for (const read of judged) {
      const sources = writers.of(read.value);
      if (!sources.initial && sources.updates.length === 0) continue;
      const lost = acknowledged.filter((update) => precedes(update, read) && allPrecede(sources, update));
      if (lost.length === 0) continue;
      const source = newestWriter(sources);
      const named = lost.slice(-LOST_NAMED_MAX);
      const updates = named.map((update) => `${client(update.process)}'s ${update.kind === 'write' ? `write of ${valueText(update.value)}` : 'delete'} (sent at ${seconds(update.invokeMs)}, acknowledged at ${seconds(update.completeMs)})`);
      const finalRead = `the final read of ${key} (${client(read.process)}, from ${seconds(read.invokeMs)} to ${seconds(read.completeMs)}) returned ${valueText(read.value)}, from ${sourceText(sources)}`;
      const sentence =
        lost.length === 1
          ? `${capitalize(describeLost(lost[0] as RegisterOperation))} is lost: ${finalRead}, which had certainly taken effect before that update began.`
          : `${lost.length} acknowledged updates of ${key} are lost: ${listed(updates, LOST_NAMED_MAX)}${lost.length > named.length ? ` (the newest ${named.length}; ${lost.length - named.length} earlier ones too)` : ''}. ${capitalize(finalRead)}, which had certainly taken effect before any of them began.`;
      anomalies.push({
        kind: 'lost-write',
        key,
        operations: [read.id, ...named.map((update) => update.id), ...(source === undefined ? [] : [source.id])],
        sentence,
      });
    }
  }
  return { anomalies, notes };
}

/** "client 2's write of B to k, sent at 0.02 s and acknowledged at 0.03 s". */
function describeLost(update: RegisterOperation): string {
  return `${client(update.process)}'s ${action(update)}, sent at ${seconds(update.invokeMs)} and acknowledged at ${seconds(update.completeMs)},`;
}
