/**
 * A control client of one peer: the handshake, typed requests with their replies, and the
 * peer's journal events. The cluster manager holds one per peer; `ringside put --via` opens one
 * for a single request.
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import {
  authProof,
  controlFrameSchema,
  CONTROL_FRAME_BYTES_MAX,
  helloSchema,
  sameProof,
  welcomeProof,
  welcomeSchema,
  type ControlCommandInput,
  type StampedEvent,
} from '../../shared/protocol/control.ts';
import { rawText } from '../../peer/transport.ts';

/** A request a peer does not answer within this long fails (quorum operations take ≤ 1 s). */
const REQUEST_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5000;

export class PeerClientError extends Error {
  override readonly name = 'PeerClientError';
}

export class PeerClient {
  /** The peer's id, as it introduced itself. */
  readonly peer: string;
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  #nextId = 1;
  #closed = false;
  onEvents: (events: readonly StampedEvent[]) => void = () => undefined;
  onClose: () => void = () => undefined;

  private constructor(socket: WebSocket, peer: string) {
    this.#socket = socket;
    this.peer = peer;
    socket.on('message', (data) => this.#onFrame(rawText(data)));
    socket.on('close', () => {
      this.#closed = true;
      for (const { reject, timer } of this.#pending.values()) {
        clearTimeout(timer);
        reject(new PeerClientError(`the connection to ${peer} closed`));
      }
      this.#pending.clear();
      this.onClose();
    });
  }

  /** Connects to the peer at `address` (HOST:PORT) and proves the shared secret. */
  static connect(address: string, secret: string): Promise<PeerClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://${address}/`, { perMessageDeflate: false, maxPayload: 64 * 1_048_576, handshakeTimeout: CONNECT_TIMEOUT_MS });
      const nonce = randomBytes(16).toString('hex');
      let serverNonce = '';
      let peer = '';
      let settled = false;
      const fail = (message: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.terminate();
        reject(new PeerClientError(message));
      };
      const timer = setTimeout(() => fail(`${address} did not finish the handshake within ${CONNECT_TIMEOUT_MS / 1000} s`), CONNECT_TIMEOUT_MS);
      socket.on('error', (error: NodeJS.ErrnoException) => {
        fail(error.code === 'ECONNREFUSED' ? `nothing listens on ${address} (is the peer running?)` : `cannot reach ${address}: ${error.message}`);
      });
      socket.on('close', (code) => fail(code === 4001 ? `${address} refused the secret (is RINGSIDE_SECRET or --secret-file the cluster's?)` : `${address} closed the connection during the handshake`));
      const onHandshake = (data: WebSocket.RawData): void => {
        let value: unknown;
        try {
          value = JSON.parse(rawText(data));
        } catch {
          value = undefined;
        }
        if (serverNonce === '') {
          const hello = helloSchema.safeParse(value);
          if (!hello.success) return fail(`${address} is not a Ringside peer (no hello)`);
          serverNonce = hello.data.nonce;
          peer = hello.data.peer;
          socket.send(JSON.stringify({ t: 'auth', role: 'control', nonce, proof: authProof(secret, serverNonce, nonce, 'control', undefined) }));
          socket.once('message', onHandshake);
          return;
        }
        const welcome = welcomeSchema.safeParse(value);
        if (!welcome.success || !sameProof(welcome.data.proof, welcomeProof(secret, serverNonce, nonce, peer))) {
          return fail(`${address} did not prove it knows the secret`);
        }
        settled = true;
        clearTimeout(timer);
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        resolve(new PeerClient(socket, peer));
      };
      socket.once('message', onHandshake);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one control command; resolves with the peer's result, rejects with its error. */
  request<Result = unknown>(command: ControlCommandInput, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Result> {
    if (this.#closed) return Promise.reject(new PeerClientError(`the connection to ${this.peer} is closed`));
    const id = this.#nextId++;
    const frame = JSON.stringify({ t: 'req', id, command });
    if (frame.length > CONTROL_FRAME_BYTES_MAX) return Promise.reject(new PeerClientError('the request is too large'));
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new PeerClientError(`${this.peer} did not answer ${command.type} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.#socket.send(frame);
    });
  }

  close(): void {
    this.#closed = true;
    this.#socket.close(1000, 'bye');
  }

  #onFrame(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return;
    }
    const frame = controlFrameSchema.safeParse(value);
    if (!frame.success) return;
    const data = frame.data;
    if (data.t === 'events') {
      this.onEvents(data.events);
      return;
    }
    const pending = this.#pending.get(data.id);
    if (pending === undefined) return;
    this.#pending.delete(data.id);
    clearTimeout(pending.timer);
    if (data.ok) pending.resolve(data.result);
    else pending.reject(new PeerClientError(data.error));
  }
}
