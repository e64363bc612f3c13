import { describe, expect, it } from 'vitest';
import { formatReport, linearizabilityLine, timeline } from '../../src/shared/check/format-report.ts';
import type { KeyLinearizability } from '../../src/shared/check/linearizability.ts';
import { checkHistory } from '../../src/shared/check/report.ts';
import { historyOf, read, remove, write } from './check-histories.ts';

const stale = historyOf(write(1, 'k', 'A', 700, 800), write(2, 'k', 'B', 950, 1100), read(3, 'k', 'A', 1520, 1600), remove(4, 'k', 1000, 1200, 'fail'), write(5, 'j', 'x', 0, 500, 'info'));

describe('the check report', () => {
  it('is valid, with every guarantee, when no check finds anything', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), read(2, 'k', 'A', 20, 30), read(3, 'k', 'A', 40, 50));
    const report = checkHistory(history, { finalReadIds: new Set([2]), stores: [{ key: 'k', owners: ['p1'], holders: [{ peer: 'p1', value: 'A', deleted: false, version: '1' }] }] });
    expect(report.valid).toBe(true);
    expect(report.anomalies).toEqual([]);
    expect(report.checksRun).toEqual(['invented-value', 'aborted-read', 'stale-read', 'lost-write', 'linearizability', 'convergence']);
    expect(report.guarantees).toEqual([
      'Every read returned nil or a value some write of its key carried.',
      'No read returned a value whose only writes failed.',
      'No read returned a value older than a write acknowledged before the read began.',
      'No acknowledged write was lost: each final read returned a value that could have won.',
      "Every key's history is linearizable (1 key).",
      'Every key is held by exactly its owners, all at the same version.',
    ]);
    expect(report.counts).toEqual({ operations: 3, ok: 3, fail: 0, info: 0, byKind: { read: 2, write: 1, delete: 0 } });
  });

  it('is invalid when an anomaly is found, and keeps the operations its anomalies name', () => {
    const report = checkHistory(stale, { checks: ['stale-read', 'linearizability'] });
    expect(report.valid).toBe(false);
    expect(report.anomalies.map((anomaly) => anomaly.kind)).toEqual(['stale-read', 'not-linearizable']);
    expect(report.anomalyCounts).toMatchObject({ 'stale-read': 1, 'not-linearizable': 1, 'lost-write': 0 });
    expect(report.involvedOperations.map((operation) => operation.id)).toEqual([0, 1, 2]);
    expect(report.linearizability.map((key) => [key.key, key.verdict])).toEqual([
      ['j', 'ok'],
      ['k', 'violation'],
    ]);
  });

  it('is unknown when nothing was found but a key ran out of search budget', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), read(2, 'k', 'A', 20, 30));
    const report = checkHistory(history, { linearizability: { stepsPerKeyMax: 1 } });
    expect(report.valid).toBe('unknown');
    expect(report.notes).toContain('linearizability: k unknown, its budget of 1 search step ran out.');
  });

  it('reports a final read that missed an acknowledged write once, as a lost write, not also as a stale read', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 10), write(2, 'k', 'B', 20, 30), read(5, 'k', 'A', 100, 110));
    expect(checkHistory(history, { finalReadIds: new Set([2]), checks: ['stale-read', 'lost-write'] }).anomalies.map((anomaly) => anomaly.kind)).toEqual(['lost-write']);
    expect(checkHistory(history, { checks: ['stale-read', 'lost-write'] }).anomalies.map((anomaly) => anomaly.kind)).toEqual(['stale-read']);
  });

  it('says which checks it could not run', () => {
    expect(checkHistory(historyOf()).notes).toEqual(['lost-write: not run, no final reads were marked.', 'convergence: not run, no store snapshot was given.']);
  });
});

describe('the printed report', () => {
  it('prints a summary, each anomaly with its sentence and timeline, and the verdict per key', () => {
    expect(formatReport(checkHistory(stale, { checks: ['stale-read', 'linearizability'] }))).toBe(
      [
        'INVALID: 2 anomalies in 5 operations (3 ok, 1 fail, 1 info; 1 read, 3 writes, 1 delete).',
        '',
        'stale-read on k',
        "  Client 3's read of k began at 1.52 s and returned A, from client 1's write acknowledged at 0.80 s; but client 2's write of B was sent at 0.95 s, after that, and acknowledged at 1.10 s, before the read began.",
        '    client 1  |W(k,A)|',
        '    client 2                    |-W(k,B)--|',
        '    client 3                                                           |R(k)=A|',
        '              0.70 s                                                    1.60 s',
        '',
        'not-linearizable on k',
        "  No order of the operations on k fits a register. The longest linearizable prefix found has 2 operations and leaves k holding B, from client 2's write of B to k, acknowledged at 1.10 s; then client 3's read of k, from 1.52 s to 1.60 s, had to take effect next, but it returned A.",
        '    client 1  |W(k,A)|',
        '    client 2                    |-W(k,B)--|',
        '    client 3                                                           |R(k)=A|',
        '              0.70 s                                                    1.60 s',
        '',
        'linearizability: j ok, k violation.',
        '',
      ].join('\n'),
    );
  });

  it('prints a valid report with its guarantees and what was not judged', () => {
    const text = formatReport(checkHistory(historyOf(write(1, 'k', 'A', 0, 10), read(2, 'k', 'A', 20, 30))));
    expect(text).toMatch(/^VALID: no anomaly in 2 operations \(2 ok, 0 fail, 0 info; 1 read, 1 write, 0 deletes\)\.\n/);
    expect(text).toContain('linearizability: k ok.\nguarantees:\n  - Every read returned nil');
    expect(text).toContain('not judged:\n  - lost-write: not run, no final reads were marked.');
  });

  it('draws failed operations ending in x and unanswered ones ending in ?, one row per client', () => {
    const history = historyOf(write(1, 'k', 'A', 0, 1000, 'info'), remove(2, 'k', 200, 500, 'fail'), read(1, 'k', undefined, 1000, 1100));
    expect(timeline(history.operations)).toEqual([
      'client 1  |-------------------------W(k,A)-------------------------? |R(k)=nil|',
      'client 2             |------D(k)-------x',
      '          0.00 s                                                    1.10 s',
    ]);
  });

  it('lists every key when there are few, and only the keys not ok when there are many', () => {
    const key = (name: string, verdict: 'ok' | 'unknown'): KeyLinearizability =>
      verdict === 'ok' ? { key: name, verdict, steps: 5, operationsSearched: 3 } : { key: name, verdict, steps: 2_000_000, operationsSearched: 30, reason: 'budget' };
    expect(linearizabilityLine([key('k1', 'ok'), key('k2', 'unknown')])).toBe('linearizability: k1 ok, k2 unknown after 2,000,000 steps.');
    const many = Array.from({ length: 30 }, (_, index) => key(`k${index}`, index === 7 ? 'unknown' : 'ok'));
    expect(linearizabilityLine(many)).toBe('linearizability: 29 keys ok; k7 unknown after 2,000,000 steps.');
  });
});
