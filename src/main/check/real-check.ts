/**
 * `ringside check` on real peers: the workload's clients run their operations through the
 * cluster manager (each client through one peer, as Jepsen's clients are bound to nodes), the
 * nemesis kills, pauses and partitions real processes on its schedule, and every operation is
 * recorded as invoke / ok / fail / info with the times the client saw. Then everything heals, the
 * cluster settles, a final read of every key is taken, the stores are inspected, and the history
 * is judged (`shared/check/run.ts`).
 *
 * The check uses the running key-value cluster as it is (its quorum mode, its peers); with none
 * running it starts one of `spec.peers` peers first, and stops it at the end.
 */
import type { ClusterManager, PeerSummary } from '../cluster/manager.ts';
import { KV_DEFAULTS } from '../../shared/kv/config.ts';
import type { KeyPlacement } from '../../shared/check/convergence.ts';
import { describeFault, nemesisSchedule, type Fault, type FaultPeriod } from '../../shared/check/nemesis.ts';
import type { RegisterOperation } from '../../shared/check/register-history.ts';
import { judgeRun, outcomeOf, type CheckRun, type CheckSpec } from '../../shared/check/run.ts';
import { Workload, type PlannedOperation } from '../../shared/check/workload.ts';
import type { FaultPlan } from '../../shared/protocol/faults.ts';
import type { PeerInspection } from '../../shared/protocol/control.ts';
import { Ring } from '../../shared/ring/ring.ts';

/** How long the cluster may take to settle after healing (ring, membership, replicas). */
const SETTLE_TIMEOUT_MS = 90_000;
const FINAL_READ_ATTEMPTS_MAX = 20;

export interface CheckProgress {
  /** 0 to 1. */
  readonly fraction: number;
  /** What the run is doing, in a few words. */
  readonly phase: string;
  readonly operations: number;
}

export interface RealCheckOptions {
  readonly onProgress?: (progress: CheckProgress) => void;
  /** Stops the workload early (the run still heals, settles and is judged). */
  readonly signal?: AbortSignal;
}

export class CheckError extends Error {
  override readonly name = 'CheckError';
}

export async function runRealCheck(manager: ClusterManager, requested: CheckSpec, options: RealCheckOptions = {}): Promise<CheckRun> {
  if (manager.kind !== 'kv') throw new CheckError('a check runs on a key-value cluster; this one runs the circular DHT');
  const startedHere = manager.runningPeers().length === 0;
  const notes: string[] = [];
  const progress = (fraction: number, phase: string): void => options.onProgress?.({ fraction, phase, operations: operations.length });
  const operations: RegisterOperation[] = [];
  if (startedHere) {
    progress(0, `starting ${requested.peers} peers`);
    manager.configure({ protocol: requested.protocol, tickMs: requested.tickMs, quorum: requested.quorum });
    await manager.start(requested.peers);
  } else if (manager.peers().some((peer) => peer.state === 'paused' || peer.state === 'starting' || peer.state === 'leaving')) {
    throw new CheckError('resume or finish every peer before a check: it needs a settled cluster');
  }
  // The cluster as it is: its peers in order, its quorum mode and tick.
  const spec: CheckSpec = { ...requested, peers: manager.runningPeers().length, protocol: manager.protocol, quorum: manager.quorum, tickMs: manager.tickMs };
  const peers = manager.runningPeers().filter((peer) => peer.managed);
  if (peers.length < KV_DEFAULTS.ring.replicas) throw new CheckError(`a check needs at least ${KV_DEFAULTS.ring.replicas} peers started by this session (N = ${KV_DEFAULTS.ring.replicas}); ${peers.length} run`);
  progress(0.01, 'waiting for the ring to settle');
  await settle(manager, peers, Date.now() + SETTLE_TIMEOUT_MS, false);

  const workload = new Workload(spec.workload, spec.seed);
  const schedule = nemesisSchedule(spec.nemesis, peers.length, spec.workload.durationMs, spec.seed);
  const origin = performance.now();
  const elapsed = (): number => Math.max(0, Math.round((performance.now() - origin) * 1000) / 1000);
  let nextId = 0;
  const runOne = async (client: number, planned: PlannedOperation, via: PeerSummary): Promise<RegisterOperation> => {
    const id = nextId++;
    const invokeMs = elapsed();
    let outcome: ReturnType<typeof outcomeOf>;
    const state = manager.peer(via.id)?.state;
    if (state !== 'running') {
      // The client's peer is down or frozen: refused before anything is sent, so certainly not done.
      outcome = { outcome: 'fail', error: `coordinator ${state ?? 'gone'}` };
    } else {
      try {
        const result = await manager.operate(planned.kind === 'write' ? 'put' : planned.kind, planned.key, planned.value, via.id, spec.workload.operationTimeoutMs);
        outcome = outcomeOf(planned.kind, result);
      } catch (error) {
        // No answer (a timeout, a connection lost): it may or may not have happened.
        outcome = { outcome: 'info', error: (error as Error).message };
      }
    }
    const operation: RegisterOperation = {
      id,
      process: client,
      kind: planned.kind,
      key: planned.key,
      ...(planned.kind === 'write' ? { value: planned.value as string } : outcome.value !== undefined ? { value: outcome.value } : {}),
      outcome: outcome.outcome,
      invokeMs,
      completeMs: Math.max(invokeMs, elapsed()),
      ...(outcome.error !== undefined ? { error: outcome.error.slice(0, 1000) } : {}),
      coordinator: via.id,
    };
    operations.push(operation);
    return operation;
  };

  // The nemesis.
  const applied: FaultPeriod[] = [];
  const timers: NodeJS.Timeout[] = [];
  const nemesisActions: Promise<void>[] = [];
  const act = (action: () => Promise<void>): void => {
    nemesisActions.push(action().catch((error: Error) => void notes.push(`nemesis: ${error.message}`)));
  };
  for (const period of schedule) {
    timers.push(
      setTimeout(() => {
        const startMs = elapsed();
        act(() => applyFaults(manager, peers, period.faults));
        timers.push(
          setTimeout(() => {
            act(() => healFaults(manager, peers, period.faults));
            applied.push({ startMs, endMs: elapsed(), faults: period.faults });
          }, period.endMs - period.startMs),
        );
      }, period.startMs),
    );
  }

  // The clients, until the workload's time is up.
  const deadline = origin + spec.workload.durationMs;
  const ticker = setInterval(() => progress(Math.min(0.85, (0.85 * (performance.now() - origin)) / spec.workload.durationMs), 'running the workload'), 250);
  await Promise.all(
    Array.from({ length: spec.workload.clients }, async (_, client) => {
      const via = peers[client % peers.length] as PeerSummary;
      while (performance.now() < deadline && options.signal?.aborted !== true) {
        await runOne(client, workload.next(client), via);
        await sleep(Math.min(workload.thinkMs, Math.max(0, deadline - performance.now())));
      }
    }),
  );
  clearInterval(ticker);
  if (options.signal?.aborted) notes.push(`stopped early, after ${(elapsed() / 1000).toFixed(1)} s of the workload`);
  for (const timer of timers) clearTimeout(timer);
  await Promise.all(nemesisActions);

  // Heal everything, settle, read every key once more, and look at the stores.
  progress(0.87, 'healing and waiting for the cluster to settle');
  await healAll(manager, peers);
  if (!(await settle(manager, peers, Date.now() + SETTLE_TIMEOUT_MS, true))) notes.push(`the cluster had not settled ${SETTLE_TIMEOUT_MS / 1000} s after healing; the convergence check says where`);
  progress(0.95, 'final reads');
  const finalReadIds: number[] = [];
  for (const [index, key] of workload.keyNames().entries()) {
    for (let attempt = 0; attempt < FINAL_READ_ATTEMPTS_MAX; attempt++) {
      const operation = await runOne(spec.workload.clients + index, { kind: 'read', key }, peers[index % peers.length] as PeerSummary);
      if (operation.outcome === 'ok') {
        finalReadIds.push(operation.id);
        break;
      }
      await sleep(500);
    }
  }
  await settle(manager, peers, Date.now() + SETTLE_TIMEOUT_MS, true);
  const stores = await placements(manager, peers, workload.keyNames());
  if (startedHere) await manager.shutdown({ timeoutMs: 5000 }).catch(() => undefined);
  progress(1, 'judging the history');
  return judgeRun(
    {
      spec,
      driver: 'real',
      faults: applied.sort((a, b) => a.startMs - b.startMs),
      history: { operations: [...operations].sort((a, b) => a.id - b.id) },
      finalReadIds,
      stores,
      elapsedMs: elapsed(),
      notes,
    },
    { replicas: KV_DEFAULTS.ring.replicas, readQuorum: KV_DEFAULTS.readQuorum, writeQuorum: KV_DEFAULTS.writeQuorum },
  );
}

/** The network part of a period's faults, as one plan for every peer. */
function networkPlan(peers: readonly PeerSummary[], faults: readonly Fault[]): FaultPlan {
  const plan: FaultPlan = { loss: 0, duplicate: 0, links: [], partitions: [] };
  for (const fault of faults) {
    if (fault.kind === 'loss') plan.loss = fault.loss;
    if (fault.kind === 'partition') {
      plan.partitions.push({ sources: fault.sources.map((index) => (peers[index] as PeerSummary).id), targets: fault.targets.map((index) => (peers[index] as PeerSummary).id), oneWay: fault.oneWay });
    }
  }
  return plan;
}

async function applyFaults(manager: ClusterManager, peers: readonly PeerSummary[], faults: readonly Fault[]): Promise<void> {
  if (faults.some((fault) => fault.kind === 'loss' || fault.kind === 'partition')) await manager.setFaults(networkPlan(peers, faults));
  for (const fault of faults) {
    const peer = fault.kind === 'kill' || fault.kind === 'pause' ? (peers[fault.peer] as PeerSummary) : undefined;
    if (peer === undefined || manager.peer(peer.id)?.state !== 'running') continue;
    manager.journal.append(Date.now(), { kind: 'log', tick: Math.floor(Date.now() / manager.tickMs), peer: 'check', text: `nemesis: ${describeFault(fault)}` });
    if (fault.kind === 'kill') await manager.kill(peer.id);
    else manager.pause(peer.id);
  }
}

async function healFaults(manager: ClusterManager, peers: readonly PeerSummary[], faults: readonly Fault[]): Promise<void> {
  if (faults.some((fault) => fault.kind === 'loss' || fault.kind === 'partition')) await manager.setFaults({});
  for (const fault of faults) {
    if (fault.kind !== 'kill' && fault.kind !== 'pause') continue;
    const peer = peers[fault.peer] as PeerSummary;
    const state = manager.peer(peer.id)?.state;
    if (fault.kind === 'pause' && state === 'paused') manager.resume(peer.id);
    if (fault.kind === 'kill' && (state === 'killed' || state === 'crashed')) await manager.restart(peer.id);
  }
}

/** Every fault off: the network healed, paused peers resumed, gone peers started again. */
async function healAll(manager: ClusterManager, peers: readonly PeerSummary[]): Promise<void> {
  await manager.setFaults({});
  for (const peer of peers) {
    const state = manager.peer(peer.id)?.state;
    if (state === 'paused') manager.resume(peer.id);
    else if (state === 'killed' || state === 'crashed') await manager.restart(peer.id);
  }
}

/**
 * Waits until every peer is a member that sees every other alive, all ring states are the same
 * with no transition in progress, and (with `replicas`) every key is on exactly its owners at one
 * version. True if that happened before `deadline`.
 */
async function settle(manager: ClusterManager, peers: readonly PeerSummary[], deadline: number, replicas: boolean): Promise<boolean> {
  for (;;) {
    try {
      const inspections = await Promise.all(peers.map((peer) => manager.inspect(peer.id, replicas ? 100_000 : 0)));
      if (isSettled(inspections, peers, replicas)) return true;
    } catch {
      // A peer still starting: look again.
    }
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

function isSettled(inspections: readonly PeerInspection[], peers: readonly PeerSummary[], replicas: boolean): boolean {
  const ids = new Set(peers.map((peer) => peer.id));
  for (const inspection of inspections) {
    if (inspection.status !== 'member' || inspection.ring === undefined || inspection.ring.transition !== undefined) return false;
    if (inspection.members.filter((member) => ids.has(member.id) && member.state === 'alive').length !== ids.size) return false;
  }
  if (new Set(inspections.map((inspection) => inspection.ring?.fingerprint)).size !== 1) return false;
  if (!replicas) return true;
  const ring = ringOf(inspections[0] as PeerInspection);
  const byKey = new Map<string, { holders: Set<string>; versions: Set<string> }>();
  for (const inspection of inspections) {
    for (const record of inspection.records) {
      let entry = byKey.get(record.key);
      if (entry === undefined) byKey.set(record.key, (entry = { holders: new Set(), versions: new Set() }));
      entry.holders.add(inspection.id);
      entry.versions.add(versionText(record.version));
    }
  }
  for (const [key, entry] of byKey) {
    const owners = ring.preferenceList(key);
    if (entry.versions.size !== 1 || entry.holders.size !== owners.length || owners.some((owner) => !entry.holders.has(owner))) return false;
  }
  return true;
}

function ringOf(inspection: PeerInspection): Ring {
  const owners = (inspection.ring?.entries ?? []).filter((entry) => entry.status === 'normal' || entry.status === 'leaving').map((entry) => entry.peer);
  return new Ring(KV_DEFAULTS.ring, owners);
}

function versionText(version: { tick: number; counter: number; peer: string }): string {
  return `${version.tick}.${version.counter}.${version.peer}`;
}

async function placements(manager: ClusterManager, peers: readonly PeerSummary[], keys: readonly string[]): Promise<KeyPlacement[]> {
  const inspections = await Promise.all(peers.map((peer) => manager.inspect(peer.id, 100_000).catch(() => undefined)));
  const found = inspections.filter((inspection) => inspection !== undefined);
  const ring = found.length > 0 ? ringOf(found[0] as PeerInspection) : new Ring(KV_DEFAULTS.ring, []);
  return keys.map((key) => ({
    key,
    owners: ring.preferenceList(key),
    holders: found.flatMap((inspection) => {
      const record = inspection.records.find((candidate) => candidate.key === key);
      return record === undefined ? [] : [{ peer: inspection.id, ...(record.deleted ? {} : { value: record.value }), deleted: record.deleted === true, version: versionText(record.version) }];
    }),
  }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
