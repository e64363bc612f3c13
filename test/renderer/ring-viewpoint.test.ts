// @vitest-environment jsdom
/**
 * A partition's minority, or a peer that has not heard a ring change, holds another ring state
 * than the majority (issue 14, defect 7): the Ring and Stores views let the user pick whose ring
 * they show, list each distinct state with who holds it, and the replica diff judges each peer's
 * copies by that peer's own ring. A state not reported is unknown, never another peer's.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useMembershipStore } from '../../src/renderer/src/stores/membership.ts';
import { useReplicasStore } from '../../src/renderer/src/stores/replicas.ts';
import { MAJORITY_VIEW, useRingStore } from '../../src/renderer/src/stores/ring.ts';
import { describeRingState, majorityRingState, ringStateGroups } from '../../src/renderer/src/lib/ring-consensus.ts';
import { replicaDiff } from '../../src/renderer/src/lib/replica-diff.ts';
import RingView from '../../src/renderer/src/views/RingView.vue';
import StoresView from '../../src/renderer/src/views/StoresView.vue';
import type { RingStateInfo } from '../../src/shared/api/bridge.ts';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import type { StoredRecord } from '../../src/shared/protocol/control.ts';
import { Ring } from '../../src/shared/ring/ring.ts';
import { createFakeClient, fakePeer, type FakeClient } from './support/fake-client.ts';
import { everyoneHolds, everyoneSees, inspection, record, ringStateOf } from './support/kv-fixtures.ts';

// Six peers. #6 joined while #1 was cut off: #2…#6 hold the ring of six (state A, the
// majority's); #1 still holds the ring of five (state B) it had before.
const peers = [1, 2, 3, 4, 5, 6].map((number) => fakePeer(number));
const ids = peers.map((peer) => peer.id);
const [first, second, , , , sixth] = ids as [string, string, string, string, string, string];
const fiveRing = new Ring(KV_DEFAULTS.ring, ids.slice(0, 5));
const sixRing = new Ring(KV_DEFAULTS.ring, ids);
const oldState = ringStateOf(ids.slice(0, 5));
const newState = ringStateOf(ids.slice(0, 5), { entries: [{ peer: sixth, status: 'normal', stamp: 2 }] });
const splitStates = (): Record<string, RingStateInfo> => ({ ...everyoneHolds(ids.slice(1), newState), [first]: oldState });
const version = { tick: 10, counter: 0, peer: second };

/**
 * A key #1 owns on its ring of five but not on the ring of six, whose other two owners are the
 * same on both: #6 took #1's place.
 */
const moved = Array.from({ length: 2000 }, (_, index) => `user:${index}`).find((key) => {
  const before = fiveRing.preferenceList(key);
  const after = sixRing.preferenceList(key);
  return before.includes(first) && after.includes(sixth) && !after.includes(first) && after.filter((peer) => before.includes(peer)).length === 2;
}) as string;

/** Each peer holds the keys its own ring gives it, but #6, which has pulled nothing yet. */
function storesByOwnRing(keys: readonly string[]): Map<string, StoredRecord[]> {
  const stores = new Map<string, StoredRecord[]>(ids.map((id) => [id, []]));
  for (const key of keys) {
    for (const owner of fiveRing.preferenceList(key)) if (owner === first) stores.get(first)!.push(record(key, 'v', version));
    for (const owner of sixRing.preferenceList(key)) if (owner !== first && owner !== sixth) stores.get(owner)!.push(record(key, 'v', version));
  }
  return stores;
}

let client: FakeClient;
let states: Record<string, RingStateInfo>;
let stores: Map<string, StoredRecord[]>;
/** The peers whose inspection reports no ring state. */
let silent: Set<string>;
beforeEach(() => {
  setActivePinia(createPinia());
  states = splitStates();
  stores = storesByOwnRing([moved]);
  silent = new Set();
  client = createFakeClient({
    views: () => everyoneSees(ids),
    ringStates: () => states,
    inspectPeer: (peer: string) => inspection(peer, stores.get(peer) ?? [], silent.has(peer) ? undefined : states[peer]),
  });
  setClusterClient(client);
});

function runningCluster(): ReturnType<typeof useRingStore> {
  useClusterStore().peers = peers;
  useMembershipStore().views = everyoneSees(ids);
  const ring = useRingStore();
  ring.states = states;
  return ring;
}

describe('the ring states the running peers hold', () => {
  test('are listed one per fingerprint, the majority first, with who holds each; a running peer not read is unknown', () => {
    expect(moved).toBeDefined();
    const { groups, unknown } = ringStateGroups(splitStates(), ids);
    expect(groups.map((group) => [group.label, group.state, group.peers])).toEqual([
      ['A', newState, ids.slice(1)],
      ['B', oldState, [first]],
    ]);
    expect(unknown).toEqual([]);
    // #3 not read: unknown, and in no group. A stopped peer's last state counts for nothing.
    const partial = Object.fromEntries(Object.entries(splitStates()).filter(([peer]) => peer !== ids[2]));
    const some = ringStateGroups(partial, ids.slice(0, 5));
    expect(some.unknown).toEqual([ids[2]]);
    expect(some.groups.map((group) => group.peers)).toEqual([[second, ids[3], ids[4]], [first]]);
    expect(majorityRingState(partial, ids.slice(0, 5))).toMatchObject({ state: newState, observers: 4, agreeing: 3 });
    const label = (peer: string): string => `#${ids.indexOf(peer) + 1}`;
    expect(describeRingState(newState, label)).toBe('6 owners');
    expect(describeRingState(ringStateOf(ids.slice(0, 5), { entries: [{ peer: sixth, status: 'joining', stamp: 1 }] }), label)).toBe('5 owners; #6 joining');
  });

  test("the store shows the majority's ring, or the chosen peer's own, and records no ring change when the choice changes", async () => {
    const ring = runningCluster();
    expect(ring.ringsDisagree).toBe(true);
    expect(ring.viewpoint).toBe(MAJORITY_VIEW);
    expect(ring.ring.peers).toEqual(ids);
    ring.setViewpoint(first);
    await nextTick();
    expect(ring.shown).toMatchObject({ viewpoint: first, state: oldState });
    expect(ring.ring.peers).toEqual(ids.slice(0, 5));
    expect(ring.ring.preferenceList(moved)).toEqual(fiveRing.preferenceList(moved));
    expect(ring.consensus.state).toBe(newState); // the majority is still the majority
    expect(ring.changes).toEqual([]);
    // #1's state not reported: unknown, an empty ring, never the majority's.
    ring.states = Object.fromEntries(Object.entries(states).filter(([peer]) => peer !== first));
    await nextTick();
    expect(ring.shown.state).toBeUndefined();
    expect(ring.ring.peers).toEqual([]);
    expect(ring.groups.unknown).toEqual([first]);
    ring.setViewpoint(MAJORITY_VIEW);
    await nextTick();
    expect(ring.ring.peers).toEqual(ids);
    expect(ring.changes).toEqual([]);
  });
});

describe('the Ring view', () => {
  test('offers whose ring to show when the peers disagree, saying how many hold each state, and draws the chosen one', async () => {
    const ring = runningCluster();
    const wrapper = mount(RingView);
    await flushPromises();
    expect(wrapper.find('[data-testid="ring-disagreement"]').text()).toContain("The majority's ring state: 5 of 6 running peers hold it");
    const listed = wrapper.findAll('[data-testid="ring-state-group"]');
    expect(listed.map((group) => group.attributes('data-label'))).toEqual(['A', 'B']);
    expect(listed[0]!.text()).toBe('A held by 5 peers (#2, #3, #4, #5, #6): 6 owners');
    expect(listed[1]!.text()).toBe('B held by 1 peer (#1): 5 owners');
    const select = wrapper.find('[data-testid="ring-viewpoint-select"]');
    expect(select.findAll('option').map((option) => option.text())).toEqual([
      'the majority: state A, held by 5 of 6',
      "#1's own: state B, held by 1 peer",
      ...[2, 3, 4, 5, 6].map((number) => `#${number}'s own: state A, held by 5 peers`),
    ]);
    expect(wrapper.findAll('[data-testid="ring-circle"] path.tokens')).toHaveLength(6);

    await select.setValue(first);
    await flushPromises();
    expect(ring.viewpoint).toBe(first);
    expect(wrapper.find('[data-testid="ring-shown-peer"]').text()).toBe("#1's own ring state (B), held by 1 of 6 running peers");
    expect(wrapper.findAll('[data-testid="ring-circle"] path.tokens')).toHaveLength(5);
  });

  test("says a peer's unreported ring state is unknown and draws no ring for it", async () => {
    const ring = runningCluster();
    ring.states = Object.fromEntries(Object.entries(states).filter(([peer]) => peer !== first));
    const wrapper = mount(RingView);
    await flushPromises();
    expect(wrapper.find('[data-testid="ring-state-unknown"]').text()).toBe('unknown for #1: not reported');
    await wrapper.find('[data-testid="ring-viewpoint-select"]').setValue(first);
    await flushPromises();
    expect(wrapper.find('[data-testid="ring-unknown"]').text()).toBe("#1's own ring state: unknown (not reported), so no ring is drawn");
    expect(wrapper.findAll('[data-testid="ring-circle"] path.tokens')).toHaveLength(0);
  });

  test('shows no selector while every running peer holds one ring state', async () => {
    states = everyoneHolds(ids, newState);
    runningCluster();
    const wrapper = mount(RingView);
    await flushPromises();
    expect(wrapper.find('[data-testid="ring-viewpoint"]').exists()).toBe(false);
  });
});

describe('the replica diff', () => {
  const ownRings = (): Map<string, Ring | undefined> => new Map(ids.map((id) => [id, id === first ? fiveRing : sixRing]));

  test("judges each peer's copy by that peer's own ring: the minority's copy of a key its ring gives it is not misplaced", () => {
    // Judged by the majority's ring alone (as before), #1's copy was misplaced.
    const byMajority = replicaDiff(stores, sixRing);
    expect(byMajority.rows.find((row) => row.key === moved)?.problems).toEqual(['misplaced']);

    const diff = replicaDiff(stores, sixRing, ownRings());
    const row = diff.rows.find((candidate) => candidate.key === moved)!;
    expect(row.problems).toEqual(['rings']);
    expect(row.holders.find((holder) => holder.peer === first)).toMatchObject({ owner: false, ownRing: 'owner' });
    // #6 owns it on the shown ring, and by its own: it has not pulled it yet.
    expect(row.missing).toEqual([{ peer: sixth, owner: true, ownRing: 'owner' }]);
    expect(diff.counts).toMatchObject({ misplaced: 0, rings: 1 });
    expect(diff.unjudged).toEqual([]);
  });

  test("by #1's ring, the key's owners hold it, and #6, an owner by its own ring, holds nothing", () => {
    const diff = replicaDiff(stores, fiveRing, ownRings());
    const row = diff.rows.find((candidate) => candidate.key === moved)!;
    expect(row.owners).toEqual(fiveRing.preferenceList(moved));
    expect(row.problems).toEqual(['rings']);
    expect(row.missing).toEqual([{ peer: sixth, owner: false, ownRing: 'owner' }]);
  });

  test('still finds a copy misplaced by its own holder\'s ring, and does not judge a holder whose ring is unknown', () => {
    const owners = sixRing.preferenceList('stray');
    const outsider = ids.find((id) => id !== first && !owners.includes(id))!;
    const held = new Map<string, StoredRecord[]>(ids.map((id) => [id, []]));
    // Two owners and one peer whose own ring (the same) does not give it the key.
    for (const owner of owners.slice(0, 2)) held.get(owner)!.push(record('stray', 'v', version));
    held.get(outsider)!.push(record('stray', 'v', version));
    const rings = new Map<string, Ring | undefined>(ids.map((id) => [id, sixRing]));
    expect(replicaDiff(held, sixRing, rings).rows[0]).toMatchObject({ key: 'stray', problems: ['misplaced'] });
    rings.set(outsider, undefined);
    const unknown = replicaDiff(held, sixRing, rings);
    expect(unknown.rows).toEqual([]);
    expect(unknown.unjudged).toEqual([outsider]);
  });
});

describe('the Stores view', () => {
  beforeAll(() => Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 }));
  afterAll(() => delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight);

  test("says whose ring it judges by, offers the peers' rings, and judges #1's copy by #1's ring", async () => {
    const ring = runningCluster();
    const wrapper = mount(StoresView);
    await wrapper.find('[data-testid="stores-refresh"]').trigger('click');
    await flushPromises();
    await nextTick();
    expect(useReplicasStore().stores.get(first)?.ring).toEqual(oldState);
    expect(wrapper.find('[data-testid="replica-diff-judged"]').text()).toContain("N and each key's owners are the majority's ring's; each copy is judged by its holder's own ring");
    expect(wrapper.findAll('[data-testid="store-ring-state"]').map((label) => label.text())).toEqual(['ring B', ...Array(5).fill('ring A')]);
    const row = wrapper.find(`[data-testid="diff-row"][data-key="${moved}"]`);
    expect(row.attributes('data-problems')).toBe('rings');
    const own = row.find(`.chip[data-peer="${first}"]`);
    expect(own.classes()).toContain('own-ring-differs');
    expect(own.classes()).not.toContain('extra');
    expect(own.attributes('title')).toContain("an owner by its own ring, though not by the majority's ring");
    expect(row.find(`.chip.missing[data-peer="${sixth}"]`).text()).toBe('#6 none');

    await wrapper.find('[data-testid="ring-viewpoint-select"]').setValue(first);
    await flushPromises();
    expect(ring.viewpoint).toBe(first);
    expect(wrapper.find('[data-testid="replica-diff-judged"]').text()).toContain("N and each key's owners are #1's own ring's");
    const chosen = wrapper.find(`[data-testid="diff-row"][data-key="${moved}"]`);
    expect(chosen.find(`.chip.missing[data-peer="${sixth}"]`).attributes('title')).toContain("owns this key by its own ring, though not on #1's own ring");
  });

  test('marks the copies of a peer that reported no ring state as not judged', async () => {
    runningCluster();
    silent.add(first);
    // An older copy on #1, so the key is listed (versions disagree) and #1's chip shows.
    stores.set(first, [record(moved, 'old', { tick: 5, counter: 0, peer: first })]);
    const wrapper = mount(StoresView);
    await wrapper.find('[data-testid="stores-refresh"]').trigger('click');
    await flushPromises();
    await nextTick();
    expect(wrapper.find('[data-testid="replica-diff-unjudged"]').text()).toBe('#1 reported no ring state: its copies are not judged (marked ?).');
    const own = wrapper.find(`[data-testid="diff-row"][data-key="${moved}"] .chip[data-peer="${first}"]`);
    expect(own.text()).toMatch(/\?$/);
    expect(own.attributes('title')).toContain('its own ring state is unknown (not reported): not judged');
    expect(wrapper.find(`[data-testid="diff-row"][data-key="${moved}"]`).attributes('data-problems')).toBe('versions');
  });
});
