// @vitest-environment jsdom
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useMembershipStore } from '../../src/renderer/src/stores/membership.ts';
import { useReplicasStore } from '../../src/renderer/src/stores/replicas.ts';
import { useRingStore } from '../../src/renderer/src/stores/ring.ts';
import { replicaDiff } from '../../src/renderer/src/lib/replica-diff.ts';
import StoresView from '../../src/renderer/src/views/StoresView.vue';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import type { StoredRecord } from '../../src/shared/protocol/control.ts';
import { Ring } from '../../src/shared/ring/ring.ts';
import { createFakeClient, fakePeer, type FakeClient } from './support/fake-client.ts';
import { everyoneHolds, everyoneSees, inspection, record, ringStateOf } from './support/kv-fixtures.ts';

const peers = [1, 2, 3, 4, 5].map((number) => fakePeer(number));
const ids = peers.map((peer) => peer.id);
const ring = new Ring(KV_DEFAULTS.ring, ids);
const v1 = { tick: 10, counter: 0, peer: ids[0]! };
const v2 = { tick: 20, counter: 0, peer: ids[1]! };

/**
 * Twenty keys, each on its three owners, except: `lost` misses its TERTIARY's copy, `split` has
 * an older version on its SECONDARY, and `extra` has a fourth copy on a peer outside its list.
 */
function healthyStoresExcept(): Map<string, StoredRecord[]> {
  const stores = new Map<string, StoredRecord[]>(ids.map((id) => [id, []]));
  for (const key of [...Array.from({ length: 20 }, (_, index) => `key-${index}`), 'lost', 'split', 'extra']) {
    const owners = ring.preferenceList(key);
    owners.forEach((owner, index) => {
      if (key === 'lost' && index === 2) return;
      stores.get(owner)!.push(record(key, 'value', key === 'split' && index === 1 ? v1 : v2));
    });
    if (key === 'extra') stores.get(ids.find((id) => !owners.includes(id))!)!.push(record(key, 'value', v2));
  }
  return stores;
}

let client: FakeClient;
let stores: Map<string, StoredRecord[]>;
beforeEach(() => {
  setActivePinia(createPinia());
  stores = healthyStoresExcept();
  client = createFakeClient({ views: () => everyoneSees(ids), ringStates: () => everyoneHolds(ids), inspectPeer: (peer: string) => inspection(peer, stores.get(peer) ?? [], ringStateOf(ids)) });
  setClusterClient(client);
});

function runningCluster(): void {
  useClusterStore().peers = peers;
  useMembershipStore().views = everyoneSees(ids);
  // The window's ring is the peers' ring state.
  useRingStore().states = everyoneHolds(ids);
}

describe('the replica diff', () => {
  test('finds a missing copy, a version disagreement and a copy outside the preference list', () => {
    const diff = replicaDiff(stores, ring);
    expect(diff.keys).toBe(23);
    expect(diff.expected).toBe(3);
    expect(diff.rows.map((row) => [row.key, row.problems])).toEqual([
      ['extra', ['over']],
      ['lost', ['under']],
      ['split', ['versions']],
    ]);
    const split = diff.rows.find((row) => row.key === 'split')!;
    expect(split.holders.map((holder) => holder.stale)).toEqual([false, true, false]);
    expect(split.holders.map((holder) => holder.peer)).toEqual(ring.preferenceList('split'));
    expect(diff.rows.find((row) => row.key === 'lost')!.copies).toBe(2);
  });

  test('is clean when every key has its N copies of one version on its owners; tombstones count as copies', () => {
    const clean = new Map<string, StoredRecord[]>(ids.map((id) => [id, []]));
    for (const key of ['a', 'b', 'gone']) for (const owner of ring.preferenceList(key)) clean.get(owner)!.push(record(key, 'x', v1, key === 'gone'));
    const diff = replicaDiff(clean, ring);
    expect(diff.rows).toEqual([]);
    expect(diff.keys).toBe(3);
  });

  test('the store reads every running peer and diffs what they hold', async () => {
    runningCluster();
    const replicas = useReplicasStore();
    await replicas.refresh();
    expect(client.calls.inspectPeer).toHaveBeenCalledTimes(5);
    expect(replicas.stores.size).toBe(5);
    expect(replicas.readAt).toBeTypeOf('number');
    expect(replicas.diff.counts).toEqual({ under: 1, over: 1, versions: 1, misplaced: 0, rings: 0 });
    expect(replicas.diff.unjudged).toEqual([]);
    // What the stores hold becomes known to the ring.
    useRingStore().publishKeys();
    expect(useRingStore().keys).toContain('lost');
  });

  test('a peer that does not answer is reported, and the others are still diffed', async () => {
    runningCluster();
    client.calls.inspectPeer.mockImplementation(async (peer: string) => {
      if (peer === ids[4]) throw new Error('the peer went away');
      return inspection(peer, stores.get(peer) ?? []);
    });
    const replicas = useReplicasStore();
    await replicas.refresh();
    expect([...replicas.failures.keys()]).toEqual([ids[4]]);
    expect(replicas.stores.size).toBe(4);
  });
});

describe('the Stores view', () => {
  // jsdom lays nothing out: give the virtual lists' scrollers a height so they render rows.
  beforeAll(() => Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 }));
  afterAll(() => delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight);

  test('says what to do when no peer runs', () => {
    const wrapper = mount(StoresView);
    expect(wrapper.find('[data-testid="stores-empty"]').text()).toContain('Start peers on the Cluster view');
  });

  test("lists the diff's keys with who holds which version, and a peer's records with search", async () => {
    runningCluster();
    const wrapper = mount(StoresView);
    await wrapper.find('[data-testid="stores-refresh"]').trigger('click');
    await flushPromises();
    await nextTick();
    expect(wrapper.find('[data-testid="replica-diff-dirty"]').text()).toBe('3 keys need attention');
    const rows = wrapper.findAll('[data-testid="diff-row"]');
    expect(rows.map((row) => row.attributes('data-key'))).toEqual(['extra', 'lost', 'split']);
    const lost = rows[1]!;
    const tertiary = peers.find((peer) => peer.id === ring.preferenceList('lost')[2])!;
    expect(lost.find('.chip.missing').text()).toBe(`#${tertiary.number} none`);
    expect(rows[2]!.findAll('.chip.stale')).toHaveLength(1);

    // The first peer's store, then a search in it.
    const first = stores.get(ids[0]!)!;
    expect(wrapper.findAll('[data-testid="store-row"]')).toHaveLength(first.length);
    await wrapper.find('[data-testid="store-search"]').setValue('key-1');
    const matching = first.filter((held) => held.key.includes('key-1'));
    expect(wrapper.findAll('[data-testid="store-row"]').map((row) => row.attributes('data-key'))).toEqual(matching.map((held) => held.key));
    expect(wrapper.find('[data-testid="store-count"]').text()).toContain(`${matching.length} of ${first.length} records`);
  });

  test('a clean diff says so', async () => {
    stores = new Map(ids.map((id) => [id, []]));
    for (const owner of ring.preferenceList('solo')) stores.get(owner)!.push(record('solo', 'x', v1));
    runningCluster();
    const wrapper = mount(StoresView);
    await wrapper.find('[data-testid="stores-refresh"]').trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid="replica-diff-clean"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="replica-diff-summary"]').text()).toContain('1 keys across 5 stores');
  });

  test('a killed owner is named: its keys stay under N until it comes back or is removed from the ring', async () => {
    runningCluster();
    useClusterStore().peers = peers.map((peer, index) => (index === 2 ? { ...peer, state: 'killed' as const } : peer));
    const wrapper = mount(StoresView);
    await wrapper.find('[data-testid="stores-refresh"]').trigger('click');
    await flushPromises();
    expect(wrapper.findAll('[data-testid="stores-down-owner"]').map((line) => line.text())).toEqual([
      '#3 was killed but is still an owner: its keys show fewer than N copies until it comes back or you remove it from the ring',
    ]);
    // Its copies are missing from the diff, against the ring it still owns.
    expect(useReplicasStore().diff.counts.under).toBeGreaterThan(1);
  });
});
