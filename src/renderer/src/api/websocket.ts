/**
 * The cluster API over the web server's WebSocket (`ringside serve`): the same `RingsideBridge`
 * the Electron preload exposes, so nothing above this file knows which transport it runs on.
 *
 * Requests wait for the socket while it (re)connects; a request unanswered after
 * `REQUEST_TIMEOUT_MS` fails with a clear error, and one that failed is never sent afterwards.
 * The socket reconnects with a growing delay and `onConnection` says so, so the window can show
 * it, with the server's reason when it gave one (a window that read too slowly is closed with
 * "too slow: N events behind"; the entries it missed are counted by the stream store). When a
 * handshake fails, the server is asked why: one that answers but refuses the token is
 * a new session (each `ringside serve` makes its own token), so the connection has `ended`: no
 * retry can succeed, and requests fail at once.
 */
import { CAPABILITIES, CAPABILITY_NAMES, type CapabilityName, type ExportOutcome, type RingsideBridge } from '../../../shared/api/bridge.ts';
import { apiResponseSchema, peerSummarySchema, type ApiCommandInput, type ApiEvents, type ApiResponse } from '../../../shared/api/cluster-api.ts';
import type { SessionEntry } from '../../../shared/journal/session.ts';
import { exportFileName, type ExportFormat } from '../../../shared/journal/session.ts';

/** Starting 64 peers on a small machine takes a while; nothing else comes near. */
const REQUEST_TIMEOUT_MS = 120_000;
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000];

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'ended';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface WebSocketBridge extends RingsideBridge {
  onConnection(listener: (state: ConnectionState, detail?: string) => void): () => void;
  close(): void;
}

export function createWebSocketBridge(base: URL, token: string): WebSocketBridge {
  const listeners = new Set<(events: ApiEvents) => void>();
  const connectionListeners = new Set<(state: ConnectionState, detail?: string) => void>();
  const pending = new Map<number, Pending>();
  /** Frames of requests not sent yet, by id: sent when the socket opens. */
  const waiting = new Map<number, string>();
  let socket: WebSocket | undefined;
  let nextId = 1;
  let attempt = 0;
  let closed = false;
  /** Why no connection can succeed any more (the server refused the token), once it is known. */
  let ended: string | undefined;

  const wsUrl = new URL('/api/ws', base);
  wsUrl.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  wsUrl.searchParams.set('token', token);

  const announce = (state: ConnectionState, detail?: string): void => {
    for (const listener of connectionListeners) listener(state, detail);
  };

  const connect = (): void => {
    announce('connecting');
    const current = new WebSocket(wsUrl);
    socket = current;
    let opened = false;
    current.addEventListener('open', () => {
      opened = true;
      attempt = 0;
      announce('open');
      for (const frame of waiting.values()) current.send(frame);
      waiting.clear();
    });
    current.addEventListener('message', (message) => {
      let frame;
      try {
        frame = readFrame(String(message.data));
      } catch (error) {
        console.error('ringside: an unreadable frame from the server', error);
        return;
      }
      if (frame.t === 'events') {
        for (const listener of listeners) listener(frame);
        return;
      }
      const request = pending.get(frame.id);
      if (request === undefined) return;
      pending.delete(frame.id);
      clearTimeout(request.timer);
      if (frame.ok) request.resolve(frame.result ?? undefined);
      else request.reject(new Error(frame.error));
    });
    // Some clients (Node's) report a refused handshake as an error and never as a close.
    current.addEventListener('error', () => {
      if (current.readyState !== WebSocket.OPEN) onClosed(1006, '');
    });
    current.addEventListener('close', (event) => onClosed(event.code, event.reason));
    const onClosed = (code: number, reason: string): void => {
      if (socket !== current) return;
      socket = undefined;
      // Requests in flight may or may not have run: say so rather than retry them. Those not
      // sent yet wait for the next connection.
      for (const [id, request] of pending) {
        if (waiting.has(id)) continue;
        clearTimeout(request.timer);
        request.reject(new Error('the connection to the cluster closed before it answered'));
        pending.delete(id);
      }
      if (closed) return;
      const retry = (detail: string): void => {
        announce('closed', detail);
        const delay = RECONNECT_DELAYS_MS[Math.min(attempt++, RECONNECT_DELAYS_MS.length - 1)];
        setTimeout(() => !closed && connect(), delay);
      };
      if (opened || code !== 1006) {
        retry(code === 1006 ? 'the server is not answering' : reason === '' ? `closed (${code})` : `the server closed it: ${reason}`);
        return;
      }
      // The handshake failed, and a browser does not say why: ask the server.
      void tokenRefused().then((refused) => {
        if (closed) return;
        if (refused) end(`the server at ${base.host} runs a new session, which refuses this window's token; open the address \`ringside serve\` printed`);
        else retry('the server is not answering');
      });
    };
  };

  /** True when the server answers but refuses the token (401). */
  const tokenRefused = async (): Promise<boolean> => {
    const url = new URL('/api/session', base);
    url.searchParams.set('token', token);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      return response.status === 401;
    } catch {
      return false;
    }
  };

  const end = (reason: string): void => {
    ended = reason;
    waiting.clear();
    for (const [id, request] of pending) {
      clearTimeout(request.timer);
      request.reject(new Error(reason));
      pending.delete(id);
    }
    announce('ended', reason);
  };

  const request = (command: ApiCommandInput): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (ended !== undefined) {
        reject(new Error(ended));
        return;
      }
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        // Never sent: it must not run later, after the window has said it failed.
        waiting.delete(id);
        reject(new Error(`no answer to ${command.type} within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      const frame = JSON.stringify({ t: 'req', id, command });
      if (socket?.readyState === WebSocket.OPEN) socket.send(frame);
      else waiting.set(id, frame);
    });

  const capabilities = Object.fromEntries(
    CAPABILITY_NAMES.map((name: CapabilityName) => [
      name,
      (...args: unknown[]) => request((CAPABILITIES[name] as (...parameters: unknown[]) => ApiCommandInput)(...args)),
    ]),
  ) as unknown as Pick<RingsideBridge, CapabilityName>;

  connect();
  return {
    ...capabilities,
    async exportJournal(format: ExportFormat): Promise<ExportOutcome> {
      const url = new URL(`/api/export/${format}`, base);
      url.searchParams.set('token', token);
      const response = await fetch(url);
      if (!response.ok) throw new Error(`the export failed: ${response.status} ${await response.text()}`);
      const blob = await response.blob();
      const name = exportFileName(format);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      return { downloaded: name };
    },
    onEvents(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    close() {
      closed = true;
      socket?.close();
    },
  };
}

/**
 * One frame from the server. Replies are parsed with their schema. Event batches carry up to
 * tens of thousands of entries a second that the manager already validated when its peers sent
 * them, and a full schema parse of each was the page's largest script cost under load
 * (`npm run bench:ui`): their envelope and each entry's shape are checked, and an entry that is
 * not one is dropped and reported.
 */
export function readFrame(text: string): ApiEvents | ApiResponse {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || (value as { t?: unknown }).t !== 'events') return apiResponseSchema.parse(value);
  const batch = value as { entries?: unknown; peers?: unknown; dropped?: unknown };
  if (!Array.isArray(batch.entries)) throw new Error('an event batch without entries');
  const entries = batch.entries.filter(isEntryShaped);
  if (entries.length < batch.entries.length) console.error(`ringside: ${batch.entries.length - entries.length} malformed journal entries dropped`);
  const events: ApiEvents = { t: 'events', entries };
  if (batch.peers !== undefined) events.peers = peerSummarySchema.array().parse(batch.peers);
  if (typeof batch.dropped === 'number') events.dropped = batch.dropped;
  return events;
}

function isEntryShaped(entry: unknown): entry is SessionEntry {
  if (typeof entry !== 'object' || entry === null) return false;
  const { seq, at, event } = entry as { seq?: unknown; at?: unknown; event?: { kind?: unknown; tick?: unknown } };
  return Number.isInteger(seq) && typeof at === 'number' && typeof event === 'object' && event !== null && typeof event.kind === 'string' && typeof event.tick === 'number';
}
