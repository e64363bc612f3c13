/**
 * The renderer's one client of the cluster API: the Electron preload's bridge when there is
 * one, otherwise the web server's WebSocket (the page's own origin and its `?token=`). Stores
 * call it; components never do.
 */
import { CAPABILITY_NAMES, type RingsideBridge } from '../../../shared/api/bridge.ts';
import { createWebSocketBridge, type ConnectionState } from './websocket.ts';

export interface ClusterClient extends RingsideBridge {
  readonly transport: 'electron' | 'websocket';
  onConnection(listener: (state: ConnectionState, detail?: string) => void): () => void;
}

declare global {
  interface Window {
    ringside?: RingsideBridge;
  }
}

export class NoTokenError extends Error {
  override readonly name = 'NoTokenError';
}

export function createClusterClient(location: Location = window.location): ClusterClient {
  const bridge = window.ringside;
  if (bridge !== undefined) return electronClient(bridge);
  const url = new URL(location.href);
  const token = url.searchParams.get('token') ?? sessionStorage.getItem('ringside-token');
  if (token === null || token === '') throw new NoTokenError('open the address `ringside serve` printed: it carries the session token (?token=…)');
  // Keep the token for reloads, even of an address that lost its query.
  sessionStorage.setItem('ringside-token', token);
  const socket = createWebSocketBridge(new URL(url.origin), token);
  return Object.assign(socket, { transport: 'websocket' as const });
}

/**
 * The preload's bridge, with arguments copied to plain data first: IPC cannot clone Vue's
 * reactive proxies ("An object could not be cloned", electron/electron#39598).
 */
function electronClient(bridge: RingsideBridge): ClusterClient {
  const plain = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
  const capabilities = Object.fromEntries(
    CAPABILITY_NAMES.map((name) => [name, (...args: unknown[]) => (bridge[name] as (...parameters: unknown[]) => Promise<unknown>)(...args.map(plain))]),
  );
  return {
    ...(capabilities as unknown as RingsideBridge),
    exportJournal: (format) => bridge.exportJournal(format),
    onEvents: (listener) => bridge.onEvents(listener),
    transport: 'electron',
    // The bridge is always there: it is the same application.
    onConnection: (listener) => (listener('open'), () => undefined),
  };
}
