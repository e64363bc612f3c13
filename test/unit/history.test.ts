import { describe, expect, it } from 'vitest';
import { History, lostWrites, readsOfUnwrittenValues } from '../../src/shared/check/history.ts';

describe('the operation history', () => {
  it('pairs each invocation with its outcome, in the invoke/ok/fail/unknown shape', () => {
    const history = new History();
    const write = history.invoke('c1', 'create', 'k', 'v1', 1);
    const read = history.invoke('c2', 'read', 'k', undefined, 2);
    history.complete(write, 'ok', 3);
    history.complete(read, 'ok', 4, 'v1');
    const lost = history.invoke('c3', 'update', 'k', 'v2', 5);
    history.closeOpen(9);
    expect(history.entries.map((entry) => entry.type)).toEqual(['invoke', 'invoke', 'ok', 'ok', 'invoke', 'unknown']);
    expect(history.operations().map((operation) => [operation.op, operation.outcome, operation.value])).toEqual([
      ['create', 'ok', 'v1'],
      ['read', 'ok', 'v1'],
      ['update', 'unknown', 'v2'],
    ]);
    expect(() => history.complete(lost, 'ok', 10)).toThrow(/not open/);
  });

  it('finds a read of a value nobody wrote', () => {
    const history = new History();
    history.complete(history.invoke('c', 'create', 'k', 'v1', 1), 'ok', 2);
    history.complete(history.invoke('c', 'read', 'k', undefined, 3), 'ok', 4, 'v1');
    expect(readsOfUnwrittenValues(history)).toEqual([]);
    history.complete(history.invoke('c', 'read', 'k', undefined, 5), 'ok', 6, 'ghost');
    expect(readsOfUnwrittenValues(history).map((operation) => operation.value)).toEqual(['ghost']);
  });

  it('does not let a write refused outright explain the final value', () => {
    const history = new History();
    history.complete(history.invoke('c', 'create', 'k', 'v1', 1), 'ok', 2);
    history.complete(history.invoke('c', 'create', 'k', 'v2', 3), 'fail', 4, undefined, 'exists');
    expect(lostWrites(history, () => 'v1')).toEqual([]);
    expect(lostWrites(history, () => 'v2')).toEqual([{ key: 'k', expected: 'v1', found: 'v2' }]);
  });

  it('allows overlapping writes either way, but not one that completed before an acknowledged one began', () => {
    const history = new History();
    const first = history.invoke('a', 'update', 'k', 'v1', 1);
    const second = history.invoke('b', 'update', 'k', 'v2', 2);
    history.complete(first, 'ok', 5);
    history.complete(second, 'ok', 6);
    expect(lostWrites(history, () => 'v1')).toEqual([]);
    expect(lostWrites(history, () => 'v2')).toEqual([]);
    history.complete(history.invoke('c', 'update', 'k', 'v3', 10), 'ok', 12);
    expect(lostWrites(history, () => 'v1')).toHaveLength(1);
    expect(lostWrites(history, () => 'v3')).toEqual([]);
  });

  it('finds an acknowledged write that is gone, but allows any later write to have won', () => {
    const history = new History();
    history.complete(history.invoke('c', 'create', 'k', 'v1', 1), 'ok', 2);
    history.complete(history.invoke('c', 'update', 'k', 'v2', 3), 'ok', 4);
    history.complete(history.invoke('c', 'update', 'k', 'v3', 5), 'fail', 6);
    expect(lostWrites(history, () => 'v2')).toEqual([]);
    expect(lostWrites(history, () => 'v3')).toEqual([]);
    expect(lostWrites(history, () => 'v1')).toEqual([{ key: 'k', expected: 'v2 or v3', found: 'v1' }]);
    history.complete(history.invoke('c', 'delete', 'k', undefined, 7), 'ok', 8);
    expect(lostWrites(history, () => undefined)).toEqual([]);
    expect(lostWrites(history, () => 'v2')).toHaveLength(1);
  });
});
