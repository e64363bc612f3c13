/**
 * The renderer's one client of the cluster API: the Electron preload's bridge when there is
 * one, otherwise the web server's WebSocket (the page's own origin and its `?token=`). Stores
 * call it; components never do.
 */
import type { RingsideBridge } from '../../../shared/api/bridge.ts';
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
  if (bridge !== undefined) {
    // The IPC bridge is always there: it is the same process.
    return { ...bridge, transport: 'electron', onConnection: (listener) => (listener('open'), () => undefined) };
  }
  const url = new URL(location.href);
  const token = url.searchParams.get('token') ?? sessionStorage.getItem('ringside-token');
  if (token === null || token === '') throw new NoTokenError('open the address `ringside serve` printed: it carries the session token (?token=…)');
  // Keep the token across reloads without leaving it in the address bar.
  sessionStorage.setItem('ringside-token', token);
  const socket = createWebSocketBridge(new URL(url.origin), token);
  return Object.assign(socket, { transport: 'websocket' as const });
}
