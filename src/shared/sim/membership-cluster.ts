/** A simulated group of membership peers: the simulator wired to either membership protocol. */
import type { JournalEvent } from '../journal/events.ts';
import { createMembership, MESSAGE_BYTES_MAX_DEFAULT } from '../membership/create.ts';
import type { GossipConfig } from '../membership/gossip/config.ts';
import type { SwimConfig } from '../membership/swim/config.ts';
import { SlotRegistry } from '../membership/swim/member-table.ts';
import type { MembershipCommand, MembershipMachine, MembershipProtocol, MembershipReply } from '../membership/types.ts';
import { membershipMessageBytes, type MembershipMessage } from '../protocol/membership.ts';
import { Cluster, simulatedMembership } from './cluster.ts';
import type { NetworkConfig } from './network.ts';

export { classroomAddress } from './cluster.ts';

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

export class MembershipCluster extends Cluster<MembershipMessage, MembershipCommand, MembershipReply, MembershipMachine> {
  readonly protocol: MembershipProtocol;

  constructor(options: MembershipClusterOptions) {
    const messageBytesMax = options.network?.messageBytesMax ?? MESSAGE_BYTES_MAX_DEFAULT;
    const slots = new SlotRegistry();
    super({
      peers: options.peers,
      seed: options.seed,
      ...(options.network ? { network: options.network } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.recordMessages ? { recordMessages: true } : {}),
      sizeOf: membershipMessageBytes,
      typeOf: (message) => message.type,
      membershipOf: (machine) => machine,
      create: (context) => createMembership(simulatedMembership(options, context, messageBytesMax, slots)),
    });
    this.protocol = options.protocol;
  }
}
