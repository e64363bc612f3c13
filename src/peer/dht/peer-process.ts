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
 * With `control` on (a peer spawned by a cluster manager), it also serves control clients
 * (`control.ts`: inspect, subscribe, begin, type, leave) and streams every journal event to them:
 * console lines with their lookups, refusals, notes as `log` lines, and messages when asked. Such a
 * peer may be spawned without `start` and enter the ring on `begin`, so a whole ring can listen
 * before any of it pings.
 *
 * Time: tick t is the t-th `tickMs` slice since the Unix epoch, as the key-value peers and the
 * cluster manager count them: a session's entries then share one clock, and its dbg.log (which
 * counts ticks from the session's first entry) gives a DHT peer's lines their real ticks. Inputs
 * (messages, typed lines, transfer results) are stepped the moment they arrive; the timer steps
 * one tick per elapsed tick.
 */
import { parseConsoleLine, type DhtCommand, type DhtReply } from '../../shared/dht/commands.ts';
import { AddressBook } from '../../shared/dht/address-book.ts';
import type { DhtConfig } from '../../shared/dht/config.ts';
import { DhtPeer } from '../../shared/dht/peer.ts';
import { isFileName } from '../../shared/dht/placement.ts';
import type { JournalEvent } from '../../shared/journal/events.ts';
import type { MachineInput, MachineOutput } from '../../shared/machine.ts';
import { FOLDER_ENTRIES_MAX, type DhtInspection, type DhtStart, type DhtTyped, type ReadyInfo } from '../../shared/protocol/control.ts';
import { DHT_MESSAGE_BYTES_MAX, type DhtMessage } from '../../shared/protocol/dht.ts';
import { EventStream } from '../event-stream.ts';
import { WsTransport } from '../transport.ts';
import { DhtControl } from './control.ts';
import { heldInFolder, listFolder } from './file-folder.ts';
import { FileTransfers } from './transfers.ts';

/** After Quit: how long the goodbyes may take to leave before the peer stops anyway. */
const QUIT_DRAIN_MS = 5000;
/** After they left: a moment for the other side to read them before the sockets close. */
const QUIT_LINGER_MS = 50;
/** After a stall (SIGSTOP, a slow machine) only the last few ticks are stepped one by one. */
const CATCH_UP_TICKS_MAX = 10;

export interface DhtPeerProcessOptions {
  readonly identity: number;
  /**
   * How it starts: `dht.init` (successors given) or `dht.join` (through a known peer). Undefined:
   * it listens and waits for `begin` (a control client's, with `control` on).
   */
  readonly start?: DhtStart | undefined;
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
  /** Serve control clients and stream journal events to them (a peer a cluster manager spawned). */
  readonly control?: boolean;
}

type Input = MachineInput<DhtMessage, DhtCommand>;
type Output = MachineOutput<DhtMessage, DhtReply>;

export class DhtPeerProcess {
  readonly machine: DhtPeer;
  readonly transport: WsTransport;
  readonly addresses: AddressBook;
  readonly #options: DhtPeerProcessOptions;
  readonly #transfers: FileTransfers;
  /** With `control` on: the control clients' event stream and endpoint. */
  readonly #events: EventStream | undefined;
  readonly #control: DhtControl | undefined;
  /** The newest tick stepped: no input is stepped at an earlier one. */
  #lastTick: number;
  #timer: NodeJS.Timeout | undefined;
  #begun: DhtStart | undefined;
  #stopping = false;
  /** Called once, when the peer has stopped: after Quit, or killed. */
  onStopped: (how: 'quit' | 'killed') => void = () => undefined;

  private constructor(options: DhtPeerProcessOptions, transport: WsTransport, addresses: AddressBook) {
    this.#options = options;
    this.transport = transport;
    this.addresses = addresses;
    this.#lastTick = this.now();
    this.machine = new DhtPeer({ identity: options.identity, addresses, config: options.config });
    this.#transfers = new FileTransfers({
      folder: options.folder,
      secret: options.secret,
      self: transport.id,
      onMissing: (file, to) => this.#command({ type: 'dht.file-missing', file, requester: this.#identityOf(to) }),
      onReceived: (file, from) => this.#stepNow({ kind: 'receive', from, message: { type: 'dht.file', file } }),
      onFailed: (file, peer, sending, detail) => this.#command({ type: 'dht.transfer-failed', file, peer: this.#identityOf(peer), sending, detail }),
      note: (text) => this.#note(text),
    });
    if (options.control === true) {
      this.#events = new EventStream({ peer: transport.id, now: () => this.now() });
      this.#control = new DhtControl(
        {
          inspect: () => this.inspect(),
          begin: (start) => this.begin(start),
          type: (line) => {
            if (this.#stopping) throw new Error(`peer ${options.identity} is leaving: nothing was typed`);
            if (line.trim() === '') throw new Error('a blank line types nothing: type Store NNNN, Request NNNN or Quit');
            return this.type(line);
          },
          quit: () => this.quit(),
          readyInfo: () => this.readyInfo(),
        },
        this.#events,
        transport.counters,
      );
    }
  }

  /** Listens on its port and starts the machine. Rejects with a clear message if it cannot listen. */
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
        if (started.peer !== undefined) started.peer.#receive(from, data);
      },
      // Without `control`, the peer is driven through its console only.
      onControl: (channel) => {
        const control = started.peer === undefined ? undefined : started.peer.#control;
        if (control !== undefined) control.accept(channel);
        else channel.close();
      },
      onRefused: (from, reason, detail) => {
        if (started.peer === undefined) options.onNote(`refused ${reason} from ${from}: ${detail}`);
        else started.peer.#event({ kind: 'message.rejected', tick: started.peer.now(), peer: started.peer.id, from, reason, detail });
      },
      onFile: (from, socket) => {
        if (started.peer === undefined || started.peer.#stopping || addresses.identityOf(from) === undefined) socket.close(4000, 'not now');
        else started.peer.#transfers.accept(from, socket);
      },
      ...(options.describeListenError ? { describeListenError: options.describeListenError } : {}),
    });
    const peer = new DhtPeerProcess(options, transport, addresses);
    started.peer = peer;
    if (options.start !== undefined) peer.begin(options.start);
    peer.#schedule();
    return peer;
  }

  /** Enters the ring, once: as `p2p init` (successors given) or `p2p join` (through a known peer). */
  begin(start: DhtStart): void {
    if (this.#begun !== undefined) throw new Error(`peer ${this.#options.identity} has begun already (${this.#begun.type === 'dht.init' ? 'init' : 'join'})`);
    if (this.#stopping) throw new Error(`peer ${this.#options.identity} is stopping`);
    this.#begun = start;
    this.#events?.emit({ kind: 'peer.started', tick: this.now(), peer: this.id });
    this.#command(start);
  }

  get id(): string {
    return this.transport.id;
  }

  /**
   * The current tick: whole `tickMs` slices since the Unix epoch. Counted from the peer's own
   * start, its ticks were thousands of millions below the manager's, and every line it journaled
   * came out as tick 0 in the session's dbg.log.
   */
  now(): number {
    return Math.floor(Date.now() / this.#options.tickMs);
  }

  /**
   * A line typed on the peer's console: `Store NNNN`, `Request NNNN` or `Quit`. Blank lines, and
   * lines typed while it stops, are ignored. Says what the line was taken for.
   */
  type(line: string): DhtTyped {
    const command = parseConsoleLine(line);
    const typed = describeTyped(line.trim(), command);
    if (line.trim() === '' || this.#stopping) return typed;
    if (command.type === 'dht.request' && isFileName(command.file)) this.#transfers.requested(command.file);
    this.#command(command);
    return typed;
  }

  /** What a control client's `inspect` answers: the machine's beliefs and the working folder. */
  async inspect(): Promise<DhtInspection> {
    const machine = this.machine;
    const now = Math.max(this.#lastTick, this.now());
    const predecessors = machine.predecessors(now);
    const folder = await listFolder(this.#options.folder, FOLDER_ENTRIES_MAX);
    return {
      id: this.id,
      pid: process.pid,
      identity: machine.identity,
      status: machine.status,
      tickMs: this.#options.tickMs,
      tick: now,
      pingIntervalTicks: machine.config.pingIntervalTicks,
      successors: [machine.successors.first, machine.successors.second],
      predecessors: [predecessors.first, predecessors.second].filter((peer) => peer !== undefined),
      // Held: the names stored here or handed over, and the files in its folder (`4103.pdf` is
      // File 4103, which a Request finds there), so the window never says none beside 4103.pdf.
      files: [...new Set([...machine.files(), ...heldInFolder(folder.entries)])].sort(),
      ...(machine.config.fingers ? { fingers: machine.fingers().map((finger) => finger ?? null) } : {}),
      folder: { path: this.#options.folder, ...folder },
      counters: { ...machine.counters, transport: this.transport.counters },
    };
  }

  /** The ready line's contents (a cluster manager waits for it). */
  readyInfo(): ReadyInfo {
    return { id: this.id, pid: process.pid, port: this.transport.port, redisPort: 0, protocol: 'dht', tickMs: this.#options.tickMs, identity: this.#options.identity };
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
    this.#events?.close();
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
    const wait = this.#options.tickMs - (Date.now() % this.#options.tickMs);
    this.#timer = setTimeout(() => {
      const now = this.now();
      for (let tick = Math.max(this.#lastTick + 1, now - CATCH_UP_TICKS_MAX); tick <= now && !this.#stopping; tick++) this.#step({ kind: 'tick' }, tick);
      this.#lastTick = Math.max(this.#lastTick, now);
      if (!this.#stopping) this.#schedule();
    }, wait);
  }

  #receive(from: string, data: string): void {
    if (this.#stopping) return;
    if (this.#events?.wantsMessages === true) {
      const type = /"type":"([A-Za-z.-]{1,40})"/.exec(data.slice(0, 200))?.[1] ?? 'unknown';
      this.#events.emit({ kind: 'message.delivered', tick: Math.max(this.#lastTick, this.now()), peer: this.id, from, type });
    }
    this.#stepNow({ kind: 'receive-bytes', from, data });
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
        else this.#send(output.to, output.message);
        return;
      case 'event':
        this.#event(output.event);
        return;
      case 'reply':
        if (output.reply.type === 'dht.left') void this.#leave();
        return;
    }
  }

  #send(to: string, message: DhtMessage): void {
    const data = JSON.stringify(message);
    const dropped = this.transport.send(to, data);
    if (this.#events?.wantsMessages !== true) return;
    const tick = Math.max(this.#lastTick, this.now());
    if (dropped === undefined) this.#events.emit({ kind: 'message.sent', tick, peer: this.id, to, type: message.type, bytes: Buffer.byteLength(data) });
    else this.#events.emit({ kind: 'message.dropped', tick, peer: this.id, to, type: message.type, reason: dropped });
  }

  #event(event: JournalEvent): void {
    if (event.kind === 'console') this.#options.onLine(event.text);
    else if (event.kind === 'message.rejected') this.#options.onNote(`refused ${event.reason} from ${event.from}: ${event.detail}`);
    this.#events?.emit(event);
  }

  /** A note for the person running the peer, and a `log` line for control clients. */
  #note(text: string): void {
    this.#options.onNote(text);
    this.#events?.emit({ kind: 'log', tick: Math.max(this.#lastTick, this.now()), peer: this.id, text });
  }

  /** After Quit: the goodbyes and the files handed over leave first. */
  async #leave(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const left = await this.transport.drained(QUIT_DRAIN_MS);
    if (!left) this.#note(`some goodbyes had not left after ${QUIT_DRAIN_MS / 1000} s; stopping anyway`);
    this.#events?.emit({ kind: 'peer.left', tick: this.now(), peer: this.id });
    this.#events?.close();
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

function describeTyped(line: string, command: DhtCommand): DhtTyped {
  switch (command.type) {
    case 'dht.store':
      return { line, command: 'store', file: command.file };
    case 'dht.request':
      return { line, command: 'request', file: command.file };
    case 'dht.quit':
      return { line, command: 'quit' };
    default:
      return { line, command: 'unknown' };
  }
}
