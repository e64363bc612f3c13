// @vitest-environment jsdom
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { ClusterClient } from '../../src/renderer/src/api/client.ts';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useFaultsStore } from '../../src/renderer/src/stores/faults.ts';
import { useNotificationsStore } from '../../src/renderer/src/stores/notifications.ts';
import { useStreamStore } from '../../src/renderer/src/stores/stream.ts';
import FaultsView from '../../src/renderer/src/views/FaultsView.vue';
import type { ApiEvents, PeerSummaryWire } from '../../src/shared/api/cluster-api.ts';
import { faultPlanSchema, NO_FAULTS, type FaultPlan } from '../../src/shared/protocol/faults.ts';

const ids = ['127.0.0.1:4001', '127.0.0.1:4002', '127.0.0.1:4003', '127.0.0.1:4004', '127.0.0.1:4005'];
const [p1, p2, p3, p4, p5] = ids as [string, string, string, string, string];

function peer(id: string, number: number): PeerSummaryWire {
  return { id, number, state: 'running', managed: true, pid: 1000 + number, port: 4000 + number, redisPort: 6000 + number, startedAt: 0 };
}

/** A cluster that keeps a fault plan as the manager does (parsed by the schema), and records every set. */
function fakeCluster() {
  let plan: FaultPlan = NO_FAULTS;
  const sent: FaultPlan[] = [];
  let events: ((events: ApiEvents) => void) | undefined;
  let failNext: string | undefined;
  const client = {
    transport: 'websocket',
    onConnection: () => () => undefined,
    onEvents: (listener: (events: ApiEvents) => void) => ((events = listener), () => undefined),
    getFaults: vi.fn(async () => plan),
    setFaults: vi.fn(async (next: FaultPlan) => {
      if (failNext !== undefined) {
        const message = failNext;
        failNext = undefined;
        throw new Error(message);
      }
      plan = faultPlanSchema.parse(next);
      sent.push(plan);
      return plan;
    }),
    views: async () => ({}),
  } as unknown as ClusterClient;
  return {
    client,
    sent,
    setPlanElsewhere(next: FaultPlan) {
      plan = next;
    },
    failNext(message: string) {
      failNext = message;
    },
    emit(batch: ApiEvents) {
      events?.(batch);
    },
  };
}

let cluster: ReturnType<typeof fakeCluster>;
beforeEach(() => {
  setActivePinia(createPinia());
  cluster = fakeCluster();
  setClusterClient(cluster.client);
  useClusterStore().peers = ids.map((id, index) => peer(id, index + 1));
});

describe('the faults store', () => {
  test('isolating a peer cuts it off from every other, both ways', async () => {
    const faults = useFaultsStore();
    await faults.isolate(p3);
    expect(cluster.sent.at(-1)?.partitions).toEqual([{ sources: [p1, p2, p4, p5], targets: [p3], oneWay: false }]);
    expect(faults.groups).toEqual([[p1, p2, p4, p5], [p3]]);
    expect(faults.dirty).toBe(false);
  });

  test('the majority/minority preset splits five peers {1,2} | {3,4,5}', async () => {
    const faults = useFaultsStore();
    await faults.splitMajority();
    expect(cluster.sent.at(-1)?.partitions).toEqual([{ sources: [p1, p2], targets: [p3, p4, p5], oneWay: false }]);
  });

  test('moving peers draws a partition that is sent only when applied, one-way if asked', async () => {
    const faults = useFaultsStore();
    await flushPromises();
    faults.moveToGroup(p4, 1);
    faults.moveToGroup(p5, 1);
    expect(faults.groups).toEqual([
      [p1, p2, p3],
      [p4, p5],
    ]);
    expect(faults.dirty).toBe(true);
    expect(cluster.sent).toHaveLength(0);
    faults.setOneWay(true);
    await faults.applyGroups();
    expect(cluster.sent).toEqual([{ loss: 0, duplicate: 0, links: [], partitions: [{ sources: [p1, p2, p3], targets: [p4, p5], oneWay: true }] }]);
    expect(faults.dirty).toBe(false);
    expect(faults.oneWay).toBe(true);
  });

  test('three groups are each cut off from the other two', async () => {
    const faults = useFaultsStore();
    faults.setGroups([[p1, p2], [p3], [p4, p5]]);
    await faults.applyGroups();
    expect(cluster.sent.at(-1)?.partitions).toEqual([
      { sources: [p1, p2], targets: [p3], oneWay: false },
      { sources: [p1, p2], targets: [p4, p5], oneWay: false },
      { sources: [p3], targets: [p4, p5], oneWay: false },
    ]);
  });

  test('loss, delay and link overrides keep the partition, and heal all sends no faults at all', async () => {
    const faults = useFaultsStore();
    await faults.splitMajority();
    await faults.setLoss(0.25);
    await faults.setDelay({ kind: 'uniform', minMs: 20, maxMs: 80 });
    await faults.setLink(p1, p3, { loss: 0, delay: { kind: 'constant', ms: 200 } }, true);
    expect(cluster.sent.at(-1)).toEqual({
      loss: 0.25,
      duplicate: 0,
      delay: { kind: 'uniform', minMs: 20, maxMs: 80 },
      links: [
        { from: p1, to: p3, loss: 0, delay: { kind: 'constant', ms: 200 } },
        { from: p3, to: p1, loss: 0, delay: { kind: 'constant', ms: 200 } },
      ],
      partitions: [{ sources: [p1, p2], targets: [p3, p4, p5], oneWay: false }],
    });
    expect(faults.healthy).toBe(false);
    await faults.heal();
    expect(cluster.sent.at(-1)).toEqual(NO_FAULTS);
    expect(faults.healthy).toBe(true);
    expect(faults.groups).toEqual([ids]);
  });

  test('two quick edits both land: the second builds on the plan the first made', async () => {
    const faults = useFaultsStore();
    const first = faults.setLoss(0.15);
    const second = faults.setDelay({ kind: 'constant', ms: 40 });
    expect(faults.applying).toBe(true);
    await Promise.all([first, second]);
    expect(cluster.sent.at(-1)).toEqual({ loss: 0.15, duplicate: 0, delay: { kind: 'constant', ms: 40 }, links: [], partitions: [] });
    expect(faults.applying).toBe(false);
  });

  test('a refused change becomes an error notice and leaves the plan as it was', async () => {
    const faults = useFaultsStore();
    cluster.failNext('invalid faults: too many links');
    expect(await faults.setLoss(0.5)).toBe(false);
    expect(faults.plan).toEqual(NO_FAULTS);
    expect(useNotificationsStore().notices.map((notice) => notice.text)).toEqual(['Setting the loss to 50%: invalid faults: too many links']);
  });

  test('a fault.changed event in the journal re-reads the plan (set by another window)', async () => {
    const faults = useFaultsStore();
    const stream = useStreamStore();
    stream.start();
    await flushPromises();
    const elsewhere: FaultPlan = { ...NO_FAULTS, partitions: [{ sources: [p5], targets: [p1, p2, p3, p4], oneWay: false }] };
    cluster.setPlanElsewhere(elsewhere);
    cluster.emit({ t: 'events', entries: [{ seq: 1, at: Date.now(), event: { kind: 'fault.changed', tick: 1, description: 'partition …' } }] });
    stream.flush();
    await flushPromises();
    expect(faults.plan).toEqual(elsewhere);
    expect(faults.groups).toEqual([[p1, p2, p3, p4], [p5]]);
    expect(faults.exact).toBe(true);
  });
});

describe('the faults view', () => {
  async function mountView() {
    const wrapper = mount(FaultsView, { attachTo: document.body });
    await flushPromises();
    return wrapper;
  }

  test('the split preset sends the partition, the plan shows in words with peer numbers, and Heal all removes it', async () => {
    const wrapper = await mountView();
    const heal = wrapper.get('[data-testid="heal-all"]');
    expect(heal.attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-testid="fault-plan-bar"]').text()).toContain('No faults');

    await wrapper.get('[data-testid="preset-split"]').trigger('click');
    await flushPromises();
    expect(cluster.sent.at(-1)?.partitions).toEqual([{ sources: [p1, p2], targets: [p3, p4, p5], oneWay: false }]);
    expect(wrapper.get('[data-testid="fault-plan"]').text()).toBe('partition #1,#2 | #3,#4,#5');
    expect(wrapper.get('[data-testid="fault-sentences"]').text()).toContain('{#1 #2} and {#3 #4 #5} cannot reach each other');
    expect(wrapper.findAll('[data-testid="link-matrix"] button.cut')).toHaveLength(12);

    await wrapper.get('[data-testid="heal-all"]').trigger('click');
    await flushPromises();
    expect(cluster.sent.at(-1)).toEqual(NO_FAULTS);
    expect(wrapper.get('[data-testid="fault-plan-bar"]').text()).toContain('No faults');
    wrapper.unmount();
  });

  test('without a mouse: pick each peer’s group from its list, then apply', async () => {
    const wrapper = await mountView();
    for (const id of [p1, p2]) {
      await wrapper.get(`[data-testid="partition-peer"][data-peer="${id}"] select`).setValue('1');
    }
    expect(wrapper.get('[data-testid="partition-pending"]').text()).toContain('not applied');
    expect(wrapper.get('[data-testid="partition-summary"]').text()).toContain('{#3 #4 #5} | {#1 #2}');
    expect(cluster.sent).toHaveLength(0);
    await wrapper.get('[data-testid="apply-partition"]').trigger('click');
    await flushPromises();
    expect(cluster.sent.at(-1)?.partitions).toEqual([{ sources: [p3, p4, p5], targets: [p1, p2], oneWay: false }]);
    // The groups stay as drawn (A: #3 #4 #5, B: #1 #2), not re-sorted by peer number.
    const groups = wrapper.findAll('[data-testid="partition-group"]').map((group) => group.findAll('[data-testid="partition-peer"]').map((chip) => chip.attributes('data-peer')));
    expect(groups).toEqual([
      [p3, p4, p5],
      [p1, p2],
    ]);
    expect(wrapper.find('[data-testid="partition-pending"]').exists()).toBe(false);
    wrapper.unmount();
  });

  test('dragging a peer chip onto the new-group box moves it there', async () => {
    const wrapper = await mountView();
    const data = new Map<string, string>();
    const dataTransfer = { setData: (type: string, value: string) => data.set(type, value), getData: (type: string) => data.get(type) ?? '', effectAllowed: 'all', dropEffect: 'none' };
    await wrapper.get(`[data-testid="partition-peer"][data-peer="${p5}"]`).trigger('dragstart', { dataTransfer });
    await wrapper.get('[data-testid="partition-new-group"]').trigger('dragover', { dataTransfer });
    await wrapper.get('[data-testid="partition-new-group"]').trigger('drop', { dataTransfer });
    const groups = wrapper.findAll('[data-testid="partition-group"]').map((group) => group.findAll('[data-testid="partition-peer"]').map((chip) => chip.attributes('data-peer')));
    expect(groups).toEqual([[p1, p2, p3, p4], [p5]]);
    await wrapper.get('[data-testid="apply-partition"]').trigger('click');
    await flushPromises();
    expect(cluster.sent.at(-1)?.partitions).toEqual([{ sources: [p1, p2, p3, p4], targets: [p5], oneWay: false }]);
    wrapper.unmount();
  });

  test('a link override is set from the link matrix', async () => {
    const wrapper = await mountView();
    await wrapper.get(`[data-testid="link-matrix"] button[data-from="${p2}"][data-to="${p4}"]`).trigger('click');
    const editor = wrapper.get('[data-testid="link-editor"]');
    await editor.get('input[type="checkbox"]').setValue(true);
    const loss = editor.get('input[type="number"]');
    await loss.setValue('30');
    await loss.trigger('change');
    await editor.get('[data-testid="apply-link"]').trigger('click');
    await flushPromises();
    expect(cluster.sent.at(-1)?.links).toEqual([
      { from: p2, to: p4, loss: 0.3 },
      { from: p4, to: p2, loss: 0.3 },
    ]);
    expect(wrapper.get(`[data-testid="link-matrix"] button[data-from="${p2}"][data-to="${p4}"]`).text()).toBe('30%');
    wrapper.unmount();
  });
});
