/**
 * `ringside journal FILE [--format text|dbg|shiviz|ndjson] [--out FILE]`: reads a saved session
 * journal (NDJSON) and prints or writes it in another format. Lines that are not journal
 * entries are reported (how many, and the first few), never fatal.
 *
 * Streamed: the file is read a chunk at a time and each piece of output written before the
 * next is read (waiting while standard output or the file is full), so a journal of any size
 * is converted in bounded memory. A journal recorded in parts (`--journal-max-mb`) is read part
 * by part: give the parts oldest first (`FILE.1 FILE.2 … FILE`).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { journalFileChunks } from '../../main/cluster/journal.ts';
import { JournalDecoder, transcodeJournal } from '../../shared/journal/journal-stream.ts';
import type { ExportFormat } from '../../shared/journal/session.ts';
import { FileError } from '../files.ts';
import { EXIT_FAILED, EXIT_OK, processIo, type CliIo } from '../io.ts';

export async function journalCommand(files: string | readonly string[], options: { format: ExportFormat; out?: string }, io: CliIo): Promise<number> {
  const paths = typeof files === 'string' ? [files] : files;
  const name = paths.join(', ');
  const decoder = new JournalDecoder();
  let file: Output | undefined;
  let endsWithNewline = true;
  if (io === processIo && options.out === undefined) watchStandardOutput();
  const write = async (text: string): Promise<void> => {
    endsWithNewline = text.endsWith('\n');
    if (options.out === undefined) {
      io.out(text);
      if (io === processIo && process.stdout.writableNeedDrain && !standardOutputClosed) await drained(process.stdout);
      return;
    }
    file ??= openOutput(options.out);
    await file.write(text);
  };
  try {
    let held: string | undefined;
    for await (const piece of transcodeJournal(chunksOf(paths), options.format, decoder)) {
      // The first piece waits until it is known to hold an entry: a file of none writes nothing.
      if (decoder.entries === 0) {
        held = (held ?? '') + piece;
        continue;
      }
      if (held !== undefined) {
        await write(held);
        held = undefined;
      }
      await write(piece);
      if (io === processIo && standardOutputClosed) return EXIT_OK;
    }
    reportRefused(name, decoder, io);
    if (decoder.entries === 0) {
      io.err(`error: ${name} holds no journal entries\n`);
      return EXIT_FAILED;
    }
    if (options.out === undefined) {
      if (!endsWithNewline) io.out('\n');
    } else {
      await (file ?? openOutput(options.out)).end();
      io.err(`wrote ${decoder.entries} entries as ${options.format} to ${options.out}\n`);
    }
    return EXIT_OK;
  } finally {
    file?.destroy();
  }
}

/**
 * A reader that stops early (`ringside journal FILE | head`) closes the pipe: the command stops
 * reading and ends quietly. The listener stays for the process's life: a write still buffered
 * may fail after the command returned.
 */
let standardOutputClosed = false;
let watchingStandardOutput = false;
function watchStandardOutput(): void {
  if (watchingStandardOutput) return;
  watchingStandardOutput = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    standardOutputClosed = true;
  });
}

/** Resolves when `stream` takes more, or can take nothing more (closed, or failed: its own listener says why). */
function drained(stream: NodeJS.WritableStream & { once: NodeJS.EventEmitter['once']; off: NodeJS.EventEmitter['off'] }): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

async function* chunksOf(paths: readonly string[]): AsyncGenerator<Uint8Array> {
  for (const path of paths) yield* journalFileChunks(path);
}

interface Output {
  /** Resolves once the file can take more (at once, unless its buffer is full). */
  write(text: string): Promise<void>;
  /** Resolves once everything is on disk. */
  end(): Promise<void>;
  destroy(): void;
}

/** The `--out` file, whose errors (a full disk) reject the next write or the end, in words. */
function openOutput(path: string): Output {
  const stream: WriteStream = createWriteStream(path);
  let failure: FileError | undefined;
  const failed = new Promise<never>((_, reject) => {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= new FileError(`cannot write ${path}: ${error.code === 'ENOSPC' ? 'no space left on the device' : error.code === 'EACCES' ? 'permission denied' : (error.code ?? error.message)}`);
      reject(failure);
    });
  });
  // Nobody may be waiting when the error comes: it is kept for the next write.
  failed.catch(() => undefined);
  return {
    async write(text) {
      if (failure !== undefined) throw failure;
      if (!stream.write(text)) await drained(stream);
      if (failure !== undefined) throw failure;
    },
    async end() {
      if (failure !== undefined) throw failure;
      await Promise.race([new Promise<void>((resolve) => stream.end(resolve)), failed]);
    },
    destroy() {
      if (!stream.closed) stream.destroy();
    },
  };
}

function reportRefused(name: string, decoder: JournalDecoder, io: CliIo): void {
  if (decoder.refusedCount === 0) return;
  const first = decoder.refused
    .slice(0, 3)
    .map((line) => `line ${line.line}: ${line.reason}`)
    .join('; ');
  io.err(`${name}: ${decoder.refusedCount} lines are not journal entries and were skipped (${first})\n`);
}
