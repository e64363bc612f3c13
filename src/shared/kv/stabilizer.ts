/**
 * Keeping every key on its owners, outside client operations:
 *
 * - handoff: a record this peer holds but does not own (after a ring change, a sloppy quorum's
 *   hint, a coordinator whose ring differed) is sent to its owners and dropped once every owner
 *   has acknowledged that version; unacknowledged handoffs are retried with backoff;
 * - after a ring change, new co-owners of the keys this peer owns get them;
 * - anti-entropy: every so often each owner sends its co-owners the versions of the keys they
 *   share, and each side pulls or pushes the difference;
 * - a tombstone is collected a grace period after its delete (its version's tick), and only once
 *   every other owner of its key has shown (in its anti-entropy digest) that it holds the tombstone
 *   or something newer: an owner that was down when the key was deleted would otherwise bring the
 *   deleted value back when it returns (Cassandra's gc_grace problem, without the grace bet). A
 *   tombstone past its grace is not taken back by a replica that no longer holds the key: owners
 *   collect at slightly different moments, and would otherwise hand it to each other forever.
 *
 * None of this is journaled as a client operation (`store.changed`, `store.dropped` instead).
 */
import type { PeerId, Tick } from '../machine.ts';
import { compareVersions, KV_ENVELOPE_BYTES, RECORDS_PER_MESSAGE_MAX, recordBytes, versionEntryBytes, type KvMessage, type KvRecord, type Version } from '../protocol/kv.ts';
import type { Replica } from './replica.ts';
import type { KvContext } from './types.ts';

/** A key this peer holds but does not own, on its way to its owners. */
interface Handoff {
  /** The owners that have acknowledged the version held now. */
  readonly acknowledged: Set<PeerId>;
  attempts: number;
  nextTick: Tick;
}

const HANDOFF_BACKOFF_MAX = 32;

type Replication = Extract<KvMessage, { type: 'kv.store' | 'kv.digest' | 'kv.pull' | 'kv.stored' }>;

export class Stabilizer {
  readonly #context: KvContext;
  readonly #replica: Replica;
  readonly #handoffs = new Map<string, Handoff>();
  /** For each tombstone held: the other owners that have shown they hold it (or newer). */
  readonly #tombstoneHolders = new Map<string, Set<PeerId>>();
  #nextStabilizeTick = 0;
  #nextAntiEntropyTick = 0;

  constructor(context: KvContext, replica: Replica) {
    this.#context = context;
    this.#replica = replica;
  }

  /** Keys held here that wait for their owners' acknowledgement. */
  get pendingHandoffs(): number {
    return this.#handoffs.size;
  }

  /**
   * After a ring change: keys this peer no longer holds are handed off; with `holdsBefore` (who
   * held what before), new co-owners of the keys it holds also get them. Without it they pull
   * what they gain themselves (ring transitions).
   */
  stabilize(holdsBefore: ((peer: PeerId, key: string) => boolean) | undefined, now: Tick): void {
    const { ownership, store, id } = this.#context;
    if (!ownership.ring.placesKeys) return;
    const batches = new Batches();
    for (const record of store.records()) {
      const owners = ownership.allOwners(record.key);
      if (owners.includes(id)) {
        this.#handoffs.delete(record.key);
        if (holdsBefore !== undefined) for (const owner of owners) if (owner !== id && !holdsBefore(owner, record.key)) batches.add(owner, record);
      } else {
        const handoff = this.#handoff(record.key, now);
        for (const owner of owners) if (!handoff.acknowledged.has(owner)) batches.add(owner, record, true);
      }
    }
    this.sendRecords(batches, 'handoff');
  }

  /** A record entered the store: a non-owner starts handing it off at once. */
  kept(record: KvRecord, now: Tick): void {
    const { ownership, id } = this.#context;
    this.#handoffs.delete(record.key);
    this.#tombstoneHolders.delete(record.key);
    if (ownership.ring.placesKeys && !ownership.holds(id, record.key)) this.#handoff(record.key, now);
  }

  /** Forget a key's handoff (its record was dropped). */
  forget(key: string): void {
    this.#handoffs.delete(key);
    this.#tombstoneHolders.delete(key);
  }

  #handoff(key: string, now: Tick): Handoff {
    let handoff = this.#handoffs.get(key);
    if (handoff === undefined) {
      handoff = { acknowledged: new Set(), attempts: 0, nextTick: now + this.#context.config.stabilizeIntervalTicks };
      this.#handoffs.set(key, handoff);
    }
    return handoff;
  }

  onReplication(from: PeerId, message: Replication, now: Tick): void {
    const context = this.#context;
    switch (message.type) {
      case 'kv.store': {
        const kept: { key: string; version: Version }[] = [];
        for (const record of message.records) {
          if (context.tooLarge(record.key, record.value, record.binary === true) || !this.believable(from, record.version, now)) continue;
          // A collected tombstone stays collected: absent and deleted read the same.
          if (!(record.deleted && this.#pastGrace(record.version, now) && context.store.get(record.key) === undefined)) this.#replica.accept(record, message.reason, now);
          kept.push({ key: record.key, version: record.version });
        }
        if (message.ack && kept.length > 0) context.send(from, { type: 'kv.stored', entries: kept });
        return;
      }
      case 'kv.stored':
        for (const entry of message.entries) {
          // An owner that holds this tombstone, or has collected it: it holds no older value.
          const mine = context.store.get(entry.key);
          if (mine?.deleted && compareVersions(entry.version, mine.version) >= 0) this.#tombstoneHeldBy(entry.key, from);
          this.acknowledged(from, entry.key, entry.version, now);
        }
        return;
      case 'kv.digest': {
        const pull: string[] = [];
        const push = new Batches();
        const collected: { key: string; version: Version }[] = [];
        for (const entry of message.entries) {
          // Only keys the two share: a digest is no way to read what one does not own.
          if (!context.ownership.holds(from, entry.key)) continue;
          const mine = context.store.get(entry.key);
          const order = mine === undefined ? 1 : compareVersions(entry.version, mine.version);
          if (mine === undefined && entry.deleted && this.#pastGrace(entry.version, now)) {
            // Collected here (or never held): say so, so the sender may collect it too.
            collected.push({ key: entry.key, version: entry.version });
            continue;
          }
          if (order > 0) pull.push(entry.key);
          else if (order < 0) push.add(from, mine as KvRecord);
          // The sender holds this tombstone (or newer): one owner fewer to wait for.
          if (order >= 0 && mine?.deleted) this.#tombstoneHeldBy(entry.key, from);
        }
        this.sendRecords(push, 'sync');
        for (let index = 0; index < pull.length; index += RECORDS_PER_MESSAGE_MAX) context.send(from, { type: 'kv.pull', keys: pull.slice(index, index + RECORDS_PER_MESSAGE_MAX) });
        for (const part of chunk(collected, versionEntryBytes, context.messageBytesMax)) context.send(from, { type: 'kv.stored', entries: part });
        return;
      }
      case 'kv.pull': {
        const push = new Batches();
        for (const key of message.keys) {
          const record = context.store.get(key);
          if (record !== undefined && context.ownership.holds(from, key)) push.add(from, record);
        }
        this.sendRecords(push, 'sync');
        return;
      }
    }
  }

  /** An owner holds this version: once every owner does, this non-owner lets the key go. */
  acknowledged(owner: PeerId, key: string, version: Version, now: Tick): void {
    const context = this.#context;
    const handoff = this.#handoffs.get(key);
    const record = context.store.get(key);
    if (handoff === undefined || record === undefined || compareVersions(record.version, version) !== 0) return;
    handoff.acknowledged.add(owner);
    this.#completeIfAcknowledged(key, handoff, now);
  }

  /**
   * Lets go of a key once every owner it has now has acknowledged the version held (owners change
   * with the ring: those that acknowledged under a larger set may be all that is left). True if
   * the handoff is over (done, or this peer owns the key after all).
   */
  #completeIfAcknowledged(key: string, handoff: Handoff, now: Tick): boolean {
    const context = this.#context;
    const owners = context.ownership.allOwners(key);
    if (owners.length === 0) return false; // no ring to hand off to: keep it
    if (owners.includes(context.id)) {
      this.#handoffs.delete(key);
      return true;
    }
    if (!owners.every((peer) => handoff.acknowledged.has(peer))) return false;
    this.#handoffs.delete(key);
    context.store.delete(key);
    this.#tombstoneHolders.delete(key);
    context.counters.recordsHandedOff++;
    context.emit({ kind: 'store.dropped', tick: now, peer: context.id, key, reason: 'handed-off' });
    return true;
  }

  /** A version stamped further ahead than clocks drift is refused, counted and journaled. */
  believable(from: PeerId, version: Version, now: Tick): boolean {
    const context = this.#context;
    if (version.tick <= now + context.config.clockDriftMaxTicks) return true;
    context.reject(from, 'clock-skew', `a version at tick ${version.tick}, ${version.tick - now} ticks ahead`, now);
    return false;
  }

  /** Every tick: handoff retries and tombstone collection; anti-entropy less often. */
  tick(now: Tick, status: 'member' | 'left' | 'other'): void {
    const config = this.#context.config;
    if (status === 'left' && this.#handoffs.size > 0 && now >= this.#nextStabilizeTick) {
      this.#nextStabilizeTick = now + config.stabilizeIntervalTicks;
      this.#retryHandoffs(now);
    }
    if (status !== 'member') return;
    if (now >= this.#nextStabilizeTick) {
      this.#nextStabilizeTick = now + config.stabilizeIntervalTicks;
      this.#retryHandoffs(now);
      this.#collectTombstones(now);
    }
    if (now >= this.#nextAntiEntropyTick) {
      this.#nextAntiEntropyTick = now + config.antiEntropyIntervalTicks;
      this.#antiEntropy();
    }
  }

  /** Resends what owners have not acknowledged, backing off so an unreachable owner costs little. */
  #retryHandoffs(now: Tick): void {
    const context = this.#context;
    if (this.#handoffs.size === 0 || !context.ownership.ring.placesKeys) return;
    const batches = new Batches();
    for (const [key, handoff] of [...this.#handoffs]) {
      const record = context.store.get(key);
      if (record === undefined) {
        this.#handoffs.delete(key);
        continue;
      }
      if (this.#completeIfAcknowledged(key, handoff, now)) continue;
      const owners = context.ownership.allOwners(key);
      if (now < handoff.nextTick) continue;
      handoff.attempts++;
      handoff.nextTick = now + context.config.stabilizeIntervalTicks * Math.min(HANDOFF_BACKOFF_MAX, 2 ** (handoff.attempts - 1));
      for (const owner of owners) if (!handoff.acknowledged.has(owner)) batches.add(owner, record, true);
    }
    this.sendRecords(batches, 'handoff');
  }

  #pastGrace(version: Version, now: Tick): boolean {
    return now >= version.tick + this.#context.config.tombstoneGraceTicks;
  }

  #tombstoneHeldBy(key: string, peer: PeerId): void {
    let holders = this.#tombstoneHolders.get(key);
    if (holders === undefined) this.#tombstoneHolders.set(key, (holders = new Set()));
    holders.add(peer);
  }

  /** Tombstones past their grace period that every other owner holds too. */
  #collectTombstones(now: Tick): void {
    const context = this.#context;
    const expired: string[] = [];
    for (const [key] of context.store.tombstones()) {
      const record = context.store.get(key);
      if (record === undefined || !this.#pastGrace(record.version, now)) continue;
      const holders = this.#tombstoneHolders.get(key);
      // Membership ownership (the classroom) moves keys on failures: a down owner is no owner there.
      const owners = context.ownership.fingerprint === undefined ? [] : context.ownership.allOwners(key);
      if (owners.every((owner) => owner === context.id || holders?.has(owner) === true)) expired.push(key);
    }
    for (const key of expired) {
      context.store.delete(key);
      this.#handoffs.delete(key);
      this.#tombstoneHolders.delete(key);
      context.emit({ kind: 'store.dropped', tick: now, peer: context.id, key, reason: 'tombstone-expired' });
    }
  }

  /** Sends each co-owner the versions of the keys the two share; it pulls or pushes the difference. */
  #antiEntropy(): void {
    const context = this.#context;
    if (!context.ownership.ring.placesKeys) return;
    const digests = new Map<PeerId, { key: string; version: Version; deleted?: true }[]>();
    for (const record of context.store.records()) {
      const owners = context.ownership.allOwners(record.key);
      if (!owners.includes(context.id)) continue;
      for (const owner of owners) {
        if (owner === context.id) continue;
        let entries = digests.get(owner);
        if (entries === undefined) digests.set(owner, (entries = []));
        entries.push({ key: record.key, version: record.version, ...(record.deleted ? { deleted: true as const } : {}) });
      }
    }
    for (const [owner, entries] of digests) {
      for (const part of chunk(entries, versionEntryBytes, context.messageBytesMax)) context.send(owner, { type: 'kv.digest', entries: part });
    }
  }

  sendRecords(batches: Batches, reason: 'handoff' | 'sync' | 'repair'): void {
    for (const [peer, { records, ack }] of batches.byPeer) {
      for (const part of chunk(records, recordBytes, this.#context.messageBytesMax)) this.#context.send(peer, { type: 'kv.store', reason, records: part, ack });
    }
  }
}

/** Records to send, grouped by peer. */
export class Batches {
  readonly byPeer = new Map<PeerId, { records: KvRecord[]; ack: boolean }>();

  add(peer: PeerId, record: KvRecord, ack = false): void {
    let batch = this.byPeer.get(peer);
    if (batch === undefined) this.byPeer.set(peer, (batch = { records: [], ack }));
    batch.records.push(record);
  }
}

/** Splits items into messages that respect both the record count and the byte limits. */
export function chunk<T>(items: readonly T[], bytesOf: (item: T) => number, messageBytesMax: number): T[][] {
  const budget = messageBytesMax - KV_ENVELOPE_BYTES;
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (current.length > 0 && (bytes + size > budget || current.length >= RECORDS_PER_MESSAGE_MAX)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
