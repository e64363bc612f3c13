/**
 * A simulated group of peers, whatever they run on top of membership: the simulator, the
 * classroom addresses (peer k is `k.0.0.0:0`, peer 1 the introducer) and the peers' lives.
 */
import type { JournalEvent } from '../journal/events.ts';
import type { Machine, PeerId, Tick } from '../machine.ts';
import type { MembershipOptions } from '../membership/create.ts';
import type { GossipConfig } from '../membership/gossip/config.ts';
import type { SwimConfig } from '../membership/swim/config.ts';
import type { SlotRegistry } from '../membership/swim/member-table.ts';
import type { MembershipCommand, MembershipMachine, MembershipProtocol } from '../membership/types.ts';
import type { NetworkConfig } from './network.ts';
import { Simulator, type MachineContext } from './simulator.ts';

export interface ClusterOptions<Message, Reply, Peer> {
  readonly peers: number;
  readonly seed: number | string;
  readonly network?: Partial<NetworkConfig>;
  readonly onEvent?: (event: JournalEvent) => void;
  readonly onReply?: (peer: PeerId, reply: Reply, now: Tick) => void;
  readonly recordMessages?: boolean;
  readonly sizeOf: (message: Message) => number;
  readonly sizeBound?: (message: Message) => number;
  readonly typeOf: (message: Message) => string;
  readonly create: (context: MachineContext) => Peer;
  /** The membership machine inside a peer. */
  readonly membershipOf: (peer: Peer) => MembershipMachine;
}

/** The membership part of a simulated peer: its id, stream, generation (its start tick) and tunables. */
export function simulatedMembership(
  options: { readonly protocol: MembershipProtocol; readonly gossip?: Partial<GossipConfig>; readonly swim?: Partial<SwimConfig> },
  context: MachineContext,
  messageBytesMax: number,
  slots: SlotRegistry,
): MembershipOptions {
  return {
    protocol: options.protocol,
    id: context.id,
    random: context.random,
    generation: context.now,
    messageBytesMax,
    slots,
    ...(options.gossip ? { gossip: options.gossip } : {}),
    ...(options.swim ? { swim: options.swim } : {}),
  };
}

export function classroomAddress(peerNumber: number): PeerId {
  return `${peerNumber}.0.0.0:0`;
}

export class Cluster<Message, Command, Reply, Peer extends Machine<Message, Command | MembershipCommand, Reply>> {
  readonly sim: Simulator<Message, Command | MembershipCommand, Reply>;
  /** Peer k's id is `ids[k - 1]`. */
  readonly ids: readonly PeerId[];
  readonly introducer: PeerId;
  readonly #membershipOf: (peer: Peer) => MembershipMachine;

  constructor(options: ClusterOptions<Message, Reply, Peer>) {
    this.#membershipOf = options.membershipOf;
    this.sim = new Simulator<Message, Command | MembershipCommand, Reply>({
      seed: options.seed,
      network: options.network ?? {},
      sizeOf: options.sizeOf,
      ...(options.sizeBound ? { sizeBound: options.sizeBound } : {}),
      typeOf: options.typeOf,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.onReply ? { onReply: options.onReply } : {}),
      ...(options.recordMessages ? { recordMessages: true } : {}),
      createMachine: options.create,
    });
    const ids: PeerId[] = [];
    for (let number = 1; number <= options.peers; number++) {
      const id = classroomAddress(number);
      ids.push(id);
      this.sim.addPeer(id);
    }
    this.ids = ids;
    this.introducer = ids[0] as PeerId;
  }

  get now(): Tick {
    return this.sim.now;
  }

  /**
   * Starts a peer. Its first life joins through the introducer, as in the classroom (the
   * introducer's first life founds the group). A restart joins through any other peer, the
   * introducer first: a restarted introducer must not found a second group.
   */
  start(id: PeerId): void {
    const firstLife = this.sim.status(id) === 'stopped';
    const others = this.ids.filter((other) => other !== id && other !== this.introducer);
    const introducers = firstLife
      ? id === this.introducer
        ? []
        : [this.introducer]
      : id === this.introducer
        ? others
        : [this.introducer, ...others];
    this.sim.start(id, { type: 'join', introducers });
  }

  crash(id: PeerId): void {
    this.sim.crash(id);
  }

  leave(id: PeerId): void {
    this.sim.stopAfter(id, { type: 'leave' });
  }

  machine(id: PeerId): Peer | undefined {
    return this.sim.machine(id) as Peer | undefined;
  }

  membership(id: PeerId): MembershipMachine | undefined {
    const peer = this.machine(id);
    return peer === undefined ? undefined : this.#membershipOf(peer);
  }

  /** The peers that are running and have joined. */
  members(): PeerId[] {
    return this.ids.filter((id) => this.membership(id)?.status === 'member');
  }

  runUntil(tick: Tick): void {
    this.sim.runUntil(tick);
  }
}
