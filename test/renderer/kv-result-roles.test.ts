// @vitest-environment jsdom
/**
 * A kv result shows each replica in the role its coordinator recorded when it asked it, whatever
 * the ring has become since (issue 14, defect 2): a put made during a partition keeps its
 * fallback after the dead owner is removed and the stand-in becomes an owner.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useMembershipStore } from '../../src/renderer/src/stores/membership.ts';
import { useRingStore } from '../../src/renderer/src/stores/ring.ts';
import KeysView from '../../src/renderer/src/views/KeysView.vue';
import type { KvRequest } from '../../src/shared/api/bridge.ts';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import type { KvResultWire } from '../../src/shared/protocol/control.ts';
import { Ring } from '../../src/shared/ring/ring.ts';
import { createFakeClient, fakePeer, fakeSession, type FakeClient } from './support/fake-client.ts';
import { everyoneHolds, everyoneSees } from './support/kv-fixtures.ts';

const peers = [1, 2, 3, 4, 5].map((number) => fakePeer(number));
const ids = peers.map((peer) => peer.id);
const KEY = 'user:42';
const owners = new Ring(KV_DEFAULTS.ring, ids).preferenceList(KEY) as [string, string, string];
const [primary, absent, tertiary] = owners;
const numberOf = (peer: string): number => ids.indexOf(peer) + 1;
/** Once the absent owner is removed, the peer that takes its place: the one that stood in for it. */
const survivors = ids.filter((id) => id !== absent);
const standIn = new Ring(KV_DEFAULTS.ring, survivors).preferenceList(KEY).find((peer) => !owners.includes(peer)) as string;

function resultOf(request: KvRequest, replicas: KvResultWire['replicas']): KvResultWire {
  return { type: 'kv.result', transaction: 7, op: request.op, key: request.key, ok: true, version: { tick: 1, counter: 0, peer: primary }, latencyTicks: 1, replicas };
}

let client: FakeClient;
let replicas: KvResultWire['replicas'];
beforeEach(() => {
  sessionStorage.clear();
  setActivePinia(createPinia());
  replicas = [];
  client = createFakeClient({ views: () => everyoneSees(ids), ringStates: () => everyoneHolds(ids), runKv: (request: KvRequest) => resultOf(request, replicas) });
  setClusterClient(client);
  useClusterStore().session = { ...fakeSession(peers), quorum: 'sloppy' };
  useClusterStore().peers = peers;
  useMembershipStore().views = everyoneSees(ids);
  useRingStore().states = everyoneHolds(ids);
});

async function put(wrapper: VueWrapper): Promise<void> {
  await wrapper.find('[data-op="put"]').trigger('click');
  await wrapper.find('[data-testid="kv-key"]').setValue(KEY);
  await wrapper.find('[data-testid="kv-value"]').setValue('during the partition');
  await wrapper.find('[data-testid="kv-console"]').trigger('submit');
  await flushPromises();
}

const roles = (wrapper: VueWrapper): string[] => wrapper.findAll('[data-testid="kv-reply"] .role').map((cell) => cell.text());

describe("a kv result's replica roles", () => {
  test('a result decided with a fallback still shows it after the ring changes', async () => {
    replicas = [
      { peer: primary, ok: true, role: 'home', place: 0 },
      { peer: standIn, ok: true, role: 'fallback', for: absent },
      { peer: tertiary, ok: true, role: 'home', place: 2 },
    ];
    const wrapper = mount(KeysView);
    await put(wrapper);
    const decided = ['PRIMARY', `fallback for #${numberOf(absent)}`, 'TERTIARY'];
    expect(roles(wrapper)).toEqual(decided);

    // The absent owner is removed for good: the stand-in is an owner of the key on today's ring.
    useRingStore().states = everyoneHolds(survivors);
    await nextTick();
    expect(useRingStore().ring.preferenceList(KEY)).toContain(standIn);
    expect(useRingStore().ring.preferenceList(KEY)).not.toContain(absent);
    expect(roles(wrapper)).toEqual(decided);
  });

  test('a home replica past the third place is named by its number', async () => {
    replicas = [
      { peer: primary, ok: true, role: 'home', place: 0 },
      { peer: standIn, ok: true, role: 'home', place: 3 },
    ];
    const wrapper = mount(KeysView);
    await put(wrapper);
    expect(roles(wrapper)).toEqual(['PRIMARY', 'REPLICA 4']);
  });

  test('a result without recorded roles (an older peer) says the roles are unknown, not what the current ring says', async () => {
    replicas = owners.map((peer) => ({ peer, ok: true }));
    const wrapper = mount(KeysView);
    await put(wrapper);
    expect(roles(wrapper)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(wrapper.find('[data-testid="kv-reply"] .role').attributes('title')).toContain('did not record the role');
  });
});
