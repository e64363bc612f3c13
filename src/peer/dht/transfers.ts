/**
 * A real DHT peer's file transfers, both ways: the holder's side of each `dht.file` its machine
 * sends (find the file in the folder, stream it to the requester) and the requester's side of
 * each `file` connection (take only files this peer requested, save them whole). Results go back
 * to the machine through the callbacks, so its console says what happened.
 */
import type { WebSocket } from 'ws';
import { TRANSFER_REFUSED_CODE } from '../../shared/protocol/dht-transfer.ts';
import { findFile, type FolderFile } from './file-folder.ts';
import { FileReceiver } from './file-receiver.ts';
import { sendFile } from './file-sender.ts';

/** Transfers under way at once, each way; more are refused with a line. */
export const TRANSFERS_MAX = 8;
/** Requests remembered while their files are awaited; the oldest is forgotten first. */
const REQUESTS_REMEMBERED_MAX = 1024;

export interface TransfersOptions {
  readonly folder: string;
  readonly secret: string;
  /** This peer's address, as the requester authenticates it. */
  readonly self: string;
  /** The machine says so: the folder has no such file (command `dht.file-missing`). */
  readonly onMissing: (file: string, to: string) => void;
  /** Saved whole: deliver `dht.file` to the machine. */
  readonly onReceived: (file: string, from: string) => void;
  /** The machine says so (command `dht.transfer-failed`). */
  readonly onFailed: (file: string, peer: string, sending: boolean, detail: string) => void;
  /** A note for the person running the peer (sizes, times, refusals). */
  readonly note: (text: string) => void;
}

export class FileTransfers {
  readonly #options: TransfersOptions;
  readonly #requested = new Set<string>();
  readonly #receivers = new Set<FileReceiver>();
  readonly #stop = new AbortController();
  #sending = 0;

  constructor(options: TransfersOptions) {
    this.#options = options;
  }

  /** This peer asked for `file`: its bytes will be taken when they come. */
  requested(file: string): void {
    this.#requested.delete(file);
    if (this.#requested.size >= REQUESTS_REMEMBERED_MAX) this.#requested.delete(this.#requested.values().next().value as string);
    this.#requested.add(file);
  }

  /** The machine sent `dht.file` to `to`: send the file itself. */
  send(to: string, file: string): void {
    if (this.#sending >= TRANSFERS_MAX) {
      this.#options.onFailed(file, to, true, `${TRANSFERS_MAX} transfers are under way already`);
      return;
    }
    this.#sending++;
    void this.#send(to, file).finally(() => this.#sending--);
  }

  async #send(to: string, file: string): Promise<void> {
    const started = performance.now();
    let source: FolderFile | undefined;
    try {
      source = await findFile(this.#options.folder, file);
    } catch (error) {
      this.#options.onFailed(file, to, true, `cannot read the folder ${this.#options.folder}: ${(error as Error).message}`);
      return;
    }
    if (source === undefined) {
      this.#options.onMissing(file, to);
      return;
    }
    try {
      await sendFile({ to, from: this.#options.self, secret: this.#options.secret, file, source, signal: this.#stop.signal });
      this.#options.note(`sent ${source.path} (${describeBytes(source.bytes)}) to ${to} in ${seconds(started)}`);
    } catch (error) {
      if (!this.#stop.signal.aborted) this.#options.onFailed(file, to, true, (error as Error).message);
    }
  }

  /** A `file` connection from `from`, authenticated. */
  accept(from: string, socket: WebSocket): void {
    if ([...this.#receivers].filter((receiver) => receiver.active).length >= TRANSFERS_MAX) {
      socket.close(TRANSFER_REFUSED_CODE, `${TRANSFERS_MAX} transfers are under way already`);
      return;
    }
    const started = performance.now();
    const receiver: FileReceiver = new FileReceiver({
      socket,
      folder: this.#options.folder,
      wanted: (file) => this.#requested.has(file),
      onSaved: (file, path, bytes) => {
        this.#receivers.delete(receiver);
        this.#requested.delete(file);
        this.#options.note(`saved ${path} (${describeBytes(bytes)}) from ${from} in ${seconds(started)}`);
        this.#options.onReceived(file, from);
      },
      onRefused: (detail) => {
        this.#receivers.delete(receiver);
        this.#options.note(`refused a file from ${from}: ${detail}`);
      },
      onFailed: (file, detail) => {
        this.#receivers.delete(receiver);
        this.#options.onFailed(file, from, false, detail);
      },
    });
    this.#receivers.add(receiver);
  }

  /** The peer stops: every transfer ends now and no partial file stays behind. */
  abort(): void {
    this.#stop.abort();
    for (const receiver of this.#receivers) receiver.abort();
    this.#receivers.clear();
  }
}

function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

function seconds(startedMs: number): string {
  return `${((performance.now() - startedMs) / 1000).toFixed(2)} s`;
}
