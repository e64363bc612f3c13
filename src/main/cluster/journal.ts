/**
 * The session journal: one ordered stream of every peer's events. The newest `windowMax`
 * entries stay in memory for the views; every entry is appended to an NDJSON file as it comes
 * (written at the end of the current event-loop turn, synchronously), so a crash of the app
 * loses at most that turn's entries.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { JournalEvent } from '../../shared/journal/events.ts';
import { formatNdjsonLine, formatSession, parseJournal, type ExportFormat, type ParsedJournal, type SessionEntry } from '../../shared/journal/session.ts';

export const JOURNAL_WINDOW_DEFAULT = 200_000;

export class JournalError extends Error {
  override readonly name = 'JournalError';
}

export class SessionJournal {
  /** Where the journal is recorded, if anywhere. */
  readonly path: string | undefined;
  readonly #windowMax: number;
  #window: SessionEntry[] = [];
  #start = 0;
  #nextSeq = 0;
  #fd: number | undefined;
  #unwritten: string[] = [];
  #flushScheduled = false;
  #bytesWritten = 0;
  #writeError: string | undefined;
  readonly #listeners = new Set<(entry: SessionEntry) => void>();

  constructor(options: { path?: string | undefined; windowMax?: number } = {}) {
    this.#windowMax = options.windowMax ?? JOURNAL_WINDOW_DEFAULT;
    this.path = options.path;
    if (options.path !== undefined) {
      try {
        this.#fd = openSync(options.path, 'a', 0o600);
      } catch (error) {
        throw new JournalError(`cannot record the journal to ${options.path}: ${(error as Error).message}`);
      }
    }
  }

  /** Entries ever appended (the window keeps the newest). */
  get size(): number {
    return this.#nextSeq;
  }

  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Why recording to disk stopped, if it did (a full disk); the window goes on. */
  get writeError(): string | undefined {
    return this.#writeError;
  }

  append(at: number, event: JournalEvent): SessionEntry {
    const entry: SessionEntry = { seq: this.#nextSeq++, at, event };
    this.#window.push(entry);
    if (this.#window.length - this.#start > this.#windowMax) {
      this.#start++;
      // Compact now and then rather than shifting on every append.
      if (this.#start > this.#windowMax / 4) {
        this.#window = this.#window.slice(this.#start);
        this.#start = 0;
      }
    }
    if (this.#fd !== undefined) {
      this.#unwritten.push(formatNdjsonLine(entry));
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.flush());
      }
    }
    for (const listener of this.#listeners) listener(entry);
    return entry;
  }

  /** The entries in memory, oldest first. */
  entries(): SessionEntry[] {
    return this.#window.slice(this.#start);
  }

  /** At most `limit` entries of the window with a seq after `since`, oldest first. */
  entriesAfter(since: number, limit: number): SessionEntry[] {
    const first = this.#window[this.#start];
    if (first === undefined) return [];
    const from = this.#start + Math.max(0, since + 1 - first.seq);
    return this.#window.slice(from, from + limit);
  }

  subscribe(listener: (entry: SessionEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  flush(): void {
    this.#flushScheduled = false;
    if (this.#fd === undefined || this.#unwritten.length === 0) return;
    const text = this.#unwritten.join('');
    this.#unwritten = [];
    try {
      const bytes = Buffer.from(text);
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset);
      this.#bytesWritten += bytes.length;
    } catch (error) {
      this.#writeError = (error as Error).message;
      closeSync(this.#fd);
      this.#fd = undefined;
    }
  }

  close(): void {
    this.flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /**
   * The session in one format. From the recorded file when there is one (every entry, even
   * those that left the memory window), else from the window.
   */
  export(format: ExportFormat): string {
    this.flush();
    if (this.path !== undefined && this.#writeError === undefined) {
      const all = readJournalFile(this.path).entries;
      return format === 'ndjson' ? all.map(formatNdjsonLine).join('') : formatSession(all, format);
    }
    return formatSession(this.entries(), format);
  }
}

/** Reads a saved journal; lines that are not entries are counted, not fatal. */
export function readJournalFile(path: string): ParsedJournal {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new JournalError(`cannot read the journal ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message}`);
  }
  return parseJournal(text);
}
