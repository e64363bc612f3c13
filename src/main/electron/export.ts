/**
 * Saving the session journal: the native save dialog asks where (starting in the folder of the
 * last save), the main process writes the file. The window learns where it went, or that the
 * user cancelled.
 *
 * The file is written as a stream from the recorded journal (`SessionJournal.exportStream`), at
 * the disk's pace: a journal of any size is saved in bounded memory, and the main process goes
 * on answering the window meanwhile.
 */
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { dialog, type BrowserWindow, type FileFilter } from 'electron';
import { z } from 'zod';
import type { ExportOutcome } from '../../shared/api/bridge.ts';
import { EXPORT_FORMATS, exportFileName, type ExportFormat } from '../../shared/journal/session.ts';
import type { ApiContext } from '../server/api.ts';

const exportFormatSchema = z.enum(EXPORT_FORMATS);

const FILTERS: Record<ExportFormat, FileFilter> = {
  ndjson: { name: 'Session journal (NDJSON)', extensions: ['ndjson'] },
  dbg: { name: 'Classroom dbg.log', extensions: ['log'] },
  text: { name: 'Text log', extensions: ['txt'] },
  shiviz: { name: 'ShiViz log', extensions: ['log'] },
};

export type JournalExporter = (owner: BrowserWindow | null, format: unknown) => Promise<ExportOutcome>;

export function createJournalExporter(context: ApiContext): JournalExporter {
  let lastFolder: string | undefined;
  return async (owner, format) => {
    const parsed = exportFormatSchema.safeParse(format);
    if (!parsed.success) throw new Error(`exportJournal: the format must be one of ${EXPORT_FORMATS.join(', ')} (got ${JSON.stringify(format) ?? String(format)})`);
    const name = exportFileName(parsed.data);
    const options = {
      title: 'Export the session journal',
      defaultPath: lastFolder === undefined ? name : join(lastFolder, name),
      filters: [FILTERS[parsed.data], { name: 'All files', extensions: ['*'] }],
      properties: ['createDirectory', 'showOverwriteConfirmation'] as ('createDirectory' | 'showOverwriteConfirmation')[],
    };
    const choice = owner === null ? await dialog.showSaveDialog(options) : await dialog.showSaveDialog(owner, options);
    if (choice.canceled || choice.filePath === undefined || choice.filePath === '') return { cancelled: true };
    // Exported after the user chose, so the file holds everything up to the moment they saved.
    const body = context.manager.journal.exportStream(parsed.data);
    try {
      await pipeline(body, createWriteStream(choice.filePath));
    } catch (error) {
      throw new Error(`exportJournal: cannot save the file (${(error as Error).message})`, { cause: error });
    }
    lastFolder = dirname(choice.filePath);
    return { saved: choice.filePath };
  };
}
