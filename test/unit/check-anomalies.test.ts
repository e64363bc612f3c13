import { describe, expect, it } from 'vitest';
import { checkConvergence } from '../../src/shared/check/convergence.ts';
import { checkLostWrites } from '../../src/shared/check/lost-writes.ts';
import { checkAbortedReads, checkInventedValues } from '../../src/shared/check/read-origins.ts';
import { checkStaleReads } from '../../src/shared/check/stale-reads.ts';
import { historyOf, read, remove, write } from './check-histories.ts';

describe('the invented-value check', () => {
  it('flags an ok read of a value no write of the key carried', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), write(1, 'other', 'Z', 10, 20), read(2, 'k', 'Z', 20, 30));
    expect(checkInventedValues(history)).toEqual([
      { kind: 'invented-value', key: 'k', operations: [2], sentence: "Client 2's read of k, from 0.02 s to 0.03 s, returned Z, but no write of k ever carried Z." },
    ]);
  });

  it('does not flag nil, a written value, a failed write or a read that is not ok', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), write(1, 'k', 'B', 10, 20, 'fail'), read(2, 'k', 'A', 20, 30), read(2, 'k', undefined, 30, 40), read(2, 'k', 'B', 40, 50), read(3, 'k', undefined, 0, 60, 'info'));
    expect(checkInventedValues(history)).toEqual([]);
  });
});

describe('the aborted-read check', () => {
  it('flags a read of a value whose only write failed', () => {
    const history = historyOf(write(1, 'k', 'B', 900, 1000, 'fail'), read(2, 'k', 'B', 1200, 1310));
    expect(checkAbortedReads(history)).toEqual([
      {
        kind: 'aborted-read',
        key: 'k',
        operations: [1, 0],
        sentence:
          "Client 2's read of k, from 1.20 s to 1.31 s, returned B, but the only write of B was client 1's write of B to k, which failed at 1.00 s (refused): a failed write certainly did not happen, so no read may see it.",
      },
    ]);
  });

  it('does not flag a value that a write with an unknown or ok outcome also carried', () => {
    const unknown = historyOf(write(1, 'k', 'B', 0, 10, 'fail'), write(2, 'k', 'B', 0, 10, 'info'), read(3, 'k', 'B', 20, 30));
    const acknowledged = historyOf(write(1, 'k', 'B', 0, 10, 'fail'), write(2, 'k', 'B', 0, 10), read(3, 'k', 'B', 20, 30));
    expect(checkAbortedReads(unknown)).toEqual([]);
    expect(checkAbortedReads(acknowledged)).toEqual([]);
  });
});

describe('the stale-read check', () => {
  it('flags a read older than a write acknowledged before it began, with the smallest explanation', () => {
    const history = historyOf(write(1, 'k', 'A', 700, 800), write(2, 'k', 'B', 950, 1100), read(3, 'k', 'A', 1520, 1600));
    expect(checkStaleReads(history)).toEqual([
      {
        kind: 'stale-read',
        key: 'k',
        operations: [2, 1, 0],
        sentence:
          "Client 3's read of k began at 1.52 s and returned A, from client 1's write acknowledged at 0.80 s; but client 2's write of B was sent at 0.95 s, after that, and acknowledged at 1.10 s, before the read began.",
      },
    ]);
  });

  it('names the newest superseding write when several are acknowledged', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 20, 30), write(2, 'k', 'C', 40, 50), read(3, 'k', 'A', 60, 70));
    expect(checkStaleReads(history).map((anomaly) => anomaly.operations)).toEqual([[3, 2, 0]]);
  });

  it('flags a nil read after an acknowledged write, the initial state being older than everything', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), read(2, 'k', undefined, 20, 30));
    const [anomaly] = checkStaleReads(history);
    expect(anomaly?.operations).toEqual([1, 0]);
    expect(anomaly?.sentence).toBe(
      "Client 2's read of k began at 0.02 s and returned nil, from the initial state, before any write; but client 1's write of A was sent at 0.00 s, after that, and acknowledged at 0.01 s, before the read began.",
    );
  });

  it('flags a read of a value an acknowledged delete replaced', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), remove(2, 'k', 20, 30), read(3, 'k', 'A', 40, 50));
    expect(checkStaleReads(history)[0]?.sentence).toContain("but client 2's delete was sent at 0.02 s");
  });

  it('does not flag a read that overlaps the newer write', () => {
    const history = historyOf(write(1, 'k', 'A', 700, 800), write(2, 'k', 'B', 950, 1100), read(3, 'k', 'A', 1050, 1600));
    expect(checkStaleReads(history)).toEqual([]);
  });

  it('does not flag a read of a write that overlapped the newer one (either may have won)', () => {
    const history = historyOf(write(1, 'k', 'A', 700, 1000), write(2, 'k', 'B', 950, 1100), read(3, 'k', 'A', 1520, 1600));
    expect(checkStaleReads(history)).toEqual([]);
  });

  it('does not flag a value that an unanswered write also carried (it may take effect late)', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), write(4, 'k', 'A', 5, 6, 'info'), write(2, 'k', 'B', 20, 30), read(3, 'k', 'A', 40, 50));
    expect(checkStaleReads(history)).toEqual([]);
  });

  it('does not flag nil when a delete could have produced it, nor a failed newer write', () => {
    const deleted = historyOf(write(1, 'k', 'A', 0, 10), remove(2, 'k', 5, 15), read(3, 'k', undefined, 20, 30));
    const failed = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 20, 30, 'fail'), read(3, 'k', 'A', 40, 50));
    expect(checkStaleReads(deleted)).toEqual([]);
    expect(checkStaleReads(failed)).toEqual([]);
  });

  it("orders a client's own operations even when their times are equal (it waits for each answer)", () => {
    // Client 2's read is sent at the instant its write of B is acknowledged: the write came first.
    const ownRead = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 20, 30), read(2, 'k', 'A', 30, 40));
    // Client 1 wrote A, then B at the same instant: A was certainly replaced by B.
    const ownWrites = historyOf(write(1, 'k', 'A', 0, 10), write(1, 'k', 'B', 10, 20), read(3, 'k', 'A', 30, 40));
    expect(checkStaleReads(ownRead).map((anomaly) => anomaly.operations)).toEqual([[2, 1, 0]]);
    expect(checkStaleReads(ownWrites).map((anomaly) => anomaly.operations)).toEqual([[2, 1, 0]]);
  });

  it("keeps other clients' operations with equal times concurrent", () => {
    const otherRead = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 20, 30), read(3, 'k', 'A', 30, 40));
    const otherWrites = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 10, 20), read(3, 'k', 'A', 30, 40));
    expect(checkStaleReads(otherRead)).toEqual([]);
    expect(checkStaleReads(otherWrites)).toEqual([]);
  });

  it('leaves out the reads it is told to (the final reads the lost-write check judges)', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), read(2, 'k', undefined, 20, 30));
    expect(checkStaleReads(history, { excludedReadIds: new Set([1]) })).toEqual([]);
  });
});

describe('the lost-write check', () => {
  it('flags an acknowledged write the final read does not reflect', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 20, 30), read(5, 'k', 'A', 3000, 3020));
    expect(checkLostWrites(history, new Set([2]))).toEqual({
      anomalies: [
        {
          kind: 'lost-write',
          key: 'k',
          operations: [2, 1, 0],
          sentence:
            "Client 2's write of B to k, sent at 0.02 s and acknowledged at 0.03 s, is lost: the final read of k (client 5, from 3.00 s to 3.02 s) returned A, from client 1's write acknowledged at 0.01 s, which had certainly taken effect before that update began.",
        },
      ],
      notes: [],
    });
  });

  it('groups every lost update of a key in one anomaly, deletes included', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 20, 30), remove(3, 'k', 40, 50), read(5, 'k', 'A', 100, 110));
    const { anomalies } = checkLostWrites(history, new Set([3]));
    expect(anomalies.map((anomaly) => anomaly.operations)).toEqual([[3, 1, 2, 0]]);
    expect(anomalies[0]?.sentence).toMatch(/^2 acknowledged updates of k are lost: client 2's write of B \(.*\) and client 3's delete \(.*\)\. The final read of k/);
  });

  it('does not flag a write that overlapped the winner, an unanswered one, or one the final read reflects', () => {
    const overlapping = historyOf(write(1, 'k', 'A', 0, 25), write(2, 'k', 'B', 20, 30), read(5, 'k', 'A', 100, 110));
    const unanswered = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 20, 30), write(3, 'k', 'A', 22, 24, 'info'), read(5, 'k', 'A', 100, 110));
    const reflected = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 20, 30), read(5, 'k', 'B', 100, 110));
    expect(checkLostWrites(overlapping, new Set([2])).anomalies).toEqual([]);
    expect(checkLostWrites(unanswered, new Set([3])).anomalies).toEqual([]);
    expect(checkLostWrites(reflected, new Set([2])).anomalies).toEqual([]);
  });

  it('judges only writes acknowledged before the final read began, and says which keys it could not judge', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 20, 130), read(5, 'k', 'A', 100, 110), write(1, 'j', 'A', 10, 20), read(5, 'j', undefined, 120, 125, 'fail'));
    expect(checkLostWrites(history, new Set([2, 4]))).toEqual({ anomalies: [], notes: ['j: no successful final read, so its lost writes were not judged.'] });
  });
});

describe('the convergence check', () => {
  const copy = (peer: string, version: string, value?: string) => ({ peer, version, deleted: value === undefined, ...(value === undefined ? {} : { value }) });

  it('passes a key held by exactly its owners at one version', () => {
    expect(checkConvergence([{ key: 'k', owners: ['p1', 'p2', 'p3'], holders: [copy('p1', '7', 'A'), copy('p2', '7', 'A'), copy('p3', '7', 'A')] }])).toEqual([]);
  });

  it('names an owner without the key, a copy outside the owners and owners that disagree', () => {
    const anomalies = checkConvergence([
      { key: 'k', owners: ['p1', 'p2', 'p3'], holders: [copy('p1', '7', 'A'), copy('p2', '9'), copy('p5', '7', 'A')] },
    ]);
    expect(anomalies).toEqual([
      { kind: 'not-converged', key: 'k', operations: [], peers: ['p3'], sentence: 'Peer p3 owns k but holds no copy of it (owners: p1, p2 and p3).' },
      { kind: 'not-converged', key: 'k', operations: [], peers: ['p5'], sentence: 'Peer p5 holds a copy of k (version 7, A) but is not one of its owners (p1, p2 and p3).' },
      { kind: 'not-converged', key: 'k', operations: [], peers: ['p1', 'p2'], sentence: 'The owners of k disagree: p1 holds version 7, A; p2 holds version 9, deleted.' },
    ]);
  });
});
