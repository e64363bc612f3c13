// @vitest-environment jsdom
/**
 * The Charts view around its charts (the chart component is mocked: uPlot needs a real browser): the empty state
 * and the note on the faults in effect.
 */
import { beforeEach, expect, test, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useMembershipStore } from '../../src/renderer/src/stores/membership.ts';
import { useMetricsStore } from '../../src/renderer/src/stores/metrics.ts';
import ChartsView from '../../src/renderer/src/views/ChartsView.vue';
import { createFakeClient, fakePeer, fakeSession } from './support/fake-client.ts';

vi.mock('../../src/renderer/src/components/charts/TimeChart.vue', () => ({ default: { name: 'TimeChart', render: () => null } }));

beforeEach(() => {
  setActivePinia(createPinia());
  setClusterClient(createFakeClient({ journalEntries: () => [], session: () => fakeSession() }));
});

const mountCharts = () => mount(ChartsView);

test('with no peer, says what to do: the views read meanwhile (no observer) are no figures', async () => {
  const now = Date.now();
  useMembershipStore().agreement = [0, 1, 2].map((index) => ({ at: now - 3000 + index * 1000, observers: 0, disagreeing: 0 }));
  const wrapper = mountCharts();
  await flushPromises();
  expect(wrapper.find('[data-testid="charts-empty"]').text()).toContain('Start a cluster');
  useMembershipStore().agreement = [{ at: now, observers: 3, disagreeing: 0 }];
  await flushPromises();
  expect(wrapper.find('[data-testid="charts-empty"]').exists()).toBe(false);
});

test("names the faults in effect with the window's peer labels, not their addresses", async () => {
  const peers = [1, 2, 3].map((number) => fakePeer(number));
  useClusterStore().peers = peers;
  useMetricsStore().faultChanges = [{ at: Date.now() - 5000, active: true, description: `partition ${peers[0]!.id} | ${peers[1]!.id},${peers[2]!.id}` }];
  const wrapper = mountCharts();
  await flushPromises();
  const note = wrapper.find('[data-testid="charts-fault-note"]');
  expect(note.text()).toMatch(/^faults now: partition #1 \| #2,#3 \(for \d+ s\)$/);
  expect(note.attributes('title')).toBe(note.text());
});
