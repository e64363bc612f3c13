/**
 * The bridge between the sandboxed page and the main process, exposed as `window.ringside`: one
 * function per capability of the cluster API, each on its own channel (`cluster:<name>`), the
 * journal export, and an event subscription that hands back its unsubscribe function. Nothing
 * generic: the page never sees ipcRenderer, a channel name or an IPC event.
 *
 * Bundled as CommonJS (a sandboxed preload cannot be an ES module); it imports nothing but
 * `electron` and the shared bridge's names.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  CAPABILITY_NAMES,
  capabilityChannel,
  EVENTS_CHANNEL,
  type CapabilityName,
  type ExportOutcome,
  type RingsideBridge,
} from '../shared/api/bridge.ts';
import type { ApiEvents } from '../shared/api/cluster-api.ts';
import type { ExportFormat } from '../shared/journal/session.ts';

/** Electron's wrapping of an error thrown in the main process: `Error invoking remote method 'cluster:x': Error: …`. */
const REMOTE_ERROR = /^Error invoking remote method '[^']*': (?:(\w*Error): )?/;

/** The main process's error as the page should see it: its own message (and name). */
export function unwrapRemoteError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const match = REMOTE_ERROR.exec(error.message);
  if (match === null) return error;
  const unwrapped = new Error(error.message.slice(match[0].length));
  if (match[1] !== undefined && match[1] !== 'Error') unwrapped.name = match[1];
  return unwrapped;
}

async function call(channel: string, args: readonly unknown[]): Promise<never> {
  try {
    return (await ipcRenderer.invoke(channel, ...args)) as never;
  } catch (error) {
    throw unwrapRemoteError(error);
  }
}

const capabilities = Object.fromEntries(
  CAPABILITY_NAMES.map((name: CapabilityName) => [name, (...args: unknown[]) => call(capabilityChannel(name), args)]),
) as Record<CapabilityName, (...args: unknown[]) => Promise<never>>;

const listeners = new Set<(events: ApiEvents) => void>();
function deliver(_event: IpcRendererEvent, batch: ApiEvents): void {
  for (const listener of listeners) {
    try {
      listener(batch);
    } catch (error) {
      console.error('ringside: an event listener failed', error);
    }
  }
}

const bridge = {
  ...capabilities,
  exportJournal: (format: ExportFormat): Promise<ExportOutcome> => call(capabilityChannel('exportJournal'), [format]),
  onEvents(listener: (events: ApiEvents) => void): () => void {
    // Each subscription is its own entry, so subscribing one function twice needs two unsubscribes.
    const entry = (events: ApiEvents): void => listener(events);
    listeners.add(entry);
    if (listeners.size === 1) {
      ipcRenderer.on(EVENTS_CHANNEL, deliver);
      ipcRenderer.send(EVENTS_CHANNEL, 'subscribe');
    }
    return () => {
      if (!listeners.delete(entry) || listeners.size > 0) return;
      ipcRenderer.removeListener(EVENTS_CHANNEL, deliver);
      ipcRenderer.send(EVENTS_CHANNEL, 'unsubscribe');
    };
  },
} satisfies RingsideBridge;

contextBridge.exposeInMainWorld('ringside', bridge);
