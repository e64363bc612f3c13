/**
 * A kv result lists each replica its round asked with the role the coordinator's ring gave it
 * then (home at a place of the preference list, or a fallback for an owner), so the window can
 * show a past decision as it was made, whatever the ring has become since (issue 14, defect 2).
 */
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { KV_DEFAULTS, type KvConfig } from '../../src/shared/kv/config.ts';
import type { KvResult } from '../../src/shared/kv/peer.ts';
import type { PeerId } from '../../src/shared/machine.ts';
import { KvCluster } from '../../src/shared/sim/kv-cluster.ts';

function cluster(options: { peers: number; seed: number; kv: KvConfig; ringSeed?: readonly PeerId[]; start?: number }) {
  const events: JournalEvent[] = [];
  const results: KvResult[] = [];
  const kv = new KvCluster({
    protocol: 'gossip',
    peers: options.peers,
    seed: options.seed,
    kv: options.kv,
    ...(options.ringSeed ? { ringSeed: options.ringSeed } : {}),
    onEvent: (event) => events.push(event),
    onResult: (_, result) => results.push(result),
  });
  for (const id of kv.ids.slice(0, options.start ?? options.peers)) kv.start(id);
  kv.runUntil(20);
  let transaction = 0;
  const put = (key: string, coordinator: PeerId, ticks = 15): KvResult => {
    const id = ++transaction;
    kv.client(coordinator, { transaction: id, op: 'put', key, value: `v${id}` });
    kv.runUntil(kv.now + ticks);
    const result = results.find((candidate) => candidate.transaction === id);
    if (result === undefined) throw new Error(`no result for put ${key} (seed ${options.seed})`);
    return result;
  };
  /** The journal's kv.result for the same decision: the same replicas, roles included. */
  const journaled = (result: KvResult, coordinator: PeerId) =>
    events.find((event) => event.kind === 'kv.result' && event.peer === coordinator && event.transaction === result.transaction);
  return { kv, put, journaled };
}

describe('the roles a kv result records', () => {
  it('records home replicas at their places in the preference list (strict quorums)', () => {
    const { kv, put, journaled } = cluster({ peers: 5, seed: 1, kv: KV_DEFAULTS });
    for (const key of ['a', 'user:42', 'roles']) {
      const owners = kv.machine(kv.ids[0] as PeerId)?.ring.preferenceList(key) ?? [];
      const coordinator = kv.ids.find((id) => !owners.includes(id)) as PeerId;
      const result = put(key, coordinator);
      expect(result.ok).toBe(true);
      expect(result.replicas.map(({ peer, role, place, for: standsInFor }) => ({ peer, role, place, for: standsInFor }))).toEqual(
        owners.map((peer, place) => ({ peer, role: 'home', place, for: undefined })),
      );
      expect(journaled(result, coordinator)).toMatchObject({ replicas: result.replicas.map(({ peer, role, place }) => ({ peer, role, place })) });
    }
  });

  it('records a stand-in for an owner cut off by a partition as its fallback, and the other owners as home at their places (sloppy quorums)', () => {
    const { kv, put, journaled } = cluster({ peers: 6, seed: 3, kv: { ...KV_DEFAULTS, quorum: 'sloppy' } });
    const owners = kv.machine(kv.ids[0] as PeerId)?.ring.preferenceList('hinted') ?? [];
    const absent = owners[1] as PeerId;
    const coordinator = kv.ids.find((id) => !owners.includes(id)) as PeerId;
    kv.sim.network.partition([absent], kv.ids.filter((id) => id !== absent), false);
    kv.runUntil(kv.now + 8); // suspected (TFAIL 5): the sloppy coordinator asks a stand-in
    expect(kv.membership(coordinator)?.stateOf(absent)).toBe('suspect');
    const result = put('hinted', coordinator);
    expect(result.ok).toBe(true);
    const standIn = result.replicas.find((replica) => !owners.includes(replica.peer));
    expect(standIn).toEqual({ peer: standIn?.peer, ok: true, role: 'fallback', for: absent });
    const homes = result.replicas.filter((replica) => replica !== standIn);
    expect(homes.map(({ peer, role, place }) => ({ peer, role, place }))).toEqual([
      { peer: owners[0], role: 'home', place: 0 },
      { peer: owners[2], role: 'home', place: 2 },
    ]);
    expect(journaled(result, coordinator)).toMatchObject({ replicas: result.replicas.map(({ peer, role }) => ({ peer, role })) });
  });

  it('records a stand-in for a crashed owner as its fallback (sloppy quorums)', () => {
    const { kv, put } = cluster({ peers: 6, seed: 5, kv: { ...KV_DEFAULTS, quorum: 'sloppy' } });
    const owners = kv.machine(kv.ids[0] as PeerId)?.ring.preferenceList('crashed') ?? [];
    const victim = owners[0] as PeerId;
    const coordinator = kv.ids.find((id) => !owners.includes(id)) as PeerId;
    kv.crash(victim);
    kv.runUntil(kv.now + 30); // detected; with explicit ownership the victim stays an owner
    expect(kv.machine(coordinator)?.ring.preferenceList('crashed')).toEqual(owners);
    const result = put('crashed', coordinator);
    expect(result.ok).toBe(true);
    expect(result.replicas.map(({ peer, role, place, for: standsInFor }) => (role === 'fallback' ? { role, for: standsInFor } : { peer, role, place }))).toEqual([
      { role: 'fallback', for: victim },
      { peer: owners[1], role: 'home', place: 1 },
      { peer: owners[2], role: 'home', place: 2 },
    ]);
  });

  it('during a ring transition, places an owner by the ring the transition leads to, and one giving the key up by the ring before it', () => {
    // Five peers own keys; the sixth joins: a transition until it has caught up.
    const { kv, put } = cluster({ peers: 6, seed: 2, kv: KV_DEFAULTS, start: 5, ringSeed: [] });
    const [first] = kv.ids as [PeerId];
    kv.runUntil(kv.now + 200);
    expect(kv.machine(first)?.ring.peers).toHaveLength(5);
    const joiner = kv.ids[5] as PeerId;
    kv.start(joiner);
    let checked = 0;
    for (let tick = 0; tick < 200 && checked === 0; tick++) {
      kv.runUntil(kv.now + 1);
      const transition = kv.machine(first)?.transition;
      if (transition === undefined || !transition.after.peers.includes(joiner)) continue;
      // A key the joiner takes ahead of an owner that stays: two owner sets, [before, after], in
      // which that owner's place differs, and one owner gives the key up.
      for (let index = 0; index < 200; index++) {
        const key = `moving-${index}`;
        const before = kv.machine(first)?.ring.preferenceList(key) ?? [];
        const after = transition.after.preferenceList(key);
        if (!after.includes(joiner) || !before.some((peer) => after.includes(peer) && after.indexOf(peer) !== before.indexOf(peer))) continue;
        const result = put(key, first, 8);
        if (kv.machine(first)?.transition?.id !== transition.id) break; // it ended meanwhile: try again
        const expected = [...new Set([...before, ...after])].map((peer) => ({ peer, role: 'home', place: after.includes(peer) ? after.indexOf(peer) : before.indexOf(peer) }));
        expect(expected).toHaveLength(4);
        expect(result.replicas.map(({ peer, role, place }) => ({ peer, role, place }))).toEqual(expected);
        checked++;
        break;
      }
    }
    expect(checked).toBe(1);
  });
});
