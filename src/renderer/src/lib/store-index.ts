/**
 * Each key-value peer's store at any moment, from the journal: every change a replica made to its
 * store is journaled with the record's version and a preview (a client write it applied:
 * `kv.replica` ok; a record from another replica, by repair, handoff or anti-entropy:
 * `store.changed`; a key it let go: `store.dropped`). The store at position P is, for each key, the
 * last change at or before P, since the peer's store was last wiped (a peer whose store is in
 * memory loses it with its process; each cluster has stores of its own).
 *
 * Built once as the journal grows (`sync`), per cluster (epoch), peer and key, each key's changes
 * in journal order, so a store at a moment is a binary search per key. Values are the journal's
 * previews (64 characters), never whole values: `truncated` says so.
 */
import type { SessionEntry } from '../../../shared/journal/session.ts';
import type { Timeline, World } from '../../../shared/journal/timeline.ts';
import type { StoredRecord } from '../../../shared/protocol/control.ts';
import type { Version } from '../../../shared/protocol/kv.ts';

interface Change {
  readonly position: number;
  /** Undefined: the key was let go (handed off, or an expired tombstone). */
  readonly record: StoredRecord | undefined;
}

interface PeerChanges {
  readonly keys: Map<string, Change[]>;
  /** Positions at which the peer's store was wiped (its process ended, the store in memory). */
  readonly wipes: number[];
}

export class StoreIndex {
  /** By epoch, then peer. */
  readonly #epochs = new Map<number, Map<string, PeerChanges>>();
  #epoch = 0;
  #memory = false;
  consumed = 0;

  #peer(peer: string): PeerChanges {
    let peers = this.#epochs.get(this.#epoch);
    if (peers === undefined) this.#epochs.set(this.#epoch, (peers = new Map()));
    let changes = peers.get(peer);
    if (changes === undefined) peers.set(peer, (changes = { keys: new Map(), wipes: [] }));
    return changes;
  }

  #change(peer: string, key: string, position: number, record: StoredRecord | undefined): void {
    const keys = this.#peer(peer).keys;
    let changes = keys.get(key);
    if (changes === undefined) keys.set(key, (changes = []));
    changes.push({ position, record });
  }

  apply(entry: SessionEntry, position: number): void {
    this.consumed = position;
    const event = entry.event;
    switch (event.kind) {
      case 'cluster.started':
        this.#epoch = event.epoch;
        this.#memory = event.storage === 'memory';
        return;
      case 'process.exited':
      case 'peer.crashed':
        // A store in memory goes with its process; one on disk comes back with the next.
        if (this.#memory) this.#peer(event.peer).wipes.push(position);
        return;
      case 'kv.replica':
        if (!event.ok || event.op === 'read' || event.version === undefined) return;
        this.#change(event.peer, event.key, position, recordOf(event.key, event.version, event.op === 'delete', event));
        return;
      case 'store.changed':
        if (event.version === undefined) return;
        this.#change(event.peer, event.key, position, recordOf(event.key, event.version, event.deleted, event));
        return;
      case 'store.dropped':
        this.#change(event.peer, event.key, position, undefined);
        return;
      default:
    }
  }

  /** Applies what the timeline holds beyond what this index has. */
  sync(timeline: Timeline): void {
    for (let position = Math.max(this.consumed + 1, timeline.firstPosition + 1); position <= timeline.size; position++) {
      const entry = timeline.entryAt(position);
      if (entry !== undefined) this.apply(entry, position);
    }
    this.consumed = Math.max(this.consumed, timeline.size);
  }

  /** `peer`'s records at `position` in cluster `epoch`, sorted by key. */
  storeAt(epoch: number, peer: string, position: number): StoredRecord[] {
    // A journal written before epochs has none: its changes are all under epoch 0.
    const changes = (this.#epochs.get(epoch) ?? this.#epochs.get(0))?.get(peer);
    if (changes === undefined) return [];
    let since = 0;
    for (const wipe of changes.wipes) if (wipe <= position) since = wipe;
    const records: StoredRecord[] = [];
    for (const [, list] of changes.keys) {
      const last = lastAtOrBefore(list, position);
      if (last !== undefined && last.position > since && last.record !== undefined) records.push(last.record);
    }
    return records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

function lastAtOrBefore(list: readonly Change[], position: number): Change | undefined {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((list[middle] as Change).position <= position) low = middle + 1;
    else high = middle;
  }
  return list[low - 1];
}

function recordOf(key: string, version: Version, deleted: boolean, summary: { preview?: string | undefined; value?: string | undefined; truncated?: true | undefined; binary?: true | undefined }): StoredRecord {
  const value = summary.value ?? summary.preview ?? '';
  return {
    key,
    value: deleted ? '' : value,
    ...(summary.truncated === true && !deleted ? { truncated: true as const } : {}),
    ...(summary.binary === true && !deleted ? { binary: true as const } : {}),
    ...(deleted ? { deleted: true as const } : {}),
    version,
  };
}

const indexes = new WeakMap<Timeline, StoreIndex>();

/** The store index of a timeline, brought up to date with it. */
export function storeIndexOf(timeline: Timeline): StoreIndex {
  let index = indexes.get(timeline);
  if (index === undefined) indexes.set(timeline, (index = new StoreIndex()));
  index.sync(timeline);
  return index;
}

/** Every running peer's store at the world's moment. */
export function storesAt(timeline: Timeline, world: World): Map<string, StoredRecord[]> {
  const index = storeIndexOf(timeline);
  const stores = new Map<string, StoredRecord[]>();
  for (const peer of world.peers.values()) {
    if (peer.state !== 'running' && peer.state !== 'paused' && peer.state !== 'leaving') continue;
    stores.set(peer.id, index.storeAt(world.epoch.number, peer.id, world.position));
  }
  return stores;
}
