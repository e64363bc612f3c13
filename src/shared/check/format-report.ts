/**
 * `formatReport`: a check report as plain text for the command line. A summary line; then each
 * anomaly's sentence with a small per-client ASCII timeline of the operations it involves (one
 * row per client, scaled to the window those operations span); then the linearizability verdict
 * per key, what the checks guarantee, and what they could not judge. Pure: the caller prints it.
 *
 *     client 1  |--W(k,A)--|
 *     client 2               |---W(k,B)----|
 *     client 3                                 |--R(k)=A--|
 *               0.70 s                                   1.60 s
 *
 * A bar ends in `|` when the operation was acknowledged, `x` when it failed, `?` when it was never
 * answered (the client gave up there; it may still take effect later).
 */
import { ANOMALY_KINDS } from './anomaly.ts';
import type { KeyLinearizability } from './linearizability.ts';
import type { RegisterOperation } from './register-history.ts';
import type { CheckReport } from './report.ts';
import { client, count, counted, seconds } from './wording.ts';

/** Anomalies printed at most; the rest are counted. */
export const ANOMALIES_SHOWN_MAX = 20;
/** Columns a timeline's window spans. */
export const TIMELINE_WIDTH = 64;
/** Keys listed one by one in the linearizability line; beyond that only the keys not ok are. */
const KEYS_LISTED_MAX = 20;
/** Characters of a key or value shown inside a timeline bar. */
const LABEL_PART_LENGTH_MAX = 8;

export function formatReport(report: CheckReport): string {
  const lines: string[] = [summaryLine(report), ''];
  const byId = new Map(report.involvedOperations.map((operation) => [operation.id, operation]));
  const shown = report.anomalies.slice(0, ANOMALIES_SHOWN_MAX);
  for (const anomaly of shown) {
    lines.push(`${anomaly.kind} on ${anomaly.key}`, `  ${anomaly.sentence}`);
    const operations = anomaly.operations.map((id) => byId.get(id)).filter((operation): operation is RegisterOperation => operation !== undefined);
    if (operations.length > 0) lines.push(...timeline(operations).map((line) => `    ${line}`));
    lines.push('');
  }
  const total = ANOMALY_KINDS.reduce((sum, kind) => sum + report.anomalyCounts[kind], 0);
  if (total > shown.length) {
    const byKind = ANOMALY_KINDS.filter((kind) => report.anomalyCounts[kind] > 0).map((kind) => `${count(report.anomalyCounts[kind])} ${kind}`);
    lines.push(`... and ${count(total - shown.length)} more anomalies (${byKind.join(', ')} in all).`, '');
  }
  if (report.checksRun.includes('linearizability')) lines.push(linearizabilityLine(report.linearizability));
  if (report.guarantees.length > 0) lines.push('guarantees:', ...report.guarantees.map((guarantee) => `  - ${guarantee}`));
  if (report.notes.length > 0) lines.push('not judged:', ...report.notes.map((note) => `  - ${note}`));
  return `${lines.join('\n').trimEnd()}\n`;
}

function summaryLine(report: CheckReport): string {
  const { counts } = report;
  const operations = `${counted(counts.operations, 'operation')} (${count(counts.ok)} ok, ${count(counts.fail)} fail, ${count(counts.info)} info; ${counted(counts.byKind.read, 'read')}, ${counted(counts.byKind.write, 'write')}, ${counted(counts.byKind.delete, 'delete')})`;
  const total = ANOMALY_KINDS.reduce((sum, kind) => sum + report.anomalyCounts[kind], 0);
  if (report.valid === false) return `INVALID: ${count(total)} ${total === 1 ? 'anomaly' : 'anomalies'} in ${operations}.`;
  if (report.valid === 'unknown') {
    const unknown = report.linearizability.filter((key) => key.verdict === 'unknown').length;
    return `UNKNOWN: no anomaly in ${operations}, but ${count(unknown)} ${unknown === 1 ? "key's" : "keys'"} linearizability search ran out of budget.`;
  }
  return `VALID: no anomaly in ${operations}.`;
}

/** "linearizability: k1 ok, k2 unknown after 2,000,000 steps, k3 violation". */
export function linearizabilityLine(keys: readonly KeyLinearizability[]): string {
  const describe = (key: KeyLinearizability): string => (key.verdict === 'unknown' ? `${key.key} unknown after ${count(key.steps)} steps` : `${key.key} ${key.verdict}`);
  if (keys.length === 0) return 'linearizability: no keys.';
  if (keys.length <= KEYS_LISTED_MAX) return `linearizability: ${keys.map(describe).join(', ')}.`;
  const notOk = keys.filter((key) => key.verdict !== 'ok');
  const ok = keys.length - notOk.length;
  return `linearizability: ${count(ok)} keys ok${notOk.length === 0 ? '' : `; ${notOk.slice(0, KEYS_LISTED_MAX).map(describe).join(', ')}${notOk.length > KEYS_LISTED_MAX ? ` and ${count(notOk.length - KEYS_LISTED_MAX)} more` : ''}`}.`;
}

/** The per-client ASCII timeline of a few operations. */
export function timeline(operations: readonly RegisterOperation[]): string[] {
  if (operations.length === 0) return [];
  const startMs = Math.min(...operations.map((operation) => operation.invokeMs));
  const endMs = Math.max(...operations.map((operation) => operation.completeMs));
  const spanMs = endMs > startMs ? endMs - startMs : 1;
  const column = (ms: number): number => Math.round(((ms - startMs) / spanMs) * (TIMELINE_WIDTH - 1));
  const processes = [...new Set(operations.map((operation) => operation.process))].sort((first, second) => first - second);
  const nameWidth = Math.max(...processes.map((process) => client(process).length)) + 2;
  const rows = processes.map((process) => {
    let row = '';
    const own = operations.filter((operation) => operation.process === process).sort((first, second) => first.invokeMs - second.invokeMs || first.id - second.id);
    for (const operation of own) {
      const text = label(operation);
      let start = column(operation.invokeMs);
      // Never over the previous bar of this row (a stretched label may reach past its time).
      if (start < row.length) start = row.length === 0 ? 0 : row.length + 1;
      const end = Math.max(column(operation.completeMs), start + text.length + 1);
      row = `${row.padEnd(start)}${bar(text, end - start + 1, operation)}`;
    }
    return `${client(process).padEnd(nameWidth)}${row}`.trimEnd();
  });
  const first = seconds(startMs);
  const last = seconds(endMs);
  const axis = `${' '.repeat(nameWidth)}${first}${last.padStart(Math.max(TIMELINE_WIDTH - first.length, last.length + 1))}`;
  return [...rows, axis];
}

function bar(text: string, width: number, operation: RegisterOperation): string {
  const ending = operation.outcome === 'ok' ? '|' : operation.outcome === 'fail' ? 'x' : '?';
  const inside = width - 2;
  const left = Math.floor((inside - text.length) / 2);
  return `|${'-'.repeat(left)}${text}${'-'.repeat(inside - text.length - left)}${ending}`;
}

function label(operation: RegisterOperation): string {
  const key = shorten(operation.key);
  if (operation.kind === 'read') return operation.outcome === 'ok' ? `R(${key})=${operation.value === undefined ? 'nil' : shorten(operation.value)}` : `R(${key})`;
  if (operation.kind === 'write') return `W(${key},${shorten(operation.value ?? '')})`;
  return `D(${key})`;
}

/** ASCII only, short: control and non-ASCII characters become '.', long text is cut with '~'. */
function shorten(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '.');
  return ascii.length <= LABEL_PART_LENGTH_MAX ? ascii : `${ascii.slice(0, LABEL_PART_LENGTH_MAX - 1)}~`;
}
