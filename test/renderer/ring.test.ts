// @vitest-environment jsdom
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useMembershipStore } from '../../src/renderer/src/stores/membership.ts';
import { RING_STATES_REFRESH_MS, useRingStore } from '../../src/renderer/src/stores/ring.ts';
import { useStreamStore } from '../../src/renderer/src/stores/stream.ts';
import { describeRingChange, MOVED_DEFINITIONS } from '../../src/renderer/src/lib/ring-changes.ts';
import { keysNear, placeKeys, replicaWalk } from '../../src/renderer/src/lib/ring-geometry.ts';
import { majorityRingState } from '../../src/renderer/src/lib/ring-consensus.ts';
import { describeTransition, summarizeTransition } from '../../src/renderer/src/lib/ring-transition.ts';
import type { RingStateInfo } from '../../src/shared/api/bridge.ts';
import RingView from '../../src/renderer/src/views/RingView.vue';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import type { MemberViewWire } from '../../src/shared/protocol/control.ts';
import { BALANCED_RING, Ring } from '../../src/shared/ring/ring.ts';
import { movedFraction, movement } from '../../src/shared/ring/stats.ts';
import { createFakeClient, entry, fakePeer, type FakeClient } from './support/fake-client.ts';
import { everyoneHolds, everyoneSees, inspection, ringStateOf } from './support/kv-fixtures.ts';

const peers = [1, 2, 3, 4, 5].map((number) => fakePeer(number));
const ids = peers.map((peer) => peer.id);
let client: FakeClient;
/** What the fake cluster answers when the stores read the views and the ring states. */
let currentViews: Record<string, MemberViewWire[]> = {};
let currentStates: Record<string, RingStateInfo> = {};
beforeEach(() => {
  setActivePinia(createPinia());
  currentViews = {};
  currentStates = {};
  client = createFakeClient({ views: () => currentViews, ringStates: () => currentStates });
  setClusterClient(client);
});

/** `members` run and own the ring, every one holding the same ring state. */
function runningCluster(members = ids): ReturnType<typeof useRingStore> {
  const cluster = useClusterStore();
  cluster.peers = peers.filter((peer) => members.includes(peer.id));
  currentViews = everyoneSees(members);
  useMembershipStore().views = currentViews;
  currentStates = everyoneHolds(members);
  const ring = useRingStore();
  ring.states = currentStates;
  return ring;
}

/** Sets what every running peer's ring state is, as a read would find it. */
function statesAre(states: Record<string, RingStateInfo>): void {
  currentStates = states;
  useRingStore().states = states;
}

describe("the window's ring", () => {
  test('is the peers\' ring: the balanced placement with 64 tokens per peer, and the same preference list for every key', () => {
    const ring = runningCluster();
    expect(ring.ring.config).toEqual(KV_DEFAULTS.ring);
    expect(ring.ring.config).toEqual(BALANCED_RING);
    expect(ring.ring.tokens).toHaveLength(5 * 64);
    const peersRing = new Ring(KV_DEFAULTS.ring, ids);
    for (let index = 0; index < 500; index++) {
      const key = `user:${index}`;
      expect(ring.ring.preferenceList(key)).toEqual(peersRing.preferenceList(key));
    }
  });

  test('draws each key\'s walk to exactly its preference list, PRIMARY first', () => {
    const ring = new Ring(KV_DEFAULTS.ring, ids);
    for (let index = 0; index < 500; index++) {
      const key = `k${index}`;
      const walk = replicaWalk(ring, key);
      expect(walk.map((step) => step.peer)).toEqual(ring.preferenceList(key));
      expect(walk.map((step) => step.role)).toEqual(['PRIMARY', 'SECONDARY', 'TERTIARY']);
    }
  });

  test('is the ring state most running peers share, by fingerprint, with how many hold it', () => {
    const [a, b, c, d, e] = ids as [string, string, string, string, string];
    const all = ringStateOf(ids);
    const older = ringStateOf([a, b, c, d]);
    const states = { [a]: all, [b]: all, [c]: all, [d]: older, [e]: older };
    const consensus = majorityRingState(states, ids);
    expect(consensus.state).toBe(all);
    expect(consensus.owners).toEqual([...ids].sort());
    expect([consensus.observers, consensus.agreeing]).toEqual([5, 3]);
    // Only running peers vote: a killed peer's last state does not count.
    expect(majorityRingState(states, [d, e]).state).toBe(older);
    expect(majorityRingState({}, ids)).toEqual({ state: undefined, owners: [], observers: 0, agreeing: 0 });
    // A tie goes to the state that knows more (the larger stamp), whatever order the answers came in.
    const joined = ringStateOf([a, b, c, d], { entries: [{ peer: e, status: 'joining', stamp: 3 }] });
    expect(majorityRingState({ [a]: older, [b]: joined }, [a, b]).state).toBe(joined);
    expect(majorityRingState({ [b]: joined, [a]: older }, [a, b]).state).toBe(joined);
  });

  test('the store builds the ring from the majority state, and its owners are the entries normal or leaving', () => {
    const [a, b, c, d, e] = ids as [string, string, string, string, string];
    const ring = runningCluster();
    const leaving = ringStateOf(ids, { entries: [{ peer: d, status: 'leaving', stamp: 4 }, { peer: e, status: 'removed', stamp: 2 }] });
    statesAre({ [a]: leaving, [b]: leaving, [c]: leaving, [d]: ringStateOf(ids), [e]: ringStateOf(ids) });
    expect(ring.ring.peers).toEqual([a, b, c, d].sort());
    expect(ring.consensus.agreeing).toBe(3);
    expect(ring.statuses.get(d)).toBe('leaving');
    for (let index = 0; index < 200; index++) expect(ring.ring.preferenceList(`k${index}`)).toEqual(new Ring(KV_DEFAULTS.ring, [a, b, c, d]).preferenceList(`k${index}`));
  });

  test('a killed or paused owner stays on the ring, marked down, and no key moves', async () => {
    const ring = runningCluster();
    ring.addKeys(Array.from({ length: 200 }, (_, index) => `user:${index}`));
    ring.publishKeys();
    const before = ring.ring;
    // Peer 2 killed, peer 4 paused: the others still hold a ring state in which both own keys.
    useClusterStore().peers = peers.map((peer, index) => (index === 1 ? { ...peer, state: 'killed' as const } : index === 3 ? { ...peer, state: 'paused' as const } : peer));
    statesAre(everyoneHolds([ids[0]!, ids[2]!, ids[4]!], ringStateOf(ids)));
    await nextTick();
    expect(ring.ring.peers).toEqual(ids);
    expect(ring.ring.preferenceList('user:7')).toEqual(before.preferenceList('user:7'));
    expect([...ring.downOwners]).toEqual([
      [ids[1], 'killed'],
      [ids[3], 'paused'],
    ]);
    expect(ring.changes).toEqual([]);
  });

  test('reads the ring states at once when a peer comes or goes, then every second', async () => {
    vi.useFakeTimers();
    try {
      const ring = runningCluster();
      await flushPromises();
      const reads = client.calls.ringStates.mock.calls.length;
      useClusterStore().peers = peers.map((peer, index) => (index === 0 ? { ...peer, state: 'killed' as const } : peer));
      await nextTick();
      expect(client.calls.ringStates.mock.calls.length).toBe(reads + 1);
      ring.start();
      await vi.advanceTimersByTimeAsync(RING_STATES_REFRESH_MS * 3 + 10);
      expect(client.calls.ringStates.mock.calls.length).toBeGreaterThanOrEqual(reads + 4);
      ring.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  test('a read with no peer running (answered at once) does not hold up the reads once peers run', async () => {
    const ring = useRingStore();
    await ring.refreshStates();
    expect(client.calls.ringStates).not.toHaveBeenCalled();
    currentStates = everyoneHolds(ids);
    useClusterStore().peers = peers;
    await flushPromises();
    expect(client.calls.ringStates).toHaveBeenCalledTimes(1);
    expect(ring.ring.peers).toEqual(ids);
  });

  test('a join in progress says who joins, how many ranges it takes over and from whom; the share matches the keys that move', () => {
    const [a, b, c, d, e] = ids as [string, string, string, string, string];
    const before = new Ring(KV_DEFAULTS.ring, [a, b, c, d]);
    const summary = summarizeTransition(before, { joining: [e], leaving: [], gainers: [e] });
    expect(summary.after.peers).toEqual(ids);
    // Independently: the share of many keys whose preference list changes is the share of the ring that changes hands.
    const keys = Array.from({ length: 20_000 }, (_, index) => `sample:${index}`);
    expect(Math.abs(summary.share - movedFraction(before, summary.after, keys))).toBeLessThan(0.02);
    expect(summary.ranges).toBeGreaterThan(10);
    const losers = new Set(keys.flatMap((key) => before.preferenceList(key).filter((peer) => !summary.after.preferenceList(key).includes(peer))));
    expect(summary.givers).toEqual([...losers].sort());
    const label = (peer: string): string => `#${ids.indexOf(peer) + 1}`;
    expect(describeTransition(summary, label, () => false)).toMatch(new RegExp(`^${e.replaceAll('.', '\\.')} \\(#5\\) joining: it takes over \\d+ ranges \\(\\d+% of the ring\\) from #\\d(, #\\d)*( and #\\d)?$`));
  });

  test('a leave of a down peer (a removal) says where its ranges go', () => {
    const [a, b, c, d] = ids as [string, string, string, string];
    const before = new Ring(KV_DEFAULTS.ring, [a, b, c, d]);
    const summary = summarizeTransition(before, { joining: [], leaving: [b], gainers: [a, c, d] });
    expect(summary.after.peers).toEqual([a, c, d]);
    expect(summary.givers).toEqual([b]);
    const keys = Array.from({ length: 20_000 }, (_, index) => `sample:${index}`);
    expect(Math.abs(summary.share - movedFraction(before, summary.after, keys))).toBeLessThan(0.02);
    expect(describeTransition(summary, (peer) => `#${ids.indexOf(peer) + 1}`, (peer) => peer === b)).toMatch(/being removed from the ring \(it is down\): its \d+ ranges \(\d+% of the ring\) go to #1, #3 and #4/);
  });

  test('several changes at once are one transition, named together', () => {
    const [a, b, c, d, e] = ids as [string, string, string, string, string];
    const before = new Ring(KV_DEFAULTS.ring, [a, b, c, d]);
    const summary = summarizeTransition(before, { joining: [e], leaving: [b], gainers: [a, c, d, e] });
    expect(summary.after.peers).toEqual([a, c, d, e]);
    const keys = Array.from({ length: 20_000 }, (_, index) => `sample:${index}`);
    expect(Math.abs(summary.share - movedFraction(before, summary.after, keys))).toBeLessThan(0.02);
    expect(describeTransition(summary, (peer) => `#${ids.indexOf(peer) + 1}`, () => false)).toMatch(/ \(#5\) joining and .* \(#2\) leaving, in one transition: \d+ ranges \(\d+% of the ring\) change owners, taken over by #1, #3, #4 and #5$/);
  });

  test('learns keys from operations, repairs and handoffs in the journal', () => {
    const ring = runningCluster();
    const stream = useStreamStore();
    stream.start();
    client.emit({
      entries: [
        entry({ kind: 'kv.result', tick: 1, peer: ids[0]!, transaction: 1, op: 'put', key: 'a', ok: true, latencyTicks: 0, replicas: [] }),
        entry({ kind: 'kv.replica', tick: 1, peer: ids[1]!, transaction: 1, op: 'put', key: 'b', ok: true }),
        entry({ kind: 'store.changed', tick: 1, peer: ids[2]!, key: 'c', reason: 'handoff', deleted: false }),
        entry({ kind: 'member.added', tick: 1, peer: ids[2]!, subject: ids[3]! }),
      ],
    });
    stream.flush();
    ring.publishKeys();
    expect([...ring.keys].sort()).toEqual(['a', 'b', 'c']);
  });

  test('after a join, says which peer came and what moved among the known keys: primaries and replica copies, about 1/5 each, next to the theory', async () => {
    const ring = runningCluster(ids.slice(0, 4));
    const keys = Array.from({ length: 400 }, (_, index) => `user:${index}`);
    ring.addKeys(keys);
    ring.publishKeys();
    const before = new Ring(KV_DEFAULTS.ring, ids.slice(0, 4));
    useClusterStore().peers = peers;
    // Joining: not an owner yet, so nothing has moved.
    statesAre(everyoneHolds(ids, ringStateOf(ids.slice(0, 4), { entries: [{ peer: ids[4]!, status: 'joining', stamp: 1 }], transition: { joining: [ids[4]!], leaving: [], gainers: [ids[4]!] } })));
    await nextTick();
    expect(ring.changes).toEqual([]);
    expect(ring.transition?.joining).toEqual([ids[4]]);
    // Every gainer caught up: the joiner is an owner.
    statesAre(everyoneHolds(ids, ringStateOf(ids.slice(0, 4), { entries: [{ peer: ids[4]!, status: 'normal', stamp: 1 }] })));
    await nextTick();
    expect(ring.transition).toBeUndefined();
    const change = ring.lastChange!;
    expect(change.added).toEqual([ids[4]]);
    expect(change.removed).toEqual([]);
    expect(change.keys).toBe(400);
    const { movedKeys, ...figures } = movement(before, new Ring(KV_DEFAULTS.ring, ids), keys);
    expect(change.moved).toEqual(figures);
    expect([...ring.movedKeys]).toEqual(movedKeys);
    // Independently: the keys whose first owner changed, and the copies the newcomer received (only it gains any).
    const after = new Ring(KV_DEFAULTS.ring, ids);
    expect(change.moved.primariesMoved).toBe(keys.filter((key) => before.preferenceList(key)[0] !== after.preferenceList(key)[0]).length);
    expect(change.moved.copiesMoved).toBe(keys.filter((key) => after.preferenceList(key).includes(ids[4]!)).length);
    expect(change.moved.copies).toBe(400 * 3);
    // About 1/5 of each, not the 3/5 of keys whose preference list changed in some member.
    for (const fraction of [change.moved.primaryFraction, change.moved.copyFraction]) {
      expect(fraction).toBeGreaterThan(0.1);
      expect(fraction).toBeLessThan(0.32);
    }
    expect(change.theory).toEqual({ fraction: 1 / 5, text: '1/5' });
    expect(describeRingChange(change, ring.peerLabel)).toMatch(/^\+peer #5: primaries moved \d+% \(\d+ of 400\), replica copies moved \d+% \(\d+ of 1,200\); theory ≈ 1\/5 = 20%$/);
  });

  test('after a removal, says which peer went and what moved: about 1/n of the primaries and of the copies (those it held)', async () => {
    const ring = runningCluster();
    await nextTick();
    const keys = Array.from({ length: 1000 }, (_, index) => `user:${index}`);
    ring.addKeys(keys);
    ring.publishKeys();
    useClusterStore().peers = peers.map((peer, index) => (index === 1 ? { ...peer, state: 'killed' as const } : peer));
    const running = ids.filter((_, index) => index !== 1);
    statesAre(everyoneHolds(running, ringStateOf(ids, { entries: [{ peer: ids[1]!, status: 'removed', stamp: 2 }] })));
    await nextTick();
    const change = ring.lastChange!;
    expect(change.removed).toEqual([ids[1]]);
    const before = new Ring(KV_DEFAULTS.ring, ids);
    const { movedKeys, ...figures } = movement(before, new Ring(KV_DEFAULTS.ring, running), keys);
    expect(change.moved).toEqual(figures);
    expect(ring.movedKeys.size).toBe(movedKeys.length);
    // The primaries that moved are those #2 was primary for, the copies those it held.
    expect(change.moved.primariesMoved).toBe(keys.filter((key) => before.preferenceList(key)[0] === ids[1]).length);
    expect(change.moved.copiesMoved).toBe(keys.filter((key) => before.preferenceList(key).includes(ids[1]!)).length);
    // About 1/5 of each, where the old figure (any member of the list changed) said about 3/5.
    for (const fraction of [change.moved.primaryFraction, change.moved.copyFraction]) {
      expect(fraction).toBeGreaterThan(0.12);
      expect(fraction).toBeLessThan(0.3);
    }
    expect(movedFraction(before, new Ring(KV_DEFAULTS.ring, running), keys)).toBeGreaterThan(0.45);
    expect(change.theory).toEqual({ fraction: 1 / 5, text: '1/5' });
    expect(describeRingChange(change, ring.peerLabel)).toMatch(/^−peer #2: primaries moved \d+% \(\d+ of 1,000\), replica copies moved \d+% \(\d+ of 3,000\); theory ≈ 1\/5 = 20%$/);
    expect(ring.downOwners.size).toBe(0);
  });

  test('forgets its keys and moves when no peer is left alive (their stores went with them), not while peers are only paused', async () => {
    const ring = runningCluster(ids.slice(0, 4));
    await nextTick();
    ring.addKeys(['a', 'b', 'c']);
    ring.publishKeys();
    useClusterStore().peers = peers;
    statesAre(everyoneHolds(ids));
    await nextTick();
    expect(ring.changes).toHaveLength(1);
    useClusterStore().peers = peers.map((peer) => ({ ...peer, state: 'paused' as const }));
    await nextTick();
    expect(ring.keys).toHaveLength(3);
    useClusterStore().peers = peers.map((peer, index) => ({ ...peer, state: index === 0 ? ('killed' as const) : ('left' as const) }));
    await nextTick();
    expect(ring.keys).toEqual([]);
    expect(ring.changes).toEqual([]);
    expect(ring.movedKeys.size).toBe(0);
    // The next cluster's keys are its own.
    useClusterStore().peers = peers.map((peer) => fakePeer(peer.number + 5));
    ring.addKeys(['d']);
    ring.publishKeys();
    expect(ring.keys).toEqual(['d']);
  });

  test('finds the key under the pointer by its angle, across the top of the ring', () => {
    const ring = new Ring(KV_DEFAULTS.ring, ids);
    const placed = placeKeys(ring, Array.from({ length: 2000 }, (_, index) => `k${index}`));
    for (let index = 1; index < placed.length; index++) expect(placed[index]!.fraction).toBeGreaterThanOrEqual(placed[index - 1]!.fraction);
    const target = placed[1000]!;
    expect(keysNear(placed, target.fraction, 1e-9).map((found) => found.key)).toContain(target.key);
    const last = placed[placed.length - 1]!;
    expect(keysNear(placed, 0, 1 - last.fraction + 1e-9).map((found) => found.key)).toContain(last.key);
  });
});

describe('the Ring view', () => {
  test('says what to do when no peer runs', () => {
    const wrapper = mount(RingView);
    expect(wrapper.find('[data-testid="ring-empty"]').text()).toContain('Start peers on the Cluster view');
  });

  test('a key found by name shows its preference list with the version each replica holds', async () => {
    const ring = runningCluster();
    const key = 'user:42';
    const owners = new Ring(KV_DEFAULTS.ring, ids).preferenceList(key);
    const newest = { tick: 20, counter: 0, peer: owners[0]! };
    const older = { tick: 10, counter: 0, peer: owners[0]! };
    // The PRIMARY and SECONDARY hold the newest version, the TERTIARY an older one.
    client.calls.inspectPeer.mockImplementation(async (peer: string) => {
      const index = owners.indexOf(peer);
      return inspection(peer, index < 0 ? [] : [{ key, value: index === 2 ? 'old' : 'new', version: index === 2 ? older : newest }]);
    });
    const wrapper = mount(RingView);
    const search = wrapper.find('[data-testid="ring-key-search"]');
    await search.setValue(key);
    await search.trigger('keydown', { key: 'Enter' });
    expect(ring.selectedKey).toBe(key);
    await flushPromises();
    await nextTick();
    const rows = wrapper.findAll('[data-testid="key-replicas"] tbody tr');
    expect(rows.map((row) => row.attributes('data-role'))).toEqual(['PRIMARY', 'SECONDARY', 'TERTIARY']);
    expect(rows.map((row) => row.attributes('data-peer'))).toEqual(owners);
    const labels = owners.map((owner) => `#${peers.find((peer) => peer.id === owner)!.number}`);
    rows.forEach((row, index) => expect(row.text()).toContain(labels[index]));
    expect(rows[0]!.text()).toContain('new');
    expect(rows[2]!.text()).toContain('stale');
    expect(rows[2]!.text()).toContain('old');
    // The circle marks the same three replicas.
    expect(wrapper.findAll('[data-testid="ring-selection"] .role').map((label) => label.attributes('data-role'))).toEqual(['PRIMARY', 'SECONDARY', 'TERTIARY']);
  });

  test('opened before the peers are known (a reload), reads their stores once they are, and shows the keys they hold', async () => {
    client.calls.inspectPeer.mockImplementation(async (peer: string) => inspection(peer, [{ key: `held-by-${peer}`, value: 'v', version: { tick: 1, counter: 0, peer } }]));
    const ring = useRingStore();
    const wrapper = mount(RingView);
    await flushPromises();
    expect(client.calls.inspectPeer).not.toHaveBeenCalled();
    runningCluster();
    await flushPromises();
    expect(client.calls.inspectPeer).toHaveBeenCalledTimes(5);
    ring.publishKeys();
    await nextTick();
    expect(ring.keys).toHaveLength(5);
    expect(wrapper.text()).toContain('5 keys');
  });

  test("shows each peer's share of the keys as a bar", async () => {
    const ring = runningCluster();
    ring.addKeys(Array.from({ length: 300 }, (_, index) => `k${index}`));
    ring.publishKeys();
    const wrapper = mount(RingView);
    await nextTick();
    const bars = wrapper.findAll('[data-testid="share-bars"] .row');
    expect(bars.map((bar) => bar.attributes('data-peer'))).toEqual(ids);
    const total = ring.stats.shares.reduce((sum, share) => sum + share.keys, 0);
    expect(total).toBe(300 * 3);
  });

  test('after a join, shows the primaries and replica copies moved, each defined on hover, next to the theory, with the moved keys ringed on the circle; a kill moves nothing', async () => {
    const ring = runningCluster(ids.slice(0, 4));
    await nextTick();
    const keys = Array.from({ length: 300 }, (_, index) => `user:${index}`);
    ring.addKeys(keys);
    ring.publishKeys();
    const wrapper = mount(RingView);
    await nextTick();
    expect(wrapper.find('[data-testid="ring-changes"]').text()).toContain('a kill moves none');
    expect(wrapper.find('[data-testid="ring-moved-keys"]').exists()).toBe(false);
    useClusterStore().peers = peers;
    statesAre(everyoneHolds(ids));
    await nextTick();
    await nextTick();
    const change = ring.lastChange!;
    const primaries = wrapper.find('[data-testid="ring-moved-primaries"]');
    const copies = wrapper.find('[data-testid="ring-moved-copies"]');
    const theory = wrapper.find('[data-testid="ring-moved-theory"]');
    expect(primaries.text()).toBe(`primaries moved ${Math.round(change.moved.primaryFraction * 100)}% (${change.moved.primariesMoved} of 300)`);
    expect(primaries.attributes('title')).toBe(MOVED_DEFINITIONS.primaries);
    expect(copies.text()).toBe(`replica copies moved ${Math.round(change.moved.copyFraction * 100)}% (${change.moved.copiesMoved} of 900)`);
    expect(copies.attributes('title')).toBe(MOVED_DEFINITIONS.copies);
    expect(theory.text()).toBe('theory ≈ 1/5 = 20%');
    expect(theory.attributes('title')).toBe(MOVED_DEFINITIONS.theory);
    // The whole sentence, as the end-to-end test reads it (textContent).
    expect(wrapper.find('[data-testid="ring-last-change"]').element.textContent).toMatch(/^Last change: \+peer #5: primaries moved \d+% \(\d+ of 300\), replica copies moved \d+% \(\d+ of 900\); theory ≈ 1\/5 = 20%$/);
    expect(wrapper.find('[data-testid="ring-changes"]').text()).toContain('A kill moves no key');
    // The halo path has one dot per key whose primary moved.
    const halo = wrapper.find('[data-testid="ring-moved-keys"]');
    expect(halo.exists()).toBe(true);
    expect(change.moved.primariesMoved).toBeGreaterThan(0);
    expect((halo.attributes('d') ?? '').split('M').length - 1).toBe(change.moved.primariesMoved);
    // A kill changes no owner: no new change, the figures stay those of the join.
    useClusterStore().peers = peers.map((peer, index) => (index === 0 ? { ...peer, state: 'killed' as const } : peer));
    statesAre(everyoneHolds(ids.slice(1), ringStateOf(ids)));
    await nextTick();
    expect(ring.changes).toHaveLength(1);
    expect(ring.lastChange).toBe(change);
  });

  test('marks an owner that is down as still an owner, on the circle, in the shares and in the key\'s replicas', async () => {
    const ring = runningCluster();
    useClusterStore().peers = peers.map((peer, index) => (index === 1 ? { ...peer, state: 'killed' as const } : peer));
    statesAre(everyoneHolds(ids.filter((_, index) => index !== 1), ringStateOf(ids)));
    const key = Array.from({ length: 100 }, (_, index) => `k${index}`).find((candidate) => new Ring(KV_DEFAULTS.ring, ids).preferenceList(candidate).includes(ids[1]!))!;
    ring.addKeys(Array.from({ length: 50 }, (_, index) => `k${index}`));
    ring.publishKeys();
    ring.select(key);
    const wrapper = mount(RingView);
    await flushPromises();
    const down = wrapper.findAll('[data-testid="ring-down-owner"]');
    expect(down.map((line) => line.attributes('data-peer'))).toEqual([ids[1]]);
    expect(down[0]!.text()).toContain('was killed: down — still an owner');
    expect(wrapper.findAll('[data-testid="ring-circle"] path.tokens.down').map((path) => path.attributes('data-peer'))).toEqual([ids[1]]);
    expect(wrapper.find(`[data-testid="share-bars"] .row[data-peer="${ids[1]}"] [data-testid="share-down"]`).exists()).toBe(true);
    expect(wrapper.find(`[data-testid="key-replicas"] tr[data-peer="${ids[1]}"]`).text()).toContain('down — still an owner');
    expect(wrapper.find('[data-testid="ring-last-change"]').exists()).toBe(false);
  });

  test('shows a transition in progress: who joins, the ranges it takes over, the gainers', async () => {
    runningCluster(ids.slice(0, 4));
    useClusterStore().peers = peers;
    statesAre(everyoneHolds(ids, ringStateOf(ids.slice(0, 4), { entries: [{ peer: ids[4]!, status: 'joining', stamp: 1 }], transition: { joining: [ids[4]!], leaving: [], gainers: [ids[4]!] } })));
    const wrapper = mount(RingView);
    await flushPromises();
    const text = wrapper.find('[data-testid="ring-transition"]').text();
    expect(text).toMatch(new RegExp(`${ids[4]!.replaceAll('.', '\\.')} \\(#5\\) joining: it takes over \\d+ ranges \\(\\d+% of the ring\\) from #`));
    expect(text).toContain('Gainers, pulling the keys from their old owners: #5');
  });

  test('says how many peers hold the ring state it shows while the others catch up', async () => {
    runningCluster();
    const newer = ringStateOf(ids, { entries: [{ peer: ids[4]!, status: 'leaving', stamp: 3 }], transition: { joining: [], leaving: [ids[4]!], gainers: ids.slice(0, 4) } });
    statesAre({ ...everyoneHolds(ids.slice(0, 3), newer), ...everyoneHolds(ids.slice(3), ringStateOf(ids)) });
    const wrapper = mount(RingView);
    await flushPromises();
    expect(wrapper.find('[data-testid="ring-disagreement"]').text()).toBe("The majority's ring state: 3 of 5 running peers hold it; the others hold another (catching up, or cut off by a partition)");
    expect(wrapper.find('[data-testid="ring-transition"]').text()).toMatch(/#5 \S* ?leaving: its \d+ ranges|\(#5\) leaving: its \d+ ranges/);
  });
});
