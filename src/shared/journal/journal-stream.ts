/**
 * Journals as streams: NDJSON bytes in, entries or an export format out, a piece at a time, so
 * a journal of any size is read, imported or exported in bounded memory.
 *
 * The caller owns the IO: it reads the bytes (a file, a browser `File`), hands each chunk to
 * `JournalDecoder.push` (or iterates `readJournal` / `transcodeJournal` over them), writes out
 * what comes back, and waits for its writer to drain before it reads more (back-pressure).
 * What a decoder holds at once is one line, at most `lineBytesMax` bytes: a longer line is
 * skipped and reported, not gathered.
 */
import { parseJournalLine, REFUSED_LINES_KEPT, sessionWriter, type ExportFormat, type SessionEntry } from './session.ts';

/**
 * A journal line's length at most, in bytes. Entries are a few hundred bytes now; journals
 * written before issue 12 carry whole values (1 MiB each, up to six times that escaped in JSON).
 */
export const JOURNAL_LINE_BYTES_MAX = 16 * 1_048_576;
/** Text a transcoder gathers before handing it on: large enough for few writes, small enough to stay bounded. */
export const TRANSCODE_PIECE_CHARS = 64 * 1024;

const NEWLINE = 0x0a;

export interface JournalRefusals {
  /** The first `REFUSED_LINES_KEPT` lines that were not journal entries: their numbers and why. */
  readonly refused: { line: number; reason: string }[];
  refusedCount: number;
}

/** Splits NDJSON bytes into journal entries; bad lines are counted and reported, never fatal. */
export class JournalDecoder implements JournalRefusals {
  readonly refused: { line: number; reason: string }[] = [];
  refusedCount = 0;
  /** Entries read so far. */
  entries = 0;
  readonly #lineBytesMax: number;
  readonly #decoder = new TextDecoder();
  /** The start of the line under way: pieces of chunks, and their length. */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** The line under way is longer than allowed: its bytes are dropped up to its newline. */
  #skipping = false;
  #lineNumber = 0;

  constructor(options: { lineBytesMax?: number } = {}) {
    this.#lineBytesMax = options.lineBytesMax ?? JOURNAL_LINE_BYTES_MAX;
  }

  /** The entries of the lines `chunk` completes, in order. */
  push(chunk: Uint8Array): SessionEntry[] {
    const entries: SessionEntry[] = [];
    let from = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, from);
      if (newline === -1) {
        this.#keep(chunk.subarray(from));
        return entries;
      }
      this.#keep(chunk.subarray(from, newline));
      this.#line(entries);
      from = newline + 1;
    }
  }

  /** The entry of a last line without a newline, if any. */
  end(): SessionEntry[] {
    const entries: SessionEntry[] = [];
    if (this.#pendingBytes > 0 || this.#skipping) this.#line(entries);
    return entries;
  }

  #keep(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.#skipping) return;
    if (this.#pendingBytes + bytes.length > this.#lineBytesMax) {
      this.#skipping = true;
      this.#pending = [];
      this.#pendingBytes = 0;
      return;
    }
    // A copy (a Buffer's `slice` would be a view): the caller may reuse the chunk's memory once push returns.
    this.#pending.push(new Uint8Array(bytes));
    this.#pendingBytes += bytes.length;
  }

  #line(entries: SessionEntry[]): void {
    this.#lineNumber++;
    if (this.#skipping) {
      this.#skipping = false;
      this.#refuse(`longer than ${this.#lineBytesMax} bytes`);
      return;
    }
    const bytes = this.#pending.length === 1 ? (this.#pending[0] as Uint8Array) : concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    const parsed = parseJournalLine(this.#decoder.decode(bytes));
    if (parsed === undefined) return;
    if ('reason' in parsed) {
      this.#refuse(parsed.reason);
      return;
    }
    this.entries++;
    entries.push(parsed.entry);
  }

  #refuse(reason: string): void {
    this.refusedCount++;
    if (this.refused.length < REFUSED_LINES_KEPT) this.refused.push({ line: this.#lineNumber, reason });
  }
}

function concat(pieces: readonly Uint8Array[], length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}

/** The entries of an NDJSON journal's bytes, as they come; `decoder` says what was refused. */
export async function* readJournal(chunks: AsyncIterable<Uint8Array>, decoder: JournalDecoder = new JournalDecoder()): AsyncGenerator<SessionEntry[]> {
  for await (const chunk of chunks) {
    const entries = decoder.push(chunk);
    if (entries.length > 0) yield entries;
  }
  const last = decoder.end();
  if (last.length > 0) yield last;
}

/**
 * An NDJSON journal's bytes in an export format, in pieces of about `TRANSCODE_PIECE_CHARS`
 * characters: pulled one at a time, so a consumer that writes each before it asks for the next
 * reads the source no faster than it can write. The output is `formatSession` of the entries.
 */
export async function* transcodeJournal(chunks: AsyncIterable<Uint8Array>, format: ExportFormat, decoder: JournalDecoder = new JournalDecoder()): AsyncGenerator<string> {
  yield* writeSession(readJournal(chunks, decoder), format);
}

/** Entries (in batches, journal order) in an export format, in pieces of about `TRANSCODE_PIECE_CHARS`. */
export async function* writeSession(batches: AsyncIterable<readonly SessionEntry[]> | Iterable<readonly SessionEntry[]>, format: ExportFormat): AsyncGenerator<string> {
  const writer = sessionWriter(format);
  let parts: string[] = [writer.head];
  let length = writer.head.length;
  for await (const batch of batches) {
    for (const entry of batch) {
      const text = writer.entry(entry);
      if (text === '') continue;
      parts.push(text);
      length += text.length;
      if (length >= TRANSCODE_PIECE_CHARS) {
        yield parts.join('');
        parts = [];
        length = 0;
      }
    }
  }
  parts.push(writer.end());
  const rest = parts.join('');
  if (rest !== '') yield rest;
}
