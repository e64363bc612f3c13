/**
 * Minimal deterministic scenarios, reduced by hand from histories the adversarial property
 * (`kv-attack-ring-changes.test.ts`) found. Each runs the shortest schedule that broke a guarantee
 * the store claims (strict quorums, durable peers, fenced ring transitions) and asserts only that
 * guarantee, never an intermediate state of the store:
 * - a read that starts after a write was acknowledged returns it or a later one, or fails; a write
 *   acknowledged is not lost; a write reported as certainly not done is never read (the checker,
 *   `checkHistory`, on every operation recorded);
 * - the ring settles once the peers it needs run;
 * - once the ring has settled, each key is on its owners only.
 * A test fails while its bug is there. Scenarios of bugs fixed since stay as regressions.
 *
 * Peers are `1.0.0.0:0` … (written A, B, C, X below by role). Every cluster is gossip, seed 1,
 * durable stores, the default key-value configuration unless said otherwise.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/shared/check/report.ts';
import type { RegisterHistory, RegisterOperation } from '../../src/shared/check/register-history.ts';
import { outcomeOf } from '../../src/shared/check/run.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import type { PeerId } from '../../src/shared/machine.ts';
import { KV_DEFAULTS, type KvConfig } from '../../src/shared/kv/config.ts';
import type { KvPeer, KvResult } from '../../src/shared/kv/peer.ts';
import { HashCache } from '../../src/shared/ring/hash.ts';
import { Ring } from '../../src/shared/ring/ring.ts';
import { KvCluster } from '../../src/shared/sim/kv-cluster.ts';

interface Options {
  readonly peers: number;
  readonly ringSeed: number;
  readonly kv?: Partial<KvConfig>;
  readonly skew?: Readonly<Record<number, number>>;
  readonly onEvent?: (event: JournalEvent) => void;
}

/** A cluster, a recorder of every client operation (for the checker) and a few helpers. */
function scenario(options: Options) {
  const results = new Map<number, KvResult>();
  const operations: RegisterOperation[] = [];
  const pending = new Map<number, { op: 'put' | 'read' | 'delete'; key: string; value?: string; coordinator: PeerId; invoked: number }>();
  const cluster: KvCluster = new KvCluster({
    protocol: 'gossip',
    peers: options.peers,
    seed: 1,
    durable: true,
    kv: { ...KV_DEFAULTS, ...options.kv },
    ringSeed: Array.from({ length: options.ringSeed }, (_, index) => `${index + 1}.0.0.0:0`),
    onResult: (_, result, now) => {
      results.set(result.transaction, result);
      const started = pending.get(result.transaction);
      if (started === undefined) return;
      pending.delete(result.transaction);
      const kind = started.op === 'put' ? ('write' as const) : started.op;
      const outcome = outcomeOf(kind, result);
      operations.push({
        id: operations.length,
        process: result.transaction,
        kind,
        key: started.key,
        ...(kind === 'write' ? { value: started.value as string } : outcome.value !== undefined ? { value: outcome.value } : {}),
        outcome: outcome.outcome,
        invokeMs: started.invoked,
        completeMs: now,
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      });
    },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const ids = cluster.ids;
  for (const [index, ticks] of Object.entries(options.skew ?? {})) cluster.sim.setClockAhead(ids[Number(index)] as PeerId, ticks);
  let transaction = 0;
  /** Sends an operation now; returns its transaction number. */
  const send = (coordinator: PeerId, op: 'put' | 'read' | 'delete', key: string, value?: string): number => {
    const id = ++transaction;
    pending.set(id, { op, key, ...(value === undefined ? {} : { value }), coordinator, invoked: cluster.now });
    cluster.client(coordinator, { transaction: id, op, key, ...(value === undefined ? {} : { value }) });
    return id;
  };
  /** Runs an operation to its answer (at most 100 ticks). */
  const run = (coordinator: PeerId, op: 'put' | 'read' | 'delete', key: string, value?: string): KvResult => {
    const id = send(coordinator, op, key, value);
    for (let guard = 0; guard < 100 && !results.has(id); guard++) cluster.runUntil(cluster.now + 1);
    const result = results.get(id);
    if (result === undefined) throw new Error(`no answer to ${op} ${key} through ${coordinator}`);
    return result;
  };
  const machine = (id: PeerId): KvPeer => cluster.machine(id) as KvPeer;
  const history = (): RegisterHistory => ({ operations: [...operations] });
  return { cluster, ids, send, run, results, machine, history };
}

const hashes = new HashCache();
const ringOf = (peers: readonly PeerId[]): Ring => new Ring(KV_DEFAULTS.ring, peers, hashes);
const idsOf = (count: number): PeerId[] => Array.from({ length: count }, (_, index) => `${index + 1}.0.0.0:0`);

/**
 * A key whose owners on the ring of peers 1–5 are [A, B, C] and, once peer 6 (X) has joined,
 * [X, A, B]: X takes C's place (a join inserts the joiner and drops the last owner).
 */
function keyDisplacedByJoin(): { key: string; A: PeerId; B: PeerId; C: PeerId; X: PeerId } {
  const ids = idsOf(6);
  const X = ids[5] as PeerId;
  const before = ringOf(ids.slice(0, 5));
  const after = ringOf(ids);
  for (let index = 0; ; index++) {
    const key = `k${index}`;
    const owners = before.preferenceList(key);
    if (!after.preferenceList(key).includes(X)) continue;
    const [A, B, C] = owners as [PeerId, PeerId, PeerId];
    expect(after.preferenceList(key)).toEqual([X, A, B]);
    return { key, A, B, C, X };
  }
}

/**
 * Starts X (peer 6) joining a ring of peers 1–5 and, the moment X records that it has caught up
 * (before its announcement leaves), cuts `cut` off from everyone else: the transition ends on
 * X, A and the peers that hear X, while `cut` stays in the transition.
 */
function joinAndCutAtCompletion(options: { skew?: Readonly<Record<number, number>>; cut: (roles: ReturnType<typeof keyDisplacedByJoin>) => PeerId[]; before?: (s: ReturnType<typeof scenario>, roles: ReturnType<typeof keyDisplacedByJoin>) => void }) {
  const roles = keyDisplacedByJoin();
  let cutNow: (() => void) | undefined;
  const s = scenario({
    peers: 6,
    ringSeed: 5,
    ...(options.skew ? { skew: options.skew } : {}),
    onEvent: (event) => {
      if (event.kind === 'log' && event.text.startsWith('ring: caught up') && cutNow) {
        cutNow();
        cutNow = undefined;
      }
    },
  });
  for (const id of s.ids.slice(0, 5)) s.cluster.start(id);
  s.cluster.runUntil(30);
  options.before?.(s, roles);
  const side = options.cut(roles);
  cutNow = () => s.cluster.sim.network.partition(side, s.ids.filter((id) => !side.includes(id)), false);
  s.cluster.start(roles.X);
  for (let guard = 0; guard < 300 && cutNow !== undefined; guard++) s.cluster.runUntil(s.cluster.now + 1);
  s.cluster.runUntil(s.cluster.now + 2);
  return { s, roles };
}

/** The checker's verdict on every operation recorded so far (`final`: ids of final reads, for the lost-write check). */
function anomaliesOf(s: ReturnType<typeof scenario>, final: readonly number[] = []): string[] {
  if (process.env.KV_SCENARIO_TRACE) for (const op of s.history().operations) console.log(`#${op.id} ${op.kind} ${op.key}${op.value !== undefined ? ` ${op.value}` : ''} -> ${op.outcome}${op.error ? ` (${op.error})` : ''} [${op.invokeMs}, ${op.completeMs}]`);
  return checkHistory(s.history(), { finalReadIds: new Set(final) }).anomalies.map((anomaly) => `${anomaly.kind}: ${anomaly.sentence}`);
}

/** Runs an operation to its answer; returns the id the history gives it (for `anomaliesOf`). */
function runRecorded(s: ReturnType<typeof scenario>, coordinator: PeerId, op: 'put' | 'read' | 'delete', key: string, value?: string): { result: KvResult; id: number } {
  const result = s.run(coordinator, op, key, value);
  return { result, id: s.history().operations.length - 1 };
}

/** Runs until the running members agree on a ring with no transition (at most `ticks`); true if they do. */
function settles(s: ReturnType<typeof scenario>, ticks: number): boolean {
  const settled = (): boolean => {
    const members = s.ids.filter((id) => s.cluster.sim.status(id) === 'running' && s.machine(id).membership.status === 'member').map((id) => s.machine(id));
    return members.length > 0 && new Set(members.map((peer) => peer.ringFingerprint)).size === 1 && members.every((peer) => peer.transition === undefined);
  };
  const end = s.cluster.now + ticks;
  while (s.cluster.now < end && !settled()) s.cluster.runUntil(s.cluster.now + 5);
  return settled();
}

describe('fixed (F1/F2): a transition ends on some peers while others still run it (the switch is not atomic)', () => {
  // X joins a ring of 1–5; the key's owners go from [A, B, C] to [X, A, B]. When X records that it
  // has caught up, B and C are cut off: X, A (and D, E) end the transition, B and C still run it.
  it('a read through a peer still in the transition returns the write acknowledged on the new ring (or fails)', () => {
    const { s, roles } = joinAndCutAtCompletion({ cut: ({ B, C }) => [B, C], before: (s, { key, A }) => expect(s.run(A, 'put', key, 'v0').ok).toBe(true) });
    const { key, A, B } = roles;
    expect(s.run(A, 'put', key, 'v1').ok, 'the write is acknowledged').toBe(true);
    s.cluster.sim.at(s.cluster.now + 1, () => s.cluster.sim.network.healAll());
    s.run(B, 'read', key);
    s.cluster.runUntil(s.cluster.now + 60);
    const read = runRecorded(s, B, 'read', key);
    expect(anomaliesOf(s, [read.id])).toEqual([]);
  });

  it('a read through a peer still in the transition does not find nothing after a write acknowledged on the new ring', () => {
    const { s, roles } = joinAndCutAtCompletion({ cut: ({ B, C }) => [B, C] });
    const { key, A, B } = roles;
    expect(s.run(A, 'put', key, 'v1').ok).toBe(true);
    s.run(B, 'read', key); // B and C still cut off: it must not answer from the old ring alone
    s.cluster.sim.network.healAll();
    s.cluster.runUntil(s.cluster.now + 60); // membership finds the cut-off peers alive again
    const read = runRecorded(s, B, 'read', key);
    expect(anomaliesOf(s, [read.id])).toEqual([]);
  });

  it('a write through a peer still in the transition, begun after another was acknowledged, wins over it', () => {
    // A's clock 10 ticks ahead: v1 through A is stamped ahead of B's clock. A put of v2 through B
    // must see v1 in its check round (it reads R of each ring) and stamp above it.
    const { s, roles } = joinAndCutAtCompletion({ skew: { 2: 10 }, cut: ({ B, C }) => [B, C] });
    const { key, A, B } = roles;
    expect(A).toBe('3.0.0.0:0'); // the skewed clock (index 2) is A's
    expect(s.run(A, 'put', key, 'v1').ok).toBe(true);
    s.cluster.sim.at(s.cluster.now + 1, () => s.cluster.sim.network.healAll());
    s.run(B, 'put', key, 'v2');
    s.cluster.runUntil(s.cluster.now + 20);
    const final = runRecorded(s, s.ids[3] as PeerId, 'read', key);
    expect(anomaliesOf(s, [final.id])).toEqual([]);
  });
});

describe('open (V): a transition that shrinks a range\'s owners (a ring of N peers or fewer) moves nothing', () => {
  it('3 → 2 (an operator removes a crashed peer) → 3 (a join): a read misses an acknowledged write', () => {
    // Ring {1, 2, 3}, N = 3: every key is on all three. v1 is written while 1 is cut off:
    // acknowledged by 2 and 3. 3 crashes and the operator removes it (one owner gone for good, fewer
    // than W). The ring after it, {1, 2}, has no gainer (its owners owned every key before,
    // ring-state.ts:264-272), so nobody pulls and the removal ends at once (ring-state.ts:190-200):
    // v1 is on one owner of {1, 2}, not W. 2 crashes (a crash, not a departure). 4 joins: it pulls
    // from |{1, 2}| − min(R, W) + 1 = 1 old owner (ring-state.ts:215), 1, which has nothing. A read
    // through 1, answered by 1 and 4, returns nil.
    const s = scenario({ peers: 4, ringSeed: 3 });
    const [P1, P2, P3, P4] = s.ids as [PeerId, PeerId, PeerId, PeerId];
    for (const id of [P1, P2, P3]) s.cluster.start(id);
    s.cluster.runUntil(30);
    s.cluster.sim.network.partition([P1], [P2, P3], false);
    expect(s.run(P2, 'put', 'k', 'v1').ok).toBe(true);
    s.cluster.sim.network.healAll();
    s.cluster.runUntil(s.cluster.now + 5);
    s.cluster.crash(P3);
    s.cluster.runUntil(s.cluster.now + 5);
    s.cluster.sim.command(P1, { type: 'kv.remove', peer: P3 });
    for (let guard = 0; guard < 60 && s.machine(P2).ring.peers.includes(P3); guard++) s.cluster.runUntil(s.cluster.now + 1);
    s.cluster.crash(P2);
    s.cluster.start(P4);
    s.cluster.runUntil(s.cluster.now + 60);
    const read = runRecorded(s, P1, 'read', 'k');
    expect(anomaliesOf(s, [read.id])).toEqual([]);
  });

  it('a graceful leave from a ring of N peers moves nothing: after a join, a read misses an acknowledged write', () => {
    // Ring {1, 2, 3}, N = R + 1 = 3: every key is on all three. v1 is written while 1 is cut off:
    // acknowledged by 2 and 3. 3 leaves gracefully while it cannot reach 1. The ring after the leave
    // is {1, 2}, whose owners were owners before: the transition has no gainer (ring-state.ts:264-272),
    // nobody pulls, it ends at once (completeIfDone, ring-state.ts:190-200) on 3 in the step it is
    // announced, and 3 says goodbye in that step too (peer.ts:269-273). Its handoff of v1 to 1 is lost,
    // and its retries are refused once 1 knows it left (peer.ts:325-328). v1 is now on one owner of
    // {1, 2} (2), not W. 2 crashes (one owner down: strict quorums still answer). 4 joins: its pull
    // needs |{1, 2}| − min(R, W) + 1 = 1 old owner (ring-state.ts:215), 1 answers with nothing, 4 has
    // caught up, the ring is {1, 2, 4}. A read through 1 answered by 1 and 4 returns nil.
    const s = scenario({ peers: 4, ringSeed: 3 });
    const [P1, P2, P3, P4] = s.ids as [PeerId, PeerId, PeerId, PeerId];
    for (const id of [P1, P2, P3]) s.cluster.start(id);
    s.cluster.runUntil(30);
    s.cluster.sim.network.partition([P1], [P2, P3], false);
    const write = runRecorded(s, P2, 'put', 'k', 'v1');
    expect(write.result.ok, 'v1 is acknowledged').toBe(true);
    s.cluster.sim.network.healAll();
    s.cluster.sim.network.partition([P1], [P3], false);
    s.cluster.sim.command(P3, { type: 'leave' });
    for (let guard = 0; guard < 60 && s.machine(P1).ring.peers.includes(P3); guard++) s.cluster.runUntil(s.cluster.now + 1);
    s.cluster.crash(P2);
    s.cluster.start(P4);
    s.cluster.runUntil(s.cluster.now + 60);
    const read = runRecorded(s, P1, 'read', 'k');
    expect(anomaliesOf(s, [read.id])).toEqual([]);
  });
});

describe('fixed: an operator removal decided on a stale ring state', () => {
  it('removing a peer whose join had ended elsewhere does not lose a write it acknowledged', () => {
    // Key owners [A, B, C] on the ring of 1–5, [X, A, B] once X (6) has joined. X joins; A hears
    // that X is joining and is then cut off; X's join ends everywhere else. v1 through B is
    // acknowledged (A is cut off). X crashes; the operator removes X through A, which still sees X
    // joining: a cancellation at the join's stamp, which the completed join beats. A read through C
    // must return v1 (or fail).
    const roles = keyDisplacedByJoin();
    const { key, A, B, C, X } = roles;
    const s = scenario({ peers: 6, ringSeed: 5 });
    for (const id of s.ids.slice(0, 5)) s.cluster.start(id);
    s.cluster.runUntil(30);
    expect(s.run(B, 'put', key, 'v0').ok).toBe(true);
    s.cluster.start(X);
    const entryAt = (viewer: PeerId): string | undefined => s.machine(viewer).ringEntries().find((entry) => entry.peer === X)?.status;
    for (let guard = 0; guard < 50 && entryAt(A) === undefined; guard++) s.cluster.runUntil(s.cluster.now + 1);
    s.cluster.sim.network.partition([A], s.ids.filter((id) => id !== A), false);
    s.cluster.runUntil(101);
    s.run(B, 'put', key, 'v1');
    s.cluster.crash(X);
    s.cluster.sim.command(A, { type: 'kv.remove', peer: X });
    s.cluster.runUntil(s.cluster.now + 5);
    s.cluster.sim.network.healAll();
    s.cluster.runUntil(s.cluster.now + 40);
    const read = runRecorded(s, C, 'read', key);
    expect(anomaliesOf(s, [read.id])).toEqual([]);
  });
});

describe('fixed: a transition interrupted by a join, then resumed', () => {
  it('a gainer whose catch-up predates a change pulls again: a write made in between is not lost', () => {
    // Ring {1..6}. C = 5 starts to leave; G1 = 1, a gainer, catches up; G2 = 2 is down, so the leave
    // does not end. X = 7 starts and joins (one transition with the leave now, under another id).
    // v1 is written with 4 cut off. X leaves while joining; C stops; G2 comes back. Once the ring
    // settles, with 3 down, a read must return v1 (or fail).
    const s = scenario({ peers: 7, ringSeed: 5 });
    const ids = s.ids;
    const [G1, G2, A, B, C, , X] = ids as [PeerId, PeerId, PeerId, PeerId, PeerId, PeerId, PeerId];
    const key = 'k2';
    for (const id of ids.slice(0, 5)) s.cluster.start(id);
    s.cluster.runUntil(30);
    expect(s.run(A, 'put', key, 'v0').ok).toBe(true);
    s.cluster.start(ids[5] as PeerId);
    s.cluster.runUntil(s.cluster.now + 80);
    s.cluster.crash(G2);
    s.cluster.sim.command(C, { type: 'leave' });
    const caughtUp = (): boolean => {
      const transition = s.machine(A).transition;
      return transition !== undefined && s.machine(A).ringState()?.caughtUp.find((entry) => entry.peer === G1)?.transition === transition.id;
    };
    for (let guard = 0; guard < 100 && !caughtUp(); guard++) s.cluster.runUntil(s.cluster.now + 1);
    s.cluster.sim.start(X, { type: 'join', introducers: ids.filter((id) => id !== X && id !== G2) });
    for (let guard = 0; guard < 100 && s.machine(A).transition?.joining.includes(X) !== true; guard++) s.cluster.runUntil(s.cluster.now + 1);
    s.cluster.sim.network.partition([B], ids.filter((id) => id !== B), false);
    s.run(A, 'put', key, 'v1');
    s.cluster.sim.network.healAll();
    s.cluster.crash(C);
    s.cluster.leave(X);
    s.cluster.runUntil(s.cluster.now + 20);
    s.cluster.start(G2);
    settles(s, 300);
    s.cluster.crash(A);
    s.cluster.runUntil(s.cluster.now + 10);
    const read = runRecorded(s, G1, 'read', key);
    expect(anomaliesOf(s, [read.id])).toEqual([]);
  });
});

describe('fixed: failures that say "nothing was written" after a write round went out', () => {
  it('a write applied by its coordinator, then refused as ring-changed, is never reported as certainly not done', () => {
    // Ring {1, 2, 3, 4}; the key's owners [1, 2, 3]; 1 crashed; 2 and 3 cut off from 4. A put
    // through 2: its write round is applied by 2 at once; 3 starts to leave meanwhile and refuses it
    // as ring-changed; the round sent again cannot reach W of [1, 2, 4]. Whatever the answer, a later
    // read must not return a value whose write was reported as certainly not done.
    const s = scenario({ peers: 4, ringSeed: 4 });
    const [P1, P2, P3, P4] = s.ids as [PeerId, PeerId, PeerId, PeerId];
    for (const id of s.ids) s.cluster.start(id);
    s.cluster.runUntil(40);
    const key = 'k0';
    expect(s.machine(P2).ring.preferenceList(key).sort()).toEqual([P1, P2, P3]);
    s.cluster.crash(P1);
    s.cluster.sim.network.partition([P2, P3], [P4], false);
    s.cluster.runUntil(62);
    const put = s.send(P2, 'put', key, 'ghost');
    s.cluster.sim.at(s.cluster.now + 3, () => s.cluster.sim.command(P3, { type: 'leave' }));
    for (let guard = 0; guard < 40 && !s.results.has(put); guard++) s.cluster.runUntil(s.cluster.now + 1);
    s.cluster.sim.network.healAll();
    s.cluster.start(P1);
    s.cluster.runUntil(s.cluster.now + 300);
    s.run(P2, 'read', key);
    expect(anomaliesOf(s)).toEqual([]);
  });

  it('the same with a ring that shrinks while the write round is out', () => {
    // Ring {1, 2, 3}. A put through 3, its write applied by 3 at once; 2 leaves meanwhile. A later
    // read must not return a value whose write was reported as certainly not done.
    const s = scenario({ peers: 4, ringSeed: 3 });
    const [P1, P2, P3] = s.ids as [PeerId, PeerId, PeerId, PeerId];
    for (const id of s.ids.slice(0, 3)) s.cluster.start(id);
    s.cluster.runUntil(40);
    const put = s.send(P3, 'put', 'k', 'ghost');
    s.cluster.sim.at(s.cluster.now + 2, () => s.cluster.sim.command(P2, { type: 'leave' }));
    for (let guard = 0; guard < 40 && !s.results.has(put); guard++) s.cluster.runUntil(s.cluster.now + 1);
    s.cluster.runUntil(s.cluster.now + 100);
    s.run(P1, 'read', 'k');
    expect(anomaliesOf(s)).toEqual([]);
  });
});

describe('fixed: transitions that end once the needed peers run, and copies restarted peers owe', () => {
  it('a leave whose gainer crashed ends once the operator removes that gainer', () => {
    // Ring {1..6}. 6 crashes; 4 starts a graceful leave (6 is one of its gainers); the operator
    // removes 6: both changes run as one transition, in which 6 gains nothing.
    const s = scenario({ peers: 6, ringSeed: 6 });
    const [P1, , , P4, , P6] = s.ids as PeerId[];
    for (const id of s.ids) s.cluster.start(id);
    s.cluster.runUntil(30);
    s.cluster.crash(P6 as PeerId);
    s.cluster.sim.command(P4 as PeerId, { type: 'leave' });
    s.cluster.runUntil(80);
    s.cluster.sim.command(P1 as PeerId, { type: 'kv.remove', peer: P6 as PeerId });
    expect(settles(s, 2000), 'the ring settles once the gone gainer is removed').toBe(true);
  });

  it('a restarted peer hands off the copies it no longer owns (its handoffs were in memory)', () => {
    // Ring {1..5}; X = 6 joins and takes C's place for the key. C's handoff waits for A, which is
    // down; C restarts (durable store); A comes back: C must not keep its copy.
    const roles = keyDisplacedByJoin();
    const { key, A, C, X } = roles;
    const s = scenario({ peers: 6, ringSeed: 5 });
    for (const id of s.ids.slice(0, 5)) s.cluster.start(id);
    s.cluster.runUntil(30);
    expect(s.run(C, 'put', key, 'v0').ok).toBe(true);
    s.cluster.start(X);
    for (let guard = 0; guard < 200 && s.machine(C).ring.peers.length !== 6; guard++) s.cluster.runUntil(s.cluster.now + 1);
    s.cluster.crash(A);
    s.cluster.runUntil(s.cluster.now + 30);
    s.cluster.crash(C);
    s.cluster.start(C);
    s.cluster.start(A);
    s.cluster.runUntil(s.cluster.now + 1000);
    const owners = s.machine(A).ring.preferenceList(key);
    expect(owners.every((owner) => s.machine(owner).record(key) !== undefined), 'every owner holds the key').toBe(true);
    expect(owners.includes(C) || s.machine(C).record(key) === undefined, 'a non-owner keeps no copy once every owner has the key').toBe(true);
  });
});

describe('open (L, J): graceful leaves that end before anybody else hears of them', () => {
  it('a graceful leave from a ring of N peers, cut off from the others: they count the leaver as an owner for good', () => {
    // Ring {1, 2, 3}. 3 leaves while cut off from 1 and 2: the transition has no gainer, ends on 3
    // at once (ring-state.ts:190-200) and 3 says goodbye in the same step (peer.ts:269-273); its
    // one broadcast of the new state (ring-sync.ts:227-234) is lost. After healing, 3 is no member
    // (its RingSync no longer ticks, peer.ts:334; its messages are refused, peer.ts:325-328), so
    // 1 and 2 keep it as a `normal` owner: strict quorums count it as a missing answer for ever.
    const s = scenario({ peers: 3, ringSeed: 3 });
    const [P1, P2, P3] = s.ids as [PeerId, PeerId, PeerId];
    for (const id of s.ids) s.cluster.start(id);
    s.cluster.runUntil(30);
    s.cluster.sim.network.partition([P3], [P1, P2], false);
    s.cluster.sim.command(P3, { type: 'leave' });
    s.cluster.runUntil(s.cluster.now + 5);
    s.cluster.sim.network.healAll();
    s.cluster.runUntil(s.cluster.now + 1000);
    expect(s.machine(P3).membership.status).toBe('left');
    expect(s.machine(P1).ring.peers, 'the ring without the peer that left').toEqual([P1, P2]);
  });

  it('a joining peer that leaves while cut off: its cancellation never spreads and the join never ends', () => {
    // Ring {1, 2, 3}; 4 joins and the others hear it (`joining`). 4 is cut off and leaves gracefully:
    // it cancels its join at the join's stamp (ring-sync.ts:155-158), its own entry is `removed`,
    // so its leave is complete at once (ring-sync.ts:84-86) and it says goodbye in the same step
    // (peer.ts:199-203, 269-273). The broadcast is lost; after healing, 4 is no member and never
    // sends its state again; 1–3 wait for gainer 4 for ever, though every peer runs. (An operator's
    // `kv.remove` of 4 would end it.)
    const s = scenario({ peers: 4, ringSeed: 3 });
    const [P1, P2, P3, P4] = s.ids as [PeerId, PeerId, PeerId, PeerId];
    for (const id of [P1, P2, P3]) s.cluster.start(id);
    s.cluster.runUntil(30);
    s.cluster.start(P4);
    const joining = (): boolean => [P1, P2, P3].every((id) => s.machine(id).transition?.joining.includes(P4) === true);
    for (let guard = 0; guard < 100 && !joining(); guard++) s.cluster.runUntil(s.cluster.now + 1);
    s.cluster.sim.network.partition([P4], [P1, P2, P3], false);
    s.cluster.sim.command(P4, { type: 'leave' });
    s.cluster.runUntil(s.cluster.now + 5);
    s.cluster.sim.network.healAll();
    expect(settles(s, 1000), 'the ring settles: every peer runs').toBe(true);
  });
});

/**
 * Key k14: owners [5, 4, 1] on the ring of 1–5, [6, 5, 4] once 6 joins (1 is displaced), and
 * [6, 5, 7] once 7 joins too (4 is displaced). v0 is written; 4 goes down; 6 joins: 1 no longer owns
 * the key and hands it off to [6, 5, 4] (stabilizer.ts:60-75): 6 and 5 acknowledge, 4 cannot. 7
 * joins, cut off from everyone but 1 (so it cannot pull yet): 1's retries go to every owner of both
 * rings not yet acknowledged, 4 and 7 (stabilizer.ts:208-225); 7 acknowledges, but the check "every
 * owner acknowledged" counts 4 (stabilizer.ts:165-171). Healed, 7 pulls and the join ends: the owners
 * are 6, 5 and 7, all acknowledged. That check runs only when an acknowledgement arrives, and retries
 * and `stabilize` send only to owners not yet acknowledged (stabilizer.ts:71, 222): nothing is sent
 * again, nothing comes back, and 1 keeps its copy (and its handoff) for good.
 */
function handoffNeverCompleted() {
  const s = scenario({ peers: 7, ringSeed: 5 });
  const [P1, P2, P3, P4, P5, P6, P7] = s.ids as [PeerId, PeerId, PeerId, PeerId, PeerId, PeerId, PeerId];
  const key = 'k14';
  expect(ringOf(s.ids.slice(0, 5)).preferenceList(key)).toEqual([P5, P4, P1]);
  expect(ringOf(s.ids.slice(0, 6)).preferenceList(key)).toEqual([P6, P5, P4]);
  expect(ringOf(s.ids).preferenceList(key)).toEqual([P6, P5, P7]);
  for (const id of s.ids.slice(0, 5)) s.cluster.start(id);
  s.cluster.runUntil(30);
  expect(s.run(P1, 'put', key, 'v0').ok).toBe(true);
  s.cluster.crash(P4);
  s.cluster.start(P6);
  s.cluster.runUntil(s.cluster.now + 80);
  s.cluster.sim.network.partition([P7], s.ids.filter((id) => id !== P7 && id !== P1), false);
  s.cluster.sim.start(P7, { type: 'join', introducers: [P1] });
  for (let guard = 0; guard < 400 && s.machine(P7).record(key) === undefined; guard++) s.cluster.runUntil(s.cluster.now + 1);
  s.cluster.sim.network.healAll();
  expect(settles(s, 400), 'the join of 7 ends').toBe(true);
  return { s, key, P1, P2, P3, P4, P5, P6, P7 };
}

describe('open (H): copies left behind', () => {
  it('a handoff acknowledged by every final owner while a transition was still running is never completed', () => {
    const { s, key, P1, P5 } = handoffNeverCompleted();
    s.cluster.runUntil(s.cluster.now + 1000);
    const owners = s.machine(P5).ring.preferenceList(key);
    expect(owners.every((owner) => s.machine(owner).record(key) !== undefined), 'every owner holds the key').toBe(true);
    expect(owners.includes(P1) || s.machine(P1).record(key) === undefined, 'a non-owner keeps no copy once every owner has the key').toBe(true);
  });

  it('the copy left behind comes back after a delete: a read returns a deleted value', () => {
    // As above; then the key is deleted (acknowledged), and its tombstone collected on 6, 5 and 7
    // once the grace period is over and each has seen the others hold it (stabilizer.ts:238-255). 1
    // still holds v0. 4 (down for good) is removed and 6 leaves: owners [5, 7, 1] on {1, 2, 3, 5, 7}.
    // 1, a gainer, pulls from the old owners, who hold nothing, and keeps its own v0 (older than the
    // delete, but nothing newer is left anywhere). A read through 1 finds v0, writes it back and
    // returns it: a value deleted by an acknowledged delete.
    const { s, key, P1, P4, P5, P6 } = handoffNeverCompleted();
    const del = runRecorded(s, P5, 'delete', key);
    expect(del.result.ok, 'the delete is acknowledged').toBe(true);
    s.cluster.runUntil(s.cluster.now + KV_DEFAULTS.tombstoneGraceTicks + 300);
    s.cluster.sim.command(P5, { type: 'kv.remove', peer: P4 });
    s.cluster.sim.command(P6, { type: 'leave' });
    settles(s, 400);
    const read = runRecorded(s, P1, 'read', key);
    expect(anomaliesOf(s, [read.id])).toEqual([]);
  });

});
