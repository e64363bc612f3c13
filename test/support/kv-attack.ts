/**
 * Adversarial harness for the key-value store with ring changes (not a test file itself: the
 * `kv-attack-*.test.ts` files use it). One run is a simulated cluster driven by a schedule:
 *
 * - a workload of clients, each running one operation at a time (put / read / delete on a few
 *   keys, unique values), through a coordinator chosen among the running members;
 * - a nemesis at chosen ticks: crashes and restarts (durable stores), partitions (two-way and
 *   one-way), loss / duplication / reordering, and ring changes: late peers joining, graceful
 *   leaves, abrupt leaves (`cluster.leave`), operator removals (`kv.remove`) and rejoining of
 *   peers that were removed or left (started again);
 * - then: heal, restart what crashed, let the cluster settle (bounded); the operator removes peers
 *   gone for good (stopped after an abrupt leave) that the ring still counts, and the cluster
 *   settles again; if it does not, why is judged (`stuckCauseOf`: inherent or not) and the peers
 *   that left are started again (`stuckHard` if even that does not settle it); one final read per
 *   key, and `checkHistory` with every check (convergence only once the ring has settled, again
 *   checked at the end: a removed running peer rejoins); peers that left the group gracefully while
 *   the ring still counts them are reported (`lingering`).
 *
 * Recording rules (so that a finding is the store's, not the harness's):
 * - an operation whose coordinator crashed, left abruptly or restarted before answering is `info`;
 * - an operation without an answer after `opTimeoutTicks` is `info`, and its client continues
 *   under a new process number (Jepsen: the old process may still be running it);
 * - answers are mapped with the product's `outcomeOf` (so `no-quorum` and `no-ring` are `fail`);
 *   a second, lenient judgement maps every update that failed with `no-quorum` or `no-ring` to
 *   `info`, to tell mislabelled failures apart from consistency violations.
 */
import type { PeerId } from '../../src/shared/machine.ts';
import { outcomeOf } from '../../src/shared/check/run.ts';
import { checkHistory, type CheckReport } from '../../src/shared/check/report.ts';
import type { KeyPlacement } from '../../src/shared/check/convergence.ts';
import type { RegisterHistory, RegisterOperation, RegisterOperationKind } from '../../src/shared/check/register-history.ts';
import { KV_DEFAULTS, type KvConfig } from '../../src/shared/kv/config.ts';
import type { KvPeer, KvResult } from '../../src/shared/kv/peer.ts';
import { KvCluster } from '../../src/shared/sim/kv-cluster.ts';
import type { RingTransition } from '../../src/shared/kv/ring-state.ts';
import type { RingStateWire } from '../../src/shared/protocol/kv.ts';

export type NemesisEvent =
  | { readonly at: number; readonly kind: 'crash'; readonly peer: number }
  | { readonly at: number; readonly kind: 'start'; readonly peer: number }
  | { readonly at: number; readonly kind: 'partition'; readonly mask: number; readonly oneWay: boolean }
  | { readonly at: number; readonly kind: 'heal' }
  | { readonly at: number; readonly kind: 'net'; readonly loss: number; readonly duplicate: number; readonly reorder: number }
  | { readonly at: number; readonly kind: 'leave'; readonly peer: number }
  | { readonly at: number; readonly kind: 'abrupt-leave'; readonly peer: number }
  | { readonly at: number; readonly kind: 'remove'; readonly peer: number; readonly via: number; readonly anyPeer?: boolean }
  /**
   * A targeted nemesis: arms a partition that is installed the moment the next peer's ring changes
   * (a transition ends there: typically the last gainer has just caught up, and its announcement
   * has not left yet), and healed `healAfter` ticks later. The sides: that peer and the peers
   * `mask` picks against the others; with `splitOverlap`, also the owners of key k0 split so that
   * one owner common to both rings of the transition, and the gainer, are with that peer, and the
   * other common owner and the displaced one are not (a placement-aware nemesis).
   */
  | { readonly at: number; readonly kind: 'partition-at-catch-up'; readonly mask: number; readonly oneWay: boolean; readonly healAfter: number; readonly splitOverlap?: boolean };

export interface ClientOp {
  readonly kind: 'put' | 'read' | 'delete';
  readonly key: number;
  readonly coordinator: number;
  readonly thinkTicks: number;
}

export interface AttackConfig {
  readonly seed: number;
  readonly protocol: 'gossip' | 'swim';
  /** Peers of the cluster (ids 1..peers). */
  readonly peers: number;
  /** The first `ringSeed` peers own keys from the start; the others join when started. */
  readonly ringSeed: number;
  /** Peers started at the beginning (at least the ring seed). */
  readonly startedAtFirst: number;
  /** Ticks each peer's clock runs ahead. */
  readonly skews: readonly number[];
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly keys: number;
  /** One list per client, run in order. */
  readonly clients: readonly (readonly ClientOp[])[];
  readonly events: readonly NemesisEvent[];
  readonly durationTicks: number;
  readonly kv?: Partial<KvConfig>;
  readonly opTimeoutTicks?: number;
  readonly settleTicksMax?: number;
  readonly trace?: boolean;
  /**
   * Skip leaves and removals that would take the ring below N = 3 owners (as the acting peer sees
   * it): a ring of fewer than N peers places no key, and such rings hide every other finding
   * behind one bug (see the report). Default false.
   */
  readonly keepRingAtLeastN?: boolean;
  /**
   * What fires an armed `partition-at-catch-up`: 'owners' (default), the first `ring.changed`
   * whose owners differ from that peer's previous ones (a transition ending); 'any-state', the
   * first `ring.changed` at all (any change of a peer's ring state: a transition starting, a
   * status or a catch-up changing, as well as one ending).
   */
  readonly trigger?: 'owners' | 'any-state';
}

export interface AttackResult {
  readonly history: RegisterHistory;
  readonly finalReadIds: ReadonlySet<number>;
  readonly stores: readonly KeyPlacement[] | undefined;
  readonly report: CheckReport;
  /** The same history with every failed update counted as info. */
  readonly lenientReport: CheckReport;
  /** Ring not settled within the bound after healing (with crashed peers restarted), and why. */
  readonly stuck: string | undefined;
  /** Still not settled after peers that left were started again too. */
  readonly stuckHard: string | undefined;
  /** Why the ring was stuck (`stuck`), judged at that moment: see `stuckCause`. */
  readonly stuckCause: StuckCause | undefined;
  readonly dataSettled: boolean;
  /** Peers that left gracefully and still hold records waiting for acknowledgements that cannot come. */
  readonly leftovers: readonly string[];
  /** After settling: peers that left the group gracefully while the ring still counts them (`lingering`). */
  readonly lingering: readonly string[];
  readonly ringChanges: { joins: number; leaves: number; abruptLeaves: number; removals: number; rejoins: number; removeRefused: number };
  readonly log: readonly string[];
  readonly cluster: KvCluster;
}

const kindOf = (op: 'put' | 'read' | 'delete'): RegisterOperationKind => (op === 'put' ? 'write' : op);

interface Flight {
  readonly id: number;
  readonly process: number;
  readonly client: number;
  readonly kind: RegisterOperationKind;
  readonly key: string;
  readonly value: string | undefined;
  readonly coordinator: PeerId;
  readonly machine: unknown;
  readonly invokeTick: number;
}

export function runAttack(config: AttackConfig): AttackResult {
  const log: string[] = [];
  const say = (text: string): void => {
    log.push(text);
    if (config.trace) console.log(text);
  };
  const opTimeout = config.opTimeoutTicks ?? 60;
  const settleMax = config.settleTicksMax ?? 800;
  const operations: RegisterOperation[] = [];
  const inFlight = new Map<string, Flight>();
  const ids = Array.from({ length: config.peers }, (_, index) => `${index + 1}.0.0.0:0`);
  let processes = 0;
  const processOf = config.clients.map(() => processes++);
  const busy = config.clients.map(() => false);
  const nextOp = config.clients.map(() => 0);
  const nextTick = config.clients.map(() => 0);

  /** Recorded times are ticks since the workload began (the simulator's tick `base`). */
  let base = 0;
  let armed: Extract<NemesisEvent, { kind: 'partition-at-catch-up' }> | undefined;
  /** Each running peer's owners as its last ring change said. */
  const ownersOf = new Map<PeerId, string>();
  const record = (flight: Flight, completeTick: number, outcome: { outcome: 'ok' | 'fail' | 'info'; value?: string; error?: string }): void => {
    operations.push({
      id: flight.id,
      process: flight.process,
      kind: flight.kind,
      key: flight.key,
      ...(flight.kind === 'write' ? { value: flight.value as string } : outcome.value !== undefined ? { value: outcome.value } : {}),
      outcome: outcome.outcome,
      invokeMs: flight.invokeTick,
      completeMs: completeTick,
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      coordinator: flight.coordinator,
    });
    busy[flight.client] = false;
    if (outcome.outcome === 'info') processOf[flight.client] = processes++;
  };

  const cluster: KvCluster = new KvCluster({
    protocol: config.protocol,
    peers: config.peers,
    seed: config.seed,
    durable: true,
    kv: { ...KV_DEFAULTS, ...config.kv },
    ringSeed: ids.slice(0, config.ringSeed),
    network: { loss: config.loss, duplicate: config.duplicate, reorder: config.reorder },
    onResult: (coordinator, result: KvResult, now) => {
      const flight = inFlight.get(`${coordinator}/${result.transaction}`);
      if (flight === undefined) return;
      inFlight.delete(`${coordinator}/${result.transaction}`);
      const outcome = outcomeOf(flight.kind, result);
      record(flight, now - base, outcome);
      if (config.trace) say(`  t=${now} #${flight.id} p${flight.process} ${flight.kind} ${flight.key}${flight.value ? `=${flight.value}` : ''} via ${coordinator[0]} -> ${result.ok ? 'ok' : result.reason}${result.value !== undefined && flight.kind === 'read' ? ` ${result.value}` : ''} v=${result.version ? `${result.version.tick}.${result.version.counter}.${result.version.peer[0]}` : '-'} [${result.replicas.map((r) => `${r.peer[0]}${r.ok === undefined ? '?' : r.ok ? '+' : '-'}`).join(' ')}]`);
    },
    onEvent: (event) => {
      // A peer's owners, by the ring states its `ring.changed` events carry: the trigger below is
      // a change of owners (a transition ending), not any change of the state (one starting).
      if (event.kind === 'peer.crashed' || event.kind === 'peer.restarted' || event.kind === 'peer.started') ownersOf.delete(event.peer);
      let ownersChanged = true;
      if (event.kind === 'ring.changed' && event.entries !== undefined) {
        const owners = event.entries.filter((entry) => entry.status === 'normal' || entry.status === 'leaving').map((entry) => entry.peer).sort().join(',');
        ownersChanged = ownersOf.get(event.peer) !== owners;
        ownersOf.set(event.peer, owners);
      }
      // The first peer whose ring changes after the trigger is armed: a transition just ended there
      // (the last gainer caught up), and its announcement is about to leave; with `trigger:
      // 'any-state'`, any change of its state (a transition starting too).
      if (armed !== undefined && event.kind === 'ring.changed' && (ownersChanged || config.trigger === 'any-state')) {
        const trigger = armed;
        armed = undefined;
        // The peer whose ring just changed, with the peers the mask picks, against the others.
        const near = new Set(ids.filter((id, index) => id === event.peer || (trigger.mask >> index) & 1));
        const far = new Set<PeerId>();
        const ending = trigger.splitOverlap ? ids.map((id) => (cluster.sim.status(id) === 'running' ? (cluster.machine(id) as KvPeer).transition : undefined)).find((transition) => transition !== undefined) : undefined;
        if (ending !== undefined) {
          const before = ending.before.preferenceList('k0');
          const after = ending.after.preferenceList('k0');
          const common = before.filter((id) => after.includes(id)).sort((a, b) => (a === event.peer ? -1 : b === event.peer ? 1 : 0));
          for (const id of [...after.filter((peer) => !before.includes(peer)), ...common.slice(0, 1)]) near.add(id);
          for (const id of [...before.filter((peer) => !after.includes(peer)), ...common.slice(1)]) {
            if (id === event.peer) continue;
            near.delete(id);
            far.add(id);
          }
        }
        const side = ids.filter((id) => near.has(id) && !far.has(id));
        const other = ids.filter((id) => !side.includes(id));
        if (side.length === 0 || other.length === 0) return;
        cluster.sim.network.partition(side, other, trigger.oneWay);
        say(`t=${cluster.now} (as ${event.peer[0]}'s ring changes) partition ${side.map((id) => id[0]).join('')} ${trigger.oneWay ? '-/->' : '|'} ${other.map((id) => id[0]).join('')}, healed in ${trigger.healAfter}`);
        cluster.sim.at(cluster.now + trigger.healAfter, () => {
          cluster.sim.network.healAll();
          cluster.sim.network.configure({ loss: config.loss, duplicate: config.duplicate, reorder: config.reorder });
          say(`t=${cluster.now} heal (after the catch-up partition)`);
        });
      }
      if (event.kind === 'log' && event.text.startsWith('ring') && config.trace) say(`    [${event.tick}] ${event.peer[0]}: ${event.text}`);
      if (event.kind === 'ring.changed' && event.entries !== undefined && config.trace) say(`    [${event.tick}] ${event.peer[0]}: state ${event.entries.map((entry) => `${entry.peer[0]}:${entry.status}@${entry.stamp}`).join(' ')}${ownersChanged ? ' (owners changed)' : ''}`);
    },
  });
  ids.forEach((id, index) => cluster.sim.setClockAhead(id, config.skews[index % config.skews.length] ?? 0));
  for (const id of ids.slice(0, Math.max(config.ringSeed, config.startedAtFirst))) cluster.start(id);
  cluster.runUntil(40);
  base = cluster.now;

  // Every start (first life, restart, rejoin) may join through any other peer: `cluster.start`
  // sends a first life to peer 1 only, and a late peer whose introducer is down founds a group of
  // its own for good (a harness artefact, not the store's).
  const startPeer = (id: PeerId): void => {
    cluster.sim.start(id, { type: 'join', introducers: ids.filter((other) => other !== id) });
  };
  const changes = { joins: 0, leaves: 0, abruptLeaves: 0, removals: 0, rejoins: 0, removeRefused: 0 };
  const everStarted = new Set(ids.slice(0, Math.max(config.ringSeed, config.startedAtFirst)));
  const members = (): PeerId[] => ids.filter((id) => cluster.sim.status(id) === 'running' && cluster.membership(id)?.status === 'member');
  const running = (): PeerId[] => ids.filter((id) => cluster.sim.status(id) === 'running');
  const peer = (index: number): PeerId => ids[index % ids.length] as PeerId;
  const entryOf = (viewer: PeerId, subject: PeerId): string => (cluster.machine(viewer) as KvPeer | undefined)?.ringEntries().find((entry) => entry.peer === subject)?.status ?? 'none';

  /** Whether taking one more peer out keeps at least N owners, as `viewer` sees the ring. */
  const mayShrink = (viewer: PeerId | undefined): boolean => {
    if (!config.keepRingAtLeastN) return true;
    const views = viewer !== undefined && cluster.machine(viewer) !== undefined ? [viewer] : members();
    return views.every((id) => ((cluster.machine(id) as KvPeer | undefined)?.ringEntries().filter((entry) => entry.status === 'normal').length ?? 0) > KV_DEFAULTS.ring.replicas);
  };
  const apply = (event: NemesisEvent): void => {
    const now = cluster.now;
    switch (event.kind) {
      case 'crash': {
        const id = peer(event.peer);
        if (cluster.sim.status(id) !== 'running' || running().length <= 1) return;
        cluster.crash(id);
        say(`t=${now} crash ${id[0]}`);
        return;
      }
      case 'start': {
        const id = peer(event.peer);
        const status = cluster.sim.status(id);
        if (status === 'running') return;
        if (status === 'stopped') changes.joins++;
        else if (status === 'left' || entryOf(members()[0] ?? id, id) === 'removed') changes.rejoins++;
        everStarted.add(id);
        startPeer(id);
        say(`t=${now} start ${id[0]} (was ${status})`);
        return;
      }
      case 'partition': {
        const live = ids.filter((id) => everStarted.has(id));
        const side = live.filter((_, index) => (event.mask >> index) & 1);
        const other = live.filter((id) => !side.includes(id));
        if (side.length === 0 || other.length === 0) return;
        cluster.sim.network.partition(side, other, event.oneWay);
        say(`t=${now} partition ${side.map((id) => id[0]).join('')} ${event.oneWay ? '-/->' : '|'} ${other.map((id) => id[0]).join('')}`);
        return;
      }
      case 'partition-at-catch-up':
        armed = event;
        say(`t=${now} armed a partition for the next catch-up`);
        return;
      case 'heal':
        cluster.sim.network.healAll();
        cluster.sim.network.configure({ loss: config.loss, duplicate: config.duplicate, reorder: config.reorder });
        say(`t=${now} heal`);
        return;
      case 'net':
        cluster.sim.network.configure({ loss: event.loss, duplicate: event.duplicate, reorder: event.reorder });
        say(`t=${now} net loss=${event.loss} dup=${event.duplicate} reorder=${event.reorder}`);
        return;
      case 'leave': {
        const id = peer(event.peer);
        if (cluster.sim.status(id) !== 'running' || cluster.membership(id)?.status !== 'member' || !mayShrink(undefined)) return;
        changes.leaves++;
        cluster.sim.command(id, { type: 'leave' });
        say(`t=${now} graceful leave ${id[0]} (its entry: ${entryOf(id, id)})`);
        return;
      }
      case 'abrupt-leave': {
        const id = peer(event.peer);
        if (cluster.sim.status(id) !== 'running' || running().length <= 1 || !mayShrink(undefined)) return;
        changes.abruptLeaves++;
        const entry = entryOf(id, id);
        cluster.leave(id);
        say(`t=${now} abrupt leave ${id[0]} (its entry: ${entry})`);
        return;
      }
      case 'remove': {
        // An operator removes a peer that is gone (crashed or left) when there is one; otherwise the one named.
        const gone = ids.filter((candidate) => everStarted.has(candidate) && cluster.sim.status(candidate) !== 'running');
        const id = gone.length > 0 && !event.anyPeer ? (gone[event.peer % gone.length] as PeerId) : peer(event.peer);
        const viewers = members().filter((candidate) => candidate !== id);
        if (viewers.length === 0) return;
        const via = viewers[event.via % viewers.length] as PeerId;
        if (!mayShrink(via) || !mayShrink(undefined)) return;
        const before = entryOf(via, id);
        let answer: unknown;
        const machine = cluster.machine(via) as KvPeer;
        const outputs = machine.step({ kind: 'command', command: { type: 'kv.remove', peer: id } }, cluster.sim.clockOf(via));
        // Hand the outputs to the network as the simulator would (sim.command does exactly this).
        for (const output of outputs) {
          if (output.kind === 'send') cluster.sim.network.send(via, output.to, output.message, cluster.now);
          else if (output.kind === 'reply') answer = output.reply;
        }
        const ok = (answer as { ok?: boolean } | undefined)?.ok === true;
        if (ok) changes.removals++;
        else changes.removeRefused++;
        say(`t=${now} remove ${id[0]} via ${via[0]} (${id[0]} is ${cluster.sim.status(id)}, its entry at ${via[0]}: ${before}) -> ${ok ? 'ok' : JSON.stringify(answer)}`);
        return;
      }
    }
  };

  let nextId = 0;
  let transaction = 0;
  let written = 0;
  const issue = (client: number): void => {
    const list = config.clients[client] as readonly ClientOp[];
    const op = list[nextOp[client] as number];
    if (op === undefined) return;
    const candidates = members();
    if (candidates.length === 0) return;
    nextOp[client] = (nextOp[client] as number) + 1;
    const coordinator = candidates[op.coordinator % candidates.length] as PeerId;
    const key = `k${op.key % config.keys}`;
    const value = op.kind === 'put' ? `c${client}v${++written}` : undefined;
    const flight: Flight = { id: nextId++, process: processOf[client] as number, client, kind: kindOf(op.kind), key, value, coordinator, machine: cluster.machine(coordinator), invokeTick: cluster.now - base };
    busy[client] = true;
    const tx = ++transaction;
    inFlight.set(`${coordinator}/${tx}`, flight);
    nextTick[client] = cluster.now + op.thinkTicks;
    cluster.client(coordinator, { transaction: tx, op: op.kind, key, ...(value === undefined ? {} : { value }) });
  };
  const giveUp = (all: boolean): void => {
    for (const [key, flight] of inFlight) {
      const gone = cluster.machine(flight.coordinator) !== flight.machine;
      const late = cluster.now - base - flight.invokeTick >= opTimeout;
      if (!gone && !late && !all) continue;
      inFlight.delete(key);
      record(flight, cluster.now - base, { outcome: 'info', error: gone ? 'coordinator crashed' : 'no answer' });
    }
  };

  // Recorded times are ticks since `base`; an answer at the simulator's tick T is recorded as T - base.
  const byTick = new Map<number, NemesisEvent[]>();
  for (const event of config.events) {
    const list = byTick.get(event.at) ?? [];
    list.push(event);
    byTick.set(event.at, list);
  }
  for (let tick = 0; tick < config.durationTicks; tick++) {
    for (const event of byTick.get(tick) ?? []) apply(event);
    for (let client = 0; client < config.clients.length; client++) {
      if (!busy[client] && cluster.now >= (nextTick[client] as number)) issue(client);
    }
    cluster.runUntil(cluster.now + 1);
    giveUp(false);
  }
  for (let guard = 0; inFlight.size > 0 && guard <= opTimeout; guard++) {
    cluster.runUntil(cluster.now + 1);
    giveUp(false);
  }
  giveUp(true);

  // Heal: the network, and every crashed peer back (removed ones rejoin); no more faults.
  armed = undefined;
  cluster.sim.network.healAll();
  for (const id of ids) if (cluster.sim.status(id) === 'crashed') startPeer(id);
  say(`t=${cluster.now} heal all, restart crashed`);
  const settleBy = (limit: number): boolean => {
    const end = cluster.now + limit;
    while (cluster.now < end && ringProblem(cluster, ids) !== undefined) cluster.runUntil(cluster.now + 5);
    return ringProblem(cluster, ids) === undefined;
  };
  let stuck: string | undefined;
  let stuckHard: string | undefined;
  let stuckCause: StuckCause | undefined;
  let settled = settleBy(settleMax);
  // The operator's duty: a peer gone for good (stopped after an abrupt leave) that the ring still
  // counts is removed, so its ranges move and the convergence check judges the real owners.
  const gone = goneOwners(cluster, ids);
  if (gone.length > 0) {
    const via = members()[0];
    if (via !== undefined) {
      for (const id of gone) {
        const outputs = (cluster.machine(via) as KvPeer).step({ kind: 'command', command: { type: 'kv.remove', peer: id } }, cluster.sim.clockOf(via));
        let answer: unknown;
        for (const output of outputs) {
          if (output.kind === 'send') cluster.sim.network.send(via, output.to, output.message, cluster.now);
          else if (output.kind === 'reply') answer = output.reply;
        }
        say(`t=${cluster.now} operator: remove gone ${id[0]} via ${via[0]} -> ${(answer as { ok?: boolean } | undefined)?.ok === true ? 'ok' : JSON.stringify(answer)}`);
      }
      settled = settleBy(settleMax);
    }
  }
  if (!settled) {
    stuck = ringProblem(cluster, ids);
    stuckCause = stuckCauseOf(cluster, ids, { ...KV_DEFAULTS, ...config.kv });
    say(`t=${cluster.now} NOT SETTLED: ${stuck}; cause ${stuckCause.kind}: ${stuckCause.detail}`);
    for (const id of ids) if (cluster.sim.status(id) === 'left' || cluster.sim.status(id) === 'crashed') startPeer(id);
    if (!settleBy(settleMax)) {
      stuckHard = ringProblem(cluster, ids);
      say(`t=${cluster.now} STILL NOT SETTLED: ${stuckHard}`);
    }
  }
  // Data: wait for handoffs and anti-entropy (bounded).
  const dataBy = (limit: number): boolean => {
    const end = cluster.now + limit;
    while (cluster.now < end && dataProblems(cluster, ids).length > 0) cluster.runUntil(cluster.now + 10);
    return dataProblems(cluster, ids).length === 0;
  };
  const dataSettled = dataBy(400);
  const leftovers = ids.flatMap((id) => {
    const machine = cluster.machine(id) as KvPeer | undefined;
    return cluster.sim.status(id) === 'running' && machine?.membership.status === 'left' && machine.pendingHandoffs > 0 ? [`${id[0]} left the group holding ${machine.pendingHandoffs} record(s) not yet acknowledged`] : [];
  });

  // One final read per key, through the members in turn.
  const finalReadIds = new Set<number>();
  const keys = Array.from({ length: config.keys }, (_, index) => `k${index}`);
  const finalClient = config.clients.length;
  processOf.push(processes++);
  busy.push(false);
  for (const [index, key] of keys.entries()) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const candidates = members();
      const coordinator = candidates[(index + attempt) % Math.max(1, candidates.length)];
      if (coordinator === undefined) break;
      const flight: Flight = { id: nextId++, process: processOf[finalClient] as number, client: finalClient, kind: 'read', key, value: undefined, coordinator, machine: cluster.machine(coordinator), invokeTick: cluster.now - base };
      const tx = ++transaction;
      inFlight.set(`${coordinator}/${tx}`, flight);
      cluster.client(coordinator, { transaction: tx, op: 'read', key });
      for (let guard = 0; inFlight.size > 0 && guard <= opTimeout; guard++) {
        cluster.runUntil(cluster.now + 1);
        giveUp(false);
      }
      giveUp(true);
      const done = operations.find((operation) => operation.id === flight.id);
      if (done?.outcome === 'ok') {
        finalReadIds.add(flight.id);
        break;
      }
      cluster.runUntil(cluster.now + 20);
    }
  }
  const history: RegisterHistory = { operations: [...operations].sort((a, b) => a.id - b.id) };
  // A key no peer holds (never written, or its tombstone collected) is converged: nothing anywhere.
  // A ring of fewer than N peers places no key: convergence is not judged then.
  // Settled again (a removed running peer rejoins a moment after its removal ends).
  const settledAtEnd = stuckHard === undefined && settleBy(settleMax);
  if (settledAtEnd) dataBy(400);
  const lingeringAtEnd = lingering(cluster, ids);
  for (const line of lingeringAtEnd) say(`lingering: ${line}`);
  const ringPlaces = settledAtEnd && ids.some((id) => cluster.sim.status(id) === 'running' && (cluster.machine(id) as KvPeer).membership.status === 'member' && (cluster.machine(id) as KvPeer).ring.placesKeys);
  const stores = ringPlaces ? placements(cluster, ids, keys).filter((placement) => placement.holders.length > 0) : undefined;
  if (!ringPlaces) say(`the ring did not settle (or places no key): convergence not judged`);
  const report = checkHistory(history, { finalReadIds, ...(stores ? { stores } : {}) });
  const lenient: RegisterHistory = {
    operations: history.operations.map((operation) => (operation.kind !== 'read' && operation.outcome === 'fail' && (operation.error === 'no-quorum' || operation.error === 'no-ring') ? { ...operation, outcome: 'info' as const } : operation)),
  };
  const lenientReport = checkHistory(lenient, { finalReadIds, checks: ['invented-value', 'stale-read', 'lost-write', 'linearizability'] });
  return { history, finalReadIds, stores, report, lenientReport, stuck, stuckHard, stuckCause, dataSettled, leftovers, lingering: lingeringAtEnd, ringChanges: changes, log, cluster };
}

/** Why the ring has not settled (running members disagree, or a transition is pending), or undefined. */
export function ringProblem(cluster: KvCluster, ids: readonly PeerId[]): string | undefined {
  const peers = ids.filter((id) => cluster.sim.status(id) === 'running').map((id) => cluster.machine(id) as KvPeer);
  const active = peers.filter((peer) => peer.membership.status === 'member');
  // Every peer left (or none runs): no ring to settle.
  if (active.length === 0) return peers.some((peer) => peer.membership.status === 'joining') ? 'no running member' : undefined;
  const fingerprints = new Set(active.map((peer) => peer.ringFingerprint));
  const pending = active.find((peer) => peer.transition !== undefined);
  const describe = (peer: KvPeer): string => {
    const transition = peer.transition;
    const entries = peer.ringEntries().map((entry) => `${entry.peer[0]}:${entry.status}@${entry.stamp}`).join(' ');
    const waiting = transition?.gainers.filter((gainer) => peer.ringState()?.caughtUp.find((entry) => entry.peer === gainer)?.transition !== transition.id);
    return `${peer.id[0]} sees [${entries}]${transition ? `, +${transition.joining.map((id) => id[0]).join('')} -${transition.leaving.map((id) => id[0]).join('')}, waiting for gainers ${waiting?.map((gainer) => `${gainer[0]}(${cluster.sim.status(gainer)})`).join(',')}` : ''}`;
  };
  if (fingerprints.size > 1) return `ring states differ: ${active.map(describe).join('; ')}`;
  if (pending !== undefined) return `transition pending: ${describe(pending)}`;
  // A running member (not leaving) that the ring does not hold announces that it joins.
  // (One that never heard a ring state, every owner having left, has nothing to join.)
  const rejoining = active.filter((peer) => !peer.leaving && peer.ringEntries().length > 0 && (peer.ringEntries().find((entry) => entry.peer === peer.id)?.status ?? 'removed') === 'removed');
  if (rejoining.length > 0) return `running members out of the ring (they rejoin): ${rejoining.map((peer) => peer.id[0]).join(',')}`;
  const notMember = peers.filter((peer) => peer.membership.status !== 'member' && peer.membership.status !== 'left');
  if (notMember.length > 0) return `running peers not members: ${notMember.map((peer) => `${peer.id[0]}(${peer.membership.status})`).join(',')}`;
  return undefined;
}

/**
 * Peers gone for good (stopped right after a leave: `abrupt-leave`) that a running member's ring
 * still counts as owners or joiners: the operator removes them. A peer that left the group
 * gracefully is not among them: its leave is to take it out of the ring first (`lingering`).
 */
export function goneOwners(cluster: KvCluster, ids: readonly PeerId[]): PeerId[] {
  const viewer = ids.find((id) => cluster.sim.status(id) === 'running' && (cluster.machine(id) as KvPeer).membership.status === 'member');
  if (viewer === undefined) return [];
  const entries = (cluster.machine(viewer) as KvPeer).ringEntries();
  return ids.filter((id) => {
    const status = entries.find((entry) => entry.peer === id)?.status;
    return cluster.sim.status(id) === 'left' && (status === 'normal' || status === 'joining');
  });
}

/** Peers that left the group gracefully (still running) while a running member's ring still counts them as owners or joiners. */
export function lingering(cluster: KvCluster, ids: readonly PeerId[]): string[] {
  const viewers = ids.filter((id) => cluster.sim.status(id) === 'running' && (cluster.machine(id) as KvPeer).membership.status === 'member');
  return ids.flatMap((id) => {
    if (cluster.sim.status(id) !== 'running' || (cluster.machine(id) as KvPeer).membership.status !== 'left') return [];
    const seen = viewers.filter((viewer) => ['normal', 'joining'].includes((cluster.machine(viewer) as KvPeer).ringEntries().find((entry) => entry.peer === id)?.status ?? 'none'));
    return seen.length === 0 ? [] : [`${id[0]} left the group gracefully, yet ${seen.map((viewer) => viewer[0]).join(',')} still count${seen.length === 1 ? 's' : ''} it as ${(cluster.machine(seen[0] as PeerId) as KvPeer).ringEntries().find((entry) => entry.peer === id)?.status} (its own state: ${(cluster.machine(id) as KvPeer).ringEntries().find((entry) => entry.peer === id)?.status ?? 'none'})`];
  });
}

/**
 * Why a ring has not settled, judged from the running members' states (after the operator removed
 * the peers gone for good):
 * - 'inherent': for some key range the transition moves to a gainer that has not caught up, at
 *   least min(R, W) of its old owners are gone for good (stopped after an abrupt leave; crashed
 *   peers have been restarted by then): an acknowledged write may be on gone peers only, so no
 *   transition can end safely until they come back. Judged from the rings alone, not from the
 *   store's own pull rule;
 * - 'leaver-needed': the same shortfall, but made up by peers that left the group gracefully
 *   (running, membership 'left'): a graceful leave should have moved their data first (a bug);
 * - 'gainer-gone': a gainer that has not caught up is gone (the operator's removal should have
 *   unblocked it);
 * - 'differ': running members hold different states (they should converge by gossip);
 * - 'sources-running': every waiting gainer runs and enough old owners of each range run, yet the
 *   transition does not end (a bug);
 * - 'nobody': no running member at all (every peer left): nothing can settle;
 * - 'other': no transition (running peers not members, …).
 */
export interface StuckCause {
  readonly kind: 'inherent' | 'nobody' | 'leaver-needed' | 'gainer-gone' | 'differ' | 'sources-running' | 'other';
  readonly detail: string;
}

export function stuckCauseOf(cluster: KvCluster, ids: readonly PeerId[], kv: KvConfig): StuckCause {
  const member = (id: PeerId): boolean => cluster.sim.status(id) === 'running' && (cluster.machine(id) as KvPeer).membership.status === 'member';
  const goneForGood = (id: PeerId): boolean => cluster.sim.status(id) === 'left';
  const leftGracefully = (id: PeerId): boolean => cluster.sim.status(id) === 'running' && (cluster.machine(id) as KvPeer).membership.status === 'left';
  const active = ids.filter(member).map((id) => cluster.machine(id) as KvPeer);
  if (active.length === 0) return { kind: 'nobody', detail: 'every peer left' };
  if (new Set(active.map((peer) => peer.ringFingerprint)).size > 1) return { kind: 'differ', detail: ringProblem(cluster, ids) ?? '' };
  const viewer = active.find((peer) => peer.transition !== undefined);
  if (viewer === undefined) return { kind: 'other', detail: ringProblem(cluster, ids) ?? '' };
  const transition = viewer.transition as RingTransition;
  const caughtUp = new Map((viewer.ringState() as RingStateWire).caughtUp.map((entry) => [entry.peer, entry.transition]));
  const waiting = transition.gainers.filter((gainer) => caughtUp.get(gainer) !== transition.id);
  const short = (id: PeerId): string => id.split('.')[0] as string;
  const smaller = Math.min(kv.readQuorum, kv.writeQuorum);
  const positions = [...new Set([...transition.before.tokens, ...transition.after.tokens].map((token) => token.position))].sort((a, b) => a - b);
  const inherent = new Set<string>();
  const leaverNeeded = new Set<string>();
  for (const position of positions) {
    const before = transition.before.preferenceListAt(position);
    // A gainer: a new owner of the range, or any owner of a range that has fewer owners after it
    // (each must pull: ring-state.ts's `gains`), that has not caught up.
    const next = transition.after.preferenceListAt(position);
    const gainers = next.filter((peer) => (!before.includes(peer) || next.length < before.length) && waiting.includes(peer));
    if (gainers.length === 0) continue;
    const gone = before.filter(goneForGood);
    const left = before.filter(leftGracefully);
    const label = `${gainers.map(short).join('')} from ${before.map(short).join('')} (gone ${gone.map(short).join('') || '-'}${left.length > 0 ? `, left ${left.map(short).join('')}` : ''})`;
    if (gone.length >= Math.min(smaller, before.length)) inherent.add(label);
    else if (gone.length + left.length >= Math.min(smaller, before.length)) leaverNeeded.add(label);
  }
  if (inherent.size > 0) return { kind: 'inherent', detail: [...inherent].join('; ') };
  if (leaverNeeded.size > 0) return { kind: 'leaver-needed', detail: [...leaverNeeded].join('; ') };
  const gone = waiting.filter((gainer) => !member(gainer));
  if (gone.length > 0) return { kind: 'gainer-gone', detail: `gainers gone: ${gone.map(short).join(',')}` };
  return { kind: 'sources-running', detail: `waiting for ${waiting.map(short).join(',')}: ${ringProblem(cluster, ids) ?? ''}` };
}

/** Keys not on exactly their owners at one version (running peers; peers that left hold nothing). */
export function dataProblems(cluster: KvCluster, ids: readonly PeerId[]): string[] {
  const peers = ids.filter((id) => cluster.sim.status(id) === 'running').map((id) => cluster.machine(id) as KvPeer).filter((peer) => peer.membership.status !== 'left');
  const member = peers.find((peer) => peer.membership.status === 'member');
  if (member === undefined) return ['no member'];
  const ring = member.ring;
  const keys = new Set<string>();
  for (const peer of peers) for (const record of peer.records()) keys.add(record.key);
  const problems: string[] = [];
  for (const key of keys) {
    const owners = ring.preferenceList(key);
    const holders = peers.filter((peer) => peer.record(key) !== undefined).map((peer) => peer.id);
    if (holders.length !== owners.length || owners.some((owner) => !holders.includes(owner))) problems.push(`${key} on ${holders.map((id) => id[0]).join('')}, owners ${owners.map((id) => id[0]).join('')}`);
    else if (new Set(owners.map((owner) => JSON.stringify((cluster.machine(owner) as KvPeer).record(key)?.version))).size > 1) problems.push(`${key}: owners disagree`);
  }
  return problems;
}

function placements(cluster: KvCluster, ids: readonly PeerId[], keys: readonly string[]): KeyPlacement[] {
  const member = ids.map((id) => cluster.machine(id) as KvPeer | undefined).find((peer) => peer !== undefined && cluster.sim.status(peer.id) === 'running' && peer.membership.status === 'member');
  const ring = member?.ring;
  return keys.map((key) => ({
    key,
    owners: ring?.preferenceList(key) ?? [],
    holders: ids.flatMap((id) => {
      // A peer that left the group is not part of the cluster any more (its leftovers are reported apart).
      if (cluster.sim.status(id) !== 'running' || (cluster.machine(id) as KvPeer).membership.status === 'left') return [];
      const record = (cluster.machine(id) as KvPeer).record(key);
      return record === undefined ? [] : [{ peer: id, ...(record.deleted ? {} : { value: record.value }), deleted: record.deleted === true, version: `${record.version.tick}.${record.version.counter}.${record.version.peer}` }];
    }),
  }));
}

/** The anomalies of a report as short lines. */
export function anomalyLines(report: CheckReport): string[] {
  return report.anomalies.map((anomaly) => `${anomaly.kind}: ${anomaly.sentence}`);
}
