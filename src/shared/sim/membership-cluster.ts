/**
 * A simulated group of membership peers: the simulator wired to either membership protocol.
 * Peer k (1-based) has the classroom address `k.0.0.0:0`; peer 1 is the introducer.
 */
import type { JournalEvent } from '../journal/events.ts';
import type { PeerId, Tick } from '../machine.ts';
import { createMembership, MESSAGE_BYTES_MAX_DEFAULT } from '../membership/create.ts';
import type { GossipConfig } from '../membership/gossip/config.ts';
import type { SwimConfig } from '../membership/swim/config.ts';
import { SlotRegistry } from '../membership/swim/member-table.ts';
import type {
  MembershipCommand,
  MembershipMachine,
  MembershipProtocol,
  MembershipReply,
} from '../membership/types.ts';
import { membershipMessageBytes, type MembershipMessage } from '../protocol/membership.ts';
import type { NetworkConfig } from './network.ts';
import { Simulator } from './simulator.ts';

export interface MembershipClusterOptions {
  readonly protocol: MembershipProtocol;
  readonly peers: number;
  readonly seed: number | string;
  readonly network?: Partial<NetworkConfig>;
  readonly gossip?: Partial<GossipConfig>;
  readonly swim?: Partial<SwimConfig>;
  readonly onEvent?: (event: JournalEvent) => void;
  readonly recordMessages?: boolean;
}

export function classroomAddress(peerNumber: number): PeerId {
  return `${peerNumber}.0.0.0:0`;
}

export class MembershipCluster {
  readonly protocol: MembershipProtocol;
  readonly sim: Simulator<MembershipMessage, MembershipCommand, MembershipReply>;
  /** Peer k's id is `ids[k - 1]`. */
  readonly ids: readonly PeerId[];
  readonly introducer: PeerId;

  constructor(options: MembershipClusterOptions) {
    this.protocol = options.protocol;
    const messageBytesMax = options.network?.messageBytesMax ?? MESSAGE_BYTES_MAX_DEFAULT;
    const slots = new SlotRegistry();
    this.sim = new Simulator({
      seed: options.seed,
      network: options.network ?? {},
      sizeOf: membershipMessageBytes,
      typeOf: (message) => message.type,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.recordMessages ? { recordMessages: true } : {}),
      createMachine: ({ id, random, now }) =>
        createMembership({
          protocol: options.protocol,
          id,
          random,
          generation: now,
          messageBytesMax,
          slots,
          ...(options.gossip ? { gossip: options.gossip } : {}),
          ...(options.swim ? { swim: options.swim } : {}),
        }),
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

  machine(id: PeerId): MembershipMachine | undefined {
    return this.sim.machine(id) as MembershipMachine | undefined;
  }

  /** The peers that are running and have joined. */
  members(): PeerId[] {
    return this.ids.filter((id) => this.machine(id)?.status === 'member');
  }

  runUntil(tick: Tick): void {
    this.sim.runUntil(tick);
  }
}
