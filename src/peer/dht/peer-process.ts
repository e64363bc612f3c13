/**
 * One real peer of the classroom circular DHT (`ringside p2p init|join`): the core's `DhtPeer`
 * driven by a real timer, over the WebSocket transport (one port per peer: 12000 + identity by
 * default), with the file transfers of `transfers.ts`. It carries out the caller's duties listed
 * in `shared/dht/peer.ts`:
 *   - each `send` goes to the address it names, except `dht.file`, which stands for the file: the
 *     file's bytes go on a connection of their own, and the requester's machine gets `dht.file`
 *     once they are saved;
 *   - each `console` event's text goes to `onLine`, word for word;
 *   - on `dht.left` it waits until what was sent has left (bounded), then stops.
 *
 * Time: tick t is the t-th `tickMs` slice since the peer started. Inputs (messages, typed lines,
 * transfer results) are stepped the moment they arrive; the timer steps one tick per elapsed tick.
 */
import { parseConsoleLine, type DhtCommand, type DhtReply } from '../../shared/dht/commands.ts';
import { AddressBook } from '../../shared/dht/address-book.ts';
import type { DhtConfig } from '../../shared/dht/config.ts';
import { DhtPeer } from '../../shared/dht/peer.ts';
import { isFileName } from '../../shared/dht/placement.ts';
import type { JournalEvent } from '../../shared/journal/events.ts';
import type { MachineInput, MachineOutput } from '../../shared/machine.ts';
import { DHT_MESSAGE_BYTES_MAX, type DhtMessage } from '../../shared/protocol/dht.ts';
import { WsTransport } from '../transport.ts';
import { FileTransfers } from './transfers.ts';

/** After Quit: how long the goodbyes may take to leave before the peer stops anyway. */
const QUIT_DRAIN_MS = 5000;
/** After they left: a moment for the other side to read them before the sockets close. */
const QUIT_LINGER_MS = 50;
/** After a stall (SIGSTOP, a slow machine) only the last few ticks are stepped one by one. */
const CATCH_UP_TICKS_MAX = 10;

export interface DhtPeerProcessOptions {
  readonly identity: number;
  /** How it starts: `dht.init` (successors given) or `dht.join` (through a known peer). */
  readonly start: Extract<DhtCommand, { type: 'dht.init' | 'dht.join' }>;
  /** Every peer listens on `host`:`portBase + identity`. */
  readonly host: string;
  readonly portBase: number;
  readonly tickMs: number;
  readonly config: Partial<DhtConfig>;
  readonly secret: string;
  /** Where it finds the files it holds and saves those it receives. */
  readonly folder: string;
  /** Each console line, word for word. */
  readonly onLine: (text: string) => void;
  /** Notes for the person running it (refusals, transfer sizes and times). */
  readonly onNote: (text: string) => void;
  /** Words for a failure to listen. */
  readonly describeListenError?: (error: NodeJS.ErrnoException) => string;
}

type Input = MachineInput<DhtMessage, DhtCommand>;
type Output = MachineOutput<DhtMessage, DhtReply>;

export class DhtPeerProcess {
  readonly machine: DhtPeer;
  readonly transport: WsTransport;
  readonly addresses: AddressBook;
  readonly #options: DhtPeerProcessOptions;
  readonly #transfers: FileTransfers;
  readonly #startedAt = performance.now();
  #lastTick = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  /** Called once, when the peer has stopped: after Quit, or killed. */
  onStopped: (how: 'quit' | 'killed') => void = () => undefined;

  private constructor(options: DhtPeerProcessOptions, transport: WsTransport, addresses: AddressBook) {
    this.#options = options;
    this.transport = transport;
    this.addresses = addresses;
    this.machine = new DhtPeer({ identity: options.identity, addresses, config: options.config });
    this.#transfers = new FileTransfers({
      folder: options.folder,
      secret: options.secret,
      self: transport.id,
      onMissing: (file, to) => this.#command({ type: 'dht.file-missing', file, requester: this.#identityOf(to) }),
      onReceived: (file, from) => this.#stepNow({ kind: 'receive', from, message: { type: 'dht.file', file } }),
      onFailed: (file, peer, sending, detail) => this.#command({ type: 'dht.transfer-failed', file, peer: this.#identityOf(peer), sending, detail }),
      note: options.onNote,
    });
  }

  /** Listens on its port and starts the machine (tick 0). Rejects with a clear message if it cannot listen. */
  static async start(options: DhtPeerProcessOptions): Promise<DhtPeerProcess> {
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const addresses = new AddressBook((identity) => `${host}:${options.portBase + identity}`);
    const started: { peer?: DhtPeerProcess } = {};
    const transport = await WsTransport.listen({
      host: options.host,
      port: options.portBase + options.identity,
      secret: options.secret,
      messageBytesMax: DHT_MESSAGE_BYTES_MAX,
      onMessage: (from, data) => {
        if (started.peer !== undefined) started.peer.#stepNow({ kind: 'receive-bytes', from, data });
      },
      // DHT peers take no control client (yet): the window drives them through their console.
      onControl: (channel) => channel.close(),
      onRefused: (from, reason, detail) => options.onNote(`refused ${reason} from ${from}: ${detail}`),
      onFile: (from, socket) => {
        if (started.peer === undefined || started.peer.#stopping || addresses.identityOf(from) === undefined) socket.close(4000, 'not now');
        else started.peer.#transfers.accept(from, socket);
      },
      ...(options.describeListenError ? { describeListenError: options.describeListenError } : {}),
    });
    const peer = new DhtPeerProcess(options, transport, addresses);
    started.peer = peer;
    peer.#step({ kind: 'command', command: options.start }, 0);
    peer.#schedule();
    return peer;
  }

  get id(): string {
    return this.transport.id;
  }

  /** The current tick: whole `tickMs` slices since the peer started. */
  now(): number {
    return Math.floor((performance.now() - this.#startedAt) / this.#options.tickMs);
  }

  /** A line typed on the peer's console: `Store NNNN`, `Request NNNN` or `Quit`. Blank lines are ignored. */
  type(line: string): void {
    if (line.trim() === '' || this.#stopping) return;
    const command = parseConsoleLine(line);
    if (command.type === 'dht.request' && isFileName(command.file)) this.#transfers.requested(command.file);
    this.#command(command);
  }

  /** Leaves gracefully, as `Quit` does. */
  quit(): void {
    this.type('Quit');
  }

  /**
   * Stops at once, telling no one (Ctrl-C, as the classroom's kill): its successors' predecessors
   * find out from lost pings. A file being received is deleted.
   */
  async kill(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#transfers.abort();
    await this.#close();
    this.onStopped('killed');
  }

  #command(command: DhtCommand): void {
    this.#stepNow({ kind: 'command', command });
  }

  #identityOf(address: string): number {
    return this.addresses.identityOf(address) as number;
  }

  #schedule(): void {
    const elapsedMs = performance.now() - this.#startedAt;
    const wait = this.#options.tickMs - (elapsedMs % this.#options.tickMs);
    this.#timer = setTimeout(() => {
      const now = this.now();
      for (let tick = Math.max(this.#lastTick + 1, now - CATCH_UP_TICKS_MAX); tick <= now && !this.#stopping; tick++) this.#step({ kind: 'tick' }, tick);
      this.#lastTick = Math.max(this.#lastTick, now);
      if (!this.#stopping) this.#schedule();
    }, wait);
  }

  #stepNow(input: Input): void {
    if (this.#stopping) return;
    this.#step(input, Math.max(this.#lastTick, this.now()));
  }

  #step(input: Input, now: number): void {
    const outputs = this.machine.step(input, now);
    // The outputs array is reused by the machine's next step: copy what an output may re-enter with.
    for (const output of outputs.length > 0 ? [...outputs] : outputs) this.#output(output);
  }

  #output(output: Output): void {
    switch (output.kind) {
      case 'send':
        if (output.message.type === 'dht.file') this.#transfers.send(output.to, output.message.file);
        // A message that cannot leave is a lost ping or a lost hop, which the protocol handles.
        else this.transport.send(output.to, JSON.stringify(output.message));
        return;
      case 'event':
        this.#event(output.event);
        return;
      case 'reply':
        if (output.reply.type === 'dht.left') void this.#leave();
        return;
    }
  }

  #event(event: JournalEvent): void {
    if (event.kind === 'console') this.#options.onLine(event.text);
    else if (event.kind === 'message.rejected') this.#options.onNote(`refused ${event.reason} from ${event.from}: ${event.detail}`);
  }

  /** After Quit: the goodbyes and the files handed over leave first. */
  async #leave(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const left = await this.transport.drained(QUIT_DRAIN_MS);
    if (!left) this.#options.onNote(`some goodbyes had not left after ${QUIT_DRAIN_MS / 1000} s; stopping anyway`);
    await new Promise((resolve) => setTimeout(resolve, QUIT_LINGER_MS));
    this.#transfers.abort();
    await this.#close();
    this.onStopped('quit');
  }

  async #close(): Promise<void> {
    clearTimeout(this.#timer);
    await this.transport.close();
  }
}
