// @vitest-environment jsdom
import { beforeEach, describe, expect, test } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { HISTORY_STORAGE_KEY, useKeysStore, summarizeLatencies } from '../../src/renderer/src/stores/keys.ts';
import { useMembershipStore } from '../../src/renderer/src/stores/membership.ts';
import { useRingStore } from '../../src/renderer/src/stores/ring.ts';
import KeysView from '../../src/renderer/src/views/KeysView.vue';
import type { KvRequest } from '../../src/shared/api/bridge.ts';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import type { KvResultWire } from '../../src/shared/protocol/control.ts';
import { Ring } from '../../src/shared/ring/ring.ts';
import { createFakeClient, entry, fakePeer, fakeSession, type FakeClient } from './support/fake-client.ts';
import { useStreamStore } from '../../src/renderer/src/stores/stream.ts';
import { everyoneHolds, everyoneSees } from './support/kv-fixtures.ts';

const peers = [1, 2, 3, 4, 5].map((number) => fakePeer(number));
const ids = peers.map((peer) => peer.id);
const ring = new Ring(KV_DEFAULTS.ring, ids);

function result(request: KvRequest, fields: Partial<KvResultWire> = {}): KvResultWire {
  const [primary, secondary, tertiary] = ring.preferenceList(request.key) as [string, string, string];
  return {
    type: 'kv.result',
    transaction: 7,
    op: request.op,
    key: request.key,
    ok: true,
    version: { tick: 17_952_725_808, counter: 2, peer: primary },
    latencyTicks: 1,
    replicas: [
      { peer: primary, ok: true, role: 'home', place: 0 },
      { peer: secondary, ok: false, role: 'home', place: 1 },
      { peer: tertiary, role: 'home', place: 2 },
    ],
    ...fields,
  };
}

let client: FakeClient;
beforeEach(() => {
  sessionStorage.clear();
  setActivePinia(createPinia());
  client = createFakeClient({ views: () => everyoneSees(ids), ringStates: () => everyoneHolds(ids), runKv: (request: KvRequest) => result(request) });
  setClusterClient(client);
});

function runningCluster(): void {
  useClusterStore().session = fakeSession(peers);
  useClusterStore().peers = peers;
  useMembershipStore().views = everyoneSees(ids);
  // The window's ring is the peers' ring state.
  useRingStore().states = everyoneHolds(ids);
}

describe('the keys console', () => {
  test('says what to do when no peer runs', () => {
    const wrapper = mount(KeysView);
    expect(wrapper.find('[data-testid="keys-empty"]').text()).toContain('Start peers on the Cluster view');
    expect(wrapper.find('[data-testid="kv-run"]').attributes('disabled')).toBeDefined();
  });

  test("runs an operation through the chosen coordinator and shows each replica's reply", async () => {
    runningCluster();
    const wrapper = mount(KeysView);
    await wrapper.find('[data-testid="kv-coordinator"]').setValue(ids[1]);
    await wrapper.find('[data-op="put"]').trigger('click');
    await wrapper.find('[data-testid="kv-key"]').setValue('user:42');
    await wrapper.find('[data-testid="kv-value"]').setValue('hello');
    await wrapper.find('[data-testid="kv-console"]').trigger('submit');
    await flushPromises();

    expect(client.calls.runKv).toHaveBeenCalledWith({ op: 'put', key: 'user:42', value: 'hello', via: ids[1] });
    expect(wrapper.find('[data-testid="kv-outcome"]').text()).toBe('OK');
    const replies = wrapper.findAll('[data-testid="kv-reply"]');
    const owners = ring.preferenceList('user:42');
    expect(replies.map((reply) => reply.attributes('data-peer'))).toEqual(owners);
    expect(replies.map((reply) => reply.attributes('data-reply'))).toEqual(['ok', 'refused', 'none']);
    expect(replies.map((reply) => reply.find('.role').text())).toEqual(['PRIMARY', 'SECONDARY', 'TERTIARY']);
    expect(replies[2]!.text()).toContain('no reply before the decision');
    expect(wrapper.find('[data-testid="kv-result"]').text()).toContain('W = 2 of N = 3: 1 succeeded, 1 refused, 1 not heard before the decision');
    expect(wrapper.find('[data-testid="kv-version"]').text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3}·2 by #\d$/);
    expect(wrapper.find('[data-testid="kv-latency"]').text()).toMatch(/\d+\.\d ms round trip from this window · 1 tick \(under 200 ms\) at the coordinator/);
    // The history has it, and the ring knows the key.
    expect(wrapper.findAll('[data-testid="kv-history-row"]')).toHaveLength(1);
    useRingStore().publishKeys();
    expect(useRingStore().keys).toEqual(['user:42']);
  });

  test('round robin leaves the coordinator to the cluster; a failed quorum says why', async () => {
    runningCluster();
    client.calls.runKv.mockImplementation(async (request: KvRequest) => result(request, { ok: false, reason: 'no-quorum', version: undefined, replicas: [] }));
    const keys = useKeysStore();
    const operation = await keys.run('read', 'nobody');
    expect(client.calls.runKv).toHaveBeenCalledWith({ op: 'read', key: 'nobody', value: undefined, via: undefined });
    expect(operation?.result?.reason).toBe('no-quorum');
    expect(operation?.coordinator).toBeUndefined();
    const wrapper = mount(KeysView);
    await nextTick();
    expect(wrapper.find('[data-testid="kv-outcome"]').text()).toBe('NO-QUORUM');
    expect(wrapper.find('[data-testid="kv-result"]').text()).toContain("too few of the key's owners are reachable for a quorum");
  });

  test('a read on a sloppy cluster says it may be stale during a partition; on a strict one, and for writes, the text is as before', async () => {
    runningCluster();
    const keys = useKeysStore();
    await keys.run('read', 'user:1');
    const wrapper = mount(KeysView);
    await nextTick();
    const strictText = wrapper.find('[data-testid="kv-result"]').text();
    expect(wrapper.find('[data-testid="kv-sloppy-note"]').exists()).toBe(false);
    expect(strictText).toContain('the newest version among the replies. R = 2 of N = 3');
    useClusterStore().session = { ...fakeSession(peers), quorum: 'sloppy' };
    await nextTick();
    expect(wrapper.find('[data-testid="kv-sloppy-note"]').text()).toMatch(/^Sloppy quorum: this read may be stale during a partition\./);
    await keys.run('put', 'user:1', 'x');
    await nextTick();
    expect(wrapper.find('[data-testid="kv-sloppy-note"]').exists()).toBe(false);
    // A failed read on a sloppy cluster still says what sloppy reads cannot promise, after why it failed.
    client.calls.runKv.mockImplementation(async (request: KvRequest) => result(request, { ok: false, reason: 'timeout', version: undefined, replicas: [] }));
    await keys.run('read', 'user:1');
    await nextTick();
    expect(wrapper.find('[data-testid="kv-result"]').text()).toContain('no quorum before the reply timeout: a write may still take effect on the replicas it reached');
    expect(wrapper.find('[data-testid="kv-sloppy-note"]').exists()).toBe(true);
  });

  test('names the coordinator a round-robin call went to, and its own latency, from the journal', async () => {
    runningCluster();
    const stream = useStreamStore();
    stream.start();
    const keys = useKeysStore();
    const operation = await keys.run('put', 'user:7', 'x');
    expect(operation?.coordinator).toBeUndefined();
    client.emit({
      entries: [
        // Another peer's transaction 7 on another key is not this one.
        entry({ kind: 'kv.result', tick: 1, peer: ids[0]!, transaction: 7, op: 'put', key: 'other', ok: true, latencyTicks: 0, latencyMs: 9, replicas: [] }),
        entry({ kind: 'kv.result', tick: 1, peer: ids[3]!, transaction: 7, op: 'put', key: 'user:7', ok: true, latencyTicks: 1, latencyMs: 1.25, replicas: [] }),
      ],
    });
    stream.flush();
    expect(keys.history[0]).toMatchObject({ coordinator: ids[3], coordinatorLatencyMs: 1.25 });
    const wrapper = mount(KeysView);
    await nextTick();
    expect(wrapper.find('[data-testid="kv-coordinator-used"]').text()).toMatch(/^#4 127\.0\.0\.1:4004\s+\(round robin\)$/);
    expect(wrapper.find('[data-testid="kv-latency"]').text()).toMatch(/round trip from this window · 1\.3 ms, 1 tick at the coordinator/);

    // The entry may come first: the reply then finds it.
    client.emit({ entries: [entry({ kind: 'kv.result', tick: 1, peer: ids[1]!, transaction: 7, op: 'read', key: 'user:7', ok: true, latencyTicks: 0, latencyMs: 0.5, replicas: [] })] });
    stream.flush();
    expect((await keys.run('read', 'user:7'))?.coordinator).toBe(ids[1]);
  });

  test('a refused create says the value was sent, not written; a read of an absent key says which replicas hold no live copy', async () => {
    runningCluster();
    const wrapper = mount(KeysView);
    client.calls.runKv.mockImplementation(async (request: KvRequest) => result(request, { ok: false, reason: 'exists', version: undefined }));
    await wrapper.find('[data-op="create"]').trigger('click');
    await wrapper.find('[data-testid="kv-key"]').setValue('user:42');
    await wrapper.find('[data-testid="kv-value"]').setValue('again');
    await wrapper.find('[data-testid="kv-console"]').trigger('submit');
    await flushPromises();
    const facts = wrapper.find('[data-testid="kv-result"] dl').text();
    expect(facts).toContain('Value sent');
    expect(facts).not.toContain('Value written');

    client.calls.runKv.mockImplementation(async (request: KvRequest) => result(request, { ok: false, reason: 'missing', version: undefined }));
    await wrapper.find('[data-op="read"]').trigger('click');
    // A read sends no value: the field shows none (the one typed waits for the next write).
    const valueField = wrapper.find('[data-testid="kv-value"]');
    expect(valueField.attributes('disabled')).toBeDefined();
    expect((valueField.element as HTMLInputElement).value).toBe('');
    await wrapper.find('[data-testid="kv-console"]').trigger('submit');
    await flushPromises();
    const replies = wrapper.findAll('[data-testid="kv-reply"]');
    expect(replies.map((reply) => reply.attributes('data-reply'))).toEqual(['ok', 'absent', 'none']);
    expect(replies[1]!.text()).toContain('no live copy');
    await wrapper.find('[data-op="put"]').trigger('click');
    expect((wrapper.find('[data-testid="kv-value"]').element as HTMLInputElement).value).toBe('again');
  });

  test('a call the cluster never answered is in the history, with a notice', async () => {
    runningCluster();
    client.calls.runKv.mockRejectedValue(new Error('the connection to the cluster closed before it answered'));
    const keys = useKeysStore();
    const operation = await keys.run('put', 'k', 'v');
    expect(operation?.result).toBeUndefined();
    expect(keys.history).toHaveLength(1);
  });
});

describe('the history across a reload', () => {
  test('comes back in the same session (this tab), not in a new one', async () => {
    runningCluster();
    const session = useClusterStore().session!;
    await useKeysStore().run('put', 'kept', 'v');
    await useKeysStore().run('read', 'kept');
    expect(sessionStorage.getItem(HISTORY_STORAGE_KEY)).toContain('kept');

    // The page reloads: new stores, the same session.
    setActivePinia(createPinia());
    setClusterClient(client);
    const keys = useKeysStore();
    expect(keys.history).toEqual([]);
    useClusterStore().session = session;
    await nextTick();
    expect(keys.history.map((operation) => `${operation.op} ${operation.key}`)).toEqual(['read kept', 'put kept']);
    expect(keys.shown?.op).toBe('read');
    const next = await keys.run('delete', 'kept');
    expect(new Set(keys.history.map((operation) => operation.id)).size).toBe(3);
    expect(keys.history[0]).toBe(next);

    // Another session (a new `ringside serve`) starts with an empty history.
    setActivePinia(createPinia());
    setClusterClient(client);
    const other = useKeysStore();
    useClusterStore().session = { ...session, startedAt: session.startedAt + 1 };
    await nextTick();
    expect(other.history).toEqual([]);
  });
});

describe('the bulk loader', () => {
  /** runKv calls that wait until the test answers them. */
  function heldCalls(): { waiting: (() => void)[] } {
    const held = { waiting: [] as (() => void)[] };
    client.calls.runKv.mockImplementation((request: KvRequest) => new Promise((resolve) => held.waiting.push(() => resolve(result(request)))));
    return held;
  }

  test('keeps at most `concurrency` operations in flight and reports progress', async () => {
    runningCluster();
    const held = heldCalls();
    const keys = useKeysStore();
    const finished = keys.startBulk(20, { concurrency: 4, prefix: 'load-' });
    await flushPromises();
    expect(held.waiting).toHaveLength(4);
    for (const answer of held.waiting.splice(0, 3)) answer();
    await flushPromises();
    expect(keys.bulk?.done).toBe(3);
    expect(keys.bulk?.ok).toBe(3);
    expect(held.waiting).toHaveLength(4);
    while (held.waiting.length > 0) {
      for (const answer of held.waiting.splice(0)) answer();
      await flushPromises();
    }
    const run = await finished;
    expect(run).toMatchObject({ state: 'done', total: 20, done: 20, ok: 20, failed: 0 });
    expect(run?.latency?.p50).toBeTypeOf('number');
    expect(client.calls.runKv).toHaveBeenCalledTimes(20);
    const keysWritten = client.calls.runKv.mock.calls.map(([request]) => (request as KvRequest).key);
    expect(new Set(keysWritten).size).toBe(20);
    expect(keysWritten.every((key) => key.startsWith('load-'))).toBe(true);
  });

  test('Cancel stops issuing operations; those in flight finish and count', async () => {
    runningCluster();
    const held = heldCalls();
    const wrapper = mount(KeysView);
    await wrapper.find('[data-testid="bulk-count"]').setValue(1000);
    await wrapper.find('[data-testid="bulk-start"]').trigger('submit');
    await flushPromises();
    const keys = useKeysStore();
    expect(keys.bulk?.state).toBe('running');
    const inFlight = held.waiting.length;
    expect(inFlight).toBe(8);
    for (const answer of held.waiting.splice(0, 5)) answer();
    await flushPromises();
    expect(wrapper.find('[data-testid="bulk-done"]').text()).toBe('5 / 1,000');
    await wrapper.find('[data-testid="bulk-cancel"]').trigger('click');
    expect(keys.bulk?.state).toBe('cancelling');
    for (const answer of held.waiting.splice(0)) answer();
    await flushPromises();
    expect(keys.bulk?.state).toBe('cancelled');
    // 8 started, 5 answered and replaced by 5 more before Cancel: 13 in all, and no more.
    expect(client.calls.runKv).toHaveBeenCalledTimes(13);
    expect(keys.bulk?.done).toBe(13);
    expect(held.waiting).toHaveLength(0);
    await nextTick();
    expect(wrapper.find('[data-testid="bulk-progress"]').attributes('data-state')).toBe('cancelled');
    expect(wrapper.find('[data-testid="bulk-ok"]').text()).toBe('13 succeeded');
    expect(wrapper.find('[data-testid="bulk-latency"]').text()).toContain('p99');
  });

  test('summarizes latencies as percentiles', () => {
    const latencies = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(summarizeLatencies(latencies)).toEqual({ p50: 51, p90: 91, p99: 100, max: 100 });
    expect(summarizeLatencies([])).toBeUndefined();
  });
});
