// @vitest-environment jsdom
/**
 * The Cluster view: its list of peers (live ones first, gone ones after under a line that folds
 * them), the quorum mode for the next start, and Remove from ring for a gone peer that still owns keys.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useNotificationsStore } from '../../src/renderer/src/stores/notifications.ts';
import { useRingStore } from '../../src/renderer/src/stores/ring.ts';
import { QUORUM_PROMISES } from '../../src/renderer/src/lib/quorum-modes.ts';
import ClusterView from '../../src/renderer/src/views/ClusterView.vue';
import StatusBar from '../../src/renderer/src/components/StatusBar.vue';
import type { RingStateInfo } from '../../src/shared/api/bridge.ts';
import type { PeerSummaryWire } from '../../src/shared/api/cluster-api.ts';
import { createFakeClient, fakePeer, fakeSession, type FakeClient } from './support/fake-client.ts';
import { everyoneHolds, ringStateOf } from './support/kv-fixtures.ts';

beforeEach(() => {
  setActivePinia(createPinia());
  setClusterClient(createFakeClient({ views: () => ({}) }));
});

const rowsOf = (wrapper: ReturnType<typeof mount>) => wrapper.findAll('[data-testid="peers-table"] tbody tr').map((row) => row.attributes('data-peer') ?? row.attributes('data-testid'));

test('a peer killed in a running cluster shows below the live ones, with its Restart, at once', async () => {
  const cluster = useClusterStore();
  cluster.peers = [fakePeer(1), fakePeer(2), fakePeer(3)];
  const wrapper = mount(ClusterView);
  await flushPromises();
  cluster.peers = [fakePeer(1), fakePeer(2, 'killed'), fakePeer(3)];
  await flushPromises();
  expect(rowsOf(wrapper)).toEqual([fakePeer(1).id, fakePeer(3).id, 'gone-peers', fakePeer(2).id]);
  expect(wrapper.find('[data-testid="gone-peers"]').text()).toContain('1 gone peer: left, killed or crashed');
  expect(wrapper.find(`tr[data-peer="${fakePeer(2).id}"]`).text()).toContain('Restart');
});

test('a window opened on a running cluster shows its gone peers', async () => {
  const cluster = useClusterStore();
  const wrapper = mount(ClusterView);
  await flushPromises();
  cluster.peers = [fakePeer(1, 'killed'), fakePeer(2), fakePeer(3)];
  await flushPromises();
  expect(rowsOf(wrapper)).toEqual([fakePeer(2).id, fakePeer(3).id, 'gone-peers', fakePeer(1).id]);
});

test('a new cluster folds away the last run’s peers; the line unfolds them', async () => {
  const cluster = useClusterStore();
  cluster.peers = [1, 2, 3].map((number) => fakePeer(number));
  const wrapper = mount(ClusterView);
  await flushPromises();
  cluster.peers = [1, 2, 3].map((number) => fakePeer(number, 'left'));
  await flushPromises();
  // With nothing live, the gone peers are the list.
  expect(rowsOf(wrapper)).toEqual([1, 2, 3].map((number) => fakePeer(number).id));
  cluster.peers = [...[1, 2, 3].map((number) => fakePeer(number, 'left')), ...[4, 5].map((number) => fakePeer(number))];
  await flushPromises();
  expect(rowsOf(wrapper)).toEqual([fakePeer(4).id, fakePeer(5).id, 'gone-peers']);
  expect(wrapper.find('[data-testid="gone-peers"]').text()).toContain('3 gone peers');
  await wrapper.find('[data-testid="toggle-gone"]').trigger('click');
  expect(rowsOf(wrapper)).toHaveLength(6);
});

describe('the quorum mode', () => {
  test('is chosen with the protocol and tick for the next start, with what each promises, and sent with the start', async () => {
    const client = createFakeClient({ views: () => ({}), startCluster: () => [] });
    setClusterClient(client);
    const cluster = useClusterStore();
    const wrapper = mount(ClusterView);
    await flushPromises();
    const select = wrapper.find('[data-testid="quorum"]');
    expect(select.findAll('option').map((option) => option.attributes('value'))).toEqual(['strict', 'sloppy']);
    expect(wrapper.find('[data-testid="quorum-promise"]').text()).toContain(QUORUM_PROMISES.strict);
    await select.setValue('sloppy');
    expect(wrapper.find('[data-testid="quorum-promise"]').text()).toContain(QUORUM_PROMISES.sloppy);
    expect(QUORUM_PROMISES.sloppy).toMatch(/reads may be stale/);
    await cluster.startCluster(5);
    expect(client.calls.startCluster).toHaveBeenCalledWith(5, expect.objectContaining({ quorum: 'sloppy', protocol: 'swim', tickMs: 100 }));
  });

  test("a running cluster shows its own mode and where its stores are, and a circular DHT has no quorum", async () => {
    const client = createFakeClient({ views: () => ({}) });
    client.calls.session.mockResolvedValue({ ...fakeSession([fakePeer(1)]), quorum: 'sloppy', storage: { kind: 'disk', folder: '/tmp/ringside-kv' } });
    setClusterClient(client);
    const cluster = useClusterStore();
    await cluster.refreshSession();
    const wrapper = mount(ClusterView);
    await flushPromises();
    expect((wrapper.find('[data-testid="quorum"]').element as HTMLSelectElement).value).toBe('sloppy');
    expect(wrapper.find('[data-testid="quorum"]').attributes('disabled')).toBeDefined();
    expect(wrapper.find('[data-testid="storage"]').text()).toContain('on disk (a folder each in /tmp/ringside-kv)');
    const bar = mount(StatusBar);
    expect(bar.find('[data-testid="status-quorum"]').text()).toBe('sloppy quorums, stores on disk');
    cluster.settings = { ...cluster.settings, kind: 'dht' };
    cluster.peers = [];
    await flushPromises();
    expect(wrapper.find('[data-testid="quorum"]').exists()).toBe(false);
  });
});

describe('Remove from ring', () => {
  const ids = [1, 2, 3, 4].map((number) => fakePeer(number).id);
  function clusterWithOwners(states: Record<string, RingStateInfo>, peers: PeerSummaryWire[]): FakeClient {
    const client = createFakeClient({ views: () => ({}), ringStates: () => states, removePeer: () => peers });
    setClusterClient(client);
    useClusterStore().peers = peers;
    useRingStore().states = states;
    return client;
  }

  test('is offered for a killed or crashed peer the ring state still counts as an owner, and for no other', async () => {
    const peers = [fakePeer(1), fakePeer(2, 'killed'), fakePeer(3, 'crashed'), fakePeer(4, 'left'), fakePeer(5, 'paused'), fakePeer(6, 'killed')];
    // Peer 4 left (removed), peer 6 was removed already; 2, 3 and 5 own keys.
    const state = ringStateOf([...ids, fakePeer(5).id, fakePeer(6).id], { entries: [{ peer: ids[3]!, status: 'removed', stamp: 2 }, { peer: fakePeer(6).id, status: 'removed', stamp: 3 }] });
    clusterWithOwners(everyoneHolds([ids[0]!], state), peers);
    const wrapper = mount(ClusterView);
    await flushPromises();
    const offered = wrapper.findAll('[data-action="remove"]').map((button) => button.element.closest('tr')!.getAttribute('data-peer'));
    expect(offered).toEqual([ids[1], ids[2]]);
    const note = wrapper.find(`[data-owner-note="${ids[1]}"]`).text();
    expect(note).toContain('a failure is not a departure');
    expect(note).toContain('A dead peer keeps its keys until it comes back or you remove it; its ranges then move to the other peers');
  });

  test('asks first, then calls removePeer; Cancel does nothing', async () => {
    const peers = [fakePeer(1), fakePeer(2, 'killed'), fakePeer(3), fakePeer(4)];
    const client = clusterWithOwners(everyoneHolds([ids[0]!, ids[2]!, ids[3]!], ringStateOf(ids)), peers);
    const wrapper = mount(ClusterView);
    await flushPromises();
    await wrapper.find('[data-action="remove"]').trigger('click');
    expect(wrapper.find('[data-testid="remove-confirm"]').text()).toContain(`Remove ${ids[1]} from the ring for good?`);
    await wrapper.find('[data-testid="remove-confirm-no"]').trigger('click');
    expect(wrapper.find('[data-testid="remove-confirm"]').exists()).toBe(false);
    expect(client.calls.removePeer).not.toHaveBeenCalled();
    await wrapper.find('[data-action="remove"]').trigger('click');
    await wrapper.find('[data-testid="remove-confirm-yes"]').trigger('click');
    await flushPromises();
    expect(client.calls.removePeer).toHaveBeenCalledWith(ids[1]);
    // The ring states are read again at once: the removal is a transition the view follows.
    expect(client.calls.ringStates).toHaveBeenCalled();
  });

  test('a refusal is a notice, as for every other action', async () => {
    const peers = [fakePeer(1), fakePeer(2, 'killed'), fakePeer(3), fakePeer(4)];
    const client = clusterWithOwners(everyoneHolds([ids[0]!, ids[2]!, ids[3]!], ringStateOf(ids)), peers);
    client.calls.removePeer.mockRejectedValue(new Error('cannot remove 127.0.0.1:4002: a transition is in progress'));
    const wrapper = mount(ClusterView);
    await flushPromises();
    await wrapper.find('[data-action="remove"]').trigger('click');
    await wrapper.find('[data-testid="remove-confirm-yes"]').trigger('click');
    await flushPromises();
    expect(useNotificationsStore().notices.map((notice) => [notice.level, notice.text])).toContainEqual([
      'error',
      `Removing ${ids[1]} from the ring: cannot remove 127.0.0.1:4002: a transition is in progress`,
    ]);
  });
});
