/**
 * The cluster API over IPC: one handler per capability on its own channel (`cluster:<name>`),
 * each checking the sender, rebuilding the command from the arguments with the shared
 * CAPABILITIES and parsing it with the shared schema before the dispatcher runs it. Plus the
 * journal export (native save dialog) and the event stream.
 *
 * A handler that throws rejects the window's promise; the preload turns it back into an Error
 * with the original message.
 */
import { BrowserWindow, ipcMain } from 'electron';
import { CAPABILITIES, CAPABILITY_NAMES, capabilityChannel, type CapabilityName } from '../../shared/api/bridge.ts';
import { apiCommandSchema, type ApiCommand } from '../../shared/api/cluster-api.ts';
import { runApiCommand, type ApiContext } from '../server/api.ts';
import { enableEventFeeds } from './events.ts';
import { createJournalExporter } from './export.ts';
import type { RendererLocation } from './renderer-location.ts';
import { assertTrustedSender } from './trusted-sender.ts';

export function enableClusterIpc(context: ApiContext, location: RendererLocation): void {
  for (const name of CAPABILITY_NAMES) {
    ipcMain.handle(capabilityChannel(name), (event, ...args: unknown[]) => {
      assertTrustedSender(event, location, name);
      return runApiCommand(context, commandFor(name, args));
    });
  }
  const exportJournal = createJournalExporter(context);
  ipcMain.handle(capabilityChannel('exportJournal'), (event, format: unknown) => {
    assertTrustedSender(event, location, 'exportJournal');
    return exportJournal(BrowserWindow.fromWebContents(event.sender), format);
  });
  enableEventFeeds(context, location);
}

/** The command a capability's arguments make, parsed with the shared schema, or a clear Error. */
export function commandFor(name: CapabilityName, args: readonly unknown[]): ApiCommand {
  let input: unknown;
  try {
    input = (CAPABILITIES[name] as (...args: readonly unknown[]) => unknown)(...args);
  } catch (error) {
    throw new Error(`${name}: malformed arguments`, { cause: error });
  }
  const parsed = apiCommandSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
    throw new Error(`${name}: malformed request (${problems.join('; ')})`);
  }
  return parsed.data;
}
