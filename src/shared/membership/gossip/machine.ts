/**
 * Heartbeat gossip membership, the classroom protocol.
 *
 * Every member keeps a list of rows (peer, generation, heartbeat, the local tick the heartbeat
 * last grew). Each tick it raises its own heartbeat, and every gossip interval sends its list to
 * `fanout` random members, who keep the larger (generation, heartbeat) of each row. A row that has
 * not grown for `failTicks` is suspected and no longer gossiped; after `removeTicks` it is removed
 * and tombstoned. A newcomer sends a join request to an introducer (retrying until one answers)
 * and receives its list; a leaving peer sends its row marked `left` to every member.
 *
 * The caller's duties are those of `machine.ts`; see `config.ts` for the tunables.
 */
import type { PeerId, Tick } from '../../machine.ts';
import { assert } from '../../machine.ts';
import {
  ENVELOPE_BYTES,
  heartbeatEntryBytes,
  type GossipMessage,
  type HeartbeatEntry,
  type MembershipMessage,
} from '../../protocol/membership.ts';
import type { RandomStream } from '../../random/stream.ts';
import { MembershipMachineBase, type SelfVersion } from '../machine-base.ts';
import type { MemberState, MemberView } from '../types.ts';
import { GOSSIP_DEFAULTS, gossipConfigProblem, type GossipConfig } from './config.ts';

export interface GossipOptions {
  readonly id: PeerId;
  readonly random: RandomStream;
  /** Must grow each time the peer restarts (the simulator passes the start tick). */
  readonly generation: number;
  readonly messageBytesMax: number;
  readonly config?: Partial<GossipConfig>;
}

interface Row {
  readonly id: PeerId;
  generation: number;
  heartbeat: number;
  /** The local tick the (generation, heartbeat) pair last grew. */
  updatedTick: Tick;
  suspected: boolean;
  left: boolean;
  /** The tick this peer last changed its belief about the member's state. */
  sinceTick: Tick;
}

/** What is left of a member after it is removed: enough to refuse stale news of it. */
interface Tombstone {
  readonly generation: number;
  readonly heartbeat: number;
  readonly removedTick: Tick;
  /** It left gracefully: that life never returns, and it is no reconnect candidate. */
  readonly left: boolean;
}

export class GossipMachine extends MembershipMachineBase {
  readonly protocol = 'gossip';
  readonly config: GossipConfig;
  readonly #random: RandomStream;
  readonly #generation: number;
  #heartbeat = 0;
  /** Every member this peer knows, except itself. */
  readonly #rows = new Map<PeerId, Row>();
  /** Members removed as failed or departed; the failed ones are reconnect candidates. */
  readonly #tombstones = new Map<PeerId, Tombstone>();
  #nextGossipTick: Tick = 0;
  #nextReconnectTick: Tick = 0;

  constructor(options: GossipOptions) {
    const config = { ...GOSSIP_DEFAULTS, ...options.config };
    super(options.id, options.messageBytesMax, config);
    this.config = config;
    this.#random = options.random;
    this.#generation = options.generation;
    const problem = gossipConfigProblem(this.config);
    assert(problem === undefined, problem ?? '');
  }

  // ------------------------------------------------------------------------------------------
  // Life cycle (see machine-base.ts)

  protected sendJoinRequest(introducer: PeerId): void {
    this.send(introducer, { type: 'gossip.join-request', generation: this.#generation, heartbeat: this.#heartbeat });
  }

  protected onJoined(now: Tick): void {
    this.#nextGossipTick = now;
    this.#nextReconnectTick = now + this.config.reconnectIntervalTicks;
  }

  /** Sends this peer's row marked `left` to every member. */
  protected sayGoodbye(): void {
    this.#heartbeat++;
    const farewell: GossipMessage = {
      type: 'gossip.heartbeats',
      members: [{ id: this.id, generation: this.#generation, heartbeat: this.#heartbeat, left: true }],
    };
    for (const row of this.#rows.values()) if (!row.left) this.send(row.id, farewell);
  }

  protected selfVersion(): SelfVersion {
    return { heartbeat: this.#heartbeat };
  }

  // ------------------------------------------------------------------------------------------
  // Inputs

  protected onMessage(from: PeerId, message: MembershipMessage, now: Tick): void {
    const gossip = message as GossipMessage;
    switch (gossip.type) {
      case 'gossip.join-request':
        if (this.status !== 'member') return; // only members can let others in
        this.#merge(from, { id: from, generation: gossip.generation, heartbeat: gossip.heartbeat }, now);
        this.send(from, { type: 'gossip.join-reply', members: this.#listToSend() });
        return;
      case 'gossip.join-reply':
      case 'gossip.heartbeats':
        // Any list from a member proves this peer is in the group, even if the reply was lost.
        if (this.status === 'joining') this.becomeMember(now);
        for (const entry of gossip.members) this.#merge(from, entry, now);
        return;
    }
  }

  protected onTick(now: Tick): void {
    this.#heartbeat++;
    this.#detectFailures(now);
    if (now >= this.#nextGossipTick) {
      this.#nextGossipTick = now + this.config.gossipIntervalTicks;
      this.#gossipRound();
    }
    if (now >= this.#nextReconnectTick) {
      this.#nextReconnectTick = now + this.config.reconnectIntervalTicks;
      this.#reconnect();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Protocol

  /** Keeps the larger of this peer's row and `entry`, which `from` sent. */
  #merge(from: PeerId, entry: HeartbeatEntry, now: Tick): void {
    if (entry.id === this.id) return; // nobody knows this peer's heartbeat better than itself
    const row = this.#rows.get(entry.id);
    if (row === undefined) {
      if (entry.left) return; // news of a departure of a peer never known here
      const tombstone = this.#tombstones.get(entry.id);
      if (tombstone !== undefined) {
        if (tombstone.left) {
          if (entry.generation <= tombstone.generation) return; // the departed life is over
        } else if (entry.id !== from) {
          const fresh = now < tombstone.removedTick + this.config.tombstoneTicks;
          if (!newer(entry, tombstone) || (fresh && entry.generation === tombstone.generation)) return;
        }
      }
      if (this.#rows.size >= this.config.membersMax) {
        this.counts.updatesRefused++;
        return;
      }
      this.#tombstones.delete(entry.id);
      this.#rows.set(entry.id, {
        id: entry.id,
        generation: entry.generation,
        heartbeat: entry.heartbeat,
        updatedTick: now,
        suspected: false,
        left: false,
        sinceTick: now,
      });
      this.emit({ kind: 'member.added', tick: now, peer: this.id, subject: entry.id, heartbeat: entry.heartbeat });
      return;
    }
    if (!newer(entry, row)) return;
    if (row.left && !entry.left) {
      // Only a new life of a departed peer is news; its old life's rows are not.
      if (entry.generation <= row.generation) return;
      row.left = false;
      row.suspected = false;
      row.sinceTick = now;
      this.emit({ kind: 'member.added', tick: now, peer: this.id, subject: row.id, heartbeat: entry.heartbeat });
    }
    row.generation = entry.generation;
    row.heartbeat = entry.heartbeat;
    row.updatedTick = now;
    if (entry.left && !row.left) {
      row.left = true;
      row.sinceTick = now;
      this.emit({ kind: 'member.left', tick: now, peer: this.id, subject: row.id, heartbeat: row.heartbeat });
    } else if (row.suspected && !row.left) {
      row.suspected = false;
      row.sinceTick = now;
      this.emit({ kind: 'member.alive', tick: now, peer: this.id, subject: row.id, heartbeat: row.heartbeat });
    }
  }

  #detectFailures(now: Tick): void {
    for (const row of this.#rows.values()) {
      const silentTicks = now - row.updatedTick;
      if (row.left) {
        // A departed member's row is gossiped long enough to spread the news, then tombstoned.
        if (silentTicks >= this.config.removeTicks) {
          this.#rows.delete(row.id);
          this.#tombstones.set(row.id, { generation: row.generation, heartbeat: row.heartbeat, removedTick: now, left: true });
        }
        continue;
      }
      if (silentTicks >= this.config.removeTicks) {
        this.#rows.delete(row.id);
        this.#tombstones.set(row.id, { generation: row.generation, heartbeat: row.heartbeat, removedTick: now, left: false });
        this.emit({ kind: 'member.removed', tick: now, peer: this.id, subject: row.id, heartbeat: row.heartbeat });
      } else if (silentTicks >= this.config.failTicks && !row.suspected) {
        row.suspected = true;
        row.sinceTick = now;
        this.emit({ kind: 'member.suspected', tick: now, peer: this.id, subject: row.id, heartbeat: row.heartbeat });
      }
    }
    for (const [id, tombstone] of this.#tombstones) {
      if (now >= tombstone.removedTick + this.config.reconnectTimeoutTicks) this.#tombstones.delete(id);
    }
  }

  #gossipRound(): void {
    const targets: PeerId[] = [];
    for (const row of this.#rows.values()) if (!row.suspected && !row.left) targets.push(row.id);
    if (targets.length === 0) return;
    this.#random.shuffle(targets);
    const list = this.#listToSend();
    const count = Math.min(this.config.fanout, targets.length);
    for (let index = 0; index < count; index++) {
      this.send(targets[index] as PeerId, { type: 'gossip.heartbeats', members: list });
    }
  }

  /** Serf's reconnect: asks one random failed member to take this peer back (a healed partition). */
  #reconnect(): void {
    if (this.#tombstones.size === 0) return;
    const candidates = [...this.#tombstones].filter(([, tombstone]) => !tombstone.left).map(([id]) => id);
    if (candidates.length === 0) return;
    const target = candidates[this.#random.index(candidates.length)] as PeerId;
    this.send(target, { type: 'gossip.join-request', generation: this.#generation, heartbeat: this.#heartbeat });
  }

  /**
   * This peer's row and every row it still vouches for (not suspected; departures included so
   * they spread). If the list outgrows a message, a random subset that fits is sent.
   */
  #listToSend(): HeartbeatEntry[] {
    const list: HeartbeatEntry[] = [{ id: this.id, generation: this.#generation, heartbeat: this.#heartbeat }];
    let bytes = ENVELOPE_BYTES + heartbeatEntryBytes(list[0] as HeartbeatEntry);
    const others: HeartbeatEntry[] = [];
    for (const row of this.#rows.values()) {
      if (row.suspected) continue;
      const entry: HeartbeatEntry = row.left
        ? { id: row.id, generation: row.generation, heartbeat: row.heartbeat, left: true }
        : { id: row.id, generation: row.generation, heartbeat: row.heartbeat };
      others.push(entry);
      bytes += heartbeatEntryBytes(entry);
    }
    if (bytes > this.messageBytesMax) {
      this.#random.shuffle(others);
      bytes = ENVELOPE_BYTES + heartbeatEntryBytes(list[0] as HeartbeatEntry);
      for (const entry of others) {
        bytes += heartbeatEntryBytes(entry);
        if (bytes > this.messageBytesMax) break;
        list.push(entry);
      }
      return list;
    }
    for (const entry of others) list.push(entry);
    return list;
  }

  // ------------------------------------------------------------------------------------------
  // Views

  members(): MemberView[] {
    const views: MemberView[] = [];
    const self = this.selfView();
    if (self !== undefined) views.push({ ...self, generation: this.#generation });
    for (const row of this.#rows.values()) {
      views.push({
        id: row.id,
        state: row.left ? 'left' : row.suspected ? 'suspect' : 'alive',
        sinceTick: row.sinceTick,
        heartbeat: row.heartbeat,
        generation: row.generation,
      });
    }
    for (const [id, tombstone] of this.#tombstones) {
      views.push({
        id,
        state: tombstone.left ? 'left' : 'dead',
        sinceTick: tombstone.removedTick,
        heartbeat: tombstone.heartbeat,
        generation: tombstone.generation,
      });
    }
    return views;
  }

  isMember(id: PeerId): boolean {
    if (id === this.id) return this.status === 'member';
    const row = this.#rows.get(id);
    return row !== undefined && !row.left;
  }

  stateOf(id: PeerId): MemberState | undefined {
    if (id === this.id) return this.selfView()?.state;
    const row = this.#rows.get(id);
    if (row !== undefined) return row.left ? 'left' : row.suspected ? 'suspect' : 'alive';
    const tombstone = this.#tombstones.get(id);
    return tombstone === undefined ? undefined : tombstone.left ? 'left' : 'dead';
  }

  memberCount(): number {
    if (this.status !== 'member') return 0;
    let count = 1;
    for (const row of this.#rows.values()) if (!row.left) count++;
    return count;
  }
}

function newer(
  candidate: { generation: number; heartbeat: number },
  known: { generation: number; heartbeat: number },
): boolean {
  return (
    candidate.generation > known.generation ||
    (candidate.generation === known.generation && candidate.heartbeat > known.heartbeat)
  );
}
