import type { PeerId } from '../machine.ts';
import type { RandomStream } from '../random/stream.ts';
import type { GossipConfig } from './gossip/config.ts';
import { GossipMachine } from './gossip/machine.ts';
import type { SwimConfig } from './swim/config.ts';
import { SwimMachine } from './swim/machine.ts';
import type { SlotRegistry } from './swim/member-table.ts';
import type { MembershipMachine, MembershipProtocol } from './types.ts';

/** The default bound on one message, in bytes (a real peer's WebSocket frames obey it too). */
export const MESSAGE_BYTES_MAX_DEFAULT = 65_536;

export interface MembershipOptions {
  readonly protocol: MembershipProtocol;
  readonly id: PeerId;
  readonly random: RandomStream;
  /** Must grow when a peer restarts (gossip uses it to outrank its earlier life). */
  readonly generation?: number;
  readonly messageBytesMax?: number;
  readonly gossip?: Partial<GossipConfig>;
  readonly swim?: Partial<SwimConfig>;
  /** SWIM: a slot registry shared by all peers of one simulation, to save memory. */
  readonly slots?: SlotRegistry;
}

/** A membership machine of either protocol; both answer to the same interface and events. */
export function createMembership(options: MembershipOptions): MembershipMachine {
  const messageBytesMax = options.messageBytesMax ?? MESSAGE_BYTES_MAX_DEFAULT;
  if (options.protocol === 'gossip') {
    return new GossipMachine({
      id: options.id,
      random: options.random,
      generation: options.generation ?? 0,
      messageBytesMax,
      ...(options.gossip ? { config: options.gossip } : {}),
    });
  }
  return new SwimMachine({
    id: options.id,
    random: options.random,
    messageBytesMax,
    ...(options.slots ? { slots: options.slots } : {}),
    ...(options.swim ? { config: options.swim } : {}),
  });
}
