import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore, STORE_FILE } from '../../src/peer/kv/sqlite-store.ts';
import type { KvRecord } from '../../src/shared/protocol/kv.ts';

const folders: string[] = [];
function folder(): string {
  const path = mkdtempSync(join(tmpdir(), 'ringside-store-'));
  folders.push(path);
  return path;
}
afterAll(() => {
  for (const path of folders) rmSync(path, { recursive: true, force: true });
});

const record = (key: string, value: string, tick: number, deleted = false): KvRecord => ({
  key,
  value: deleted ? '' : value,
  ...(deleted ? { deleted: true as const } : {}),
  version: { tick, counter: 1, peer: '127.0.0.1:7001' },
});

describe('the store on disk (SQLite)', () => {
  it('keeps what was committed across a reopen: records, tombstones with their age, binary flags and meta', async () => {
    const path = folder();
    const store = await SqliteStore.open(path);
    store.put(record('a', 'one', 10), 10);
    store.put({ ...record('b', 'AAEC', 11), binary: true }, 11);
    store.put(record('gone', '', 12, true), 40);
    store.writeMeta('ring', '{"entries":[]}');
    expect(store.dirty).toBe(true);
    store.commit();
    expect(store.dirty).toBe(false);
    store.close();

    const again = await SqliteStore.open(path);
    expect(again.size).toBe(3);
    expect(again.get('a')).toEqual(record('a', 'one', 10));
    expect(again.get('b')).toEqual({ ...record('b', 'AAEC', 11), binary: true });
    expect(again.get('gone')?.deleted).toBe(true);
    expect(again.tombstoneSince('gone')).toBe(40);
    expect([...again.tombstones()]).toEqual([['gone', 40]]);
    expect(again.readMeta('ring')).toBe('{"entries":[]}');
    again.delete('a');
    again.commit();
    again.close();
    const third = await SqliteStore.open(path);
    expect(third.get('a')).toBeUndefined();
    third.close();
  });

  it('loses what was never committed, as a crash before the commit would', async () => {
    const path = folder();
    const store = await SqliteStore.open(path);
    store.put(record('kept', 'v', 1), 1);
    store.commit();
    store.put(record('lost', 'v', 2), 2);
    // A crash: the process ends without a commit. Opening the file again (another connection)
    // sees only the committed record.
    const reader = await SqliteStore.open(path);
    expect(reader.get('kept')).toBeDefined();
    expect(reader.get('lost')).toBeUndefined();
    reader.close();
    store.close();
  });

  it('refuses a folder it cannot use, or a store of another schema, with a clear message', async () => {
    const path = folder();
    writeFileSync(join(path, STORE_FILE), 'not a database, just text that happens to be here');
    await expect(SqliteStore.open(path)).rejects.toThrow(/^cannot open the store .*store\.sqlite: /);
    const newer = folder();
    const store = await SqliteStore.open(newer);
    store.writeMeta('schema', '99');
    store.commit();
    store.close();
    await expect(SqliteStore.open(newer)).rejects.toThrow(/written by another version of Ringside \(store schema 99, this one reads 1\)/);
    const readOnly = folder();
    chmodSync(readOnly, 0o500);
    if (process.getuid?.() !== 0) await expect(SqliteStore.open(join(readOnly, 'inside'))).rejects.toThrow();
    chmodSync(readOnly, 0o700);
  });

  it('keeps the first failed write and refuses to commit after it, so nothing more is acknowledged', async () => {
    const store = await SqliteStore.open(folder());
    store.put(record('a', 'v', 1), 1);
    store.commit();
    store.close();
    // The database is gone under the store: the next write fails.
    store.put(record('b', 'v', 2), 2);
    expect(store.failure?.message).toMatch(/^the store could not be written: /);
    expect(() => store.commit()).toThrow(/could not be written/);
    expect(store.get('b')).toBeDefined(); // in memory, never acknowledged
  });
});
