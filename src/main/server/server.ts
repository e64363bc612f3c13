/**
 * The cluster API over HTTP and WebSocket, on loopback, guarded by a per-session token:
 *
 *   GET  /?token=T                       the window (the built renderer), or a page saying how to build it
 *   GET  /api/session?token=T            session info (JSON)
 *   POST /api?token=T                    one command (JSON body: an ApiCommand) → { ok, result | error }
 *   GET  /api/export/FORMAT?token=T      the session as a download: ndjson, dbg, text or shiviz (streamed)
 *   WS   /api/ws?token=T                 requests and replies, and the event stream, batched
 *
 * A request without the token gets 401; a Host header other than this server's gets 403 (DNS
 * rebinding). Event batches go to each client at most every 50 ms, and only once its socket
 * has taken the last one, so a reply waits behind at most one batch of its own. A client that
 * reads too slowly loses the oldest entries of its backlog (bounded by bytes, see
 * `src/main/cluster/feed.ts`) and is told how many; one whose socket sends nothing for
 * `FEED_STALLED_MS_MAX` gets no more events, and is closed with `CLOSE_TOO_SLOW` and a reason
 * that says how far behind it fell once it reads again (or dropped if it never does). A body
 * over `BODY_BYTES_MAX` is answered 413 once it is read (and thrown away), and the TCP
 * connection ends as soon as a WebSocket's closing handshake does.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer, type ServerOptions as WebSocketServerOptions } from 'ws';
import { apiCommandSchema, apiRequestSchema } from '../../shared/api/cluster-api.ts';
import { EXPORT_FORMATS } from '../../shared/journal/session.ts';
import { replyId } from '../../shared/protocol/control.ts';
import { EventFeed, type EventFeedOptions } from '../cluster/feed.ts';
import { listenError, rawText } from '../../peer/transport.ts';
import { runApiCommand, sessionInfo, type ApiContext } from './api.ts';
import { isExportFormat, sendExport } from './export-route.ts';

export const DEFAULT_RENDERER_ROOT = fileURLToPath(new URL('../../../out/renderer', import.meta.url));
/** A command's body (HTTP) or request frame (WebSocket), at most. */
export const BODY_BYTES_MAX = 4 * 1_048_576;
/**
 * Bytes of an oversized body read and thrown away before the 413: a client sends its whole body
 * before it reads the answer, and a connection closed under it becomes a reset, not a 413.
 * Past this the connection is closed after the 413, whatever the client sees.
 */
const BODY_DISCARD_BYTES_MAX = 64 * 1_048_576;
/** The close code (private range) and reason a client gets when it read too slowly for too long. */
export const CLOSE_TOO_SLOW = 4008;
/**
 * How long a closing handshake may take before the TCP connection is dropped: the close frame
 * of a client that stopped reading never drains, and `ws` would wait 30 s by default.
 */
const CLOSE_TIMEOUT_MS = 1000;
/**
 * How long a client given up as too slow may take to read what its socket still holds, after
 * which it hears `CLOSE_TOO_SLOW` (the close frame then goes straight out, not behind a batch
 * it would never reach); past this its connection is dropped. A frozen tab that comes back
 * within it is told why; the socket costs no more than what it held meanwhile.
 */
const STALLED_DRAIN_MS_MAX = 60_000;
const STALLED_POLL_MS = 250;

export interface ServerOptions {
  readonly host?: string;
  readonly port: number;
  readonly token?: string;
  /** The built renderer (index.html and assets); default: `out/renderer`. */
  readonly rendererRoot?: string;
  /** Each WebSocket's event feed bounds (`src/main/cluster/feed.ts` has the defaults and why). */
  readonly eventFeed?: Pick<EventFeedOptions, 'backlogBytesMax' | 'batchBytesMax' | 'stalledMsMax'>;
}


export class ApiServer {
  readonly token: string;
  readonly host: string;
  port = 0;
  readonly #context: ApiContext;
  readonly #options: ServerOptions;
  readonly #http: Server;
  // `closeTimeout` is `ws`'s (8.23) but not yet in its types.
  readonly #ws = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: BODY_BYTES_MAX, closeTimeout: CLOSE_TIMEOUT_MS } as WebSocketServerOptions);
  readonly #clients = new Map<WebSocket, EventFeed>();

  constructor(context: ApiContext, options: ServerOptions) {
    this.#context = context;
    this.#options = options;
    this.host = options.host ?? '127.0.0.1';
    this.token = options.token ?? randomBytes(18).toString('base64url');
    this.#http = createServer((request, response) => {
      this.#route(request, response).catch((error: Error) => {
        // Headers gone already (a file that vanished while it was read): only the connection can say so.
        if (response.headersSent) response.destroy();
        else send(response, 500, { ok: false, error: error.message });
      });
    });
    this.#http.on('upgrade', (request, socket, head) => {
      // Node takes its own error listener off an upgraded socket: a reset must not crash us.
      socket.on('error', () => socket.destroy());
      // `ws` ends its side once the closing handshake is done (or a refusal is written) and then
      // waits for the client's FIN, up to its close timeout: nothing more is to be said either
      // way, so the connection ends as soon as ours is sent.
      socket.on('finish', () => socket.destroy());
      const url = requestUrl(request);
      if (url === undefined) {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        return;
      }
      if (url.pathname !== '/api/ws' || !this.#hostAllowed(request) || !this.#authorized(request, url)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
      this.#ws.handleUpgrade(request, socket, head, (client) => this.#connected(client));
    });
    // A client that says it will send a body too large hears so before it sends it.
    this.#http.on('checkContinue', (request, response) => {
      if (Number(request.headers['content-length'] ?? 0) > BODY_BYTES_MAX) {
        response.shouldKeepAlive = false;
        send(response, 413, { ok: false, error: `a request body is at most ${BODY_BYTES_MAX} bytes` });
        return;
      }
      response.writeContinue();
      this.#http.emit('request', request, response);
    });
  }

  listen(): Promise<string> {
    return new Promise((resolvePromise, reject) => {
      this.#http.once('error', (error: NodeJS.ErrnoException) => reject(new Error(listenError(error, this.host, this.#options.port, '--port PORT'))));
      this.#http.listen(this.#options.port, this.host, () => {
        const address = this.#http.address();
        this.port = typeof address === 'object' && address !== null ? address.port : this.#options.port;
        resolvePromise(this.url);
      });
    });
  }

  /** The address to open, token included. */
  get url(): string {
    return `http://${this.host}:${this.port}/?token=${this.token}`;
  }

  async close(): Promise<void> {
    for (const [socket, feed] of this.#clients) {
      feed.close();
      socket.terminate();
    }
    await new Promise((done) => this.#http.close(done));
  }

  #authorized(request: IncomingMessage, url: URL): boolean {
    const given = Buffer.from(url.searchParams.get('token') ?? request.headers['x-ringside-token']?.toString() ?? '');
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #hostAllowed(request: IncomingMessage): boolean {
    const host = request.headers.host ?? '';
    return host === `${this.host}:${this.port}` || host === `localhost:${this.port}` || host === `[::1]:${this.port}`;
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = requestUrl(request);
    if (url === undefined) return send(response, 400, { ok: false, error: 'the request target is not a path' });
    if (!this.#hostAllowed(request)) return send(response, 403, { ok: false, error: 'this server answers on its loopback address only' });
    // The renderer's own files need no token (they hold no data); every API route does.
    if (!url.pathname.startsWith('/api')) return this.#static(url.pathname, response);
    if (!this.#authorized(request, url)) return send(response, 401, { ok: false, error: 'a valid ?token= is required: use the URL `ringside serve` printed' });
    if (url.pathname === '/api/session' && request.method === 'GET') return send(response, 200, sessionInfo(this.#context));
    const exportMatch = /^\/api\/export\/([a-z]+)$/.exec(url.pathname);
    if (exportMatch !== null && request.method === 'GET') {
      const format = exportMatch[1] as string;
      if (!isExportFormat(format)) return send(response, 404, { ok: false, error: `no export format ${format} (formats: ${EXPORT_FORMATS.join(', ')})` });
      // Streamed from the recorded journal at the client's pace (export-route.ts).
      return sendExport(this.#context.manager.journal, format, response);
    }
    if (url.pathname === '/api' && request.method === 'POST') {
      const body = await readBody(request);
      if (typeof body !== 'string') {
        // Read to its end, so the client reads this answer; one past the discard bound is still
        // sending, and its connection ends after the answer.
        if (body.overflow) response.shouldKeepAlive = false;
        if (body.busy === true) return send(response, 503, { ok: false, error: 'the server is reading too many request bodies at once; retry' });
        return send(response, 413, { ok: false, error: `a request body is at most ${BODY_BYTES_MAX} bytes` });
      }
      let value: unknown;
      try {
        value = JSON.parse(body);
      } catch {
        return send(response, 400, { ok: false, error: 'the body is not JSON' });
      }
      const command = apiCommandSchema.safeParse(value);
      if (!command.success) return send(response, 400, { ok: false, error: `not a command: ${command.error.issues[0]?.message ?? 'invalid'}` });
      try {
        return send(response, 200, { ok: true, result: await runApiCommand(this.#context, command.data) });
      } catch (error) {
        return send(response, 409, { ok: false, error: (error as Error).message });
      }
    }
    return send(response, 404, { ok: false, error: `no route ${request.method} ${url.pathname}` });
  }

  #static(pathname: string, response: ServerResponse): void {
    const root = resolve(this.#options.rendererRoot ?? DEFAULT_RENDERER_ROOT);
    const index = join(root, 'index.html');
    if (!existsSync(index)) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(
        '<!doctype html><title>Ringside</title><h1>Ringside</h1><p>The cluster runs and its API answers at <code>/api</code>, but the window is not built: run <code>npm run build</code>, then reload.</p>',
      );
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return send(response, 400, { ok: false, error: 'the path is not percent-encoded UTF-8' });
    }
    const relative = normalize(decoded).replace(/^([/\\])+/, '');
    let file = join(root, relative);
    if (!file.startsWith(root + sep) && file !== root) return send(response, 403, { ok: false, error: 'outside the renderer' });
    if (!existsSync(file) || statSync(file).isDirectory()) file = index;
    // Read before the headers go: a read that fails still gets its own answer.
    const body = readFileSync(file);
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(body);
  }

  #connected(socket: WebSocket): void {
    const feed = new EventFeed(
      this.#context.manager,
      (_batch, text) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(text());
      },
      {
        ...this.#options.eventFeed,
        // The next batch waits until the socket took the last one: a reply to this client then
        // waits behind one batch at most, and a slow reader's backlog stays in the feed, where
        // it is bounded and costs O(1) an entry, not in the socket.
        queuedBytes: () => socket.bufferedAmount,
        onStalled: (behind) => this.#giveUp(socket, behind),
      },
    );
    this.#clients.set(socket, feed);
    socket.on('close', () => {
      feed.close();
      this.#clients.delete(socket);
    });
    socket.on('error', () => undefined);
    socket.on('message', (data) => {
      let value: unknown;
      try {
        value = JSON.parse(rawText(data));
      } catch {
        value = undefined;
      }
      const request = apiRequestSchema.safeParse(value);
      if (!request.success) {
        const id = replyId(value);
        socket.send(JSON.stringify({ t: 'res', id, ok: false, error: `not a request: ${request.error.issues[0]?.message ?? 'invalid'}` }));
        return;
      }
      const { id, command } = request.data;
      runApiCommand(this.#context, command).then(
        (result) => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify({ t: 'res', id, ok: true, result: result ?? null })),
        (error: Error) => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify({ t: 'res', id, ok: false, error: error.message })),
      );
    });
  }

  /**
   * A client that stopped reading: its feed has ended; once its socket has handed
   * what it holds to the system (the client reads again) it hears why, with every entry it
   * missed counted; one that never reads again is dropped after `STALLED_DRAIN_MS_MAX`.
   */
  #giveUp(socket: WebSocket, behind: number): void {
    const journal = this.#context.manager.journal;
    const sizeAtStall = journal.size;
    const startedAt = Date.now();
    const timer = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) {
        clearInterval(timer);
      } else if (socket.bufferedAmount === 0) {
        clearInterval(timer);
        socket.close(CLOSE_TOO_SLOW, `too slow: ${behind + journal.size - sizeAtStall} events behind`);
      } else if (Date.now() - startedAt >= STALLED_DRAIN_MS_MAX) {
        clearInterval(timer);
        socket.terminate();
      }
    }, STALLED_POLL_MS);
    socket.once('close', () => clearInterval(timer));
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The request's target as a URL, or undefined when it is none (`//`, `//a b`: `new URL` throws). */
function requestUrl(request: IncomingMessage): URL | undefined {
  try {
    return new URL(request.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

/**
 * Bytes of request bodies held at once, across every connection: three hundred slow clients each
 * sending just under the per-body limit must not take the manager to gigabytes.
 */
export const BODIES_HELD_BYTES_MAX = 64 * 1_048_576;
let bodiesHeld = 0;

/**
 * The body as text; or, for one over `BODY_BYTES_MAX`, read to its end and thrown away (the
 * client reads the 413 once it has sent it all), up to `BODY_DISCARD_BYTES_MAX` (`overflow`);
 * or `busy` when the bodies being read together would pass `BODIES_HELD_BYTES_MAX`.
 */
function readBody(request: IncomingMessage): Promise<string | { readonly overflow: boolean; readonly busy?: true }> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let held = 0;
    const release = (): void => {
      bodiesHeld -= held;
      held = 0;
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= BODY_BYTES_MAX) {
        if (bodiesHeld + chunk.length > BODIES_HELD_BYTES_MAX) {
          request.off('data', onData);
          request.pause();
          release();
          chunks.length = 0;
          resolvePromise({ overflow: true, busy: true });
          return;
        }
        chunks.push(chunk);
        held += chunk.length;
        bodiesHeld += chunk.length;
      } else if (chunks.length > 0) {
        chunks.length = 0;
        release();
      }
      if (size > BODY_DISCARD_BYTES_MAX) {
        request.off('data', onData);
        request.pause();
        resolvePromise({ overflow: true });
      }
    };
    request.on('data', onData);
    request.on('end', () => {
      const text = size > BODY_BYTES_MAX ? undefined : Buffer.concat(chunks).toString('utf8');
      release();
      resolvePromise(text === undefined ? { overflow: false } : text);
    });
    request.on('close', release);
    request.on('error', (error) => {
      release();
      reject(error);
    });
  });
}
