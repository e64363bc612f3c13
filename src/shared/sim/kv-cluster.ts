/**
 * A simulated key-value cluster: peers that run membership and the replica store. Clients hand
 * operations to a coordinator of their choice; results come back through `onResult`.
 */
import type { PeerId, Tick } from '../machine.ts';
import { MemoryStore } from '../kv/store.ts';
import type { KvConfig } from '../kv/config.ts';
import { KV_MESSAGE_BYTES_MAX_DEFAULT, KvPeer, type KvCommand, type KvResult, type PeerCommand, type PeerMessage, type PeerReply } from '../kv/peer.ts';
import { SlotRegistry } from '../membership/swim/member-table.ts';
import type { MembershipProtocol } from '../membership/types.ts';
import { KV_MESSAGE_TYPES, kvMessageBytes, kvMessageBytesBound, type KvMessage } from '../protocol/kv.ts';
import { membershipMessageBytes, type MembershipMessage } from '../protocol/membership.ts';
import { HashCache } from '../ring/hash.ts';
import { Cluster, simulatedMembership } from './cluster.ts';
import type { MembershipClusterOptions } from './membership-cluster.ts';

export interface KvClusterOptions extends MembershipClusterOptions {
  readonly kv?: Partial<KvConfig>;
  readonly onResult?: (coordinator: PeerId, result: KvResult, now: Tick) => void;
  /**
   * Each peer's store outlives its crashes, as a disk would (a real peer's data folder); default
   * false: a restarted peer comes back empty, as with `--memory`.
   */
  readonly durable?: boolean;
  /**
   * Explicit ownership: the peers that own keys from the start. Default: every peer of the
   * cluster (a cluster started whole); `[]`: none, so the first peer founds the ring and the
   * others join it one transition at a time.
   */
  readonly ringSeed?: readonly PeerId[];
}

export function peerMessageBytes(message: PeerMessage): number {
  return KV_MESSAGE_TYPES.has(message.type) ? kvMessageBytes(message as KvMessage) : membershipMessageBytes(message as MembershipMessage);
}

export class KvCluster extends Cluster<PeerMessage, PeerCommand, PeerReply, KvPeer> {
  readonly protocol: MembershipProtocol;

  constructor(options: KvClusterOptions) {
    const messageBytesMax = options.network?.messageBytesMax ?? KV_MESSAGE_BYTES_MAX_DEFAULT;
    const slots = new SlotRegistry();
    const hashes = new HashCache();
    const disks = new Map<PeerId, MemoryStore>();
    let seed: readonly PeerId[] = [];
    super({
      peers: options.peers,
      seed: options.seed,
      network: { messageBytesMax, ...options.network },
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.recordMessages ? { recordMessages: true } : {}),
      onReply: (peer, reply, now) => {
        if (reply.type === 'kv.result') options.onResult?.(peer, reply, now);
      },
      sizeOf: peerMessageBytes,
      sizeBound: (message) => (KV_MESSAGE_TYPES.has(message.type) ? kvMessageBytesBound(message as KvMessage) : membershipMessageBytes(message as MembershipMessage)),
      typeOf: (message) => message.type,
      membershipOf: (peer) => peer.membership,
      create: (context) => {
        let store: MemoryStore | undefined;
        if (options.durable === true) {
          store = disks.get(context.id) ?? new MemoryStore();
          disks.set(context.id, store);
        }
        return new KvPeer(
          { ...simulatedMembership(options, context, messageBytesMax, slots), ...(options.kv ? { kv: options.kv } : {}), ...(store ? { store } : {}), ringSeed: seed },
          hashes,
        );
      },
    });
    seed = options.ringSeed ?? this.ids;
    this.protocol = options.protocol;
  }

  /** Hands a client operation to `coordinator`, now. */
  client(coordinator: PeerId, command: Omit<KvCommand, 'type'>): void {
    this.sim.command(coordinator, { type: 'kv.client', ...command });
  }
}
