import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { CLASSROOM_KV, KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import type { KvResult } from '../../src/shared/kv/peer.ts';
import type { KvOperation } from '../../src/shared/protocol/kv.ts';
import { KvCluster } from '../../src/shared/sim/kv-cluster.ts';

/** A started, converged cluster that keeps every event and result. */
function cluster(options: { peers?: number; kv?: typeof KV_DEFAULTS; seed?: number; durable?: boolean; ringSeed?: readonly string[] } = {}) {
  const events: JournalEvent[] = [];
  const results: KvResult[] = [];
  const kv = new KvCluster({
    protocol: 'gossip',
    peers: options.peers ?? 5,
    seed: options.seed ?? 1,
    kv: options.kv ?? KV_DEFAULTS,
    ...(options.durable ? { durable: true } : {}),
    ...(options.ringSeed ? { ringSeed: options.ringSeed } : {}),
    onEvent: (event) => events.push(event),
    onResult: (_, result) => results.push(result),
  });
  for (const id of kv.ids) kv.start(id);
  kv.runUntil(20);
  let transaction = 0;
  const run = (op: KvOperation, key: string, value?: string, coordinator = kv.ids[0] as string): KvResult => {
    const id = ++transaction;
    kv.client(coordinator, { transaction: id, op, key, ...(value === undefined ? {} : { value }) });
    kv.runUntil(kv.now + 15);
    const result = results.find((candidate) => candidate.transaction === id);
    if (result === undefined) throw new Error(`no result for ${op} ${key}`);
    return result;
  };
  const holders = (key: string): string[] => kv.ids.filter((id) => kv.machine(id)?.record(key) !== undefined);
  return { kv, events, results, run, holders };
}

describe('the key-value peer', () => {
  it('creates, reads, updates and deletes with quorum, on exactly the N owners', () => {
    const { kv, run, holders } = cluster();
    expect(run('create', 'k', 'v1')).toMatchObject({ ok: true, value: 'v1' });
    const owners = kv.machine(kv.ids[0] as string)?.ring.preferenceList('k');
    expect(holders('k').sort()).toEqual([...(owners ?? [])].sort());
    expect(run('read', 'k')).toMatchObject({ ok: true, value: 'v1' });
    expect(run('update', 'k', 'v2')).toMatchObject({ ok: true });
    expect(run('read', 'k', undefined, kv.ids[3])).toMatchObject({ ok: true, value: 'v2' });
    expect(run('delete', 'k')).toMatchObject({ ok: true });
    expect(run('read', 'k')).toMatchObject({ ok: false, reason: 'missing' });
  });

  it('puts whether or not the key exists, in one round trip', () => {
    const { run, events } = cluster();
    expect(run('put', 'p', 'v1')).toMatchObject({ ok: true, value: 'v1' });
    expect(run('put', 'p', 'v2')).toMatchObject({ ok: true, value: 'v2' });
    expect(run('read', 'p')).toMatchObject({ ok: true, value: 'v2' });
    // No condition to check: only the write itself reaches the replicas.
    expect(events.filter((event) => event.kind === 'kv.replica' && event.op === 'put')).toHaveLength(6);
  });

  it('fails at each replica as the classroom requires, and says why', () => {
    const { run, events } = cluster({ kv: CLASSROOM_KV });
    run('create', 'k', 'v1');
    expect(run('create', 'k', 'again')).toMatchObject({ ok: false, reason: 'exists' });
    expect(run('read', 'nope')).toMatchObject({ ok: false, reason: 'missing' });
    expect(run('update', 'nope', 'x')).toMatchObject({ ok: false, reason: 'missing' });
    expect(run('delete', 'nope')).toMatchObject({ ok: false, reason: 'missing' });
    const serverFails = events.filter((event) => event.kind === 'kv.replica' && !event.ok && event.key === 'nope');
    expect(serverFails).toHaveLength(9); // 3 replicas × read, update, delete
  });

  /** Deletes `k` while one owner is briefly cut off (so it keeps v1), then tries to update it. */
  function deleteThenUpdate(kv: typeof CLASSROOM_KV) {
    const setup = cluster({ peers: 5, kv });
    const { kv: sim, run, results } = setup;
    run('create', 'k', 'v1');
    const owners = sim.machine(sim.ids[0] as string)?.ring.preferenceList('k') ?? [];
    const lagging = owners[2] as string;
    const coordinator = sim.ids.find((id) => !owners.includes(id)) as string;
    // Cut off for 6 ticks: long enough to miss the delete (two phases by default), far too short
    // to be removed (TREMOVE 20).
    sim.sim.network.partition([lagging], sim.ids.filter((id) => id !== lagging), false);
    sim.client(coordinator, { transaction: 100, op: 'delete', key: 'k' });
    sim.runUntil(sim.now + 6);
    sim.sim.network.healAll();
    const deleted = results.find((result) => result.transaction === 100) as KvResult;
    expect(sim.machine(lagging)?.record('k')?.value).toBe('v1');
    const updated = run('update', 'k', 'v2', coordinator);
    sim.runUntil(sim.now + 300); // repair, handoff and anti-entropy have every chance to spread
    return { ...setup, deleted, updated, final: run('read', 'k', undefined, coordinator), lagging };
  }

  it('writes nothing when a write is refused (the condition is judged on a read quorum)', () => {
    const { deleted, updated, final } = deleteThenUpdate(KV_DEFAULTS);
    expect(deleted.ok).toBe(true);
    expect(updated).toMatchObject({ ok: false, reason: 'missing' });
    expect(final).toMatchObject({ ok: false, reason: 'missing' });
  });

  it('lets a refused update bring a deleted key back with the classroom per-replica conditions (the assignment\'s known flaw)', () => {
    const { deleted, updated, final } = deleteThenUpdate(CLASSROOM_KV);
    expect(deleted.ok).toBe(true);
    expect(updated).toMatchObject({ ok: false, reason: 'missing' });
    expect(final).toMatchObject({ ok: true, value: 'v2' });
  });

  it('decides each transaction exactly once, even when every replica answers', () => {
    const { run, events } = cluster();
    run('create', 'once', 'v');
    run('read', 'once');
    const decisions = events.filter((event) => event.kind === 'kv.result' && event.key === 'once');
    expect(decisions).toHaveLength(2);
    const replicaLines = events.filter((event) => event.kind === 'kv.replica' && event.key === 'once');
    expect(replicaLines).toHaveLength(6);
  });

  it('fails a transaction whose replicas are gone when the reply timeout expires', () => {
    const { kv, run } = cluster({ kv: CLASSROOM_KV });
    run('create', 'k', 'v');
    const owners = kv.machine(kv.ids[0] as string)?.ring.preferenceList('k') ?? [];
    const coordinator = kv.ids.find((id) => !owners.includes(id)) as string;
    for (const owner of owners) kv.crash(owner);
    const result = run('read', 'k', undefined, coordinator);
    expect(result).toMatchObject({ ok: false, reason: 'timeout', latencyTicks: CLASSROOM_KV.replyTimeoutTicks });
    expect(result.replicas.every((replica) => replica.ok === undefined)).toBe(true);
  });

  it('repairs a replica that a read finds stale', () => {
    // Strict quorums: with hinted handoff a still-suspected owner would be skipped, not read.
    const { kv, run, events } = cluster({ peers: 5, kv: CLASSROOM_KV });
    run('create', 'k', 'v1');
    const owners = kv.machine(kv.ids[0] as string)?.ring.preferenceList('k') ?? [];
    const stale = owners[2] as string;
    const others = kv.ids.filter((id) => id !== stale);
    // Cut the stale owner off just for the update, so it keeps v1.
    kv.sim.network.partition([stale], others, false);
    const coordinator = others[0] as string;
    expect(run('update', 'k', 'v2', coordinator)).toMatchObject({ ok: true });
    kv.sim.network.healAll();
    expect(kv.machine(stale)?.record('k')?.value).toBe('v1');
    expect(run('read', 'k', undefined, coordinator)).toMatchObject({ ok: true, value: 'v2' });
    kv.runUntil(kv.now + 5);
    expect(kv.machine(stale)?.record('k')?.value).toBe('v2');
    expect(events.some((event) => event.kind === 'store.changed' && event.peer === stale && event.reason === 'repair')).toBe(true);
  });

  it('restores N replicas after an owner crashes, and never leaves extra copies (ownership follows membership)', () => {
    const { kv, run, holders } = cluster({ peers: 6, kv: { ...KV_DEFAULTS, ownership: 'membership' } });
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) run('create', key, `value-${key}`);
    const victim = kv.machine(kv.ids[0] as string)?.ring.preferenceList('a')[0] as string;
    kv.crash(victim);
    kv.runUntil(kv.now + 80);
    const survivor = kv.ids.find((id) => id !== victim) as string;
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const owners = kv.machine(survivor)?.ring.preferenceList(key) ?? [];
      expect(owners).not.toContain(victim);
      expect(holders(key).filter((id) => id !== victim).sort()).toEqual([...owners].sort());
    }
  });

  it('hands a write back to an owner that was only suspected (sloppy quorum, hinted handoff), then drops the hint', () => {
    const { kv, run, events } = cluster({ peers: 6, seed: 3, kv: { ...KV_DEFAULTS, quorum: 'sloppy' } });
    const owners = kv.machine(kv.ids[0] as string)?.ring.preferenceList('hinted') ?? [];
    const absent = owners[1] as string;
    const coordinator = kv.ids.find((id) => !owners.includes(id)) as string;
    kv.sim.network.partition([absent], kv.ids.filter((id) => id !== absent), false);
    kv.runUntil(kv.now + 8); // suspected (TFAIL 5) but not yet removed (TREMOVE 20)
    expect(kv.membership(coordinator)?.stateOf(absent)).toBe('suspect');
    const result = run('create', 'hinted', 'v', coordinator);
    expect(result.ok).toBe(true);
    const stand_in = result.replicas.map((replica) => replica.peer).find((peer) => !owners.includes(peer)) as string;
    expect(stand_in).toBeDefined();
    expect(kv.machine(stand_in)?.record('hinted')?.value).toBe('v');
    kv.sim.network.healAll();
    kv.runUntil(kv.now + 40);
    expect(kv.machine(absent)?.record('hinted')?.value).toBe('v');
    expect(kv.machine(stand_in)?.record('hinted')).toBeUndefined();
    expect(events.some((event) => event.kind === 'store.dropped' && event.peer === stand_in && event.reason === 'handed-off')).toBe(true);
  });

  it('refuses a value over the limit, an invalid key and a duplicate transaction with a clear reason', () => {
    const { kv, results } = cluster({ kv: { ...KV_DEFAULTS, valueBytesMax: 10 } });
    const coordinator = kv.ids[0] as string;
    kv.client(coordinator, { transaction: 1, op: 'create', key: 'big', value: 'x'.repeat(11) });
    kv.client(coordinator, { transaction: 2, op: 'create', key: 'bad\u0001key', value: 'v' });
    kv.client(coordinator, { transaction: 3, op: 'create', key: 'k', value: 'v' });
    kv.client(coordinator, { transaction: 3, op: 'create', key: 'k2', value: 'v' });
    expect(results.map((result) => [result.transaction, result.ok, result.reason])).toEqual([
      [1, false, 'too-large'],
      [2, false, 'invalid-key'],
      [3, false, 'duplicate'],
    ]);
    kv.runUntil(kv.now + 5);
    expect(results.at(-1)).toMatchObject({ transaction: 3, ok: true });
  });

  it('stores bytes as well as text, and measures their size decoded', () => {
    const { kv, results } = cluster({ kv: { ...KV_DEFAULTS, valueBytesMax: 4 } });
    const coordinator = kv.ids[0] as string;
    const bytes = btoa(String.fromCharCode(0, 255, 7, 9)); // 4 bytes, 8 base64 characters
    kv.client(coordinator, { transaction: 1, op: 'create', key: 'blob', value: bytes, binary: true });
    kv.client(coordinator, { transaction: 2, op: 'create', key: 'big', value: btoa('12345'), binary: true });
    kv.runUntil(kv.now + 5);
    kv.client(coordinator, { transaction: 3, op: 'read', key: 'blob' });
    kv.runUntil(kv.now + 5);
    expect(results.find((result) => result.transaction === 1)).toMatchObject({ ok: true });
    expect(results.find((result) => result.transaction === 2)).toMatchObject({ ok: false, reason: 'too-large' });
    expect(results.find((result) => result.transaction === 3)).toMatchObject({ ok: true, value: bytes, binary: true });
  });

  it('collects a tombstone after its grace period', () => {
    const { kv, run, events, holders } = cluster({ kv: { ...KV_DEFAULTS, tombstoneGraceTicks: 50 } });
    run('create', 'gone', 'v');
    run('delete', 'gone');
    expect(holders('gone')).toHaveLength(3);
    kv.runUntil(kv.now + 70);
    expect(holders('gone')).toEqual([]);
    expect(events.filter((event) => event.kind === 'store.dropped' && event.reason === 'tombstone-expired')).toHaveLength(3);
  });

  it('refuses bytes it cannot decode, counts them and carries on', () => {
    const { kv, run } = cluster();
    const peer = kv.machine(kv.ids[1] as string);
    const outputs = peer?.step({ kind: 'receive-bytes', from: 'x:1', data: '{"type":"kv.request","op":"drop tables"}' }, kv.now) ?? [];
    expect(outputs).toEqual([expect.objectContaining({ kind: 'event', event: expect.objectContaining({ kind: 'message.rejected', reason: 'invalid' }) })]);
    expect(peer?.counters.messagesRejected).toBe(1);
    expect(run('create', 'after', 'v', kv.ids[1]).ok).toBe(true);
  });

  it('hands every record to its owners when it leaves, and drops each once they acknowledge (ownership follows membership)', () => {
    const { kv, run } = cluster({ kv: { ...KV_DEFAULTS, ownership: 'membership' } });
    for (let index = 0; index < 40; index++) run('put', `leave-${index}`, `v${index}`);
    const leaver = kv.ids[2] as string;
    const peer = kv.machine(leaver);
    const held = peer?.records().length ?? 0;
    expect(held).toBeGreaterThan(5);
    const outputs = [...(peer?.step({ kind: 'command', command: { type: 'leave' } }, kv.now) ?? [])];
    const handedOff = new Map<string, Set<string>>();
    for (const output of outputs) {
      if (output.kind !== 'send' || output.message.type !== 'kv.store') continue;
      expect(output.message).toMatchObject({ reason: 'handoff', ack: true });
      expect(output.to).not.toBe(leaver);
      for (const record of output.message.records) handedOff.set(record.key, (handedOff.get(record.key) ?? new Set()).add(output.to));
    }
    // Every record goes to the three owners of the ring without the leaver.
    expect(handedOff.size).toBe(held);
    for (const targets of handedOff.values()) expect(targets.size).toBe(3);
    expect(peer?.membership.status).toBe('left');
    expect(peer?.pendingHandoffs).toBe(held);
    // Having left, it still takes acknowledgements and lets go of what every owner has.
    const [key, owners] = [...handedOff.entries()][0] as [string, Set<string>];
    const version = peer?.record(key)?.version;
    for (const owner of owners) peer?.step({ kind: 'receive', from: owner, message: { type: 'kv.stored', entries: [{ key, version: version as NonNullable<typeof version> }] } }, kv.now);
    expect(peer?.record(key)).toBeUndefined();
    expect(peer?.pendingHandoffs).toBe(held - 1);
  });
});
