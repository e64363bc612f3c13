// @vitest-environment jsdom
import { beforeEach, describe, expect, test } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { ClusterClient } from '../../src/renderer/src/api/client.ts';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useMembershipStore } from '../../src/renderer/src/stores/membership.ts';
import { buildMembershipMatrix } from '../../src/renderer/src/lib/membership-matrix.ts';
import MembershipView from '../../src/renderer/src/views/MembershipView.vue';
import { defineComponent, h, KeepAlive, nextTick, ref } from 'vue';
import type { PeerSummaryWire } from '../../src/shared/api/cluster-api.ts';
import type { MemberViewWire } from '../../src/shared/protocol/control.ts';
import { NO_FAULTS } from '../../src/shared/protocol/faults.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { SessionEntry } from '../../src/shared/journal/session.ts';
import { useTimelineStore } from '../../src/renderer/src/stores/timeline.ts';

const ids = ['127.0.0.1:4001', '127.0.0.1:4002', '127.0.0.1:4003', '127.0.0.1:4004'] as const;
const [p1, p2, p3, p4] = ids;

function peer(id: string, number: number, state: PeerSummaryWire['state'] = 'running'): PeerSummaryWire {
  return { id, number, state, managed: true, pid: 1000 + number, port: 4000 + number, redisPort: 6000 + number, startedAt: 0 };
}

function member(id: string, state: MemberViewWire['state'], incarnation = 0): MemberViewWire {
  return { id, state, sinceTick: 10, incarnation };
}

/** Everyone alive, except that #3 suspects #4 and has not heard of #2 yet. */
const views: Record<string, MemberViewWire[]> = {
  [p1]: ids.map((id) => member(id, 'alive')),
  [p2]: ids.map((id) => member(id, 'alive')),
  [p3]: [member(p1, 'alive'), member(p3, 'alive'), member(p4, 'suspect', 2)],
  [p4]: ids.map((id) => member(id, 'alive')),
};

let nextSeq = 0;
const KIND_OF_STATE = { alive: 'member.added', suspect: 'member.suspected', dead: 'member.removed', left: 'member.left' } as const;

/** Journal entries that make these peers, and these observers believe these member lists. */
function journalOf(peers: readonly PeerSummaryWire[], current: Record<string, MemberViewWire[]>): SessionEntry[] {
  const events: JournalEvent[] = [];
  for (const { id, number, pid, port, redisPort } of peers) events.push({ kind: 'process.started', tick: 1, peer: id, pid: pid ?? 1, port, redisPort, number });
  for (const [observer, members] of Object.entries(current)) {
    for (const { id, state, sinceTick, incarnation } of members) events.push({ kind: KIND_OF_STATE[state], tick: sinceTick, peer: observer, subject: id, ...(incarnation === undefined ? {} : { incarnation }) });
  }
  for (const { id, pid, state } of peers) {
    if (state === 'killed' || state === 'left') events.push({ kind: 'process.exited', tick: 2, peer: id, pid: pid ?? 1, code: state === 'left' ? 0 : null, signal: state === 'left' ? null : 'SIGKILL', expected: true });
  }
  return events.map((event) => ({ seq: nextSeq, at: 1_000_000 + nextSeq++, event }));
}

/** A cluster client whose capabilities answer from `answers`; any other call fails. */
function fakeClient(answers: Partial<Record<keyof ClusterClient, unknown>>): ClusterClient {
  return new Proxy({} as ClusterClient, {
    get(_target, name: string) {
      if (name === 'transport') return 'websocket';
      if (name === 'onEvents' || name === 'onConnection') return () => () => undefined;
      if (name in answers) return async () => answers[name as keyof ClusterClient];
      return async () => {
        throw new Error(`the fake client does not answer ${name}`);
      };
    },
  });
}

beforeEach(() => {
  setActivePinia(createPinia());
  setClusterClient(fakeClient({ views, getFaults: NO_FAULTS }));
});

describe('the membership matrix', () => {
  test('puts each observer in a row and each subject in a column, with its state', () => {
    const matrix = buildMembershipMatrix(views, ids.map((id, index) => peer(id, index + 1)));
    expect(matrix.columns.map((column) => column.label)).toEqual(['#1', '#2', '#3', '#4']);
    expect(matrix.rows.map((row) => row.cells.map((cell) => cell.state))).toEqual([
      ['alive', 'alive', 'alive', 'alive'],
      ['alive', 'alive', 'alive', 'alive'],
      ['alive', 'absent', 'alive', 'suspect'],
      ['alive', 'alive', 'alive', 'alive'],
    ]);
    expect(matrix.rows[2]?.cells[3]?.title).toContain('incarnation 2');
    expect(matrix.rows[2]?.cells[3]?.title).toContain('since tick 10');
    expect(matrix.rows.map((row) => row.cells.filter((cell) => cell.self).length)).toEqual([1, 1, 1, 1]);
  });

  test('marks the cells and the row that differ from what most observers believe', () => {
    const matrix = buildMembershipMatrix(views, ids.map((id, index) => peer(id, index + 1)));
    expect(matrix.rows.map((row) => row.disagreements)).toEqual([0, 0, 2, 0]);
    expect(matrix.rows[2]?.cells.map((cell) => cell.differs)).toEqual([false, true, false, true]);
    expect(matrix.rows[2]?.cells[3]?.title).toContain('most peers say alive');
    expect(matrix.disagreeingRows).toBe(1);
  });

  test('keeps a killed peer listed as a subject, with a row that says why it has no view', () => {
    const killedViews = { [p1]: [member(p1, 'alive'), member(p2, 'dead')], [p3]: [member(p1, 'alive'), member(p2, 'dead'), member(p3, 'alive')] };
    const matrix = buildMembershipMatrix(killedViews, [peer(p1, 1), peer(p2, 2, 'killed'), peer(p3, 3), peer(p4, 4, 'left')]);
    expect(matrix.columns.map((column) => [column.label, column.gone, column.majority])).toEqual([
      ['#1', false, 'alive'],
      ['#2', true, 'dead'],
      ['#3', false, 'alive'],
    ]);
    const killedRow = matrix.rows.find((row) => row.id === p2);
    expect(killedRow?.observing).toBe(false);
    expect(killedRow?.note).toContain('killed');
  });
});

describe('the membership view', () => {
  async function mountWith(peers: PeerSummaryWire[], current: Record<string, MemberViewWire[]>) {
    const cluster = useClusterStore();
    cluster.peers = peers;
    const membership = useMembershipStore();
    // The matrix is what the journal says: the member events of these views.
    useTimelineStore().append(journalOf(peers, current));
    const wrapper = mount(MembershipView);
    await flushPromises();
    return { wrapper, membership };
  }

  test('says what to do when no peer runs', async () => {
    const { wrapper } = await mountWith([], {});
    expect(wrapper.find('[data-testid="membership-empty"]').text()).toContain('No peer runs');
    expect(wrapper.find('[data-testid="membership-matrix"]').exists()).toBe(false);
  });

  test('draws a cell per belief, highlights the disagreeing row and counts the disputed subjects', async () => {
    const { wrapper } = await mountWith(
      ids.map((id, index) => peer(id, index + 1)),
      views,
    );
    const rows = wrapper.findAll('[data-testid="membership-matrix"] tbody tr');
    expect(rows).toHaveLength(4);
    expect(rows[2]?.findAll('td.cell').map((cell) => cell.attributes('data-state'))).toEqual(['alive', 'absent', 'alive', 'suspect']);
    expect(rows[2]?.findAll('td.cell.differs')).toHaveLength(2);
    const disagreeing = wrapper.findAll('[data-testid="disagreeing-row"]');
    expect(disagreeing.map((row) => row.attributes('data-observer'))).toEqual([p3]);
    expect(disagreeing[0]?.find('.badge').text()).toBe('≠ 2');
    const verdict = wrapper.find('[data-testid="convergence"]');
    expect(verdict.attributes('data-kind')).toBe('diverged');
    expect(verdict.text()).toContain('2 subjects disagree');
    expect(verdict.text()).toContain('#2, #4');
  });

  test('its cells are reachable by keyboard: Tab to the first, arrows between them, each described as it gets the focus', async () => {
    const peers = ids.map((id, index) => peer(id, index + 1));
    useClusterStore().peers = peers;
    useTimelineStore().append(journalOf(peers, views));
    const wrapper = mount(MembershipView, { attachTo: document.body });
    await flushPromises();
    const table = wrapper.get('[data-testid="membership-matrix"]');
    expect(table.attributes('tabindex')).toBe('0');
    (table.element as HTMLElement).focus();
    const focused = (): string | undefined => (document.activeElement as HTMLElement | null)?.dataset['state'];
    const hover = (): string => wrapper.get('[data-testid="matrix-hover"]').text();
    expect(focused()).toBe('alive');
    const press = async (key: string): Promise<void> => {
      document.activeElement?.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
      await flushPromises();
    };
    await press('ArrowDown');
    await press('ArrowDown');
    await press('End');
    // Row #3, last column: #3 suspects #4.
    expect(focused()).toBe('suspect');
    expect(hover()).toContain('incarnation 2');
    await press('ArrowLeft');
    await press('ArrowLeft');
    expect(focused()).toBe('absent');
    await press('ArrowUp');
    expect(focused()).toBe('alive');
    wrapper.unmount();
  });

  test('says converged when every observer holds the same states', async () => {
    const agreed = Object.fromEntries(ids.map((observer) => [observer, ids.map((id) => member(id, 'alive'))]));
    const { wrapper } = await mountWith(
      ids.map((id, index) => peer(id, index + 1)),
      agreed,
    );
    const verdict = wrapper.find('[data-testid="convergence"]');
    expect(verdict.attributes('data-kind')).toBe('converged');
    expect(verdict.text()).toContain('4 peers agree: 4 alive');
    expect(wrapper.findAll('[data-testid="disagreeing-row"]')).toHaveLength(0);
  });

  test('shows how long the last change took to reach every live peer', async () => {
    const peers = [peer(p1, 1), peer(p2, 2, 'killed'), peer(p3, 3), peer(p4, 4)];
    const { wrapper, membership } = await mountWith(peers, views);
    let seq = 0;
    const at = 1_000_000;
    const event = (observer: string, kind: 'member.suspected' | 'member.removed', offsetMs: number) => ({ seq: seq++, at: at + offsetMs, event: { kind, tick: 1, peer: observer, subject: p2 } });
    membership.applyEntries([event(p3, 'member.suspected', 0), event(p1, 'member.suspected', 200), event(p3, 'member.removed', 900)]);
    membership.applyEntries([event(p4, 'member.removed', 1500), event(p1, 'member.removed', 2340)]);
    await flushPromises();
    expect(membership.lastSpread?.state).toBe('dead');
    expect(membership.lastSpread?.spreadMs).toBe(1440);
    expect(wrapper.find('[data-testid="last-spread"]').text()).toContain('1.44 s');
    expect(wrapper.find('[data-testid="last-spread"]').text()).toContain('#2 failed');
    const listed = wrapper.findAll('[data-testid="spread-list"] tbody tr').map((row) => row.attributes('data-status'));
    expect(listed).toEqual(['complete', 'superseded']);
  });
});

describe('a hidden membership view', () => {
  test('stops rebuilding its matrix behind another view, and catches up when shown again', async () => {
    const cluster = useClusterStore();
    cluster.peers = ids.map((id, index) => peer(id, index + 1));
    const membership = useMembershipStore();
    const agreed = Object.fromEntries(ids.map((observer) => [observer, ids.map((id) => member(id, 'alive'))]));
    const timeline = useTimelineStore();
    timeline.append(journalOf(cluster.peers, agreed));
    void membership;
    const shown = ref(true);
    const Other = defineComponent({ render: () => h('p', 'another view') });
    const wrapper = mount(defineComponent({ setup: () => () => h(KeepAlive, null, [shown.value ? h(MembershipView, { key: 'membership' }) : h(Other, { key: 'other' })]) }), { attachTo: document.body });
    await flushPromises();
    const table = wrapper.get('[data-testid="membership-matrix"]').element;
    const suspects = () => table.querySelectorAll('td[data-state="suspect"]').length;
    expect(suspects()).toBe(0);

    shown.value = false;
    await nextTick();
    timeline.append(journalOf([], { [p3]: [member(p4, 'suspect', 2)] }));
    await flushPromises();
    expect(suspects()).toBe(0);

    shown.value = true;
    await flushPromises();
    expect(wrapper.findAll('[data-testid="membership-matrix"] td[data-state="suspect"]')).toHaveLength(1);
    wrapper.unmount();
  });
});
