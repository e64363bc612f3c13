/**
 * A peer's WebSocket transport: one port for peers and control clients alike, one connection
 * per peer pair, a mutual HMAC handshake (see `shared/protocol/control.ts`), reconnection with
 * backoff, bounded send queues, and every refusal counted and reported, never thrown.
 *
 * Two peers that dial each other at once end up with two connections; both keep the one dialed
 * by the smaller id and close the other, so they agree without talking about it.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { networkInterfaces } from 'node:os';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { dial, HANDSHAKE_TIMEOUT_MS, type HandshakeError, type TlsClientOptions } from './handshake.ts';
import type { DropReason, RejectReason } from '../shared/journal/events.ts';
import {
  authProof,
  authSchema,
  CONTROL_FRAME_BYTES_MAX,
  CONTROL_PROTOCOL_VERSION,
  sameProof,
  welcomeProof,
  type TransportCounters,
} from '../shared/protocol/control.ts';

/** Messages queued for a peer while its connection opens; more are dropped (buffer-full). */
const QUEUE_MESSAGES_MAX = 1024;
/** Bytes the socket may hold unsent (a paused or slow peer); more are dropped (buffer-full). */
const SOCKET_BUFFER_BYTES_MAX = 16 * 1_048_576;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 2000;
/** How often `drained` looks again. */
const DRAIN_POLL_MS = 5;
/**
 * Before the handshake completes a connection may send one frame of at most this many bytes (the
 * auth frame is about 300): a stranger cannot make a peer hold more than this per connection.
 */
export const HANDSHAKE_FRAME_BYTES_MAX = 4096;
/**
 * Connections still in their handshake, at most; a newcomer past the bound closes the oldest.
 * With the frame bound and the HTTP header bound (16 KiB), strangers can make a peer hold about
 * 1.3 MB at most, and cannot lock a real client out by holding every slot.
 */
export const UNAUTHENTICATED_CONNECTIONS_MAX = 64;
/** A refused connection gets this long to finish the closing handshake before it is cut. */
const CLOSE_GRACE_MS = 1000;
/**
 * Bytes a control client may leave unread (replies and events) before it is disconnected: the
 * manager reads promptly; a client that does not must not grow the peer without bound.
 */
export const CONTROL_UNREAD_BYTES_MAX = 64 * 1_048_576;
/** The HTTP upgrade request must arrive within this time. */
const UPGRADE_HEADERS_TIMEOUT_MS = 5000;

/** A peer port served over TLS (`wss://`): its certificate and key, in PEM. */
export interface TlsServerOptions {
  readonly cert: string;
  readonly key: string;
}

export interface TransportOptions {
  readonly host: string;
  readonly port: number;
  /** The host other peers dial (default `host`); never 0.0.0.0 or :: (see `advertisedHost`). */
  readonly advertise?: string | undefined;
  readonly secret: string;
  /** Serve `wss://` with this certificate, and dial peers with `tlsClient`. */
  readonly tls?: (TlsServerOptions & TlsClientOptions) | undefined;
  /** The largest protocol message accepted (larger frames close the connection). */
  readonly messageBytesMax: number;
  /** A protocol message from an authenticated peer. */
  readonly onMessage: (from: string, data: string) => void;
  /** An authenticated control client connected. */
  readonly onControl: (channel: ControlChannel) => void;
  /** Something was refused: counted here, journaled by the caller. */
  readonly onRefused: (from: string, reason: RejectReason, detail: string) => void;
  /**
   * An authenticated `file` connection from the peer `from` (a DHT file transfer): the handler
   * owns the socket. Without a handler such connections are closed.
   */
  readonly onFile?: (from: string, socket: WebSocket) => void;
  /** Words for a failure to listen; default: `listenError`'s, which suggest `--listen`. */
  readonly describeListenError?: (error: NodeJS.ErrnoException) => string;
}

/** A control client's connection, after the handshake. */
export interface ControlChannel {
  send(text: string): void;
  /** Bytes waiting to be sent: a slow client gets fewer event batches. */
  readonly buffered: number;
  onMessage(handler: (text: string) => void): void;
  onClose(handler: () => void): void;
  close(): void;
}

interface Link {
  /** The authenticated, open connection, and who dialed it. */
  socket: WebSocket | undefined;
  dialer: string;
  dialing: boolean;
  queue: string[];
  backoffMs: number;
  retryAt: number;
}

export class WsTransport {
  readonly id: string;
  readonly port: number;
  readonly counters: TransportCounters = {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    framesReceived: 0,
    framesRefused: {},
    messagesSent: 0,
    messagesDropped: {},
    reconnects: 0,
  };
  readonly #options: TransportOptions;
  readonly #server: WebSocketServer;
  readonly #http: HttpServer;
  readonly #links = new Map<string, Link>();
  readonly #sockets = new Set<WebSocket>();
  /** Connections in their handshake, oldest first. */
  readonly #handshaking = new Set<{ socket: WebSocket; remote: string; end: () => void }>();
  #closed = false;

  private constructor(options: TransportOptions, http: HttpServer, server: WebSocketServer, port: number) {
    this.#options = options;
    this.#http = http;
    this.#server = server;
    this.port = port;
    const host = options.advertise ?? options.host;
    this.id = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    server.on('connection', (socket, request) => this.#accept(socket, `${request.socket.remoteAddress ?? 'unknown'}:${request.socket.remotePort ?? 0}`));
  }

  /** Listens on `host:port` (0: any free port). Rejects with a clear message if it cannot. */
  static listen(options: TransportOptions): Promise<WsTransport> {
    return new Promise((resolve, reject) => {
      // Strangers get little time and little room before the upgrade (Node's header limit is 16 KiB).
      const limits = { headersTimeout: UPGRADE_HEADERS_TIMEOUT_MS, requestTimeout: UPGRADE_HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1000 };
      const http = options.tls === undefined ? createHttpServer(limits) : createHttpsServer({ ...limits, cert: options.tls.cert, key: options.tls.key });
      http.on('request', (_request, response) => {
        response.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
        response.end('a Ringside peer: connect with a WebSocket and the handshake\n');
      });
      http.on('tlsClientError', (_error, socket) => socket.destroy());
      const server = new WebSocketServer({
        server: http,
        perMessageDeflate: false,
        maxPayload: Math.max(options.messageBytesMax + 1024, CONTROL_FRAME_BYTES_MAX),
      });
      server.on('error', () => undefined);
      http.once('error', (error: NodeJS.ErrnoException) => {
        reject(Object.assign(new Error(options.describeListenError?.(error) ?? listenError(error, options.host, options.port)), { code: error.code }));
      });
      http.listen(options.port, options.host, () => {
        const address = http.address();
        const port = typeof address === 'object' && address !== null ? address.port : options.port;
        http.on('error', () => undefined);
        resolve(new WsTransport(options, http, server, port));
      });
    });
  }

  /** Sends one protocol message to `to`, or says why it cannot. */
  send(to: string, data: string): DropReason | undefined {
    if (this.#closed) return this.#dropped('target-down');
    let link = this.#links.get(to);
    if (link === undefined) {
      link = { socket: undefined, dialer: '', dialing: false, queue: [], backoffMs: 0, retryAt: 0 };
      this.#links.set(to, link);
    }
    const socket = link.socket;
    if (socket !== undefined && socket.readyState === WebSocket.OPEN) {
      if (socket.bufferedAmount > SOCKET_BUFFER_BYTES_MAX) return this.#dropped('buffer-full');
      this.#cork(socket);
      socket.send(data);
      this.counters.messagesSent++;
      return undefined;
    }
    if (!link.dialing && Date.now() < link.retryAt) return this.#dropped('target-down');
    if (link.queue.length >= QUEUE_MESSAGES_MAX) return this.#dropped('buffer-full');
    link.queue.push(data);
    if (!link.dialing) this.#dial(to, link);
    return undefined;
  }

  /**
   * Holds a connection's writes until the end of this turn of the event loop, then sends them in
   * one system call: under load a peer sends many small frames to the same peer at once, and a
   * write each costs more than the work that made them.
   */
  #cork(socket: WebSocket): void {
    const raw = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (raw === undefined || this.#corked.has(raw)) return;
    raw.cork();
    this.#corked.add(raw);
    if (this.#corked.size === 1) setImmediate(this.#uncorkAll);
  }

  readonly #corked = new Set<{ uncork(): void }>();
  readonly #uncorkAll = (): void => {
    for (const raw of this.#corked) raw.uncork();
    this.#corked.clear();
  };

  /**
   * Resolves once every message handed to `send` has left this process (no link dialing or
   * queueing, no socket holding unsent bytes), or after `timeoutMs`: true if all left.
   */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const idle = (): boolean =>
      [...this.#links.values()].every((link) => !link.dialing && link.queue.length === 0 && (link.socket === undefined || link.socket.bufferedAmount === 0));
    while (!idle()) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
    return true;
  }

  /** Closes every connection and the port. */
  close(): Promise<void> {
    this.#closed = true;
    for (const socket of this.#sockets) socket.terminate();
    this.#server.close();
    this.#http.closeAllConnections();
    return new Promise((resolve) => this.#http.close(() => resolve()));
  }

  // ------------------------------------------------------------------------------------------

  #dropped(reason: DropReason): DropReason {
    this.counters.messagesDropped[reason] = (this.counters.messagesDropped[reason] ?? 0) + 1;
    return reason;
  }

  #refuse(from: string, reason: RejectReason, detail: string): void {
    this.counters.framesRefused[reason] = (this.counters.framesRefused[reason] ?? 0) + 1;
    this.#options.onRefused(from, reason, detail);
  }

  #track(socket: WebSocket, remote: string): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#refuse(remote, 'oversize', 'a frame larger than the limit; connection closed');
      else if (error.code?.startsWith('WS_ERR_')) this.#refuse(remote, 'malformed', `${error.message}; connection closed`);
    });
  }

  /** An inbound connection: hello, then an auth frame within the timeout, or it is closed. */
  #accept(socket: WebSocket, remote: string): void {
    if (this.#closed) {
      socket.terminate();
      return;
    }
    // At the bound, the connection that has waited longest in its handshake makes room: a real
    // client finishes its handshake within a round trip, so strangers holding every slot cannot
    // lock it out (they would have to open connections faster than it answers).
    if (this.#handshaking.size >= UNAUTHENTICATED_CONNECTIONS_MAX) {
      const [oldest] = this.#handshaking;
      if (oldest !== undefined) {
        this.counters.connectionsRefused++;
        this.#refuse(oldest.remote, 'unauthenticated', `more than ${UNAUTHENTICATED_CONNECTIONS_MAX} connections in their handshake: the oldest was closed`);
        oldest.end();
        oldest.socket.terminate();
      }
    }
    let handshaking = true;
    const slot = {
      socket,
      remote,
      end: (): void => {
        if (!handshaking) return;
        handshaking = false;
        this.#handshaking.delete(slot);
      },
    };
    this.#handshaking.add(slot);
    const handshakeEnded = slot.end;
    // Until the handshake completes, one small frame only (see HANDSHAKE_FRAME_BYTES_MAX).
    const payloadLimit = setMaxPayload(socket, HANDSHAKE_FRAME_BYTES_MAX);
    this.#track(socket, remote);
    // A stranger's oversized frame: drop the connection rather than read (and discard) the rest.
    socket.once('error', () => {
      if (handshaking) socket.terminate();
    });
    const nonce = randomBytes(16).toString('hex');
    const timer = setTimeout(() => {
      this.counters.connectionsRefused++;
      this.#refuse(remote, 'unauthenticated', 'no handshake within 5 s; connection closed');
      // The slot is free now; the connection gets its reason, and is cut if it will not close.
      handshakeEnded();
      socket.close(4001, 'handshake timeout');
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    }, HANDSHAKE_TIMEOUT_MS);
    socket.send(JSON.stringify({ t: 'hello', v: CONTROL_PROTOCOL_VERSION, peer: this.id, nonce }));
    socket.once('message', (data, isBinary) => {
      clearTimeout(timer);
      handshakeEnded();
      const auth = authSchema.safeParse(parseJson(data, isBinary));
      const expected = auth.success ? authProof(this.#options.secret, nonce, auth.data.nonce, auth.data.role, auth.data.id) : '';
      if (!auth.success || !sameProof(auth.data.proof, expected) || (auth.data.role !== 'control' && auth.data.id === undefined)) {
        this.counters.connectionsRefused++;
        this.#refuse(remote, 'unauthenticated', auth.success ? 'a wrong proof (another secret?); connection closed' : 'no handshake before the first frame; connection closed');
        socket.close(4001, 'unauthenticated');
        setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
        return;
      }
      this.counters.connectionsAccepted++;
      setMaxPayload(socket, payloadLimit);
      socket.send(JSON.stringify({ t: 'welcome', proof: welcomeProof(this.#options.secret, nonce, auth.data.nonce, this.id) }));
      if (auth.data.role === 'control') this.#options.onControl(controlChannel(socket));
      else if (auth.data.role === 'peer') this.#open(auth.data.id as string, socket, auth.data.id as string);
      else if (this.#options.onFile !== undefined) this.#options.onFile(auth.data.id as string, socket);
      else socket.close(4000, 'no file transfers here');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      handshakeEnded();
    });
  }

  /** An outbound connection to a peer, whose id is its address. */
  #dial(to: string, link: Link): void {
    link.dialing = true;
    dial(to, { secret: this.#options.secret, role: 'peer', id: this.id, expect: to, maxPayload: this.#options.messageBytesMax + 1024, tls: this.#options.tls }).then(
      ({ socket }) => {
        link.dialing = false;
        if (this.#closed) {
          socket.terminate();
          return;
        }
        this.#track(socket, to);
        this.#open(to, socket, this.id);
      },
      (error: HandshakeError) => {
        if (error.kind === 'impostor' || error.kind === 'refused') this.#refuse(to, 'unauthenticated', error.message);
        this.#failed(to, link);
      },
    );
  }

  #failed(to: string, link: Link): void {
    link.dialing = false;
    if (link.socket !== undefined) return; // the peer dialed us meanwhile
    link.backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, link.backoffMs * 2));
    link.retryAt = Date.now() + link.backoffMs;
    for (let index = 0; index < link.queue.length; index++) this.#dropped('target-down');
    link.queue = [];
    if (this.#closed) this.#links.delete(to);
  }

  /** An authenticated peer connection, dialed by `dialer`: keep it, or the one we already have. */
  #open(peer: string, socket: WebSocket, dialer: string): void {
    let link = this.#links.get(peer);
    if (link === undefined) {
      link = { socket: undefined, dialer: '', dialing: false, queue: [], backoffMs: 0, retryAt: 0 };
      this.#links.set(peer, link);
    }
    const current = link.socket;
    if (current !== undefined && current.readyState === WebSocket.OPEN) {
      const keepNew = dialer === (this.id < peer ? this.id : peer);
      if (!keepNew) {
        socket.close(4000, 'duplicate connection');
        return;
      }
      current.close(4000, 'duplicate connection');
    }
    if (link.retryAt !== 0 || link.backoffMs !== 0) this.counters.reconnects++;
    link.socket = socket;
    link.dialer = dialer;
    link.backoffMs = 0;
    link.retryAt = 0;
    socket.on('message', (data, isBinary) => {
      this.counters.framesReceived++;
      if (isBinary) {
        this.#refuse(peer, 'malformed', 'a binary frame; protocol messages are JSON text');
        return;
      }
      this.#options.onMessage(peer, rawText(data));
    });
    socket.on('close', () => {
      if (link.socket === socket) link.socket = undefined;
    });
    const queued = link.queue;
    link.queue = [];
    for (const data of queued) {
      socket.send(data);
      this.counters.messagesSent++;
    }
  }
}

/**
 * Sets the largest frame a connection accepts from now on; returns the previous limit. `ws` has
 * no public way to change it per connection, so this sets its receiver's field (checked by the
 * hostile-input tests: an oversized handshake frame closes the connection with 1009).
 */
function setMaxPayload(socket: WebSocket, bytes: number): number {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (receiver === undefined || typeof receiver._maxPayload !== 'number') return bytes;
  const previous = receiver._maxPayload;
  receiver._maxPayload = bytes;
  return previous;
}

function controlChannel(socket: WebSocket): ControlChannel {
  return {
    send: (text) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      if (socket.bufferedAmount > CONTROL_UNREAD_BYTES_MAX) {
        // It stopped reading: what it has not read is dropped with the connection.
        socket.terminate();
        return;
      }
      socket.send(text);
    },
    get buffered() {
      return socket.bufferedAmount;
    },
    onMessage: (handler) => socket.on('message', (data, isBinary) => handler(isBinary ? '' : rawText(data))),
    onClose: (handler) => socket.on('close', handler),
    close: () => socket.close(1000, 'bye'),
  };
}

export function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function parseJson(data: RawData, isBinary: boolean): unknown {
  if (isBinary) return undefined;
  try {
    return JSON.parse(rawText(data));
  } catch {
    return undefined;
  }
}

/** A listen failure in words a user can act on. */
export function listenError(error: NodeJS.ErrnoException, host: string, port: number, option = `--listen ${host}:PORT`): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is in use: choose another with ${option}, or 0 for any free port`;
    case 'EACCES':
      return `not allowed to listen on ${host}:${port} (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine`;
    default:
      return `cannot listen on ${host}:${port}: ${error.message}`;
  }
}

/** True for the addresses that mean "every interface": no peer can dial them. */
export function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]' || host === '';
}

/**
 * The host a peer listening on `listen` tells others to dial: `advertise` when given; else the
 * listen host itself; for 0.0.0.0 or ::, this machine's first external IPv4 address (then IPv6).
 * Never an unspecified address: a peer that cannot tell says so.
 */
export function advertisedHost(listen: string, advertise?: string, interfaces = networkInterfaces()): string {
  if (advertise !== undefined) {
    if (isUnspecified(advertise)) throw new Error(`--advertise ${advertise} is not an address other peers can dial: give this machine's address`);
    return advertise;
  }
  if (!isUnspecified(listen)) return listen;
  const external = Object.values(interfaces)
    .flat()
    .filter((entry) => entry !== undefined && !entry.internal);
  const chosen = external.find((entry) => entry?.family === 'IPv4') ?? external.find((entry) => entry?.family === 'IPv6' && !entry.address.startsWith('fe80'));
  if (chosen === undefined) throw new Error(`listening on ${listen}, but this machine has no external address to advertise: give one with --advertise HOST`);
  return chosen.address;
}
