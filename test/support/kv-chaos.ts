/**
 * A key-value cluster under chaos, for property tests: clients write and read a few keys while
 * peers crash, restart and get partitioned under message loss; then everything heals. The
 * history records every operation; the final state says where every key ended up.
 */
import type { PeerId } from '../../src/shared/machine.ts';
import { History } from '../../src/shared/check/history.ts';
import type { KvConfig } from '../../src/shared/kv/config.ts';
import type { KvPeer } from '../../src/shared/kv/peer.ts';
import type { KvOperation, KvRecord } from '../../src/shared/protocol/kv.ts';
import { compareVersions } from '../../src/shared/protocol/kv.ts';
import { KvCluster } from '../../src/shared/sim/kv-cluster.ts';

export type ChaosAction =
  | { readonly kind: 'operation'; readonly op: KvOperation; readonly key: number; readonly coordinator: number; readonly gapTicks: number }
  | { readonly kind: 'crash'; readonly peer: number; readonly gapTicks: number }
  | { readonly kind: 'restart'; readonly peer: number; readonly gapTicks: number }
  | { readonly kind: 'partition'; readonly split: number; readonly gapTicks: number }
  | { readonly kind: 'heal'; readonly gapTicks: number };

export interface ChaosOptions {
  readonly seed: number;
  readonly peers: number;
  readonly keys: number;
  readonly loss: number;
  /** Probability a message is delivered twice, and that it is held back a few ticks. */
  readonly duplicate?: number;
  readonly reorder?: number;
  readonly kv?: Partial<KvConfig>;
  /** Crashes allowed in the whole run (a restart follows a crash and does not count again). */
  readonly crashesMax: number;
  readonly actions: readonly ChaosAction[];
  /** Ticks allowed to converge after healing. */
  readonly healWithinTicks: number;
}

export interface ChaosResult {
  readonly history: History;
  readonly cluster: KvCluster;
  /** Ticks from healing to a converged store, or undefined if it did not converge in time. */
  readonly healedAfterTicks: number | undefined;
  /** What the store says each key holds after healing (undefined: absent or deleted). */
  readonly finalValue: (key: string) => string | undefined;
  readonly problems: readonly string[];
}

export function keyName(index: number): string {
  return `key-${index}`;
}

export function runChaos(options: ChaosOptions): ChaosResult {
  const history = new History();
  const inFlight = new Map<string, number>();
  const cluster: KvCluster = new KvCluster({
    protocol: 'gossip',
    peers: options.peers,
    seed: options.seed,
    network: { loss: options.loss, duplicate: options.duplicate ?? 0, reorder: options.reorder ?? 0 },
    ...(options.kv ? { kv: options.kv } : {}),
    onResult: (coordinator, result, now) => {
      const operation = inFlight.get(`${coordinator}/${result.transaction}`);
      if (operation === undefined) return;
      inFlight.delete(`${coordinator}/${result.transaction}`);
      history.complete(operation, result.ok ? 'ok' : 'fail', now, result.value, result.reason);
    },
  });
  for (const id of cluster.ids) cluster.start(id);
  cluster.runUntil(30);

  let crashes = 0;
  let transaction = 0;
  let written = 0;
  const running = (): PeerId[] => cluster.ids.filter((id) => cluster.sim.status(id) === 'running');
  for (const action of options.actions) {
    if (action.kind === 'operation') {
      const key = keyName(action.key % options.keys);
      const members = cluster.members();
      const coordinator = members[action.coordinator % Math.max(1, members.length)];
      // Clients may run several operations on one key at once: the checks allow for overlap.
      if (coordinator !== undefined) {
        const value = action.op === 'create' || action.op === 'update' || action.op === 'put' ? `value-${++written}` : undefined;
        const operation = history.invoke(coordinator, action.op, key, value, cluster.now);
        transaction++;
        inFlight.set(`${coordinator}/${transaction}`, operation);
        cluster.client(coordinator, { transaction, op: action.op, key, ...(value === undefined ? {} : { value }) });
      }
    } else if (action.kind === 'crash') {
      const id = cluster.ids[action.peer % options.peers] as PeerId;
      if (crashes < options.crashesMax && cluster.sim.status(id) === 'running' && running().length > 1) {
        crashes++;
        cluster.crash(id);
      }
    } else if (action.kind === 'restart') {
      const id = cluster.ids[action.peer % options.peers] as PeerId;
      if (cluster.sim.status(id) === 'crashed') cluster.start(id);
    } else if (action.kind === 'partition') {
      const split = 1 + (action.split % (options.peers - 1));
      cluster.sim.network.partition(cluster.ids.slice(0, split), cluster.ids.slice(split), false);
    } else {
      cluster.sim.network.healAll();
      cluster.sim.network.configure({ loss: options.loss, duplicate: options.duplicate ?? 0, reorder: options.reorder ?? 0 });
    }
    cluster.runUntil(cluster.now + action.gapTicks);
  }

  // Heal: no more faults, every crashed peer back, and time to settle.
  cluster.sim.network.healAll();
  for (const id of cluster.ids) if (cluster.sim.status(id) !== 'running') cluster.start(id);
  const healedAt = cluster.now;
  let problems = convergenceProblems(cluster);
  while (problems.length > 0 && cluster.now - healedAt < options.healWithinTicks) {
    cluster.runUntil(cluster.now + 5);
    problems = convergenceProblems(cluster);
  }
  history.closeOpen(cluster.now);
  return {
    history,
    cluster,
    healedAfterTicks: problems.length === 0 ? cluster.now - healedAt : undefined,
    finalValue: (key) => finalRecord(cluster, key)?.value,
    problems,
  };
}

/** The newest record of `key` among the live peers (undefined when absent or deleted). */
export function finalRecord(cluster: KvCluster, key: string): KvRecord | undefined {
  let newest: KvRecord | undefined;
  for (const id of cluster.ids) {
    const record = cluster.machine(id)?.record(key);
    if (record && (newest === undefined || compareVersions(record.version, newest.version) > 0)) newest = record;
  }
  return newest?.deleted ? undefined : newest;
}

/**
 * What keeps the cluster from having converged: membership disagreement, a key not on exactly
 * its N owners, or owners holding different versions.
 */
export function convergenceProblems(cluster: KvCluster): string[] {
  const problems: string[] = [];
  const running = cluster.ids.filter((id) => cluster.sim.status(id) === 'running');
  const peers = running.map((id) => cluster.machine(id) as KvPeer);
  for (const peer of peers) {
    if (peer.membership.status !== 'member' || peer.ring.peers.length !== running.length) problems.push(`${peer.id} sees ${peer.ring.peers.length} of ${running.length} peers`);
  }
  if (problems.length > 0) return problems;
  const ring = (peers[0] as KvPeer).ring;
  const keys = new Set<string>();
  for (const peer of peers) for (const record of peer.records()) keys.add(record.key);
  for (const key of keys) {
    const owners = ring.preferenceList(key);
    const holders = peers.filter((peer) => peer.record(key) !== undefined).map((peer) => peer.id);
    if (holders.length !== owners.length || owners.some((owner) => !holders.includes(owner))) {
      problems.push(`${key} is on ${holders.join(',')} but belongs on ${owners.join(',')}`);
      continue;
    }
    const versions = new Set(owners.map((owner) => JSON.stringify((cluster.machine(owner) as KvPeer).record(key)?.version)));
    if (versions.size > 1) problems.push(`${key}: owners disagree`);
  }
  return problems;
}
