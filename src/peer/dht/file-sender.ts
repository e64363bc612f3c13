/**
 * The holder's end of a file transfer (`shared/protocol/dht-transfer.ts`): dial the requester on a
 * connection of its own, then stream the file from disk in chunks. Memory stays bounded whatever
 * the file's size: the next chunk is read only once the socket holds less than `WINDOW_BYTES`
 * unsent.
 */
import { createReadStream } from 'node:fs';
import type { WebSocket } from 'ws';
import { TRANSFER_CHUNK_BYTES, TRANSFER_REFUSED_CODE, transferSavedSchema, type TransferStart } from '../../shared/protocol/dht-transfer.ts';
import { dial } from '../handshake.ts';
import { rawText } from '../transport.ts';
import type { FolderFile } from './file-folder.ts';

/** Unsent bytes the socket may hold before reading waits: a few chunks in flight. */
const WINDOW_BYTES = 4 * TRANSFER_CHUNK_BYTES;
/** A transfer that moves nothing for this long (a paused or wedged requester) is given up. */
export const TRANSFER_IDLE_MS = 30_000;

export interface SendFileOptions {
  /** The requester's address, and who this peer says it is. */
  readonly to: string;
  readonly from: string;
  readonly secret: string;
  readonly file: string;
  readonly source: FolderFile;
  /** Aborts the transfer (the peer stops). */
  readonly signal: AbortSignal;
}

/**
 * Resolves once the requester says it saved the file whole; rejects with an Error saying why not,
 * in words (the requester is unreachable, refused it, or the connection broke).
 */
export async function sendFile(options: SendFileOptions): Promise<void> {
  const { socket } = await dial(options.to, { secret: options.secret, role: 'file', id: options.from, expect: options.to, maxPayload: 4096 });
  const transfer = new Transfer(socket, options.signal);
  try {
    const start: TransferStart = { t: 'file', file: options.file, extension: options.source.extension, bytes: options.source.bytes };
    socket.send(JSON.stringify(start));
    let sent = 0;
    for await (const chunk of createReadStream(options.source.path, { highWaterMark: TRANSFER_CHUNK_BYTES, signal: options.signal })) {
      const bytes = chunk as Buffer;
      sent += bytes.length;
      if (sent > start.bytes) throw new Error('the file grew while it was being sent');
      await transfer.send(bytes);
    }
    if (sent !== start.bytes) throw new Error('the file shrank while it was being sent');
    socket.send(JSON.stringify({ t: 'end' }));
    await transfer.saved;
  } catch (error) {
    // The connection's own reason (refused, closed) says more than the read that noticed it.
    throw transfer.failure ?? error;
  } finally {
    transfer.finish();
  }
}

/** One transfer's socket: sends with backpressure, and knows how it ended. */
class Transfer {
  readonly saved: Promise<void>;
  failure: Error | undefined;
  readonly #socket: WebSocket;
  readonly #signal: AbortSignal;
  #fail: (error: Error) => void = () => undefined;
  #idle: NodeJS.Timeout | undefined;

  constructor(socket: WebSocket, signal: AbortSignal) {
    this.#socket = socket;
    this.#signal = signal;
    this.saved = new Promise<void>((resolve, reject) => {
      this.#fail = (error) => {
        this.failure ??= error;
        reject(this.failure);
      };
      socket.on('message', (data, isBinary) => {
        if (!isBinary && transferSavedSchema.safeParse(parseJson(rawText(data))).success) resolve();
      });
    });
    // Nobody may be awaiting `saved` yet when it fails: the failure is read from `failure` too.
    this.saved.catch(() => undefined);
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => {
      const words = reason.toString('utf8');
      this.#fail(new Error(code === TRANSFER_REFUSED_CODE ? `the requester refused it: ${words}` : 'the connection closed before the requester had saved it'));
    });
    signal.addEventListener('abort', () => this.#fail(new Error('this peer stopped')), { once: true });
    this.#touch();
  }

  /** Sends one chunk; waits for the socket to drain below the window first. */
  send(chunk: Buffer): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const written = new Promise<void>((resolve, reject) => {
      this.#socket.send(chunk, { binary: true }, (error) => {
        this.#touch();
        if (error) reject(this.failure ?? error);
        else resolve();
      });
      if (this.#socket.bufferedAmount < WINDOW_BYTES) resolve();
    });
    return Promise.race([written, this.saved]);
  }

  finish(): void {
    clearTimeout(this.#idle);
    if (this.failure !== undefined || this.#signal.aborted) this.#socket.terminate();
    else this.#socket.close(1000, 'sent');
  }

  /** Something moved: the idle timer starts again. */
  #touch(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.#fail(new Error(`nothing moved for ${TRANSFER_IDLE_MS / 1000} s`));
      this.#socket.terminate();
    }, TRANSFER_IDLE_MS);
    this.#idle.unref();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
