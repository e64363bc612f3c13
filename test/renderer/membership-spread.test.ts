import { describe, expect, test } from 'vitest';
import { SpreadTracker, formatSpreadMs, lastCompleteChange } from '../../src/renderer/src/lib/spread-tracker.ts';
import type { SessionEntry } from '../../src/shared/journal/session.ts';

type Kind = 'member.added' | 'member.alive' | 'member.suspected' | 'member.removed' | 'member.left';

/** A script of member events: `[ms, observer, kind, subject]`. */
function entries(script: readonly [number, string, Kind, string][]): SessionEntry[] {
  return script.map(([at, peer, kind, subject], seq) => ({ seq, at, event: { kind, tick: 0, peer, subject } }));
}

function run(script: readonly [number, string, Kind, string][], observers: readonly string[]) {
  const tracker = new SpreadTracker();
  // As the window does: each entry comes in its own frame, settled with the live observers.
  tracker.settle(observers);
  for (const entry of entries(script)) {
    tracker.observe(entry);
    tracker.settle(observers);
  }
  return tracker;
}

const summary = (tracker: SpreadTracker) => tracker.changes().map((change) => `${change.subject} ${change.state} ${change.status} ${change.spreadMs ?? '-'} ${change.reached}/${change.required}`);

describe('spread times from member events', () => {
  test('a join reaches every other peer: from the first report to the last', () => {
    const tracker = run(
      [
        [100, 'a', 'member.added', 'd'],
        [180, 'b', 'member.added', 'd'],
        [260, 'd', 'member.added', 'd'],
        [420, 'c', 'member.added', 'd'],
      ],
      ['a', 'b', 'c', 'd'],
    );
    expect(summary(tracker)).toEqual(['d alive complete 320 3/3']);
  });

  test('a change waits for every live observer, then completes when the last one reports it', () => {
    const tracker = new SpreadTracker();
    const [first, second, third] = entries([
      [0, 'a', 'member.suspected', 'x'],
      [300, 'b', 'member.suspected', 'x'],
      [1250, 'c', 'member.suspected', 'x'],
    ]);
    tracker.observe(first!);
    tracker.observe(second!);
    tracker.settle(['a', 'b', 'c', 'x']);
    expect(summary(tracker)).toEqual(['x suspect spreading - 2/3']);
    tracker.observe(third!);
    tracker.settle(['a', 'b', 'c', 'x']);
    expect(summary(tracker)).toEqual(['x suspect complete 1250 3/3']);
  });

  test('a killed peer: the suspicion is superseded by the failure, which reaches the survivors', () => {
    const tracker = run(
      [
        [1000, 'a', 'member.suspected', 'x'],
        [1100, 'b', 'member.suspected', 'x'],
        [1800, 'a', 'member.removed', 'x'],
        [1900, 'c', 'member.removed', 'x'],
        [2150, 'b', 'member.removed', 'x'],
      ],
      ['a', 'b', 'c'],
    );
    expect(summary(tracker)).toEqual(['x suspect superseded - 2/3', 'x dead complete 350 3/3']);
    expect(lastCompleteChange(tracker.changes())?.spreadMs).toBe(350);
  });

  test('a suspicion refuted before it spread is cleared, and no news is made of the return to alive', () => {
    const tracker = run(
      [
        [0, 'a', 'member.added', 'x'],
        [0, 'b', 'member.added', 'x'],
        [5000, 'a', 'member.suspected', 'x'],
        [5600, 'a', 'member.alive', 'x'],
      ],
      ['a', 'b', 'x'],
    );
    expect(summary(tracker)).toEqual(['x alive complete 0 2/2', 'x suspect cleared - 1/2']);
  });

  test('a suspicion that others already hold is refuted by news that must reach them all', () => {
    const tracker = run(
      [
        [0, 'a', 'member.added', 'x'],
        [0, 'b', 'member.added', 'x'],
        [0, 'c', 'member.added', 'x'],
        [1000, 'a', 'member.suspected', 'x'],
        [1100, 'b', 'member.suspected', 'x'],
        [1500, 'a', 'member.alive', 'x'],
        [1800, 'b', 'member.alive', 'x'],
      ],
      ['a', 'b', 'c', 'x'],
    );
    expect(summary(tracker)).toEqual(['x alive complete 0 3/3', 'x suspect superseded - 2/3', 'x alive complete 300 3/3']);
  });

  test('a partition: the majority fails the minority, which never hears it; the heal brings the minority back', () => {
    const observers = ['1', '2', '3', '4', '5'];
    // Before the cut, every peer counts every other alive (as a read of the views says).
    const tracker = new SpreadTracker();
    tracker.seed(Object.fromEntries(observers.map((observer) => [observer, observers.map((id) => ({ id, state: 'alive' as const, sinceTick: 0 }))])));
    tracker.settle(observers);
    for (const entry of entries(
      [
        [0, '3', 'member.suspected', '1'],
        [100, '4', 'member.suspected', '1'],
        [150, '5', 'member.suspected', '1'],
        [2000, '3', 'member.removed', '1'],
        [2100, '4', 'member.removed', '1'],
        [2300, '5', 'member.removed', '1'],
      ],
    )) {
      tracker.observe(entry);
      tracker.settle(observers);
    }
    // #2 is on #1's side of the cut and still counts it alive.
    expect(summary(tracker)).toEqual(['1 suspect superseded - 3/4', '1 dead spreading - 3/4']);
    for (const entry of entries([
      [9000, '4', 'member.alive', '1'],
      [9400, '3', 'member.alive', '1'],
      [9700, '5', 'member.alive', '1'],
    ]))
      tracker.observe(entry);
    tracker.settle(observers);
    expect(summary(tracker).at(-1)).toBe('1 alive complete 700 4/4');
    expect(summary(tracker).at(-2)).toBe('1 dead superseded - 3/4');
  });

  test('an observer that is killed mid-spread is no longer waited for', () => {
    const tracker = run(
      [
        [0, 'a', 'member.left', 'x'],
        [400, 'b', 'member.left', 'x'],
      ],
      ['a', 'b', 'c'],
    );
    expect(summary(tracker)).toEqual(['x left spreading - 2/3']);
    tracker.settle(['a', 'b']);
    expect(summary(tracker)).toEqual(['x left complete 400 2/2']);
  });

  test("a read of the views fills in beliefs the events never told, and a restarted peer's old beliefs go", () => {
    const tracker = new SpreadTracker();
    tracker.seed({ c: [{ id: 'x', state: 'suspect', sinceTick: 3 }] });
    for (const entry of entries([
      [0, 'a', 'member.suspected', 'x'],
      [50, 'b', 'member.suspected', 'x'],
    ]))
      tracker.observe(entry);
    tracker.settle(['a', 'b', 'c']);
    expect(summary(tracker)).toEqual(['x suspect complete 50 3/3']);

    tracker.observe({ seq: 10, at: 60, event: { kind: 'process.exited', tick: 0, peer: 'c', pid: 1, code: null, signal: 'SIGKILL', expected: true } });
    tracker.observe({ seq: 11, at: 100, event: { kind: 'member.removed', tick: 0, peer: 'a', subject: 'x' } });
    tracker.settle(['a', 'b', 'c']);
    expect(summary(tracker).at(-1)).toBe('x dead spreading - 1/3');
  });

  test("a peer's events about itself start nothing", () => {
    const tracker = run([[0, 'a', 'member.added', 'a']], ['a', 'b']);
    expect(tracker.changes()).toEqual([]);
  });

  test('formats spread times for people', () => {
    expect([340, 1844, 12_340, 125_000].map(formatSpreadMs)).toEqual(['340 ms', '1.84 s', '12.3 s', '2 min 5 s']);
  });
});
