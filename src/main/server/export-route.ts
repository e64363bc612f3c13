/**
 * `GET /api/export/FORMAT`: the session journal as a download, streamed. The recorded parts
 * go through the format's writer a piece at a time and into the response as fast as the client
 * reads it (`pipeline` waits while the socket is full), so an export of any size holds about one
 * piece in memory and never stops the event loop for long. A client that goes away stops the
 * reading. Headers are sent when the first piece is ready: a journal that cannot be opened is
 * still answered with an error.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { EXPORT_FORMATS, exportFileName, type ExportFormat } from '../../shared/journal/session.ts';
import type { SessionJournal } from '../cluster/journal.ts';

/** The export formats the route knows: `ndjson`, `dbg`, `text`, `shiviz`. */
export function isExportFormat(name: string): name is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(name);
}

export async function sendExport(journal: SessionJournal, format: ExportFormat, response: ServerResponse): Promise<void> {
  // Opening the parts may fail (a recording deleted under us): the caller answers 500 then.
  const body = journal.exportStream(format);
  response.writeHead(200, {
    'content-type': format === 'ndjson' ? 'application/x-ndjson' : 'text/plain; charset=utf-8',
    'content-disposition': `attachment; filename="${exportFileName(format)}"`,
  });
  try {
    await pipeline(body, response);
  } catch {
    // The client went away, or reading failed mid-way: the response is cut short (the client
    // sees an incomplete download); `pipeline` has destroyed both sides.
  }
}
