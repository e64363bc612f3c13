/**
 * The requester's end of a file transfer (`shared/protocol/dht-transfer.ts`): on a `file`
 * connection the transport authenticated, read what file follows, write its bytes to a hidden
 * temporary file (pausing the socket while the disk catches up, so memory stays bounded), and
 * rename it to `received_NNNN.ext` once every byte announced has arrived. Anything else (a file
 * this peer did not request, more bytes than announced, a broken connection) leaves no file behind.
 */
import { createWriteStream, unlinkSync, type WriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { RawData, WebSocket } from 'ws';
import {
  TRANSFER_CHUNK_BYTES,
  TRANSFER_REFUSED_CODE,
  transferEndSchema,
  transferStartSchema,
  type TransferStart,
} from '../../shared/protocol/dht-transfer.ts';
import { rawText } from '../transport.ts';
import { receivedPath, temporaryPath } from './file-folder.ts';
import { TRANSFER_IDLE_MS } from './file-sender.ts';

/** Bytes the file stream may hold before the socket is paused. */
const DISK_BUFFER_BYTES = 4 * TRANSFER_CHUNK_BYTES;

export interface ReceiveFileOptions {
  readonly socket: WebSocket;
  readonly folder: string;
  /** Whether this peer asked for `file` (and so takes it). */
  readonly wanted: (file: string) => boolean;
  /** Saved whole at `path`. */
  readonly onSaved: (file: string, path: string, bytes: number) => void;
  /** Refused before any byte was written: no line for the user, a note at most. */
  readonly onRefused: (detail: string) => void;
  /** Broke off after it began: nothing was saved. */
  readonly onFailed: (file: string, detail: string) => void;
}

export class FileReceiver {
  readonly #options: ReceiveFileOptions;
  #start: TransferStart | undefined;
  #out: WriteStream | undefined;
  #temporary: string | undefined;
  #received = 0;
  /** `end` arrived with every byte: the file is whole, and only the disk can fail it now. */
  #ended = false;
  #done = false;
  #idle: NodeJS.Timeout | undefined;

  constructor(options: ReceiveFileOptions) {
    this.#options = options;
    const socket = options.socket;
    socket.on('message', (data, isBinary) => this.#onFrame(data, isBinary));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      // After `end` the bytes are all here: a holder gone before our `saved` costs no file.
      if (!this.#ended) this.#fail('the connection closed before the end of the file');
    });
    this.#touch();
  }

  /** Whether it is still under way. */
  get active(): boolean {
    return !this.#done;
  }

  /** Stops at once (the peer stops): the connection closes, and the partial file goes, now. */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#idle);
    this.#options.socket.terminate();
    this.#discard();
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    // Frames after `end` (a second `end`) would save or fail the file twice: they are ignored.
    if (this.#done || this.#ended) return;
    this.#touch();
    const start = this.#start;
    if (start === undefined) return this.#begin(isBinary ? undefined : parseJson(rawText(data)));
    if (!isBinary) {
      if (!transferEndSchema.safeParse(parseJson(rawText(data))).success) return this.#refuse('a text frame in the middle of the file');
      if (this.#received !== start.bytes) return this.#refuse(`the file ended after ${this.#received} of the ${start.bytes} bytes announced`);
      return void this.#finish(start);
    }
    const chunk = toBuffer(data);
    this.#received += chunk.length;
    if (this.#received > start.bytes) return this.#refuse(`more bytes than the ${start.bytes} announced`);
    const out = this.#out as WriteStream;
    if (!out.write(chunk)) {
      // The disk is slower than the network: stop reading until it catches up.
      this.#options.socket.pause();
      out.once('drain', () => this.#options.socket.resume());
    }
  }

  #begin(value: unknown): void {
    const start = transferStartSchema.safeParse(value);
    if (!start.success) return this.#refuse('the first frame must say which file follows');
    if (!this.#options.wanted(start.data.file)) return this.#refuse(`it did not request File ${start.data.file}`);
    this.#start = start.data;
    this.#temporary = temporaryPath(this.#options.folder, start.data.file, start.data.extension);
    this.#out = createWriteStream(this.#temporary, { flags: 'wx', highWaterMark: DISK_BUFFER_BYTES });
    this.#out.on('error', (error: NodeJS.ErrnoException) => {
      const detail = error.code === 'ENOSPC' ? 'the disk is full' : `cannot write ${this.#temporary}: ${error.message}`;
      this.#options.socket.close(TRANSFER_REFUSED_CODE, detail.slice(0, 120));
      this.#fail(detail);
    });
  }

  async #finish(start: TransferStart): Promise<void> {
    this.#ended = true;
    const out = this.#out as WriteStream;
    // Read on: the close handshake that follows needs it.
    this.#options.socket.resume();
    const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
    out.end();
    await closed;
    if (this.#done) return; // a write failed, or the peer stopped
    const path = receivedPath(this.#options.folder, start.file, start.extension);
    try {
      await rename(this.#temporary as string, path);
    } catch (error) {
      this.#fail(`cannot save ${path}: ${(error as Error).message}`);
      return;
    }
    this.#done = true;
    clearTimeout(this.#idle);
    this.#options.socket.send(JSON.stringify({ t: 'saved' }));
    this.#options.socket.close(1000, 'saved');
    this.#options.onSaved(start.file, path, start.bytes);
  }

  /** The holder broke the protocol: close with the reason; a file under way is dropped. */
  #refuse(detail: string): void {
    this.#options.socket.close(TRANSFER_REFUSED_CODE, detail.slice(0, 120));
    if (this.#start === undefined) {
      this.#done = true;
      clearTimeout(this.#idle);
      this.#options.onRefused(detail);
    } else this.#fail(detail);
  }

  #fail(detail: string): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#idle);
    this.#discard();
    if (this.#start !== undefined) this.#options.onFailed(this.#start.file, `${detail}; nothing was saved`);
    else this.#options.onRefused(detail);
  }

  /** The partial file goes now, and again once its stream has closed (it may still be opening). */
  #discard(): void {
    const out = this.#out;
    if (out !== undefined && !out.closed) {
      out.once('close', () => this.#removeTemporary());
      out.destroy();
    }
    this.#removeTemporary();
  }

  #removeTemporary(): void {
    if (this.#temporary === undefined) return;
    try {
      unlinkSync(this.#temporary);
    } catch {
      // Never created, or already gone.
    }
  }

  #touch(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.#fail(`nothing arrived for ${TRANSFER_IDLE_MS / 1000} s`);
      this.#options.socket.terminate();
    }, TRANSFER_IDLE_MS);
    this.#idle.unref();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
