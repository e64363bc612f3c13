// @vitest-environment jsdom
/**
 * Issue 14, defect 6: a start shows a `starting` row for every peer it asked for (never "No peers
 * yet"), and a restarted peer shows `starting` then `alive`, never the `failed` its previous life
 * left in the others' member lists.
 */
import { beforeEach, expect, test } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useMembershipStore, type Views } from '../../src/renderer/src/stores/membership.ts';
import ClusterView from '../../src/renderer/src/views/ClusterView.vue';
import type { MemberViewWire } from '../../src/shared/protocol/control.ts';
import type { PeerSummaryWire } from '../../src/shared/api/cluster-api.ts';
import { createFakeClient, fakePeer } from './support/fake-client.ts';

beforeEach(() => {
  setActivePinia(createPinia());
});

type Wrapper = ReturnType<typeof mount>;
/** Each row of the peers table: its number and the state badge it shows. */
const tableOf = (wrapper: Wrapper) =>
  wrapper.findAll('[data-testid="peers-table"] tbody tr').map((row) => {
    const state = row.find('[data-testid="peer-state"]');
    return state.exists() ? [row.find('td').text(), state.text()] : [row.attributes('data-testid') ?? '', ''];
  });

test('a start of 5 shows 5 rows from the press on, those not started yet as starting, and never "No peers yet"', async () => {
  let finish: (peers: PeerSummaryWire[]) => void = () => undefined;
  const client = createFakeClient({ views: () => ({}), startCluster: () => new Promise<PeerSummaryWire[]>((resolve) => (finish = resolve)) });
  setClusterClient(client);
  const cluster = useClusterStore();
  const wrapper = mount(ClusterView);
  await flushPromises();
  expect(wrapper.find('[data-testid="cluster-empty"]').text()).toContain('No peers yet');

  const started = cluster.startCluster(5);
  await flushPromises();
  expect(wrapper.find('[data-testid="cluster-empty"]').exists()).toBe(false);
  expect(tableOf(wrapper)).toEqual([1, 2, 3, 4, 5].map((number) => [String(number), 'starting']));
  expect(wrapper.findAll('[data-testid="peer-placeholder"]').map((row) => row.findAll('td')[1]!.text())).toEqual([1, 2, 3, 4, 5].map((number) => `#${number} starting…`));

  // The manager spawns them side by side: #3 runs first, then #1; the session read shows #2 starting.
  cluster.peers = [fakePeer(3)];
  await flushPromises();
  expect(tableOf(wrapper)).toEqual([
    ['3', 'alive'],
    ['1', 'starting'],
    ['2', 'starting'],
    ['4', 'starting'],
    ['5', 'starting'],
  ]);
  cluster.peers = [fakePeer(1), fakePeer(2, 'starting'), fakePeer(3)];
  await flushPromises();
  expect(tableOf(wrapper)).toEqual([
    ['1', 'alive'],
    ['2', 'starting'],
    ['3', 'alive'],
    ['4', 'starting'],
    ['5', 'starting'],
  ]);
  expect(wrapper.text()).not.toContain('No peers yet');

  const all = [1, 2, 3, 4, 5].map((number) => fakePeer(number));
  client.calls.session.mockResolvedValue({ api: 1, protocol: 'swim', tickMs: 100, startedAt: Date.now(), peers: all, journal: { entries: 0, bytesWritten: 0 } });
  cluster.peers = all;
  finish(all);
  await started;
  await flushPromises();
  expect(tableOf(wrapper)).toEqual([1, 2, 3, 4, 5].map((number) => [String(number), 'alive']));
  expect(wrapper.find('[data-testid="peer-placeholder"]').exists()).toBe(false);
});

test('a start after a stopped cluster shows the new cluster’s peers starting from #1, and the last run’s go once the manager reports the new cluster', async () => {
  let finish: (peers: PeerSummaryWire[]) => void = () => undefined;
  setClusterClient(createFakeClient({ views: () => ({}), startCluster: () => new Promise<PeerSummaryWire[]>((resolve) => (finish = resolve)) }));
  const cluster = useClusterStore();
  cluster.peers = [1, 2].map((number) => fakePeer(number, 'left'));
  const wrapper = mount(ClusterView);
  await flushPromises();
  const started = cluster.startCluster(3);
  await flushPromises();
  // Issue 14, defect 3: with none live a start is a new cluster (epoch), numbered from #1.
  expect(tableOf(wrapper)).toEqual([...[1, 2, 3].map((number) => [String(number), 'starting']), ['gone-peers', ''], ['1', 'left'], ['2', 'left']]);
  // The manager forgets the previous cluster's peers as the new one begins.
  cluster.peers = [];
  await flushPromises();
  expect(tableOf(wrapper)).toEqual([1, 2, 3].map((number) => [String(number), 'starting']));
  // A peer of the new cluster reported (a session read): the placeholders are the other two.
  cluster.peers = [fakePeer(2, 'starting')];
  await flushPromises();
  expect(tableOf(wrapper)).toEqual([2, 1, 3].map((number) => [String(number), 'starting']));
  finish([]);
  await started;
});

test('a start that adds to a live cluster numbers its peers after the highest, gone ones included', async () => {
  let finish: (peers: PeerSummaryWire[]) => void = () => undefined;
  setClusterClient(createFakeClient({ views: () => ({}), startCluster: () => new Promise<PeerSummaryWire[]>((resolve) => (finish = resolve)) }));
  const cluster = useClusterStore();
  cluster.peers = [fakePeer(1), fakePeer(2), fakePeer(3, 'killed')];
  const started = cluster.startCluster(2);
  await flushPromises();
  expect(cluster.pendingStarts).toEqual([4, 5]);
  finish([]);
  await started;
});

test('a restarted peer shows starting, then alive: never failed for its previous life', async () => {
  const ids = [1, 2, 3].map((number) => fakePeer(number).id);
  const member = (id: string, state: MemberViewWire['state'], incarnation = 0): MemberViewWire => ({ id, state, sinceTick: 0, incarnation });
  /** Every observer's list, with what observers other than peer 2 believe of peer 2. */
  const viewsWith = (two: MemberViewWire['state'] | undefined, observers = [ids[0]!, ids[2]!]): Views =>
    Object.fromEntries(observers.map((observer) => [observer, ids.map((id) => (id === ids[1] ? (two === undefined ? undefined : member(id, two, 1)) : member(id, 'alive'))).filter((view) => view !== undefined)]));
  let views: Views = viewsWith('alive', ids);
  let finish: (peer: PeerSummaryWire) => void = () => undefined;
  const client = createFakeClient({ views: () => views, restartPeer: () => new Promise<PeerSummaryWire>((resolve) => (finish = resolve)) });
  setClusterClient(client);
  const cluster = useClusterStore();
  const membership = useMembershipStore();
  const wrapper = mount(ClusterView);
  const stateOf = () => wrapper.find(`tr[data-peer="${ids[1]}"] [data-testid="peer-state"]`).text();
  const seen: string[] = [];
  const look = async () => {
    await flushPromises();
    seen.push(stateOf());
    expect(wrapper.find('.state-failed').exists()).toBe(false);
  };

  cluster.peers = [fakePeer(1), fakePeer(2), fakePeer(3)];
  await membership.refresh();
  await look();

  // Killed: the others suspect it, then declare it dead.
  cluster.peers = [fakePeer(1), fakePeer(2, 'killed'), fakePeer(3)];
  views = viewsWith('suspect');
  await membership.refresh();
  await look();
  views = viewsWith('dead');
  await membership.refresh();
  await look();

  // Restart: the manager kills nothing (it is gone), spawns it again on the same address; the
  // 'starting' record shows in a session read, then it runs; the call answers once it runs.
  const restarting = cluster.restartPeer(ids[1]!);
  await look();
  const newLife: PeerSummaryWire = { ...fakePeer(2), pid: 2002, startedAt: Date.now() };
  cluster.peers = [fakePeer(1), { ...newLife, state: 'starting' }, fakePeer(3)];
  await look();
  cluster.peers = [fakePeer(1), newLife, fakePeer(3)];
  // The views in hand are from before it ran: the others still hold its previous life dead.
  await look();
  finish(newLife);
  await restarting;
  await look();
  // Read again while the others have not heard of the new process yet.
  views = { ...viewsWith('dead'), [ids[1]!]: [member(ids[1]!, 'alive')] };
  await membership.refresh();
  await look();
  // It refutes with a higher incarnation: alive everywhere.
  views = { ...viewsWith('alive'), [ids[1]!]: ids.map((id) => member(id, 'alive', 2)) };
  await membership.refresh();
  await look();

  expect(seen.filter((state, index) => state !== seen[index - 1])).toEqual(['alive', 'killed', 'starting', 'alive']);

  // A verdict on this life, once it was back, is a failure again.
  views = viewsWith('dead', [ids[0]!, ids[1]!, ids[2]!]);
  await membership.refresh();
  await flushPromises();
  expect(stateOf()).toBe('failed');
});
