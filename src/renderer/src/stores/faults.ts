/**
 * The cluster's fault plan: the one the cluster applies (`plan`, read back after every change
 * and whenever the journal says it changed), and the partition the user is drawing
 * (`groups`), which is sent only when applied so that moving peers one by one does not cut
 * the network in passing. Every change goes through `setFaults` and reports failures as notices.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { NO_FAULTS, type DelayMs, type FaultPlan } from '../../../shared/protocol/faults.ts';
import { clusterClient } from './client.ts';
import { useClusterStore } from './cluster.ts';
import { useNotificationsStore } from './notifications.ts';
import { useStreamStore } from './stream.ts';
import {
  groupsFromPlan,
  isNoFaults,
  isolateGroups,
  majorityMinorityGroups,
  movePeer,
  normalizeGroups,
  partitionsFromGroups,
  sameCuts,
  withLink,
  type Groups,
  type LinkOverride,
} from '../lib/fault-plans.ts';

export const useFaultsStore = defineStore('faults', () => {
  const cluster = useClusterStore();
  const notifications = useNotificationsStore();
  /** The plan the cluster applies, as last read or set. */
  const plan = shallowRef<FaultPlan>(NO_FAULTS);
  const loaded = ref(false);
  /** A change is on its way to the peers. */
  const applying = ref(false);
  /** The partition being drawn; undefined while it is the applied one. */
  const draftGroups = shallowRef<string[][] | undefined>(undefined);
  const draftOneWay = ref<boolean | undefined>(undefined);

  /**
   * The peers a partition or a link names: the live ones, by number. (A killed peer that comes
   * back later is in no group: it rejoins the whole network.)
   */
  const peerIds = computed(() => [...cluster.livePeers].sort((a, b) => a.number - b.number).map((peer) => peer.id));
  const labels = computed(() => new Map(cluster.peers.map((peer) => [peer.id, `#${peer.number}`])));
  /** The groups as the user last applied them: shown in that order while the plan still cuts so. */
  const remembered = shallowRef<string[][] | undefined>(undefined);
  const applied = computed(() => {
    const derived = groupsFromPlan(plan.value, peerIds.value);
    if (remembered.value === undefined || !derived.exact) return derived;
    const mine = normalizeGroups(remembered.value, peerIds.value);
    const rebuilt: FaultPlan = { ...plan.value, partitions: partitionsFromGroups(mine, derived.oneWay) };
    return sameCuts(plan.value, rebuilt, peerIds.value) ? { ...derived, groups: mine } : derived;
  });
  const groups = computed<string[][]>(() => normalizeGroups(draftGroups.value ?? applied.value.groups, peerIds.value));
  const oneWay = computed(() => draftOneWay.value ?? applied.value.oneWay);
  /** The plan the drawn partition makes. */
  const draftPlan = computed<FaultPlan>(() => ({ ...plan.value, partitions: partitionsFromGroups(groups.value, oneWay.value) }));
  /** The drawing differs from what the cluster applies. */
  const dirty = computed(() => (draftGroups.value !== undefined || draftOneWay.value !== undefined) && !sameCuts(draftPlan.value, plan.value, peerIds.value));
  const healthy = computed(() => isNoFaults(plan.value));

  async function refresh(): Promise<void> {
    if (cluster.isDht) return;
    try {
      plan.value = await clusterClient().getFaults();
      loaded.value = true;
    } catch {
      // Not connected yet: the connection's own state says so, and the next change reads again.
    }
  }

  /** Changes wait for the one before, so that each builds on the plan the cluster took last. */
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;

  /**
   * Sends a plan to the cluster: `change` is the plan, or a function of the current plan that is
   * called when the changes before it are done (two quick edits never undo each other). True
   * when the cluster took it.
   */
  function apply(change: FaultPlan | ((current: FaultPlan) => FaultPlan), what: string): Promise<boolean> {
    if (cluster.isDht) {
      // A DHT peer has no fault injector: Quit, Kill and Pause are its faults.
      notifications.push('info', 'Faults apply to a key-value cluster; on the circular DHT use Quit, Kill or Pause');
      return Promise.resolve(false);
    }
    pending++;
    applying.value = true;
    const run = async (): Promise<boolean> => {
      try {
        const next = typeof change === 'function' ? change(plan.value) : change;
        const result = await notifications.attempt(what, () => clusterClient().setFaults(next));
        if (result === undefined) return false;
        plan.value = result;
        loaded.value = true;
        return true;
      } finally {
        if (--pending === 0) applying.value = false;
      }
    };
    const result = queue.then(run);
    queue = result;
    return result;
  }

  function discardDraft(): void {
    draftGroups.value = undefined;
    draftOneWay.value = undefined;
  }

  /** Every fault off: no loss, delay, duplicates, link overrides or partitions. */
  async function heal(): Promise<boolean> {
    const healed = await apply(NO_FAULTS, 'Healing all faults');
    if (healed) discardDraft();
    return healed;
  }

  const setLoss = (loss: number) => apply((current) => ({ ...current, loss }), `Setting the loss to ${Math.round(loss * 100)}%`);
  const setDuplicate = (duplicate: number) => apply((current) => ({ ...current, duplicate }), `Setting duplicates to ${Math.round(duplicate * 100)}%`);
  function setDelay(delay: DelayMs | undefined): Promise<boolean> {
    return apply((current) => {
      const next: FaultPlan = { ...current };
      if (delay === undefined) delete next.delay;
      else next.delay = delay;
      return next;
    }, delay === undefined ? 'Removing the delay' : 'Setting the delay');
  }
  /** Overrides the link `from → to` (and `to → from` when `bothWays`); no override removes it. */
  function setLink(from: string, to: string, override: LinkOverride | undefined, bothWays = false): Promise<boolean> {
    const name = `${labels.value.get(from) ?? from} ${bothWays ? '↔' : '→'} ${labels.value.get(to) ?? to}`;
    return apply(
      (current) => {
        const next = withLink(current, from, to, override);
        return bothWays ? withLink(next, to, from, override) : next;
      },
      override === undefined ? `Clearing link ${name}` : `Setting link ${name}`,
    );
  }

  /** Moves a peer into a group of the drawing (`index` past the last makes a new group). */
  function moveToGroup(peer: string, index: number): void {
    draftGroups.value = movePeer(groups.value, peer, index);
  }
  function setGroups(next: Groups): void {
    draftGroups.value = normalizeGroups(next, peerIds.value);
  }
  function setOneWay(value: boolean): void {
    draftOneWay.value = value;
  }

  /** Sends the drawn partition (the rest of the plan stays). */
  async function applyGroups(): Promise<boolean> {
    const drawn = groups.value;
    const partitions = partitionsFromGroups(drawn, oneWay.value);
    const groupCount = drawn.length;
    const ok = await apply((current) => ({ ...current, partitions }), groupCount > 1 ? `Partitioning into ${groupCount} groups` : 'Removing the partition');
    if (ok) {
      remembered.value = drawn;
      discardDraft();
    }
    return ok;
  }

  /** Preset: cuts `peer` off from every other peer, both ways. */
  async function isolate(peer: string): Promise<boolean> {
    draftGroups.value = isolateGroups(peerIds.value, peer);
    draftOneWay.value = false;
    return applyGroups();
  }

  /** Preset: a minority ({#1,#2} of 5) against the majority, both ways. */
  async function splitMajority(): Promise<boolean> {
    draftGroups.value = majorityMinorityGroups(peerIds.value);
    draftOneWay.value = false;
    return applyGroups();
  }

  /** Removes partitions only (loss, delay and links stay). */
  async function removePartitions(): Promise<boolean> {
    const ok = await apply((current) => ({ ...current, partitions: [] }), 'Removing the partition');
    if (ok) discardDraft();
    return ok;
  }

  // Another window, the command line or a script may change the plan: the journal says so.
  useStreamStore().consume((batch) => {
    if (batch.entries.some((entry) => entry.event.kind === 'fault.changed')) void refresh();
  });
  watch(
    () => cluster.connection,
    (state) => state === 'open' && void refresh(),
  );
  void refresh();

  return {
    plan,
    loaded,
    applying,
    labels,
    peerIds,
    groups,
    oneWay,
    draftPlan,
    dirty,
    healthy,
    exact: computed(() => applied.value.exact),
    refresh,
    apply,
    heal,
    setLoss,
    setDuplicate,
    setDelay,
    setLink,
    moveToGroup,
    setGroups,
    setOneWay,
    applyGroups,
    discardDraft,
    isolate,
    splitMajority,
    removePartitions,
  };
});
