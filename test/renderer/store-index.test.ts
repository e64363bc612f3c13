import { describe, expect, test } from 'vitest';
import { StoreIndex } from '../../src/renderer/src/lib/store-index.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { SessionEntry } from '../../src/shared/journal/session.ts';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import { KvCluster } from '../../src/shared/sim/kv-cluster.ts';

describe('the stores at any moment, from the journal', () => {
  test("are each running peer's own store at every checkpoint, through writes, deletes, a partition, a crash and its repair", () => {
    const entries: SessionEntry[] = [];
    const record = (event: JournalEvent): void => {
      entries.push({ seq: entries.length, at: event.tick * 100, event });
    };
    record({ kind: 'cluster.started', tick: 0, peer: 'manager', epoch: 1, cluster: 'kv', peers: 5, tickMs: 100, protocol: 'swim', quorum: 'strict', storage: 'disk' });
    const kv = new KvCluster({ protocol: 'swim', peers: 5, seed: 9, durable: true, kv: { ...KV_DEFAULTS, antiEntropyIntervalTicks: 30, tombstoneGraceTicks: 60 }, ringSeed: ['1.0.0.0:0', '2.0.0.0:0', '3.0.0.0:0', '4.0.0.0:0', '5.0.0.0:0'], onEvent: record });
    for (const id of kv.ids) kv.start(id);
    kv.runUntil(30);
    let transaction = 0;
    const write = (op: 'put' | 'delete', key: string, via: number): void => {
      const running = kv.ids.filter((id) => kv.sim.status(id) === 'running');
      kv.client(running[via % running.length] as string, { transaction: ++transaction, op, key, ...(op === 'put' ? { value: `v${transaction}-${'x'.repeat(transaction % 90)}` } : {}) });
    };
    const checkpoints: { position: number; stores: Record<string, string[]> }[] = [];
    const snapshot = (): void => {
      const stores: Record<string, string[]> = {};
      for (const id of kv.ids) {
        if (kv.sim.status(id) !== 'running') continue;
        stores[id] = (kv.machine(id)?.records() ?? []).map((item) => `${item.key}@${item.version.tick}.${item.version.counter}.${item.version.peer}${item.deleted === true ? ' deleted' : ''}`).sort();
      }
      checkpoints.push({ position: entries.length, stores });
    };
    for (let step = 0; step < 60; step++) {
      write(step % 7 === 3 ? 'delete' : 'put', `key-${step % 12}`, step);
      if (step === 20) kv.sim.network.partition(kv.ids.slice(0, 2), kv.ids.slice(2), false);
      if (step === 30) kv.sim.network.healAll();
      if (step === 35) kv.crash(kv.ids[2] as string);
      if (step === 45) kv.start(kv.ids[2] as string);
      kv.runUntil(kv.now + 7);
      snapshot();
    }
    kv.runUntil(kv.now + 200);
    snapshot();
    const index = new StoreIndex();
    entries.forEach((entry, offset) => index.apply(entry, offset + 1));
    for (const { position, stores } of checkpoints) {
      const fromJournal: Record<string, string[]> = {};
      for (const id of Object.keys(stores)) {
        fromJournal[id] = index
          .storeAt(1, id, position)
          .map((item) => `${item.key}@${item.version.tick}.${item.version.counter}.${item.version.peer}${item.deleted === true ? ' deleted' : ''}`)
          .sort();
      }
      expect(fromJournal, `at position ${position}`).toEqual(stores);
    }
    // The stores did change along the way (writes, repairs after the crash), and let keys go.
    expect(new Set(checkpoints.map((checkpoint) => JSON.stringify(checkpoint.stores))).size).toBeGreaterThan(20);
    expect(entries.filter((entry) => entry.event.kind === 'store.changed').length).toBeGreaterThan(0);
    expect(entries.filter((entry) => entry.event.kind === 'store.dropped').length).toBeGreaterThan(0);
  });
});
