/**
 * The deterministic simulator: one of the two drivers of the machines (the other is the peer
 * process). It owns virtual time, the emulated network and the peers' lives.
 *
 * Each tick T runs, in order:
 *   1. the actions scheduled for T (starts, crashes, fault changes), in the order scheduled;
 *   2. delivery of every message due at T, in the order the network scheduled them (a message
 *      for a peer that is not running is dropped as `target-down`);
 *   3. one `tick` input to every running peer, in the order the peers were added.
 * Everything random is drawn from streams derived from the root seed: the same seed and the
 * same script give the same run, event for event.
 */
import type { DropReason, JournalEvent } from '../journal/events.ts';
import { assert, type Machine, type MachineOutput, type PeerId, type Tick } from '../machine.ts';
import { RandomStream } from '../random/stream.ts';
import { EmulatedNetwork, type NetworkConfig } from './network.ts';

export interface MachineContext {
  readonly id: PeerId;
  /** This life's random stream: derived from the root seed, the peer and the life. */
  readonly random: RandomStream;
  /** The tick this life starts. */
  readonly now: Tick;
  /** 0 for the first start, then 1, 2, … for each restart. */
  readonly life: number;
}

export interface SimulatorOptions<Message, Command, Reply> {
  readonly seed: number | string;
  readonly createMachine: (context: MachineContext) => Machine<Message, Command, Reply>;
  /** Upper bound of a message's encoded size, for the network's size limit. */
  readonly sizeOf: (message: Message) => number;
  /** A cheaper, looser upper bound, tried first (see EmulatedNetwork). */
  readonly sizeBound?: (message: Message) => number;
  /** The message's type name, for message events. */
  readonly typeOf: (message: Message) => string;
  readonly network?: Partial<NetworkConfig>;
  /** Receives every journal event, in order. */
  readonly onEvent?: (event: JournalEvent) => void;
  readonly onReply?: (peer: PeerId, reply: Reply, now: Tick) => void;
  /** Also journal every message sent, delivered and dropped (costly in large runs). */
  readonly recordMessages?: boolean;
}

export type PeerStatus = 'stopped' | 'running' | 'crashed' | 'left';

interface SimPeer<Message, Command, Reply> {
  readonly id: PeerId;
  status: PeerStatus;
  machine: Machine<Message, Command, Reply> | undefined;
  /** Lives started so far. */
  lives: number;
  /** This life's clock is this many ticks ahead of the simulation's (clock skew; fixed per life). */
  clockAheadTicks: number;
  /** The skew the next life starts with. */
  nextClockAheadTicks: number;
}

export class Simulator<Message, Command, Reply> {
  readonly random: RandomStream;
  readonly network: EmulatedNetwork<Message>;
  #now: Tick = 0;
  readonly #options: SimulatorOptions<Message, Command, Reply>;
  readonly #peers = new Map<PeerId, SimPeer<Message, Command, Reply>>();
  readonly #order: SimPeer<Message, Command, Reply>[] = [];
  readonly #scheduled = new Map<Tick, (() => void)[]>();
  /** Peers ticked so far: the work measure of the benchmarks. */
  peerTicks = 0;

  constructor(options: SimulatorOptions<Message, Command, Reply>) {
    this.#options = options;
    this.random = RandomStream.root(options.seed);
    this.network = new EmulatedNetwork(this.random.derive('network'), options.sizeOf, options.network, options.sizeBound);
  }

  /** The tick about to run (or running). */
  get now(): Tick {
    return this.#now;
  }

  get peerIds(): readonly PeerId[] {
    return this.#order.map((peer) => peer.id);
  }

  addPeer(id: PeerId): void {
    assert(!this.#peers.has(id), `peer ${id} already exists`);
    const peer: SimPeer<Message, Command, Reply> = { id, status: 'stopped', machine: undefined, lives: 0, clockAheadTicks: 0, nextClockAheadTicks: 0 };
    this.#peers.set(id, peer);
    this.#order.push(peer);
  }

  status(id: PeerId): PeerStatus {
    return this.#peer(id).status;
  }

  machine(id: PeerId): Machine<Message, Command, Reply> | undefined {
    return this.#peer(id).machine;
  }

  /**
   * Clock skew: from its next start, `id`'s clock reads `ticks` ahead of the simulation's (its
   * machine is stepped at now + ticks). A clock never runs backwards within a life, so the skew
   * of a running peer changes only when it restarts.
   */
  setClockAhead(id: PeerId, ticks: number): void {
    assert(Number.isInteger(ticks) && ticks >= 0, `a clock skew is a whole number of ticks ≥ 0, got ${ticks}`);
    this.#peer(id).nextClockAheadTicks = ticks;
  }

  /** What `id`'s clock reads now. */
  clockOf(id: PeerId): Tick {
    return this.#now + this.#peer(id).clockAheadTicks;
  }

  /** Starts a stopped or crashed peer with a fresh machine (a restart if it ran before). */
  start(id: PeerId, command?: Command): void {
    const peer = this.#peer(id);
    assert(peer.status !== 'running', `peer ${id} is already running`);
    const life = peer.lives++;
    peer.clockAheadTicks = peer.nextClockAheadTicks;
    peer.machine = this.#options.createMachine({
      id,
      random: this.random.derive(`peer:${id}#${life}`),
      now: this.#now + peer.clockAheadTicks,
      life,
    });
    peer.status = 'running';
    this.emit({ kind: life === 0 ? 'peer.started' : 'peer.restarted', tick: this.#now, peer: id });
    if (command !== undefined) this.command(id, command);
  }

  /** Stops a peer abruptly: it receives nothing and sends nothing from now on. */
  crash(id: PeerId): void {
    const peer = this.#peer(id);
    assert(peer.status === 'running', `peer ${id} is not running`);
    peer.status = 'crashed';
    peer.machine = undefined;
    this.emit({ kind: 'peer.crashed', tick: this.#now, peer: id });
  }

  /** Hands `command` (a leave) to the peer, which then stops: what it sent still travels. */
  stopAfter(id: PeerId, command: Command): void {
    this.command(id, command);
    const peer = this.#peer(id);
    peer.status = 'left';
    peer.machine = undefined;
    this.emit({ kind: 'peer.left', tick: this.#now, peer: id });
  }

  command(id: PeerId, command: Command): void {
    const peer = this.#peer(id);
    assert(peer.machine !== undefined && peer.status === 'running', `peer ${id} is not running`);
    this.#handle(id, peer.machine.step({ kind: 'command', command }, this.#now + peer.clockAheadTicks));
  }

  /** Runs `action` at the start of tick `tick` (now or later). */
  at(tick: Tick, action: () => void): void {
    assert(tick >= this.#now, `tick ${tick} is in the past (now ${this.#now})`);
    let actions = this.#scheduled.get(tick);
    if (actions === undefined) {
      actions = [];
      this.#scheduled.set(tick, actions);
    }
    actions.push(action);
  }

  emit(event: JournalEvent): void {
    this.#options.onEvent?.(event);
  }

  /** Runs the current tick and advances to the next. */
  runTick(): void {
    const now = this.#now;
    const actions = this.#scheduled.get(now);
    if (actions !== undefined) {
      this.#scheduled.delete(now);
      for (const action of actions) action();
    }
    const due = this.network.takeDue(now);
    if (due !== undefined) {
      const recordMessages = this.#options.recordMessages === true;
      for (const envelope of due) {
        const peer = this.#peers.get(envelope.to);
        if (peer === undefined || peer.machine === undefined) {
          this.network.countTargetDown();
          if (recordMessages) this.#recordDrop(envelope.from, envelope.to, envelope.message, 'target-down');
          continue;
        }
        if (recordMessages) {
          this.emit({
            kind: 'message.delivered',
            tick: now,
            peer: envelope.to,
            from: envelope.from,
            type: this.#options.typeOf(envelope.message),
          });
        }
        this.#handle(envelope.to, peer.machine.step({ kind: 'receive', from: envelope.from, message: envelope.message }, now + peer.clockAheadTicks));
      }
    }
    for (const peer of this.#order) {
      if (peer.machine === undefined) continue;
      this.peerTicks++;
      this.#handle(peer.id, peer.machine.step({ kind: 'tick' }, now + peer.clockAheadTicks));
    }
    this.#now = now + 1;
  }

  /** Runs ticks until `now` reaches `tick`. */
  runUntil(tick: Tick): void {
    while (this.#now < tick) this.runTick();
  }

  #handle(id: PeerId, outputs: readonly MachineOutput<Message, Reply>[]): void {
    const now = this.#now;
    for (const output of outputs) {
      switch (output.kind) {
        case 'send': {
          const dropped = this.network.send(id, output.to, output.message, now);
          if (this.#options.recordMessages === true) {
            if (dropped === undefined) {
              this.emit({
                kind: 'message.sent',
                tick: now,
                peer: id,
                to: output.to,
                type: this.#options.typeOf(output.message),
                bytes: this.#options.sizeOf(output.message),
              });
            } else this.#recordDrop(id, output.to, output.message, dropped);
          }
          break;
        }
        case 'event':
          this.emit(output.event);
          break;
        case 'reply':
          this.#options.onReply?.(id, output.reply, now);
          break;
      }
    }
  }

  #recordDrop(from: PeerId, to: PeerId, message: Message, reason: DropReason): void {
    this.emit({ kind: 'message.dropped', tick: this.#now, peer: from, to, type: this.#options.typeOf(message), reason });
  }

  #peer(id: PeerId): SimPeer<Message, Command, Reply> {
    const peer = this.#peers.get(id);
    assert(peer !== undefined, `no peer ${id}`);
    return peer;
  }
}
