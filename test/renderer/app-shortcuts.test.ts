// @vitest-environment jsdom
/** The window's own shortcuts: Shift+S starts a cluster at once, and stops one only when pressed twice. */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
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
