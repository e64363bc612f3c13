// @vitest-environment jsdom
/**
 * The circular DHT in the window with a fake client: arrows drawn from `dhtRing()`, the route of
 * a lookup animated hop by hop from the console events' `lookup`, file names checked before
 * anything is sent, and the key-value stores left alone on a DHT cluster.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { DHT_HOP_MS, fileNameProblem, useDhtStore } from '../../src/renderer/src/stores/dht.ts';
import { useMembershipStore } from '../../src/renderer/src/stores/membership.ts';
import { useReplicasStore } from '../../src/renderer/src/stores/replicas.ts';
import { useFaultsStore } from '../../src/renderer/src/stores/faults.ts';
import { useNotificationsStore } from '../../src/renderer/src/stores/notifications.ts';
import { useStreamStore } from '../../src/renderer/src/stores/stream.ts';
import { useJournalStore } from '../../src/renderer/src/stores/journal.ts';
import { kindGroup } from '../../src/renderer/src/lib/log-buffer.ts';
import DhtRingView from '../../src/renderer/src/views/DhtRingView.vue';
import type { PeerSummaryWire } from '../../src/shared/api/cluster-api.ts';
import type { DhtInspection } from '../../src/shared/protocol/control.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { createFakeClient, entry, fakeSession, type FakeClient } from './support/fake-client.ts';

const RING = [2, 4, 5, 8, 9, 14, 19];
const idOf = (identity: number): string => `127.0.0.1:${30_000 + identity}`;

function dhtPeer(identity: number, number: number, state: PeerSummaryWire['state'] = 'running'): PeerSummaryWire {
  return { id: idOf(identity), number, state, managed: true, pid: 100 + number, port: 30_000 + identity, redisPort: 0, startedAt: Date.now(), identity };
}

function inspection(identity: number, ring: readonly number[], files: string[] = []): DhtInspection {
  const index = ring.indexOf(identity);
  const at = (offset: number): number => ring[(index + offset + ring.length) % ring.length] as number;
  return {
    id: idOf(identity),
    pid: 1,
    identity,
    status: 'member',
    tickMs: 100,
    tick: 10,
    pingIntervalTicks: 10,
    successors: [at(1), at(2)],
    predecessors: [at(-1), at(-2)],
    files,
    folder: { path: `/tmp/peer-${identity}`, entries: [], total: 0 },
    counters: { messagesRejected: 0, lookupsDropped: 0, transport: { connectionsAccepted: 0, connectionsRefused: 0, framesReceived: 0, framesRefused: {}, messagesSent: 0, messagesDropped: {}, reconnects: 0 } },
  };
}

const consoleEvent = (identity: number, text: string, lookup?: Extract<JournalEvent, { kind: 'console' }>['lookup']): JournalEvent => ({
  kind: 'console',
  tick: 1,
  peer: idOf(identity),
  text,
  ...(lookup === undefined ? {} : { lookup }),
});

let client: FakeClient;
const peers = RING.map((identity, index) => dhtPeer(identity, index + 1));

beforeEach(() => {
  setActivePinia(createPinia());
  client = createFakeClient({
    session: () => ({ ...fakeSession(peers), kind: 'dht', dht: { pingIntervalSeconds: 1, fingers: false } }),
    dhtRing: () => RING.map((identity) => inspection(identity, RING, identity === 19 ? ['2067'] : [])),
    storeDhtFile: (_peer: string, file: string) => ({ line: `Store ${file}`, command: 'store', file }),
  });
  setClusterClient(client);
});
afterEach(() => {
  vi.useRealTimers();
});

async function dhtCluster(): Promise<ReturnType<typeof useClusterStore>> {
  const cluster = useClusterStore();
  cluster.connect();
  await flushPromises();
  cluster.disconnect();
  return cluster;
}

describe('the circular DHT ring view', () => {
  test('draws every first and second successor and the predecessors from dhtRing(), and the files held', async () => {
    const cluster = await dhtCluster();
    expect(cluster.isDht).toBe(true);
    const view = mount(DhtRingView);
    await flushPromises();
    const arrows = (kind: string): string[] => view.findAll(`[data-arrow="${kind}"]`).map((path) => `${path.attributes('data-from')}>${path.attributes('data-to')}`);
    expect(arrows('first')).toEqual(['2>4', '4>5', '5>8', '8>9', '9>14', '14>19', '19>2']);
    expect(arrows('second')).toEqual(['2>5', '4>8', '5>9', '8>14', '9>19', '14>2', '19>4']);
    expect(arrows('predecessor')).toHaveLength(14);
    expect(view.find('[data-testid="dht-circle"]').attributes('aria-label')).toBe('The circular DHT: 7 peers 2, 4, 5, 8, 9, 14, 19');
    expect(view.find('[data-testid="dht-file"][data-holder="19"]').text()).toBe('2067');
    // The first peer's own view shows in the panel.
    expect(view.find('[data-testid="dht-successors"]').text()).toBe('first Peer 4, second Peer 5');
    view.unmount();
  });

  test('a name that is not four digits is said in words and nothing is sent', async () => {
    await dhtCluster();
    const view = mount(DhtRingView);
    await flushPromises();
    await view.find('[data-testid="dht-file-name"]').setValue('a912');
    await view.find('[data-testid="dht-store"]').trigger('click');
    expect(view.find('[data-testid="dht-file-problem"]').text()).toContain('exactly four digits');
    expect(client.calls.storeDhtFile).not.toHaveBeenCalled();
    expect(fileNameProblem('32134')).toMatch(/not a file name/);
    expect(fileNameProblem('0000')).toBeUndefined();
    await view.find('[data-testid="dht-file-name"]').setValue('2067');
    await view.find('[data-testid="dht-store"]').trigger('click');
    await flushPromises();
    expect(client.calls.storeDhtFile).toHaveBeenCalledWith(idOf(2), '2067');
    view.unmount();
  });

  test('a Store from the window animates its route one hop at a time from the console events, then shows the hop count', async () => {
    await dhtCluster();
    vi.useFakeTimers();
    const dht = useDhtStore();
    const stream = useStreamStore();
    await dht.lookupFile('store', idOf(8), '2067');
    expect(dht.lookup).toMatchObject({ operation: 'store', file: '2067', origin: 8, route: [8], done: false });
    client.emit({ entries: [entry(consoleEvent(8, 'Store 2067 request forwarded to my successor', { operation: 'store', file: '2067', route: [8], hops: 0 }))] });
    client.emit({ entries: [entry(consoleEvent(14, 'Store 2067 request forwarded to my successor', { operation: 'store', file: '2067', route: [8, 14], hops: 1 }))] });
    client.emit({ entries: [entry(consoleEvent(19, 'Store 2067 request accepted', { operation: 'store', file: '2067', route: [8, 14, 19], hops: 2 }))] });
    stream.flush();
    expect(dht.lookup?.route).toEqual([8, 14, 19]);
    expect(dht.lookup?.done).toBe(true);
    // All three lines arrived in one batch; the drawing still goes one hop at a time.
    expect(dht.step).toBe(0);
    expect(dht.animating).toBe(true);
    vi.advanceTimersByTime(DHT_HOP_MS);
    expect(dht.step).toBe(1);
    vi.advanceTimersByTime(DHT_HOP_MS);
    expect(dht.step).toBe(2);
    expect(dht.animating).toBe(false);
    vi.advanceTimersByTime(10 * DHT_HOP_MS);
    expect(dht.step).toBe(2);
  });

  test('the route panel shows the hops drawn so far and, when done, the hop count', async () => {
    await dhtCluster();
    const view = mount(DhtRingView);
    await flushPromises();
    vi.useFakeTimers();
    const dht = useDhtStore();
    dht.observeLookup('Store 2067 request accepted', { operation: 'store', file: '2067', route: [8, 14, 19] });
    await flushPromises();
    expect(view.findAll('[data-testid="dht-route-hop"]')).toHaveLength(0);
    vi.advanceTimersByTime(DHT_HOP_MS);
    await flushPromises();
    expect(view.findAll('[data-testid="dht-route-hop"]')).toHaveLength(1);
    expect(view.find('[data-testid="dht-route"]').attributes('data-done')).toBe('false');
    vi.advanceTimersByTime(DHT_HOP_MS);
    await flushPromises();
    expect(view.findAll('[data-testid="dht-route-hop"]')).toHaveLength(2);
    expect(view.find('[data-testid="dht-route"]').text()).toMatch(/8 → 14 → 19\s*— 2 hops, stored at Peer 19/);
    view.unmount();
  });

  test('a peer that left shows as gone, not as a live peer', async () => {
    const left = peers.map((peer) => (peer.identity === 9 ? { ...peer, state: 'left' as const } : peer));
    client.calls.session.mockResolvedValue({ ...fakeSession(left), kind: 'dht' });
    client.calls.dhtRing.mockResolvedValue(RING.filter((identity) => identity !== 9).map((identity) => inspection(identity, RING.filter((other) => other !== 9))));
    await dhtCluster();
    const view = mount(DhtRingView);
    await flushPromises();
    expect(view.find('[data-gone="9"]').text()).toContain('9 (left)');
    expect(view.find('[data-identity="9"]').exists()).toBe(false);
    expect(view.findAll('[data-arrow="first"]').map((path) => `${path.attributes('data-from')}>${path.attributes('data-to')}`)).toContain('8>14');
    view.unmount();
  });
});

describe('a DHT cluster and the key-value stores', () => {
  test('membership views, stores and faults are not read on a DHT cluster, and no error notice shows', async () => {
    await dhtCluster();
    const membership = useMembershipStore();
    await membership.refresh();
    await useReplicasStore().refresh();
    const faults = useFaultsStore();
    await faults.refresh();
    expect(await faults.apply({ ...faults.plan }, 'Setting faults')).toBe(false);
    expect(client.calls.views).not.toHaveBeenCalled();
    expect(client.calls.inspectPeer).not.toHaveBeenCalled();
    expect(client.calls.setFaults).not.toHaveBeenCalled();
    expect(useNotificationsStore().notices.filter((notice) => notice.level === 'error')).toEqual([]);
  });

  test('the log names a DHT peer by its identity and puts console lines in their own group', async () => {
    await dhtCluster();
    const journal = useJournalStore();
    expect(journal.peerLabel(idOf(8))).toBe('Peer 8');
    expect(kindGroup('console')).toBe('console');
    expect(kindGroup('log')).toBe('log');
  });

  test('choosing the circular DHT makes 7 peers the default (the reference ring) and the start sends the kind and interval', async () => {
    client.calls.session.mockResolvedValue(fakeSession([]));
    client.calls.startCluster.mockResolvedValue([]);
    const cluster = await dhtCluster();
    expect(cluster.peerCount).toBe(5);
    cluster.settings = { ...cluster.settings, kind: 'dht', pingIntervalSeconds: 1 };
    await flushPromises();
    expect(cluster.peerCount).toBe(7);
    await cluster.startCluster();
    expect(client.calls.startCluster).toHaveBeenCalledWith(7, expect.objectContaining({ kind: 'dht', pingIntervalSeconds: 1, fingers: false }));
  });
});
