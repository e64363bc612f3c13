// @vitest-environment jsdom
/** The Cluster view's list of peers: live ones first, gone ones after under a line that folds them. */
import { beforeEach, expect, test } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import ClusterView from '../../src/renderer/src/views/ClusterView.vue';
import { createFakeClient, fakePeer } from './support/fake-client.ts';

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
