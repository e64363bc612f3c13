// @vitest-environment jsdom
import { beforeEach, expect, test, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import StatusBar from '../../src/renderer/src/components/StatusBar.vue';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useStreamStore, type FrameBatch } from '../../src/renderer/src/stores/stream.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useNotificationsStore } from '../../src/renderer/src/stores/notifications.ts';
import { useMembershipStore, disagreeingSubjects } from '../../src/renderer/src/stores/membership.ts';
import { createFakeClient, entry, fakePeer, fakeSession, type FakeClient } from './support/fake-client.ts';

let client: FakeClient;
beforeEach(() => {
  setActivePinia(createPinia());
  client = createFakeClient();
  setClusterClient(client);
});

test('batches that arrive within one frame reach consumers together, once', () => {
  const frames: (() => void)[] = [];
  vi.stubGlobal('requestAnimationFrame', (callback: () => void) => frames.push(callback));
  const stream = useStreamStore();
  const seen: FrameBatch[] = [];
  stream.consume((batch) => seen.push(batch));
  stream.start();
  client.emit({ entries: [entry({ kind: 'log', tick: 1, peer: 'a', text: 'one' })] });
  client.emit({ entries: [entry({ kind: 'log', tick: 2, peer: 'a', text: 'two' })], peers: [fakePeer(1)] });
  expect(seen).toHaveLength(0);
  expect(frames).toHaveLength(1);
  frames[0]!();
  expect(seen).toHaveLength(1);
  expect(seen[0]!.entries.map((item) => (item.event.kind === 'log' ? item.event.text : ''))).toEqual(['one', 'two']);
  expect(seen[0]!.peers?.[0]?.number).toBe(1);
  expect(stream.received).toBe(2);
  vi.unstubAllGlobals();
});

test('the delay from peer to screen is measured on each frame', () => {
  const stream = useStreamStore();
  stream.start();
  client.emit({ entries: [entry({ kind: 'log', tick: 1, peer: 'a', text: 'late' }, Date.now() - 400)] });
  stream.flush();
  expect(stream.delaysMs.at(-1)).toBeGreaterThanOrEqual(400);
  expect(stream.delaysMs.at(-1)).toBeLessThan(5000);
});

test('entries the window never got are counted: those the server dropped, and a gap while it was away; a journal that begins again is no gap', async () => {
  const stream = useStreamStore();
  stream.start();
  const at = (seq: number) => ({ seq, at: Date.now(), event: { kind: 'log' as const, tick: 1, peer: 'a', text: `entry ${seq}` } });
  const bar = mount(StatusBar);
  client.emit({ entries: [at(100), at(101)] });
  stream.flush();
  await flushPromises();
  expect(stream.missedTotal).toBe(0);
  expect(bar.find('[data-testid="status-missed"]').exists()).toBe(false);
  // The server dropped 102-104 (the oldest before this batch), and says so.
  client.emit({ entries: [at(105), at(106)], dropped: 3 });
  // Dropped with nothing after them yet: the next batch starts right after.
  client.emit({ entries: [], dropped: 2 });
  client.emit({ entries: [at(109)] });
  stream.flush();
  expect(stream.missedTotal).toBe(5);
  // A reconnection: 110-119 came while the window was away.
  client.emit({ entries: [at(120), at(121)], peers: [fakePeer(1)] });
  stream.flush();
  expect(stream.missedTotal).toBe(15);
  // A new journal behind the same address starts again from 0: nothing was missed.
  client.emit({ entries: [at(0), at(1)] });
  stream.flush();
  expect(stream.missedTotal).toBe(15);
  expect(stream.received).toBe(9);
  await flushPromises();
  expect(bar.find('[data-testid="status-missed"]').text()).toBe('the event stream fell behind: 15 events missed');
});

test('Start asks for the chosen count with the chosen settings, and an error becomes a notice', async () => {
  const cluster = useClusterStore();
  cluster.peerCount = 7;
  cluster.settings = { protocol: 'gossip', tickMs: 200 };
  client.calls.startCluster.mockResolvedValueOnce([fakePeer(1)]);
  await cluster.startCluster();
  expect(client.calls.startCluster).toHaveBeenCalledWith(7, { protocol: 'gossip', tickMs: 200 });

  client.calls.killPeer.mockRejectedValueOnce(new Error('no peer 127.0.0.1:9'));
  await cluster.killPeer('127.0.0.1:9');
  const notices = useNotificationsStore().notices;
  expect(notices.at(-1)).toMatchObject({ level: 'error', text: 'Killing 127.0.0.1:9: no peer 127.0.0.1:9' });
  expect(cluster.busy.size).toBe(0);
});

test('a start with a count or tick out of range says so plainly, and asks the cluster nothing', async () => {
  const cluster = useClusterStore();
  cluster.peerCount = 100;
  expect(await cluster.startCluster()).toBeUndefined();
  expect(useNotificationsStore().notices.at(-1)).toMatchObject({ level: 'error', text: 'Not started: start 1 to 64 peers at once' });
  cluster.peerCount = 5;
  cluster.settings = { protocol: 'swim', tickMs: 5 };
  expect(cluster.tickProblem).toBeDefined();
  await cluster.startCluster();
  expect(useNotificationsStore().notices.at(-1)?.text).toBe('Not started: a tick is a whole number of ms from 10 to 10,000');
  expect(client.calls.startCluster).not.toHaveBeenCalled();
  cluster.settings = { protocol: 'swim', tickMs: 10 };
  expect(cluster.tickProblem).toBeUndefined();
  await cluster.startCluster();
  expect(client.calls.startCluster).toHaveBeenCalledWith(5, { protocol: 'swim', tickMs: 10 });
});

test('peer summaries in the stream replace the list; a live cluster keeps its settings', async () => {
  client.calls.session.mockResolvedValue(fakeSession([fakePeer(1), fakePeer(2, 'paused')]));
  const cluster = useClusterStore();
  cluster.connect();
  await vi.waitFor(() => expect(cluster.peers).toHaveLength(2));
  expect(cluster.livePeers).toHaveLength(2);
  expect(cluster.runningPeers).toHaveLength(1);
  client.emit({ peers: [fakePeer(1), fakePeer(2, 'killed'), fakePeer(3, 'starting')] });
  useStreamStore().flush();
  expect(cluster.peers.map((peer) => peer.state)).toEqual(['running', 'killed', 'starting']);
  cluster.disconnect();
});

test('settings typed for the next start stay as typed while the session is read again; a running cluster shows its own', async () => {
  client.calls.session.mockResolvedValue(fakeSession());
  const cluster = useClusterStore();
  cluster.connect();
  await vi.waitFor(() => expect(cluster.session).toBeDefined());
  cluster.settings = { protocol: 'gossip', tickMs: 200 };
  await cluster.refreshSession();
  expect(cluster.settings).toEqual({ protocol: 'gossip', tickMs: 200 });
  // A cluster started elsewhere (the command line, another window) with other settings.
  client.calls.session.mockResolvedValue({ ...fakeSession([fakePeer(1)]), protocol: 'swim', tickMs: 300 });
  await cluster.refreshSession();
  expect(cluster.settings).toEqual({ protocol: 'swim', tickMs: 300, kind: 'kv', pingIntervalSeconds: 5, fingers: false, quorum: 'strict' });
  // Its quorum mode too.
  client.calls.session.mockResolvedValue({ ...fakeSession([fakePeer(1)]), quorum: 'sloppy' });
  await cluster.refreshSession();
  expect(cluster.settings.quorum).toBe('sloppy');
  cluster.disconnect();
});

test('a peer others declare dead shows as failed, one suspected as suspect, the rest alive', async () => {
  const [a, b, c] = [fakePeer(1), fakePeer(2), fakePeer(3)];
  client.calls.session.mockResolvedValue(fakeSession([a, b, c]));
  const view = (states: Record<string, 'alive' | 'suspect' | 'dead'>) => Object.entries(states).map(([id, state]) => ({ id, state, sinceTick: 0 }));
  client.calls.views.mockResolvedValue({
    [a.id]: view({ [a.id]: 'alive', [b.id]: 'suspect', [c.id]: 'alive' }),
    [b.id]: view({ [a.id]: 'alive', [b.id]: 'alive', [c.id]: 'dead' }),
    [c.id]: view({ [a.id]: 'alive', [b.id]: 'alive', [c.id]: 'alive' }),
  });
  const cluster = useClusterStore();
  cluster.connect();
  await vi.waitFor(() => expect(cluster.peers).toHaveLength(3));
  const membership = useMembershipStore();
  await membership.refresh();
  expect(membership.displayStates.get(a.id)).toBe('alive');
  expect(membership.displayStates.get(b.id)).toBe('suspect');
  expect(membership.displayStates.get(c.id)).toBe('failed');
  expect(membership.disagreeing).toEqual([b.id, c.id]);
  expect(membership.agreement.at(-1)).toMatchObject({ observers: 3, disagreeing: 2 });
  cluster.disconnect();
});

test('an observer that has not heard of a subject yet disagrees with one that has', () => {
  // b: a lists it alive, c does not know it. a: neither b nor c knows it, so they agree.
  expect(disagreeingSubjects({ a: [{ id: 'a', state: 'alive', sinceTick: 0 }, { id: 'b', state: 'alive', sinceTick: 0 }], b: [{ id: 'b', state: 'alive', sinceTick: 0 }], c: [] })).toEqual(['b']);
});

test('inside Electron, the bridge gets plain copies of reactive arguments', async () => {
  const { reactive } = await import('vue');
  const { createClusterClient } = await import('../../src/renderer/src/api/client.ts');
  const received: unknown[][] = [];
  const bridge = Object.fromEntries(
    ['session', 'peers', 'startCluster', 'stopCluster', 'addPeer', 'stopPeer', 'killPeer', 'pausePeer', 'resumePeer', 'restartPeer', 'attachPeer', 'inspectPeer', 'views', 'setFaults', 'getFaults', 'runKv', 'journalEntries'].map((name) => [
      name,
      async (...args: unknown[]) => {
        // Electron's structured clone refuses proxies: so does this fake.
        for (const arg of args) structuredClone(arg);
        received.push(args);
      },
    ]),
  );
  window.ringside = { ...bridge, exportJournal: async () => ({ cancelled: true }), onEvents: () => () => undefined } as never;
  try {
    const electron = createClusterClient();
    expect(electron.transport).toBe('electron');
    const settings = reactive({ protocol: 'gossip' as const, tickMs: 50 });
    await electron.startCluster(3, settings);
    expect(received[0]).toEqual([3, { protocol: 'gossip', tickMs: 50 }]);
  } finally {
    delete window.ringside;
  }
});
