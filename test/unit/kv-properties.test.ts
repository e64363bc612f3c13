import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/shared/check/report.ts';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import { runChaos, type ChaosAction } from '../support/kv-chaos.ts';

/** Measured: 300 random runs healed within 105 ticks (median 35). */
const HEAL_WITHIN_TICKS = 300;
const N_MINUS_W = KV_DEFAULTS.ring.replicas - KV_DEFAULTS.writeQuorum;

const gap = fc.integer({ min: 0, max: 30 });
const action: fc.Arbitrary<ChaosAction> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('operation' as const), op: fc.constantFrom('create' as const, 'read' as const, 'update' as const, 'delete' as const, 'put' as const), key: fc.nat(7), coordinator: fc.nat(9), gapTicks: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), peer: fc.nat(5), gapTicks: gap }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), peer: fc.nat(5), gapTicks: gap }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), split: fc.nat(5), gapTicks: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal' as const), gapTicks: gap }) },
);
// Long runs: a short one rarely writes, reads and breaks things in the same run.
const chaos = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  actions: fc.array(action, { minLength: 30, maxLength: 80 }),
  duplicate: fc.constantFrom(0, 0.1),
  reorder: fc.constantFrom(0, 0.2),
});

describe('the key-value store under random crashes, restarts, partitions and 10 % loss (property)', () => {
  it(`keeps every guarantee of strict quorums with durable peers (linearizable, nothing lost), and heals within ${HEAL_WITHIN_TICKS} ticks`, () => {
    fc.assert(
      fc.property(chaos, ({ seed, actions, duplicate, reorder }) => {
        const result = runChaos({ seed, peers: 6, keys: 8, loss: 0.1, duplicate, reorder, durable: true, crashesMax: 4, actions, healWithinTicks: HEAL_WITHIN_TICKS });
        expect(result.problems, 'converged: every key on exactly its N owners, all agreeing').toEqual([]);
        const report = checkHistory(result.history, { finalReadIds: result.finalReadIds });
        expect(report.anomalies.map((anomaly) => anomaly.sentence)).toEqual([]);
        expect(report.valid).toBe(true);
      }),
      { numRuns: 80 },
    );
  });

  it(`loses no acknowledged write with stores in memory while at most N − W = ${N_MINUS_W} replica crashes, and never reads a value nobody wrote`, () => {
    fc.assert(
      fc.property(chaos, ({ seed, actions, duplicate, reorder }) => {
        const result = runChaos({ seed, peers: 6, keys: 8, loss: 0.1, duplicate, reorder, crashesMax: N_MINUS_W, actions, healWithinTicks: HEAL_WITHIN_TICKS });
        expect(result.problems).toEqual([]);
        // A peer restarted empty may answer reads stale until anti-entropy refills it: memory is not a disk.
        const report = checkHistory(result.history, { finalReadIds: result.finalReadIds, checks: ['invented-value', 'aborted-read', 'lost-write'] });
        expect(report.anomalies.map((anomaly) => anomaly.sentence)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('never reads a value nobody wrote and still converges when more replicas crash than the quorums tolerate', () => {
    fc.assert(
      fc.property(chaos, ({ seed, actions, duplicate, reorder }) => {
        const result = runChaos({ seed, peers: 6, keys: 8, loss: 0.1, duplicate, reorder, crashesMax: 4, actions, healWithinTicks: HEAL_WITHIN_TICKS });
        expect(result.problems).toEqual([]);
        expect(checkHistory(result.history, { checks: ['invented-value'] }).anomalies).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
