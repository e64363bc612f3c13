// @vitest-environment jsdom
/**
 * The circular DHT in the window with a fake client: arrows drawn from `dhtRing()` (every first
 * successor; the selected or hovered peer's other links, everyone's on demand), both drawings
 * readable, the route of a lookup animated hop by hop from the console events' `lookup` with its
 * result shown only once the animation reaches the last peer (at once with animations off or
 * reduced motion), file names checked before anything is sent, and the key-value stores left
 * alone on a DHT cluster.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { nextTick } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { DHT_HOP_MS, DHT_STALL_MS, fileNameProblem, useDhtStore } from '../../src/renderer/src/stores/dht.ts';
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
  vi.unstubAllGlobals();
});

async function dhtCluster(): Promise<ReturnType<typeof useClusterStore>> {
  const cluster = useClusterStore();
  cluster.connect();
  await flushPromises();
  cluster.disconnect();
  return cluster;
}

describe('the circular DHT ring view', () => {
  test("draws every first successor, the selected or hovered peer's other links, and everyone's on demand, from dhtRing(), and the files held", async () => {
    const cluster = await dhtCluster();
    expect(cluster.isDht).toBe(true);
    const view = mount(DhtRingView);
    await flushPromises();
    const arrows = (kind: string): string[] => view.findAll(`[data-arrow="${kind}"]`).map((path) => `${path.attributes('data-from')}>${path.attributes('data-to')}`);
    expect(arrows('first')).toEqual(['2>4', '4>5', '5>8', '8>9', '9>14', '14>19', '19>2']);
    // Not a tangle: only the selected peer's (2) second successor and predecessors.
    expect(arrows('second')).toEqual(['2>5']);
    expect(arrows('predecessor')).toEqual(['2>19', '2>14']);
    // Hovering a peer shows its own instead.
    await view.find('[data-identity="9"]').trigger('mouseenter');
    expect(arrows('second')).toEqual(['9>19']);
    expect(arrows('predecessor')).toEqual(['9>8', '9>5']);
    await view.find('[data-identity="9"]').trigger('mouseleave');
    expect(arrows('second')).toEqual(['2>5']);
    await view.find('[data-testid="dht-all-links"]').setValue(true);
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

/** The lines a Store 2067 at 8 prints on 8, 14 and 19, with their lookups, as one batch. */
function storeLines(): void {
  client.emit({
    entries: [
      entry(consoleEvent(8, 'Store 2067 request forwarded to my successor', { operation: 'store', file: '2067', route: [8], hops: 0 })),
      entry(consoleEvent(14, 'Store 2067 request forwarded to my successor', { operation: 'store', file: '2067', route: [8, 14], hops: 1 })),
      entry(consoleEvent(19, 'Store 2067 request accepted', { operation: 'store', file: '2067', route: [8, 14, 19], hops: 2 })),
    ],
  });
  useStreamStore().flush();
}

/** What the window tells of the lookup's result: the badge on the circle, the route panel's end, the stored file's chip at 19. */
function result(view: VueWrapper): { badge?: string; done: boolean; chipAt19: boolean } {
  const badge = view.find('[data-testid="dht-result-badge"]');
  return {
    ...(badge.exists() ? { badge: `${badge.text()} @${badge.attributes('data-at')}` } : {}),
    done: view.find('[data-testid="dht-route-done"]').exists(),
    chipAt19: view.find('[data-testid="dht-file"][data-holder="19"][data-file="2067"]').exists(),
  };
}

describe('the result of a Store or Request shows when the route animation reaches the last peer', () => {
  beforeEach(() => {
    // No one holds 2067 before the Store: the peers report it once 19 has it.
    client.calls.dhtRing.mockResolvedValue(RING.map((identity) => inspection(identity, RING)));
  });

  test('a Store whose lines all arrive at once: no badge, no hop count and no file at 19 until the drawing gets to 19', async () => {
    await dhtCluster();
    const view = mount(DhtRingView);
    await flushPromises();
    vi.useFakeTimers();
    const dht = useDhtStore();
    await dht.lookupFile('store', idOf(8), '2067');
    // 19 reports the file (its inspection is read soon after the console lines) before the route is drawn.
    client.calls.dhtRing.mockResolvedValue(RING.map((identity) => inspection(identity, RING, identity === 19 ? ['2067'] : [])));
    storeLines();
    await dht.refresh();
    await flushPromises();
    expect(dht.lookup?.done).toBe(true);
    expect(dht.ring.find((peer) => peer.identity === 19)?.files).toEqual(['2067']);
    expect(result(view)).toEqual({ done: false, chipAt19: false });
    vi.advanceTimersByTime(DHT_HOP_MS);
    await flushPromises();
    expect(view.findAll('[data-testid="dht-route-hop"]')).toHaveLength(1);
    expect(result(view)).toEqual({ done: false, chipAt19: false });
    vi.advanceTimersByTime(DHT_HOP_MS - 1);
    await flushPromises();
    expect(result(view)).toEqual({ done: false, chipAt19: false });
    vi.advanceTimersByTime(1);
    await flushPromises();
    expect(result(view)).toEqual({ badge: 'stored 2067 @19', done: true, chipAt19: true });
    expect(view.find('[data-testid="dht-route"]').text()).toMatch(/8 → 14 → 19\s*— 2 hops, stored at Peer 19/);
    view.unmount();
  });

  test("a Request: the requester's received copy and the 'found' badge wait for the route to reach the holder", async () => {
    await dhtCluster();
    const view = mount(DhtRingView);
    await flushPromises();
    expect(view.find('[data-testid="dht-peer-panel"]').attributes('data-identity')).toBe('2');
    vi.useFakeTimers();
    const dht = useDhtStore();
    await dht.lookupFile('request', idOf(2), '4103');
    const copy = { name: 'received_4103.pdf', bytes: 17 };
    client.calls.dhtRing.mockResolvedValue(RING.map((identity) => (identity === 2 ? { ...inspection(2, RING), folder: { path: '/tmp/peer-2', entries: [copy], total: 1 } } : inspection(identity, RING))));
    const request = (identity: number, text: string, route: number[]) => entry(consoleEvent(identity, text, { operation: 'request', file: '4103', route, hops: route.length - 1 }));
    client.emit({
      entries: [
        request(2, 'File request for 4103 has been sent to my successor', [2]),
        request(4, 'Request for File 4103 has been received, but the file is not stored here', [2, 4]),
        request(5, 'Request for File 4103 has been received, but the file is not stored here', [2, 4, 5]),
        request(8, 'File 4103 is stored here', [2, 4, 5, 8]),
      ],
    });
    useStreamStore().flush();
    await dht.refresh();
    await flushPromises();
    const received = () => view.find('[data-testid="dht-folder-entry"][data-name="received_4103.pdf"]').exists();
    for (let hop = 0; hop < 3; hop++) {
      expect(received(), `after ${hop} hops`).toBe(false);
      expect(view.find('[data-testid="dht-result-badge"]').exists()).toBe(false);
      vi.advanceTimersByTime(DHT_HOP_MS);
      await flushPromises();
    }
    expect(received()).toBe(true);
    expect(view.find('[data-testid="dht-result-badge"]').text()).toBe('found 4103');
    expect(view.find('[data-testid="dht-route-done"]').text()).toMatch(/3 hops, found at Peer 8/);
    view.unmount();
  });

  test('with animations off the route is drawn whole and its result shows at once; turned off mid-route, it jumps to the end', async () => {
    await dhtCluster();
    const view = mount(DhtRingView);
    await flushPromises();
    vi.useFakeTimers();
    const dht = useDhtStore();
    expect(dht.animate).toBe(true);
    await dht.lookupFile('store', idOf(8), '2067');
    storeLines();
    await flushPromises();
    expect(result(view).done).toBe(false);
    await view.find('[data-testid="dht-animate"]').setValue(false);
    await flushPromises();
    expect(dht.step).toBe(2);
    expect(result(view)).toMatchObject({ badge: 'stored 2067 @19', done: true });
    expect(view.findAll('[data-testid="dht-route-hop"]')).toHaveLength(2);

    // The next one is whole from the start, no timer needed.
    await dht.lookupFile('store', idOf(2), '0009');
    client.emit({ entries: [entry(consoleEvent(4, 'Store 0009 request accepted', { operation: 'store', file: '0009', route: [2, 4, 5, 8, 9], hops: 4 }))] });
    useStreamStore().flush();
    await flushPromises();
    expect(dht.step).toBe(4);
    expect(view.find('[data-testid="dht-result-badge"]').text()).toBe('stored 0009');
    view.unmount();
  });

  test('a lookup that goes quiet before it is done, or is never sent, holds nothing back', async () => {
    await dhtCluster();
    const view = mount(DhtRingView);
    await flushPromises();
    vi.useFakeTimers();
    const dht = useDhtStore();
    await dht.lookupFile('store', idOf(8), '2067');
    client.emit({ entries: [entry(consoleEvent(8, 'Store 2067 request forwarded to my successor', { operation: 'store', file: '2067', route: [8], hops: 0 }))] });
    useStreamStore().flush();
    client.calls.dhtRing.mockResolvedValue(RING.map((identity) => inspection(identity, RING, identity === 19 ? ['2067'] : [])));
    await dht.refresh();
    await flushPromises();
    expect(result(view).chipAt19).toBe(false);
    vi.advanceTimersByTime(DHT_STALL_MS - 1);
    await flushPromises();
    expect(result(view).chipAt19).toBe(false);
    vi.advanceTimersByTime(1);
    await flushPromises();
    expect(result(view)).toEqual({ done: false, chipAt19: true });

    // A Store the backend refuses: no route is coming.
    client.calls.dhtRing.mockResolvedValue(RING.map((identity) => inspection(identity, RING, identity === 14 ? ['0013'] : [])));
    client.calls.storeDhtFile.mockRejectedValueOnce(new Error('peer 2 is leaving: nothing was typed'));
    await dht.lookupFile('store', idOf(2), '0013');
    await dht.refresh();
    await flushPromises();
    expect(view.find('[data-testid="dht-file"][data-holder="14"][data-file="0013"]').exists()).toBe(true);
    view.unmount();
  });

  test('when the system asks for reduced motion, routes are not animated', async () => {
    vi.stubGlobal('matchMedia', (query: string) => ({ matches: query === '(prefers-reduced-motion: reduce)', media: query, addEventListener: () => undefined, removeEventListener: () => undefined }));
    await dhtCluster();
    const view = mount(DhtRingView);
    await flushPromises();
    const dht = useDhtStore();
    expect(dht.animate).toBe(false);
    expect((view.find('[data-testid="dht-animate"]').element as HTMLInputElement).checked).toBe(false);
    await dht.lookupFile('store', idOf(8), '2067');
    storeLines();
    await nextTick();
    expect(dht.step).toBe(2);
    expect(result(view)).toEqual({ badge: 'stored 2067 @19', done: true, chipAt19: false });
    // The chip comes with 19's next inspection, at once.
    client.calls.dhtRing.mockResolvedValue(RING.map((identity) => inspection(identity, RING, identity === 19 ? ['2067'] : [])));
    await dht.refresh();
    await flushPromises();
    expect(result(view).chipAt19).toBe(true);
    view.unmount();
  });
});

describe('both drawings are readable', () => {
  const centres = (view: VueWrapper): Map<number, { x: number; y: number }> =>
    new Map(
      view.findAll('g.peer').map((peer) => {
        const node = peer.find('circle.node');
        return [Number(peer.attributes('data-identity')), { x: Number(node.attributes('cx')), y: Number(node.attributes('cy')) }];
      }),
    );
  const closest = (points: Map<number, { x: number; y: number }>): number => {
    const list = [...points.values()];
    let best = Infinity;
    for (let a = 0; a < list.length; a++) for (let b = a + 1; b < list.length; b++) best = Math.min(best, Math.hypot((list[a] as { x: number }).x - (list[b] as { x: number }).x, (list[a] as { y: number }).y - (list[b] as { y: number }).y));
    return best;
  };

  test('to scale, each peer is a mark at its identity and the labels of 2, 4, 5, 8, 9, 14, 19 do not touch', async () => {
    await dhtCluster();
    const view = mount(DhtRingView);
    await flushPromises();
    expect(view.find('[data-testid="dht-circle"]').attributes('data-drawing')).toBe('spread');
    expect(closest(centres(view))).toBeGreaterThan(100);
    await view.find('[data-testid="dht-to-scale"]').setValue(true);
    expect(view.find('[data-testid="dht-circle"]').attributes('data-drawing')).toBe('to-scale');
    const labels = centres(view);
    expect([...labels.keys()]).toEqual(RING);
    // Label circles have a radius of 13: apart by more than two radii.
    expect(closest(labels)).toBeGreaterThan(2 * 13 + 4);
    // Each mark sits on the circle at identity / 256 of a turn from the top, clockwise.
    for (const peer of view.findAll('g.peer')) {
      const identity = Number(peer.attributes('data-identity'));
      const mark = peer.find('circle.mark');
      const dx = Number(mark.attributes('cx')) - 330;
      const dy = Number(mark.attributes('cy')) - 330;
      const turn = (Math.atan2(dy, dx) + Math.PI / 2) / (2 * Math.PI);
      expect(turn - Math.floor(turn)).toBeCloseTo(identity / 256, 6);
    }
    // The first successors follow the circle; 19 → 2 goes the long way round, the gap 2 owns.
    const wrap = view.find('[data-arrow="first"][data-from="19"]').attributes('d') ?? '';
    expect(wrap).toMatch(/ A [\d.]+ [\d.]+ 0 1 1 /);
    view.unmount();
  });

  test("the panel says where each file held is: 4103.pdf in 8's folder; a file held away from where it belongs is marked", async () => {
    client.calls.dhtRing.mockResolvedValue(
      RING.map((identity) => {
        if (identity === 8) return { ...inspection(8, RING, ['2067', '4103']), folder: { path: '/tmp/peer-8', entries: [{ name: '4103.pdf', bytes: 17 }], total: 1 } };
        return inspection(identity, RING);
      }),
    );
    await dhtCluster();
    const view = mount(DhtRingView);
    await flushPromises();
    useDhtStore().selected = idOf(8);
    await flushPromises();
    const files = view.find('[data-testid="dht-files"]').text().replace(/\s+/g, ' ');
    expect(files).toBe('2067 (name stored, no file in the folder; belongs at Peer 19), 4103 (4103.pdf in the folder)');
    expect(view.find('[data-testid="dht-file"][data-holder="8"][data-file="2067"]').classes()).toContain('elsewhere');
    expect(view.find('[data-testid="dht-file"][data-holder="8"][data-file="4103"]').classes()).not.toContain('elsewhere');
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
