import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkKeyLinearizability, checkLinearizability, LINEARIZABILITY_STEPS_PER_KEY_MAX_DEFAULT, operationsToSearch } from '../../src/shared/check/linearizability.ts';
import { checkLostWrites } from '../../src/shared/check/lost-writes.ts';
import { checkAbortedReads, checkInventedValues } from '../../src/shared/check/read-origins.ts';
import { operationsByKey, type RegisterHistory, type RegisterOperation } from '../../src/shared/check/register-history.ts';
import { checkHistory } from '../../src/shared/check/report.ts';
import { checkStaleReads } from '../../src/shared/check/stale-reads.ts';
import { bruteForceLinearizable, historyOf, linearizableHistory, randomLinearizableHistory, read, remove, smallHistory, write, type OperationSpec } from './check-histories.ts';

const verdicts = (history: RegisterHistory) => checkLinearizability(history).keys.map((key) => [key.key, key.verdict]);

describe('the linearizability check (unit)', () => {
  it('finds the read of an old value after another client saw the new one, and explains it with the longest prefix', () => {
    // Porcupine's README, second example: put(200) spans both reads; one sees 200, the later one 0.
    const history = historyOf(write(0, 'k', '200', 0, 100), read(1, 'k', '200', 5, 20), read(2, 'k', undefined, 30, 40));
    const [result] = checkLinearizability(history).keys;
    expect(result).toMatchObject({ key: 'k', verdict: 'violation', linearizedPrefix: [0, 1], blockedOperation: 2 });
    if (result?.verdict !== 'violation') throw new Error('expected a violation');
    expect(result.anomaly).toEqual({
      kind: 'not-linearizable',
      key: 'k',
      operations: [0, 2, 1],
      sentence:
        "No order of the operations on k fits a register. The longest linearizable prefix found has 2 operations and leaves k holding 200, from client 0's write of 200 to k, acknowledged at 0.10 s; then client 2's read of k, from 0.03 s to 0.04 s, had to take effect next, but it returned nil (client 1's read of k, which ended at 0.02 s, before it began, had already returned 200).",
    });
  });

  it('accepts the same reads in the other order (Porcupine README, first example)', () => {
    const history = historyOf(write(0, 'k', '100', 0, 100), read(1, 'k', '100', 5, 90), read(2, 'k', undefined, 10, 20));
    expect(verdicts(history)).toEqual([['k', 'ok']]);
  });

  it('treats operations whose intervals only touch as concurrent', () => {
    expect(verdicts(historyOf(write(1, 'k', 'A', 0, 10), read(2, 'k', undefined, 10, 20)))).toEqual([['k', 'ok']]);
    expect(verdicts(historyOf(write(1, 'k', 'A', 0, 10), read(2, 'k', undefined, 11, 20)))).toEqual([['k', 'violation']]);
  });

  it('lets an unanswered write take effect at any time after its invocation, even long after the client gave up', () => {
    const late = historyOf(write(1, 'k', 'A', 0, 10, 'info'), read(2, 'k', undefined, 20, 30), read(2, 'k', 'A', 40, 50));
    const early = historyOf(read(2, 'k', 'A', 0, 5), write(1, 'k', 'A', 10, 20, 'info'));
    expect(verdicts(late)).toEqual([['k', 'ok']]);
    expect(verdicts(early)).toEqual([['k', 'violation']]);
  });

  it('removes failed operations (a failed write is never read) and unanswered reads', () => {
    expect(verdicts(historyOf(write(1, 'k', 'A', 0, 10, 'fail'), read(2, 'k', 'A', 20, 30)))).toEqual([['k', 'violation']]);
    expect(verdicts(historyOf(write(1, 'k', 'A', 0, 10), read(2, 'k', undefined, 20, 30, 'info')))).toEqual([['k', 'ok']]);
  });

  it('models a delete as setting the register to nil', () => {
    expect(verdicts(historyOf(write(1, 'k', 'A', 0, 10), remove(1, 'k', 20, 30), read(2, 'k', undefined, 40, 50)))).toEqual([['k', 'ok']]);
    expect(verdicts(historyOf(write(1, 'k', 'A', 0, 10), remove(1, 'k', 20, 30), read(2, 'k', 'A', 40, 50)))).toEqual([['k', 'violation']]);
  });

  it('checks each key on its own, in sorted order', () => {
    const history = historyOf(write(1, 'b', 'A', 0, 10), write(2, 'a', 'A', 0, 10), read(3, 'a', 'A', 20, 30), read(3, 'b', 'Z', 30, 40));
    expect(verdicts(history)).toEqual([
      ['a', 'ok'],
      ['b', 'violation'],
    ]);
  });

  it('sets aside unanswered updates that no read observed, and only those', () => {
    const operations = historyOf(write(1, 'k', 'A', 0, 10, 'info'), write(2, 'k', 'B', 0, 10, 'info'), remove(3, 'k', 0, 10, 'info'), read(4, 'k', 'B', 20, 30)).operations;
    expect(operationsToSearch(operations).map((operation) => operation.id)).toEqual([1, 3]);
  });

  it('answers unknown, with the steps it spent, when a key runs out of its budget', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), read(2, 'k', 'A', 20, 30), write(3, 'j', 'A', 0, 10));
    const result = checkLinearizability(history, { stepsPerKeyMax: 1 });
    expect(result.keys).toEqual([
      { key: 'j', verdict: 'ok', steps: 1, operationsSearched: 1 },
      { key: 'k', verdict: 'unknown', steps: 1, operationsSearched: 2, reason: 'its budget of 1 search step ran out' },
    ]);
  });

  it('stops when the total budget is spent and says so for the keys it could not finish', () => {
    const history = historyOf(write(1, 'a', 'A', 0, 10), read(2, 'a', 'A', 20, 30), write(1, 'b', 'A', 10, 20), read(2, 'b', 'A', 30, 40));
    const result = checkLinearizability(history, { stepsPerKeyMax: 100, stepsTotalMax: 3 });
    expect(result.keys.map((key) => [key.key, key.verdict, key.steps])).toEqual([
      ['a', 'ok', 2],
      ['b', 'unknown', 1],
    ]);
    expect(result.keys[1]).toMatchObject({ reason: 'the total budget of 3 search steps ran out (1 spent on this key)' });
  });
});

describe('the linearizability check (properties)', () => {
  it('passes every check on random linearizable histories (info and fail operations behaving as their outcome says)', () => {
    fc.assert(
      fc.property(linearizableHistory(), ({ history, finalReadIds }) => {
        const report = checkHistory(history, { finalReadIds });
        expect(report.anomalies).toEqual([]);
        expect(report.linearizability.every((key) => key.verdict === 'ok')).toBe(true);
        expect(report.valid).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with a brute-force search over every real-time order on histories of up to 7 operations', () => {
    fc.assert(
      fc.property(smallHistory(7), (history) => {
        for (const [key, operations] of operationsByKey(history)) {
          const result = checkKeyLinearizability(key, operations);
          expect(result.verdict).not.toBe('unknown');
          expect(result.verdict === 'ok').toBe(bruteForceLinearizable(operations));
          if (result.verdict !== 'violation') continue;
          // The explanation's prefix is a legal register run, without the blocked operation.
          let state: string | undefined;
          for (const id of result.linearizedPrefix) {
            const operation = history.operations[id] as RegisterOperation;
            if (operation.kind === 'read') expect(operation.value).toBe(state);
            else state = operation.kind === 'write' ? operation.value : undefined;
          }
          expect(result.linearizedPrefix).not.toContain(result.blockedOperation);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with brute force on linearizable-looking histories whose values collide', () => {
    fc.assert(
      fc.property(linearizableHistory({ clientsMax: 3, keys: 1, operationsPerClientMax: 2, valueCount: 2 }), ({ history }) => {
        for (const [key, operations] of operationsByKey(history)) {
          expect(checkKeyLinearizability(key, operations).verdict).toBe('ok');
          expect(bruteForceLinearizable(operations)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds every invented value, aborted read, stale read and lost write non-linearizable too', () => {
    fc.assert(
      fc.property(smallHistory(7), (history) => {
        const lastRead = [...history.operations].reverse().find((operation) => operation.kind === 'read');
        const finals = new Set(lastRead === undefined ? [] : [lastRead.id]);
        const anomalies = [...checkInventedValues(history), ...checkAbortedReads(history), ...checkStaleReads(history), ...checkLostWrites(history, finals).anomalies];
        const violated = new Set(checkLinearizability(history).keys.filter((key) => key.verdict === 'violation').map((key) => key.key));
        for (const anomaly of anomalies) expect(violated.has(anomaly.key), anomaly.sentence).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds a stale read injected into a linearizable history, with both the stale-read check and linearizability', () => {
    // Two acknowledged writes one after the other, so every history has at least one place to inject.
    const prefix: OperationSpec[] = [write(90, 'k0', 'early', 0, 1), write(90, 'k0', 'late', 2, 3)];
    fc.assert(
      fc.property(linearizableHistory({ keys: 2 }), fc.nat(), ({ history }, pick) => {
        const shifted = history.operations.map(({ id: _id, ...operation }) => ({ ...operation, invokeMs: operation.invokeMs + 10, completeMs: operation.completeMs + 10 }));
        const base = historyOf(...prefix, ...shifted);
        // Every (superseding write W, stale result) pair: W acknowledged, and every possible source
        // of the result certainly in effect before W was invoked.
        const choices: { readonly superseding: OperationSpec; readonly result: string | undefined }[] = [];
        for (const superseding of base.operations) {
          if (superseding.kind === 'read' || superseding.outcome !== 'ok') continue;
          const sameKey = base.operations.filter((operation) => operation.key === superseding.key && operation.kind !== 'read' && operation.outcome !== 'fail');
          const certainBefore = (update: OperationSpec) => update.outcome === 'ok' && update.completeMs < superseding.invokeMs;
          for (const source of sameKey) {
            if (source.kind !== 'write') continue;
            const writers = sameKey.filter((operation) => operation.kind === 'write' && operation.value === source.value);
            if (writers.every(certainBefore)) choices.push({ superseding, result: source.value });
          }
          if (superseding.kind === 'write' && sameKey.filter((operation) => operation.kind === 'delete').every(certainBefore)) choices.push({ superseding, result: undefined });
        }
        const { superseding, result } = choices[pick % choices.length] as (typeof choices)[number];
        const stale = read(91, superseding.key, result, superseding.completeMs + 0.5, superseding.completeMs + 0.75);
        const injected = historyOf(...base.operations.map(({ id: _id, ...operation }) => operation), stale);
        const staleId = injected.operations.length - 1;
        expect(checkStaleReads(injected).some((anomaly) => anomaly.operations[0] === staleId)).toBe(true);
        const key = checkLinearizability(injected).keys.find((entry) => entry.key === superseding.key);
        expect(key?.verdict).toBe('violation');
      }),
      { numRuns: 300 },
    );
  });
});

describe('the linearizability check (size)', () => {
  it('checks a 5,000-operation history of 5 clients on 10 keys within the default budget', () => {
    const { history, finalReadIds } = randomLinearizableHistory(7, 5, 1000, 10);
    expect(history.operations.length).toBe(5010);
    const report = checkHistory(history, { finalReadIds });
    expect(report.linearizability.map((key) => key.verdict)).toEqual(Array(10).fill('ok'));
    expect(report.linearizability.every((key) => key.steps < LINEARIZABILITY_STEPS_PER_KEY_MAX_DEFAULT)).toBe(true);
    expect(report.valid).toBe(true);
  });

  it('answers unknown rather than searching forever when many unanswered writes overlap', () => {
    // 24 writes that never returned, all concurrent, each observed once in turn; then the first
    // value is read again, which no order allows. Proving that means trying the writes' subsets.
    const writes = Array.from({ length: 24 }, (_, index) => write(index, 'k', `v${index}`, index, 1000, 'info'));
    const reads = Array.from({ length: 24 }, (_, index) => read(100, 'k', `v${index}`, 2000 + 2 * index, 2001 + 2 * index));
    const history = historyOf(...writes, ...reads, read(100, 'k', 'v0', 3000, 3001));
    const [result] = checkLinearizability(history).keys;
    expect(result).toMatchObject({ key: 'k', verdict: 'unknown', steps: LINEARIZABILITY_STEPS_PER_KEY_MAX_DEFAULT, reason: 'its budget of 2,000,000 search steps ran out' });
    expect(checkHistory(history, { checks: ['linearizability'] }).valid).toBe('unknown');
  });
});
