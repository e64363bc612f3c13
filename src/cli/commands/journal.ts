/**
 * `ringside journal FILE [--format text|dbg|shiviz|ndjson] [--out FILE]`: reads a saved session
 * journal (NDJSON) and prints or writes it in another format. Lines that are not journal
 * entries are reported (how many, and the first few), never fatal.
 */
import { readJournalFile } from '../../main/cluster/journal.ts';
import { formatSession, type ExportFormat } from '../../shared/journal/session.ts';
import { writeTextFile } from '../files.ts';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../io.ts';

export function journalCommand(file: string, options: { format: ExportFormat; out?: string }, io: CliIo): number {
  const parsed = readJournalFile(file);
  if (parsed.refusedCount > 0) {
    const first = parsed.refused.slice(0, 3).map((line) => `line ${line.line}: ${line.reason}`).join('; ');
    io.err(`${file}: ${parsed.refusedCount} lines are not journal entries and were skipped (${first})\n`);
  }
  if (parsed.entries.length === 0) {
    io.err(`error: ${file} holds no journal entries\n`);
    return EXIT_FAILED;
  }
  const text = formatSession(parsed.entries, options.format);
  if (options.out === undefined) io.out(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  else {
    writeTextFile(options.out, text);
    io.err(`wrote ${parsed.entries.length} entries as ${options.format} to ${options.out}\n`);
  }
  return EXIT_OK;
}
