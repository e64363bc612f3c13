import { describe, expect, it } from 'vitest';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import type { KvResult } from '../../src/shared/kv/peer.ts';
import type { KvOperation } from '../../src/shared/protocol/kv.ts';
import { KvCluster } from '../../src/shared/sim/kv-cluster.ts';

describe('tombstones', () => {
  it('are not collected while an owner that never saw the delete is down, so it cannot bring the value back', () => {
    const results = new Map<number, KvResult>();
    const kv = new KvCluster({ protocol: 'gossip', peers: 5, seed: 3, durable: true, kv: { ...KV_DEFAULTS, tombstoneGraceTicks: 50, antiEntropyIntervalTicks: 20 }, onResult: (_, result) => results.set(result.transaction, result) });
    for (const id of kv.ids) kv.start(id);
    kv.runUntil(30);
    let transaction = 0;
    const run = (op: KvOperation, key: string, value: string | undefined, coordinator: string): KvResult => {
      const id = ++transaction;
      kv.client(coordinator, { transaction: id, op, key, ...(value === undefined ? {} : { value }) });
      kv.runUntil(kv.now + 20);
      return results.get(id) as KvResult;
    };
    const owners = kv.machine(kv.ids[0] as string)?.ring.preferenceList('k') ?? [];
    const coordinator = kv.ids.find((id) => !owners.includes(id)) as string;
    expect(run('put', 'k', 'old', coordinator).ok).toBe(true);
    const sleeper = owners[2] as string;
    kv.crash(sleeper); // it holds 'old' on its disk
    expect(run('delete', 'k', undefined, coordinator).ok).toBe(true);
    kv.runUntil(kv.now + 500); // ten grace periods
    const live = owners.filter((owner) => owner !== sleeper);
    for (const owner of live) expect(kv.machine(owner)?.record('k')?.deleted).toBe(true);
    kv.start(sleeper);
    expect(kv.machine(sleeper)?.record('k')?.value).toBe('old');
    kv.runUntil(kv.now + 300); // anti-entropy, then the grace period, several times over
    expect(run('read', 'k', undefined, coordinator)).toMatchObject({ ok: false, reason: 'missing' });
    for (const owner of owners) expect(kv.machine(owner)?.record('k')?.value ?? '(collected)').not.toBe('old');
    // Once every owner holds it, the tombstone goes.
    kv.runUntil(kv.now + 300);
    for (const owner of owners) expect(kv.machine(owner)?.record('k')).toBeUndefined();
  });
});
