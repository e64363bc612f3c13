/** Formatting shared by the commands: tables, file names, ranges. */
import { extname } from 'node:path';
import { describeDelay, type DelayModel } from '../shared/sim/network.ts';

/** Columns padded to their widest cell, two spaces apart. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** `dbg.log` → `dbg.swim.single-failure.log` when one command writes several logs. */
export function outPath(base: string, ...parts: readonly (string | undefined)[]): string {
  const extension = extname(base);
  const stem = extension === '' ? base : base.slice(0, -extension.length);
  return `${[stem, ...parts.filter((part) => part !== undefined)].join('.')}${extension}`;
}

export function median(sorted: readonly number[]): number {
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

export function formatDelay(delay: DelayModel | undefined): string {
  return delay === undefined ? 'none' : describeDelay(delay);
}

/** The seeds of a run: one, or a range. */
export function seedList(seed: number, seeds?: { readonly first: number; readonly last: number }): number[] {
  if (seeds === undefined) return [seed];
  return Array.from({ length: seeds.last - seeds.first + 1 }, (_, index) => seeds.first + index);
}
