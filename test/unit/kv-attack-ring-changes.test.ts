/**
 * Adversarial property: random simulated histories mixing a client workload with crashes,
 * restarts, partitions (two-way and one-way), loss / duplication / reordering, clock skew and ring
 * changes at random moments (joins of late peers, graceful and abrupt leaves, operator removals,
 * rejoins, several at once), judged by the checker with every check, plus the ring's settling once
 * everything heals. See `test/support/kv-attack.ts` for how a run ends (heal, restart crashed peers, the
 * operator removes peers gone for good, settle, final reads).
 *
 * What fails a history (every strict-quorum guarantee):
 * - any anomaly of `checkHistory` (invented value, aborted read, stale read, lost write, not
 *   linearizable; not converged once the ring has settled);
 * - a peer that left the group gracefully while the ring still counts it (`lingering`);
 * - a ring that does not settle, unless its cause is inherent (`StuckCause`): for a key range the
 *   transition moves, at least min(R, W) of its old owners are gone for good (stopped after an
 *   abrupt leave), so an acknowledged write may exist on gone peers only and no transition can end
 *   safely (or every peer left). The harness tells that from the rings alone, not from the store's
 *   own rule. Even then the history is not excluded: the gone peers are started again, and the ring
 *   must settle (`stuckHard`) and every other guarantee hold.
 *
 * By default (CI) each property runs a fixed number of histories from a fixed seed (about 15 s in
 * all) and stops at the first failing history without shrinking it; the failure names the seed and
 * path to replay it. Environment: KV_ATTACK_RUNS=n histories per property; KV_ATTACK_ONLY=broad|
 * at-least-n|focused|any-state runs one property; KV_ATTACK_SEED / KV_ATTACK_PATH replay a fast-check run
 * (KV_ATTACK_SEED=random draws one); KV_ATTACK_SHRINK=1 shrinks a failure (within
 * KV_ATTACK_TIME_MS, default 90 s); KV_ATTACK_EXPLORE=1 prints every failing history's summary
 * instead of stopping at the first one, and KV_ATTACK_DUMP=file appends them (as JSON, for
 * `scripts/kv-attack-replay.ts`).
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalyLines, runAttack, type AttackConfig, type ClientOp, type NemesisEvent } from '../support/kv-attack.ts';

const DURATION = 300;

const clientOp: fc.Arbitrary<ClientOp> = fc.record({
  kind: fc.constantFrom('put' as const, 'put' as const, 'read' as const, 'read' as const, 'delete' as const),
  key: fc.nat(3),
  coordinator: fc.nat(6),
  thinkTicks: fc.integer({ min: 0, max: 6 }),
});

const at = fc.integer({ min: 0, max: DURATION - 1 });
const peerIndex = fc.nat(6);
const event: fc.Arbitrary<NemesisEvent> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ at, kind: fc.constant('crash' as const), peer: peerIndex }) },
  { weight: 4, arbitrary: fc.record({ at, kind: fc.constant('start' as const), peer: peerIndex }) },
  { weight: 2, arbitrary: fc.record({ at, kind: fc.constant('partition' as const), mask: fc.integer({ min: 1, max: 126 }), oneWay: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ at, kind: fc.constant('heal' as const) }) },
  { weight: 1, arbitrary: fc.record({ at, kind: fc.constant('net' as const), loss: fc.constantFrom(0, 0.1, 0.3), duplicate: fc.constantFrom(0, 0.2), reorder: fc.constantFrom(0, 0.3) }) },
  { weight: 2, arbitrary: fc.record({ at, kind: fc.constant('leave' as const), peer: peerIndex }) },
  { weight: 1, arbitrary: fc.record({ at, kind: fc.constant('abrupt-leave' as const), peer: peerIndex }) },
  { weight: 3, arbitrary: fc.record({ at, kind: fc.constant('remove' as const), peer: peerIndex, via: fc.nat(6), anyPeer: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ at, kind: fc.constant('partition-at-catch-up' as const), mask: fc.integer({ min: 1, max: 126 }), oneWay: fc.boolean(), healAfter: fc.integer({ min: 1, max: 40 }) }) },
);

export const attackConfig: fc.Arbitrary<AttackConfig> = fc
  .record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    protocol: fc.constantFrom('gossip' as const, 'swim' as const),
    peers: fc.integer({ min: 4, max: 7 }),
    ringSeedBelow: fc.integer({ min: 1, max: 3 }),
    extraAtFirst: fc.integer({ min: 0, max: 1 }),
    skews: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 7, maxLength: 7 }),
    loss: fc.constantFrom(0, 0, 0.05, 0.1),
    duplicate: fc.constantFrom(0, 0.1),
    reorder: fc.constantFrom(0, 0.2),
    keys: fc.integer({ min: 2, max: 4 }),
    clients: fc.array(fc.array(clientOp, { minLength: 5, maxLength: 40 }), { minLength: 2, maxLength: 4 }),
    events: fc.array(event, { minLength: 3, maxLength: 18 }),
  })
  .map(({ ringSeedBelow, extraAtFirst, ...rest }) => {
    const ringSeed = Math.max(3, rest.peers - ringSeedBelow);
    return { ...rest, ringSeed, startedAtFirst: Math.min(rest.peers, ringSeed + extraAtFirst), durationTicks: DURATION, events: [...rest.events].sort((a, b) => a.at - b.at) };
  });

/**
 * A denser mix around transitions: one or two keys, many busy clients, skewed clocks, and the
 * targeted nemesis that cuts the network the moment a transition ends on some peer (so that some
 * peers see it end while others do not). Rings are kept at N peers or more.
 */
const focusedEvent: fc.Arbitrary<NemesisEvent> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ at, kind: fc.constant('start' as const), peer: peerIndex }) },
  { weight: 2, arbitrary: fc.record({ at, kind: fc.constant('leave' as const), peer: peerIndex }) },
  { weight: 2, arbitrary: fc.record({ at, kind: fc.constant('remove' as const), peer: peerIndex, via: fc.nat(6), anyPeer: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ at, kind: fc.constant('crash' as const), peer: peerIndex }) },
  { weight: 6, arbitrary: fc.record({ at, kind: fc.constant('partition-at-catch-up' as const), mask: fc.integer({ min: 1, max: 126 }), oneWay: fc.constant(false), healAfter: fc.integer({ min: 2, max: 20 }), splitOverlap: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ at, kind: fc.constant('partition' as const), mask: fc.integer({ min: 1, max: 126 }), oneWay: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ at, kind: fc.constant('heal' as const) }) },
);
export const focusedConfig: fc.Arbitrary<AttackConfig> = fc
  .record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    protocol: fc.constantFrom('gossip' as const, 'swim' as const),
    peers: fc.integer({ min: 5, max: 6 }),
    skews: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 7, maxLength: 7 }),
    keys: fc.constant(1),
    clients: fc.array(fc.array(fc.record({ kind: fc.constantFrom('put' as const, 'read' as const, 'read' as const, 'delete' as const), key: fc.nat(1), coordinator: fc.nat(6), thinkTicks: fc.integer({ min: 0, max: 1 }) }), { minLength: 20, maxLength: 60 }), { minLength: 4, maxLength: 6 }),
    events: fc.array(focusedEvent, { minLength: 3, maxLength: 12 }),
  })
  .map((rest) => ({ ...rest, ringSeed: rest.peers - 1, startedAtFirst: rest.peers - 1, loss: 0, duplicate: 0, reorder: 0, durationTicks: DURATION, keepRingAtLeastN: true, events: [...rest.events].sort((a, b) => a.at - b.at) }));

/** Stuck rings that are no bug: min(R, W) old owners of a moving range gone for good, or every peer gone. */
const ACCEPTED_STUCK: ReadonlySet<string> = new Set(['inherent', 'nobody']);

const EXPLORE = process.env.KV_ATTACK_EXPLORE === '1';
const SHRINK = process.env.KV_ATTACK_SHRINK === '1';
const TIME_MS = Number(process.env.KV_ATTACK_TIME_MS ?? 90_000);
/** A fixed seed by default, so that CI runs the same histories every time. */
const SEED = process.env.KV_ATTACK_SEED === 'random' ? undefined : Number(process.env.KV_ATTACK_SEED ?? 20261207);
const runsOf = (fallback: number): number => Number(process.env.KV_ATTACK_RUNS ?? fallback);
/** Vitest's bound on one property: the runs, plus shrinking when asked. */
const testTimeout = (runs: number): number => Math.max(60_000, runs * 150) + (SHRINK || EXPLORE ? TIME_MS : 0);

/**
 * One property: every history keeps every strict-quorum guarantee and the ring settles (see the
 * file's header for what fails a history, and what an inherent stuck transition is).
 */
function attack(arbitrary: fc.Arbitrary<AttackConfig>, runs: number): void {
  const found: string[] = [];
  const mix = { runs: 0, joins: 0, leaves: 0, abruptLeaves: 0, removals: 0, rejoins: 0, removeRefused: 0, operations: 0, info: 0, stuck: 0, unknown: 0 };
  fc.assert(
    fc.property(arbitrary, (config) => {
      const result = runAttack(config);
      mix.runs++;
      for (const [name, value] of Object.entries(result.ringChanges)) mix[name as keyof typeof mix] += value;
      mix.operations += result.history.operations.length;
      mix.info += result.history.operations.filter((operation) => operation.outcome === 'info').length;
      if (result.stuck) mix.stuck++;
      if (result.report.valid === 'unknown') {
        mix.unknown++;
        if (process.env.KV_ATTACK_UNKNOWN_DUMP) appendFileSync(process.env.KV_ATTACK_UNKNOWN_DUMP, `${JSON.stringify({ history: result.history, finalReadIds: [...result.finalReadIds], config })}\n`);
      }
      const problems = [
        ...anomalyLines(result.report),
        ...result.lingering.map((line) => `lingering: ${line}`),
        ...(result.stuckHard ? [`not settled even with every peer running: ${result.stuckHard}`] : []),
        ...(result.stuck && !ACCEPTED_STUCK.has(result.stuckCause?.kind ?? 'other') ? [`stuck (${result.stuckCause?.kind}: ${result.stuckCause?.detail}): ${result.stuck}`] : []),
      ];
      const soft = result.stuck && ACCEPTED_STUCK.has(result.stuckCause?.kind ?? 'other') ? [`stuck, ${result.stuckCause?.kind} (${result.stuckCause?.detail}): ${result.stuck}`] : [];
      if (EXPLORE) {
        const kinds = [...new Set(result.report.anomalies.map((anomaly) => anomaly.kind))].join(',');
        const lenient = anomalyLines(result.lenientReport).length;
        if ((problems.length > 0 || soft.length > 0) && process.env.KV_ATTACK_DUMP) appendFileSync(process.env.KV_ATTACK_DUMP, `${JSON.stringify({ kinds, stuck: result.stuck !== undefined, cause: result.stuckCause?.kind, stuckHard: result.stuckHard !== undefined, lenient, config })}\n`);
        if (problems.length > 0 || soft.length > 0) found.push(`KINDS[${kinds}${result.stuck ? `,stuck-${result.stuckCause?.kind}` : ''}${result.stuckHard ? ',stuck-hard' : ''}] lenient=${lenient} seed ${config.seed} (${config.protocol}, ${config.peers} peers, ring seed ${config.ringSeed}):\n  ${[...problems, ...soft].slice(0, 6).join('\n  ')}\n  ${result.log.slice(0, 60).join('\n  ')}`);
        return true;
      }
      expect(problems).toEqual([]);
      return true;
    }),
    {
      numRuns: runs,
      // CI: the first failing history, unshrunk (a history is long to shrink); KV_ATTACK_SHRINK=1 shrinks it, within a bound.
      endOnFailure: !SHRINK,
      ...(SHRINK || EXPLORE ? { interruptAfterTimeLimit: TIME_MS } : {}),
      ...(SEED !== undefined ? { seed: SEED } : {}),
      ...(process.env.KV_ATTACK_PATH ? { path: process.env.KV_ATTACK_PATH } : {}),
    },
  );
  if (EXPLORE) {
    console.log(`mix ${JSON.stringify(mix)}, failing ${found.length}`);
    for (const text of found) console.log(text);
  }
}

const only = process.env.KV_ATTACK_ONLY;
const RUNS = { broad: runsOf(200), atLeastN: runsOf(120), focused: runsOf(150), anyState: runsOf(120) };
/**
 * The catch-up partition fired by the first change of any peer's ring state (a transition
 * starting, a catch-up recorded, as well as one ending), half the broad mix and half the focused
 * one: it found a dissolving ring whose last leavers went before a fellow heard
 * (`kv-attack-dissolved-ring.test.ts`).
 */
const anyStateConfig: fc.Arbitrary<AttackConfig> = fc.oneof(attackConfig, focusedConfig).map((config) => ({ ...config, trigger: 'any-state' as const }));
describe('the key-value store under ring changes mixed with every other fault (adversarial property)', () => {
  it.skipIf(only !== undefined && only !== 'broad')('keeps every strict-quorum guarantee and settles: the broad mix (rings may shrink below N)', () => attack(attackConfig, RUNS.broad), testTimeout(RUNS.broad));
  it.skipIf(only !== undefined && only !== 'at-least-n')('keeps every strict-quorum guarantee and settles: the broad mix, rings kept at N peers or more', () => attack(attackConfig.map((config) => ({ ...config, keepRingAtLeastN: true })), RUNS.atLeastN), testTimeout(RUNS.atLeastN));
  it.skipIf(only !== undefined && only !== 'focused')('keeps every strict-quorum guarantee and settles: transitions cut at their end, busy clients, skewed clocks', () => attack(focusedConfig, RUNS.focused), testTimeout(RUNS.focused));
  it.skipIf(only !== undefined && only !== 'any-state')('keeps every strict-quorum guarantee and settles: the catch-up partition fired by any change of a ring state (a transition starting too)', () => attack(anyStateConfig, RUNS.anyState), testTimeout(RUNS.anyState));
});
