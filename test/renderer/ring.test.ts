// @vitest-environment jsdom
import { beforeEach, describe, expect, test } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useMembershipStore } from '../../src/renderer/src/stores/membership.ts';
import { useRingStore } from '../../src/renderer/src/stores/ring.ts';
import { useStreamStore } from '../../src/renderer/src/stores/stream.ts';
import { describeRingChange } from '../../src/renderer/src/lib/ring-changes.ts';
import { keysNear, placeKeys, replicaWalk } from '../../src/renderer/src/lib/ring-geometry.ts';
import { ringMembership } from '../../src/renderer/src/lib/ring-members.ts';
import RingView from '../../src/renderer/src/views/RingView.vue';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import type { MemberViewWire } from '../../src/shared/protocol/control.ts';
import { BALANCED_RING, Ring } from '../../src/shared/ring/ring.ts';
import { movedFraction } from '../../src/shared/ring/stats.ts';
import { createFakeClient, entry, fakePeer, type FakeClient } from './support/fake-client.ts';
import { alive, everyoneSees, inspection } from './support/kv-fixtures.ts';

const peers = [1, 2, 3, 4, 5].map((number) => fakePeer(number));
const ids = peers.map((peer) => peer.id);
let client: FakeClient;
/** What the fake cluster answers when the membership store reads the views. */
let currentViews: Record<string, MemberViewWire[]> = {};
beforeEach(() => {
  setActivePinia(createPinia());
  currentViews = {};
  client = createFakeClient({ views: () => currentViews });
  setClusterClient(client);
});

function runningCluster(members = ids): ReturnType<typeof useRingStore> {
  const cluster = useClusterStore();
  cluster.peers = peers.filter((peer) => members.includes(peer.id));
  currentViews = everyoneSees(members);
  useMembershipStore().views = currentViews;
  return useRingStore();
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

  test('takes the members a majority of the running peers count alive or suspect', () => {
    const [a, b, c, d] = ids as [string, string, string, string];
    const views = { [a]: alive([a, b, c, d]), [b]: alive([a, b, c, d]), [c]: alive([a, b, c]) };
    expect(ringMembership(views, [a, b, c])).toEqual({ members: [a, b, c, d], observers: 3, agreeing: 2 });
    expect(ringMembership({}, [c, a])).toEqual({ members: [a, c], observers: 0, agreeing: 0 });
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

  test('after a join, says which peer came and how many of the known keys moved', async () => {
    const ring = runningCluster(ids.slice(0, 4));
    const keys = Array.from({ length: 400 }, (_, index) => `user:${index}`);
    ring.addKeys(keys);
    ring.publishKeys();
    const before = new Ring(KV_DEFAULTS.ring, ids.slice(0, 4));
    useClusterStore().peers = peers;
    currentViews = everyoneSees(ids);
    useMembershipStore().views = currentViews;
    await nextTick();
    const change = ring.lastChange!;
    expect(change.added).toEqual([ids[4]]);
    expect(change.removed).toEqual([]);
    expect(change.keys).toBe(400);
    expect(change.movedFraction).toBe(movedFraction(before, new Ring(KV_DEFAULTS.ring, ids), keys));
    expect(change.movedFraction).toBeGreaterThan(0);
    expect(describeRingChange(change, ring.peerLabel)).toMatch(/^\+peer #5, \d+% of keys moved \(\d+ of 400\)$/);
  });

  test('forgets its keys and moves when no peer is left alive (their stores went with them), not while peers are only paused', async () => {
    const ring = runningCluster(ids.slice(0, 4));
    ring.addKeys(['a', 'b', 'c']);
    ring.publishKeys();
    useClusterStore().peers = peers;
    currentViews = everyoneSees(ids);
    useMembershipStore().views = currentViews;
    await nextTick();
    expect(ring.changes).toHaveLength(1);
    useClusterStore().peers = peers.map((peer) => ({ ...peer, state: 'paused' as const }));
    await nextTick();
    expect(ring.keys).toHaveLength(3);
    useClusterStore().peers = peers.map((peer, index) => ({ ...peer, state: index === 0 ? ('killed' as const) : ('left' as const) }));
    await nextTick();
    expect(ring.keys).toEqual([]);
    expect(ring.changes).toEqual([]);
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
});
