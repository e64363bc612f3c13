/**
 * The stale-read check (`stale-read`), for the report: an ok read R returned a result older than
 * an update acknowledged before R began. That is, there is an ok write or delete W of the key that
 * precedes R (W.completeMs < R.invokeMs), and every update that could have produced R's result had
 * certainly taken effect before W was invoked (real time puts them before W, W before R). The
 * initial state (nil) counts as written before everything; an info update never counts as
 * certain, since it may take effect at any time after its invocation. Precedence is `precedes`
 * (register-history.ts): by time, intervals closed, and at equal times by the client's own order.
 *
 * Each stale read is reported once, with the smallest explanation: the read, the newest such W
 * (acknowledged last), and the newest update that could have produced the result. Reads whose
 * result has no possible source at all belong to the invented and aborted checks, not this one.
 * Overlapping operations are never flagged: real time does not order them.
 */
import type { Anomaly } from './anomaly.ts';
import { operationsByKey, precedes, type RegisterHistory, type RegisterOperation } from './register-history.ts';
import { capitalize, client, seconds, valueText } from './wording.ts';
import { allPrecede, KeyWriters, newestWriter, type Writers } from './writers.ts';

export interface StaleReadOptions {
  /** Reads not to judge here (the final reads, when the lost-write check judges them). */
  readonly excludedReadIds?: ReadonlySet<number>;
}

export function checkStaleReads(history: RegisterHistory, options: StaleReadOptions = {}): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const [key, operations] of operationsByKey(history)) {
    const writers = new KeyWriters(operations);
    const acknowledged = acknowledgedUpdatesByCompletion(operations);
    for (const read of operations) {
      if (read.kind !== 'read' || read.outcome !== 'ok' || options.excludedReadIds?.has(read.id) === true) continue;
      const sources = writers.of(read.value);
      if (!sources.initial && sources.updates.length === 0) continue;
      const superseding = newestSupersedingUpdate(acknowledged, sources, read);
      if (superseding === undefined) continue;
      anomalies.push(staleRead(key, read, superseding, sources));
    }
  }
  return anomalies;
}

/** The ok writes and deletes of one key, by acknowledgement time (then id). */
export function acknowledgedUpdatesByCompletion(operations: readonly RegisterOperation[]): RegisterOperation[] {
  return operations.filter((operation) => operation.kind !== 'read' && operation.outcome === 'ok').sort((first, second) => first.completeMs - second.completeMs || first.id - second.id);
}

/**
 * The update acknowledged last that precedes `read` and that every source of the read's result
 * precedes, or undefined. `acknowledged` is sorted by completion.
 */
export function newestSupersedingUpdate(acknowledged: readonly RegisterOperation[], sources: Writers, read: RegisterOperation): RegisterOperation | undefined {
  if (sources.certainByMs === Number.POSITIVE_INFINITY) return undefined;
  // Past the last update acknowledged no later than the read began.
  let low = 0;
  let high = acknowledged.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((acknowledged[middle] as RegisterOperation).completeMs <= read.invokeMs) low = middle + 1;
    else high = middle;
  }
  for (let index = low - 1; index >= 0; index--) {
    const update = acknowledged[index] as RegisterOperation;
    // Invoked no later than it completed, so no earlier one began after the sources either.
    if (update.completeMs < sources.certainByMs) return undefined;
    if (precedes(update, read) && allPrecede(sources, update)) return update;
  }
  return undefined;
}

/** "from client 1's write acknowledged at 0.80 s" / "the initial nil, before any write". */
export function sourceText(sources: Writers): string {
  const newest = newestWriter(sources);
  if (newest === undefined) return 'the initial state, before any write';
  const what = newest.kind === 'write' ? 'write' : 'delete';
  const of = sources.updates.length > 1 ? ` (the last acknowledged of ${sources.updates.length} ${newest.kind === 'write' ? `writes of ${valueText(newest.value)}` : 'deletes'}${sources.initial ? ', or the initial state' : ''})` : sources.initial ? ' (or the initial state)' : '';
  return `${client(newest.process)}'s ${what} acknowledged at ${seconds(newest.completeMs)}${of}`;
}

function staleRead(key: string, read: RegisterOperation, superseding: RegisterOperation, sources: Writers): Anomaly {
  const source = newestWriter(sources);
  const replaced = superseding.kind === 'write' ? `write of ${valueText(superseding.value)}` : 'delete';
  return {
    kind: 'stale-read',
    key,
    operations: source === undefined ? [read.id, superseding.id] : [read.id, superseding.id, source.id],
    sentence:
      `${capitalize(client(read.process))}'s read of ${key} began at ${seconds(read.invokeMs)} and returned ${valueText(read.value)}, from ${sourceText(sources)}; ` +
      `but ${client(superseding.process)}'s ${replaced} was sent at ${seconds(superseding.invokeMs)}, after that, and acknowledged at ${seconds(superseding.completeMs)}, before the read began.`,
  };
}
