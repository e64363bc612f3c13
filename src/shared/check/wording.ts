/**
 * How the checkers name things in their sentences, so every explanation reads the same: clients
 * are "client N", times are seconds with two or three decimals ("1.52 s", "0.805 s"), values are
 * written bare when they are short plain words and quoted (JSON) otherwise, nil is "nil".
 */
import type { RegisterOperation } from './register-history.ts';

/** Longest value written out in a sentence; longer ones are cut with "..." (the report has the ids). */
const VALUE_SHOWN_LENGTH_MAX = 40;
const PLAIN_VALUE = /^[A-Za-z0-9_.:+-]{1,40}$/;

/** Milliseconds as seconds with three decimals, one trailing zero dropped: 1520 → "1.52 s", 800 → "0.80 s", 805 → "0.805 s". */
export function seconds(milliseconds: number): string {
  if (!Number.isFinite(milliseconds)) return 'never';
  const text = (milliseconds / 1000).toFixed(3);
  return `${text.endsWith('0') ? text.slice(0, -1) : text} s`;
}

export function client(process: number): string {
  return `client ${process}`;
}

/** A value as a sentence shows it: A, "two words", nil. */
export function valueText(value: string | undefined): string {
  if (value === undefined) return 'nil';
  if (PLAIN_VALUE.test(value)) return value;
  const quoted = JSON.stringify(value);
  return quoted.length <= VALUE_SHOWN_LENGTH_MAX + 2 ? quoted : `${quoted.slice(0, VALUE_SHOWN_LENGTH_MAX)}..."`;
}

export function capitalize(text: string): string {
  return text.length === 0 ? text : `${text[0]?.toUpperCase() ?? ''}${text.slice(1)}`;
}

/** "write of A to k", "delete of k", "read of k": what the operation is, without who or when. */
export function action(operation: RegisterOperation): string {
  if (operation.kind === 'write') return `write of ${valueText(operation.value)} to ${operation.key}`;
  return `${operation.kind} of ${operation.key}`;
}

/**
 * "client 2's write of B to k, acknowledged at 1.10 s": who did what and when it took effect at the
 * latest; for an operation that is not ok, how it ended.
 */
export function describeUpdate(operation: RegisterOperation): string {
  const who = `${client(operation.process)}'s ${action(operation)}`;
  if (operation.outcome === 'ok') return `${who}, acknowledged at ${seconds(operation.completeMs)}`;
  if (operation.outcome === 'fail') return `${who}, which failed at ${seconds(operation.completeMs)}${operation.error === undefined ? '' : ` (${operation.error})`}`;
  return `${who}, sent at ${seconds(operation.invokeMs)} and never answered${operation.error === undefined ? '' : ` (${operation.error})`}`;
}

/** "client 3's read of k, from 1.52 s to 1.60 s": an operation and its interval. */
export function describeInterval(operation: RegisterOperation): string {
  const end = operation.outcome === 'info' ? `given up at ${seconds(operation.completeMs)}` : `to ${seconds(operation.completeMs)}`;
  return `${client(operation.process)}'s ${action(operation)}, from ${seconds(operation.invokeMs)} ${end}`;
}

/** "A, B and 3 more": a bounded list for a sentence. */
export function listed(items: readonly string[], shownMax = 5): string {
  if (items.length === 0) return 'nothing';
  const shown = items.slice(0, shownMax);
  const rest = items.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  if (shown.length === 1) return shown[0] as string;
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1] as string}`;
}

/** Whole numbers with thousands separators, independent of the locale: 2000000 → "2,000,000". */
export function count(value: number): string {
  return String(Math.trunc(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "1 read", "3 reads", "1,000 writes". */
export function counted(value: number, noun: string): string {
  return `${count(value)} ${noun}${value === 1 ? '' : 's'}`;
}
