/**
 * The session journal's size in words, for the status bar and the log view: what is recorded on
 * disk (against its cap, and what rotation dropped to stay under it) and what the manager keeps
 * in memory for the window.
 */
import type { JournalInfo } from '../../../shared/api/cluster-api.ts';
import { formatBytes, formatCount } from './format.ts';

export interface JournalStatus {
  /** One short line: `recording 12.0 MiB of 256.0 MiB to /path (3 parts dropped)`. */
  readonly text: string;
  /** The longer story, for a tooltip. */
  readonly title: string;
  readonly error: boolean;
}

export function journalStatus(info: JournalInfo): JournalStatus {
  const memory = info.window === undefined ? '' : `The manager keeps the newest ${formatCount(info.window.entries)} entries in memory (${formatBytes(info.window.bytes)} of at most ${formatBytes(info.window.bytesMax)}).`;
  if (info.writeError !== undefined) return { text: `not recording: ${info.writeError}`, title: `Recording to disk stopped: ${info.writeError}. ${memory}`, error: true };
  if (info.path === undefined) return { text: 'not recorded to disk (memory only)', title: `Nothing is recorded to disk: exports hold what is in memory. ${memory}`, error: false };
  const onDisk = info.bytesOnDisk ?? info.bytesWritten;
  const cap = info.maxBytes === undefined ? '' : ` of ${formatBytes(info.maxBytes)}`;
  const dropped = droppedNote(info);
  const text = `recording ${formatBytes(onDisk)}${cap} to ${info.path}${dropped === undefined ? '' : ` (${dropped})`}`;
  const parts = info.parts !== undefined && info.parts > 1 ? ` in ${info.parts} parts (${info.path}.N, oldest first, then ${info.path})` : '';
  const capText =
    info.maxBytes === undefined
      ? 'No size cap (ringside serve --journal-max-mb sets one).'
      : `Capped at ${formatBytes(info.maxBytes)}: the oldest part is deleted when a new one would pass it${info.partsDropped ? `; ${formatCount(info.partsDropped)} parts (${formatBytes(info.bytesDropped ?? 0)}, ${formatCount(info.entriesDropped ?? 0)} entries) so far` : ''}. Exports hold what is kept.`;
  return { text, title: `${formatBytes(onDisk)} on disk${parts}. ${capText} ${memory}`.trim(), error: false };
}

/** `3 parts dropped`, or undefined when rotation has dropped nothing. */
export function droppedNote(info: JournalInfo): string | undefined {
  const parts = info.partsDropped ?? 0;
  if (parts === 0) return undefined;
  return `${formatCount(parts)} older part${parts === 1 ? '' : 's'} dropped, ${formatBytes(info.bytesDropped ?? 0)}`;
}
