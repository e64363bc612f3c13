/**
 * The session journal: one ordered stream of every peer's events.
 *
 * In memory: the newest entries, for the views and the window's history, bounded both by count
 * (`windowMax`, default 200,000) and by bytes (`windowBytesMax`, default 64 MiB, each entry
 * estimated from its NDJSON line). The oldest entries leave first; what the window holds is at
 * most the byte bound, whatever the entries' sizes.
 *
 * On disk (when a path is given): every entry is appended to an NDJSON file as it comes
 * (written at the end of the current event-loop turn, synchronously), so a crash of the app
 * loses at most that turn's entries. With a size cap (`maxBytes`) the file is recorded in
 * parts: `PATH` is the part being written; a full part is renamed `PATH.1`, `PATH.2`, … (the
 * numbers only grow), and once the parts would hold more than the cap the oldest part is
 * deleted, so what is on disk stays under the cap (a single line longer than a part is the one
 * exception). Parts are a quarter of the cap each: at most three full parts and the current one.
 *
 * An export reads what is on disk (every part kept, oldest first: what rotation dropped is
 * gone, and the window says so) as a stream through the format's writer, in bounded memory,
 * at the pace its reader takes it. It sees the parts as they were when it began: entries that
 * come meanwhile, or a part dropped meanwhile, do not change it. Without a file (or after a
 * failed write) an export is the window's.
 *
 * The journal is most of what the manager holds, so its bounds make the manager's memory
 * ceiling: about 20 MB of its own; the window, at most `windowBytesMax` as estimated (the real
 * heap is 0.6 to 0.8 of the estimate); per window or WebSocket client, a backlog bounded by the
 * event feed (`feed.ts`); per key-value operation in flight, its value (at most 1 MiB) in the
 * request and the reply, until it is answered; per export in progress, about a megabyte (one
 * read, one piece of output, the socket's buffer). Values never enter the journal, and an export
 * never holds the journal, so neither a session's length nor its values' sizes raise it.
 */
import { closeSync, createReadStream, fstatSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { withoutValue, type JournalEvent } from '../../shared/journal/events.ts';
import { JournalDecoder, transcodeJournal, writeSession } from '../../shared/journal/journal-stream.ts';
import { formatNdjsonLine, formatSession, sessionWriter, type ExportFormat, type SessionEntry } from '../../shared/journal/session.ts';

/** Entries the memory window keeps at most. */
export const JOURNAL_WINDOW_DEFAULT = 200_000;
/** Bytes the memory window keeps at most, as `entryBytesEstimate` counts them. */
export const JOURNAL_WINDOW_BYTES_DEFAULT = 64 * 1_048_576;
/** A recorded journal is cut into this many parts of the cap each (at most this many on disk). */
export const JOURNAL_PARTS = 4;
/** The smallest size cap: a part must hold a good many entries. */
export const JOURNAL_MAX_BYTES_MIN = 1_048_576;
/** The most text `export()` and `exportText()` return in one string; larger sessions go through `exportStream`. */
export const EXPORT_TEXT_CHARS_MAX = 64 * 1_048_576;
/** Bytes an export reads from disk at once. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * What one entry of the window is taken to cost in memory: V8 holds a parsed entry in 1.2 to 1.6
 * times its NDJSON line's length (measured on message, key-value and log entries); twice the
 * line and a header errs on the safe side.
 */
export function entryBytesEstimate(line: string): number {
  return 64 + 2 * line.length;
}

export class JournalError extends Error {
  override readonly name = 'JournalError';
}

export interface SessionJournalOptions {
  /** Record every entry to this NDJSON file (the current part when capped). */
  readonly path?: string | undefined;
  /** Entries the memory window keeps at most (default 200,000). */
  readonly windowMax?: number | undefined;
  /** Bytes the memory window keeps at most, as estimated (default 64 MiB). */
  readonly windowBytesMax?: number | undefined;
  /** Bytes the recorded file's parts hold at most (at least 1 MiB; default: no cap, one file). */
  readonly maxBytes?: number | undefined;
}

/** A part of the recorded journal: `PATH.number`, or `PATH` itself (number 0) for the current one. */
interface Part {
  readonly number: number;
  bytes: number;
  entries: number;
}

/** What the recording on disk holds now, and what rotation has dropped. */
export interface JournalRecording {
  readonly path: string;
  /** The size cap, if any. */
  readonly maxBytes?: number;
  /** Bytes on disk now, every kept part. */
  readonly bytes: number;
  /** Parts on disk now, the current one included. */
  readonly parts: number;
  readonly partsDropped: number;
  readonly bytesDropped: number;
  /** Entries of the dropped parts (those this session recorded; older parts' are not counted). */
  readonly entriesDropped: number;
}

/** One part's bytes as they were when an export began: an open file and how much of it to read. */
interface PartSnapshot {
  readonly fd: number;
  readonly bytes: number;
}

export class SessionJournal {
  /** Where the journal is recorded, if anywhere (the current part when capped). */
  readonly path: string | undefined;
  readonly #windowMax: number;
  readonly #windowBytesMax: number;
  readonly #maxBytes: number | undefined;
  #window: SessionEntry[] = [];
  /** Each window entry's estimated bytes, alongside `#window`. */
  #sizes: number[] = [];
  #start = 0;
  #windowBytes = 0;
  #nextSeq = 0;
  #fd: number | undefined;
  #unwritten: string[] = [];
  #flushScheduled = false;
  #bytesWritten = 0;
  #writeError: string | undefined;
  /** Full parts kept, oldest first; then the current part. */
  #parts: Part[] = [];
  #current: Part = { number: 0, bytes: 0, entries: 0 };
  #nextPart = 1;
  #partsDropped = 0;
  #bytesDropped = 0;
  #entriesDropped = 0;
  readonly #listeners = new Set<(entry: SessionEntry) => void>();

  constructor(options: SessionJournalOptions = {}) {
    this.#windowMax = options.windowMax ?? JOURNAL_WINDOW_DEFAULT;
    this.#windowBytesMax = options.windowBytesMax ?? JOURNAL_WINDOW_BYTES_DEFAULT;
    if (!(this.#windowMax >= 1 && this.#windowBytesMax >= 1)) throw new JournalError('the journal window keeps at least one entry and one byte');
    if (options.maxBytes !== undefined && !(options.maxBytes >= JOURNAL_MAX_BYTES_MIN)) throw new JournalError(`a journal size cap is at least ${JOURNAL_MAX_BYTES_MIN / 1_048_576} MiB`);
    this.#maxBytes = options.maxBytes;
    this.path = options.path;
    if (options.path !== undefined) {
      try {
        this.#fd = openSync(options.path, 'a', 0o600);
        this.#current.bytes = fstatSync(this.#fd).size;
        if (this.#maxBytes !== undefined) this.#findParts(options.path);
      } catch (error) {
        throw new JournalError(`cannot record the journal to ${options.path}: ${(error as Error).message}`);
      }
    }
  }

  /** Entries ever appended (the window keeps the newest). */
  get size(): number {
    return this.#nextSeq;
  }

  /** Bytes this session wrote to disk (dropped parts included). */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** Why recording to disk stopped, if it did (a full disk); the window goes on. */
  get writeError(): string | undefined {
    return this.#writeError;
  }

  /** The memory window: entries, their estimated bytes, and the bounds. */
  get window(): { entries: number; bytes: number; entriesMax: number; bytesMax: number } {
    return { entries: this.#window.length - this.#start, bytes: this.#windowBytes, entriesMax: this.#windowMax, bytesMax: this.#windowBytesMax };
  }

  /** What is on disk, if the journal is recorded. */
  get recording(): JournalRecording | undefined {
    if (this.path === undefined) return undefined;
    const parts = [...this.#parts, this.#current];
    return {
      path: this.path,
      ...(this.#maxBytes === undefined ? {} : { maxBytes: this.#maxBytes }),
      bytes: parts.reduce((sum, part) => sum + part.bytes, 0),
      parts: parts.length,
      partsDropped: this.#partsDropped,
      bytesDropped: this.#bytesDropped,
      entriesDropped: this.#entriesDropped,
    };
  }

  append(at: number, event: JournalEvent): SessionEntry {
    // A peer of an older build (attached) may still send whole values: the journal keeps a summary.
    const entry: SessionEntry = { seq: this.#nextSeq++, at, event: withoutValue(event) };
    const line = formatNdjsonLine(entry);
    this.#remember(entry, entryBytesEstimate(line));
    if (this.#fd !== undefined) {
      this.#unwritten.push(line);
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.flush());
      }
    }
    for (const listener of this.#listeners) listener(entry);
    return entry;
  }

  #remember(entry: SessionEntry, bytes: number): void {
    this.#window.push(entry);
    this.#sizes.push(bytes);
    this.#windowBytes += bytes;
    while (this.#start < this.#window.length && (this.#window.length - this.#start > this.#windowMax || this.#windowBytes > this.#windowBytesMax)) {
      this.#windowBytes -= this.#sizes[this.#start] as number;
      this.#start++;
    }
    // Compact now and then rather than shifting on every append.
    if (this.#start > 1024 && this.#start > (this.#window.length - this.#start) / 4) {
      this.#window = this.#window.slice(this.#start);
      this.#sizes = this.#sizes.slice(this.#start);
      this.#start = 0;
    }
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
    const lines = this.#unwritten;
    this.#unwritten = [];
    try {
      if (this.#maxBytes === undefined) {
        this.#write(lines.join(''), lines.length);
        return;
      }
      // Parts end between lines: a part holds whole entries.
      const partBytes = Math.floor(this.#maxBytes / JOURNAL_PARTS);
      let batch: string[] = [];
      let batchBytes = 0;
      for (const line of lines) {
        const bytes = Buffer.byteLength(line);
        if (this.#current.bytes + batchBytes + bytes > partBytes && this.#current.bytes + batchBytes > 0) {
          this.#write(batch.join(''), batch.length);
          batch = [];
          batchBytes = 0;
          this.#rotate();
        }
        batch.push(line);
        batchBytes += bytes;
      }
      this.#write(batch.join(''), batch.length);
    } catch (error) {
      this.#writeError = (error as Error).message;
      if (this.#fd !== undefined) closeSync(this.#fd);
      this.#fd = undefined;
    }
  }

  #write(text: string, entries: number): void {
    if (text === '' || this.#fd === undefined) return;
    const bytes = Buffer.from(text);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset);
    this.#bytesWritten += bytes.length;
    this.#current.bytes += bytes.length;
    this.#current.entries += entries;
  }

  /** The current part becomes `PATH.n`; a new one begins; the oldest parts go past the cap. */
  #rotate(): void {
    const path = this.path as string;
    closeSync(this.#fd as number);
    this.#fd = undefined;
    const number = this.#nextPart++;
    renameSync(path, `${path}.${number}`);
    this.#parts.push({ ...this.#current, number });
    this.#current = { number: 0, bytes: 0, entries: 0 };
    this.#fd = openSync(path, 'a', 0o600);
    this.#dropOldParts();
  }

  /** Keeps at most `JOURNAL_PARTS - 1` full parts: with the current one, under the cap. */
  #dropOldParts(): void {
    while (this.#parts.length > JOURNAL_PARTS - 1) {
      const oldest = this.#parts.shift() as Part;
      try {
        unlinkSync(`${this.path as string}.${oldest.number}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      this.#partsDropped++;
      this.#bytesDropped += oldest.bytes;
      this.#entriesDropped += oldest.entries;
    }
  }

  /** A capped journal recorded to a path used before: its parts count, and are dropped first. */
  #findParts(path: string): void {
    const prefix = `${basename(path)}.`;
    const numbers = readdirSync(dirname(path))
      .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
      .map((name) => Number(name.slice(prefix.length)))
      .filter((number) => number > 0 && Number.isSafeInteger(number))
      .sort((a, b) => a - b);
    for (const number of numbers) this.#parts.push({ number, bytes: statSync(`${path}.${number}`).size, entries: 0 });
    this.#nextPart = (numbers[numbers.length - 1] ?? 0) + 1;
    this.#dropOldParts();
  }

  close(): void {
    this.flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /**
   * The session in one format, as a stream: from the recorded parts when there are any (every
   * entry still on disk, even those that left the memory window), else from the window. It
   * reads no faster than its reader takes it; destroying it stops the reading.
   */
  exportStream(format: ExportFormat): Readable {
    const parts = this.#snapshot();
    const pieces = parts === undefined ? writeSession([this.entries()], format) : transcodeJournal(partChunks(parts), format, new JournalDecoder());
    return Readable.from(pieces, { objectMode: false, highWaterMark: 64 * 1024 });
  }

  /** The session in one format as one string (the API's reply): at most `charsMax` characters. */
  async exportText(format: ExportFormat, charsMax = EXPORT_TEXT_CHARS_MAX): Promise<string> {
    const parts = this.#snapshot();
    const pieces = parts === undefined ? writeSession([this.entries()], format) : transcodeJournal(partChunks(parts), format, new JournalDecoder());
    const texts: string[] = [];
    let length = 0;
    for await (const piece of pieces) {
      length += piece.length;
      if (length > charsMax) {
        await pieces.return(undefined);
        throw tooLarge(format, charsMax);
      }
      texts.push(piece);
    }
    return texts.join('');
  }

  /**
   * The session in one format as one string, read synchronously (small sessions and tests; the
   * API and the exports stream): at most `charsMax` characters.
   */
  export(format: ExportFormat, charsMax = EXPORT_TEXT_CHARS_MAX): string {
    const parts = this.#snapshot();
    if (parts === undefined) return formatSession(this.entries(), format);
    const decoder = new JournalDecoder();
    const writer = sessionWriter(format);
    const texts = [writer.head];
    let length = writer.head.length;
    const add = (entries: readonly SessionEntry[]): void => {
      for (const entry of entries) {
        const text = writer.entry(entry);
        length += text.length;
        if (length > charsMax) throw tooLarge(format, charsMax);
        texts.push(text);
      }
    };
    const buffer = Buffer.alloc(READ_CHUNK_BYTES);
    let index = 0;
    try {
      for (; index < parts.length; index++) {
        const part = parts[index] as PartSnapshot;
        for (let position = 0; position < part.bytes; ) {
          const read = readSync(part.fd, buffer, 0, Math.min(buffer.length, part.bytes - position), position);
          if (read === 0) break;
          position += read;
          add(decoder.push(buffer.subarray(0, read)));
        }
        closeSync(part.fd);
      }
    } finally {
      // Those not read to their end (a session too long for one string) are closed here.
      for (const part of parts.slice(index)) closeSync(part.fd);
    }
    add(decoder.end());
    texts.push(writer.end());
    return texts.join('');
  }

  /**
   * The recorded parts as they are now, each opened (an open file outlives its rotation and its
   * deletion), or undefined when the export must come from the window.
   */
  #snapshot(): PartSnapshot[] | undefined {
    this.flush();
    if (this.path === undefined || this.#writeError !== undefined) return undefined;
    const path = this.path;
    const snapshot: PartSnapshot[] = [];
    try {
      for (const part of [...this.#parts, this.#current]) {
        const fd = openSync(part.number === 0 ? path : `${path}.${part.number}`, 'r');
        snapshot.push({ fd, bytes: part.bytes });
      }
    } catch (error) {
      for (const part of snapshot) closeSync(part.fd);
      throw new JournalError(`cannot read the recorded journal ${path}: ${(error as Error).message}`);
    }
    return snapshot;
  }
}

function tooLarge(format: ExportFormat, charsMax: number): JournalError {
  return new JournalError(
    `the session as ${format} is longer than ${Math.round(charsMax / 1_048_576)} MiB: download it instead (GET /api/export/${format}, the window's Export, or \`ringside journal\` on the recorded file), which streams it`,
  );
}

/** The bytes of each part, in order, closing every file however the reading ends. */
async function* partChunks(parts: readonly PartSnapshot[]): AsyncGenerator<Uint8Array> {
  let index = 0;
  try {
    for (; index < parts.length; index++) {
      const part = parts[index] as PartSnapshot;
      if (part.bytes === 0) {
        closeSync(part.fd);
        continue;
      }
      // The stream owns its file from here: it closes it when it ends or is destroyed.
      const stream = createReadStream('', { fd: part.fd, start: 0, end: part.bytes - 1, highWaterMark: READ_CHUNK_BYTES, autoClose: true });
      for await (const chunk of stream) yield chunk as Buffer;
    }
  } finally {
    for (const part of parts.slice(index + 1)) closeSync(part.fd);
  }
}

/** A saved journal's bytes, as they are read; a file that cannot be read says why in words. */
export async function* journalFileChunks(path: string): AsyncGenerator<Uint8Array> {
  let fd: number;
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('it is a folder'), { code: 'EISDIR' });
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new JournalError(`cannot read the journal ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message}`);
  }
  const stream = createReadStream('', { fd, highWaterMark: READ_CHUNK_BYTES, autoClose: true });
  for await (const chunk of stream) yield chunk as Buffer;
}

/** The file names of a capped journal's kept parts, oldest first (for tests and tools). */
export function journalPartPaths(path: string): string[] {
  const prefix = `${basename(path)}.`;
  const numbers = readdirSync(dirname(path))
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => a - b);
  return [...numbers.map((number) => join(dirname(path), `${prefix}${number}`)), path];
}
