/**
 * `ringside check --sim`: the workload and the nemesis of a check run on a simulated cluster,
 * exactly reproducible from the seed (a failing seed is replayed by the command the run prints).
 * Time is the simulator's: a tick stands for `tickMs` ms, and every time in the history is ticks
 * converted to ms. Peers keep their stores across crashes (a simulated disk), as real peers do.
 *
 * A pause is modelled as the peer cut off both ways (the simulator freezes no process); kills
 * crash the peer and restart it when the fault ends; partitions and loss are the emulated
 * network's. Clock skew (`clockSkewTicks`) puts each peer's clock up to that many ticks ahead.
 */
import type { PeerId, Tick } from '../machine.ts';
import type { KvResult } from '../kv/peer.ts';
import { KV_DEFAULTS } from '../kv/config.ts';
import { RandomStream } from '../random/stream.ts';
import { KvCluster } from '../sim/kv-cluster.ts';
import type { KeyPlacement } from './convergence.ts';
import { nemesisSchedule, type FaultPeriod } from './nemesis.ts';
import type { RegisterHistory, RegisterOperation } from './register-history.ts';
import { judgeRun, outcomeOf, replayCommand, type CheckRun, type CheckSpec } from './run.ts';
import { Workload, type PlannedOperation } from './workload.ts';

/** Ticks the simulated cluster may take to converge after healing before the check goes on. */
const CONVERGE_TICKS_MAX = 5000;
/** Final reads tried per key before giving up on an ok one. */
const FINAL_READ_ATTEMPTS_MAX = 10;

interface InFlight {
  readonly id: number;
  readonly planned: PlannedOperation;
  readonly client: number;
  readonly coordinator: PeerId;
  readonly invokeTick: Tick;
}

export function runSimulatedCheck(spec: CheckSpec, onProgress?: (fraction: number) => void): CheckRun {
  const { workload: workloadSpec, tickMs } = spec;
  const workload = new Workload(workloadSpec, spec.seed);
  const operations: RegisterOperation[] = [];
  const inFlight = new Map<string, InFlight>();
  const cluster: KvCluster = new KvCluster({
    protocol: spec.protocol,
    peers: spec.peers,
    seed: spec.seed,
    durable: true,
    kv: { ...KV_DEFAULTS, quorum: spec.quorum, readQuorum: spec.readQuorum, writeQuorum: spec.writeQuorum },
    onResult: (coordinator, result) => complete(coordinator, result),
  });
  const ids = cluster.ids;
  const skew = RandomStream.root(spec.seed).derive('clock-skew');
  for (const id of ids) cluster.sim.setClockAhead(id, spec.clockSkewTicks === 0 ? 0 : skew.int(0, spec.clockSkewTicks));
  for (const id of ids) cluster.start(id);
  cluster.runUntil(50);
  const startTick = cluster.now;
  const ms = (tick: Tick): number => (tick - startTick) * tickMs;
  const ticks = (milliseconds: number): number => Math.max(1, Math.ceil(milliseconds / tickMs));

  const record = (flight: InFlight, completeTick: Tick, outcome: ReturnType<typeof outcomeOf>): void => {
    operations.push({
      id: flight.id,
      process: flight.client,
      kind: flight.planned.kind,
      key: flight.planned.key,
      ...(flight.planned.kind === 'write' ? { value: flight.planned.value as string } : outcome.value !== undefined ? { value: outcome.value } : {}),
      outcome: outcome.outcome,
      invokeMs: ms(flight.invokeTick),
      completeMs: ms(completeTick),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      coordinator: flight.coordinator,
    });
  };
  function complete(coordinator: PeerId, result: KvResult): void {
    const key = `${coordinator}/${result.transaction}`;
    const flight = inFlight.get(key);
    if (flight === undefined) return;
    inFlight.delete(key);
    busy[flight.client] = undefined;
    record(flight, cluster.now, outcomeOf(flight.planned.kind, result));
    nextTick[flight.client] = cluster.now + ticks(workload.thinkMs);
  }

  let nextId = 0;
  let transaction = 0;
  // Clients 0 … clients − 1 run the workload; one more per key makes its final reads.
  const processes = workloadSpec.clients + workloadSpec.keys;
  const busy: (string | undefined)[] = Array.from({ length: processes }, () => undefined);
  const nextTick: Tick[] = Array.from({ length: processes }, (_, client) => startTick + (client % ticks(workload.thinkMs)));
  /** Sends one operation through the client's peer; a peer that is down refuses it at once. */
  const issue = (client: number, planned: PlannedOperation): InFlight => {
    const coordinator = ids[client % ids.length] as PeerId;
    const flight: InFlight = { id: nextId++, planned, client, coordinator, invokeTick: cluster.now };
    if (cluster.sim.status(coordinator) !== 'running' || cluster.membership(coordinator)?.status !== 'member') {
      record(flight, cluster.now, { outcome: 'fail', error: 'coordinator down' });
      nextTick[client] = cluster.now + ticks(workload.thinkMs);
      return flight;
    }
    const id = ++transaction;
    busy[client] = `${coordinator}/${id}`;
    inFlight.set(`${coordinator}/${id}`, flight);
    const op = planned.kind === 'write' ? 'put' : planned.kind;
    cluster.client(coordinator, { transaction: id, op, key: planned.key, ...(planned.value !== undefined ? { value: planned.value } : {}) });
    return flight;
  };
  /** A client gives up on an operation past its timeout (or when its coordinator crashed). */
  const giveUp = (): void => {
    for (const [key, flight] of inFlight) {
      const crashed = cluster.sim.status(flight.coordinator) !== 'running';
      if (!crashed && cluster.now < flight.invokeTick + ticks(workloadSpec.operationTimeoutMs)) continue;
      inFlight.delete(key);
      busy[flight.client] = undefined;
      record(flight, cluster.now, { outcome: 'info', error: crashed ? 'coordinator crashed' : 'timeout' });
      nextTick[flight.client] = cluster.now + ticks(workload.thinkMs);
    }
  };

  // The nemesis, at the ticks of its periods.
  const schedule = nemesisSchedule(spec.nemesis, ids.length, workloadSpec.durationMs, spec.seed);
  const applied: FaultPeriod[] = [];
  for (const period of schedule) {
    cluster.sim.at(startTick + ticks(period.startMs), () => {
      for (const fault of period.faults) {
        if (fault.kind === 'kill') {
          const id = ids[fault.peer] as PeerId;
          if (cluster.sim.status(id) === 'running') cluster.crash(id);
        } else if (fault.kind === 'pause') {
          const id = ids[fault.peer] as PeerId;
          cluster.sim.network.partition([id], ids.filter((other) => other !== id), false);
        } else if (fault.kind === 'partition') {
          cluster.sim.network.partition(fault.sources.map((index) => ids[index] as PeerId), fault.targets.map((index) => ids[index] as PeerId), fault.oneWay);
        } else cluster.sim.network.configure({ loss: fault.loss });
      }
    });
    cluster.sim.at(startTick + ticks(period.endMs), () => heal());
    applied.push(period);
  }
  const heal = (): void => {
    cluster.sim.network.healAll();
    for (const id of ids) if (cluster.sim.status(id) === 'crashed') cluster.start(id);
  };

  const endTick = startTick + ticks(workloadSpec.durationMs);
  while (cluster.now < endTick) {
    for (let client = 0; client < workloadSpec.clients; client++) {
      if (busy[client] === undefined && cluster.now >= (nextTick[client] as Tick)) issue(client, workload.next(client));
    }
    cluster.runUntil(cluster.now + 1);
    giveUp();
    if ((cluster.now - startTick) % 100 === 0) onProgress?.(Math.min(0.9, (0.9 * (cluster.now - startTick)) / (endTick - startTick)));
  }
  // Let what is in flight finish, heal everything, and wait for the store to settle.
  for (let guard = 0; inFlight.size > 0 && guard < ticks(workloadSpec.operationTimeoutMs) + 1; guard++) {
    cluster.runUntil(cluster.now + 1);
    giveUp();
  }
  heal();
  const notes: string[] = [];
  const settledBy = cluster.now + CONVERGE_TICKS_MAX;
  while (cluster.now < settledBy && !settled(cluster)) cluster.runUntil(cluster.now + 10);
  if (!settled(cluster)) notes.push(`the cluster had not settled ${CONVERGE_TICKS_MAX} ticks (${(CONVERGE_TICKS_MAX * tickMs) / 1000} s) after healing`);
  onProgress?.(0.95);

  // Final reads: one ok read of every key, through the peers in turn.
  const finalReadIds: number[] = [];
  for (const [index, key] of workload.keyNames().entries()) {
    for (let attempt = 0; attempt < FINAL_READ_ATTEMPTS_MAX; attempt++) {
      const flight = issue(workloadSpec.clients + index, { kind: 'read', key });
      for (let guard = 0; inFlight.size > 0 && guard < ticks(workloadSpec.operationTimeoutMs) + 1; guard++) {
        cluster.runUntil(cluster.now + 1);
        giveUp();
      }
      const done = operations.find((operation) => operation.id === flight.id);
      if (done?.outcome === 'ok') {
        finalReadIds.push(flight.id);
        break;
      }
      cluster.runUntil(cluster.now + 20);
    }
  }
  // The final reads may have repaired replicas (or, sloppy, left hints): settle again before looking.
  const resettledBy = cluster.now + CONVERGE_TICKS_MAX;
  while (cluster.now < resettledBy && !settled(cluster)) cluster.runUntil(cluster.now + 10);
  const history: RegisterHistory = { operations: [...operations].sort((a, b) => a.id - b.id) };
  const run = judgeRun(
    {
      spec,
      driver: 'simulated',
      faults: applied,
      history,
      finalReadIds,
      stores: placements(cluster, workload.keyNames()),
      replay: replayCommand(spec),
      elapsedMs: ms(cluster.now),
      notes,
    },
    { replicas: KV_DEFAULTS.ring.replicas, readQuorum: spec.readQuorum, writeQuorum: spec.writeQuorum },
  );
  onProgress?.(1);
  return run;
}

/** Every peer a member, and every ring state the same with no transition in progress. */
function settled(cluster: KvCluster): boolean {
  const peers = cluster.ids.map((id) => cluster.machine(id));
  if (peers.some((peer) => peer === undefined || peer.membership.status !== 'member' || peer.transition !== undefined)) return false;
  const fingerprints = new Set(peers.map((peer) => peer?.ringFingerprint));
  if (fingerprints.size !== 1) return false;
  // And every key on its owners at one version: anti-entropy has done its work.
  const keys = new Set<string>();
  for (const peer of peers) for (const record of peer?.records() ?? []) keys.add(record.key);
  const ring = peers[0]?.ring;
  for (const key of keys) {
    const owners = ring?.preferenceList(key) ?? [];
    const versions = new Set<string>();
    for (const peer of peers) {
      const record = peer?.record(key);
      const owner = owners.includes(peer?.id ?? '');
      if ((record !== undefined) !== owner) return false;
      if (record) versions.add(JSON.stringify(record.version));
    }
    if (versions.size > 1) return false;
  }
  return true;
}

/** Where each key is after healing: its owners, and who holds which version. */
function placements(cluster: KvCluster, keys: readonly string[]): KeyPlacement[] {
  const ring = cluster.machine(cluster.ids[0] as PeerId)?.ring;
  return keys.map((key) => ({
    key,
    owners: ring?.preferenceList(key) ?? [],
    holders: cluster.ids.flatMap((id) => {
      const record = cluster.machine(id)?.record(key);
      return record === undefined ? [] : [{ peer: id, ...(record.deleted ? {} : { value: record.value }), deleted: record.deleted === true, version: `${record.version.tick}.${record.version.counter}.${record.version.peer}` }];
    }),
  }));
}
