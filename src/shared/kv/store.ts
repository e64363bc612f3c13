/**
 * Where a replica keeps its records, its tombstones' ages and a few named values (its ring
 * state). The key-value machine calls it synchronously and never asks how it keeps them:
 *
 * - `MemoryStore` (here): a map. The simulator's peers and `--memory` peers use it; a simulated
 *   cluster may keep one across a peer's crash to model a disk (`KvCluster`'s `durable`).
 * - a peer process's database in its data folder (`src/peer/kv/sqlite-store.ts`), which writes
 *   through to SQLite.
 *
 * The durability contract belongs to the driver: a change made during a step must be durable
 * before any output of that step (an acknowledgement, a reply) leaves the process. A memory
 * store is never durable, so a crash loses it; that is the point of `--memory`.
 */
import type { Tick } from '../machine.ts';
import type { KvRecord } from '../protocol/kv.ts';

export interface ReplicaStore {
  /** Records held, tombstones included. */
  readonly size: number;
  get(key: string): KvRecord | undefined;
  /** Keeps `record` (replacing any other version); a tombstone remembers `now` as its age's start. */
  put(record: KvRecord, now: Tick): void;
  delete(key: string): void;
  /** When the tombstone of `key` reached this replica, if it holds one. */
  tombstoneSince(key: string): Tick | undefined;
  /** Every record, in no particular order. The machine never changes the store while iterating. */
  records(): IterableIterator<KvRecord>;
  /** Every tombstone with the tick it arrived. */
  tombstones(): IterableIterator<[string, Tick]>;
  readMeta(name: string): string | undefined;
  writeMeta(name: string, value: string): void;
}

export class MemoryStore implements ReplicaStore {
  readonly #records = new Map<string, KvRecord>();
  readonly #tombstoneSince = new Map<string, Tick>();
  readonly #meta = new Map<string, string>();

  get size(): number {
    return this.#records.size;
  }

  get(key: string): KvRecord | undefined {
    return this.#records.get(key);
  }

  put(record: KvRecord, now: Tick): void {
    this.#records.set(record.key, record);
    if (record.deleted) this.#tombstoneSince.set(record.key, now);
    else this.#tombstoneSince.delete(record.key);
  }

  delete(key: string): void {
    this.#records.delete(key);
    this.#tombstoneSince.delete(key);
  }

  tombstoneSince(key: string): Tick | undefined {
    return this.#tombstoneSince.get(key);
  }

  records(): IterableIterator<KvRecord> {
    return this.#records.values();
  }

  tombstones(): IterableIterator<[string, Tick]> {
    return this.#tombstoneSince.entries();
  }

  readMeta(name: string): string | undefined {
    return this.#meta.get(name);
  }

  writeMeta(name: string, value: string): void {
    this.#meta.set(name, value);
  }
}
