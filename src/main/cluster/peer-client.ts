/**
 * A control client of one peer (key-value or circular DHT): the handshake, typed requests with
 * their replies, and the peer's journal events. The cluster manager holds one per peer; `ringside put --via` opens one
 * for a single request.
 */
import type { WebSocket } from 'ws';
import { controlFrameSchema, CONTROL_FRAME_BYTES_MAX, type ControlCommandInput, type DhtControlCommandInput, type StampedEvent } from '../../shared/protocol/control.ts';
import { dial, type TlsClientOptions } from '../../peer/handshake.ts';
import { rawText } from '../../peer/transport.ts';

/** A request a peer does not answer within this long fails (quorum operations take ≤ 1 s). */
const REQUEST_TIMEOUT_MS = 10_000;

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
  static async connect(address: string, secret: string, tls?: TlsClientOptions): Promise<PeerClient> {
    try {
      const { socket, peer } = await dial(address, { secret, role: 'control', maxPayload: 64 * 1_048_576, tls });
      socket.on('error', () => undefined);
      return new PeerClient(socket, peer);
    } catch (error) {
      throw new PeerClientError((error as Error).message);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one control command (a key-value peer's, or a circular DHT peer's); resolves with the
   * peer's result, rejects with its error.
   */
  request<Result = unknown>(command: ControlCommandInput | DhtControlCommandInput, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Result> {
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
