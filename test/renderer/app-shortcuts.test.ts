// @vitest-environment jsdom
/** The window's own shortcuts: Shift+S starts a cluster at once and stops one only when pressed twice; a adds a peer. */
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useNotificationsStore } from '../../src/renderer/src/stores/notifications.ts';
import App from '../../src/renderer/src/App.vue';
import type { PeerSummaryWire } from '../../src/shared/api/cluster-api.ts';
import { createFakeClient, fakePeer, fakeSession, type FakeClient } from './support/fake-client.ts';

let client: FakeClient;
let peers: PeerSummaryWire[] = [];
let wrapper: VueWrapper | undefined;

beforeEach(() => {
  setActivePinia(createPinia());
  peers = [];
  client = createFakeClient({ session: () => fakeSession(peers), views: () => ({}), journalEntries: () => [], getFaults: () => ({ loss: 0, duplicate: 0, links: [], partitions: [] }) });
  setClusterClient(client);
});
afterEach(() => wrapper?.unmount());

const shiftS = (): void => void window.dispatchEvent(new KeyboardEvent('keydown', { key: 'S', shiftKey: true }));

test('Shift+S starts a cluster with no peer at once', async () => {
  wrapper = mount(App);
  await flushPromises();
  shiftS();
  await flushPromises();
  expect(client.calls.startCluster).toHaveBeenCalledTimes(1);
});

test('Shift+S on a running cluster asks to be pressed again, and only then stops it', async () => {
  peers = [1, 2, 3].map((number) => fakePeer(number));
  wrapper = mount(App);
  await flushPromises();
  shiftS();
  await flushPromises();
  expect(client.calls.stopCluster).not.toHaveBeenCalled();
  expect(useNotificationsStore().notices.at(-1)?.text).toMatch(/Press Shift\+S again to stop all 3 peers/);
  shiftS();
  await flushPromises();
  expect(client.calls.stopCluster).toHaveBeenCalledTimes(1);
  expect(client.calls.startCluster).not.toHaveBeenCalled();
});

test('a adds a peer to a running cluster; with none running it starts one peer with the settings chosen for the next start', async () => {
  wrapper = mount(App);
  await flushPromises();
  const cluster = useClusterStore();
  cluster.settings = { protocol: 'gossip', tickMs: 200 };
  window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
  await flushPromises();
  expect(client.calls.startCluster).toHaveBeenCalledWith(1, { protocol: 'gossip', tickMs: 200 });
  expect(client.calls.addPeer).not.toHaveBeenCalled();
  cluster.peers = [fakePeer(1)];
  window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
  await flushPromises();
  expect(client.calls.addPeer).toHaveBeenCalledTimes(1);
});

test('on a circular DHT, the key-value views say so and point to the Ring and the Log; the others open', async () => {
  peers = [2, 4, 5].map((identity, index) => ({ ...fakePeer(index + 1), identity }));
  wrapper = mount(App);
  await flushPromises();
  for (const view of ['membership', 'keys', 'stores', 'faults', 'check']) {
    await wrapper.get(`nav [data-view="${view}"]`).trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid="view-not-for-kind"]').text(), view).toContain('circular DHT');
    expect(wrapper.get(`nav [data-view="${view}"]`).classes()).toContain('dim');
  }
  expect(client.calls.views).not.toHaveBeenCalled();
  // A circular DHT has no ring state either.
  expect(client.calls.ringStates).not.toHaveBeenCalled();
  await wrapper.get('nav [data-view="cluster"]').trigger('click');
  await flushPromises();
  expect(wrapper.find('[data-testid="view-not-for-kind"]').exists()).toBe(false);
});

test('on a key-value cluster every view opens', async () => {
  peers = [1, 2, 3].map((number) => fakePeer(number));
  wrapper = mount(App);
  await flushPromises();
  await wrapper.get('nav [data-view="membership"]').trigger('click');
  await flushPromises();
  expect(wrapper.find('[data-testid="view-not-for-kind"]').exists()).toBe(false);
  expect(wrapper.get('nav [data-view="membership"]').classes()).not.toContain('dim');
});

test("0 opens the Check view, the sidebar's tenth and last entry; 9 the Messages diagram", async () => {
  peers = [1, 2, 3].map((number) => fakePeer(number));
  wrapper = mount(App);
  await flushPromises();
  const entries = wrapper.findAll('nav button');
  expect(entries.at(-1)!.attributes('data-view')).toBe('check');
  expect(entries.at(-1)!.text()).toBe('Check0');
  expect(entries.at(-2)!.text()).toBe('Messages9');
  window.dispatchEvent(new KeyboardEvent('keydown', { key: '9' }));
  await flushPromises();
  await vi.waitFor(() => expect(wrapper!.find('[data-testid="diagram-canvas"]').exists()).toBe(true), { timeout: 10_000 });
  window.dispatchEvent(new KeyboardEvent('keydown', { key: '0' }));
  await flushPromises();
  // The view is loaded on first use (a separate chunk).
  await vi.waitFor(() => expect(wrapper!.find('[data-testid="check-form"]').exists()).toBe(true), { timeout: 10_000 });
  expect(location.hash).toBe('#/check');
});
