/**
 * A simulated circular DHT: the simulator wired to DHT peers, addressed by identity as the
 * classroom program is (`p2p init 2 4 5 30`, `p2p join 15 4 30`, lines typed on a peer's console,
 * Ctrl-C). Peer i is at 127.0.0.1:12000 + i, as the classroom suggests.
 *
 * The file transfer is the `dht.file` message itself: it reaches the requester one tick after the
 * holder sends it, like any message.
 */
import { CLASSROOM_ADDRESSES } from '../dht/address-book.ts';
import { parseConsoleLine, type DhtCommand, type DhtReply } from '../dht/commands.ts';
import { ticksFromSeconds, TICK_MS_DEFAULT, type DhtConfig } from '../dht/config.ts';
import { DhtPeer } from '../dht/peer.ts';
import type { JournalEvent } from '../journal/events.ts';
import { assert, type PeerId, type Tick } from '../machine.ts';
import { DHT_MESSAGE_BYTES_MAX, dhtMessageBytes, IDENTITY_COUNT, type DhtMessage } from '../protocol/dht.ts';
import type { NetworkConfig } from './network.ts';
import { Simulator } from './simulator.ts';

export interface DhtClusterOptions {
  readonly seed: number | string;
  /** Tunables for every peer; a start's ping interval (in seconds) overrides `pingIntervalTicks`. */
  readonly config?: Partial<DhtConfig>;
  /** The length of a tick, to turn the classroom's seconds into ticks. Default 100 ms. */
  readonly tickMs?: number;
  readonly network?: Partial<NetworkConfig>;
  readonly onEvent?: (event: JournalEvent) => void;
  readonly recordMessages?: boolean;
}

export class DhtCluster {
  readonly sim: Simulator<DhtMessage, DhtCommand, DhtReply>;
  readonly tickMs: number;
  readonly #config: Partial<DhtConfig>;
  /** Each identity's tunables for its next start. */
  readonly #startConfig = new Map<number, Partial<DhtConfig>>();
  /** The identities added to the simulator (started at least once). */
  readonly #added = new Set<number>();

  constructor(options: DhtClusterOptions) {
    this.tickMs = options.tickMs ?? TICK_MS_DEFAULT;
    this.#config = options.config ?? {};
    this.sim = new Simulator<DhtMessage, DhtCommand, DhtReply>({
      seed: options.seed,
      network: { messageBytesMax: DHT_MESSAGE_BYTES_MAX, ...options.network },
      sizeOf: dhtMessageBytes,
      typeOf: (message) => message.type,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.recordMessages ? { recordMessages: true } : {}),
      createMachine: (context) => {
        const identity = CLASSROOM_ADDRESSES.identityOf(context.id) as number;
        return new DhtPeer({ identity, addresses: CLASSROOM_ADDRESSES, config: this.#startConfig.get(identity) ?? this.#config });
      },
    });
  }

  get now(): Tick {
    return this.sim.now;
  }

  static address(identity: number): PeerId {
    return CLASSROOM_ADDRESSES.addressOf(identity);
  }

  static identityOf(address: PeerId): number | undefined {
    return CLASSROOM_ADDRESSES.identityOf(address);
  }

  /** `p2p init PEER FIRST SECOND INTERVAL`. */
  init(identity: number, first: number, second: number, pingIntervalSeconds?: number): void {
    this.#start(identity, { type: 'dht.init', first, second }, pingIntervalSeconds);
  }

  /** `p2p join PEER KNOWN INTERVAL`. */
  join(identity: number, known: number, pingIntervalSeconds?: number): void {
    this.#start(identity, { type: 'dht.join', known }, pingIntervalSeconds);
  }

  /** A line typed on peer `identity`'s console; `Quit` stops the peer once its goodbyes are sent. */
  type(identity: number, line: string): void {
    const command = parseConsoleLine(line);
    if (command.type === 'dht.quit') this.sim.stopAfter(DhtCluster.address(identity), command);
    else this.sim.command(DhtCluster.address(identity), command);
  }

  store(identity: number, file: string): void {
    this.sim.command(DhtCluster.address(identity), { type: 'dht.store', file });
  }

  request(identity: number, file: string): void {
    this.sim.command(DhtCluster.address(identity), { type: 'dht.request', file });
  }

  quit(identity: number): void {
    this.sim.stopAfter(DhtCluster.address(identity), { type: 'dht.quit' });
  }

  /** Ctrl-C: the peer stops at once, telling no one. */
  kill(identity: number): void {
    this.sim.crash(DhtCluster.address(identity));
  }

  isRunning(identity: number): boolean {
    return this.#known(identity) && this.sim.status(DhtCluster.address(identity)) === 'running';
  }

  machine(identity: number): DhtPeer | undefined {
    return this.#known(identity) ? (this.sim.machine(DhtCluster.address(identity)) as DhtPeer | undefined) : undefined;
  }

  /** The identities of the running peers, ascending. */
  running(): number[] {
    return this.sim.peerIds
      .filter((address) => this.sim.status(address) === 'running')
      .map((address) => DhtCluster.identityOf(address) as number)
      .sort((a, b) => a - b);
  }

  runUntil(tick: Tick): void {
    this.sim.runUntil(tick);
  }

  #start(identity: number, command: DhtCommand, pingIntervalSeconds: number | undefined): void {
    assert(Number.isInteger(identity) && identity >= 0 && identity < IDENTITY_COUNT, `${identity} is not an identity: 0 to ${IDENTITY_COUNT - 1}`);
    const address = DhtCluster.address(identity);
    if (!this.#added.has(identity)) {
      this.sim.addPeer(address);
      this.#added.add(identity);
    }
    const config = pingIntervalSeconds === undefined ? this.#config : { ...this.#config, pingIntervalTicks: ticksFromSeconds(pingIntervalSeconds, this.tickMs) };
    this.#startConfig.set(identity, config);
    this.sim.start(address, command);
  }

  #known(identity: number): boolean {
    return this.#added.has(identity);
  }
}
