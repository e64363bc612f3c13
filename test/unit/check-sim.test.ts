/**
 * `ringside check` in the simulator: the workload and the nemesis against simulated clusters,
 * judged by the checker. Strict quorums keep every guarantee under kills, pauses, partitions,
 * loss and skewed clocks; sloppy quorums and R + W ≤ N show what they give up, explained.
 */
import { describe, expect, it } from 'vitest';
import { checkSpecSchema, outcomeOf, type CheckSpecInput } from '../../src/shared/check/run.ts';
import { runSimulatedCheck } from '../../src/shared/check/sim-check.ts';
import { describeSchedule, nemesisSchedule, nemesisSpecSchema } from '../../src/shared/check/nemesis.ts';
import { Workload, workloadSpecSchema } from '../../src/shared/check/workload.ts';

const run = (input: CheckSpecInput) => runSimulatedCheck(checkSpecSchema.parse(input));

describe('the simulated check', () => {
  it('finds nothing wrong with strict quorums under kills, pauses, partitions, loss and skewed clocks (30 seeds)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const result = run({ seed, clockSkewTicks: 10, nemesis: { combined: true, intervalMs: 3000 }, workload: { clients: 8, keys: 3, rate: 200, durationMs: 20_000 } });
      expect(result.report.anomalies, `seed ${seed}: ${result.report.anomalies[0]?.sentence}`).toEqual([]);
      expect(result.passed).toBe(true);
      expect(result.report.linearizability.every((key) => key.verdict === 'ok')).toBe(true);
      expect(result.finalReadIds).toHaveLength(3);
      // The faults did bite: some operations failed or were left unknown.
      expect(result.report.counts.fail + result.report.counts.info).toBeGreaterThan(0);
    }
  });

  it('is the same run for the same seed, operation for operation', () => {
    const first = run({ seed: 11, clockSkewTicks: 5 });
    const second = run({ seed: 11, clockSkewTicks: 5 });
    expect(second.history).toEqual(first.history);
    expect(second.faults).toEqual(first.faults);
  });

  it('explains the stale reads of R + W ≤ N and fails the run, with the command that replays it', () => {
    const result = run({ seed: 3, readQuorum: 1, writeQuorum: 1, nemesis: { kinds: ['partition'] } });
    expect(result.passed).toBe(false);
    const stale = result.report.anomalies.find((anomaly) => anomaly.kind === 'stale-read');
    expect(stale?.sentence).toMatch(/^Client \d's read of check-\d began at [\d.]+ s and returned .+; but client \d's write of .+ was sent at [\d.]+ s, after that, and acknowledged at [\d.]+ s, before the read began\.$/);
    expect(stale?.operations.length).toBeGreaterThanOrEqual(2);
    expect(result.mode).toMatch(/R \+ W ≤ N/);
    expect(result.replay).toBe('ringside check --sim --seed 3 --nemesis partition --read-quorum 1 --write-quorum 1');
  });

  it('lists what sloppy quorums allow without failing the run, and still demands converged replicas', () => {
    let allowed = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const result = run({ seed, quorum: 'sloppy', clockSkewTicks: 20, nemesis: { kinds: ['partition', 'kill'], combined: true }, workload: { clients: 8, keys: 2, rate: 200 } });
      expect(result.passed, `seed ${seed}`).toBe(true);
      expect(result.report.anomalies.filter((anomaly) => anomaly.kind === 'invented-value' || anomaly.kind === 'not-converged')).toEqual([]);
      allowed += result.allowed;
    }
    expect(allowed).toBeGreaterThan(0);
  });
});

describe('the workload and the nemesis', () => {
  it('draws unique written values and the mix it is given', () => {
    const workload = new Workload(workloadSpecSchema.parse({ clients: 3, mix: { read: 1, write: 3, delete: 0 } }), 4);
    const values = new Set<string>();
    let writes = 0;
    for (let index = 0; index < 3000; index++) {
      const next = workload.next(index % 3);
      expect(next.kind).not.toBe('delete');
      if (next.kind === 'write') {
        writes++;
        expect(values.has(next.value as string)).toBe(false);
        values.add(next.value as string);
        expect((next.value as string).length).toBeGreaterThanOrEqual(8);
      }
    }
    expect(writes / 3000).toBeGreaterThan(0.7);
    expect(writes / 3000).toBeLessThan(0.8);
  });

  it('schedules fault periods between quiet ones, within the run, two kinds at once when combined', () => {
    const spec = nemesisSpecSchema.parse({ combined: true, intervalMs: 2000 });
    const periods = nemesisSchedule(spec, 5, 21_000, 9);
    expect(periods.map((period) => [period.startMs, period.endMs])).toEqual([
      [2000, 4000],
      [6000, 8000],
      [10_000, 12_000],
      [14_000, 16_000],
      [18_000, 20_000],
    ]);
    for (const period of periods) {
      expect(period.faults).toHaveLength(2);
      expect(period.faults[0]?.kind).not.toBe(period.faults[1]?.kind);
    }
    expect(nemesisSchedule(spec, 5, 21_000, 9)).toEqual(periods);
    expect(describeSchedule([])).toEqual(['no faults']);
    expect(describeSchedule(periods).every((line) => /^\d+\.\d-\d+\.\d s: /.test(line))).toBe(true);
  });

  it('counts a read of a missing key as a read of nil, a refusal before sending as certain, a timeout as unknown', () => {
    expect(outcomeOf('read', { ok: false, reason: 'missing' })).toEqual({ outcome: 'ok' });
    expect(outcomeOf('read', { ok: true, value: 'v' })).toEqual({ outcome: 'ok', value: 'v' });
    expect(outcomeOf('write', { ok: false, reason: 'no-quorum' })).toEqual({ outcome: 'fail', error: 'no-quorum' });
    expect(outcomeOf('delete', { ok: false, reason: 'missing' })).toEqual({ outcome: 'fail', error: 'missing' });
    expect(outcomeOf('write', { ok: false, reason: 'timeout' })).toEqual({ outcome: 'info', error: 'timeout' });
    expect(outcomeOf('write', { ok: false, reason: 'ring-changed' })).toEqual({ outcome: 'info', error: 'ring-changed' });
  });
});
