import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { KV_DEFAULTS, type KvConfig } from '../../src/shared/kv/config.ts';
import type { KvResult } from '../../src/shared/kv/peer.ts';
import type { KvOperation } from '../../src/shared/protocol/kv.ts';
import { compareVersions } from '../../src/shared/protocol/kv.ts';
import { KvCluster } from '../../src/shared/sim/kv-cluster.ts';

/** A cluster of `peers` whose ring starts with `seeded` of them; only those are started. */
function cluster(options: { peers: number; seeded: number; kv?: Partial<KvConfig>; durable?: boolean; seed?: number }) {
  const events: JournalEvent[] = [];
  const results: KvResult[] = [];
  const kv: KvCluster = new KvCluster({
    protocol: 'gossip',
    peers: options.peers,
    seed: options.seed ?? 1,
    kv: { ...KV_DEFAULTS, ...options.kv },
    ...(options.durable ? { durable: true } : {}),
    ringSeed: Array.from({ length: options.seeded }, (_, index) => `${index + 1}.0.0.0:0`),
    onEvent: (event) => events.push(event),
    onResult: (_, result) => results.push(result),
  });
  for (const id of kv.ids.slice(0, options.seeded)) kv.start(id);
  kv.runUntil(20);
  let transaction = 0;
  const send = (op: KvOperation, key: string, value: string | undefined, coordinator: string): number => {
    const id = ++transaction;
    kv.client(coordinator, { transaction: id, op, key, ...(value === undefined ? {} : { value }) });
    return id;
  };
  const run = (op: KvOperation, key: string, value?: string, coordinator = kv.ids[0] as string): KvResult => {
    const id = send(op, key, value, coordinator);
    kv.runUntil(kv.now + 40);
    const result = results.find((candidate) => candidate.transaction === id);
    if (result === undefined) throw new Error(`no result for ${op} ${key}`);
    return result;
  };
  const holders = (key: string): string[] => kv.ids.filter((id) => kv.sim.status(id) === 'running' && kv.machine(id)?.record(key) !== undefined).sort();
  return { kv, events, results, send, run, holders };
}

const KEYS = Array.from({ length: 120 }, (_, index) => `key-${index}`);

describe('explicit ownership (the ring state)', () => {
  it('keeps a crashed owner an owner: writes and reads go on with W and R of N, and a restarted durable owner has its data', () => {
    const { kv, run } = cluster({ peers: 5, seeded: 5, durable: true });
    const owners = kv.machine(kv.ids[0] as string)?.ring.preferenceList('k') ?? [];
    expect(run('put', 'k', 'v1').ok).toBe(true);
    const victim = owners[0] as string;
    kv.crash(victim);
    kv.runUntil(kv.now + 100); // long past failure detection
    const coordinator = kv.ids.find((id) => id !== victim) as string;
    expect(kv.machine(coordinator)?.ring.preferenceList('k')).toEqual(owners);
    expect(run('put', 'k', 'v2', coordinator)).toMatchObject({ ok: true });
    expect(run('read', 'k', undefined, coordinator)).toMatchObject({ ok: true, value: 'v2' });
    kv.start(victim);
    expect(kv.machine(victim)?.record('k')?.value).toBe('v1'); // its disk, from before the crash
    kv.runUntil(kv.now + 150);
    expect(kv.machine(victim)?.record('k')?.value).toBe('v2'); // anti-entropy caught it up
  });

  it('refuses at once, with no-quorum, a key most of whose owners the membership protocol holds dead', () => {
    const { kv, run } = cluster({ peers: 5, seeded: 5 });
    const owners = kv.machine(kv.ids[0] as string)?.ring.preferenceList('k') ?? [];
    const coordinator = kv.ids.find((id) => !owners.includes(id)) as string;
    kv.crash(owners[0] as string);
    kv.crash(owners[1] as string);
    kv.runUntil(kv.now + 100);
    const result = run('put', 'k', 'v', coordinator);
    expect(result).toMatchObject({ ok: false, reason: 'no-quorum', latencyTicks: 0 });
    expect(run('read', 'k', undefined, coordinator)).toMatchObject({ ok: false, reason: 'no-quorum' });
  });

  it('splits {1,2} from {3,4,5}: the minority keeps its ring, writes the keys two of whose owners it holds, and refuses the others with no-quorum', () => {
    const { kv, run } = cluster({ peers: 5, seeded: 5 });
    const [first, second, ...majority] = kv.ids as [string, string, ...string[]];
    const minority = [first, second];
    kv.sim.network.partition(minority, majority, false);
    kv.runUntil(kv.now + 200); // long past failure detection: each side holds the other dead
    expect(kv.membership(first)?.stateOf(majority[0] as string)).toBe('dead');
    let refused = 0;
    for (const key of KEYS.slice(0, 20)) {
      const owners = kv.machine(first)?.ring.preferenceList(key) ?? [];
      expect(owners).toHaveLength(3); // the ring is not the members: all five still own keys
      const result = run('put', key, 'v', first);
      if (owners.filter((owner) => minority.includes(owner)).length >= 2) expect(result.ok).toBe(true);
      else {
        expect(result).toMatchObject({ ok: false, reason: 'no-quorum', latencyTicks: 0 });
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('a peer restarted during a partition with its ring on disk answers no-quorum while it rejoins; one that knows no ring answers no-ring', () => {
    const { kv, results, send } = cluster({ peers: 6, seeded: 5, durable: true });
    const [first, second, ...rest] = kv.ids as [string, string, ...string[]];
    const majority = rest.slice(0, 3);
    kv.sim.network.partition([first, second], majority, false);
    kv.runUntil(kv.now + 200);
    kv.crash(second);
    kv.runUntil(kv.now + 5);
    kv.start(second);
    // At once, before its introducer has let it back in: it knows the ring, not the group.
    expect(kv.membership(second)?.status).toBe('joining');
    expect(kv.machine(second)?.ring.peers).toHaveLength(5);
    const restarted = send('put', 'k', 'v', second);
    expect(results.find((result) => result.transaction === restarted)).toMatchObject({ ok: false, reason: 'no-quorum', latencyTicks: 0, replicas: [] });
    // A new peer outside the seed has heard no ring yet: that is what no-ring means.
    const newcomer = kv.ids[5] as string;
    kv.start(newcomer);
    expect(kv.machine(newcomer)?.ring.peers).toEqual([]);
    const fresh = send('put', 'k', 'v', newcomer);
    expect(results.find((result) => result.transaction === fresh)).toMatchObject({ ok: false, reason: 'no-ring' });
  });

  it('lets a peer join: it pulls the ranges it gains before it counts, and then every key is on its N owners', () => {
    const { kv, run, holders, events } = cluster({ peers: 6, seeded: 5 });
    for (const key of KEYS) expect(run('put', key, `v-${key}`).ok).toBe(true);
    const joiner = kv.ids[5] as string;
    kv.start(joiner);
    kv.runUntil(kv.now + 200);
    for (const id of kv.ids) expect(kv.machine(id)?.ring.peers).toEqual([...kv.ids].sort());
    expect(kv.machine(joiner)?.ringEntries().find((entry) => entry.peer === joiner)?.status).toBe('normal');
    const ring = kv.machine(joiner)?.ring;
    let gained = 0;
    for (const key of KEYS) {
      const owners = (ring?.preferenceList(key) ?? []).sort();
      if (owners.includes(joiner)) gained++;
      expect(holders(key)).toEqual(owners);
    }
    expect(gained).toBeGreaterThan(20);
    expect(kv.machine(joiner)?.counters.recordsTransferred).toBeGreaterThan(0);
    expect(events.some((event) => event.kind === 'log' && event.peer === joiner && event.text.startsWith('ring: caught up'))).toBe(true);
  });

  it('never answers a read with less than the last acknowledged write while a peer joins', () => {
    const { kv, send, results } = cluster({ peers: 6, seeded: 5 });
    const acknowledged = new Map<string, KvResult>();
    let round = 0;
    const joiner = kv.ids[5] as string;
    kv.start(joiner);
    // Writes and reads through every peer while the join runs its course.
    for (let tick = 0; tick < 120; tick++) {
      const key = KEYS[tick % 12] as string;
      const coordinator = kv.ids[tick % 6] as string;
      if (kv.machine(coordinator)?.membership.status === 'member') {
        const writer = send('put', key, `v${++round}`, coordinator);
        kv.runUntil(kv.now + 6); // two round trips: versions, then the write
        const written = results.find((result) => result.transaction === writer);
        if (written?.ok) acknowledged.set(key, written);
        const reader = send('read', key, undefined, kv.ids[(tick + 3) % 5] as string);
        kv.runUntil(kv.now + 6);
        const read = results.find((result) => result.transaction === reader);
        const last = acknowledged.get(key);
        if (read?.ok && last?.version && read.version) expect(compareVersions(read.version, last.version)).toBeGreaterThanOrEqual(0);
      } else kv.runUntil(kv.now + 1);
    }
    expect(kv.machine(joiner)?.ring.peers).toContain(joiner);
    expect(acknowledged.size).toBe(12);
  });

  it('lets a peer leave: its ranges reach their new owners before the group hears goodbye', () => {
    const { kv, run, holders } = cluster({ peers: 5, seeded: 5 });
    for (const key of KEYS) run('put', key, `v-${key}`);
    const leaver = kv.ids[2] as string;
    kv.sim.command(leaver, { type: 'leave' });
    kv.runUntil(kv.now + 100);
    expect(kv.machine(leaver)?.membership.status).toBe('left');
    const ring = kv.machine(kv.ids[0] as string)?.ring;
    expect(ring?.peers).not.toContain(leaver);
    for (const key of KEYS) expect(holders(key).filter((id) => id !== leaver)).toEqual((ring?.preferenceList(key) ?? []).sort());
    expect(kv.machine(leaver)?.records()).toEqual([]);
  });

  it('takes a gone peer out of the ring when an operator removes it, and every key ends on N live owners', () => {
    const { kv, run, holders, events } = cluster({ peers: 5, seeded: 5 });
    for (const key of KEYS) run('put', key, `v-${key}`);
    const gone = kv.ids[3] as string;
    kv.crash(gone);
    kv.runUntil(kv.now + 60);
    kv.sim.command(kv.ids[0] as string, { type: 'kv.remove', peer: gone });
    kv.runUntil(kv.now + 200);
    const ring = kv.machine(kv.ids[0] as string)?.ring;
    expect(ring?.peers).not.toContain(gone);
    for (const key of KEYS) expect(holders(key)).toEqual((ring?.preferenceList(key) ?? []).sort());
    for (const key of KEYS.slice(0, 20)) expect(run('read', key)).toMatchObject({ ok: true, value: `v-${key}` });
    expect(events.filter((event) => event.kind === 'ring.changed' && event.members === 4).length).toBe(4);
  });
});
