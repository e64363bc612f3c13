/**
 * A key-value cluster under chaos, for property tests: clients write and read a few keys while
 * peers crash, restart and get partitioned under message loss; then everything heals and every key
 * is read once more. The history records every operation in the checker's shape (a write is a
 * create, update or put; each operation its own process, since they may overlap); the final state
 * says where every key ended up.
 */
import type { PeerId } from '../../src/shared/machine.ts';
import type { RegisterHistory, RegisterOperation, RegisterOperationKind } from '../../src/shared/check/register-history.ts';
import { outcomeOf } from '../../src/shared/check/run.ts';
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
  /** Peers keep their stores across crashes (a disk); default false: a restart comes back empty. */
  readonly durable?: boolean;
  /** Crashes allowed in the whole run (a restart follows a crash and does not count again). */
  readonly crashesMax: number;
  readonly actions: readonly ChaosAction[];
  /** Ticks allowed to converge after healing. */
  readonly healWithinTicks: number;
}

export interface ChaosResult {
  readonly history: RegisterHistory;
  /** The ids of the final reads (one ok read of each key written, after healing). */
  readonly finalReadIds: ReadonlySet<number>;
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

const TICK_MS = 100;

function registerKind(op: KvOperation): RegisterOperationKind {
  return op === 'read' ? 'read' : op === 'delete' ? 'delete' : 'write';
}

export function runChaos(options: ChaosOptions): ChaosResult {
  const operations: RegisterOperation[] = [];
  const inFlight = new Map<string, { id: number; op: KvOperation; key: string; value: string | undefined; coordinator: PeerId; invokeTick: number }>();
  const record = (flight: { id: number; op: KvOperation; key: string; value: string | undefined; coordinator: PeerId; invokeTick: number }, completeTick: number, outcome: ReturnType<typeof outcomeOf>): void => {
    const kind = registerKind(flight.op);
    operations.push({
      id: flight.id,
      process: flight.id,
      kind,
      key: flight.key,
      ...(kind === 'write' ? { value: flight.value as string } : outcome.value !== undefined ? { value: outcome.value } : {}),
      outcome: outcome.outcome,
      invokeMs: flight.invokeTick * TICK_MS,
      completeMs: completeTick * TICK_MS,
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      coordinator: flight.coordinator,
    });
  };
  const cluster: KvCluster = new KvCluster({
    protocol: 'gossip',
    peers: options.peers,
    seed: options.seed,
    network: { loss: options.loss, duplicate: options.duplicate ?? 0, reorder: options.reorder ?? 0 },
    ...(options.kv ? { kv: options.kv } : {}),
    ...(options.durable ? { durable: true } : {}),
    onResult: (coordinator, result, now) => {
      const flight = inFlight.get(`${coordinator}/${result.transaction}`);
      if (flight === undefined) return;
      inFlight.delete(`${coordinator}/${result.transaction}`);
      record(flight, now, outcomeOf(registerKind(flight.op), result));
    },
  });
  for (const id of cluster.ids) cluster.start(id);
  cluster.runUntil(30);

  let crashes = 0;
  let transaction = 0;
  let written = 0;
  let nextId = 0;
  const running = (): PeerId[] => cluster.ids.filter((id) => cluster.sim.status(id) === 'running');
  const send = (coordinator: PeerId, op: KvOperation, key: string, value: string | undefined): number => {
    const id = nextId++;
    transaction++;
    inFlight.set(`${coordinator}/${transaction}`, { id, op, key, value, coordinator, invokeTick: cluster.now });
    cluster.client(coordinator, { transaction, op, key, ...(value === undefined ? {} : { value }) });
    return id;
  };
  /** Operations whose coordinator crashed, or that never came back: their outcome is unknown. */
  const abandon = (all: boolean): void => {
    for (const [key, flight] of inFlight) {
      if (!all && cluster.sim.status(flight.coordinator) === 'running') continue;
      inFlight.delete(key);
      record(flight, cluster.now, { outcome: 'info', error: 'no answer' });
    }
  };
  for (const action of options.actions) {
    if (action.kind === 'operation') {
      const key = keyName(action.key % options.keys);
      const members = cluster.members();
      const coordinator = members[action.coordinator % Math.max(1, members.length)];
      // Clients may run several operations on one key at once: the checks allow for overlap.
      if (coordinator !== undefined) send(coordinator, action.op, key, action.op === 'create' || action.op === 'update' || action.op === 'put' ? `value-${++written}` : undefined);
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
    abandon(false);
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
  const healedAfterTicks = problems.length === 0 ? cluster.now - healedAt : undefined;
  cluster.runUntil(cluster.now + 20);
  abandon(true);

  // One final read of every key written, once nothing else runs.
  const finalReadIds = new Set<number>();
  const keys = [...new Set(operations.map((operation) => operation.key))];
  for (const [index, key] of keys.entries()) {
    const id = send(cluster.ids[index % cluster.ids.length] as PeerId, 'read', key, undefined);
    cluster.runUntil(cluster.now + 20);
    abandon(true);
    if (operations.find((operation) => operation.id === id)?.outcome === 'ok') finalReadIds.add(id);
  }
  return {
    history: { operations: [...operations].sort((a, b) => a.id - b.id) },
    finalReadIds,
    cluster,
    healedAfterTicks,
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
