/**
 * A peer's store on disk: SQLite through Node's built-in `node:sqlite`, in the peer's data folder
 * (`store.sqlite`). It keeps every record in memory too (the machine reads synchronously and
 * often) and writes each change through to the database inside a transaction that the peer
 * commits once per event-loop turn, before any output of that turn leaves the process (group
 * commit, `peer/durable-outputs.ts`).
 *
 * Why SQLite through `node:sqlite`: it is in the runtime (Node 22.13+, and Electron since 37,
 * electron/electron#47706), so there is no native addon to build or ship for Electron's ABI, the
 * packaged app carries nothing extra, and the file is a database users can open with `sqlite3`.
 * LMDB would need a native module per platform and runtime.
 *
 * Sync policy: write-ahead log with `synchronous = FULL`, so a commit returns only once the log
 * is on disk (fsync). A peer acknowledges a write only after that commit; a crash (kill -9) loses
 * nothing acknowledged. The cost is one fsync per event-loop turn, whatever the turn holds
 * (`npm run bench:cluster` measures it against the in-memory store and redis-server).
 *
 * A failed write (a full disk, a removed folder) is kept as `failure`: the peer must stop before
 * it acknowledges anything more (it exits; nothing acknowledged was lost).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as NodeSqlite from 'node:sqlite';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Tick } from '../../shared/machine.ts';
import type { ReplicaStore } from '../../shared/kv/store.ts';
import type { KvRecord } from '../../shared/protocol/kv.ts';

export const STORE_FILE = 'store.sqlite';
/** Bumped when the tables change; a folder written by another schema is refused, not misread. */
const SCHEMA_VERSION = 1;

/**
 * `node:sqlite`, loaded when a store is first opened (the command line's other commands never pay
 * for it), without its "experimental" warning on standard error: the command's output is a contract.
 */
async function loadSqlite(): Promise<typeof NodeSqlite> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('SQLite is an experimental feature')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await import('node:sqlite');
  } finally {
    process.emitWarning = emitWarning;
  }
}

interface Row {
  key: string;
  value: string;
  binary: number;
  deleted: number;
  tick: number;
  counter: number;
  peer: string;
  tombstone_since: number | null;
}

export class SqliteStore implements ReplicaStore {
  readonly path: string;
  readonly #database: DatabaseSync;
  readonly #records = new Map<string, KvRecord>();
  readonly #tombstoneSince = new Map<string, Tick>();
  readonly #meta = new Map<string, string>();
  readonly #upsert: StatementSync;
  readonly #remove: StatementSync;
  readonly #writeMeta: StatementSync;
  #inTransaction = false;
  #failure: Error | undefined;
  /** Commits so far, and the time they took (ms): what durability costs. */
  readonly stats = { commits: 0, commitMs: 0 };

  private constructor(path: string, database: DatabaseSync) {
    this.path = path;
    this.#database = database;
    this.#upsert = database.prepare('INSERT OR REPLACE INTO records (key, value, binary, deleted, tick, counter, peer, tombstone_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.#remove = database.prepare('DELETE FROM records WHERE key = ?');
    this.#writeMeta = database.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)');
    for (const row of database.prepare('SELECT key, value, binary, deleted, tick, counter, peer, tombstone_since FROM records').all() as unknown as Row[]) {
      const record: KvRecord = {
        key: row.key,
        value: row.value,
        ...(row.binary ? { binary: true as const } : {}),
        ...(row.deleted ? { deleted: true as const } : {}),
        version: { tick: row.tick, counter: row.counter, peer: row.peer },
      };
      this.#records.set(row.key, record);
      if (row.tombstone_since !== null) this.#tombstoneSince.set(row.key, row.tombstone_since);
    }
    for (const row of database.prepare('SELECT name, value FROM meta').all() as unknown as { name: string; value: string }[]) this.#meta.set(row.name, row.value);
  }

  /** Opens (or creates) the store in `folder`. Throws with a clear message when it cannot. */
  static async open(folder: string): Promise<SqliteStore> {
    const { DatabaseSync } = await loadSqlite();
    mkdirSync(folder, { recursive: true });
    const path = join(folder, STORE_FILE);
    let database: DatabaseSync;
    try {
      database = new DatabaseSync(path);
      database.exec('PRAGMA journal_mode = WAL');
      database.exec('PRAGMA synchronous = FULL');
      database.exec('CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)');
      database.exec(
        'CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, value TEXT NOT NULL, binary INTEGER NOT NULL, deleted INTEGER NOT NULL, tick INTEGER NOT NULL, counter INTEGER NOT NULL, peer TEXT NOT NULL, tombstone_since INTEGER)',
      );
      const version = (database.prepare("SELECT value FROM meta WHERE name = 'schema'").get() as { value: string } | undefined)?.value;
      if (version === undefined) database.prepare("INSERT INTO meta (name, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
      else if (version !== String(SCHEMA_VERSION)) throw new Error(`it was written by another version of Ringside (store schema ${version}, this one reads ${SCHEMA_VERSION})`);
    } catch (error) {
      throw new Error(`cannot open the store ${path}: ${(error as Error).message}`, { cause: error });
    }
    return new SqliteStore(path, database);
  }

  get size(): number {
    return this.#records.size;
  }

  /** Changes not yet committed. */
  get dirty(): boolean {
    return this.#inTransaction;
  }

  /** The first write that failed: nothing after it may be acknowledged. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  get(key: string): KvRecord | undefined {
    return this.#records.get(key);
  }

  put(record: KvRecord, now: Tick): void {
    this.#records.set(record.key, record);
    if (record.deleted) this.#tombstoneSince.set(record.key, now);
    else this.#tombstoneSince.delete(record.key);
    const version = record.version;
    this.#write(() => this.#upsert.run(record.key, record.value, record.binary ? 1 : 0, record.deleted ? 1 : 0, version.tick, version.counter, version.peer, record.deleted ? now : null));
  }

  delete(key: string): void {
    this.#records.delete(key);
    this.#tombstoneSince.delete(key);
    this.#write(() => this.#remove.run(key));
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
    this.#write(() => this.#writeMeta.run(name, value));
  }

  /** Makes every change so far durable (fsync of the log). Throws if a write or the commit failed. */
  commit(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (!this.#inTransaction) return;
    const started = performance.now();
    try {
      this.#database.exec('COMMIT');
    } catch (error) {
      this.#failure = new Error(`the store could not be saved: ${(error as Error).message}`);
      throw this.#failure;
    }
    this.#inTransaction = false;
    this.stats.commits++;
    this.stats.commitMs += performance.now() - started;
  }

  close(): void {
    try {
      if (this.#inTransaction && this.#failure === undefined) this.#database.exec('COMMIT');
    } finally {
      this.#inTransaction = false;
      this.#database.close();
    }
  }

  #write(statement: () => unknown): void {
    if (this.#failure !== undefined) return;
    try {
      if (!this.#inTransaction) {
        this.#database.exec('BEGIN');
        this.#inTransaction = true;
      }
      statement();
    } catch (error) {
      this.#failure = new Error(`the store could not be written: ${(error as Error).message}`);
    }
  }
}
